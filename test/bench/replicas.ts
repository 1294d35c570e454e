// Benchmark (not a test): what the shared PostgreSQL store costs MOIS's gateway, and what a second
// replica gives, on a test devnet of its own (E2E_PORT_SHIFT, default +11200) and a private
// PostgreSQL server (Debian's postgresql package). Three gateway processes beside the devnet's own:
// one on a SQLite file (the default backend), two on one PostgreSQL database. Measured for each of
// "SQLite, 1 process", "PostgreSQL, 1 replica" and "PostgreSQL, 2 replicas" (round robin): reads
// (GET /v1/services, one evaluate) and registrations (POST /v1/services with an Idempotency-Key, one
// committed transaction), at the same concurrency, in alternating halves (A B C C B A) so that drift
// falls on each alike. On one machine the replicas share its cores: the figures are the store's
// cost, not a scale-out across hosts.
// Run: npm run bench:replicas [-- --seconds 10 --concurrency 16]
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { provisionApp } from '../../gateway/admin';
import { basicPensionServiceBody } from '../../scripts/demo';
import { type GatewayProcess, startGatewayProcess } from '../e2e/replica';
import { runOnTestNetwork, testNetwork } from '../e2e/network';
import { percentile } from './measure';
import { postgresMissing, startPostgres } from '../postgres';

const ORG = 'MOISMSP';

function flag(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const progress = (s: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface Sample {
    count: number;
    seconds: number;
    latencies: number[];
}

interface Setup {
    label: string;
    targets: GatewayProcess[];
    apiKey: string;
    reads: Sample;
    writes: Sample;
}

/** `concurrency` callers for `seconds`, each sending to the next target in turn; every answer must be `expect`. */
async function drive(
    s: Setup,
    seconds: number,
    concurrency: number,
    method: 'GET' | 'POST',
    route: string,
    body: () => unknown,
    expect: number,
    into: Sample,
): Promise<void> {
    const end = Date.now() + seconds * 1000;
    let turn = 0;
    const t0 = Date.now();
    let count = 0;
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (Date.now() < end) {
                const target = s.targets[turn++ % s.targets.length];
                const payload = body();
                const started = performance.now();
                const res = await fetch(target.url + route, {
                    method,
                    headers: {
                        Authorization: `Bearer ${s.apiKey}`,
                        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() } : {}),
                    },
                    body: payload !== undefined ? JSON.stringify(payload) : undefined,
                    signal: AbortSignal.timeout(60_000),
                });
                const text = await res.text();
                if (res.status !== expect)
                    throw new Error(`BENCH_FAILED: ${method} ${route} at ${target.name} answered ${res.status}: ${text.slice(0, 300)}`);
                into.latencies.push(performance.now() - started);
                count++;
            }
        }),
    );
    into.count += count;
    into.seconds += (Date.now() - t0) / 1000;
}

async function main(): Promise<void> {
    const missing = postgresMissing();
    if (missing) throw new Error(`BENCH_NOT_RUN: ${missing}`);
    const seconds = Number(flag('seconds', '10'));
    const concurrency = Number(flag('concurrency', '16'));
    const t = (await testNetwork()).topology;
    const pg = await startPostgres();
    const processes: GatewayProcess[] = [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replicas-'));
    try {
        const url = await pg.createDatabase('bench_replicas');
        const sqliteFile = path.join(dir, 'gateway.sqlite');
        const provision = async (databaseFile: string) =>
            (
                await provisionApp({
                    topology: t,
                    databaseFile,
                    mspId: ORG,
                    name: 'bench-replicas',
                    identity: 'service-admin1',
                    role: 'service-admin',
                })
            ).apiKey;
        const [sqliteKey, pgKey] = [await provision(sqliteFile), await provision(url)];
        const unlimited = { GATEWAY_RATE_MAX: '1000000000', GATEWAY_ANONYMOUS_RATE_MAX: '1000000000' };
        const start = async (name: string, env: Record<string, string>) => {
            const p = await startGatewayProcess(t, ORG, name, { ...unlimited, ...env });
            processes.push(p);
            return p;
        };
        const sqlite = await start('sqlite', { GATEWAY_DB: sqliteFile });
        const [a, b] = [await start('pg-a', { GATEWAY_DATABASE_URL: url }), await start('pg-b', { GATEWAY_DATABASE_URL: url })];
        const empty = (): Sample => ({ count: 0, seconds: 0, latencies: [] });
        const setups: Setup[] = [
            { label: 'SQLite, 1 process', targets: [sqlite], apiKey: sqliteKey, reads: empty(), writes: empty() },
            { label: 'PostgreSQL, 1 replica', targets: [a], apiKey: pgKey, reads: empty(), writes: empty() },
            { label: 'PostgreSQL, 2 replicas', targets: [a, b], apiKey: pgKey, reads: empty(), writes: empty() },
        ];
        const run = Date.now().toString(36);
        let n = 0;
        for (const s of [...setups, ...[...setups].reverse()]) {
            progress(`${s.label}: reads then registrations, ${seconds / 2} s each at ${concurrency} callers`);
            await drive(s, seconds / 2, concurrency, 'GET', '/v1/services?pageSize=1', () => undefined, 200, s.reads);
            await drive(
                s,
                seconds / 2,
                concurrency,
                'POST',
                '/v1/services',
                () => basicPensionServiceBody(`bench-${run}-${++n}`, 'Replica benchmark', { items: ['name'], predicates: [] }),
                201,
                s.writes,
            );
        }
        const row = (x: Sample) => {
            const sorted = [...x.latencies].sort((p, q) => p - q);
            return `${(x.count / x.seconds).toFixed(1).padStart(8)}/s  p50 ${percentile(sorted, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(sorted, 99).toFixed(0).padStart(5)} ms`;
        };
        console.log(`\nMOIS gateway, ${concurrency} callers, ${seconds} s per figure (two halves), ${os.cpus().length} cores`);
        console.log(`${'setup'.padEnd(24)}${'reads (GET /v1/services)'.padEnd(42)}registrations (POST /v1/services, committed)`);
        for (const s of setups) console.log(`${s.label.padEnd(24)}${row(s.reads).padEnd(42)}${row(s.writes)}`);
    } finally {
        await Promise.all(processes.map((p) => p.stop()));
        await pg.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

runOnTestNetwork(main);
