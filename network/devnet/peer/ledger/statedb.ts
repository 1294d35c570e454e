// The versioned state database (core/ledger/kvledger/txmgmt/statedb): public key/values with
// their version (block, tx) and metadata, the hashed private state (SHA-256 of collection keys
// and values, kept on every peer), the history index and the savepoint, all in one LevelDB so
// that a block's updates and its savepoint land in ONE atomic batch. Point reads are synchronous
// (LevelDB's Get on the calling thread, as Fabric's goroutines read): a key of a transaction's
// read set is answered in microseconds from LevelDB's caches, where a read on libuv's thread pool
// costs a round trip and, on a quiet peer, two threads' wake-ups (docs/benchmarks.md, "One
// client"); range reads stay on the pool.
import { ClassicLevel } from 'classic-level';
import { ledger } from '@hyperledger/fabric-protos';
import { Version } from './types';

/** Record prefixes of the public state database. */
const P_DATA = 0x64; // 'd' ns \0 key
const P_HASHED = 0x68; // 'h' ns \0 coll \0 keyHash(32)
const P_HISTORY = 0x69; // 'i' ns \0 key \0 block(8) tx(8)
const P_EXPIRY = 0x65; // 'e' expiringAt(8) ns \0 coll \0 keyHash(32) -> block(8) tx(8) of the write
const K_SAVEPOINT = Buffer.from('s');
const K_CONFIG = Buffer.from('c');

export type Metadata = Record<string, Uint8Array>;

export interface VersionedValue {
    value: Uint8Array;
    version: Version;
    metadata?: Metadata;
}

export interface VersionedKV extends VersionedValue {
    key: string;
}

export function compareVersion(a: Version | undefined, b: Version | undefined): boolean {
    if (!a || !b) return a === b;
    return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

export function u64(n: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return b;
}

export function readU64(b: Uint8Array, offset: number): number {
    return Number(Buffer.from(b.buffer, b.byteOffset, b.byteLength).readBigUInt64BE(offset));
}

/**
 * The block at which the earliest expiry entry falls due (Infinity when none), for a store whose
 * expiry entries are keyed prefix ‖ u64 due block ‖ ...: read once from disk, then kept up to date
 * by each committed batch. Asked at every block, mostly when nothing expires: an iterator per
 * block cost more than the rest of a small block's commit.
 */
export class EarliestDue {
    #at: number | undefined;

    constructor(
        private readonly db: ClassicLevel<Buffer, Buffer>,
        private readonly prefix: number,
    ) {}

    async get(): Promise<number> {
        this.#at ??= await this.#read();
        return this.#at;
    }

    async #read(): Promise<number> {
        const range = { gte: Buffer.from([this.prefix]), lt: Buffer.from([this.prefix + 1]), limit: 1 };
        for await (const k of this.db.keys(range)) return readU64(k, 1);
        return Number.POSITIVE_INFINITY;
    }

    /** After a committed batch: entries removed, read again when next asked; entries added, it can only move earlier. */
    committed(removed: boolean, addedDue: Iterable<number>): void {
        if (removed) this.#at = undefined;
        else if (this.#at !== undefined) for (const due of addedDue) this.#at = Math.min(this.#at, due);
    }
}

const SEP = Buffer.from([0]);

export function dataKey(ns: string, key: string): Buffer {
    return Buffer.concat([Buffer.from([P_DATA]), Buffer.from(ns), SEP, Buffer.from(key, 'utf8')]);
}

export function hashedKey(ns: string, coll: string, keyHash: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from([P_HASHED]), Buffer.from(ns), SEP, Buffer.from(coll), SEP, Buffer.from(keyHash)]);
}

export function hashedPrefix(ns: string, coll: string): Buffer {
    return Buffer.concat([Buffer.from([P_HASHED]), Buffer.from(ns), SEP, Buffer.from(coll), SEP]);
}

function historyPrefix(ns: string, key: string): Buffer {
    return Buffer.concat([Buffer.from([P_HISTORY]), Buffer.from(ns), SEP, Buffer.from(key, 'utf8'), SEP]);
}

