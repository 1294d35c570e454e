// The block store (common/ledger/blkstorage): append-only block
// files that survive kill -9 (length-prefixed records, fsync, torn tail truncated on open) and an
// index by number, hash and transaction id. Used by the orderer and by every peer.
//
// On disk, in `dir`:
//   blockfile_000000,  records [u32 BE length][u32 BE crc32(block bytes)][common.Block bytes]; as
//   blockfile_000001.. Fabric's blockfileMgr, a block that would take a file past 64 MiB
//                      (defaultMaxBlockfileSize) starts the next file
//   index/             LevelDB: n<u64 number> -> (file, offset, length), h<header hash> -> number,
//                      t<tx id> -> (block, tx, validation code), c -> checkpoint (height, file, end)
// The files are the truth: a record is fsynced before it is indexed, so after a crash the index can
// only lag the files, and open() re-indexes the records past the checkpoint, in that file and the
// ones after it (truncating a torn last record, which was never acknowledged). Index values of
// 16 bytes (a ledger written when the store kept one file) are read as file 0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { common } from '@hyperledger/fabric-protos';
import { ClassicLevel } from 'classic-level';
import { blockDataHash, blockHeaderHash, parseEnvelope, transactionsFilter } from '../protoutil';
import { TxIdFilter } from './txidfilter';

export interface TxLocation {
    blockNumber: number;
    txNumber: number;
    /** TxValidationCode from the block's transactions filter (peers), or 0 (orderer). */
    validationCode: number;
}

export type BlockStoreErrorCode =
    | 'BLOCK_OUT_OF_ORDER'
    | 'PREVIOUS_HASH_MISMATCH'
    | 'DATA_HASH_MISMATCH'
    | 'BAD_BLOCK'
    | 'BLOCKSTORE_CORRUPT'
    | 'BLOCKSTORE_CLOSED'
    | 'WAIT_ABORTED';

export class BlockStoreError extends Error {
    constructor(
        readonly code: BlockStoreErrorCode,
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'BlockStoreError';
    }
}

/** Fabric's defaultMaxBlockfileSize (common/ledger/blkstorage/config.go). */
export const MAX_BLOCK_FILE_BYTES = 64 * 1024 * 1024;
/** Fabric's file names: blockfile_ and the file's number in six digits. */
export const blockFileName = (n: number): string => `blockfile_${String(n).padStart(6, '0')}`;
const RECORD_HEADER = 8;
/** A record longer than this is a torn or foreign length field, not a block. */
const MAX_RECORD = 512 * 1024 * 1024;
/** The newest blocks kept in memory, bounded by count and by bytes (a block may be up to absoluteMaxBytes). */
const RECENT_BLOCKS = 64;
const RECENT_BYTES = 32 * 1024 * 1024;

const numberKey = (n: number): Buffer => {
    const key = Buffer.alloc(9);
    key[0] = 0x6e; // 'n'
    key.writeBigUInt64BE(BigInt(n), 1);
    return key;
};
const hashKey = (hash: Uint8Array): Buffer => Buffer.concat([Buffer.from('h'), hash]);
const txKey = (txId: string): Buffer => Buffer.concat([Buffer.from('t'), Buffer.from(txId, 'utf8')]);
const CHECKPOINT_KEY = Buffer.from('c');

function encodeU64s(...values: number[]): Buffer {
    const v = Buffer.alloc(8 * values.length);
    for (const [i, x] of values.entries()) v.writeBigUInt64BE(BigInt(x), 8 * i);
    return v;
}
function decodeU64s(v: Buffer): number[] {
    return Array.from({ length: v.length / 8 }, (_, i) => Number(v.readBigUInt64BE(8 * i)));
}
/** A block's place, (file, offset, length); a 16-byte value (offset, length) is in file 0. */
function decodeLocation(v: Buffer): [number, number, number] {
    const [a, b, c] = decodeU64s(v);
    return v.length === 16 ? [0, a, b] : [a, b, c];
}
/** The checkpoint, (height, file, end); a 16-byte value (height, end) is in file 0. */
function decodeCheckpoint(v: Buffer | undefined): [number, number, number] {
    if (!v) return [0, 0, 0];
    const [a, b, c] = decodeU64s(v);
    return v.length === 16 ? [a, 0, b] : [a, b, c];
}

