// Benchmark of the product (not a test): the three figures of "What good looks like", measured side
// by side in one run on a test devnet of its own (E2E_PORT_SHIFT, default +11200):
//   1. the REST gateway vs a direct @hyperledger/fabric-gateway client, same identity (the department
//      app's own certificate and signer), same peer, same operation, same concurrency (target >= 90 %);
//   2. a consent-checked, logged access request (RequestAccess, GRANTED) vs a chaincode call that does
//      a single write (fixture Put), committed tx/s at the same concurrency (target >= 80 %);
//   3. the time to read one card's access log (first page) with few vs many access-log entries of
//      other cards on the ledger (target: flat).
// Each pair of figures is measured in alternating halves (A, B, B, A) so that drift (a growing ledger,
// other load on the machine) falls on both sides equally.
// With --cpu-prof DIR, every node process and the benchmark are profiled (V8's sampling profiler) and
// the first half of each side of figures 1 and 2 is summarised: where the gateway's CPU goes.
// Run: npm run bench:product [-- --seconds 10 --concurrency 32 --entries 1000,100000 --fill-minutes 10 --cpu-prof DIR]
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { ISSUER_MSP, openGrantedData, type SealedGrantedData, TRANSIENT_RESPONSE_KEY } from '../../chaincode/model';
import { DeviceKey } from '../../gateway/citizen/device';
import { basicPensionServiceBody, cardIssueBody, ensureApp, type GatewayClient } from '../../scripts/demo';
import { commitScopeOf } from '../../gateway/config';
import { loadAppIdentity } from '../../gateway/fabric/identities';
import { ChannelPeers } from '../../gateway/fabric/peers';
import { CHAINCODE_FN as F } from '../../chaincode/surface';
import { connectAs, type OrgConnection } from '../../network/client/connection';
import { devnetNodes, type NodeKind, runningPid } from '../../network/devnet/processes';
import type { Topology } from '../../network/client/topology';
import { runOnTestNetwork, stopTestNetwork, testNetwork } from '../e2e/network';
import { peersCaughtUp, percentile, submitValid } from './measure';
import { cpuProfFolder, profileChildren, profileClock, profileSelf, summariseProfiles, type Window } from './profile';

function flag(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const log = (s: string) => console.log(s);
const progress = (s: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
const fmt = (n: number, d = 1) => n.toFixed(d);
const utf8 = new TextDecoder();
const json = <T>(bytes: Uint8Array): T => JSON.parse(utf8.decode(bytes)) as T;

// The measured REST calls go through node:http with keep-alive (one socket per concurrent caller):
// a lean client, so that the figures are the gateway's, not those of the client library.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });

function rest<T>(client: GatewayClient, method: 'GET' | 'POST', path: string, expect: number, body?: unknown): Promise<T> {
    const url = new URL(client.baseUrl);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
        const req = http.request(
            {
                host: url.hostname,
                port: url.port,
                method,
                path,
                agent,
                headers: {
                    Authorization: `Bearer ${client.apiKey}`,
                    ...(payload
                        ? { 'Content-Type': 'application/json', 'Content-Length': payload.length, 'Idempotency-Key': crypto.randomUUID() }
                        : {}),
                },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => {
                    const text = Buffer.concat(chunks).toString('utf8');
                    if (res.statusCode !== expect) {
                        reject(
                            new Error(
                                `BENCH_FAILED: ${method} ${path} answered ${res.statusCode}, expected ${expect}: ${text.slice(0, 300)}`,
                            ),
                        );
                        return;
                    }
                    resolve(JSON.parse(text) as T);
                });
                res.on('error', reject);
            },
        );
        req.on('error', reject);
        req.end(payload);
    });
}

// CPU time per process kind of this devnet (from /proc, Linux), to show where an operation's cost goes.
type CpuGroup = 'client' | NodeKind;
const CPU_GROUPS: CpuGroup[] = ['client', 'gateway', 'peer', 'chaincode', 'orderer'];
type Cpu = Record<CpuGroup, number> & { machineBusy: number; machineTotal: number };
let devnetPids: { kind: NodeKind; pid: number }[] = [];
const TICK_MS = 10; // USER_HZ = 100 on Linux

function procCpuMs(pid: number): number {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime + stime
    } catch {
        return 0;
    }
}

