// Private data on a member peer (core/ledger/pvtdatastorage + the private part of the state
// database), in its own LevelDB so that a purge can be made complete: the private state
// (ns, collection, key) -> value with version, the pvtdata store (block, tx) -> the private
// write set kept for that transaction, an index (ns, collection, keyHash, block, tx) of every
// stored version of a key (so a purge finds them all), an expiry index for blockToLive, and its
// own savepoint. Non-member collections never reach this store.
import { createHash } from 'node:crypto';
import { ClassicLevel } from 'classic-level';
import { ledger } from '@hyperledger/fabric-protos';
import { decodeVersioned, EarliestDue, encodeVersioned, readU64, u64, VersionedKV, VersionedValue } from './statedb';
import type { MissingPvtData } from './types';

const P_STATE = 0x70; // 'p' ns \0 coll \0 key
const P_BLOCK = 0x62; // 'b' block(8) tx(8)
const P_INDEX = 0x6b; // 'k' ns \0 coll \0 keyHash(32) block(8) tx(8)
const P_EXPIRY = 0x78; // 'x' expiringAtBlock(8) ns \0 coll \0 keyHash(32) block(8) tx(8)
const P_MISSING = 0x6d; // 'm' block(8) tx(8) ns \0 coll -> expected hash(32) txId
const K_SAVEPOINT = Buffer.from('s');
const SEP = Buffer.from([0]);

export function sha256(data: Uint8Array | string): Buffer {
    return createHash('sha256').update(data).digest();
}

function stateKey(ns: string, coll: string, key: string): Buffer {
    return Buffer.concat([Buffer.from([P_STATE]), Buffer.from(ns), SEP, Buffer.from(coll), SEP, Buffer.from(key, 'utf8')]);
}
function statePrefixEnd(ns: string, coll: string): Buffer {
    return Buffer.concat([Buffer.from([P_STATE]), Buffer.from(ns), SEP, Buffer.from(coll), Buffer.from([1])]);
}
function blockKey(blockNum: number, txNum: number): Buffer {
    return Buffer.concat([Buffer.from([P_BLOCK]), u64(blockNum), u64(txNum)]);
}
function indexPrefix(ns: string, coll: string, keyHash: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from([P_INDEX]), Buffer.from(ns), SEP, Buffer.from(coll), SEP, Buffer.from(keyHash)]);
}

type Op = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** One private write of a committed valid transaction, for a member collection. */
export interface PvtWrite {
    ns: string;
    coll: string;
    key: string;
    /** undefined = delete. */
    value?: Uint8Array;
    blockNum: number;
    txNum: number;
    /** blockToLive of the collection (0 = forever). */
    blockToLive: number;
}

/** What one block brings to the private store. */
export interface PvtBlockUpdate {
    /** Private write sets kept for this block (member collections only), by tx number. */
    kept: Map<number, ledger.rwset.TxPvtReadWriteSet>;
    writes: PvtWrite[];
    /** Keys purged by valid transactions of the block (hash of the key, as the block carries it), in order. */
    purges: { ns: string; coll: string; keyHash: Uint8Array; txNum: number }[];
    /** Member collections whose private data this peer did not receive (reconciliation fetches them). */
    missing?: MissingPvtData[];
}

function missingKey(m: { blockNum: number; txNum: number; ns: string; coll: string }): Buffer {
    return Buffer.concat([Buffer.from([P_MISSING]), u64(m.blockNum), u64(m.txNum), Buffer.from(m.ns), SEP, Buffer.from(m.coll)]);
}

/** One reconciled collection of an old block: the writes still current go to state and the store. */
export interface ReconciledPvtData {
    entry: MissingPvtData;
    /** The collection's write set as it is kept (only the writes applied). */
    kept?: ledger.rwset.CollectionPvtReadWriteSet;
    writes: PvtWrite[];
    /** Keys whose older private value a reconciled delete removes. */
    deletes: { ns: string; coll: string; key: string }[];
}

export class PvtDataStore {
    private constructor(readonly db: ClassicLevel<Buffer, Buffer>) {
        this.#earliestExpiry = new EarliestDue(db, P_EXPIRY);
    }

    static async open(dir: string): Promise<PvtDataStore> {
        const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        await db.open();
        return new PvtDataStore(db);
    }

    async close(): Promise<void> {
        await this.db.close();
    }

    /** The last block whose private data is stored (read once, then kept by commitBlock). */
    #savepoint: number | undefined;

