// A Fabric client as widely used benchmark tools and older applications still have it:
// @hyperledger/fabric-gateway 1.5.0 over @grpc/grpc-js 1.10.3 (aliased dev dependencies, installed
// for this only), which ends every call with an RST_STREAM. The grpc.Client is built from the old
// grpc-js and given to the old fabric-gateway's connect() (fabric-gateway 1.5.0 itself resolves
// the project's grpc-js, which would not reproduce the old client; an npm override would reach the
// product's own packages). grpc-js 1.10.3 resets every finished stream only when Node 20 or older
// runs it (Node 24 writes no reset for a stream already closed: 0 seen), so oldClientRunner() runs
// it under such a Node when the machine has one (test/e2e/old-client-run.ts).
// Used by test/e2e/old-client.test.ts and `npm run bench:devnet -- --old-client`.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import type * as gatewayTypes from '@hyperledger/fabric-gateway';
import { loadUser } from '../../network/client/connection';
import { withDeadline } from '../deadline';
import { address, findOrg, paths, type Topology } from '../../network/client/topology';

const oldGrpc = require('grpc-js-1-10-3') as typeof grpcTypes;
const oldGateway = require('fabric-gateway-1-5-0') as typeof gatewayTypes;

/** The versions actually loaded (the test checks them). */
export const OLD_CLIENT_VERSIONS = {
    grpcJs: (require('grpc-js-1-10-3/package.json') as { version: string }).version,
    fabricGateway: (require('fabric-gateway-1-5-0/package.json') as { version: string }).version,
};

export interface OldClient {
    contract: gatewayTypes.Contract;
    close(): void;
}

/** An old client of one org's peer, as User1, with the deadlines the benchmark tools give (60 s). */
export function oldClient(t: Topology, mspId: string, chaincode = 'fixture'): OldClient {
    const org = findOrg(t, mspId);
    const client = new oldGrpc.Client(address(org.peer), oldGrpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, mspId))), {
        'grpc.ssl_target_name_override': paths.peerName(t, mspId),
    });
    const { identity, signer } = loadUser(t, mspId, 'User1');
    const deadline = () => ({ deadline: Date.now() + 60_000 });
    const gateway = oldGateway.connect({
        client: client as never,
        identity,
        signer,
        evaluateOptions: deadline,
        endorseOptions: deadline,
        submitOptions: deadline,
        commitStatusOptions: deadline,
    });
    return {
        contract: gateway.getNetwork(t.channel).getContract(chaincode),
        close() {
            gateway.close();
            client.close();
        },
    };
}

export interface PacedResult {
    sent: number;
    ok: number;
    failed: number;
    /** Failure messages and how often each came. */
    errors: Map<string, number>;
    seconds: number;
    /** Completed calls per second. */
    perSecond: number;
    p50: number;
    p99: number;
}

/** Starts `rate` calls a second for `seconds` (an open loop: calls in flight do not slow it), then waits for the last. */
export async function paced(rate: number, seconds: number, once: (i: number) => Promise<void>): Promise<PacedResult> {
    const total = Math.round(rate * seconds);
    const errors = new Map<string, number>();
    const latencies: number[] = [];
    let ok = 0;
    let failed = 0;
    let sent = 0;
    const inFlight: Promise<void>[] = [];
    const begin = performance.now();
    while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * rate) + 1);
        while (sent < due) {
            const started = performance.now();
            inFlight.push(
                once(sent++).then(
                    () => {
                        ok++;
                        latencies.push(performance.now() - started);
                    },
                    (err: { code?: number; details?: string; message?: string }) => {
                        failed++;
                        const key = `${err.code ?? ''} ${err.message ?? err.details ?? String(err)}`.trim().slice(0, 200);
                        errors.set(key, (errors.get(key) ?? 0) + 1);
                    },
                ),
            );
        }
        await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inFlight);
    const elapsed = (performance.now() - begin) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
    return { sent, ok, failed, errors, seconds: elapsed, perSecond: ok / elapsed, p50: at(0.5), p99: at(0.99) };
}

/** The old client's evaluations and submits of the fixture chaincode (Get of a key Put first; Put of new keys). */
export function oldClientCalls(
    client: OldClient,
    run: string,
): { prepare(): Promise<void>; evaluate(): Promise<void>; submit(i: number): Promise<void> } {
    return {
        async prepare() {
            await client.contract.submitTransaction('Put', `${run}-seed`, 'v');
        },
        async evaluate() {
            await client.contract.evaluateTransaction('Get', `${run}-seed`);
        },
        async submit(i: number) {
            const tx = await client.contract.submitAsync('Put', { arguments: [`${run}-${i}`, 'v'] });
            const status = await tx.getStatus();
            if (!status.successful) throw new Error(`transaction ${status.transactionId} committed as ${status.code}`);
        },
    };
}

/** A Node to run the old client under. */
export interface NodeRuntime {
    path: string;
    version: string;
}