function encodeTxLocation(loc: TxLocation): Buffer {
    const v = Buffer.alloc(13);
    v.writeBigUInt64BE(BigInt(loc.blockNumber), 0);
    v.writeUInt32BE(loc.txNumber, 8);
    v[12] = loc.validationCode;
    return v;
}
function decodeTxLocation(v: Buffer): TxLocation {
    return { blockNumber: Number(v.readBigUInt64BE(0)), txNumber: v.readUInt32BE(8), validationCode: v[12] };
}

interface Waiter {
    number: number;
    resolve: () => void;
    reject: (err: Error) => void;
}

export class BlockStore {
    #height = 0;
    #lastHash: Uint8Array = new Uint8Array(0);
    /** The file the next record goes to, and where in it. */
    #current: { number: number; fd: fs.promises.FileHandle } | undefined;
    #end = 0;
    #closed = false;
    /** Serialises appends (and close) without blocking readers. */
    #queue: Promise<unknown> = Promise.resolve();
    #waiters = new Set<Waiter>();
    /** Recently appended or read blocks, by number: Deliver streams the newest blocks to every peer. */
    #recent = new Map<number, Uint8Array>();
    #recentBytes = 0;
    /**
     * The indexed transaction ids as a Bloom filter (txidfilter.ts): the endorser and the validator
     * ask about each new transaction, and nearly all are absent, which the filter answers without a
     * LevelDB round trip, in bounded memory. It is filled from the index in the background after
     * the store opens (so a peer with a large ledger serves at once); until then LevelDB answers.
     */
    #txIds = new TxIdFilter();
    #txIdsComplete = false;
    #filling: Promise<void> = Promise.resolve();

    private constructor(
        readonly dir: string,
        private readonly db: ClassicLevel<Buffer, Buffer>,
        private readonly maxFileBytes: number,
    ) {}

    /** `maxFileBytes`: where a block file ends (Fabric's 64 MiB unless a test says otherwise). */
    static async open(dir: string, options: { maxFileBytes?: number } = {}): Promise<BlockStore> {
        await fs.promises.mkdir(dir, { recursive: true });
        const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        await db.open();
        const store = new BlockStore(dir, db, options.maxFileBytes ?? MAX_BLOCK_FILE_BYTES);
        try {
            await store.#recover();
            store.#filling = store.#fillTxIds();
            return store;
        } catch (err) {
            await store.#current?.fd.close().catch(() => undefined);
            await db.close().catch(() => undefined);
            throw err;
        }
    }

