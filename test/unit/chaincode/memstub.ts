// A faithful in-memory stand-in for the peer side of fabric-shim's ChaincodeStub: committed world
// state with versions and history, private data on member peers and its hashes everywhere, the
// transient map, composite keys (fabric-shim's own functions), range and partial-key queries with
// Fabric's pagination (bookmark = next key; no writes after a paginated query and vice versa),
// reads that never see the transaction's own writes, one event per transaction, tx id and time,
// the creator's serialized identity, and the peer's own MSP id (stub.getMspID()).

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChaincodeStub, Iterators } from 'fabric-shim-api';

// fabric-shim's ChaincodeStub: we borrow its pure composite-key functions.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ShimStub = require('fabric-shim/lib/stub.js') as {
    prototype: {
        createCompositeKey(t: string, a: string[]): string;
        splitCompositeKey(k: string): { objectType: string; attributes: string[] };
    };
};

export interface CollectionConfig {
    name: string;
    policy: string;
    memberOnlyRead: boolean;
    memberOnlyWrite: boolean;
}

export function loadCollections(
    file = join(__dirname, '../../../../chaincode/collections_config.json'),
): Map<string, { members: string[]; config: CollectionConfig }> {
    const configs = JSON.parse(readFileSync(file, 'utf8')) as CollectionConfig[];
    const out = new Map<string, { members: string[]; config: CollectionConfig }>();
    for (const c of configs) {
        const members = [...c.policy.matchAll(/'([A-Za-z0-9.-]+)\.member'/g)].map((m) => m[1] as string);
        out.set(c.name, { members, config: c });
    }
    return out;
}

