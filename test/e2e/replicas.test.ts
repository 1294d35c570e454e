// Gateways that scale out: several gateway processes of one org (MOIS) share one PostgreSQL
// database (GATEWAY_DATABASE_URL), as replicas behind a load balancer would. The test starts its
// own PostgreSQL server (Debian's postgresql package; without it, not run) and the replicas as
// child processes, and checks on the ledger: a request retried with the same Idempotency-Key on
// another replica gets the first answer and submits nothing; a rate limit holds across replicas;
// killing one replica (SIGKILL) under load loses nothing and commits nothing twice.
import { expect } from 'chai';
import { provisionApp } from '../../gateway/admin';
import { basicPensionServiceBody } from '../../scripts/demo';
import type { Topology } from '../../network/client/topology';
import { notRun } from '../not-run';
import { type PostgresServer, postgresMissing, startPostgres } from '../postgres';
import { closeConnections, eventually, marker, peerChainInfo } from './helpers';
import { NETWORK_LABEL, testNetwork } from './network';
import { type GatewayProcess, startGatewayProcess } from './replica';

const ORG = 'MOISMSP';

type Replica = GatewayProcess;

interface Answer {
    status: number;
    replayed: boolean;
    body: { code?: string; transactionId?: string; service?: { serviceId?: string } };
}

