// The gateway's database on Node's built-in SQLite (node:sqlite): the settings it opens with, the
// transaction helper that stands in for better-sqlite3's db.transaction(), and what comes back
// from a row (numbers, BLOBs, no row).
import * as fs from 'node:fs';
import { expect } from 'chai';
import { openDb, prepared, SqliteStore, transaction } from '../../../gateway/store/sqlite';
import { IdempotencyStore } from '../../../gateway/idempotency/store';
import { tmpDbFile } from './fixture';

const pragma = (db: ReturnType<typeof openDb>, name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];

describe('gateway database (node:sqlite)', () => {
    it('Given a new file, Then it is WAL, synchronous FULL, waits 5 s for a lock, owner-only, and has its four tables', () => {
        const file = tmpDbFile();
        const db = openDb(file);
        try {
            expect(pragma(db, 'journal_mode')).to.equal('wal');
            expect(pragma(db, 'synchronous')).to.equal(2);
            expect(pragma(db, 'busy_timeout')).to.equal(5000);
            expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
            const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
            expect(tables.map((r) => r.name)).to.deep.equal(['apps', 'checkpoints', 'idempotency', 'secrets']);
        } finally {
            db.close();
        }
    });

    it('Given a secret asked for twice, and by a second connection to the same file, Then it is the same 32 bytes; another name is another secret', async () => {
        const file = tmpDbFile();
        const [a, b] = [SqliteStore.open(file), SqliteStore.open(file)];
        try {
            const first = await a.secret('minority-chains');
            expect(first).to.be.instanceOf(Buffer).with.lengthOf(32);
            expect((await a.secret('minority-chains')).equals(first)).to.equal(true);
            expect((await b.secret('minority-chains')).equals(first)).to.equal(true);
            expect((await b.secret('another')).equals(first)).to.equal(false);
        } finally {
            await a.close();
            await b.close();
        }
    });

    it('Given the same SQL twice, Then the statement is prepared once per database', () => {
        const [a, b] = [openDb(':memory:'), openDb(':memory:')];
        const sql = 'SELECT name FROM checkpoints WHERE name = ?';
        expect(prepared(a, sql)).to.equal(prepared(a, sql));
        expect(prepared(a, sql)).to.not.equal(prepared(b, sql));
        a.close();
        b.close();
    });

    it('Given a transaction, Then it commits what its function did, or nothing when it throws, and nests as a savepoint', () => {
        const db = openDb(':memory:');
        const put = (name: string) => prepared(db, 'INSERT INTO checkpoints (name, updated_at) VALUES (?, 1)').run(name);
        const names = () =>
            db
                .prepare('SELECT name FROM checkpoints ORDER BY name')
                .all()
                .map((r) => r.name);
        const committed = transaction(
            db,
            () => {
                put('a');
                return 42;
            },
            'IMMEDIATE',
        );
        expect(committed).to.equal(42);
        expect(() =>
            transaction(db, () => {
                put('b');
                throw new Error('refused');
            }),
        ).to.throw('refused');
        expect(names()).to.deep.equal(['a']);
        expect(db.isTransaction).to.equal(false);
        transaction(db, () => {
            put('c');
            const nested = () =>
                transaction(db, () => {
                    put('d');
                    put('a');
                });
            expect(nested).to.throw(/UNIQUE/);
            expect(db.isTransaction).to.equal(true);
        });
        expect(names()).to.deep.equal(['a', 'c']);
        db.close();
    });

    it('Given rows, Then integers are numbers, a BLOB comes back as its bytes, changes are counted, no row is undefined', async () => {
        const db = openDb(':memory:');
        const sqlite = new SqliteStore(db);
        const store = new IdempotencyStore(sqlite, { ttlMs: 1000, owner: 'me' });
        expect(await store.begin('app', 'key-00001', 'h', 'alice')).to.deep.equal({ kind: 'new' });
        const tx = { transactionId: 'tx1', bytes: new Uint8Array([1, 2, 3]), result: new Uint8Array([]) };
        expect(await store.prepared('app', 'key-00001', 'Issue', tx)).to.equal(true);
        const other = new IdempotencyStore(sqlite, { ttlMs: 1000, owner: 'other' });
        const resumed = await other.begin('app', 'key-00001', 'h', 'alice');
        expect(resumed).to.deep.include({ kind: 'resume', identity: 'alice', fn: 'Issue' });
        expect([...(resumed as { prepared: { bytes: Uint8Array } }).prepared.bytes]).to.deep.equal([1, 2, 3]);
        const row = db.prepare('SELECT created_at, tx_bytes FROM idempotency').get() as { created_at: unknown; tx_bytes: unknown };
        expect(row.created_at).to.be.a('number');
        expect(row.tx_bytes).to.be.instanceOf(Uint8Array);
        await other.complete('app', 'key-00001', { status: 201, body: { ok: true } });
        expect(await sqlite.sweep(1000, Date.now() + 10_000)).to.equal(1);
        expect(db.prepare('SELECT * FROM idempotency').get()).to.equal(undefined);
        db.close();
    });

    it('Given writes made in one turn of the event loop, Then they share one commit, in order; a write that throws fails alone; none is visible to another connection before its promise settles', async () => {
        const file = tmpDbFile();
        const [store, other] = [SqliteStore.open(file), openDb(file)];
        try {
            const claim = (key: string) =>
                store.claim({ appId: 'app-1', key, hash: 'h', identity: 'welfare', owner: 'me', ttlMs: 60_000, leaseMs: 15_000 });
            const before = store.commits;
            const writes = [
                ...Array.from({ length: 20 }, (_, i) => claim(`key-group-${i}`)),
                claim('key-group-0'),
                // JSON.stringify throws on a BigInt: this write fails inside the group.
                store.complete('app-1', 'key-group-1', 'me', { status: 201, body: { n: 1n } }),
                store.complete('app-1', 'key-group-2', 'me', { status: 201, body: { ok: true } }),
            ];
            const count = () => (other.prepare('SELECT count(*) AS n FROM idempotency').get() as { n: number }).n;
            expect(count(), 'queued, not yet committed').to.equal(0);
            const results = await Promise.allSettled(writes);
            expect(store.commits - before, 'one commit for the whole turn').to.equal(1);
            expect(results.slice(0, 20).map((r) => r.status === 'fulfilled' && r.value)).to.deep.equal(
                Array.from({ length: 20 }, () => ({ kind: 'new' })),
            );
            expect(results[20], 'the second claim of a key in the same group sees the first').to.deep.equal({
                status: 'fulfilled',
                value: { kind: 'in-flight' },
            });
            expect(results[21]?.status).to.equal('rejected');
            expect(results[22]?.status).to.equal('fulfilled');
            expect(count()).to.equal(20);
            const states = other
                .prepare("SELECT idem_key, state FROM idempotency WHERE idem_key IN ('key-group-1', 'key-group-2') ORDER BY idem_key")
                .all();
            expect(states.map((r) => r.state)).to.deep.equal(['pending', 'done']);
            await claim('key-group-late');
            expect(store.commits - before, 'a later turn commits on its own').to.equal(2);
        } finally {
            await store.close();
            other.close();
        }
    });

    it('Given writes queued when the store closes, Then they are committed first; a write after close is refused', async () => {
        const file = tmpDbFile();
        const store = SqliteStore.open(file);
        const saved = store.saveCheckpoint('events', { blockNumber: '7', transactionId: 'tx-7' });
        await store.close();
        await saved;
        const reopened = SqliteStore.open(file);
        try {
            expect(await reopened.loadCheckpoint('events')).to.deep.equal({ blockNumber: '7', transactionId: 'tx-7' });
        } finally {
            await reopened.close();
        }
        let refused: unknown;
        await store.saveCheckpoint('events', { blockNumber: '8', transactionId: 'tx-8' }).catch((err) => {
            refused = err;
        });
        expect((refused as Error | undefined)?.message).to.equal('the gateway database is closed');
    });

    it('Given a closed database, When closed again, Then nothing happens (as better-sqlite3)', () => {
        const db = openDb(':memory:');
        db.close();
        expect(db.isOpen).to.equal(false);
        expect(() => db.close()).to.not.throw();
    });
});