function utf8Compare(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface HistoryItem {
    txId: string;
    timestamp: { seconds: number; nanos: number };
    isDelete: boolean;
    value: Buffer;
}

export interface TxRecord {
    txId: string;
    fcn: string;
    args: string[];
    writes: Map<string, Buffer | null>;
    pvtWrites: Map<string, Map<string, Buffer | null | 'purge'>>;
    event?: { name: string; payload: Buffer };
}

/** The committed ledger, shared by every peer: private values live only on member peers. */
export class MemoryLedger {
    readonly state = new Map<string, { value: Buffer; version: number }>();
    readonly history = new Map<string, HistoryItem[]>();
    /** Private values, as held by member peers. */
    readonly pvt = new Map<string, Map<string, Buffer>>();
    /** Hashes of private values, as held by every peer (from the hashed rwsets of blocks). */
    readonly pvtHash = new Map<string, Map<string, Buffer>>();
    readonly committed: TxRecord[] = [];
    readonly collections = loadCollections();
    private block = 0;

    commit(stub: MemoryStub): void {
        this.block++;
        const ts = stub.getDateTimestamp().getTime();
        const timestamp = { seconds: Math.floor(ts / 1000), nanos: (ts % 1000) * 1e6 };
        for (const [key, value] of stub.writes) {
            const list = this.history.get(key) ?? [];
            if (value === null) {
                this.state.delete(key);
                list.unshift({ txId: stub.getTxID(), timestamp, isDelete: true, value: Buffer.alloc(0) });
            } else {
                this.state.set(key, { value, version: this.block });
                list.unshift({ txId: stub.getTxID(), timestamp, isDelete: false, value });
            }
            this.history.set(key, list);
        }
        for (const [coll, writes] of stub.pvtWrites) {
            const values = this.pvt.get(coll) ?? new Map<string, Buffer>();
            const hashes = this.pvtHash.get(coll) ?? new Map<string, Buffer>();
            for (const [key, value] of writes) {
                if (value === null || value === 'purge') {
                    values.delete(key);
                    hashes.delete(key);
                } else {
                    values.set(key, value);
                    hashes.set(key, createHash('sha256').update(value).digest());
                }
            }
            this.pvt.set(coll, values);
            this.pvtHash.set(coll, hashes);
        }
        this.committed.push({
            txId: stub.getTxID(),
            fcn: stub.fcn,
            args: stub.params,
            writes: stub.writes,
            pvtWrites: stub.pvtWrites,
            event: stub.event,
        });
    }
}

export interface StubOptions {
    txId?: string;
    timestamp: Date;
    mspId: string;
    certPem: string;
    peerMspId: string;
    fcn: string;
    params: string[];
    transient?: Map<string, Uint8Array>;
    channelId?: string;
}

type QueryPromise<T> = Promise<T> & AsyncIterable<Iterators.KV>;

class ArrayIterator<T> implements Iterators.CommonIterator<T> {
    private i = 0;
    closed = false;
    constructor(private readonly items: T[]) {}
    async next(): Promise<Iterators.NextResult<T>> {
        if (this.closed) throw new Error('iterator closed');
        if (this.i < this.items.length) return { value: this.items[this.i++] as T, done: false };
        return { value: undefined as unknown as T, done: true };
    }
    async close(): Promise<void> {
        this.closed = true;
    }
}

/** One transaction's view of the ledger (what the peer's tx simulator gives the shim). */
export class MemoryStub {
    readonly writes = new Map<string, Buffer | null>();
    readonly pvtWrites = new Map<string, Map<string, Buffer | null | 'purge'>>();
    event?: { name: string; payload: Buffer };
    readonly fcn: string;
    readonly params: string[];
    readonly openIterators: ArrayIterator<unknown>[] = [];
    private readonly txId: string;
    private paginated = false;
    private wrote = false;

    constructor(
        private readonly ledger: MemoryLedger,
        private readonly opts: StubOptions,
    ) {
        this.fcn = opts.fcn;
        this.params = opts.params;
        this.txId = opts.txId ?? createHash('sha256').update(randomBytes(24)).update(opts.certPem).digest('hex');
    }

    // ---- proposal ----
    getArgs(): string[] {
        return [this.fcn, ...this.params];
    }
    getStringArgs(): string[] {
        return this.getArgs();
    }
    getBufferArgs(): Buffer[] {
        return this.getArgs().map((a) => Buffer.from(a, 'utf8'));
    }
    getFunctionAndParameters(): { fcn: string; params: string[] } {
        return { fcn: this.fcn, params: this.params };
    }
    getTxID(): string {
        return this.txId;
    }
    getChannelID(): string {
        return this.opts.channelId ?? 'citizencards';
    }
    getCreator(): { mspid: string; idBytes: Uint8Array } {
        return { mspid: this.opts.mspId, idBytes: Buffer.from(this.opts.certPem, 'utf8') };
    }
    getMspID(): string {
        return this.opts.peerMspId;
    }
    getTransient(): Map<string, Uint8Array> {
        return this.opts.transient ?? new Map();
    }
    getDateTimestamp(): Date {
        return new Date(this.opts.timestamp.getTime());
    }
    getTxTimestamp(): { seconds: { toNumber(): number }; nanos: number } {
        const ms = this.opts.timestamp.getTime();
        return { seconds: { toNumber: () => Math.floor(ms / 1000) }, nanos: (ms % 1000) * 1e6 };
    }
    getSignedProposal(): undefined {
        return undefined;
    }
    getBinding(): string {
        return '';
    }

    // ---- public state ----
    async getState(key: string): Promise<Uint8Array> {
        this.#checkKey(key);
        return Buffer.from(this.ledger.state.get(key)?.value ?? Buffer.alloc(0));
    }
    async putState(key: string, value: Uint8Array): Promise<void> {
        this.#checkKey(key);
        this.#beforeWrite();
        this.writes.set(key, value && value.length > 0 ? Buffer.from(value) : null);
    }
    async deleteState(key: string): Promise<void> {
        this.#checkKey(key);
        this.#beforeWrite();
        this.writes.set(key, null);
    }

    getStateByRange(startKey: string, endKey: string): QueryPromise<Iterators.StateQueryIterator> {
        this.#checkSimpleKey(startKey);
        this.#checkSimpleKey(endKey);
        return this.#query(() => new ArrayIterator(this.#scan(startKey || '\u0001', endKey)));
    }
    getStateByRangeWithPagination(startKey: string, endKey: string, pageSize: number, bookmark?: string) {
        this.#checkSimpleKey(startKey);
        this.#checkSimpleKey(endKey);
        return this.#paged(startKey || '\u0001', endKey, pageSize, bookmark);
    }
    getStateByPartialCompositeKey(objectType: string, attributes: string[]): QueryPromise<Iterators.StateQueryIterator> {
        const start = this.createCompositeKey(objectType, attributes);
        return this.#query(() => new ArrayIterator(this.#scan(start, start + '\u{10ffff}')));
    }
    getStateByPartialCompositeKeyWithPagination(objectType: string, attributes: string[], pageSize: number, bookmark?: string) {
        const start = this.createCompositeKey(objectType, attributes);
        return this.#paged(start, start + '\u{10ffff}', pageSize, bookmark);
    }
    getQueryResult(): never {
        // LevelDB state database: rich queries are not supported (as the devnet answers).
        throw new Error('ExecuteQuery not supported for leveldb');
    }
    getQueryResultWithPagination(): never {
        throw new Error('ExecuteQuery not supported for leveldb');
    }
    getHistoryForKey(key: string): Promise<Iterators.HistoryQueryIterator> & AsyncIterable<Iterators.KeyModification> {
        const items = (this.ledger.history.get(key) ?? []).map((h) => ({ ...h, value: Buffer.from(h.value) }));
        const it = new ArrayIterator(items as unknown as Iterators.KeyModification[]);
        this.openIterators.push(it as ArrayIterator<unknown>);
        const p = Promise.resolve(it) as unknown as Promise<Iterators.HistoryQueryIterator> & AsyncIterable<Iterators.KeyModification>;
        p[Symbol.asyncIterator] = async function* () {
            for (const x of items) yield x as unknown as Iterators.KeyModification;
        };
        return p;
    }

    createCompositeKey(objectType: string, attributes: string[]): string {
        return ShimStub.prototype.createCompositeKey.call(this, objectType, attributes);
    }
    splitCompositeKey(compositeKey: string): { objectType: string; attributes: string[] } {
        return ShimStub.prototype.splitCompositeKey.call(this, compositeKey);
    }

    setEvent(name: string, payload: Uint8Array): void {
        if (!name) throw new Error('Event name must be a non-empty string');
        this.event = { name, payload: Buffer.from(payload) };
    }

    // ---- private data ----
    async getPrivateData(collection: string, key: string): Promise<Uint8Array> {
        const coll = this.#collection(collection);
        if (coll.config.memberOnlyRead && !coll.members.includes(this.opts.mspId)) {
            throw new Error(
                `tx creator does not have read access permission on privatedata in chaincodeName:citizencard collectionName: ${collection}`,
            );
        }
        // A non-member peer holds no private values, only their hashes.
        if (!coll.members.includes(this.opts.peerMspId)) return Buffer.alloc(0);
        return Buffer.from(this.ledger.pvt.get(collection)?.get(key) ?? Buffer.alloc(0));
    }
    async getPrivateDataHash(collection: string, key: string): Promise<Uint8Array> {
        this.#collection(collection);
        return Buffer.from(this.ledger.pvtHash.get(collection)?.get(key) ?? Buffer.alloc(0));
    }
    async putPrivateData(collection: string, key: string, value: Uint8Array): Promise<void> {
        this.#pvtWrite(collection, key, value && value.length > 0 ? Buffer.from(value) : null);
    }
    async deletePrivateData(collection: string, key: string): Promise<void> {
        this.#pvtWrite(collection, key, null);
    }
    async purgePrivateData(collection: string, key: string): Promise<void> {
        this.#pvtWrite(collection, key, 'purge');
    }

    // ---- internals ----
    #collection(name: string) {
        const coll = this.ledger.collections.get(name);
        if (!coll) throw new Error(`collection ${name} not found in the chaincode definition`);
        return coll;
    }
    #pvtWrite(collection: string, key: string, value: Buffer | null | 'purge'): void {
        const coll = this.#collection(collection);
        if (!key) throw new Error('key must be a valid string');
        if (coll.config.memberOnlyWrite && !coll.members.includes(this.opts.mspId)) {
            throw new Error(
                `tx creator does not have write access permission on privatedata in chaincodeName:citizencard collectionName: ${collection}`,
            );
        }
        this.#beforeWrite();
        const m = this.pvtWrites.get(collection) ?? new Map<string, Buffer | null | 'purge'>();
        m.set(key, value);
        this.pvtWrites.set(collection, m);
    }
    #checkKey(key: string): void {
        if (typeof key !== 'string' || key.length === 0) throw new Error('key must not be an empty string');
        if (Buffer.from(key, 'utf8').toString('utf8') !== key) throw new Error('key is not valid UTF-8');
    }
    #checkSimpleKey(key: string): void {
        if (key && key.charAt(0) === '\u0000')
            throw new Error(`first character of the key [${key}] contains a null character which is not allowed`);
    }
    #beforeWrite(): void {
        if (this.paginated)
            throw new Error(
                `txid [${this.txId}]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed`,
            );
        this.wrote = true;
    }
    #scan(start: string, end: string): Iterators.KV[] {
        return [...this.ledger.state.keys()]
            .filter((k) => utf8Compare(k, start) >= 0 && (end === '' || utf8Compare(k, end) < 0))
            .sort(utf8Compare)
            .map((key) => ({ namespace: 'citizencard', key, value: Buffer.from((this.ledger.state.get(key) as { value: Buffer }).value) }));
    }
    #query(make: () => ArrayIterator<Iterators.KV>): QueryPromise<Iterators.StateQueryIterator> {
        const it = make();
        this.openIterators.push(it as ArrayIterator<unknown>);
        const p = Promise.resolve(it) as unknown as QueryPromise<Iterators.StateQueryIterator>;
        const items = it;
        p[Symbol.asyncIterator] = async function* () {
            for (let r = await items.next(); !r.done; r = await items.next()) yield r.value;
            await items.close();
        };
        return p;
    }
    #paged(start: string, end: string, pageSize: number, bookmark?: string) {
        if (this.wrote) {
            return Promise.reject(
                new Error(`txid [${this.txId}]: unsuppored transaction. Paginated queries are supported only in a read-only transaction`),
            ) as never;
        }
        this.paginated = true;
        if (!Number.isInteger(pageSize) || pageSize <= 0) return Promise.reject(new Error('pageSize must be a positive integer')) as never;
        const all = this.#scan(bookmark ? bookmark : start, end);
        const page = all.slice(0, pageSize);
        const next = all[pageSize]?.key ?? '';
        const it = new ArrayIterator(page);
        this.openIterators.push(it as ArrayIterator<unknown>);
        // An all-default QueryResponseMetadata is empty on the wire, and the shim then gives no metadata.
        const metadata = page.length === 0 && next === '' ? undefined : { fetchedRecordsCount: page.length, bookmark: next };
        return Promise.resolve({ iterator: it, metadata: metadata as { fetchedRecordsCount: number; bookmark: string } });
    }
}

/** The type the contracts see (fabric-shim-api's interface). */
export function asChaincodeStub(stub: MemoryStub): ChaincodeStub {
    return stub as unknown as ChaincodeStub;
}