/** Encodes a metadata map as a KVMetadataWrite (entries sorted by name, as Fabric does). */
export function encodeMetadata(metadata: Metadata | undefined): Uint8Array {
    if (!metadata || Object.keys(metadata).length === 0) return new Uint8Array(0);
    const m = new ledger.rwset.kvrwset.KVMetadataWrite();
    for (const name of Object.keys(metadata).sort()) {
        const e = new ledger.rwset.kvrwset.KVMetadataEntry();
        e.setName(name);
        e.setValue(metadata[name]);
        m.addEntries(e);
    }
    return m.serializeBinary();
}

export function decodeMetadata(bytes: Uint8Array): Metadata | undefined {
    if (bytes.length === 0) return undefined;
    const m = ledger.rwset.kvrwset.KVMetadataWrite.deserializeBinary(bytes);
    const out: Metadata = {};
    for (const e of m.getEntriesList()) out[e.getName()] = e.getValue_asU8();
    return out;
}

/** Value record: block(8) tx(8) metaLen(4) meta value. */
export function encodeVersioned(v: VersionedValue): Buffer {
    const meta = encodeMetadata(v.metadata);
    const head = Buffer.alloc(20);
    head.writeBigUInt64BE(BigInt(v.version.blockNum), 0);
    head.writeBigUInt64BE(BigInt(v.version.txNum), 8);
    head.writeUInt32BE(meta.length, 16);
    return Buffer.concat([head, meta, v.value]);
}

export function decodeVersioned(b: Uint8Array): VersionedValue {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    const blockNum = Number(buf.readBigUInt64BE(0));
    const txNum = Number(buf.readBigUInt64BE(8));
    const metaLen = buf.readUInt32BE(16);
    const metadata = decodeMetadata(buf.subarray(20, 20 + metaLen));
    const value = new Uint8Array(buf.subarray(20 + metaLen));
    return metadata ? { value, version: { blockNum, txNum }, metadata } : { value, version: { blockNum, txNum } };
}

/** A pending public write (or delete) of one block, as the validator builds it. */
export interface PubUpdate {
    ns: string;
    key: string;
    /** undefined = delete. */
    value?: Uint8Array;
    metadata?: Metadata;
    version: Version;
}

export interface HashedUpdate {
    ns: string;
    coll: string;
    keyHash: Uint8Array;
    /** undefined = delete (or purge). */
    valueHash?: Uint8Array;
    metadata?: Metadata;
    version: Version;
    purge: boolean;
}

/**
 * The updates of the valid transactions of one block so far: later transactions of the same
 * block are validated against committed state plus these (Fabric's UpdateBatch).
 */
export interface ExpiryEntry {
    entryKey: Buffer;
    ns: string;
    coll: string;
    keyHash: Uint8Array;
    version: Version;
}

export class UpdateBatch {
    readonly pub = new Map<string, PubUpdate>();
    readonly hashed = new Map<string, HashedUpdate>();
    /** History entries (ns, key, block, tx), in commit order. */
    readonly history: { ns: string; key: string; version: Version }[] = [];
    /** Set when a config transaction of this block is valid. */
    configBlock = false;
    /** Hashed private writes of collections with a blockToLive: when they expire. */
    readonly expiries: { ns: string; coll: string; keyHash: Uint8Array; version: Version; expiringAt: number }[] = [];
    /** Expiry entries due at this block; `erase` when the hashed key still holds the expiring version. */
    readonly expired: (ExpiryEntry & { erase: boolean })[] = [];

    static pubId(ns: string, key: string): string {
        return dataKey(ns, key).toString('latin1');
    }
    static hashedId(ns: string, coll: string, keyHash: Uint8Array): string {
        return hashedKey(ns, coll, keyHash).toString('latin1');
    }
    /** Purges of the block's valid transactions, in order (a later write of the same key may follow one). */
    readonly purges: { ns: string; coll: string; keyHash: Uint8Array; version: Version }[] = [];
}