    async savepoint(): Promise<number> {
        if (this.#savepoint === undefined) {
            const v = await this.db.get(K_SAVEPOINT);
            this.#savepoint = v ? readU64(v, 0) : -1;
        }
        return this.#savepoint;
    }

    async getPrivate(ns: string, coll: string, key: string): Promise<VersionedValue | undefined> {
        const v = this.db.getSync(stateKey(ns, coll, key)); // synchronous, as the state database's point reads
        return v ? decodeVersioned(v) : undefined;
    }

    async getPrivateRange(ns: string, coll: string, startKey: string, endKey: string, limit: number): Promise<VersionedKV[]> {
        const prefixLen = 1 + Buffer.byteLength(ns) + 1 + Buffer.byteLength(coll) + 1;
        const opts: { gte: Buffer; lt: Buffer; limit?: number } = {
            gte: stateKey(ns, coll, startKey),
            lt: endKey === '' ? statePrefixEnd(ns, coll) : stateKey(ns, coll, endKey),
        };
        if (limit > 0) opts.limit = limit;
        const out: VersionedKV[] = [];
        for await (const [k, v] of this.db.iterator(opts)) out.push({ key: k.subarray(prefixLen).toString('utf8'), ...decodeVersioned(v) });
        return out;
    }

    /** Private write sets kept for the transactions of a block. */
    async getBlock(blockNum: number): Promise<Map<number, ledger.rwset.TxPvtReadWriteSet>> {
        const out = new Map<number, ledger.rwset.TxPvtReadWriteSet>();
        const gte = Buffer.concat([Buffer.from([P_BLOCK]), u64(blockNum)]);
        const lt = Buffer.concat([Buffer.from([P_BLOCK]), u64(blockNum + 1)]);
        for await (const [k, v] of this.db.iterator({ gte, lt })) {
            out.set(readU64(k, 9), ledger.rwset.TxPvtReadWriteSet.deserializeBinary(v));
        }
        return out;
    }

    /**
     * Commits a block's private data, its purges and the expiry of keys whose blockToLive ran out,
     * with the savepoint, in one synced batch. Returns whether anything was erased (the caller
     * then compacts so that erased bytes leave the disk).
     */
    async commitBlock(blockNum: number, update: PvtBlockUpdate): Promise<boolean> {
        // See compact(): the versions to erase must be on disk before the batch that erases them.
        const lte = Buffer.concat([Buffer.from([P_EXPIRY]), u64(blockNum), Buffer.alloc(1, 0xff)]);
        const expiring = (await this.#earliestExpiry.get()) <= blockNum;
        if (update.purges.length > 0 || expiring) await this.flush();
        const ops: Op[] = [];
        // Stored write sets, overlaid while this batch rewrites them (a purge can touch a set of this block).
        const pending = new Map<string, ledger.rwset.TxPvtReadWriteSet | null>();
        for (const [txNum, pvt] of update.kept) {
            ops.push({ type: 'put', key: blockKey(blockNum, txNum), value: Buffer.from(pvt.serializeBinary()) });
            pending.set(blockKey(blockNum, txNum).toString('latin1'), pvt);
        }
        // A write that a later transaction of the same block purges is never stored.
        const purgedLater = (w: PvtWrite, keyHash: Buffer) =>
            update.purges.some((p) => p.ns === w.ns && p.coll === w.coll && p.txNum > w.txNum && keyHash.equals(Buffer.from(p.keyHash)));
        for (const w of update.writes) {
            const keyHash = sha256(w.key);
            if (purgedLater(w, keyHash)) continue;
            const sk = stateKey(w.ns, w.coll, w.key);
            if (w.value === undefined) ops.push({ type: 'del', key: sk });
            else
                ops.push({
                    type: 'put',
                    key: sk,
                    value: encodeVersioned({ value: w.value, version: { blockNum: w.blockNum, txNum: w.txNum } }),
                });
            const at = Buffer.concat([u64(w.blockNum), u64(w.txNum)]);
            // The index keeps the key's name: a purge carries only its hash.
            ops.push({ type: 'put', key: Buffer.concat([indexPrefix(w.ns, w.coll, keyHash), at]), value: Buffer.from(w.key, 'utf8') });
            if (w.blockToLive > 0) {
                const expiry = Buffer.concat([
                    Buffer.from([P_EXPIRY]),
                    u64(w.blockNum + w.blockToLive + 1),
                    Buffer.from(w.ns),
                    SEP,
                    Buffer.from(w.coll),
                    SEP,
                    keyHash,
                    at,
                ]);
                ops.push({ type: 'put', key: expiry, value: Buffer.from(w.key, 'utf8') });
            }
        }
        for (const m of update.missing ?? [])
            ops.push({ type: 'put', key: missingKey(m), value: Buffer.concat([Buffer.from(m.hash), Buffer.from(m.txId, 'utf8')]) });
        let erased = false;
        for (const p of update.purges) {
            erased = true;
            await this.erase(p.ns, p.coll, p.keyHash, { purgeAt: { blockNum, txNum: p.txNum } }, ops, pending, update.writes);
        }
        // blockToLive: data written at block b with BTL n is kept through block b+n.
        const gte = Buffer.concat([Buffer.from([P_EXPIRY]), u64(0)]);
        for await (const [k, v] of expiring ? this.db.iterator({ gte, lte }) : []) {
            erased = true;
            ops.push({ type: 'del', key: k });
            const rest = k.subarray(9);
            const nsEnd = rest.indexOf(0);
            const collEnd = rest.indexOf(0, nsEnd + 1);
            const ns = rest.subarray(0, nsEnd).toString();
            const coll = rest.subarray(nsEnd + 1, collEnd).toString();
            const keyHash = rest.subarray(collEnd + 1, collEnd + 33);
            const at = { blockNum: readU64(rest, collEnd + 33), txNum: readU64(rest, collEnd + 41) };
            await this.erase(ns, coll, keyHash, { expiry: { key: v.toString('utf8'), upTo: at } }, ops, pending, update.writes);
        }
        // Private data must be on disk before its block reaches the block store. A block without any
        // only moves the savepoint: no fsync (after a crash, recovery finds nothing to keep anyway).
        const durable = ops.length > 0 || erased;
        ops.push({ type: 'put', key: K_SAVEPOINT, value: u64(blockNum) });
        await this.db.batch(ops, { sync: durable });
        this.#savepoint = blockNum;
        this.#earliestExpiry.committed(
            expiring || update.purges.length > 0,
            update.writes.filter((w) => w.blockToLive > 0).map((w) => w.blockNum + w.blockToLive + 1),
        );
        return erased;
    }