/** Node versions below this write no RST_STREAM for a stream already closed, so grpc-js < 1.10.4 sends none on them. */
const FIRST_NODE_WITHOUT_RESETS = 22;

/** True when grpc-js 1.10.3 under this Node version resets every finished stream. */
export const resetsFinishedStreams = (version: string): boolean => Number(/^v(\d+)/.exec(version)?.[1]) < FIRST_NODE_WITHOUT_RESETS;

/**
 * A Node older than 22 on this machine, to run the old client as its users do: $OLD_CLIENT_NODE,
 * else /usr/bin/node; undefined when neither is one.
 */
export function olderNode(): NodeRuntime | undefined {
    for (const candidate of [process.env.OLD_CLIENT_NODE, '/usr/bin/node']) {
        if (!candidate || !fs.existsSync(candidate)) continue;
        const run = spawnSync(candidate, ['-p', 'process.version'], { encoding: 'utf8', timeout: 10_000 });
        const version = run.status === 0 ? run.stdout.trim() : '';
        if (/^v\d+\./.test(version) && resetsFinishedStreams(version)) return { path: candidate, version };
    }
    return undefined;
}

/** What test/e2e/old-client-run.ts is asked (on stdin). */
export interface RoundRequest {
    topology: Topology;
    mspId: string;
    run: string;
    what: 'prepare' | 'evaluate' | 'submit';
    rate: number;
    seconds: number;
    /** Evaluations first, not counted. */
    warmup: number;
}

/** ...and answers (on stdout). */
export interface RoundReply {
    node: string;
    result?: Omit<OldRoundResult, 'errors'> & { errors: [string, number][] };
}

/** A round of the old client: its calls, and when it ran in a process of its own, the resets of finished streams it wrote. */
export interface OldRoundResult extends PacedResult {
    resetsWritten?: number;
}

/** The old client's rounds, in this process or under another Node. */
export interface OldClientRunner {
    /** The Node it runs under (its version). */
    readonly node: string;
    /** Whether its grpc-js resets every finished stream there (Node < 22). */
    readonly resetsFinishedStreams: boolean;
    prepare(): Promise<void>;
    round(what: 'evaluate' | 'submit', rate: number, seconds: number, warmup?: number): Promise<OldRoundResult>;
    close(): void;
}

/** The old client of one org's peer, under `node` (a process per round) or, without it, in this process. */
export function oldClientRunner(t: Topology, mspId: string, run: string, node?: NodeRuntime): OldClientRunner {
    if (!node) {
        const client = oldClient(t, mspId);
        const calls = oldClientCalls(client, run);
        return {
            node: process.version,
            resetsFinishedStreams: resetsFinishedStreams(process.version),
            prepare: () => calls.prepare(),
            async round(what, rate, seconds, warmup = 0) {
                for (let i = 0; i < warmup; i++) await calls.evaluate();
                return paced(rate, seconds, what === 'submit' ? (i) => calls.submit(i) : () => calls.evaluate());
            },
            close: () => client.close(),
        };
    }
    const script = path.join(__dirname, 'old-client-run.js');
    const ask = (request: Omit<RoundRequest, 'topology' | 'mspId' | 'run'>): Promise<RoundReply> => {
        const child = spawn(node.path, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
        // Its calls' own deadlines are 60 s; a loaded machine may stretch a round well past its seconds.
        const ms = 90_000 + request.seconds * 5_000;
        const reply = new Promise<RoundReply>((resolve, reject) => {
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => {
                out += d.toString();
            });
            child.stderr.on('data', (d: Buffer) => {
                err += d.toString();
            });
            child.on('error', reject);
            child.on('close', (code) => {
                if (code !== 0) reject(new Error(`OLD_CLIENT_FAILED: ${node.path} ${script} exited ${code}: ${err.trim().slice(-500)}`));
                else resolve(JSON.parse(out) as RoundReply);
            });
            child.stdin.end(JSON.stringify({ topology: t, mspId, run, ...request } satisfies RoundRequest));
        });
        return withDeadline(`the old client's ${request.what} under ${node.path}`, ms, reply, () => child.kill('SIGKILL'));
    };
    return {
        node: node.version,
        resetsFinishedStreams: resetsFinishedStreams(node.version),
        async prepare() {
            await ask({ what: 'prepare', rate: 0, seconds: 0, warmup: 0 });
        },
        async round(what, rate, seconds, warmup = 0) {
            const reply = await ask({ what, rate, seconds, warmup });
            if (!reply.result) throw new Error('OLD_CLIENT_FAILED: no result');
            // JSON has no NaN (the percentiles of a round without a success): null comes back.
            const { p50, p99 } = reply.result;
            return { ...reply.result, p50: p50 ?? Number.NaN, p99: p99 ?? Number.NaN, errors: new Map(reply.result.errors) };
        },
        close: () => undefined,
    };
}