export class StateDB {
    private constructor(readonly db: ClassicLevel<Buffer, Buffer>) {
        this.#earliestExpiry = new EarliestDue(db, P_EXPIRY);
    }

    static async open(dir: string): Promise<StateDB> {
        const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        await db.open();
        return new StateDB(db);
    }

    async close(): Promise<void> {
        await this.db.close();
    }

    /** Last block whose updates are applied, or -1. */
    async savepoint(): Promise<number> {
        const v = await this.db.get(K_SAVEPOINT);
        return v ? readU64(v, 0) : -1;
    }

    /** Number of the last config block (0 = genesis). */
    async lastConfigBlock(): Promise<number> {
        const v = await this.db.get(K_CONFIG);
        return v ? readU64(v, 0) : 0;
    }

    async getState(ns: string, key: string): Promise<VersionedValue | undefined> {
        const v = this.db.getSync(dataKey(ns, key));
        return v ? decodeVersioned(v) : undefined;
    }

    async getMany(keys: Buffer[]): Promise<(VersionedValue | undefined)[]> {
        return keys.map((k) => {
            const v = this.db.getSync(k);
            return v ? decodeVersioned(v) : undefined;
        });
    }

    async getHashed(ns: string, coll: string, keyHash: Uint8Array): Promise<VersionedValue | undefined> {
        const v = this.db.getSync(hashedKey(ns, coll, keyHash));
        return v ? decodeVersioned(v) : undefined;
    }

    /**
     * Keys of ns in [startKey, endKey) ('' endKey = to the end of the namespace), or up to and
     * including endKey when inclusiveEnd; at most limit results (0 = no limit).
     */
    async getRange(ns: string, startKey: string, endKey: string, limit: number, inclusiveEnd = false): Promise<VersionedKV[]> {
        const prefixLen = 1 + Buffer.byteLength(ns) + 1;
        const gte = dataKey(ns, startKey);
        const opts: { gte: Buffer; lt?: Buffer; lte?: Buffer; limit?: number } = { gte };
        if (endKey === '') opts.lt = Buffer.concat([Buffer.from([P_DATA]), Buffer.from(ns), Buffer.from([1])]);
        else if (inclusiveEnd) opts.lte = dataKey(ns, endKey);
        else opts.lt = dataKey(ns, endKey);
        if (limit > 0) opts.limit = limit;
        const out: VersionedKV[] = [];
        for await (const [k, v] of this.db.iterator(opts)) {
            out.push({ key: k.subarray(prefixLen).toString('utf8'), ...decodeVersioned(v) });
        }
        return out;
    }

    /** Versions of (block, tx) at which the key was written, newest first. */
    async historyOf(ns: string, key: string): Promise<Version[]> {
        const prefix = historyPrefix(ns, key);
        const end = Buffer.concat([prefix, Buffer.alloc(16, 0xff)]);
        const out: Version[] = [];
        for await (const k of this.db.keys({ gte: prefix, lte: end, reverse: true })) {
            // A longer key that merely starts with ours ("a" vs "a\0b") has more bytes: skip it.
            if (k.length !== prefix.length + 16) continue;
            out.push({ blockNum: readU64(k, prefix.length), txNum: readU64(k, prefix.length + 8) });
        }
        return out;
    }

