// Benchmark of a city's volume (not a test): a test devnet of its own (E2E_PORT_SHIFT, default
// +11200) is loaded through the chaincode's own functions, one transaction each as the product
// makes them: cards issued through Seoul's REST gateway (POST /v1/cards: the card and its
// personal record in the private data collection), then access-log entries (RequestAccess by a
// MOHW department app, through @hyperledger/fabric-gateway, committed DENIED without consent). At
// each count of entries it measures, once the peers have caught up:
//   - one card's access log, first page (ListAccessLogByCard by an auditor), p50 and p99;
//   - the auditor's paged history of a department (ListAccessLogByCaller, 100 a page, bookmarks);
//   - each peer's ledger on disk and its RSS;
// and at the end the time for a peer (MOIS's) to restart and serve an evaluation again.
// Goal (issue 23): p99 of the card's lookup at the largest count at most 2x the one at the first.
// The load runs at the devnet's transaction rate; --max-minutes bounds it, and the points are then
// measured at the count reached (printed).
// Run: npm run bench:scale [-- --cards 1000 --entries 1000,10000,100000 --max-minutes 30]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { CHAINCODE_FN as F } from '../../chaincode/surface';
import { DeviceKey } from '../../gateway/citizen/device';
import { loadAppIdentity } from '../../gateway/fabric/identities';
import { connectAs } from '../../network/client/connection';
import { paths } from '../../network/client/topology';
import { devnetNodes, runningPid, startNode, stopNode, waitHealthy } from '../../network/devnet/processes';
import { basicPensionServiceBody, cardIssueBody, ensureApp, type GatewayClient } from '../../scripts/demo';
import { runOnTestNetwork, testNetwork } from '../e2e/network';
import { flag, peersCaughtUp, percentile, rssKiB, submitValid } from './measure';

const HELP = `Usage: npm run bench:scale [-- options]

Loads a test devnet of its own with cards and access-log entries through the chaincode's own
functions and measures lookups, the auditor's paged history, each peer's disk and memory at each
count of entries, then a peer's restart. Figures only; it fails only if an operation fails.

Options:
  --cards N          cards issued through Seoul's gateway (default 1000)
  --entries A,B,...  counts of access-log entries at which to measure (default 1000,10000,100000;
                     the issue's city: --cards 1000000 --entries 1000,100000,1000000,10000000)
  --max-minutes M    time allowed to load (default 30); the points are measured at the count reached
  --concurrency N    transactions in flight while loading entries (default 256)
  --lookups N        card lookups per point, one at a time (default 300)
  --pages N          history pages per point, at most (default 20)
  --help             this text`;

const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (s: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const fmt = (n: number, d = 1) => n.toFixed(d);
const utf8 = new TextDecoder();
const json = <T>(bytes: Uint8Array): T => JSON.parse(utf8.decode(bytes)) as T;

function positive(name: string, fallback: string): number {
    const n = Number(flag(name, fallback));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`USAGE: --${name} takes a positive integer\n${HELP}`);
    return n;
}

/** The p-th percentile of values in any order. */
const percentileOf = (values: number[], p: number) =>
    percentile(
        [...values].sort((a, b) => a - b),
        p,
    );

/** Bytes of the files under dir (a peer's ledger). */
function diskBytes(dir: string): number {
    let total = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
    }
    return total;
}

const rssMiB = (pid: number | undefined): number => (pid ? rssKiB(pid) / 1024 : Number.NaN);

/** `count` calls of `op` from `concurrency` loops, until done or the deadline. */
async function repeat(count: number, concurrency: number, deadline: number, op: (i: number) => Promise<void>): Promise<number> {
    let next = 0;
    let done = 0;
    await Promise.all(
        Array.from({ length: Math.min(concurrency, count) }, async () => {
            while (next < count && Date.now() < deadline) {
                await op(next++);
                done++;
            }
        }),
    );
    return done;
}

interface Point {
    entries: number;
    height: number;
    lookups: number[];
    pages: number[];
    records: number;
    peers: { name: string; diskMiB: number; rssMiB: number }[];
}

