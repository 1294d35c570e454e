// Benchmark of the devnet (not a test): one-write transactions submitted through fabric-gateway
// with MAJORITY endorsement, N clients in flight per level, then evaluations. Prints committed
// transactions per second and latency percentiles per level, and the processes and memory (RSS)
// of the running devnet, and the CPU time each kind of node spent per call. With --compare-fabric
// (and Fabric's binaries) it then runs the same workload on real Fabric v3.1.5 brought up from the
// same topology, and prints the ratios.
// Run: npm run bench:devnet [-- --seconds 15 --levels 1,8,32,64 --evaluate 32 --compare-fabric]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Contract, StatusCode } from '@hyperledger/fabric-gateway';
import { connectAs } from '../../network/client/connection';
import { fabricBinariesOrUndefined } from '../../network/fabric/binaries';
import { asFabric, fabricDown, fabricNodes, fabricUp } from '../../network/fabric/network';
import { devnetNodes, runningPid } from '../../network/devnet/processes';
import { paths, type Topology } from '../../network/client/topology';
import { driver, ownTestNetwork, runOnTestNetwork, stopTestNetwork, testNetwork } from '../e2e/network';
import { oldClientRunner, olderNode, type PacedResult } from '../e2e/old-client';
import { flag, percentile, rssKiB } from './measure';
import { cpuProfFolder, profileChildren, profileClock, profileSelf, summariseProfiles, type Window } from './profile';

const HELP = `Usage: npm run bench:devnet [-- options]

Brings up the test devnet (ports shifted by $E2E_PORT_SHIFT), submits one-write transactions
(fixture Put, MAJORITY of the orgs) with N clients per level, then evaluates (fixture Get) with
--evaluate clients per level, and prints tx/s and latency percentiles per level plus the devnet's processes
and memory.

Options:
  --seconds N        seconds per level (default 15)
  --levels a,b,...   client counts (default 1,8,32,64)
  --evaluate a,b,... client counts of the evaluation levels (default 32; 0 skips them)
  --steps N          then submit N transactions one at a time and print the median time of each
                     step of one transaction, from the proposal to the commit status, with the
                     orderer's and the peers' log lines (devnet only; default 0: skipped)
  --orgs N           a network of the default topology's first N orgs only (e.g. 2: Seoul and MOIS,
                     MAJORITY = both), with its own state folder, instead of the four-org test network
  --chaincode-plain  a network of its own whose chaincode servers serve plain gRPC (server.tls
                     false), to compare with the default's TLS with client authentication
  --old-client       instead of the levels: a client on grpc-js 1.10.3 + fabric-gateway 1.5.0 sends
                     --old-evaluate-rate evaluations a second (default 300), then --old-submit-rate
                     submits a second (default 100), --seconds each (open loop), under a Node older
                     than 22 when there is one ($OLD_CLIENT_NODE, else /usr/bin/node: there its
                     grpc-js resets every finished stream; on Node 22+ it does not); prints the Node,
                     the failures by message and, on the devnet, the GOAWAYs its nodes sent and the
                     resets of finished streams its peer counted
  --cpu-prof DIR     profile every node process and the client (V8's sampling profiler, node
                     --cpu-prof; files in DIR/devnet and DIR/fabric) and print, per level and kind of
                     node, the share idle, the busy time by category and the functions with the
                     most self time (processes started before the benchmark are not profiled)
  --compare-fabric   then stop the devnet, bring up real Fabric v3.1.5 from the same topology
                     (binaries from $FABRIC_BIN or PATH), run the same workload on it, stop it,
                     and print both side by side with the ratio devnet / Fabric
  --help             this text

Two-org evaluations against real Fabric, side by side:
  npm run bench:devnet -- --orgs 2 --levels 1 --evaluate 32 --compare-fabric`;

