// Benchmark of the gateway's embedded store (not a test): the idempotency record of one POST, as
// gateway/http/route.ts writes it (claim, the prepared transaction, the answer: three writes), on a
// SqliteStore in a temporary file (WAL, synchronous = FULL), with 1 to 64 requests at a time. The
// writes of one turn of the event loop share one group commit: printed are the requests a second,
// the process's CPU per request (user + system, fsync included), and commits per request (3 at one
// request at a time, fewer when requests overlap), each level side by side in one run.
// Run: npm run bench:store [-- --seconds 5 --levels 1,8,32,64]
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IdempotencyStore } from '../../gateway/idempotency/store';
import { SqliteStore } from '../../gateway/store/sqlite';
import { closedLoop, flag } from './measure';

const seconds = Number(flag('seconds', '5'));
const levels = flag('levels', '1,8,32,64').split(',').map(Number);
if (!(seconds > 0) || levels.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error('usage: npm run bench:store -- [--seconds S (> 0)] [--levels 1,8,32 (whole numbers >= 1)]');
    process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-store-'));
const store = SqliteStore.open(path.join(dir, 'gateway.sqlite'));
const idempotency = new IdempotencyStore(store, { ttlMs: 3_600_000 });
const body = { accessId: crypto.randomBytes(32).toString('hex'), decision: 'GRANTED', reason: 'CONSENT' };
let n = 0;

/** One POST's record: claimed, its signed transaction stored, its answer stored. */
async function request(): Promise<void> {
    const key = `bench-${++n}-${crypto.randomUUID()}`;
    const begun = await idempotency.begin('app-bench', key, 'hash', 'welfare');
    if (begun.kind !== 'new') throw new Error(`BENCH_FAILED: claim of a new key answered ${begun.kind}`);
    const tx = { transactionId: crypto.randomBytes(32).toString('hex'), bytes: crypto.randomBytes(3000), result: crypto.randomBytes(200) };
    if (!(await idempotency.prepared('app-bench', key, 'RequestAccess', tx))) throw new Error('BENCH_FAILED: record not held');
    await idempotency.complete('app-bench', key, { status: 201, body });
}

async function level(concurrency: number) {
    const commits = store.commits;
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const done = await closedLoop(concurrency, seconds, request);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    return {
        concurrency,
        perSecond: (done * 1000) / wallMs,
        cpuMs: (used.user + used.system) / 1000 / done,
        systemMs: used.system / 1000 / done,
        commitsPer: (store.commits - commits) / done,
    };
}

async function main() {
    await level(1); // warm: statements prepared, the file grown
    const rows = [];
    for (const c of levels) rows.push(await level(c));
    const load = os.loadavg()[0]?.toFixed(2);
    console.log(`Gateway store benchmark, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores, load average ${load}`);
    console.log(
        `SQLite (node:sqlite), WAL, synchronous = FULL, in ${os.tmpdir()}; ${seconds} s per level; one request = claim, prepared, complete`,
    );
    const w = [14, 12, 14, 18, 18];
    const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[0] as number) : c.padStart(w[i] as number))).join('');
    console.log(row(['concurrency', 'requests/s', 'CPU ms/req', 'of it system ms', 'commits/request']));
    for (const r of rows) {
        console.log(
            row([String(r.concurrency), r.perSecond.toFixed(0), r.cpuMs.toFixed(3), r.systemMs.toFixed(3), r.commitsPer.toFixed(2)]),
        );
    }
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (first && last && first !== last) {
        console.log(
            `at ${last.concurrency} requests at a time: ${(last.perSecond / first.perSecond).toFixed(2)}x the requests/s and ${(last.cpuMs / first.cpuMs).toFixed(2)}x the CPU per request of ${first.concurrency} at a time`,
        );
    }
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
