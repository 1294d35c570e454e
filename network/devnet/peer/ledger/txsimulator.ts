// Query executor and transaction simulator (core/ledger/kvledger/txmgmt/txmgr) with the
// read-write set builder (rwsetutil.RWSetBuilder): reads record the committed version (none for
// a key never written), range queries record a RangeQueryInfo with raw reads for the phantom
// check, private writes go to the private set and appear in the public set as hashes. Reads see
// committed state only: as in Fabric, a transaction does not read its own public writes.
import { ledger } from '@hyperledger/fabric-protos';
import { HistoryEntry, KV, QueryExecutor, RangePage, SimulationResults, TxSimulator, Version } from './types';
import { StateDB, Metadata } from './statedb';
import { PvtDataStore, sha256 } from './pvtdatastore';

/** Fabric's ledger.state.totalQueryLimit (core.yaml default): results of one query at most. */
export const TOTAL_QUERY_LIMIT = 100000;

/** The ledger parts a query executor reads. */
export interface LedgerReaders {
    state: StateDB;
    pvt: PvtDataStore;
    history(ns: string, key: string): Promise<HistoryEntry[]>;
}

/** Refusals of the simulator, with stable codes (the chaincode support turns them into errors). */
export class SimulationError extends Error {
    constructor(
        readonly code:
            | 'PAGINATED_QUERY_AFTER_WRITE'
            | 'WRITE_AFTER_PAGINATED_QUERY'
            | 'PVT_QUERY_AFTER_WRITE'
            | 'WRITE_AFTER_PVT_QUERY'
            | 'SIMULATION_DONE'
            | 'INVALID_ARGUMENT'
            | 'PVT_DATA_NOT_AVAILABLE',
        message: string,
    ) {
        // Fabric's words alone where the chaincode sees them as Fabric's (a read of missing private data).
        super(code === 'PVT_DATA_NOT_AVAILABLE' ? message : `${code}: ${message}`);
    }
}

