// OWNER: helper H2 (orderer). The block store (common/ledger/blkstorage): an append-only block
// file that survives kill -9 (length-prefixed records, fsync, torn tail truncated on open) and an
// index by number, hash and transaction id. Used by the orderer and by every peer.
import { common } from '@hyperledger/fabric-protos';

export interface TxLocation {
    blockNumber: number;
    txNumber: number;
    /** TxValidationCode from the block's transactions filter (peers), or 0 (orderer). */
    validationCode: number;
}

export declare class BlockStore {
    static open(dir: string): Promise<BlockStore>;
    /** Number of blocks stored (next block number). */
    readonly height: number;
    /** Hash of the last block's header, or empty when there is none. */
    readonly lastBlockHash: Uint8Array;
    /** Appends and fsyncs; the block must carry number === height and previous hash === lastBlockHash. */
    append(block: common.Block): Promise<void>;
    getBlock(number: number): Promise<common.Block | undefined>;
    getBlockBytes(number: number): Promise<Uint8Array | undefined>;
    getBlockByHash(hash: Uint8Array): Promise<common.Block | undefined>;
    getTxLocation(txId: string): Promise<TxLocation | undefined>;
    /** Resolves when height > number (a block with that number is stored), or rejects on abort. */
    waitForBlock(number: number, signal?: AbortSignal): Promise<void>;
    close(): Promise<void>;
}
