// The block writer (orderer/common/multichannel/blockwriter): makes the next block from a batch
// (number, previous header hash, data hash), then signs it and appends it to the block store.
// Blocks are chained in memory as soon as they are created, so the next batch never waits for the
// previous block's fsync; appends themselves are sequential (the store queues them).
import * as crypto from 'node:crypto';
import { common, orderer } from '@hyperledger/fabric-protos';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, lastConfigIndex, makeSignatureHeader, newBlock } from '../common/protoutil';
import { BlockStore } from '../common/ledger/blkstorage';
import { SigningIdentity } from '../msp/identity';

export class BlockWriter {
    #lastHeader: common.BlockHeader | undefined;
    #lastConfig: number;
    /** The last config block each created block points at (fixed when the block is created). */
    readonly #lastConfigOf = new WeakMap<common.Block, number>();

    /** `lastBlock` is the tip of the store (the genesis block on a fresh orderer). */
    constructor(
        private readonly store: BlockStore,
        private readonly signer: SigningIdentity,
        lastBlock: common.Block,
    ) {
        this.#lastHeader = lastBlock.getHeader();
        // Block 0 is the first config block; every later block says which config block is in force.
        this.#lastConfig = lastBlock.getHeader()!.getNumber() === 0 ? 0 : lastConfigIndex(lastBlock);
    }

    /** The number of the last config block (created, not necessarily written yet). */
    get lastConfig(): number {
        return this.#lastConfig;
    }

    /**
     * The next block holding these envelopes, numbered and chained, not yet signed. A config block
     * (one CONFIG envelope) points at itself and at every block after it, as Fabric's WriteConfigBlock.
     */
    createNextBlock(envelopes: Uint8Array[], isConfig = false): common.Block {
        const previous = this.#lastHeader!;
        const block = newBlock(previous.getNumber() + 1, blockHeaderHash(previous));
        if (isConfig) this.#lastConfig = block.getHeader()!.getNumber();
        this.#lastConfigOf.set(block, this.#lastConfig);
        const data = new common.BlockData();
        data.setDataList(envelopes);
        block.setData(data);
        block.getHeader()!.setDataHash(blockDataHash(data));
        this.#lastHeader = block.getHeader();
        return block;
    }

    /** Adds LAST_CONFIG and the orderer's SIGNATURES metadata, then appends (fsync) the block. */
    async commit(block: common.Block): Promise<void> {
        const header = block.getHeader()!;
        const lastConfig = new common.LastConfig();
        lastConfig.setIndex(this.#lastConfigOf.get(block) ?? this.#lastConfig);
        const metadata = block.getMetadata()!.getMetadataList_asU8();
        const lastConfigMd = new common.Metadata();
        lastConfigMd.setValue(lastConfig.serializeBinary());
        metadata[common.BlockMetadataIndex.LAST_CONFIG] = lastConfigMd.serializeBinary();

        // etcdraft's consenter metadata: one consenter (id 1), the Raft index follows the block number.
        const raft = new orderer.etcdraft.BlockMetadata();
        raft.setConsenterIdsList([1]);
        raft.setNextConsenterId(2);
        raft.setRaftIndex(header.getNumber());
        const consenterMd = new common.Metadata();
        consenterMd.setValue(raft.serializeBinary());
        const obm = new common.OrdererBlockMetadata();
        obm.setLastConfig(lastConfig);
        obm.setConsenterMetadata(consenterMd.serializeBinary());
        const value = obm.serializeBinary();
        const signatureHeader = makeSignatureHeader(this.signer.serialize(), new Uint8Array(crypto.randomBytes(24))).serializeBinary();
        const signature = new common.MetadataSignature();
        signature.setSignatureHeader(signatureHeader);
        // What Fabric signs: metadata value ‖ signature header ‖ header DER bytes.
        signature.setSignature(this.signer.sign(Buffer.concat([value, signatureHeader, blockHeaderBytes(header)])));
        const signaturesMd = new common.Metadata();
        signaturesMd.setValue(value);
        signaturesMd.setSignaturesList([signature]);
        metadata[common.BlockMetadataIndex.SIGNATURES] = signaturesMd.serializeBinary();
        block.getMetadata()!.setMetadataList(metadata);
        await this.store.append(block);
    }
}
