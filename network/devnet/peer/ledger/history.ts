// The history index (core/ledger/kvledger/history): the state database records (ns, key,
// block, tx) for every valid public write; values, tx ids and timestamps are read back from the
// block store as Fabric does, newest first.
import { BlockStore } from '../../common/ledger/blkstorage';
import { HistoryEntry } from './types';
import { StateDB } from './statedb';
import { isDelete, parseEndorserTx, parseEnvelopeHeader } from './rwsetutil';

export async function historyForKey(state: StateDB, blocks: BlockStore, ns: string, key: string): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    for (const v of await state.historyOf(ns, key)) {
        const block = await blocks.getBlock(v.blockNum);
        const envBytes = block?.getData()?.getDataList()[v.txNum];
        if (!envBytes) throw new Error(`LEDGER_CORRUPT: history points at block ${v.blockNum} tx ${v.txNum}, which the block store lacks`);
        const tx = parseEndorserTx(parseEnvelopeHeader(envBytes as Uint8Array));
        const write = tx.rwsets
            .find((n) => n.ns === ns)
            ?.kv.getWritesList()
            .find((w) => w.getKey() === key);
        const ts = tx.channelHeader.getTimestamp();
        const timestamp = { seconds: ts?.getSeconds() ?? 0, nanos: ts?.getNanos() ?? 0 };
        if (!write) {
            // A metadata-only update is indexed too; it carries the value unchanged.
            out.push({ txId: tx.channelHeader.getTxId(), value: new Uint8Array(0), isDelete: false, timestamp });
            continue;
        }
        const del = isDelete(write);
        out.push({ txId: tx.channelHeader.getTxId(), value: del ? new Uint8Array(0) : write.getValue_asU8(), isDelete: del, timestamp });
    }
    return out;
}