function cpuSnapshot(): Cpu {
    const c = { client: 0, gateway: 0, peer: 0, chaincode: 0, orderer: 0, ca: 0, machineBusy: 0, machineTotal: 0 };
    const u = process.cpuUsage();
    c.client = (u.user + u.system) / 1000;
    for (const { kind, pid } of devnetPids) c[kind] += procCpuMs(pid);
    try {
        const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
        const idle = line[3] + (line[4] ?? 0);
        c.machineTotal = line.slice(0, 8).reduce((a, b) => a + b, 0) * TICK_MS;
        c.machineBusy = c.machineTotal - idle * TICK_MS;
    } catch {
        /* not Linux */
    }
    return c;
}

const cpuDiff = (after: Cpu, before: Cpu): Cpu =>
    Object.fromEntries(Object.keys(after).map((k) => [k, after[k as keyof Cpu] - before[k as keyof Cpu]])) as Cpu;
const cpuSum = (x: Cpu, y: Cpu): Cpu => Object.fromEntries(Object.keys(x).map((k) => [k, x[k as keyof Cpu] + y[k as keyof Cpu]])) as Cpu;

interface Measured {
    ops: number;
    seconds: number;
    latencies: number[];
    cpu: Cpu;
}
const rate = (m: Measured) => m.ops / m.seconds;

/** The profiled spans (--cpu-prof): the first half of each side of a pair. */
const windows: Window[] = [];

/** Runs `op` from `concurrency` loops until the deadline; every op must succeed. */
async function runFor(seconds: number, concurrency: number, op: () => Promise<void>, label?: string): Promise<Measured> {
    const latencies: number[] = [];
    const from = profileClock();
    const cpu0 = cpuSnapshot();
    const begin = performance.now();
    const deadline = begin + seconds * 1000;
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (performance.now() < deadline) {
                const t0 = performance.now();
                await op();
                latencies.push(performance.now() - t0);
            }
        }),
    );
    const seconds_ = (performance.now() - begin) / 1000;
    if (label) windows.push({ label: `${label} (${latencies.length} calls)`, from, to: profileClock() });
    return { ops: latencies.length, seconds: seconds_, latencies, cpu: cpuDiff(cpuSnapshot(), cpu0) };
}

const merge = (x: Measured, y: Measured): Measured => ({
    ops: x.ops + y.ops,
    seconds: x.seconds + y.seconds,
    latencies: x.latencies.concat(y.latencies),
    cpu: cpuSum(x.cpu, y.cpu),
});

/** Waits until every peer has the same height twice in a row (the peers have caught up), at most a minute. */
async function settle(t: Topology): Promise<void> {
    await peersCaughtUp(t);
    // Then until the machine is quiet (background work after a burst of writes, e.g. LevelDB compaction), at most a minute.
    for (let i = 0; i < 60; i++) {
        const a = cpuSnapshot();
        await new Promise((r) => setTimeout(r, 1000));
        const d = cpuDiff(cpuSnapshot(), a);
        if (!d.machineTotal || d.machineBusy / d.machineTotal < 0.3) break;
    }
}

/** A and B for `seconds` each, as A, B, B, A halves. */
async function pair(
    seconds: number,
    concurrency: number,
    a: () => Promise<void>,
    b: () => Promise<void>,
    labels?: [string, string],
): Promise<[Measured, Measured]> {
    const half = seconds / 2;
    const a1 = await runFor(half, concurrency, a, labels?.[0]);
    const b1 = await runFor(half, concurrency, b, labels?.[1]);
    const b2 = await runFor(half, concurrency, b);
    const a2 = await runFor(half, concurrency, a);
    return [merge(a1, a2), merge(b1, b2)];
}

async function warm(n: number, concurrency: number, op: () => Promise<void>): Promise<void> {
    let left = n;
    await Promise.all(
        Array.from({ length: Math.min(n, concurrency) }, async () => {
            while (left-- > 0) await op();
        }),
    );
}

/** One access-log entry per committed RequestAccess, whoever sent it. */
let entriesOnLedger = 0;

