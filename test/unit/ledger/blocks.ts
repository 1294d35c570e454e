// Test fixture: a hash-chained series of blocks holding unsigned envelopes with known tx ids.
import { common } from '@hyperledger/fabric-protos';
import {
    blockDataHash,
    blockHeaderHash,
    makeChannelHeader,
    makePayload,
    makeSignatureHeader,
    newBlock,
} from '../../../network/devnet/common/protoutil';

export function envelopeWithTxId(txId: string, channelId = 'testchannel'): Uint8Array {
    const ch = makeChannelHeader({ type: common.HeaderType.ENDORSER_TRANSACTION, channelId, txId });
    const payload = makePayload(
        ch,
        makeSignatureHeader(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6])),
        Buffer.from(`data of ${txId}`),
    );
    const env = new common.Envelope();
    env.setPayload(payload.serializeBinary());
    env.setSignature(new Uint8Array([9, 9]));
    return env.serializeBinary();
}

/** The block after `previous` (or block 0) with one envelope per tx id, and an optional filter. */
export function nextBlock(previous: common.Block | undefined, txIds: string[], filter?: number[]): common.Block {
    const number = previous ? previous.getHeader()!.getNumber() + 1 : 0;
    const block = newBlock(number, previous ? blockHeaderHash(previous.getHeader()!) : new Uint8Array(0));
    const data = new common.BlockData();
    data.setDataList(txIds.map((id) => envelopeWithTxId(id)));
    block.setData(data);
    block.getHeader()!.setDataHash(blockDataHash(data));
    if (filter) {
        const md = block.getMetadata()!.getMetadataList_asU8();
        md[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = Uint8Array.from(filter);
        block.getMetadata()!.setMetadataList(md);
    }
    return block;
}

export function chain(count: number, txsPerBlock = 2): common.Block[] {
    const blocks: common.Block[] = [];
    for (let i = 0; i < count; i++) {
        blocks.push(
            nextBlock(
                blocks[i - 1],
                Array.from({ length: txsPerBlock }, (_, t) => `tx-${i}-${t}`),
            ),
        );
    }
    return blocks;
}
