// Benchmark of the gateway process alone (not a test): the REST gateway's own CPU per request,
// with Fabric replaced by an in-process fake that answers at once (FakeFabric, the HTTP tests'
// fixture), so that what is measured is what the gateway adds over the fabric-gateway client:
// HTTP, routing, the API-key check, rate limits, validation, the idempotency record (SQLite, group
// commit), metrics, logging and the answer. The gateway runs in a child process; this process is
// the client (node:http, keep-alive) and reads the child's CPU (user + system) around each level.
// Printed per operation and concurrency: requests/s and the gateway's CPU ms per request, side by
// side in one run. The fake answers a RequestAccess GRANTED and its ReadGrantedData with the data
// sealed to the request's key, as the chaincode does, so a POST makes both calls.
// Run: npm run bench:gateway [-- --seconds 5 --levels 1,32 --cpu-prof DIR]
import { type ChildProcess, fork } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import { sealJson } from '../../chaincode/model/sealed';
import { createLogger } from '../../network/client/logger';
import { NODE_V8_OPTIONS } from '../../network/devnet/processes';
import { buildFixture, validAccessRequest } from '../unit/gateway/fixture';
import { closedLoop, flag } from './measure';
import { cpuProfFolder } from './profile';

const CARD = {
    docType: 'card',
    cardId: 'card-0001',
    status: 'ACTIVE',
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2031-01-01T00:00:00.000Z',
    version: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
    lastTxId: 'a'.repeat(64),
};

/** The child: the gateway app on an ephemeral port, answering the parent's CPU questions. */
function serve(): void {
    const fx = buildFixture({
        // As a gateway logs: one JSON line per request, to its log file (the child's stdout).
        log: createLogger({ node: 'gateway.bench' }),
        limits: { max: 1e9, anonymousMax: 1e9 },
        script: (fn, arg, req) => {
            if (fn.endsWith(':GetCard')) return CARD;
            if (fn.endsWith(':RequestAccess'))
                return { accessId: crypto.randomBytes(32).toString('hex'), decision: 'GRANTED', reason: 'CONSENT' };
            if (fn.endsWith(':ReadGrantedData')) {
                // As the chaincode answers: the granted data sealed to the request's one-time key.
                const granted = {
                    accessId: arg.accessId,
                    cardId: 'card-0001',
                    items: { name: 'Hong Gildong' },
                    predicates: { 'ageAtLeast:65': true },
                };
                const key = req.transient?.responseKey as Uint8Array;
                return { accessId: arg.accessId, cardId: 'card-0001', sealed: sealJson(granted, key, 'tx', arg.accessId as string) };
            }
            throw new Error(`bench: no answer for ${fn}`);
        },
    });
    const server = http.createServer(fx.gw.app);
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        process.send?.({ port, key: fx.keys['welfare-app'] });
    });
    process.on('message', (m: { ask: 'cpu' | 'stop' }) => {
        if (m.ask === 'cpu') process.send?.({ cpu: process.cpuUsage() });
        else server.close(() => process.exit(0));
    });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function call(port: number, key: string, method: 'GET' | 'POST', path_: string, expect: number, body?: unknown): Promise<void> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                host: '127.0.0.1',
                port,
                method,
                path: path_,
                agent,
                headers: {
                    Authorization: `Bearer ${key}`,
                    ...(payload
                        ? { 'Content-Type': 'application/json', 'Content-Length': payload.length, 'Idempotency-Key': crypto.randomUUID() }
                        : {}),
                },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () =>
                    res.statusCode === expect
                        ? resolve()
                        : reject(
                              new Error(`BENCH_FAILED: ${method} ${path_} answered ${res.statusCode}: ${Buffer.concat(chunks).toString()}`),
                          ),
                );
            },
        );
        req.on('error', reject);
        req.end(payload);
    });
}

async function main(): Promise<void> {
    const usage = 'usage: npm run bench:gateway -- [--seconds S (> 0)] [--levels 1,32 (whole numbers >= 1)] [--cpu-prof DIR]';
    const seconds = Number(flag('seconds', '5'));
    const levels = flag('levels', '1,32').split(',').map(Number);
    if (!(seconds > 0) || levels.some((n) => !Number.isInteger(n) || n < 1)) {
        console.error(usage);
        process.exit(2);
    }
    const profDir = cpuProfFolder(process.argv, usage);
    const logFile = path.join(os.tmpdir(), `bench-gateway-${process.pid}.log`);
    const logFd = fs.openSync(logFile, 'w');
    const child: ChildProcess = fork(__filename, ['--serve'], {
        // The devnet's V8 options for a gateway (its semi-spaces), as npm start runs one.
        execArgv: [NODE_V8_OPTIONS.gateway, ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [])],
        stdio: ['ignore', logFd, 'inherit', 'ipc'],
    });
    process.on('exit', (code) => {
        if (code === 0) fs.rmSync(logFile, { force: true });
        else console.error(`the gateway's log: ${logFile}`);
    });
    const ask = <T>(m: object): Promise<T> =>
        new Promise((resolve) => {
            child.once('message', (answer) => resolve(answer as T));
            child.send(m);
        });
    const { port, key } = await new Promise<{ port: number; key: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
    const ops = {
        'GET /v1/cards/{id}': () => call(port, key, 'GET', '/v1/cards/card-0001', 200),
        'POST /v1/access-requests': () => call(port, key, 'POST', '/v1/access-requests', 201, validAccessRequest()),
    };
    const measure = async (run: () => Promise<void>, concurrency: number, forSeconds: number) => {
        const before = (await ask<{ cpu: NodeJS.CpuUsage }>({ ask: 'cpu' })).cpu;
        const started = performance.now();
        const done = await closedLoop(concurrency, forSeconds, run);
        const wall = (performance.now() - started) / 1000;
        const after = (await ask<{ cpu: NodeJS.CpuUsage }>({ ask: 'cpu' })).cpu;
        return { perSecond: done / wall, cpuMs: (after.user - before.user + after.system - before.system) / 1000 / done };
    };
    for (const run of Object.values(ops)) await measure(run, 8, 1); // warm: JIT, statements, the file
    const load = os.loadavg()[0]?.toFixed(2);
    console.log(`Gateway process benchmark, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores, load average ${load}`);
    console.log(`Fabric replaced by an in-process fake; ${seconds} s per row; the gateway's CPU (user + system) per request`);
    const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(28) : c.padStart(14))).join('');
    console.log(row(['operation', 'concurrency', 'requests/s', 'CPU ms/req']));
    for (const [name, run] of Object.entries(ops)) {
        for (const c of levels) {
            const r = await measure(run, c, seconds);
            console.log(row([name, String(c), r.perSecond.toFixed(0), r.cpuMs.toFixed(3)]));
        }
    }
    // The child answers a stop by exiting, not with a message.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ ask: 'stop' });
    await exited;
    agent.destroy();
}

if (process.argv.includes('--serve')) serve();
else
    main().catch((err) => {
        console.error(err);
        process.exit(1);
    });