    readonly #earliestExpiry: EarliestDue;

    /** The private write set kept for one transaction, undefined when none is. */
    async getTx(blockNum: number, txNum: number): Promise<ledger.rwset.TxPvtReadWriteSet | undefined> {
        const raw = await this.db.get(blockKey(blockNum, txNum));
        return raw ? ledger.rwset.TxPvtReadWriteSet.deserializeBinary(raw) : undefined;
    }

    /** Missing private data, oldest block first (at most `limit` entries; 0 = all). */
    async missing(limit = 0): Promise<MissingPvtData[]> {
        const out: MissingPvtData[] = [];
        const opts: { gte: Buffer; lt: Buffer; limit?: number } = { gte: Buffer.from([P_MISSING]), lt: Buffer.from([P_MISSING + 1]) };
        if (limit > 0) opts.limit = limit;
        for await (const [k, v] of this.db.iterator(opts)) {
            const rest = k.subarray(17);
            const sep = rest.indexOf(0);
            out.push({
                blockNum: readU64(k, 1),
                txNum: readU64(k, 9),
                ns: rest.subarray(0, sep).toString('utf8'),
                coll: rest.subarray(sep + 1).toString('utf8'),
                hash: new Uint8Array(v.subarray(0, 32)),
                txId: v.subarray(32).toString('utf8'),
            });
        }
        return out;
    }

    /** Forgets missing entries that can never be filled (their data expired). */
    async dropMissing(entries: MissingPvtData[]): Promise<void> {
        if (entries.length === 0) return;
        await this.db.batch(
            entries.map((e) => ({ type: 'del' as const, key: missingKey(e) })),
            { sync: true },
        );
    }