    #path(file: number): string {
        return path.join(this.dir, blockFileName(file));
    }

    /** Opens a block file to append to, creating it (and making its directory entry durable). */
    async #openForAppend(file: number): Promise<fs.promises.FileHandle> {
        const created = !fs.existsSync(this.#path(file));
        // O_DSYNC: each append's write returns once the record is on disk (as write + fdatasync),
        // in one call to the thread pool instead of two: a block's latency pays every hop.
        const fd = await fs.promises.open(this.#path(file), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DSYNC, 0o644);
        if (created) {
            // Make the new file's directory entry durable too, or an OS crash could lose the whole file.
            const dirFd = await fs.promises.open(this.dir, fs.constants.O_RDONLY);
            await dirFd.sync().finally(() => dirFd.close());
        }
        return fd;
    }

    /**
     * Moves the appends to the next block file, as Fabric's moveToNextFile. Reads already issued
     * on the old handle finish first (FileHandle.close waits for them); later ones open the file.
     */
    async #nextFile(): Promise<void> {
        const old = this.#current!;
        this.#current = { number: old.number + 1, fd: await this.#openForAppend(old.number + 1) };
        this.#end = 0;
        await old.fd.close();
    }

    /** `length` bytes at `offset` of block file `file`. */
    async #read(file: number, offset: number, length: number): Promise<Buffer> {
        if (this.#closed) throw new BlockStoreError('BLOCKSTORE_CLOSED', `${this.dir} is closed`);
        const bytes = Buffer.alloc(length);
        let bytesRead: number;
        if (this.#current?.number === file) {
            ({ bytesRead } = await this.#current.fd.read(bytes, 0, length, offset));
        } else {
            // An older file: read rarely (a peer catching up, a query of an old block), so opened per read.
            const fd = await fs.promises.open(this.#path(file), fs.constants.O_RDONLY);
            try {
                ({ bytesRead } = await fd.read(bytes, 0, length, offset));
            } finally {
                await fd.close();
            }
        }
        if (bytesRead !== length)
            throw new BlockStoreError('BLOCKSTORE_CORRUPT', `${this.dir}: ${blockFileName(file)} is cut short at ${offset + bytesRead}`);
        return bytes;
    }

    /** Number of blocks stored (next block number). */
    get height(): number {
        return this.#height;
    }

    /** Hash of the last block's header, or empty when there is none. */
    get lastBlockHash(): Uint8Array {
        return this.#lastHash;
    }

    /** Brings the index up to the files, truncating a torn last record. */
    async #recover(): Promise<void> {
        const [indexedHeight, indexedFile, indexedEnd] = decodeCheckpoint(await this.db.get(CHECKPOINT_KEY));
        if (indexedEnd > 0 && !fs.existsSync(this.#path(indexedFile))) {
            throw new BlockStoreError(
                'BLOCKSTORE_CORRUPT',
                `${this.dir}: ${blockFileName(indexedFile)} is gone but the index covers ${indexedEnd} bytes of it`,
            );
        }
        this.#height = indexedHeight;
        if (indexedHeight > 0) {
            const last = await this.getBlock(indexedHeight - 1);
            if (!last?.getHeader())
                throw new BlockStoreError('BLOCKSTORE_CORRUPT', `${this.dir}: indexed block ${indexedHeight - 1} is unreadable`);
            this.#lastHash = blockHeaderHash(last.getHeader()!);
        }
        // Re-index what the files hold past the checkpoint: the rest of its file, then any later file.
        for (let number = indexedFile, start = indexedEnd; ; number++, start = 0) {
            const fd = await this.#openForAppend(number);
            this.#current = { number, fd };
            const size = (await fd.stat()).size;
            if (size < start) {
                throw new BlockStoreError(
                    'BLOCKSTORE_CORRUPT',
                    `${this.dir}: ${blockFileName(number)} is ${size} bytes but the index covers ${start}; the file was truncated outside the store`,
                );
            }
            const { end, torn } = await this.#reindex(number, start, size);
            this.#end = end;
            const last = !fs.existsSync(this.#path(number + 1));
            if (torn !== undefined && !last) {
                throw new BlockStoreError(
                    'BLOCKSTORE_CORRUPT',
                    `${this.dir}: ${blockFileName(number)} has a bad record at ${end} (${torn}) and a later file follows it`,
                );
            }
            if (torn !== undefined) {
                // A crash during append: the record was never fsynced nor acknowledged, drop it.
                await fd.truncate(end);
                await fd.sync();
                process.emitWarning(
                    `blkstorage ${this.dir}: truncated a torn record at offset ${end} of ${blockFileName(number)} (${torn}, ${size - end} bytes)`,
                );
            }
            if (last) return;
            this.#current = undefined;
            await fd.close();
        }
    }

    /** Indexes the records of block file `file` from `offset` to `size`; where they end, and why if early. */
    async #reindex(file: number, offset: number, size: number): Promise<{ end: number; torn?: string }> {
        const header = Buffer.alloc(RECORD_HEADER);
        const fd = this.#current!.fd;
        while (offset < size) {
            if (size - offset < RECORD_HEADER) return { end: offset, torn: 'partial record header' };
            await fd.read(header, 0, RECORD_HEADER, offset);
            const length = header.readUInt32BE(0);
            const crc = header.readUInt32BE(4);
            if (length === 0 || length > MAX_RECORD || offset + RECORD_HEADER + length > size)
                return { end: offset, torn: `record length ${length} runs past the end of the file` };
            const bytes = Buffer.alloc(length);
            await fd.read(bytes, 0, length, offset + RECORD_HEADER);
            if (zlib.crc32(bytes) !== crc) return { end: offset, torn: 'checksum mismatch' };
            let block: common.Block;
            try {
                block = common.Block.deserializeBinary(bytes);
            } catch (err) {
                throw new BlockStoreError(
                    'BLOCKSTORE_CORRUPT',
                    `${this.dir}: record at ${offset} of ${blockFileName(file)} has a valid checksum but is not a block: ${(err as Error).message}`,
                );
            }
            this.#checkChain(block);
            await this.#index(block, bytes, file, offset);
            offset += RECORD_HEADER + length;
        }
        return { end: offset };
    }

    /** Refuses a block that does not extend the chain. */
    #checkChain(block: common.Block): void {
        const header = block.getHeader();
        if (!header) throw new BlockStoreError('BAD_BLOCK', 'block has no header');
        if (header.getNumber() !== this.#height) {
            throw new BlockStoreError('BLOCK_OUT_OF_ORDER', `block number ${header.getNumber()} is not the next block ${this.#height}`);
        }
        if (this.#height > 0 && !Buffer.from(header.getPreviousHash_asU8()).equals(this.#lastHash)) {
            throw new BlockStoreError(
                'PREVIOUS_HASH_MISMATCH',
                `block ${header.getNumber()} does not carry the hash of block ${this.#height - 1}`,
            );
        }
        const data = block.getData() ?? new common.BlockData();
        if (!Buffer.from(header.getDataHash_asU8()).equals(blockDataHash(data))) {
            throw new BlockStoreError('DATA_HASH_MISMATCH', `block ${header.getNumber()} data hash does not match its data`);
        }
    }

    /** Reads every indexed id into the filter; ids indexed meanwhile are added by #index as well. */
    async #fillTxIds(): Promise<void> {
        try {
            for await (const key of this.db.keys({ gt: txKey(''), lt: Buffer.from('u') })) {
                if (this.#closed) return;
                this.#txIds.add(key.subarray(1).toString('utf8'));
            }
            this.#txIdsComplete = true;
        } catch {
            // The store closed under the scan, or LevelDB failed: LevelDB keeps answering every question.
        }
    }

    /** Whether the store may hold txId: false is certain. */
    #mayHold(txId: string): boolean {
        return !this.#txIdsComplete || this.#txIds.mightHave(txId);
    }

    /** Writes the index entries of a block already in block file `file` at `offset`, then advances height. */
    async #index(block: common.Block, bytes: Uint8Array, file: number, offset: number): Promise<void> {
        const header = block.getHeader()!;
        const number = header.getNumber();
        const hash = blockHeaderHash(header);
        const filter = transactionsFilter(block);
        const candidates: Array<[string, TxLocation]> = [];
        const seen = new Set<string>();
        block
            .getData()
            ?.getDataList_asU8()
            .forEach((envelope, txNumber) => {
                let txId: string;
                try {
                    txId = parseEnvelope(envelope).channelHeader.getTxId();
                } catch {
                    return; // not a transaction we can index; the validator flags it
                }
                if (!txId || seen.has(txId)) return;
                seen.add(txId);
                candidates.push([txId, { blockNumber: number, txNumber, validationCode: filter?.[txNumber] ?? 0 }]);
            });
        // The first transaction with an id keeps the index entry (later ones are DUPLICATE_TXID):
        // the ids the filter may hold are looked up, in one read; the others are certainly new.
        const unsure = candidates.filter(([txId]) => this.#mayHold(txId));
        const indexed = new Set<string>();
        if (unsure.length > 0) {
            const found = await this.db.getMany(unsure.map(([txId]) => txKey(txId)));
            unsure.forEach(([txId], i) => {
                if (found[i] !== undefined) indexed.add(txId);
            });
        }
        const end = offset + RECORD_HEADER + bytes.length;
        const batch = this.db.batch();
        batch.put(numberKey(number), encodeU64s(file, offset, bytes.length));
        batch.put(hashKey(hash), encodeU64s(number, 0));
        for (const [txId, loc] of candidates) if (!indexed.has(txId)) batch.put(txKey(txId), encodeTxLocation(loc));
        batch.put(CHECKPOINT_KEY, encodeU64s(number + 1, file, end));
        await batch.write();
        // An id already indexed is in the filter already (or in the index the background fill reads).
        for (const [txId] of candidates) if (!indexed.has(txId)) this.#txIds.add(txId);
        this.#height = number + 1;
        this.#lastHash = hash;
        this.#end = end;
        this.#remember(number, bytes);
    }

    #remember(number: number, bytes: Uint8Array): void {
        this.#recent.set(number, bytes);
        this.#recentBytes += bytes.length;
        while (this.#recent.size > RECENT_BLOCKS || (this.#recentBytes > RECENT_BYTES && this.#recent.size > 1)) {
            const [oldest, oldBytes] = this.#recent.entries().next().value as [number, Uint8Array];
            this.#recent.delete(oldest);
            this.#recentBytes -= oldBytes.length;
        }
    }

    /** Appends and fsyncs; the block must carry number === height and previous hash === lastBlockHash. */
    append(block: common.Block): Promise<void> {
        if (this.#closed) return Promise.reject(new BlockStoreError('BLOCKSTORE_CLOSED', `${this.dir} is closed`));
        const run = this.#queue.then(async () => {
            this.#checkChain(block);
            const bytes = block.serializeBinary();
            const record = Buffer.alloc(RECORD_HEADER + bytes.length);
            record.writeUInt32BE(bytes.length, 0);
            record.writeUInt32BE(zlib.crc32(bytes), 4);
            record.set(bytes, RECORD_HEADER);
            // As Fabric: a block that would take the file past its size starts the next file (a
            // block larger than that still gets a file of its own, not an empty one before it).
            if (this.#end > 0 && this.#end + record.length > this.maxFileBytes) await this.#nextFile();
            const { number: file, fd } = this.#current!;
            const offset = this.#end;
            await fd.write(record, 0, record.length, offset); // durable on return: O_DSYNC
            await this.#index(block, bytes, file, offset);
            this.#wake();
        });
        // A failed append must not poison the queue for the next caller.
        this.#queue = run.catch(() => undefined);
        return run;
    }

    #wake(): void {
        for (const waiter of this.#waiters) {
            if (this.#height > waiter.number) {
                this.#waiters.delete(waiter);
                waiter.resolve();
            }
        }
    }

    async getBlockBytes(number: number): Promise<Uint8Array | undefined> {
        if (!Number.isSafeInteger(number) || number < 0 || number >= this.#height) return undefined;
        const cached = this.#recent.get(number);
        if (cached) return cached;
        if (this.#closed) throw new BlockStoreError('BLOCKSTORE_CLOSED', `${this.dir} is closed`);
        const location = await this.db.get(numberKey(number));
        if (!location) return undefined;
        const [file, offset, length] = decodeLocation(location);
        const bytes = await this.#read(file, offset + RECORD_HEADER, length);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    }

    async getBlock(number: number): Promise<common.Block | undefined> {
        const bytes = await this.getBlockBytes(number);
        return bytes ? common.Block.deserializeBinary(bytes) : undefined;
    }

    async getBlockByHash(hash: Uint8Array): Promise<common.Block | undefined> {
        if (hash.length === 0) return undefined;
        const value = await this.db.get(hashKey(hash));
        return value ? this.getBlock(decodeU64s(value)[0]) : undefined;
    }

    async getTxLocation(txId: string): Promise<TxLocation | undefined> {
        if (!txId || !this.#mayHold(txId)) return undefined;
        const value = await this.db.get(txKey(txId));
        return value ? decodeTxLocation(value) : undefined;
    }

    /** The envelope bytes of a transaction and where it is (qscc GetTransactionByID). */
    async getTransaction(txId: string): Promise<{ envelope: Uint8Array; location: TxLocation } | undefined> {
        const location = await this.getTxLocation(txId);
        if (!location) return undefined;
        const block = await this.getBlock(location.blockNumber);
        const envelope = block?.getData()?.getDataList_asU8()[location.txNumber];
        return envelope ? { envelope, location } : undefined;
    }

    /** Resolves when height > number (a block with that number is stored), or rejects on abort. */
    waitForBlock(number: number, signal?: AbortSignal): Promise<void> {
        if (this.#height > number) return Promise.resolve();
        if (this.#closed) return Promise.reject(new BlockStoreError('BLOCKSTORE_CLOSED', `${this.dir} is closed`));
        if (signal?.aborted) return Promise.reject(new BlockStoreError('WAIT_ABORTED', `wait for block ${number} aborted`));
        return new Promise<void>((resolve, reject) => {
            const onAbort = () => {
                this.#waiters.delete(waiter);
                reject(new BlockStoreError('WAIT_ABORTED', `wait for block ${number} aborted`));
            };
            const waiter: Waiter = {
                number,
                resolve: () => {
                    signal?.removeEventListener('abort', onAbort);
                    resolve();
                },
                reject: (err) => {
                    signal?.removeEventListener('abort', onAbort);
                    reject(err);
                },
            };
            signal?.addEventListener('abort', onAbort, { once: true });
            this.#waiters.add(waiter);
        });
    }

    async close(): Promise<void> {
        if (this.#closed) return;
        // Let an append in flight finish: it was fsynced and must be indexed before we close.
        const pending = this.#queue;
        this.#closed = true;
        await pending;
        await this.#filling;
        for (const waiter of this.#waiters) waiter.reject(new BlockStoreError('BLOCKSTORE_CLOSED', `${this.dir} is closed`));
        this.#waiters.clear();
        this.#recent.clear();
        this.#recentBytes = 0;
        await this.#current?.fd.close();
        await this.db.close();
    }
}