/** Fabric's version.AreSame: both absent, or the same (block, tx). */
function sameVersion(a: Version | undefined, b: Version | undefined): boolean {
    if (!a || !b) return !a && !b;
    return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

/** Fabric's version.Height String(). */
const heightText = (v: Version | undefined): string => (v ? `{BlockNum: ${v.blockNum}, TxNum: ${v.txNum}}` : '<nil>');

const kv = ledger.rwset.kvrwset;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function wellFormed(s: string): boolean {
    return typeof s === 'string' && !LONE_SURROGATE.test(s);
}

/** Namespaces, collections and keys must be non-empty, well-formed UTF-16 (they are stored as UTF-8). */
function checkName(what: 'namespace' | 'collection', value: string): void {
    if (typeof value !== 'string' || value === '') throw new SimulationError('INVALID_ARGUMENT', `${what} must be a non-empty string`);
    if (!wellFormed(value)) throw new SimulationError('INVALID_ARGUMENT', `${what} is not valid UTF-8: it holds a lone surrogate`);
}

/**
 * Any key, the empty one included, for reads and writes: Fabric's LevelDB state database
 * refuses no key (stateleveldb ValidateKeyValue), nor do the peer's handler and validator; only
 * the shims refuse some (fabric-shim: an empty private data key, a simple key starting with 0x00).
 */
function checkKey(key: string): void {
    if (!wellFormed(key)) throw new SimulationError('INVALID_ARGUMENT', 'key is not valid UTF-8: it holds a lone surrogate');
}

function checkValue(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new SimulationError('INVALID_ARGUMENT', 'value must be bytes');
}

function toVersion(v: Version | undefined): ledger.rwset.kvrwset.Version | undefined {
    if (!v) return undefined;
    const out = new kv.Version();
    out.setBlockNum(v.blockNum);
    out.setTxNum(v.txNum);
    return out;
}

function newRead(key: string, v: Version | undefined): ledger.rwset.kvrwset.KVRead {
    const r = new kv.KVRead();
    r.setKey(key);
    const pv = toVersion(v);
    if (pv) r.setVersion(pv);
    return r;
}

function metadataEntries(metadata: Metadata): ledger.rwset.kvrwset.KVMetadataEntry[] {
    return Object.keys(metadata)
        .sort()
        .map((name) => {
            const e = new kv.KVMetadataEntry();
            e.setName(name);
            e.setValue(metadata[name]);
            return e;
        });
}

/** Sorts by UTF-8 bytes, as Go sorts strings (JS compares UTF-16 code units). */
function byteOrder(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
function sortedKeys<T>(m: Map<string, T>): string[] {
    return [...m.keys()].sort(byteOrder);
}

export class LedgerQueryExecutor implements QueryExecutor {
    constructor(protected readonly readers: LedgerReaders) {}

    async getState(ns: string, key: string): Promise<Uint8Array | undefined> {
        checkName('namespace', ns);
        checkKey(key);
        const v = await this.readers.state.getState(ns, key);
        this.recordRead(ns, key, v?.version);
        return v?.value;
    }

    async getStateMetadata(ns: string, key: string): Promise<Record<string, Uint8Array> | undefined> {
        checkName('namespace', ns);
        checkKey(key);
        const v = await this.readers.state.getState(ns, key);
        this.recordRead(ns, key, v?.version);
        return v?.metadata;
    }

    async getStateRange(ns: string, startKey: string, endKey: string, pageSize: number, bookmark: string): Promise<RangePage> {
        checkName('namespace', ns);
        if (!wellFormed(startKey) || !wellFormed(endKey) || !wellFormed(bookmark))
            throw new SimulationError('INVALID_ARGUMENT', 'range keys must be valid UTF-8');
        if (!Number.isInteger(pageSize) || pageSize < 0)
            throw new SimulationError('INVALID_ARGUMENT', `pageSize must be a non-negative integer, got ${pageSize}`);
        if (pageSize > 0) this.beforePaginatedQuery();
        // The shim resumes a paginated query from its bookmark: the first key of the next page.
        const from = pageSize > 0 && bookmark !== '' ? bookmark : startKey;
        const limit = pageSize > 0 ? Math.min(pageSize, TOTAL_QUERY_LIMIT) : TOTAL_QUERY_LIMIT;
        const rows = await this.readers.state.getRange(ns, from, endKey, limit + 1);
        const page = rows.slice(0, limit);
        const hasMore = rows.length > limit;
        // Fabric's QueryResponseGenerator stops as soon as it holds `limit` results, without asking
        // the iterator for one more: the range is then recorded as read up to its last key
        // (inclusive, not exhausted), so keys beyond the page do not make the tx a phantom read.
        // Fewer results: the iterator ran dry and the range is recorded up to its end key.
        const exhausted = page.length < limit;
        this.recordRange(
            ns,
            from,
            exhausted ? endKey : page[page.length - 1].key,
            exhausted,
            page.map((r) => ({ key: r.key, version: r.version })),
        );
        return {
            results: page.map((r) => ({ key: r.key, value: r.value })),
            hasMore,
            bookmark: pageSize > 0 && hasMore ? rows[limit].key : '',
            fetchedRecordsCount: page.length,
        };
    }

    async getPrivateData(ns: string, collection: string, key: string): Promise<Uint8Array | undefined> {
        checkName('namespace', ns);
        checkName('collection', collection);
        checkKey(key);
        const [v, hashed] = await Promise.all([
            this.readers.pvt.getPrivate(ns, collection, key),
            this.readers.state.getHashed(ns, collection, sha256(key)),
        ]);
        // As Fabric's query executor: the value must be the one whose hash the ledger holds (a
        // non-member peer, or a member that has not received or reconciled it yet, has none).
        if (!sameVersion(hashed?.version, v?.version)) {
            throw new SimulationError(
                'PVT_DATA_NOT_AVAILABLE',
                `private data matching public hash version is not available. Public hash version = ${heightText(hashed?.version)}, Private data version = ${heightText(v?.version)}`,
            );
        }
        this.recordHashedRead(ns, collection, key, v?.version);
        return v?.value;
    }

    async getPrivateDataHash(ns: string, collection: string, key: string): Promise<Uint8Array | undefined> {
        checkName('namespace', ns);
        checkName('collection', collection);
        checkKey(key);
        const v = await this.readers.state.getHashed(ns, collection, sha256(key));
        this.recordHashedRead(ns, collection, key, v?.version);
        return v?.value;
    }

    async getPrivateDataRange(ns: string, collection: string, startKey: string, endKey: string): Promise<RangePage> {
        checkName('namespace', ns);
        checkName('collection', collection);
        if (!wellFormed(startKey) || !wellFormed(endKey)) throw new SimulationError('INVALID_ARGUMENT', 'range keys must be valid UTF-8');
        this.beforePvtQuery();
        const rows = await this.readers.pvt.getPrivateRange(ns, collection, startKey, endKey, 0);
        const results: KV[] = rows.map((r) => ({ key: r.key, value: r.value }));
        return { results, hasMore: false, bookmark: '', fetchedRecordsCount: results.length };
    }

    async getHistoryForKey(ns: string, key: string): Promise<HistoryEntry[]> {
        checkName('namespace', ns);
        checkKey(key);
        return this.readers.history(ns, key);
    }

    // A query executor records nothing; the simulator overrides these.
    protected recordRead(_ns: string, _key: string, _v: Version | undefined): void {}
    protected recordRange(
        _ns: string,
        _start: string,
        _end: string,
        _exhausted: boolean,
        _reads: { key: string; version: Version }[],
    ): void {}
    protected recordHashedRead(_ns: string, _coll: string, _key: string, _v: Version | undefined): void {}
    protected beforePaginatedQuery(): void {}
    protected beforePvtQuery(): void {}
}

interface CollBuilder {
    reads: Map<string, Version | undefined>;
    /** null = delete; purge marks a PurgePrivateData. */
    writes: Map<string, { value: Uint8Array | null; purge: boolean }>;
    metadataWrites: Map<string, Metadata>;
}

interface NsBuilder {
    reads: Map<string, Version | undefined>;
    ranges: Map<string, ledger.rwset.kvrwset.RangeQueryInfo>;
    writes: Map<string, Uint8Array | null>;
    metadataWrites: Map<string, Metadata>;
    colls: Map<string, CollBuilder>;
}

export class LedgerTxSimulator extends LedgerQueryExecutor implements TxSimulator {
    private readonly nss = new Map<string, NsBuilder>();
    private writePerformed = false;
    private paginatedQueryPerformed = false;
    private pvtQueryPerformed = false;
    private done = false;

    constructor(
        readers: LedgerReaders,
        readonly txId: string,
    ) {
        super(readers);
    }

    private nsBuilder(ns: string): NsBuilder {
        let b = this.nss.get(ns);
        if (!b) {
            b = { reads: new Map(), ranges: new Map(), writes: new Map(), metadataWrites: new Map(), colls: new Map() };
            this.nss.set(ns, b);
        }
        return b;
    }

    private collBuilder(ns: string, coll: string): CollBuilder {
        const n = this.nsBuilder(ns);
        let c = n.colls.get(coll);
        if (!c) {
            c = { reads: new Map(), writes: new Map(), metadataWrites: new Map() };
            n.colls.set(coll, c);
        }
        return c;
    }

    private checkOpen(): void {
        if (this.done) throw new SimulationError('SIMULATION_DONE', `transaction ${this.txId}: simulation already ended`);
    }

    private beforeWrite(ns: string, key: string, collection?: string): void {
        this.checkOpen();
        checkName('namespace', ns);
        if (collection !== undefined) checkName('collection', collection);
        checkKey(key);
        if (this.paginatedQueryPerformed) {
            throw new SimulationError(
                'WRITE_AFTER_PAGINATED_QUERY',
                `txid [${this.txId}]: transaction has already performed a paginated query; writes are not allowed`,
            );
        }
        if (this.pvtQueryPerformed) {
            throw new SimulationError(
                'WRITE_AFTER_PVT_QUERY',
                `txid [${this.txId}]: transaction has already performed queries on private data; writes are not allowed`,
            );
        }
        this.writePerformed = true;
    }

    protected override beforePaginatedQuery(): void {
        this.checkOpen();
        if (this.writePerformed) {
            throw new SimulationError(
                'PAGINATED_QUERY_AFTER_WRITE',
                `txid [${this.txId}]: paginated queries are supported only in a read-only transaction`,
            );
        }
        this.paginatedQueryPerformed = true;
    }

    protected override beforePvtQuery(): void {
        this.checkOpen();
        if (this.writePerformed) {
            throw new SimulationError(
                'PVT_QUERY_AFTER_WRITE',
                `txid [${this.txId}]: queries on private data are supported only in a read-only transaction`,
            );
        }
        this.pvtQueryPerformed = true;
    }

    protected override recordRead(ns: string, key: string, v: Version | undefined): void {
        this.checkOpen();
        this.nsBuilder(ns).reads.set(key, v);
    }

    protected override recordRange(
        ns: string,
        start: string,
        end: string,
        exhausted: boolean,
        reads: { key: string; version: Version }[],
    ): void {
        this.checkOpen();
        const info = new kv.RangeQueryInfo();
        info.setStartKey(start);
        info.setEndKey(end);
        info.setItrExhausted(exhausted);
        const raw = new kv.QueryReads();
        raw.setKvReadsList(reads.map((r) => newRead(r.key, r.version)));
        info.setRawReads(raw);
        // Fabric's RWSetBuilder keys ranges by start, end and exhaustion.
        const id = `${start}\u0000${end}\u0000${exhausted}`;
        const ranges = this.nsBuilder(ns).ranges;
        if (!ranges.has(id)) ranges.set(id, info);
    }

    protected override recordHashedRead(ns: string, coll: string, key: string, v: Version | undefined): void {
        this.checkOpen();
        this.collBuilder(ns, coll).reads.set(key, v);
    }

    putState(ns: string, key: string, value: Uint8Array): void {
        this.beforeWrite(ns, key);
        checkValue(value);
        // An empty value is a delete in Fabric (FAB-18386).
        this.nsBuilder(ns).writes.set(key, value.length === 0 ? null : value);
    }

    deleteState(ns: string, key: string): void {
        this.beforeWrite(ns, key);
        this.nsBuilder(ns).writes.set(key, null);
    }

    setStateMetadata(ns: string, key: string, metadata: Record<string, Uint8Array>): void {
        this.beforeWrite(ns, key);
        if (!metadata || typeof metadata !== 'object')
            throw new SimulationError('INVALID_ARGUMENT', 'metadata must be a map of names to bytes');
        for (const v of Object.values(metadata)) checkValue(v);
        this.nsBuilder(ns).metadataWrites.set(key, metadata);
    }

    putPrivateData(ns: string, collection: string, key: string, value: Uint8Array): void {
        this.beforeWrite(ns, key, collection);
        checkValue(value);
        this.collBuilder(ns, collection).writes.set(key, { value: value.length === 0 ? null : value, purge: false });
    }

    deletePrivateData(ns: string, collection: string, key: string): void {
        this.beforeWrite(ns, key, collection);
        this.collBuilder(ns, collection).writes.set(key, { value: null, purge: false });
    }

    purgePrivateData(ns: string, collection: string, key: string): void {
        this.beforeWrite(ns, key, collection);
        this.collBuilder(ns, collection).writes.set(key, { value: null, purge: true });
    }

    results(): SimulationResults {
        this.checkOpen();
        this.done = true;
        const pub = new ledger.rwset.TxReadWriteSet();
        pub.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
        const pvt = new ledger.rwset.TxPvtReadWriteSet();
        pvt.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
        const writtenCollections: { ns: string; collection: string }[] = [];

        for (const ns of sortedKeys(this.nss)) {
            const b = this.nss.get(ns)!;
            const set = new kv.KVRWSet();
            for (const key of sortedKeys(b.reads)) set.addReads(newRead(key, b.reads.get(key)));
            for (const info of b.ranges.values()) set.addRangeQueriesInfo(info);
            for (const key of sortedKeys(b.writes)) {
                const w = new kv.KVWrite();
                w.setKey(key);
                const value = b.writes.get(key)!;
                if (value === null) w.setIsDelete(true);
                else w.setValue(value);
                set.addWrites(w);
            }
            for (const key of sortedKeys(b.metadataWrites)) {
                const m = new kv.KVMetadataWrite();
                m.setKey(key);
                m.setEntriesList(metadataEntries(b.metadataWrites.get(key)!));
                set.addMetadataWrites(m);
            }
            const nsSet = new ledger.rwset.NsReadWriteSet();
            nsSet.setNamespace(ns);
            nsSet.setRwset(set.serializeBinary());

            const nsPvt = new ledger.rwset.NsPvtReadWriteSet();
            nsPvt.setNamespace(ns);
            for (const coll of sortedKeys(b.colls)) {
                const c = b.colls.get(coll)!;
                const hashed = new kv.HashedRWSet();
                for (const key of sortedKeys(c.reads)) {
                    const r = new kv.KVReadHash();
                    r.setKeyHash(sha256(key));
                    const v = toVersion(c.reads.get(key));
                    if (v) r.setVersion(v);
                    hashed.addHashedReads(r);
                }
                const pvtSet = new kv.KVRWSet();
                for (const key of sortedKeys(c.writes)) {
                    const { value, purge } = c.writes.get(key)!;
                    const w = new kv.KVWrite();
                    w.setKey(key);
                    const h = new kv.KVWriteHash();
                    h.setKeyHash(sha256(key));
                    if (value === null) {
                        w.setIsDelete(true);
                        h.setIsDelete(true);
                        if (purge) h.setIsPurge(true);
                    } else {
                        w.setValue(value);
                        h.setValueHash(sha256(value));
                    }
                    pvtSet.addWrites(w);
                    hashed.addHashedWrites(h);
                }
                for (const key of sortedKeys(c.metadataWrites)) {
                    // The private set only names the key; the metadata itself lives with the hashed key.
                    const m = new kv.KVMetadataWrite();
                    m.setKey(key);
                    pvtSet.addMetadataWrites(m);
                    const mh = new kv.KVMetadataWriteHash();
                    mh.setKeyHash(sha256(key));
                    mh.setEntriesList(metadataEntries(c.metadataWrites.get(key)!));
                    hashed.addMetadataWrites(mh);
                }
                const collHashed = new ledger.rwset.CollectionHashedReadWriteSet();
                collHashed.setCollectionName(coll);
                collHashed.setHashedRwset(hashed.serializeBinary());
                if (c.writes.size > 0 || c.metadataWrites.size > 0) {
                    const pvtBytes = pvtSet.serializeBinary();
                    const collPvt = new ledger.rwset.CollectionPvtReadWriteSet();
                    collPvt.setCollectionName(coll);
                    collPvt.setRwset(pvtBytes);
                    nsPvt.addCollectionPvtRwset(collPvt);
                    collHashed.setPvtRwsetHash(sha256(pvtBytes));
                    writtenCollections.push({ ns, collection: coll });
                }
                nsSet.addCollectionHashedRwset(collHashed);
            }
            if (nsPvt.getCollectionPvtRwsetList().length > 0) pvt.addNsPvtRwset(nsPvt);
            pub.addNsRwset(nsSet);
        }
        return { public: pub, private: pvt.getNsPvtRwsetList().length > 0 ? pvt : undefined, writtenCollections };
    }
}