    /**
     * Stores reconciled private data of old blocks in one synced batch: the current writes in the
     * private state (with their index and expiry entries, so a later purge or expiry finds them),
     * the collection in the transaction's kept write set, and the missing entry removed.
     */
    async commitReconciled(items: ReconciledPvtData[]): Promise<void> {
        const ops: Op[] = [];
        const sets = new Map<string, ledger.rwset.TxPvtReadWriteSet>();
        for (const item of items) {
            const { entry } = item;
            ops.push({ type: 'del', key: missingKey(entry) });
            for (const w of item.writes) {
                const keyHash = sha256(w.key);
                ops.push({
                    type: 'put',
                    key: stateKey(w.ns, w.coll, w.key),
                    value: encodeVersioned({ value: w.value ?? new Uint8Array(0), version: { blockNum: w.blockNum, txNum: w.txNum } }),
                });
                const at = Buffer.concat([u64(w.blockNum), u64(w.txNum)]);
                ops.push({ type: 'put', key: Buffer.concat([indexPrefix(w.ns, w.coll, keyHash), at]), value: Buffer.from(w.key, 'utf8') });
                if (w.blockToLive > 0) {
                    ops.push({
                        type: 'put',
                        key: Buffer.concat([
                            Buffer.from([P_EXPIRY]),
                            u64(w.blockNum + w.blockToLive + 1),
                            Buffer.from(w.ns),
                            SEP,
                            Buffer.from(w.coll),
                            SEP,
                            keyHash,
                            at,
                        ]),
                        value: Buffer.from(w.key, 'utf8'),
                    });
                }
            }
            for (const d of item.deletes) ops.push({ type: 'del', key: stateKey(d.ns, d.coll, d.key) });
            if (!item.kept) continue;
            const id = blockKey(entry.blockNum, entry.txNum).toString('latin1');
            let set = sets.get(id) ?? (await this.getTx(entry.blockNum, entry.txNum));
            if (!set) {
                set = new ledger.rwset.TxPvtReadWriteSet();
                set.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
            }
            let nsSet = set.getNsPvtRwsetList().find((n) => n.getNamespace() === entry.ns);
            if (!nsSet) {
                nsSet = new ledger.rwset.NsPvtReadWriteSet();
                nsSet.setNamespace(entry.ns);
                set.addNsPvtRwset(nsSet);
            }
            nsSet.setCollectionPvtRwsetList([
                ...nsSet.getCollectionPvtRwsetList().filter((c) => c.getCollectionName() !== entry.coll),
                item.kept,
            ]);
            sets.set(id, set);
            ops.push({ type: 'put', key: blockKey(entry.blockNum, entry.txNum), value: Buffer.from(set.serializeBinary()) });
        }
        if (ops.length === 0) return;
        await this.db.batch(ops, { sync: true });
        const due = items.flatMap((i) => i.writes.filter((w) => w.blockToLive > 0).map((w) => w.blockNum + w.blockToLive + 1));
        this.#earliestExpiry.committed(false, due);
    }

    /**
     * Removes a key from every stored write set that holds it and from the private state: for a
     * purge, every version written before the purging transaction (the state too, unless a later
     * transaction of the block wrote the key again); for an expiry, the versions up to the expiring
     * one (the state only when its current version is that old).
     */
    private async erase(
        ns: string,
        coll: string,
        keyHash: Uint8Array,
        mode: { purgeAt: { blockNum: number; txNum: number } } | { expiry: { key: string; upTo: { blockNum: number; txNum: number } } },
        ops: Op[],
        pending: Map<string, ledger.rwset.TxPvtReadWriteSet | null>,
        writesOfThisBlock: PvtWrite[],
    ): Promise<void> {
        const before = (b: number, t: number, at: { blockNum: number; txNum: number }, inclusive: boolean) =>
            b < at.blockNum || (b === at.blockNum && (inclusive ? t <= at.txNum : t < at.txNum));
        const inScope = (b: number, t: number) =>
            'purgeAt' in mode ? before(b, t, mode.purgeAt, false) : before(b, t, mode.expiry.upTo, true);
        const prefix = indexPrefix(ns, coll, keyHash);
        const versions: Buffer[] = [];
        let keyName: string | undefined = 'expiry' in mode ? mode.expiry.key : undefined;
        for await (const [k, v] of this.db.iterator({ gte: prefix, lte: Buffer.concat([prefix, Buffer.alloc(16, 0xff)]) })) {
            versions.push(k.subarray(prefix.length));
            keyName ??= v.toString('utf8');
        }
        // Writes of this same block are not in the index yet.
        const sameKey = (w: PvtWrite) => w.ns === ns && w.coll === coll && sha256(w.key).equals(Buffer.from(keyHash));
        for (const w of writesOfThisBlock) {
            if (!sameKey(w)) continue;
            versions.push(Buffer.concat([u64(w.blockNum), u64(w.txNum)]));
            keyName ??= w.key;
        }
        for (const at of versions) {
            const blockNum = readU64(at, 0);
            const txNum = readU64(at, 8);
            if (!inScope(blockNum, txNum)) continue;
            ops.push({ type: 'del', key: Buffer.concat([prefix, at]) });
            const bk = blockKey(blockNum, txNum);
            const id = bk.toString('latin1');
            let set = pending.get(id);
            if (set === undefined) {
                const raw = await this.db.get(bk);
                set = raw ? ledger.rwset.TxPvtReadWriteSet.deserializeBinary(raw) : null;
            }
            if (!set) continue;
            const { rewritten, removedKey } = removeKey(set, ns, coll, keyHash);
            keyName ??= removedKey;
            pending.set(id, rewritten);
            if (rewritten) ops.push({ type: 'put', key: bk, value: Buffer.from(rewritten.serializeBinary()) });
            else ops.push({ type: 'del', key: bk });
        }
        if (keyName === undefined) return;
        const sk = stateKey(ns, coll, keyName);
        if ('purgeAt' in mode) {
            const rewrittenLater = writesOfThisBlock.some((w) => sameKey(w) && w.txNum > mode.purgeAt.txNum);
            if (!rewrittenLater) ops.push({ type: 'del', key: sk });
            return;
        }
        const cur = await this.db.get(sk);
        const v = cur ? decodeVersioned(cur).version : undefined;
        const newer = writesOfThisBlock.some((w) => sameKey(w));
        if (v && !newer && before(v.blockNum, v.txNum, mode.expiry.upTo, true)) ops.push({ type: 'del', key: sk });
    }