async function main(): Promise<void> {
    if (process.argv.includes('--help')) {
        say(HELP);
        return;
    }
    const cardCount = positive('cards', '1000');
    const targets = flag('entries', '1000,10000,100000')
        .split(',')
        .map(Number)
        .sort((a, b) => a - b);
    if (!targets.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`USAGE: --entries takes positive integers\n${HELP}`);
    const maxMinutes = positive('max-minutes', '30');
    const concurrency = positive('concurrency', '256');
    const lookupCount = positive('lookups', '300');
    const pageCount = positive('pages', '20');
    const startedAt = Date.now();
    const deadline = startedAt + maxMinutes * 60_000;
    const loadBefore = os.loadavg()[0];
    process.env.GATEWAY_RATE_MAX ??= String(1e9);

    progress('bringing up the test devnet');
    const { topology: t } = await testNetwork();
    const quiet = (c: GatewayClient): GatewayClient => {
        c.verbose = false;
        return c;
    };
    const issuer = quiet(await ensureApp(t, 'SeoulMSP', 'scale-issuer', { identity: 'issuer1', role: 'issuer' }));
    const serviceAdmin = quiet(await ensureApp(t, 'MOISMSP', 'scale-service-admin', { identity: 'service-admin1', role: 'service-admin' }));
    const welfareName = 'scale-welfare';
    await ensureApp(t, 'MOHWMSP', welfareName, { role: 'department', dept: 'welfare' });
    await ensureApp(t, 'AuditMSP', 'scale-auditor', { identity: 'auditor1', role: 'auditor' });
    const run = Date.now().toString(36);
    const purpose = 'Basic pension eligibility check';
    const serviceId = `svc-scale-${run}`;
    await serviceAdmin.call(
        { method: 'POST', path: '/v1/services', body: basicPensionServiceBody(serviceId, purpose, { items: ['name'], predicates: [] }) },
        201,
    );

    // ---- cards, through the issuer's gateway ----
    progress(`issuing ${cardCount} cards through Seoul's gateway`);
    const device = DeviceKey.generate();
    const cards: string[] = [];
    const cardsBegin = performance.now();
    const issued = await repeat(cardCount, 16, deadline, async (i) => {
        const cardId = `card-scale-${run}-${i}`;
        await issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(cardId, device.publicKeyBase64()) }, 201);
        cards.push(cardId);
    });
    const cardSeconds = (performance.now() - cardsBegin) / 1000;

    // ---- entries, through fabric-gateway as the department app ----
    const app = loadAppIdentity(t, 'MOHWMSP', welfareName);
    const welfare = connectAs(t, 'MOHWMSP', welfareName, { signer: app.signer, hash: app.hash });
    const cc = welfare.gateway.getNetwork(t.channel).getContract('citizencard');
    const auditApp = loadAppIdentity(t, 'AuditMSP', 'auditor1');
    const audit = connectAs(t, 'AuditMSP', 'auditor1', { signer: auditApp.signer, hash: auditApp.hash });
    const auditCc = audit.gateway.getNetwork(t.channel).getContract('citizencard');
    const entry = (cardId: string) => ({ cardId, serviceId, purpose, items: ['name'], predicates: [] });
    const from = new Date().toISOString();
    // The looked-up card holds 40 entries of its own (two full pages), made first.
    const lookupCard = cards[0];
    let entries = await repeat(40, 8, Number.POSITIVE_INFINITY, async () => {
        await submitValid(cc, F.requestAccess, [JSON.stringify(entry(lookupCard))]);
    });
    const loadLog: string[] = [];
    const points: Point[] = [];
    const peers = devnetNodes(t).filter((n) => n.kind === 'peer');

    for (const target of targets) {
        if (entries < target && Date.now() < deadline) {
            progress(`loading entries up to ${target.toLocaleString('en-US')}`);
            const begin = performance.now();
            const before = entries;
            const ticker = setInterval(() => progress(`  ${entries.toLocaleString('en-US')} entries`), 30_000);
            try {
                await repeat(target - entries, concurrency, deadline, async (i) => {
                    await submitValid(cc, F.requestAccess, [
                        JSON.stringify(entry(cards[1 + ((before + i) % Math.max(1, cards.length - 1))] ?? lookupCard)),
                    ]);
                    entries++;
                });
            } finally {
                clearInterval(ticker);
            }
            const seconds = (performance.now() - begin) / 1000;
            loadLog.push(
                `${entries - before} entries in ${fmt(seconds)} s (${fmt((entries - before) / seconds)} tx/s, ${concurrency} in flight)`,
            );
        }
        const height = await peersCaughtUp(t);
        progress(`measuring at ${entries.toLocaleString('en-US')} entries (height ${height})`);
        const pageArg = JSON.stringify({ cardId: lookupCard, pageSize: 20, bookmark: '' });
        const lookups: number[] = [];
        for (let i = 0; i < lookupCount; i++) {
            const t0 = performance.now();
            const page = json<{ records: unknown[] }>(await auditCc.evaluate(F.listAccessByCard, { arguments: [pageArg] }));
            lookups.push(performance.now() - t0);
            if (page.records.length !== 20) throw new Error(`BENCH_FAILED: the card's first page holds ${page.records.length} entries`);
        }
        // The auditor walks MOHW welfare's history since the load began, 100 entries a page.
        const pages: number[] = [];
        let records = 0;
        let bookmark = '';
        for (let i = 0; i < pageCount; i++) {
            const t0 = performance.now();
            const page = json<{ records: unknown[]; bookmark: string }>(
                await auditCc.evaluate(F.listAccessByCaller, {
                    arguments: [
                        JSON.stringify({
                            mspId: 'MOHWMSP',
                            dept: 'welfare',
                            from,
                            to: '9998-12-31T00:00:00.000Z',
                            pageSize: 100,
                            bookmark,
                        }),
                    ],
                }),
            );
            pages.push(performance.now() - t0);
            records += page.records.length;
            if (!page.bookmark || page.records.length < 100) break;
            bookmark = page.bookmark;
        }
        points.push({
            entries,
            height,
            lookups,
            pages,
            records,
            peers: peers.map((n) => ({
                name: n.name,
                diskMiB: diskBytes(paths.ledger(t, n.name)) / 2 ** 20,
                rssMiB: rssMiB(runningPid(t, n)),
            })),
        });
        if (entries < target) {
            loadLog.push(
                `${target.toLocaleString('en-US')} not reached within --max-minutes ${maxMinutes}: the last point is at ${entries.toLocaleString('en-US')}`,
            );
            break;
        }
    }

    // ---- a peer's restart with that ledger ----
    const mois = peers.find((n) => n.org === 'MOISMSP');
    if (!mois) throw new Error('BENCH_FAILED: the test devnet has no MOIS peer');
    // A key to read back from the restarted peer: its answer shows the peer and its chaincode serve again.
    const written = await welfare.gateway
        .getNetwork(t.channel)
        .getContract('fixture')
        .submitAsync('Put', { arguments: ['scale-restart', run] });
    if ((await written.getStatus()).code !== StatusCode.VALID)
        throw new Error('BENCH_FAILED: the fixture Put before the restart did not commit');
    await peersCaughtUp(t);
    progress(`restarting ${mois.name}`);
    await stopNode(t, mois);
    const restartBegin = performance.now();
    startNode(t, mois);
    await waitHealthy(t, mois, 600_000);
    const healthySeconds = (performance.now() - restartBegin) / 1000;
    const moisUser = connectAs(t, 'MOISMSP', 'User1');
    const moisFixture = moisUser.gateway.getNetwork(t.channel).getContract('fixture');
    let servingSeconds = Number.NaN;
    let lastError = '';
    for (const until = Date.now() + 120_000; Date.now() < until; ) {
        try {
            const value = utf8.decode(
                await moisFixture.evaluate('Get', { arguments: ['scale-restart'], endorsingOrganizations: ['MOISMSP'] }),
            );
            if (value !== run) throw new Error(`BENCH_FAILED: the restarted peer read ${value}, not ${run}`);
            servingSeconds = (performance.now() - restartBegin) / 1000;
            break;
        } catch (err) {
            lastError = `${(err as Error).message} ${JSON.stringify((err as { details?: unknown }).details ?? '')}`;
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    if (Number.isNaN(servingSeconds)) throw new Error(`BENCH_FAILED: the restarted peer did not serve within 120 s: ${lastError}`);
    const restartedRss = rssMiB(runningPid(t, mois));
    moisUser.close();
    welfare.close();
    audit.close();

    // ---- the tables ----
    const row = (cells: string[], widths: number[]) =>
        cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    say('');
    say(
        `Scale benchmark, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores, load average ${fmt(loadBefore, 2)} at start, ${fmt(os.loadavg()[0], 2)} at end; devnet: ${t.orgs.length} orgs, MAJORITY, batch timeout ${t.orderer.batch.timeoutMs} ms`,
    );
    say(`cards: ${issued} issued through Seoul's gateway in ${fmt(cardSeconds)} s (${fmt(issued / cardSeconds)} /s, 16 in flight)`);
    for (const l of loadLog) say(`entries: ${l}`);
    const w = [10, 8, 12, 12, 10, 12, 12, 9, 22, 22];
    say(
        row(
            [
                'entries',
                'height',
                'card p50 ms',
                'card p99 ms',
                'lookups',
                'page p50 ms',
                'page p99 ms',
                'records',
                'peers disk MiB',
                'peers RSS MiB',
            ],
            w,
        ),
    );
    for (const p of points) {
        say(
            row(
                [
                    p.entries.toLocaleString('en-US'),
                    String(p.height),
                    fmt(percentileOf(p.lookups, 50), 2),
                    fmt(percentileOf(p.lookups, 99), 2),
                    String(p.lookups.length),
                    fmt(percentileOf(p.pages, 50), 2),
                    fmt(percentileOf(p.pages, 99), 2),
                    String(p.records),
                    p.peers.map((x) => fmt(x.diskMiB, 0)).join('/'),
                    p.peers.map((x) => fmt(x.rssMiB, 0)).join('/'),
                ],
                w,
            ),
        );
    }
    say(
        `   peers in order: ${peers.map((n) => n.name).join(', ')}; a history page: ListAccessLogByCaller, 100 entries, following bookmarks`,
    );
    if (points.length > 1) {
        const [first, last] = [points[0], points[points.length - 1]];
        const ratio = percentileOf(last.lookups, 99) / percentileOf(first.lookups, 99);
        say(
            `card lookup p99 at ${last.entries.toLocaleString('en-US')} / at ${first.entries.toLocaleString('en-US')} entries: ${fmt(ratio, 2)} (goal <= 2: ${ratio <= 2 ? 'met' : 'NOT met'})`,
        );
    }
    say(
        `restart of ${mois.name} with that ledger: healthy in ${fmt(healthySeconds, 2)} s, serving an evaluation in ${fmt(servingSeconds, 2)} s, RSS ${fmt(restartedRss, 0)} MiB after it`,
    );
    say(`whole run ${fmt((Date.now() - startedAt) / 60_000)} min`);
}

runOnTestNetwork(main);
