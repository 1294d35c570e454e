// The gateway store's contract, run against both backends: the embedded SQLite file and a
// PostgreSQL database (a private server this test starts; without Debian's postgresql package
// the PostgreSQL half says it did not run). Each case opens two stores on the same database, as
// two processes would: on PostgreSQL they stand for two replicas behind a load balancer, and what
// one wrote (apps, idempotency records, rate limits, sessions, checkpoints) the other sees.
import * as os from 'node:os';
import { expect } from 'chai';
import pg from 'pg';
import request from 'supertest';
import { AppStore } from '../../../gateway/auth/store';
import { createApp } from '../../../gateway/http/app';
import { IdempotencyStore } from '../../../gateway/idempotency/store';
import { createMetrics } from '../../../gateway/metrics';
import { PostgresStore, unreachable } from '../../../gateway/store/postgres';
import { openDb, SqliteStore } from '../../../gateway/store/sqlite';
import type { AppRow, Claim, GatewayStore } from '../../../gateway/store/store';
import { notRun } from '../../not-run';
import { type PostgresServer, postgresMissing, startPostgres } from '../../postgres';
import { silentLogger } from '../../../network/client/logger';
import { FakeFabric, tmpDbFile } from './fixture';

interface Backend {
    name: string;
    /** Rate limits and sessions are the database's (true), or each process's own (SQLite). */
    shared: boolean;
    open(): Promise<[GatewayStore, GatewayStore]>;
    skip?(ctx: Mocha.Context): void;
}

let server: PostgresServer | undefined;
let databases = 0;
/** The PostgreSQL database of the running suite, to look at what is stored. */
let pgUrl = '';

const backends: Backend[] = [
    {
        name: 'SQLite (node:sqlite)',
        shared: false,
        async open() {
            const file = tmpDbFile();
            return [SqliteStore.open(file), SqliteStore.open(file)];
        },
    },
    {
        name: 'PostgreSQL',
        shared: true,
        skip(ctx) {
            const missing = postgresMissing();
            if (missing) notRun(ctx, missing);
        },
        async open() {
            server ??= await startPostgres();
            const url = await server.createDatabase(`store_${process.pid}_${++databases}`);
            pgUrl = url;
            return [await PostgresStore.open(url), await PostgresStore.open(url)];
        },
    },
];

const app = (name: string, keyId: string): AppRow => ({
    app_id: `id-${name}`,
    name,
    msp_id: 'MOHWMSP',
    identity: name,
    role: 'department',
    dept: 'welfare',
    key_id: keyId,
    key_hash: Buffer.alloc(32, 7),
    created_at: new Date().toISOString(),
    disabled_at: null,
});

const claimOf = (owner: string, over: Partial<Claim> = {}): Claim => ({
    appId: 'app-1',
    key: 'key-00000001',
    hash: 'hash-a',
    identity: 'welfare',
    owner,
    ttlMs: 3600_000,
    leaseMs: 15_000,
    ...over,
});