export interface LevelFigures {
    what: string;
    clients: number;
    perSecond: number;
    p50: number;
    p95: number;
    p99: number;
    /** CPU milliseconds per completed call, by kind of node (when the node processes are known). */
    cpuPerCall?: Map<string, number>;
    /** Ms per call that each kind's threads spent runnable, waiting for a core (/proc/<pid>/task/<tid>/schedstat). */
    waitPerCall?: Map<string, number>;
    /** Times per call that each kind's threads went to sleep (voluntary context switches: waiting for I/O or a message). */
    sleepsPerCall?: Map<string, number>;
    /** When it ran, on the clock of CPU profiles. */
    window: Window;
    /** The machine's CPUs busy meanwhile (user, system, interrupts; /proc/stat), 0 to 1. */
    machineBusy: number;
}

/** The machine's busy and total CPU jiffies so far (/proc/stat's first line). */
function machineJiffies(): { busy: number; total: number } {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
    return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/**
 * By kind of node, so far: CPU time (user + system, ms), robust to other load on the machine, the
 * time their threads were runnable but waiting for a core (ms, the kernel's schedstat), and how
 * often their threads went to sleep (voluntary context switches): a thread woken after a sleep
 * runs its first operations with cold caches, at up to several times their cost in a run
 * (npm run bench:wake), so at one client, where every process sleeps between a transaction's
 * few messages, the CPU per call follows the sleeps per call.
 */
export type CpuSampler = () => { cpu: Map<string, number>; wait: Map<string, number>; sleeps: Map<string, number> };

/** Runs `once` with `clients` in flight for `seconds`; figures of the completed calls. */
async function level(what: string, clients: number, seconds: number, once: () => Promise<void>, cpu?: CpuSampler): Promise<LevelFigures> {
    const latencies: number[] = [];
    const cpuBefore = cpu?.();
    const deadline = performance.now() + seconds * 1000;
    const begin = performance.now();
    const from = profileClock();
    const jiffiesBefore = machineJiffies();
    await Promise.all(
        Array.from({ length: clients }, async () => {
            while (performance.now() < deadline) {
                const started = performance.now();
                await once();
                latencies.push(performance.now() - started);
            }
        }),
    );
    const elapsed = (performance.now() - begin) / 1000;
    const window = { label: `${what}, ${clients} client(s)`, from, to: profileClock() };
    const jiffies = machineJiffies();
    const machineBusy = (jiffies.busy - jiffiesBefore.busy) / Math.max(1, jiffies.total - jiffiesBefore.total);
    let cpuPerCall: Map<string, number> | undefined;
    let waitPerCall: Map<string, number> | undefined;
    let sleepsPerCall: Map<string, number> | undefined;
    if (cpu && cpuBefore) {
        const after = cpu();
        const perCall = (now: Map<string, number>, before: Map<string, number>) =>
            new Map([...now].map(([kind, ms]) => [kind, (ms - (before.get(kind) ?? 0)) / Math.max(1, latencies.length)] as const));
        cpuPerCall = perCall(after.cpu, cpuBefore.cpu);
        waitPerCall = perCall(after.wait, cpuBefore.wait);
        sleepsPerCall = perCall(after.sleeps, cpuBefore.sleeps);
    }
    latencies.sort((a, b) => a - b);
    return {
        cpuPerCall,
        waitPerCall,
        sleepsPerCall,
        window,
        machineBusy,
        what,
        clients,
        perSecond: latencies.length / elapsed,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
    };
}

/** The workload of the benchmark on one network: submit levels, then one evaluation level. */
export async function workload(
    t: Topology,
    options: { seconds: number; levels: number[]; evaluate: number[]; progress: (line: string) => void; cpu?: CpuSampler },
): Promise<LevelFigures[]> {
    const connection = connectAs(t, 'SeoulMSP', 'User1');
    try {
        const contract: Contract = connection.gateway.getNetwork(t.channel).getContract('fixture');
        const run = `bench-${Date.now()}`;
        let n = 0;
        const submit = async () => {
            const tx = await contract.submitAsync('Put', { arguments: [`${run}-${n++}`, 'v'] });
            const status = await tx.getStatus();
            if (status.code !== StatusCode.VALID)
                throw new Error(`BENCH_FAILED: transaction ${status.transactionId} committed as ${status.code}`);
        };
        const evaluate = async () => {
            await contract.evaluate('Get', { arguments: [`${run}-0`] });
        };
        for (let i = 0; i < 50; i++) await submit(); // warm-up: connections, JIT
        for (let i = 0; i < 200; i++) await evaluate();
        const figures: LevelFigures[] = [];
        for (const clients of options.levels) {
            options.progress(`  submit, ${clients} client(s), ${options.seconds} s`);
            figures.push(await level('submit', clients, options.seconds, submit, options.cpu));
        }
        for (const clients of options.evaluate) {
            options.progress(`  evaluate, ${clients} client(s), ${options.seconds} s`);
            figures.push(await level('evaluate', clients, options.seconds, evaluate, options.cpu));
        }
        return figures;
    } finally {
        connection.close();
    }
}

const median = (values: number[]): number => {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    return sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
};

/** The JSON lines of a node's log with a given message, by a numeric field. */
function logEvents(t: Topology, node: string, msg: string, key: string): Map<number, Record<string, unknown>> {
    const out = new Map<number, Record<string, unknown>>();
    for (const line of fs.readFileSync(paths.log(t, node), 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.msg === msg) out.set(Number(event[key]), event);
    }
    return out;
}

/**
 * One transaction at a time, `count` times: the median of each step from the proposal to the
 * commit status, from the client's clock and the block_written / block_committed log lines
 * (millisecond timestamps; the steps overlap where the nodes work in parallel).
 */
export async function steps(t: Topology, count: number): Promise<[string, number][]> {
    const connection = connectAs(t, 'SeoulMSP', 'User1');
    const rows: { proposed: number; endorsed: number; submitted: number; status: number; block: number }[] = [];
    try {
        const contract = connection.gateway.getNetwork(t.channel).getContract('fixture');
        const run = `steps-${Date.now()}`;
        for (let i = 0; i < count + 10; i++) {
            const proposed = Date.now();
            const transaction = await contract.newProposal('Put', { arguments: [`${run}-${i}`, 'v'] }).endorse();
            const endorsed = Date.now();
            const commit = await transaction.submit();
            const submitted = Date.now();
            const status = await commit.getStatus();
            if (status.code !== StatusCode.VALID)
                throw new Error(`BENCH_FAILED: transaction ${status.transactionId} committed as ${status.code}`);
            if (i >= 10) rows.push({ proposed, endorsed, submitted, status: Date.now(), block: Number(status.blockNumber) }); // 10 to warm up
        }
    } finally {
        connection.close();
    }
    const written = logEvents(t, paths.ordererName(t), 'block_written', 'number');
    const local = t.orgs[0].mspId;
    const committed = new Map(t.orgs.map((o) => [o.mspId, logEvents(t, paths.peerName(t, o.mspId), 'block_committed', 'block')]));
    const at = (event: Record<string, unknown> | undefined) => (event ? Date.parse(String(event.time)) : Number.NaN);
    const field = (org: string, name: string) => median(rows.map((r) => Number(committed.get(org)?.get(r.block)?.[name])));
    return [
        [
            'endorse: proposal to the endorsements of a majority (the gateway peer and two others, in parallel)',
            median(rows.map((r) => r.endorsed - r.proposed)),
        ],
        [
            'submit to the block written by the orderer (batch timeout, cut, sign, write + fsync)',
            median(rows.map((r) => at(written.get(r.block)) - r.endorsed)),
        ],
        [
            'block written to committed on the gateway peer (deliver, then its commit)',
            median(rows.map((r) => at(committed.get(local)?.get(r.block)) - at(written.get(r.block)))),
        ],
        ['  commit on the gateway peer: block signature to state', field(local, 'ms')],
        ['    state validation (creator and endorsement signatures, policies, MVCC)', field(local, 'stateValidationMs')],
        ['    block store and private data (write + fsync, index)', field(local, 'blockAndPvtdataCommitMs')],
        ['    state commit (state, history)', field(local, 'stateCommitMs')],
        [
            'committed on the gateway peer to the commit status at the client',
            median(rows.map((r) => r.status - at(committed.get(local)?.get(r.block)))),
        ],
        ['total at the client', median(rows.map((r) => r.status - r.proposed))],
        ...t.orgs.slice(1).map((o): [string, number] => [`  commit on ${o.mspId}'s peer, for comparison`, field(o.mspId, 'ms')]),
    ];
}

/** The machine's load averages (1, 5, 15 min): how much else ran beside the network measured. */
const loadAverage = (): string => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ: 100 on Linux

/**
 * CPU ms (utime + stime from /proc/<pid>/stat), run-queue wait ms (the second field of each
 * thread's /proc/<pid>/task/<tid>/schedstat, summed) and sleeps (each thread's
 * voluntary_ctxt_switches in /proc/<pid>/task/<tid>/status, summed) of a network's running nodes (the devnet's by
 * default), by kind, and of this process as 'client'.
 */
export function devnetCpu(t: Topology, nodes = devnetNodes(t)): CpuSampler {
    return () => {
        const cpu = new Map<string, number>();
        const wait = new Map<string, number>();
        const sleeps = new Map<string, number>();
        const add = (kind: string, pid: number) => {
            try {
                const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
                cpu.set(kind, (cpu.get(kind) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS);
                let waitedNs = 0;
                let slept = 0;
                for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
                    try {
                        waitedNs += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
                        slept += Number(
                            /^voluntary_ctxt_switches:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0,
                        );
                    } catch {
                        /* the thread ended */
                    }
                }
                wait.set(kind, (wait.get(kind) ?? 0) + waitedNs / 1e6);
                sleeps.set(kind, (sleeps.get(kind) ?? 0) + slept);
            } catch {
                /* gone */
            }
        };
        for (const node of nodes) {
            const pid = runningPid(t, node);
            if (pid) add(node.kind, pid);
        }
        add('client', process.pid);
        return { cpu, wait, sleeps };
    };
}

/** The devnet's running processes and their summed RSS, by kind of node. */
export function footprint(t: Topology): { processes: number; rssMiB: number; byKind: Map<string, { count: number; rssMiB: number }> } {
    const byKind = new Map<string, { count: number; rssMiB: number }>();
    let processes = 0;
    let rss = 0;
    for (const node of devnetNodes(t)) {
        const pid = runningPid(t, node);
        if (!pid) continue;
        const kib = rssKiB(pid);
        processes++;
        rss += kib;
        const entry = byKind.get(node.kind) ?? { count: 0, rssMiB: 0 };
        entry.count++;
        entry.rssMiB += kib / 1024;
        byKind.set(node.kind, entry);
    }
    return { processes, rssMiB: rss / 1024, byKind };
}

export function table(figures: LevelFigures[]): string {
    const byKind = (perCall: Map<string, number>) =>
        [...perCall]
            .sort((a, b) => b[1] - a[1])
            .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
            .join(', ');
    const cpu = (f: LevelFigures) => (f.cpuPerCall ? `  ${byKind(f.cpuPerCall)}` : '');
    const rows = figures.map(
        (f) =>
            `${f.what.padEnd(9)} ${String(f.clients).padStart(7)}  ${f.perSecond.toFixed(1).padStart(9)}  ${f.p50.toFixed(1).padStart(6)}  ${f.p95.toFixed(1).padStart(6)}  ${f.p99.toFixed(1).padStart(6)}  ${`${(100 * f.machineBusy).toFixed(0)} %`.padStart(7)}${cpu(f)}`,
    );
    const cpuHeader = figures.some((f) => f.cpuPerCall) ? '  CPU ms per call by node kind' : '';
    const waits = figures.filter((f) => f.waitPerCall).map((f) => `  ${f.what} c=${f.clients}: ${byKind(f.waitPerCall!)}`);
    const sleeps = figures.filter((f) => f.sleepsPerCall).map((f) => `  ${f.what} c=${f.clients}: ${byKind(f.sleepsPerCall!)}`);
    return [
        `call      clients      per s  p50 ms  p95 ms  p99 ms  machine${cpuHeader}`,
        ...rows,
        ...(waits.length > 0 ? ['run-queue wait, ms per call by node kind (runnable, waiting for a core: schedstat)', ...waits] : []),
        ...(sleeps.length > 0 ? ['sleeps per call by node kind (voluntary context switches of all its threads)', ...sleeps] : []),
    ].join('\n');
}

export interface OldClientFigures {
    what: string;
    rate: number;
    result: PacedResult;
    /** GOAWAYs but NO_ERROR ones the network's nodes sent meanwhile (the devnet's /metrics; undefined on Fabric). */
    goaways?: number;
    /** Resets of finished streams the old client wrote (counted in its process, under a Node older than 22). */
    finishedResets?: number;
}

/** The sum of the devnet nodes' grpc_comm_goaway_sent (their operations /metrics) but NO_ERROR ones (answers to a client's own GOAWAY, as the old client's process sends when it exits). */
async function devnetGoaways(t: Topology): Promise<number> {
    let sum = 0;
    const endpoints = [...t.orgs.map((o) => o.peer), ...t.orderer.nodes.slice(0, 1)];
    for (const e of endpoints) {
        const text = await (await fetch(`http://${e.host}:${e.operationsPort}/metrics`)).text();
        for (const line of text.split('\n'))
            if (line.startsWith('grpc_comm_goaway_sent{') && !line.startsWith('grpc_comm_goaway_sent{code="NO_ERROR"'))
                sum += Number(line.split(' ').pop());
    }
    return sum;
}

/** The old client's rounds: evaluations at one rate, then submits at another, `seconds` each, under `node` (see olderNode). */
export async function oldClientWorkload(
    t: Topology,
    options: { seconds: number; evaluateRate: number; submitRate: number; devnet: boolean; progress: (line: string) => void },
): Promise<{ node: string; resetsFinishedStreams: boolean; rows: OldClientFigures[] }> {
    const runner = oldClientRunner(t, t.orgs[0].mspId, `bench-old-${Date.now()}`, olderNode());
    try {
        await runner.prepare();
        await runner.round('evaluate', 100, 2); // warm-up
        const rows: OldClientFigures[] = [];
        for (const [what, rate] of [
            ['evaluate', options.evaluateRate],
            ['submit', options.submitRate],
        ] as const) {
            if (rate <= 0) continue;
            options.progress(`  old client on Node ${runner.node}: ${what} at ${rate}/s, ${options.seconds} s`);
            const goawaysBefore = options.devnet ? await devnetGoaways(t) : 0;
            const result = await runner.round(what, rate, options.seconds);
            rows.push({
                what,
                rate,
                result,
                finishedResets: result.resetsWritten,
                ...(options.devnet ? { goaways: (await devnetGoaways(t)) - goawaysBefore } : {}),
            });
        }
        return { node: runner.node, resetsFinishedStreams: runner.resetsFinishedStreams, rows };
    } finally {
        runner.close();
    }
}

export function oldClientTable(run: { node: string; resetsFinishedStreams: boolean; rows: OldClientFigures[] }): string {
    const lines = run.rows.map((r) => {
        const errors = [...r.result.errors].map(([e, n]) => `\n            ${n} × ${e}`).join('');
        return `${r.what.padEnd(9)} ${String(r.rate).padStart(6)}  ${String(r.result.ok).padStart(6)}  ${String(r.result.failed).padStart(6)}  ${r.result.perSecond.toFixed(1).padStart(8)}  ${r.result.p50.toFixed(1).padStart(7)}  ${r.result.p99.toFixed(1).padStart(7)}  ${String(r.goaways ?? '-').padStart(26)}  ${String(r.finishedResets ?? '-').padStart(15)}${errors}`;
    });
    const node = `the old client ran on Node ${run.node}: ${
        run.resetsFinishedStreams
            ? 'its grpc-js resets every finished stream (as on Node 20 and older)'
            : 'its grpc-js resets no finished stream there; no Node older than 22 found at $OLD_CLIENT_NODE or /usr/bin/node, so the resets were not tested'
    }`;
    return [
        node,
        'call      rate/s      ok  failed  done/s  p50 ms   p99 ms  GOAWAYs sent (not NO_ERROR)  finished resets written',
        ...lines,
    ].join('\n');
}

async function main(): Promise<void> {
    if (process.argv.includes('--help')) {
        console.log(HELP);
        return;
    }
    const seconds = Number(flag('seconds', '15'));
    const levels = flag('levels', '1,8,32,64').split(',').map(Number);
    const evaluate = flag('evaluate', '32')
        .split(',')
        .map(Number)
        .filter((c) => c !== 0);
    const stepCount = Number(flag('steps', '0'));
    if (
        !(seconds > 0) ||
        levels.some((l) => !Number.isInteger(l) || l < 1) ||
        evaluate.some((c) => !Number.isInteger(c) || c < 1) ||
        !Number.isInteger(stepCount) ||
        stepCount < 0
    ) {
        throw new Error(`USAGE: bad --seconds, --levels, --evaluate or --steps\n${HELP}`);
    }
    const progress = (line: string) => process.stderr.write(`${line}\n`);
    const orgCount = process.argv.includes('--orgs') ? Number(flag('orgs', '')) : undefined;
    if (orgCount !== undefined && !(Number.isInteger(orgCount) && orgCount >= 1)) throw new Error(`USAGE: bad --orgs\n${HELP}`);
    const old = process.argv.includes('--old-client');
    const oldOptions = {
        seconds,
        evaluateRate: Number(flag('old-evaluate-rate', '300')),
        submitRate: Number(flag('old-submit-rate', '100')),
        progress,
    };
    const plain = process.argv.includes('--chaincode-plain');
    const cpuProf = cpuProfFolder(process.argv, HELP);
    if (cpuProf) profileChildren(path.join(cpuProf, 'devnet'));
    // Its own network for --orgs or --chaincode-plain (stopped at the end, as runOnTestNetwork stops the test network).
    const own = orgCount !== undefined || plain;
    const topology = own
        ? await ownTestNetwork(plain ? `bench-plain-${orgCount ?? 'all'}` : `bench-${orgCount}orgs`, 0, orgCount, plain)
        : (await testNetwork()).topology;
    if (own) ownNetwork = topology;
    const chaincodeTls = topology.chaincodes.every((cc) => cc.server.tls) ? 'chaincode servers over TLS' : 'chaincode servers without TLS';
    if (old) {
        console.log(
            `old client (grpc-js 1.10.3, fabric-gateway 1.5.0) on the devnet, ${topology.orgs.length} orgs, ${seconds} s per round:`,
        );
        console.log(oldClientTable(await oldClientWorkload(topology, { ...oldOptions, devnet: true })));
        console.log(`machine load average while it ran: ${loadAverage()}`);
    }
    if (!old)
        console.log(
            `devnet benchmark: one-write transaction (fixture Put), MAJORITY of ${topology.orgs.length} orgs, batch timeout ${topology.orderer.batch.timeoutMs} ms, ${chaincodeTls}, ${seconds} s per level`,
        );
    const names = pidNames(topology, devnetNodes(topology));
    const stopSelfProfile = cpuProf ? await profileSelf(path.join(cpuProf, 'devnet')) : undefined;
    const figures = old ? [] : await workload(topology, { seconds, levels, evaluate, progress, cpu: devnetCpu(topology) });
    await stopSelfProfile?.();
    if (!old) console.log(table(figures));
    const fp = footprint(topology);
    const kinds = [...fp.byKind].map(([kind, e]) => `${e.count} ${kind} ${e.rssMiB.toFixed(0)} MiB`).join(', ');
    console.log(`devnet: ${fp.processes} processes, ${fp.rssMiB.toFixed(0)} MiB RSS (${kinds})`);
    console.log(`machine load average while it ran: ${loadAverage()}`);
    if (stepCount > 0) {
        progress(`  ${stepCount} transactions one at a time, step by step`);
        const timeline = await steps(topology, stepCount);
        console.log(`one transaction at 1 client, step by step (median of ${stepCount}, ms):`);
        for (const [step, ms] of timeline) console.log(`${ms.toFixed(1).padStart(7)}  ${step}`);
    }
    if (cpuProf) {
        // The profiles are written as the processes exit.
        await stopTestNetwork();
        await stopOwnNetwork();
        console.log(
            summariseProfiles(
                path.join(cpuProf, 'devnet'),
                names,
                figures.map((f) => f.window),
            ),
        );
    }
    if (!process.argv.includes('--compare-fabric')) return;

    const bin = fabricBinariesOrUndefined(topology.root);
    if (!bin) {
        console.log('real Fabric: not run (no Fabric v3.1.5 binaries in $FABRIC_BIN or PATH); the devnet figures above stand alone');
        return;
    }
    // One network at a time: the devnet stops before Fabric starts, so they never share the CPU.
    await stopTestNetwork();
    await stopOwnNetwork();
    const fabric = asFabric(topology);
    await fabricDown(fabric, true, progress);
    if (cpuProf) profileChildren(path.join(cpuProf, 'fabric'));
    let fabricFigures: LevelFigures[];
    let fabricNames = new Map<number, string>();
    try {
        // With the REST gateways, as the devnet runs them: the same processes on both networks.
        await fabricUp(fabric, { say: progress, bin, gateways: true });
        if (old) {
            console.log('real Fabric v3.1.5, same topology, the same old client:');
            console.log(oldClientTable(await oldClientWorkload(fabric, { ...oldOptions, devnet: false })));
            console.log(`machine load average while it ran: ${loadAverage()}`);
            return;
        }
        console.log('real Fabric v3.1.5, same topology, same client and workload:');
        const nodes = fabricNodes(fabric, bin, true);
        fabricNames = pidNames(fabric, nodes);
        const stopFabricProfile = cpuProf ? await profileSelf(path.join(cpuProf, 'fabric')) : undefined;
        // The same CPU figures for Fabric's processes (peer, orderer, chaincode and CA processes).
        fabricFigures = await workload(fabric, { seconds, levels, evaluate, progress, cpu: devnetCpu(fabric, nodes) });
        await stopFabricProfile?.();
        console.log(table(fabricFigures));
        console.log(`machine load average while it ran: ${loadAverage()}`);
    } finally {
        await fabricDown(fabric, true, progress);
    }
    // Fabric's own nodes are Go (not profiled here): the Node processes among them are the chaincode servers and gateways.
    if (cpuProf)
        console.log(
            summariseProfiles(
                path.join(cpuProf, 'fabric'),
                fabricNames,
                fabricFigures.map((f) => f.window),
            ),
        );
    // Throughput depends on what else the machine runs at that moment; the network's CPU per call
    // (every node, not the client) hardly does: its ratio is the steadier comparison on a shared machine.
    console.log('\nload            devnet per s (p50 ms)   Fabric per s (p50 ms)   ratio   network CPU ms per call: devnet / Fabric');
    for (const [i, d] of figures.entries()) {
        const f = fabricFigures[i];
        const cell = (x: LevelFigures) => `${x.perSecond.toFixed(1)} (${x.p50.toFixed(0)})`.padEnd(24);
        const [dc, fc] = [networkCpu(d), networkCpu(f)];
        const cpu = dc !== undefined && fc !== undefined ? `${dc.toFixed(1)} / ${fc.toFixed(1)} = ${(dc / fc).toFixed(2)}` : '';
        console.log(
            `${`${d.what} c=${d.clients}`.padEnd(16)}${cell(d)}${cell(f)}${(d.perSecond / f.perSecond).toFixed(2).padEnd(8)}${cpu}`,
        );
    }
}

/** pid → name, of a network's running nodes. */
function pidNames(t: Topology, nodes: ReturnType<typeof devnetNodes>): Map<number, string> {
    const out = new Map<number, string>();
    for (const node of nodes) {
        const pid = runningPid(t, node);
        if (pid) out.set(pid, node.name);
    }
    return out;
}

/** CPU ms per call of the network's nodes (all kinds but the benchmark's client). */
function networkCpu(f: LevelFigures): number | undefined {
    if (!f.cpuPerCall) return undefined;
    return [...f.cpuPerCall].filter(([kind]) => kind !== 'client').reduce((sum, [, ms]) => sum + ms, 0);
}

/** The network --orgs brought up, stopped when the benchmark ends (or before Fabric starts). */
let ownNetwork: Topology | undefined;
async function stopOwnNetwork(): Promise<void> {
    const t = ownNetwork;
    ownNetwork = undefined;
    if (t) await driver().down(t, false);
}

if (require.main === module)
    runOnTestNetwork(async () => {
        try {
            await main();
        } finally {
            await stopOwnNetwork();
        }
    });