    /** Applies one block's updates, history and savepoint in a single LevelDB batch. */
    async applyBlock(blockNum: number, batch: UpdateBatch): Promise<void> {
        const ops: ({ type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer })[] = [];
        for (const u of batch.pub.values()) {
            const k = dataKey(u.ns, u.key);
            if (u.value === undefined) ops.push({ type: 'del', key: k });
            else ops.push({ type: 'put', key: k, value: encodeVersioned({ value: u.value, version: u.version, metadata: u.metadata }) });
        }
        for (const u of batch.hashed.values()) {
            const k = hashedKey(u.ns, u.coll, u.keyHash);
            if (u.valueHash === undefined) ops.push({ type: 'del', key: k });
            else
                ops.push({ type: 'put', key: k, value: encodeVersioned({ value: u.valueHash, version: u.version, metadata: u.metadata }) });
        }
        for (const h of batch.history) {
            ops.push({
                type: 'put',
                key: Buffer.concat([historyPrefix(h.ns, h.key), u64(h.version.blockNum), u64(h.version.txNum)]),
                value: Buffer.alloc(0),
            });
        }
        for (const e of batch.expiries) {
            const k = Buffer.concat([
                Buffer.from([P_EXPIRY]),
                u64(e.expiringAt),
                Buffer.from(e.ns),
                SEP,
                Buffer.from(e.coll),
                SEP,
                Buffer.from(e.keyHash),
            ]);
            ops.push({ type: 'put', key: k, value: Buffer.concat([u64(e.version.blockNum), u64(e.version.txNum)]) });
        }
        for (const e of batch.expired) {
            ops.push({ type: 'del', key: e.entryKey });
            if (e.erase) ops.push({ type: 'del', key: hashedKey(e.ns, e.coll, e.keyHash) });
        }
        if (batch.configBlock) ops.push({ type: 'put', key: K_CONFIG, value: u64(blockNum) });
        ops.push({ type: 'put', key: K_SAVEPOINT, value: u64(blockNum) });
        await this.db.batch(ops);
        this.#earliestExpiry.committed(
            batch.expired.length > 0,
            batch.expiries.map((e) => e.expiringAt),
        );
    }

    readonly #earliestExpiry: EarliestDue;

    /** Expiry entries due at or before a block (blockToLive of hashed private data). */
    async expiringBy(blockNum: number): Promise<ExpiryEntry[]> {
        const out: ExpiryEntry[] = [];
        if ((await this.#earliestExpiry.get()) > blockNum) return out;
        const lt = Buffer.concat([Buffer.from([P_EXPIRY]), u64(blockNum + 1)]);
        for await (const [k, v] of this.db.iterator({ gte: Buffer.from([P_EXPIRY]), lt })) {
            const rest = k.subarray(9);
            const nsEnd = rest.indexOf(0);
            const collEnd = rest.indexOf(0, nsEnd + 1);
            out.push({
                entryKey: k,
                ns: rest.subarray(0, nsEnd).toString(),
                coll: rest.subarray(nsEnd + 1, collEnd).toString(),
                keyHash: new Uint8Array(rest.subarray(collEnd + 1)),
                version: { blockNum: readU64(v, 0), txNum: readU64(v, 8) },
            });
        }
        return out;
    }

    /** Flushes the memtable only (see PvtDataStore.compact for why erasure needs it first). */
    async flush(): Promise<void> {
        await this.db.compactRange(Buffer.from([0xfe]), Buffer.from([0xfe]));
    }

    /** Flushes the memtable and rewrites the hashed records of a collection, dropping deleted hashes. */
    async compactHashed(ns: string, coll: string): Promise<void> {
        const prefix = hashedPrefix(ns, coll);
        await this.db.compactRange(prefix, Buffer.concat([prefix, Buffer.alloc(33, 0xff)]));
    }

    /** Compacts the whole hashed private state (at open, to finish an erasure a crash interrupted). */
    async compactAllHashed(): Promise<void> {
        await this.db.compactRange(Buffer.from([P_HASHED]), Buffer.from([P_HASHED + 1]));
    }

    /**
     * A consistent view of every public and hashed record, in key order (the input of stateDigest).
     * Taking it is instant; reading it does not hold up commits (a LevelDB snapshot).
     */
    snapshotRecords(): { savepoint: Promise<number>; records: AsyncGenerator<[Buffer, Buffer]> } {
        const snapshot = this.db.snapshot();
        const db = this.db;
        const savepoint = db.get(K_SAVEPOINT, { snapshot }).then((v) => (v ? readU64(v, 0) : -1));
        async function* records(): AsyncGenerator<[Buffer, Buffer]> {
            try {
                for (const prefix of [P_DATA, P_HASHED]) {
                    yield* db.iterator({ gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]), snapshot });
                }
            } finally {
                await snapshot.close();
            }
        }
        return { savepoint, records: records() };
    }
}