const tx = (id: string) => ({ transactionId: id, bytes: new Uint8Array([1, 2, 3]), result: new Uint8Array([4]) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

after(async () => {
    await server?.stop();
});

for (const backend of backends) {
    describe(`gateway store on ${backend.name}`, function () {
        this.timeout(60_000);
        let a: GatewayStore;
        let b: GatewayStore;

        before(async function () {
            backend.skip?.(this);
            [a, b] = await backend.open();
        });
        after(async () => {
            await a?.close();
            await b?.close();
        });

        it('Given an app stored by one process, Then the other finds it by name and key id, refuses the same name, and sees a new key and a disabling', async () => {
            await a.insertApp(app('welfare-portal', 'kid-1'));
            const found = await b.activeApp('key_id', 'kid-1');
            expect(found?.name).to.equal('welfare-portal');
            expect(Buffer.from(found?.key_hash as Uint8Array).equals(Buffer.alloc(32, 7))).to.equal(true);
            try {
                await b.insertApp(app('welfare-portal', 'kid-2'));
                expect.fail('a second app of the same name was stored');
            } catch (err) {
                expect((err as Error).message).to.match(/^APP_EXISTS/);
            }
            expect(await b.setAppKey('welfare-portal', 'kid-3', Buffer.alloc(32, 9))).to.equal(true);
            expect(await a.activeApp('key_id', 'kid-1')).to.equal(undefined);
            expect((await a.activeApp('name', 'welfare-portal'))?.key_id).to.equal('kid-3');
            expect(await a.disableApp('welfare-portal', new Date().toISOString())).to.equal(true);
            expect(await b.disableApp('welfare-portal', new Date().toISOString()), 'disabled once').to.equal(false);
            expect(await b.listApps()).to.deep.equal([]);
            expect(await b.setAppKey('no-such-app', 'kid-4', Buffer.alloc(32))).to.equal(false);
        });

        it('Given a key claimed, Then the same owner is refused while it runs, another request under it is refused, and once complete the other process replays the answer', async () => {
            const c = claimOf('owner-a', { key: 'key-replay-01' });
            expect(await a.claim(c)).to.deep.equal({ kind: 'new' });
            expect(await a.claim(c)).to.deep.equal({ kind: 'in-flight' });
            expect(await b.claim({ ...c, owner: 'owner-b', hash: 'hash-other' })).to.deep.equal({ kind: 'mismatch' });
            await a.complete(c.appId, c.key, c.owner, { status: 201, body: { serviceId: 's-1' } });
            expect(await b.claim({ ...c, owner: 'owner-b' })).to.deep.equal({
                kind: 'replay',
                response: { status: 201, body: { serviceId: 's-1' } },
            });
        });

        it('Given a pending claim whose process died after endorsing, Then the next claim resumes THAT transaction and the dead owner can no longer record or complete', async () => {
            const c = claimOf('owner-dead', { key: 'key-resume-01' });
            // A pid of this host that does not exist: the owner is known dead at once.
            await a.heartbeat(c.owner, os.hostname(), 2 ** 22 + 1);
            expect(await a.claim(c)).to.deep.equal({ kind: 'new' });
            expect(await a.recordPrepared(c.appId, c.key, c.owner, 'Svc:Register', tx('tx-1'))).to.equal(true);
            const resumed = await b.claim({ ...c, owner: 'owner-b' });
            expect(resumed).to.deep.include({ kind: 'resume', identity: 'welfare', fn: 'Svc:Register' });
            const prepared = (resumed as { prepared: { transactionId: string; bytes: Uint8Array; result: Uint8Array } }).prepared;
            expect(prepared.transactionId).to.equal('tx-1');
            expect([...prepared.bytes]).to.deep.equal([1, 2, 3]);
            expect([...prepared.result]).to.deep.equal([4]);
            expect(await a.recordPrepared(c.appId, c.key, c.owner, 'Svc:Register', tx('tx-2')), 'the claim moved on').to.equal(false);
            await a.complete(c.appId, c.key, c.owner, { status: 500, body: 'from the dead owner' });
            await b.complete(c.appId, c.key, 'owner-b', { status: 201, body: { from: 'owner-b' } });
            expect(await a.claim({ ...c, owner: 'owner-c' })).to.deep.include({
                kind: 'replay',
                response: { status: 201, body: { from: 'owner-b' } },
            });
        });

        it('Given a pending claim without a transaction whose owner died, Then the next claim starts afresh; a released claim is free again', async () => {
            const c = claimOf('owner-gone', { key: 'key-fresh-001' });
            expect(await a.claim(c)).to.deep.equal({ kind: 'new' });
            await a.forgetReplica(c.owner); // stopped: no heartbeat row
            expect(await b.claim({ ...c, owner: 'owner-b' })).to.deep.equal({ kind: 'new' });
            await b.release(c.appId, c.key, 'owner-b');
            expect(await a.claim({ ...c, owner: 'owner-d', hash: 'hash-new' })).to.deep.equal({ kind: 'new' });
            // An abandoned record (outcome unknown) is resumed by whoever comes next, its own owner too.
            await a.recordPrepared(c.appId, c.key, 'owner-d', 'Svc:Register', tx('tx-9'));
            await a.abandon(c.appId, c.key, 'owner-d');
            expect(await a.claim({ ...c, owner: 'owner-d', hash: 'hash-new' })).to.deep.include({ kind: 'resume' });
        });

        if (backend.shared) {
            it('Given the owner of a pending claim is a live replica, Then another replica is refused (in flight) until its lease runs out', async () => {
                const c = claimOf('owner-live', { key: 'key-lease-001', leaseMs: 600 });
                await a.heartbeat(c.owner, 'another-host', 1); // another host: only its heartbeat tells it lives
                expect(await a.claim(c)).to.deep.equal({ kind: 'new' });
                expect(await b.claim({ ...c, owner: 'owner-b' })).to.deep.equal({ kind: 'in-flight' });
                await sleep(800);
                expect(await b.claim({ ...c, owner: 'owner-b' }), 'lease over: taken over').to.deep.equal({ kind: 'new' });
            });

            it('Given 40 replicas claiming one key at the same moment, Then exactly one wins and the others are told it is in flight', async () => {
                const owners = Array.from({ length: 40 }, (_, i) => `racer-${i}`);
                for (const o of owners) await a.heartbeat(o, os.hostname(), process.pid);
                const results = await Promise.all(owners.map((o, i) => (i % 2 ? a : b).claim(claimOf(o, { key: 'key-race-0001' }))));
                expect(results.filter((r) => r.kind === 'new')).to.have.length(1);
                expect(results.filter((r) => r.kind === 'in-flight')).to.have.length(39);
            });
        } else {
            it('Given a pending claim of another owner, Then it is taken over at once: one process per file, so that owner was an earlier, dead process', async () => {
                const c = claimOf('earlier-process', { key: 'key-sqlite-01' });
                expect(await a.claim(c)).to.deep.equal({ kind: 'new' });
                expect(await b.claim({ ...c, owner: 'this-process' })).to.deep.equal({ kind: 'new' });
            });
        }

        it(`Given a bucket of 10 tokens, When 30 requests of 1 come at once through both, Then ${backend.shared ? '10 pass in all: the limit is shared' : 'each process passes 10 of its own'}`, async () => {
            const [la, lb] = [a.rateLimiter('key', 10, 60_000), b.rateLimiter('key', 10, 60_000)];
            const waits = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? la : lb).take('app-7', 1)));
            expect(waits.filter((w) => w === 0)).to.have.length(backend.shared ? 10 : 20);
            for (const w of waits.filter((x) => x > 0)) expect(w).to.be.within(1, 6);
            expect(await la.take('app-8', 1), 'another key has its own bucket').to.equal(0);
            expect(await la.take('app-9', 11), 'a cost above the capacity is refused').to.be.greaterThan(0);
        });

        it('Given a bucket emptied, When its window passes, Then it is full again', async () => {
            const l = a.rateLimiter('refill', 4, 300);
            expect(await l.take('k', 4)).to.equal(0);
            expect(await l.take('k', 1)).to.equal(1);
            await sleep(350);
            expect(await l.take('k', 4)).to.equal(0);
        });

        it(`Given a session started by one process, Then ${backend.shared ? 'the other finds it' : 'only that process finds it'}; it is taken once, and expires when idle`, async () => {
            const sa = a.sessions<{ cardId: string }>('tracker:session', 60_000);
            const sb = b.sessions<{ cardId: string }>('tracker:session', 60_000);
            const id = await sa.add({ cardId: 'card-0001' });
            expect(id).to.match(/^[A-Za-z0-9_-]{32}$/);
            expect(await sb.touch(id)).to.deep.equal(backend.shared ? { cardId: 'card-0001' } : undefined);
            expect(await a.sessions('console:session', 60_000).touch(id), 'another name is another map').to.equal(undefined);
            if (backend.shared) {
                // What the database keeps is a hash of the id, not the cookie's value.
                const c = new pg.Client({ connectionString: pgUrl });
                await c.connect();
                const kept = (await c.query<{ id: string }>("SELECT id FROM sessions WHERE name = 'tracker:session'")).rows.map(
                    (r) => r.id,
                );
                await c.end();
                expect(kept).to.have.length(1);
                expect(kept[0]).to.not.equal(id);
            }
            const owner = backend.shared ? sb : sa;
            expect(await owner.take(id)).to.deep.equal({ cardId: 'card-0001' });
            expect(await owner.take(id), 'one use').to.equal(undefined);
            const short = a.sessions<number>('challenge', 200);
            const cid = await short.add(7);
            expect(await short.touch(cid)).to.equal(7);
            await sleep(300);
            expect(await short.touch(cid)).to.equal(undefined);
        });

        it('Given a secret and an event checkpoint written by one process, Then the other reads the same', async () => {
            const s = await a.secret('minority-chains');
            expect(s).to.have.length(32);
            expect((await b.secret('minority-chains')).equals(s)).to.equal(true);
            expect((await b.secret('other')).equals(s)).to.equal(false);
            expect(await b.loadCheckpoint('sse:x')).to.equal(undefined);
            await a.saveCheckpoint('sse:x', { blockNumber: '12', transactionId: 'tx-12' });
            await b.saveCheckpoint('sse:x', { blockNumber: '13', transactionId: null });
            expect(await a.loadCheckpoint('sse:x')).to.deep.equal({ blockNumber: '13', transactionId: null });
        });

        it('Given finished records older than the TTL, When swept, Then they are gone and their key is free; pending ones stay', async () => {
            const done = claimOf('sweeper', { key: 'key-sweep-001' });
            const pending = claimOf('sweeper', { key: 'key-sweep-002' });
            await a.claim(done);
            await a.complete(done.appId, done.key, done.owner, { status: 200, body: {} });
            await a.claim(pending);
            await sleep(20);
            expect(await b.sweep(10)).to.be.at.least(1);
            expect(await a.claim({ ...done, owner: 'next', hash: 'hash-z' })).to.deep.equal({ kind: 'new' });
            expect(await a.claim(pending)).to.deep.equal({ kind: 'in-flight' });
            await a.ping();
        });
    });
}

