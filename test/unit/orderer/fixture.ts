// Test fixture of the orderer's tests: the repository topology with every port shifted by +200 (plus
// this run's E2E_PORT_SHIFT beyond CI's, so that two runs on one machine do not collide) and its own
// state folder, with crypto material generated once per folder.
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { generateCrypto } from '../../../network/devnet/msp/ca';
import { DEFAULT_TOPOLOGY, loadTopology, REPO_ROOT, Topology } from '../../../network/client/topology';
import { exitOf, withDeadline } from '../../deadline';
import { fixturePortShift, shiftPorts } from '../../fixtures/topology';

export const ORDERER_MAIN = path.join(REPO_ROOT, 'dist', 'network', 'devnet', 'orderer', 'main.js');

/** The orderer tests' ports: the default topology's plus this (and the run's E2E_PORT_SHIFT beyond CI's). */
export const PORT_OFFSET = 200;

/** A fresh folder with topology.yaml (ports shifted by fixturePortShift(portOffset), stateDir inside it) and generated crypto. */
export async function shiftedTopology(
    options: { batchTimeout?: string; portOffset?: number } = {},
): Promise<{ dir: string; file: string; topology: Topology }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2-orderer-'));
    const doc = shiftPorts(
        YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8')),
        fixturePortShift(options.portOffset ?? PORT_OFFSET),
    ) as Record<string, unknown>;
    doc.stateDir = path.join(dir, 'state');
    if (options.batchTimeout) (doc.orderer as { batch: Record<string, unknown> }).batch.timeout = options.batchTimeout;
    const file = path.join(dir, 'topology.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    const saved = process.env.DEVNET_STATE_DIR;
    delete process.env.DEVNET_STATE_DIR;
    try {
        const topology = loadTopology(file);
        await generateCrypto(topology);
        return { dir, file, topology };
    } finally {
        if (saved !== undefined) process.env.DEVNET_STATE_DIR = saved;
    }
}

/** A GET and its whole answer; TIMEOUT when the answer has not ended within `timeoutMs`. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    let request: http.ClientRequest | undefined;
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        request = http.get(url, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            res.on('error', reject);
        });
        request.on('error', reject);
    });
    return withDeadline(`the answer to GET ${url}`, timeoutMs, answered, () => request?.destroy());
}

/** The devnet's orderer as a child process of the test, healthy once start() resolves. */
export class OrdererProcess {
    child: child_process.ChildProcess | undefined;
    output = '';
    constructor(
        private readonly t: Topology,
        private readonly file: string,
    ) {}

    async start(): Promise<void> {
        const env = { ...process.env };
        delete env.DEVNET_STATE_DIR;
        delete env.TOPOLOGY;
        this.output = '';
        this.child = child_process.spawn(process.execPath, [ORDERER_MAIN, '--topology', this.file], {
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
        this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
        const deadline = Date.now() + 15000;
        for (;;) {
            if (this.child.exitCode !== null) throw new Error(`orderer exited: ${this.output}`);
            try {
                if ((await httpGet(`http://127.0.0.1:${this.t.orderer.nodes[0].operationsPort}/healthz`)).status === 200) return;
            } catch {
                /* not listening yet */
            }
            if (Date.now() > deadline) throw new Error(`orderer not healthy in time: ${this.output}`);
            await new Promise((r) => setTimeout(r, 50));
        }
    }

    async stop(signal: NodeJS.Signals): Promise<number | null> {
        const child = this.child;
        if (!child || child.exitCode !== null) return child?.exitCode ?? null;
        const exited = exitOf(child, `the orderer process (${signal})`, 15_000);
        child.kill(signal);
        return (await exited).code;
    }
}
