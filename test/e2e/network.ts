// The network the end-to-end tests run on. By default: the devnet of network/topology.yaml with
// every port shifted by +11200 (or $E2E_PORT_SHIFT) and its own state folder, so tests never touch a devnet that
// `npm start` runs. With E2E_TOPOLOGY=file the same tests target that network instead (it must
// already be running, e.g. real Fabric from the same topology).
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { loadTopology, Topology, DEFAULT_TOPOLOGY, REPO_ROOT } from '../../network/topology';
import { up, down } from '../../network/cli';
import { withFixtureChaincode } from '../fixtures/topology';

/**
 * Every port of the default topology plus this (E2E_PORT_SHIFT to run two test devnets side by
 * side). +11200 keeps every port clear of the default devnet's (orgs are 1000 apart) and below
 * 32768, where Linux's ephemeral client ports begin: a port there may be held by a client socket.
 */
const DEFAULT_SHIFT = 11200;
const PORT_SHIFT = Number(process.env.E2E_PORT_SHIFT ?? DEFAULT_SHIFT);
const TEST_STATE = path.join(REPO_ROOT, PORT_SHIFT === DEFAULT_SHIFT ? '.devnet-test' : `.devnet-test-${PORT_SHIFT}`);

export interface TestNetwork {
    topology: Topology;
    /** True when this process started the devnet (and must stop it). */
    owned: boolean;
}

function shiftPorts(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(shiftPorts);
    if (node && typeof node === 'object') {
        return Object.fromEntries(
            Object.entries(node).map(([k, v]) => {
                const isPort = /port$/i.test(k) && typeof v === 'number';
                if (isPort) return [k, v + PORT_SHIFT];
                if (k === 'ports' && v && typeof v === 'object') {
                    return [k, Object.fromEntries(Object.entries(v).map(([org, p]) => [org, (p as number) + PORT_SHIFT]))];
                }
                return [k, shiftPorts(v)];
            }),
        );
    }
    return node;
}

/** Writes the shifted copy of the default topology, plus the test contract, for the test devnet. */
export function testTopologyFile(): string {
    const doc = shiftPorts(withFixtureChaincode(YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8')))) as Record<string, unknown>;
    // The state folder sits below the topology file's folder: a purge keeps the topology.
    doc.stateDir = path.relative(REPO_ROOT, path.join(TEST_STATE, 'state'));
    fs.mkdirSync(TEST_STATE, { recursive: true });
    const file = path.join(TEST_STATE, 'topology.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

let started: Promise<TestNetwork> | undefined;

/** The test network, brought up once per test run. */
export function testNetwork(): Promise<TestNetwork> {
    started ??= (async () => {
        if (process.env.E2E_TOPOLOGY) return { topology: loadTopology(process.env.E2E_TOPOLOGY), owned: false };
        const file = testTopologyFile();
        const previous = process.env.DEVNET_STATE_DIR;
        delete process.env.DEVNET_STATE_DIR;
        const topology = loadTopology(file);
        if (previous !== undefined) process.env.DEVNET_STATE_DIR = previous;
        // A clean ledger each run: tests assert heights and contents.
        await down(topology, true);
        try {
            await up(topology);
        } catch (e) {
            await down(topology, false); // leave no half-started devnet behind
            throw e;
        }
        return { topology, owned: true };
    })();
    return started;
}

/** Stops the test devnet if this run started it (root hook, see .mocharc.json). */
export async function stopTestNetwork(): Promise<void> {
    if (!started) return;
    const network = await started.catch(() => undefined);
    if (network?.owned && !process.env.E2E_KEEP) await down(network.topology, false);
}
