// qscc, the query system chaincode (Fabric's core/scc/qscc): chain info, blocks
// by number, hash or tx id, and processed transactions with their validation code. Arguments as
// Fabric's: [function, channel, argument]; access as Fabric's default ACL (qscc/* ->
// /Channel/Application/Readers).
import { common, peer } from '@hyperledger/fabric-protos';
import type { PeerLedger } from '../ledger/types';
import { failure, SccInvocation, SystemChaincode, success, utf8 } from './scc';

export const QSCC = 'qscc';
export const GET_CHAIN_INFO = 'GetChainInfo';
export const GET_BLOCK_BY_NUMBER = 'GetBlockByNumber';
export const GET_BLOCK_BY_HASH = 'GetBlockByHash';
export const GET_TRANSACTION_BY_ID = 'GetTransactionByID';
export const GET_BLOCK_BY_TX_ID = 'GetBlockByTxID';

const FUNCTIONS = new Set([GET_CHAIN_INFO, GET_BLOCK_BY_NUMBER, GET_BLOCK_BY_HASH, GET_TRANSACTION_BY_ID, GET_BLOCK_BY_TX_ID]);

export class Qscc implements SystemChaincode {
    readonly name = QSCC;
    readonly needsSimulator = false;

    constructor(private readonly ledger: PeerLedger) {}

    async invoke(inv: SccInvocation): Promise<peer.Response> {
        const args = inv.args;
        if (args.length < 2) return failure(`Incorrect number of arguments, ${args.length}`);
        const fname = utf8(args[0]);
        const channel = utf8(args[1]);
        if (fname !== GET_CHAIN_INFO && args.length < 3) return failure(`missing 3rd argument for ${fname}`);
        if (channel !== this.ledger.channelId) return failure(`Invalid chain ID, ${channel}`);
        // The ACL names the function, so an unknown function is refused here ("Unmapped policy"), as on Fabric.
        try {
            inv.checkACL(`qscc/${fname}`, channel);
        } catch (err) {
            return failure(`access denied for [${fname}][${channel}]: [${(err as Error).message}]`);
        }
        if (!FUNCTIONS.has(fname)) return failure(`Requested function ${fname} not found.`);
        const arg = args[2];
        switch (fname) {
            case GET_CHAIN_INFO:
                return this.#chainInfo();
            case GET_BLOCK_BY_NUMBER: {
                const text = utf8(arg);
                if (!/^\d+$/.test(text))
                    return failure(`Failed to parse block number with error strconv.ParseUint: parsing "${text}": invalid syntax`);
                const number = Number(text);
                const block = Number.isSafeInteger(number) ? await this.ledger.blocks.getBlock(number) : undefined;
                if (!block) return failure(`Failed to get block number ${text}, error entry not found in index`);
                return success(block.serializeBinary());
            }
            case GET_BLOCK_BY_HASH: {
                const block = arg && arg.length > 0 ? await this.ledger.blocks.getBlockByHash(arg) : undefined;
                if (!block) return failure(`Failed to get block hash ${utf8(arg)}, error entry not found in index`);
                return success(block.serializeBinary());
            }
            case GET_TRANSACTION_BY_ID: {
                const txId = utf8(arg);
                const found = await this.#transaction(txId);
                if (!found) return failure(`Failed to get transaction with id ${txId}, error no such transaction ID [${txId}] in index`);
                const processed = new peer.ProcessedTransaction();
                processed.setTransactionenvelope(found.envelope);
                processed.setValidationcode(found.validationCode);
                return success(processed.serializeBinary());
            }
            default: {
                const txId = utf8(arg);
                const location = txId ? await this.ledger.blocks.getTxLocation(txId) : undefined;
                const block = location ? await this.ledger.blocks.getBlock(location.blockNumber) : undefined;
                if (!block) return failure(`Failed to get block for txID ${txId}, error no such transaction ID [${txId}] in index`);
                return success(block.serializeBinary());
            }
        }
    }

    async #chainInfo(): Promise<peer.Response> {
        const blocks = this.ledger.blocks;
        const info = new common.BlockchainInfo();
        info.setHeight(blocks.height);
        info.setCurrentblockhash(blocks.lastBlockHash);
        if (blocks.height > 0) {
            const last = await blocks.getBlock(blocks.height - 1);
            info.setPreviousblockhash(last?.getHeader()?.getPreviousHash_asU8() ?? new Uint8Array());
        }
        return success(info.serializeBinary());
    }

    async #transaction(txId: string): Promise<{ envelope: common.Envelope; validationCode: number } | undefined> {
        if (!txId) return undefined;
        const location = await this.ledger.blocks.getTxLocation(txId);
        if (!location) return undefined;
        const block = await this.ledger.blocks.getBlock(location.blockNumber);
        const bytes = block?.getData()?.getDataList_asU8()[location.txNumber];
        if (!bytes) return undefined;
        // The block's transactions filter is authoritative on peers; the index may predate it.
        const metadata = block?.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
        const validationCode = metadata && metadata.length > location.txNumber ? metadata[location.txNumber] : location.validationCode;
        return { envelope: common.Envelope.deserializeBinary(bytes), validationCode };
    }
}
