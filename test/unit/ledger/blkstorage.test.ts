// The block store: append, index, refusals, reopen, torn tail, index rebuild, block files that
// roll over at their size, the one-file layout of older ledgers, and kill -9.
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { blockHeaderHash } from '../../../network/devnet/common/protoutil';
import { ClassicLevel } from 'classic-level';
import { BlockStore, BlockStoreError, blockFileName } from '../../../network/devnet/common/ledger/blkstorage';
import { TxIdFilter } from '../../../network/devnet/common/ledger/txidfilter';
import { exitOf } from '../../deadline';
import { chain, nextBlock } from './blocks';

const BLOCK_FILE = 'blockfile_000000';
/** A block file size that a few test blocks fill (theirs is Fabric's 64 MiB). */
const SMALL_FILE = 4096;
/** Room for about two of the kill test's blocks: its four rounds, a block or more each, roll over. */
const TINY_FILE = 600;

async function rejection(p: Promise<unknown>): Promise<BlockStoreError> {
    try {
        await p;
    } catch (err) {
        return err as BlockStoreError;
    }
    throw new Error('expected a rejection');
}

describe('BlockStore (blkstorage)', () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blkstorage-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const blockFiles = () =>
        fs
            .readdirSync(dir)
            .filter((f) => f.startsWith('blockfile_'))
            .sort();

    async function storeWith(count: number): Promise<{ store: BlockStore; blocks: ReturnType<typeof chain> }> {
        const store = await BlockStore.open(dir);
        const blocks = chain(count);
        for (const b of blocks) await store.append(b);
        return { store, blocks };
    }

    it('given an empty folder, when blocks are appended, then they are found by number, hash and tx id', async () => {
        const store = await BlockStore.open(dir);
        expect(store.height).to.equal(0);
        expect(store.lastBlockHash.length).to.equal(0);
        const b0 = nextBlock(undefined, ['a', 'b']);
        const b1 = nextBlock(b0, ['c', 'd', 'e'], [0, 11, 0]);
        await store.append(b0);
        await store.append(b1);
        expect(store.height).to.equal(2);
        expect(Buffer.from(store.lastBlockHash)).to.deep.equal(Buffer.from(blockHeaderHash(b1.getHeader()!)));
        expect(Buffer.from((await store.getBlockBytes(1))!)).to.deep.equal(Buffer.from(b1.serializeBinary()));
        expect((await store.getBlockByHash(blockHeaderHash(b0.getHeader()!)))!.getHeader()!.getNumber()).to.equal(0);
        expect(await store.getTxLocation('d')).to.deep.equal({ blockNumber: 1, txNumber: 1, validationCode: 11 });
        expect(await store.getTxLocation('a')).to.deep.equal({ blockNumber: 0, txNumber: 0, validationCode: 0 });
        expect(await store.getTxLocation('nope')).to.equal(undefined);
        expect(await store.getBlock(2)).to.equal(undefined);
        expect(await store.getBlock(-1)).to.equal(undefined);
        expect((await store.getTransaction('e'))!.location.txNumber).to.equal(2);
        await store.close();
    });

    it('keeps the first transaction of a duplicated tx id in the index', async () => {
        const store = await BlockStore.open(dir);
        const b0 = nextBlock(undefined, ['dup', 'x']);
        const b1 = nextBlock(b0, ['dup'], [30]);
        await store.append(b0);
        await store.append(b1);
        expect(await store.getTxLocation('dup')).to.deep.equal({ blockNumber: 0, txNumber: 0, validationCode: 0 });
        await store.close();
    });

    it('given a reopened store, when duplicate tx ids come right after the open (its ids perhaps not read back yet) and later, then the first transaction keeps the index entry', async () => {
        const store = await BlockStore.open(dir);
        const b0 = nextBlock(undefined, ['dup', 'x']);
        await store.append(b0);
        await store.close();
        // Right after open: the background read of the index has not finished; LevelDB answers.
        const again = await BlockStore.open(dir);
        const b1 = nextBlock(b0, ['dup', 'y'], [30, 0]);
        await again.append(b1);
        expect(await again.getTxLocation('dup')).to.deep.equal({ blockNumber: 0, txNumber: 0, validationCode: 0 });
        expect(await again.getTxLocation('x')).to.deep.equal({ blockNumber: 0, txNumber: 1, validationCode: 0 });
        // Later, with the filter complete.
        await new Promise((r) => setTimeout(r, 50));
        await again.append(nextBlock(b1, ['x', 'z'], [30, 0]));
        expect(await again.getTxLocation('x')).to.deep.equal({ blockNumber: 0, txNumber: 1, validationCode: 0 });
        expect(await again.getTxLocation('y')).to.deep.equal({ blockNumber: 1, txNumber: 1, validationCode: 0 });
        expect(await again.getTxLocation('z')).to.deep.equal({ blockNumber: 2, txNumber: 1, validationCode: 0 });
        expect(await again.getTxLocation('never')).to.equal(undefined);
        await again.close();
    });

    it('TxIdFilter: never forgets an id, grows by layers past its capacity, and says "maybe" for about 1 % of absent ids', () => {
        const filter = new TxIdFilter(1000);
        const ids = Array.from({ length: 20_000 }, (_, i) => `tx-${i}-${(i * 2654435761) >>> 0}`);
        for (const id of ids) filter.add(id);
        expect(ids.every((id) => filter.mightHave(id))).to.equal(true);
        expect(filter.count).to.equal(20_000);
        // Layers of 1,000, 2,000, ... 16,000: 31,000 ids of room, about 10 bits each.
        expect(filter.bytes).to.be.within((31_000 * 10) / 8, (31_000 * 10) / 8 + 5 * 4);
        let maybe = 0;
        for (let i = 0; i < 20_000; i++) if (filter.mightHave(`absent-${i}`)) maybe++;
        // Each of the five layers answers "maybe" for about 1 % (never worse than a few per cent).
        expect(maybe / 20_000).to.be.below(0.06);
        const empty = new TxIdFilter();
        expect(empty.mightHave('anything')).to.equal(false);
    });

    it('refuses a block out of order, with a wrong previous hash or a wrong data hash', async () => {
        const { store, blocks } = await storeWith(2);
        expect((await rejection(store.append(blocks[1]))).code).to.equal('BLOCK_OUT_OF_ORDER');
        const forged = nextBlock(blocks[0], ['z']);
        forged.getHeader()!.setNumber(2);
        expect((await rejection(store.append(forged))).code).to.equal('PREVIOUS_HASH_MISMATCH');
        const badData = nextBlock(blocks[1], ['y']);
        badData.getHeader()!.setDataHash(new Uint8Array(32));
        expect((await rejection(store.append(badData))).code).to.equal('DATA_HASH_MISMATCH');
        // A refused append does not block the next one.
        await store.append(nextBlock(blocks[1], ['ok']));
        expect(store.height).to.equal(3);
        await store.close();
        expect((await rejection(store.append(nextBlock(blocks[1], ['late'])))).code).to.equal('BLOCKSTORE_CLOSED');
    });

    it('given a closed store, when reopened, then height, last hash and indexes are back', async () => {
        const { store, blocks } = await storeWith(5);
        await store.close();
        const again = await BlockStore.open(dir);
        expect(again.height).to.equal(5);
        expect(Buffer.from(again.lastBlockHash)).to.deep.equal(Buffer.from(blockHeaderHash(blocks[4].getHeader()!)));
        expect(await again.getTxLocation('tx-3-1')).to.deep.equal({ blockNumber: 3, txNumber: 1, validationCode: 0 });
        await again.append(nextBlock(blocks[4], ['more']));
        expect(again.height).to.equal(6);
        await again.close();
    });

    /** Opens the store, catching the warnings it emits (asserted here, not printed among passing tests). */
    async function openWarned(options: { maxFileBytes?: number } = {}): Promise<{ store: BlockStore; warnings: string[] }> {
        const printers = process.listeners('warning');
        const warnings: string[] = [];
        const capture = (w: Error) => warnings.push(w.message);
        process.removeAllListeners('warning');
        process.on('warning', capture);
        try {
            const store = await BlockStore.open(dir, options);
            await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
            return { store, warnings };
        } finally {
            process.off('warning', capture);
            for (const p of printers) process.on('warning', p);
        }
    }

    it('given a torn last record (partial write), when reopened, then it is truncated and the chain continues', async () => {
        const { store, blocks } = await storeWith(3);
        await store.close();
        const file = path.join(dir, BLOCK_FILE);
        const goodSize = fs.statSync(file).size;
        const torn = Buffer.alloc(8 + 10);
        torn.writeUInt32BE(1000, 0); // claims 1000 bytes, only 10 written
        fs.appendFileSync(file, torn);
        const { store: again, warnings } = await openWarned();
        expect(warnings).to.have.length(1);
        expect(warnings[0]).to.match(/truncated a torn record .*record length 1000 runs past the end of the file/);
        expect(again.height).to.equal(3);
        expect(fs.statSync(file).size).to.equal(goodSize);
        await again.append(nextBlock(blocks[2], ['after-crash']));
        expect((await again.getBlock(3))!.getHeader()!.getNumber()).to.equal(3);
        await again.close();
    });

    it('given a last record whose checksum does not match, when reopened, then it is dropped', async () => {
        const { store, blocks } = await storeWith(2);
        const file = path.join(dir, BLOCK_FILE);
        const goodSize = fs.statSync(file).size;
        await store.close();
        const bytes = Buffer.from(nextBlock(blocks[1], ['half']).serializeBinary());
        const rec = Buffer.alloc(8 + bytes.length);
        rec.writeUInt32BE(bytes.length, 0);
        rec.writeUInt32BE(12345, 4);
        bytes.copy(rec, 8);
        fs.appendFileSync(file, rec);
        const { store: again, warnings } = await openWarned();
        expect(warnings).to.have.length(1);
        expect(warnings[0]).to.match(/truncated a torn record .*checksum mismatch/);
        expect(again.height).to.equal(2);
        expect(fs.statSync(file).size).to.equal(goodSize);
        await again.close();
    });

    it('given an index that lags the file, when reopened, then the missing blocks are re-indexed', async () => {
        const { store, blocks } = await storeWith(2);
        await store.close();
        fs.cpSync(path.join(dir, 'index'), path.join(dir, 'index-at-2'), { recursive: true });
        const more = await BlockStore.open(dir);
        const b2 = nextBlock(blocks[1], ['late-1'], [0]);
        const b3 = nextBlock(b2, ['late-2'], [10]);
        await more.append(b2);
        await more.append(b3);
        await more.close();
        fs.rmSync(path.join(dir, 'index'), { recursive: true });
        fs.renameSync(path.join(dir, 'index-at-2'), path.join(dir, 'index'));
        const again = await BlockStore.open(dir);
        expect(again.height).to.equal(4);
        expect(await again.getTxLocation('late-2')).to.deep.equal({ blockNumber: 3, txNumber: 0, validationCode: 10 });
        expect((await again.getBlockByHash(blockHeaderHash(b3.getHeader()!)))!.getHeader()!.getNumber()).to.equal(3);
        await again.close();
    });

    it('given no index at all, when reopened, then it is rebuilt from the file', async () => {
        const { store } = await storeWith(4);
        await store.close();
        fs.rmSync(path.join(dir, 'index'), { recursive: true });
        const again = await BlockStore.open(dir);
        expect(again.height).to.equal(4);
        expect(await again.getTxLocation('tx-0-1')).to.deep.equal({ blockNumber: 0, txNumber: 1, validationCode: 0 });
        await again.close();
    });

    it('refuses to open when the file is shorter than the index says', async () => {
        const { store } = await storeWith(3);
        await store.close();
        fs.truncateSync(path.join(dir, BLOCK_FILE), 10);
        expect((await rejection(BlockStore.open(dir))).code).to.equal('BLOCKSTORE_CORRUPT');
    });

    it('waitForBlock resolves on append, rejects on abort and on close', async () => {
        const { store, blocks } = await storeWith(1);
        await store.waitForBlock(0);
        const waiting = store.waitForBlock(1);
        await store.append(nextBlock(blocks[0], ['w']));
        await waiting;
        const controller = new AbortController();
        const aborted = store.waitForBlock(5, controller.signal);
        controller.abort();
        expect((await rejection(aborted)).code).to.equal('WAIT_ABORTED');
        const closing = rejection(store.waitForBlock(9));
        await store.close();
        expect((await closing).code).to.equal('BLOCKSTORE_CLOSED');
    });

    it('given a writer killed with SIGKILL at random moments, then every reopen is consistent and no acknowledged block is lost', async function () {
        this.timeout(60000);
        const blocksModule = path.resolve(__dirname, 'blocks.js');
        const storeModule = path.resolve(__dirname, '../../../network/devnet/common/ledger/blkstorage.js');
        // The child appends forever and prints each height once append (fsync) returned.
        const script = `
            const { BlockStore } = require(${JSON.stringify(storeModule)});
            const { nextBlock } = require(${JSON.stringify(blocksModule)});
            (async () => {
                const store = await BlockStore.open(${JSON.stringify(dir)}, { maxFileBytes: ${TINY_FILE} });
                let last = store.height > 0 ? await store.getBlock(store.height - 1) : undefined;
                for (;;) {
                    const b = nextBlock(last, ['k' + store.height + 'a', 'k' + store.height + 'b']);
                    await store.append(b);
                    last = b;
                    process.stdout.write(store.height + '\\n');
                }
            })();`;
        let acknowledged = 0;
        for (let round = 0; round < 4; round++) {
            const child = child_process.spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
            child.stdout.on('data', (d: Buffer) => {
                const lines = d.toString().trim().split('\n');
                acknowledged = Math.max(acknowledged, Number(lines[lines.length - 1]));
            });
            // Kill at a random moment once the writer is under way (a loaded machine starts node slowly).
            const startedAt = acknowledged;
            const deadline = Date.now() + 20000;
            while (acknowledged <= startedAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
            await new Promise((r) => setTimeout(r, Math.random() * 300));
            child.kill('SIGKILL');
            await exitOf(child, 'the block writer (SIGKILL)', 10_000);
            const store = await BlockStore.open(dir, { maxFileBytes: TINY_FILE });
            expect(store.height).to.be.at.least(acknowledged);
            let previous: Uint8Array | undefined;
            for (let n = 0; n < store.height; n++) {
                const b = (await store.getBlock(n))!;
                if (previous) expect(Buffer.from(b.getHeader()!.getPreviousHash_asU8())).to.deep.equal(Buffer.from(previous));
                previous = blockHeaderHash(b.getHeader()!);
            }
            expect(await store.getTxLocation(`k${store.height - 1}b`)).to.deep.equal({
                blockNumber: store.height - 1,
                txNumber: 1,
                validationCode: 0,
            });
            await store.close();
        }
        expect(acknowledged).to.be.greaterThan(0);
        expect(blockFiles(), 'the kills fell among block files that rolled over').to.have.length.greaterThan(1);
    });

    describe('block files of at most maxFileBytes (Fabric: 64 MiB)', () => {
        async function expectChain(store: BlockStore, height: number): Promise<void> {
            expect(store.height).to.equal(height);
            let previous: Uint8Array | undefined;
            for (let n = 0; n < height; n++) {
                const b = (await store.getBlock(n))!;
                expect(b.getHeader()!.getNumber()).to.equal(n);
                if (previous) expect(Buffer.from(b.getHeader()!.getPreviousHash_asU8())).to.deep.equal(Buffer.from(previous));
                previous = blockHeaderHash(b.getHeader()!);
                expect((await store.getBlockByHash(previous))!.getHeader()!.getNumber()).to.equal(n);
                expect(await store.getTxLocation(`tx-${n}-1`)).to.deep.equal({ blockNumber: n, txNumber: 1, validationCode: 0 });
            }
        }
        async function smallFiles(count: number): Promise<ReturnType<typeof chain>> {
            const store = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            const blocks = chain(count);
            for (const b of blocks) await store.append(b);
            await store.close();
            return blocks;
        }

        it('given blocks past the size of a file, then they go to blockfile_000001 and on, no file passes the size, and every block is found before and after a reopen', async () => {
            const store = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            const blocks = chain(60);
            for (const b of blocks) await store.append(b);
            await expectChain(store, 60);
            await store.close();
            const files = blockFiles();
            expect(files.length).to.be.greaterThan(3);
            expect(files).to.deep.equal(files.map((_, i) => blockFileName(i)));
            for (const f of files) expect(fs.statSync(path.join(dir, f)).size).to.be.within(1, SMALL_FILE);
            // Reopened with Fabric's size: the files are read where they are, appends go on in the last one.
            const again = await BlockStore.open(dir);
            await expectChain(again, 60);
            await again.append(nextBlock(blocks[59], ['tx-60-0', 'tx-60-1']));
            await expectChain(again, 61);
            await again.close();
            expect(blockFiles()).to.deep.equal(files);
        });

        it('given a block larger than a file, then it gets a file of its own and the next block starts another', async () => {
            const store = await BlockStore.open(dir, { maxFileBytes: 600 });
            const b0 = nextBlock(undefined, ['tx-0-0', 'tx-0-1']);
            const big = nextBlock(
                b0,
                Array.from({ length: 20 }, (_, i) => `tx-1-${i}`),
            );
            const b2 = nextBlock(big, ['tx-2-0', 'tx-2-1']);
            for (const b of [b0, big, b2]) await store.append(b);
            expect(blockFiles()).to.deep.equal([blockFileName(0), blockFileName(1), blockFileName(2)]);
            expect(fs.statSync(path.join(dir, blockFileName(1))).size).to.be.greaterThan(600);
            await expectChain(store, 3);
            await store.close();
        });

        it('given reads in flight on the file being appended to when it rolls over, then they all answer', async () => {
            const blocks = await smallFiles(15);
            // Reopened (nothing cached: reads go to the files) with its last file full: the next append rolls over.
            const lastFile = path.join(dir, blockFiles().at(-1)!);
            const store = await BlockStore.open(dir, { maxFileBytes: fs.statSync(lastFile).size });
            const inLastFile: number[] = [];
            for (let n = 14; n >= 0 && inLastFile.length < 3; n--) inLastFile.push(n);
            const reads = Array.from({ length: 300 }, (_, i) => store.getBlock(inLastFile[i % inLastFile.length]));
            const append = store.append(nextBlock(blocks[14], ['tx-15-0', 'tx-15-1']));
            const answers = await Promise.all(reads);
            await append;
            for (const [i, b] of answers.entries()) expect(b?.getHeader()?.getNumber()).to.equal(inLastFile[i % inLastFile.length]);
            await expectChain(store, 16);
            await store.close();
        });

        it('given an index that lags by several files, or no index at all, when reopened, then the blocks of every file are indexed', async () => {
            const store = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            const blocks = chain(40);
            for (const b of blocks.slice(0, 3)) await store.append(b);
            await store.close();
            fs.cpSync(path.join(dir, 'index'), path.join(dir, 'index-at-3'), { recursive: true });
            const more = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            for (const b of blocks.slice(3)) await more.append(b);
            await more.close();
            expect(blockFiles().length).to.be.greaterThan(2);
            fs.rmSync(path.join(dir, 'index'), { recursive: true });
            fs.renameSync(path.join(dir, 'index-at-3'), path.join(dir, 'index'));
            const lagging = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            await expectChain(lagging, 40);
            await lagging.close();
            fs.rmSync(path.join(dir, 'index'), { recursive: true });
            const rebuilt = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            await expectChain(rebuilt, 40);
            await rebuilt.close();
        });

        it('given a crash just after a new file was started (empty, or with a torn first record), when reopened, then appends go on in that file', async () => {
            const blocks = await smallFiles(20);
            const next = blockFileName(blockFiles().length);
            fs.writeFileSync(path.join(dir, next), '');
            const afterEmpty = await BlockStore.open(dir, { maxFileBytes: SMALL_FILE });
            await afterEmpty.close();
            const torn = Buffer.alloc(8 + 10);
            torn.writeUInt32BE(1000, 0);
            fs.writeFileSync(path.join(dir, next), torn);
            const { store, warnings } = await openWarned({ maxFileBytes: SMALL_FILE });
            expect(warnings).to.have.length(1);
            expect(warnings[0]).to.match(new RegExp(`truncated a torn record at offset 0 of ${next}`));
            await store.append(nextBlock(blocks[19], ['tx-20-0', 'tx-20-1']));
            await expectChain(store, 21);
            await store.close();
            expect(fs.statSync(path.join(dir, next)).size).to.be.greaterThan(0);
        });

        it('refuses to open a bad record followed by a later file, or an indexed file that is gone', async () => {
            await smallFiles(30);
            const files = blockFiles();
            fs.appendFileSync(path.join(dir, files[0]), Buffer.alloc(8 + 10, 1));
            fs.rmSync(path.join(dir, 'index'), { recursive: true });
            const bad = await rejection(BlockStore.open(dir, { maxFileBytes: SMALL_FILE }));
            expect(bad.code).to.equal('BLOCKSTORE_CORRUPT');
            expect(bad.message).to.match(/and a later file follows it/);
            fs.rmSync(dir, { recursive: true });
            fs.mkdirSync(dir);
            await smallFiles(30);
            fs.rmSync(path.join(dir, blockFiles().at(-1)!));
            const gone = await rejection(BlockStore.open(dir, { maxFileBytes: SMALL_FILE }));
            expect(gone.code).to.equal('BLOCKSTORE_CORRUPT');
            expect(gone.message).to.match(/is gone but the index covers/);
        });

        it('given a ledger of the one-file layout (16-byte locations and checkpoint), then it opens, reads and goes on', async () => {
            const { store, blocks } = await storeWith(5);
            await store.close();
            // Rewrite the index as the store wrote it when it kept one file: (offset, length), (height, end).
            const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
            await db.open();
            for await (const [key, value] of db.iterator()) {
                if (value.length !== 24 || !(key[0] === 0x6e || key.equals(Buffer.from('c')))) continue;
                const [a, b, c] = [0, 8, 16].map((o) => value.readBigUInt64BE(o));
                const old = Buffer.alloc(16);
                old.writeBigUInt64BE(key[0] === 0x6e ? b : a, 0);
                old.writeBigUInt64BE(c, 8);
                await db.put(key, old);
            }
            await db.close();
            const again = await BlockStore.open(dir);
            await expectChain(again, 5);
            await again.append(nextBlock(blocks[4], ['tx-5-0', 'tx-5-1']));
            await again.close();
            const reopened = await BlockStore.open(dir);
            await expectChain(reopened, 6);
            await reopened.close();
        });
    });
});