    /**
     * Erasure in LevelDB. A memtable flush writes every version it holds (old value and its
     * tombstone alike) into one table file, and a manual compaction never rewrites a file that
     * sits at the deepest level it compacts: if a value and its erasure were flushed together to
     * that level, the value would stay on disk. So: flush() before the erasing batch puts the old
     * versions into a table file; the erasing batch then lands in a later file above it; compact()
     * flushes that (rotating and deleting the write-ahead log that held the batch) and merges it
     * down into the older file, rewriting it without the erased versions.
     */
    async compact(): Promise<void> {
        await this.db.compactRange(Buffer.from([0]), Buffer.from([0xff, 0xff]));
    }

    /** Flushes the memtable only (a range no key has: nothing else is compacted). */
    async flush(): Promise<void> {
        await this.db.compactRange(Buffer.from([0xfe]), Buffer.from([0xfe]));
    }
}

/** The write set without the writes of one key in one collection; null when nothing is left. */
function removeKey(
    set: ledger.rwset.TxPvtReadWriteSet,
    ns: string,
    coll: string,
    keyHash: Uint8Array,
): { rewritten: ledger.rwset.TxPvtReadWriteSet | null; removedKey?: string } {
    const out = new ledger.rwset.TxPvtReadWriteSet();
    out.setDataModel(set.getDataModel());
    let removedKey: string | undefined;
    const want = Buffer.from(keyHash);
    for (const nsSet of set.getNsPvtRwsetList()) {
        const nsOut = new ledger.rwset.NsPvtReadWriteSet();
        nsOut.setNamespace(nsSet.getNamespace());
        for (const c of nsSet.getCollectionPvtRwsetList()) {
            if (nsSet.getNamespace() !== ns || c.getCollectionName() !== coll) {
                nsOut.addCollectionPvtRwset(c);
                continue;
            }
            const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(c.getRwset_asU8());
            const writes = kv.getWritesList().filter((w) => {
                if (!sha256(w.getKey()).equals(want)) return true;
                removedKey = w.getKey();
                return false;
            });
            const metas = kv.getMetadataWritesList().filter((m) => !sha256(m.getKey()).equals(want));
            if (writes.length === 0 && metas.length === 0) continue;
            kv.setWritesList(writes);
            kv.setMetadataWritesList(metas);
            const cOut = new ledger.rwset.CollectionPvtReadWriteSet();
            cOut.setCollectionName(coll);
            cOut.setRwset(kv.serializeBinary());
            nsOut.addCollectionPvtRwset(cOut);
        }
        if (nsOut.getCollectionPvtRwsetList().length > 0) out.addNsPvtRwset(nsOut);
    }
    return { rewritten: out.getNsPvtRwsetList().length > 0 ? out : null, removedKey };
}