describe('a gateway whose PostgreSQL database does not answer', function () {
    this.timeout(60_000);

    it('Given errors of the pg client, Then the socket, connection, resource and shutdown classes are DATABASE_UNAVAILABLE (503), a statement error is not', () => {
        for (const code of [undefined, 'ECONNREFUSED', 'ETIMEDOUT', '08006', '53300', '57P01']) {
            const p = unreachable(Object.assign(new Error('x'), { code }));
            expect([p?.status, p?.code, p?.retryAfterSeconds], String(code)).to.deep.equal([503, 'DATABASE_UNAVAILABLE', 2]);
        }
        for (const code of ['23505', '42P01', '22P02'])
            expect(unreachable(Object.assign(new Error('x'), { code })), code).to.equal(undefined);
    });

    it('Given a URL where no server listens, When opened, Then GATEWAY_DATABASE_UNAVAILABLE names the host and database, never the password', async function () {
        const missing = postgresMissing();
        if (missing) notRun(this, missing);
        try {
            await PostgresStore.open('postgresql://gw:secret-pw@127.0.0.1:1/gateway');
            expect.fail('opened');
        } catch (err) {
            expect((err as Error).message).to.match(/^GATEWAY_DATABASE_UNAVAILABLE: postgres:\/\/127\.0\.0\.1:1\/gateway: /);
            expect((err as Error).message).to.not.contain('secret-pw');
        }
    });

    it('Given the database stops under a running gateway, Then /readyz and every API request answer 503 DATABASE_UNAVAILABLE with Retry-After, and Fabric is not called', async function () {
        const missing = postgresMissing();
        if (missing) notRun(this, missing);
        const own = await startPostgres();
        const store = await PostgresStore.open(await own.createDatabase('stopping'));
        try {
            const apps = new AppStore(store);
            const { apiKey } = await apps.create({
                name: 'welfare-app',
                mspId: 'MOHWMSP',
                identity: 'welfare',
                role: 'department',
                dept: 'welfare',
            });
            const fabric = new FakeFabric(() => ({ records: [], bookmark: '' }));
            const gw = createApp({
                mspId: 'MOHWMSP',
                fabric,
                apps,
                store,
                log: silentLogger,
                metrics: createMetrics(),
                idempotency: new IdempotencyStore(store, { ttlMs: 3600_000 }),
            });
            const auth = { Authorization: `Bearer ${apiKey}` };
            expect((await request(gw.app).get('/readyz')).status).to.equal(200);
            expect((await request(gw.app).get('/v1/services').set(auth)).status).to.equal(200);
            const calls = fabric.evaluates.length;
            await own.stop();
            const ready = await request(gw.app).get('/readyz');
            expect([ready.status, ready.body.code, ready.headers['retry-after']]).to.deep.equal([503, 'DATABASE_UNAVAILABLE', '2']);
            const read = await request(gw.app).get('/v1/services').set(auth);
            expect([read.status, read.body.code, read.headers['retry-after']]).to.deep.equal([503, 'DATABASE_UNAVAILABLE', '2']);
            const submit = await request(gw.app).post('/v1/services').set(auth).set('Idempotency-Key', 'key-db-down-1').send({});
            expect([submit.status, submit.body.code]).to.deep.equal([503, 'DATABASE_UNAVAILABLE']);
            expect(fabric.evaluates.length, 'nothing asked of Fabric').to.equal(calls);
            expect(fabric.submits).to.have.length(0);
        } finally {
            await store.close();
            await own.stop();
        }
    });
});