describe(`gateway replicas sharing one PostgreSQL database on ${NETWORK_LABEL}`, function () {
    this.timeout(300_000);
    let t: Topology;
    let pg: PostgresServer | undefined;
    let databaseUrl: string;
    let apiKey: string;
    /** A second app for the rate limit: buckets are per app and shared by the replicas, so it has its own. */
    let limitedKey: string;
    const replicas: Replica[] = [];

    async function startReplica(name: string, env: Record<string, string> = {}): Promise<Replica> {
        const r = await startGatewayProcess(t, ORG, name, { GATEWAY_DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', ...env });
        replicas.push(r);
        return r;
    }

    const kill = (r: Replica) => r.stop('SIGKILL');

    async function call(
        r: Replica,
        method: 'GET' | 'POST',
        route: string,
        body?: unknown,
        idempotencyKey?: string,
        key = apiKey,
    ): Promise<Answer> {
        const res = await fetch(r.url + route, {
            method,
            headers: {
                Authorization: `Bearer ${key}`,
                ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
                ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
            },
            body: body !== undefined ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(60_000),
        });
        return {
            status: res.status,
            replayed: res.headers.get('Idempotent-Replayed') === 'true',
            body: (await res.json()) as Answer['body'],
        };
    }

    const height = async () => (await peerChainInfo(t, ORG)).height;

    /** The transactions of blocks from..to-1, read through a replica (at most 50 blocks a call). */
    async function transactionsBetween(r: Replica, from: number, to: number): Promise<{ transactionId: string; valid: boolean }[]> {
        const all: { transactionId: string; valid: boolean }[] = [];
        for (let n = from; n < to; n += 50) {
            const a = (await call(r, 'GET', `/v1/blocks?from=${n}&to=${Math.min(n + 50, to)}`)) as unknown as {
                body: { blocks: { transactions: { transactionId: string; valid: boolean }[] }[] };
            };
            for (const b of a.body.blocks) all.push(...b.transactions);
        }
        return all;
    }

    const service = (id: string) => basicPensionServiceBody(id, 'Replica test', { items: ['name'], predicates: [] });

    before(async function () {
        const missing = postgresMissing();
        if (missing) notRun(this, missing);
        t = (await testNetwork()).topology;
        pg = await startPostgres();
        databaseUrl = await pg.createDatabase(`replicas_${process.pid}`);
        // The app is written to the shared database once, as `gateway:admin` does with GATEWAY_DATABASE_URL set.
        const provision = async (name: string) =>
            (
                await provisionApp({
                    topology: t,
                    databaseFile: databaseUrl,
                    mspId: ORG,
                    name,
                    identity: 'service-admin1',
                    role: 'service-admin',
                })
            ).apiKey;
        apiKey = await provision('e2e-replicas');
        limitedKey = await provision('e2e-replicas-limited');
    });

    after(async () => {
        await Promise.all(replicas.map((r) => r.stop()));
        closeConnections();
        await pg?.stop();
    });

    it('Given a request answered by replica A, When retried with the same Idempotency-Key on replica B, Then B answers the first result and the ledger does not grow', async () => {
        const [a, b] = [await startReplica('a'), await startReplica('b')];
        const key = marker('replica-retry');
        const body = service(marker('svc-retry'));
        const first = await call(a, 'POST', '/v1/services', body, key);
        expect(first.status, JSON.stringify(first.body)).to.equal(201);
        const after = await height();
        const again = await call(b, 'POST', '/v1/services', body, key);
        expect(again.status).to.equal(201);
        expect(again.replayed, 'Idempotent-Replayed: true').to.equal(true);
        expect(again.body).to.deep.equal(first.body);
        expect(await height(), 'nothing was submitted for the retry').to.equal(after);
        // The same key with another request is refused on either replica.
        const other = await call(b, 'POST', '/v1/services', service(marker('svc-other')), key);
        expect([other.status, other.body.code]).to.deep.equal([422, 'IDEMPOTENCY_KEY_REUSED']);
        expect(await height()).to.equal(after);
    });

    it('Given the same request sent to A and B at once, Then one submits, the other is told it is in flight (409) or replays, and its retry replays: one transaction', async () => {
        const [a, b] = replicas;
        const key = marker('replica-race');
        const body = service(marker('svc-race'));
        const before = await height();
        const answers = await Promise.all([call(a, 'POST', '/v1/services', body, key), call(b, 'POST', '/v1/services', body, key)]);
        const fresh = answers.filter((x) => x.status === 201 && !x.replayed);
        expect(fresh, JSON.stringify(answers)).to.have.length(1);
        const otherIdx = answers.indexOf(fresh[0]) === 0 ? 1 : 0;
        const other = answers[otherIdx];
        if (other.status === 409) {
            expect(other.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
            const retried = await call([a, b][otherIdx], 'POST', '/v1/services', body, key);
            expect([retried.status, retried.replayed]).to.deep.equal([201, true]);
            expect(retried.body).to.deep.equal(fresh[0].body);
        } else {
            expect([other.status, other.replayed]).to.deep.equal([201, true]);
        }
        const txs = await transactionsBetween(a, before, await height());
        expect(txs.map((x) => x.transactionId)).to.deep.equal([fresh[0].body.transactionId]);
    });

    it('Given a limit of 20 per key, When 50 reads come through two replicas, Then 20 pass in all and the rest are 429 with Retry-After', async () => {
        // Their own two replicas: a small limit over an hour (refill is negligible while the test runs).
        const limited = { GATEWAY_RATE_MAX: '20', GATEWAY_RATE_WINDOW_MS: '3600000' };
        const [c, d] = [await startReplica('c', limited), await startReplica('d', limited)];
        const statuses: number[] = [];
        for (let i = 0; i < 50; i += 10) {
            const batch = await Promise.all(
                Array.from({ length: 10 }, (_, j) =>
                    call((i + j) % 2 ? c : d, 'GET', '/v1/services?pageSize=1', undefined, undefined, limitedKey),
                ),
            );
            statuses.push(...batch.map((x) => x.status));
            for (const x of batch.filter((y) => y.status === 429)) expect(x.body.code).to.equal('RATE_LIMITED');
        }
        expect(
            statuses.filter((s) => s === 200),
            `statuses ${statuses.join(',')}`,
        ).to.have.length(20);
        expect(statuses.filter((s) => s === 429)).to.have.length(30);
        const byReplica = [c, d].map((_, k) => statuses.filter((s, i) => s === 200 && i % 2 !== k).length);
        expect(
            byReplica.every((n) => n > 0 && n < 20),
            `each replica served part: ${byReplica}`,
        ).to.equal(true);
        await kill(c);
        await kill(d);
    });

    it('Given 40 registrations flowing through A and B, When A is killed with SIGKILL, Then every one is answered (retried with its key on B) and each is on the ledger once', async () => {
        const [a, b] = replicas;
        const total = 40;
        const workers = 8;
        const ids = Array.from({ length: total }, () => marker('svc-load'));
        const keys = ids.map(() => marker('load'));
        const answers: (Answer | undefined)[] = new Array(total);
        let started = 0;
        let done = 0;
        let retries = 0;
        let replays = 0;
        let inFlightOnA = 0;
        let killedAt = -1;
        const aDead = { value: false };
        const before = await height();
        const t0 = Date.now();

        async function send(i: number): Promise<void> {
            // Round robin, as a load balancer; a failed try goes to the other replica with the same key.
            let target = i % 2 ? b : a;
            for (let attempt = 0; ; attempt++) {
                const onA = target === a;
                if (onA) inFlightOnA++;
                try {
                    const x = await call(target, 'POST', '/v1/services', service(ids[i]), keys[i]);
                    if (x.status === 201) {
                        answers[i] = x;
                        if (x.replayed) replays++;
                        return;
                    }
                    // 409 in flight (the dead replica's lease, or the other try still running), 5xx: retry with the key.
                    if (x.status !== 409 && x.status < 500) throw new Error(`request ${i} refused: ${x.status} ${JSON.stringify(x.body)}`);
                } catch (err) {
                    if ((err as Error).message.startsWith('request ')) throw err;
                    // The connection to the killed replica was cut or refused.
                } finally {
                    if (onA) inFlightOnA--;
                }
                if (Date.now() - t0 > 120_000) throw new Error(`request ${i} not answered within 120 s (${attempt + 1} tries)`);
                retries++;
                target = target === a ? b : aDead.value ? b : a;
                await new Promise((r) => setTimeout(r, 200));
            }
        }

        let failed = false;
        const flow = Promise.all(
            Array.from({ length: workers }, async () => {
                while (started < total) {
                    const i = started++;
                    await send(i);
                    done++;
                }
            }),
        );
        flow.catch(() => {
            failed = true; // seen by the wait below; the error itself is thrown by `await flow`
        });
        await eventually('a third of the registrations answered', async () => (done >= total / 3 || failed ? true : undefined), 120_000);
        killedAt = inFlightOnA;
        aDead.value = true;
        await kill(a);
        await flow;

        expect(answers.every((x) => x?.status === 201)).to.equal(true);
        const answeredIds = answers.map((x) => x?.body.transactionId);
        expect(new Set(answeredIds).size, 'one transaction per registration').to.equal(total);
        const txs = await eventually(
            'every answered transaction on the peer',
            async () => {
                const list = await transactionsBetween(b, before, await height());
                return answeredIds.every((id) => list.some((x) => x.transactionId === id && x.valid)) ? list : undefined;
            },
            30_000,
        );
        const valid = txs.filter((x) => x.valid);
        expect(valid.map((x) => x.transactionId).sort(), 'each registration committed once, nothing else').to.deep.equal(
            [...answeredIds].sort(),
        );
        // A resumed transaction sent again while its first copy was on its way is refused by the peer (DUPLICATE_TXID): never a second commit.
        const duplicates = txs.length - valid.length;
        console.log(
            `      ${total} registrations, ${workers} at once: A killed with ${killedAt} in flight on it; ${retries} retries, ${replays} replayed answers, ` +
                `${b.logged('resumed prepared transaction')} resumed by B with A's signed transaction, ` +
                `${valid.length} valid transactions, ${duplicates} invalid copies, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        expect(killedAt, 'A was killed with requests in flight').to.be.greaterThan(0);
    });
});