async function main(): Promise<void> {
    const seconds = Number(flag('seconds', '10'));
    const concurrency = Number(flag('concurrency', '32'));
    const entries = flag('entries', '1000,100000').split(',').map(Number);
    const fillMinutes = Number(flag('fill-minutes', '10'));
    const fillConcurrency = Number(flag('fill-concurrency', '256'));
    const lookupSeconds = Number(flag('lookup-seconds', '5'));
    if (![seconds, concurrency, fillMinutes, fillConcurrency, lookupSeconds, ...entries].every((n) => Number.isFinite(n) && n > 0)) {
        throw new Error(
            'usage: --seconds N --concurrency N --entries N1,N2[,...] --fill-minutes M --fill-concurrency N --lookup-seconds S',
        );
    }
    const startedAt = Date.now();
    const loadBefore = os.loadavg()[0];
    // The gateways (children of the devnet) measure the ledger here, not their per-key rate limit.
    process.env.GATEWAY_RATE_MAX ??= String(1e9);
    const cpuProf = cpuProfFolder(process.argv, 'npm run bench:product -- [--cpu-prof DIR] (a folder for the profiles)');
    if (cpuProf) profileChildren(cpuProf);
    progress('bringing up the test devnet');
    const { topology } = await testNetwork();
    const t: Topology = topology;
    const names = new Map<number, string>();
    devnetPids = devnetNodes(t).flatMap((n) => {
        const pid = runningPid(t, n);
        if (pid) names.set(pid, n.name);
        return pid ? [{ kind: n.kind, pid }] : [];
    });
    const stopSelfProfile = cpuProf ? await profileSelf(cpuProf) : undefined;
    const run = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;

    // ---- apps (the gateway's own provisioning), cards, service, consent ----
    progress('provisioning apps, cards, a service and a consent through the gateways');
    const quiet = (c: GatewayClient): GatewayClient => {
        c.verbose = false;
        return c;
    };
    const issuer = quiet(await ensureApp(t, 'SeoulMSP', 'bench-issuer', { identity: 'issuer1', role: 'issuer' }));
    const citizenApp = quiet(await ensureApp(t, 'SeoulMSP', 'bench-citizen-app', { identity: 'citizen-agent', role: 'citizen-agent' }));
    const serviceAdmin = quiet(await ensureApp(t, 'MOISMSP', 'bench-service-admin', { identity: 'service-admin1', role: 'service-admin' }));
    const welfareName = 'bench-welfare';
    const welfare = quiet(await ensureApp(t, 'MOHWMSP', welfareName, { role: 'department', dept: 'welfare' }));
    const auditor = quiet(await ensureApp(t, 'AuditMSP', 'bench-auditor', { identity: 'auditor1', role: 'auditor' }));

    const purpose = 'Basic pension eligibility check';
    const serviceId = `svc-bench-${run}`;
    await serviceAdmin.call(
        {
            method: 'POST',
            path: '/v1/services',
            body: basicPensionServiceBody(serviceId, purpose, { items: ['name', 'birthDate'], predicates: ['ageAtLeast'] }),
        },
        201,
    );
    const issueCard = async (cardId: string, device: DeviceKey) =>
        issuer.call(
            {
                method: 'POST',
                path: '/v1/cards',
                body: cardIssueBody(cardId, device.publicKeyBase64()),
            },
            201,
        );
    // The card of figures 1 and 2 (consented), the card whose log figure 3 reads, and filler cards
    // whose entries fill the ledger.
    // A setup step that fails is tried again (a fresh card id for an issue: a failed issue leaves its id
    // unusable), and counted: see "setup retries" in the output.
    const setupFailures: string[] = [];
    const retrying = async <T>(what: (attempt: number) => Promise<T>): Promise<T> => {
        for (let attempt = 0; ; attempt++) {
            try {
                return await what(attempt);
            } catch (err) {
                setupFailures.push((err as Error).message.replace(/^DEMO_FAILED: /, '').slice(0, 200));
                if (attempt >= 4) throw err;
                await new Promise((r) => setTimeout(r, 1000));
            }
        }
    };
    const device = DeviceKey.generate();
    const issue = (base: string) =>
        retrying(async (attempt) => {
            const id = attempt ? `${base}-r${attempt}` : base;
            await issueCard(id, device);
            return id;
        });
    const benchCard = await issue(`card-bench-${run}`);
    const lookupCard = await issue(`card-lookup-${run}`);
    const fillerCards: string[] = [];
    for (let i = 0; i < 16; i++) fillerCards.push(await issue(`card-fill-${run}-${i}`));
    await settle(t);
    const granted = await retrying(() =>
        citizenApp.call<{ consent: { consentId: string } }>(
            {
                method: 'POST',
                path: '/v1/consents',
                body: device.consent({
                    cardId: benchCard,
                    serviceId,
                    recipientMspId: 'MOHWMSP',
                    purpose,
                    items: ['name'],
                    predicates: [],
                    retentionDays: 30,
                }),
            },
            201,
        ),
    );
    const consentId = granted.consent.consentId;
    await settle(t);

    // ---- direct clients: the welfare app's own certificate and signer (as the gateway loads them), on MOHW's peer ----
    const app = loadAppIdentity(t, 'MOHWMSP', welfareName);
    const direct: OrgConnection = connectAs(t, 'MOHWMSP', welfareName, { signer: app.signer, hash: app.hash });
    const directNetwork = direct.gateway.getNetwork(t.channel);
    const cc = directNetwork.getContract('citizencard');
    const fixture = directNetwork.getContract('fixture');
    const auditApp = loadAppIdentity(t, 'AuditMSP', 'auditor1');
    const directAudit: OrgConnection = connectAs(t, 'AuditMSP', 'auditor1', { signer: auditApp.signer, hash: auditApp.hash });
    const auditCc = directAudit.gateway.getNetwork(t.channel).getContract('citizencard');
    // The other orgs' peers, waited for after a write as MOHW's gateway waits for them (its default wait).
    const otherPeers = new ChannelPeers(commitScopeOf(t, 'MOHWMSP', 5_000), direct.identity);

    // ---- the operations ----
    const accessBody = { cardId: benchCard, serviceId, purpose, items: ['name'], predicates: [], consentId };
    const accessArg = JSON.stringify(accessBody);
    const restDataErrors = new Map<string, number>();
    const directDataErrors = new Map<string, number>();
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    const show = (m: Map<string, number>) => [...m].map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
    const restGetCard = async () => {
        const r = await rest<{ card: { cardId: string } }>(welfare, 'GET', `/v1/cards/${benchCard}`, 200);
        if (r.card.cardId !== benchCard) throw new Error('BENCH_FAILED: GET /v1/cards answered another card');
    };
    const directGetCard = async () => {
        const r = json<{ cardId: string }>(await cc.evaluate(F.getCard, { arguments: [JSON.stringify({ cardId: benchCard })] }));
        if (r.cardId !== benchCard) throw new Error('BENCH_FAILED: GetCard answered another card');
    };
    const restAccess = async () => {
        const r = await rest<{ decision: string; data?: unknown; dataError?: { code: string } }>(
            welfare,
            'POST',
            '/v1/access-requests',
            201,
            accessBody,
        );
        entriesOnLedger++;
        if (r.decision !== 'GRANTED') throw new Error(`BENCH_FAILED: access request ${r.decision}`);
        if (!r.data) count(restDataErrors, r.dataError?.code ?? 'NO_DATA');
    };
    /**
     * What POST /v1/access-requests does, with the client library alone: commit the decision, wait
     * until the other orgs' peers have committed it too (each peer's CommitStatus, as the gateway's
     * read-after-write, gateway/fabric/peers.ts), then read the granted items from Seoul's peer.
     */
    const directAccessWithData = async () => {
        const tx = await cc.submitAsync(F.requestAccess, { arguments: [accessArg] });
        const status = await tx.getStatus();
        if (status.code !== StatusCode.VALID)
            throw new Error(`BENCH_FAILED: RequestAccess ${status.transactionId} committed as ${status.code}`);
        await otherPeers.committedEverywhere(tx.getBytes(), status.transactionId);
        const d = json<{ accessId: string; decision: string }>(tx.getResult());
        entriesOnLedger++;
        if (d.decision !== 'GRANTED') throw new Error(`BENCH_FAILED: RequestAccess ${d.decision}`);
        const key = crypto.randomBytes(32);
        try {
            const sealed = json<SealedGrantedData>(
                await cc.evaluate(F.readGrantedData, {
                    arguments: [JSON.stringify({ accessId: d.accessId })],
                    transientData: { [TRANSIENT_RESPONSE_KEY]: key },
                    endorsingOrganizations: [ISSUER_MSP],
                }),
            );
            openGrantedData(sealed, key);
        } catch (err) {
            const code = /\b([A-Z][A-Z_]{3,})\b/.exec(JSON.stringify((err as { details?: unknown }).details ?? '') + String(err))?.[1];
            count(directDataErrors, code ?? 'ERROR'); // as the gateway: the decision is committed; the data read may miss (e.g. Seoul's peer one block behind)
        }
    };
    const directAccessSubmit = async () => {
        const d = json<{ decision: string }>(await submitValid(cc, F.requestAccess, [accessArg]));
        entriesOnLedger++;
        if (d.decision !== 'GRANTED') throw new Error(`BENCH_FAILED: RequestAccess ${d.decision}`);
    };
    let puts = 0;
    const fixturePut = async () => {
        await submitValid(fixture, 'Put', [`bench-${run}-${puts++}`, 'v']);
    };
    let fills = 0;
    const fillOne = async () => {
        const cardId = fillerCards[fills++ % fillerCards.length];
        await submitValid(cc, F.requestAccess, [JSON.stringify({ cardId, serviceId, purpose, items: ['name'], predicates: [] })]);
        entriesOnLedger++;
    };
    const pageArg = JSON.stringify({ cardId: lookupCard, pageSize: 20, bookmark: '' });
    const restLookup = async () => {
        const r = await rest<{ page: { records: unknown[] } }>(auditor, 'GET', `/v1/cards/${lookupCard}/access-log?pageSize=20`, 200);
        if (r.page.records.length !== 20) throw new Error(`BENCH_FAILED: the page holds ${r.page.records.length} entries`);
    };
    const directLookup = async () => {
        const r = json<{ records: unknown[] }>(await auditCc.evaluate(F.listAccessByCard, { arguments: [pageArg] }));
        if (r.records.length !== 20) throw new Error(`BENCH_FAILED: the page holds ${r.records.length} entries`);
    };

    // The lookup card's own log: 40 entries (two full pages), made first.
    await warm(40, 8, async () => {
        await submitValid(cc, F.requestAccess, [
            JSON.stringify({ cardId: lookupCard, serviceId, purpose, items: ['name'], predicates: [] }),
        ]);
        entriesOnLedger++;
    });

    /** Fills the ledger with other cards' entries up to `target`, within the deadline. */
    const fillTo = async (target: number, deadline: number): Promise<{ added: number; seconds: number }> => {
        const before = entriesOnLedger;
        const begin = performance.now();
        let lastReport = begin;
        let claimed = entriesOnLedger;
        await Promise.all(
            Array.from({ length: fillConcurrency }, async () => {
                while (claimed < target && Date.now() < deadline) {
                    claimed++;
                    await fillOne();
                    if (performance.now() - lastReport > 30_000) {
                        lastReport = performance.now();
                        const s = (lastReport - begin) / 1000;
                        progress(`filling: ${entriesOnLedger} entries, ${fmt((entriesOnLedger - before) / s)} tx/s`);
                    }
                }
            }),
        );
        return { added: entriesOnLedger - before, seconds: (performance.now() - begin) / 1000 };
    };

    interface LookupPoint {
        entries: number;
        rest: number[];
        direct: number[];
        busy: string;
    }
    const lookupPoints: LookupPoint[] = [];
    /** Sequential lookups (one at a time), REST and direct in alternating halves. */
    const lookupAt = async () => {
        await settle(t);
        await warm(20, 1, restLookup);
        await warm(20, 1, directLookup);
        const [r, d] = await pair(lookupSeconds, 1, restLookup, directLookup);
        const c = cpuSum(r.cpu, d.cpu);
        lookupPoints.push({
            entries: entriesOnLedger,
            rest: r.latencies.sort((a, b) => a - b),
            direct: d.latencies.sort((a, b) => a - b),
            busy: c.machineTotal ? pct(c.machineBusy, c.machineTotal) : 'n/a',
        });
        progress(
            `lookup at ${entriesOnLedger} entries: REST p50 ${fmt(percentile(r.latencies, 50))} ms, direct p50 ${fmt(percentile(d.latencies, 50))} ms`,
        );
    };

    const fillLog: string[] = [];
    const fillBudgetEnd = () => Date.now() + fillMinutes * 60_000;
    // Figure 3, first point: before figures 1 and 2 (their access requests add entries too).
    const sorted = [...entries].sort((a, b) => a - b);
    {
        const f = await fillTo(sorted[0], fillBudgetEnd());
        if (f.added) fillLog.push(`${f.added} entries in ${fmt(f.seconds)} s (${fmt(f.added / f.seconds)} tx/s)`);
        await lookupAt();
    }

    // ---- figure 1: REST vs direct; figure 2: access request vs single write ----
    await settle(t);
    progress('warming up');
    await warm(50, concurrency, restGetCard);
    await warm(50, concurrency, directGetCard);
    await warm(50, concurrency, restAccess);
    await warm(50, concurrency, directAccessWithData);
    await warm(50, concurrency, directAccessSubmit);
    await warm(50, concurrency, fixturePut);
    progress(`figure 1: GET /v1/cards/{id} vs GetCard evaluate, ${seconds} s each`);
    const [evalRest, evalDirect] = await pair(seconds, concurrency, restGetCard, directGetCard, [
        'GET /v1/cards/{id} (REST)',
        'GetCard evaluate (direct)',
    ]);
    progress(`figure 1: POST /v1/access-requests vs RequestAccess + ReadGrantedData, ${seconds} s each`);
    const [accRest, accDirect] = await pair(seconds, concurrency, restAccess, directAccessWithData, [
        'POST /v1/access-requests (REST)',
        'RequestAccess + ReadGrantedData (direct)',
    ]);
    progress(`figure 2: RequestAccess vs fixture Put, ${seconds} s each`);
    const [reqAccess, put] = await pair(seconds, concurrency, directAccessSubmit, fixturePut, [
        'RequestAccess (direct)',
        'fixture Put (direct)',
    ]);

    // ---- figure 3, further points ----
    const fillEnd = fillBudgetEnd();
    for (const target of sorted.slice(1)) {
        if (entriesOnLedger >= target) {
            await lookupAt();
            continue;
        }
        progress(`filling the ledger to ${target} access-log entries (at most until ${new Date(fillEnd).toISOString().slice(11, 19)} UTC)`);
        const f = await fillTo(target, fillEnd);
        fillLog.push(`${f.added} entries in ${fmt(f.seconds)} s (${fmt(f.added / f.seconds)} tx/s, concurrency ${fillConcurrency})`);
        await lookupAt();
        if (entriesOnLedger < target) {
            fillLog.push(`target ${target} not reached within --fill-minutes ${fillMinutes}: measured at ${entriesOnLedger}`);
            break;
        }
    }

    // ---- the table ----
    const cpuRow = (name: string, m: Measured) => {
        const per = (g: CpuGroup) => m.cpu[g] / m.ops;
        const total = CPU_GROUPS.reduce((a, g) => a + per(g), 0);
        const busy = m.cpu.machineTotal ? pct(m.cpu.machineBusy, m.cpu.machineTotal) : 'n/a';
        return row([name, ...CPU_GROUPS.map((g) => fmt(per(g), 2)), fmt(total, 2), busy], [54, 7, 8, 7, 10, 8, 7, 13]);
    };
    const row = (cells: string[], widths: number[]) =>
        cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    const lat = (m: Measured) => {
        const s = [...m.latencies].sort((a, b) => a - b);
        return `${fmt(percentile(s, 50))}/${fmt(percentile(s, 95))}`;
    };
    log('');
    log(
        `Product benchmark, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores, load average ${fmt(loadBefore, 2)} at start, ${fmt(os.loadavg()[0], 2)} at end; devnet: ${t.orgs.length} orgs, MAJORITY, batch timeout ${t.orderer.batch.timeoutMs} ms`,
    );
    log(`concurrency ${concurrency}, ${seconds} s per side (alternating halves A,B,B,A); latencies p50/p95 in ms`);
    log('');
    log('1. REST gateway vs direct fabric-gateway client (welfare app identity, MOHW peer)                 target >= 90 %');
    const w1 = [54, 9, 13, 9, 13, 7];
    log(row(['operation', 'REST/s', 'REST p50/p95', 'direct/s', 'direct p50/95', 'ratio'], w1));
    log(
        row(
            [
                'evaluate: GET /v1/cards/{id} | GetCard',
                fmt(rate(evalRest)),
                lat(evalRest),
                fmt(rate(evalDirect)),
                lat(evalDirect),
                pct(rate(evalRest), rate(evalDirect)),
            ],
            w1,
        ),
    );
    log(
        row(
            [
                'submit: POST /v1/access-requests | RequestAccess+Read',
                fmt(rate(accRest)),
                lat(accRest),
                fmt(rate(accDirect)),
                lat(accDirect),
                pct(rate(accRest), rate(accDirect)),
            ],
            w1,
        ),
    );
    log(`   GRANTED but the data not read (dataError): REST ${show(restDataErrors)}; direct ${show(directDataErrors)}`);
    log('');
    log('2. consent-checked, logged access request vs single write (direct client, committed tx/s)         target >= 80 %');
    const w2 = [54, 9, 13, 9, 13, 7];
    log(row(['', 'access/s', 'p50/p95', 'Put/s', 'p50/p95', 'ratio'], w2));
    log(
        row(
            [
                'RequestAccess (GRANTED, consent) | fixture Put',
                fmt(rate(reqAccess)),
                lat(reqAccess),
                fmt(rate(put)),
                lat(put),
                pct(rate(reqAccess), rate(put)),
            ],
            w2,
        ),
    );
    log('');
    log('CPU ms per operation, by process kind of this devnet (client = this benchmark process; the machine is shared)');
    log(row(['', ...CPU_GROUPS, 'total', 'machine busy'], [54, 7, 8, 7, 10, 8, 7, 13]));
    log(cpuRow('GET /v1/cards/{id} (REST)', evalRest));
    log(cpuRow('GetCard evaluate (direct)', evalDirect));
    log(cpuRow('POST /v1/access-requests (REST)', accRest));
    log(cpuRow('RequestAccess + ReadGrantedData (direct)', accDirect));
    log(cpuRow('RequestAccess (direct)', reqAccess));
    log(cpuRow('fixture Put (direct)', put));
    // What the REST gateway adds to a call: its process's CPU and its client's, over the direct
    // client's own (fabric-gateway's work is in both); the network's extra work is shown apart.
    const perCall = (m: Measured, groups: CpuGroup[]) => groups.reduce((a, g) => a + m.cpu[g] / m.ops, 0);
    const added = (rest: Measured, direct: Measured, goal: number, name: string) => {
        const gw = perCall(rest, ['client', 'gateway']) - perCall(direct, ['client', 'gateway']);
        const network = perCall(rest, ['peer', 'chaincode', 'orderer']) - perCall(direct, ['peer', 'chaincode', 'orderer']);
        log(
            `   the gateway adds ${fmt(gw, 2)} ms of CPU per ${name} over the direct client (goal <= ${goal} ms: ${gw <= goal ? 'met' : 'NOT met'}); the network ${network >= 0 ? '+' : ''}${fmt(network, 2)} ms`,
        );
    };
    added(evalRest, evalDirect, 0.5, 'read');
    added(accRest, accDirect, 1, 'access request');
    log('');
    log("3. one card's access log, first page (20 entries), one lookup at a time                            target: flat");
    const w3 = [30, 10, 10, 10, 12, 12, 12, 14];
    log(
        row(['access-log entries on ledger', 'REST p50', 'REST p95', 'lookups', 'direct p50', 'direct p95', 'lookups', 'machine busy'], w3),
    );
    for (const p of lookupPoints) {
        log(
            row(
                [
                    p.entries.toLocaleString('en-US'),
                    fmt(percentile(p.rest, 50), 2),
                    fmt(percentile(p.rest, 95), 2),
                    String(p.rest.length),
                    fmt(percentile(p.direct, 50), 2),
                    fmt(percentile(p.direct, 95), 2),
                    String(p.direct.length),
                    p.busy,
                ],
                w3,
            ),
        );
    }
    if (lookupPoints.length > 1) {
        const [first, last] = [lookupPoints[0], lookupPoints[lookupPoints.length - 1]];
        log(
            row(
                [
                    `p50 at ${last.entries.toLocaleString('en-US')} / at ${first.entries.toLocaleString('en-US')}`,
                    pct(percentile(last.rest, 50), percentile(first.rest, 50)),
                    '',
                    '',
                    pct(percentile(last.direct, 50), percentile(first.direct, 50)),
                    '',
                    '',
                    '',
                ],
                w3,
            ),
        );
    }
    for (const l of fillLog) log(`   fill: ${l}`);
    log(`   setup retries: ${setupFailures.length ? setupFailures.map((f) => `\n     ${f}`).join('') : 'none'}`);
    log(
        `   entries counted by this run (every committed RequestAccess, figures 1 and 2 included); whole run ${fmt((Date.now() - startedAt) / 60_000)} min`,
    );
    direct.close();
    directAudit.close();
    otherPeers.close();
    if (cpuProf) {
        // The profiles are written as the processes exit.
        await stopSelfProfile?.();
        await stopTestNetwork();
        log('');
        log(summariseProfiles(cpuProf, names, windows));
    }
}

runOnTestNetwork(main);