describe('idempotency records when the store fails at the end of a request', () => {
    it('Given the answer cannot be written, Then the request is not failed, the write is tried again until it lands, and until then a retry is told it is in flight', async () => {
        let failures = 2;
        class FlakyStore extends SqliteStore {
            override async complete(...args: Parameters<SqliteStore['complete']>): Promise<void> {
                if (failures-- > 0) throw unreachable(new Error('connection terminated'));
                return super.complete(...args);
            }
        }
        const flaky = new FlakyStore(openDb(':memory:'));
        const errors: string[] = [];
        const store = new IdempotencyStore(flaky, { ttlMs: 3600_000, owner: 'me', retryMs: 20, onError: (what) => errors.push(what) });
        expect(await store.begin('app', 'key-settle-1', 'h', 'welfare')).to.deep.equal({ kind: 'new' });
        await store.complete('app', 'key-settle-1', { status: 201, body: { ok: true } });
        expect(store.unsettled.size).to.equal(1);
        expect(await store.begin('app', 'key-settle-1', 'h', 'welfare'), 'not written yet').to.deep.equal({ kind: 'in-flight' });
        for (let i = 0; i < 100 && store.unsettled.size > 0; i++) await sleep(10);
        expect(store.unsettled.size).to.equal(0);
        expect(errors).to.deep.equal(['idempotency complete', 'idempotency complete (again)']);
        expect(await store.begin('app', 'key-settle-1', 'h', 'welfare')).to.deep.equal({
            kind: 'replay',
            response: { status: 201, body: { ok: true } },
        });
        await flaky.close();
    });
});
