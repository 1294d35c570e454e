// The network the end-to-end tests run on: the devnet (`npm test`) or real Fabric v3.1.5
// (`npm run test:fabric`, E2E_NETWORK=fabric), both from network/topology.yaml with every port
// shifted by +11200 (or $E2E_PORT_SHIFT) and a state folder of their own, so tests never touch a
// network that `npm start` runs. With E2E_TOPOLOGY=file the same tests target that network
// instead (it must already be running; E2E_NETWORK says what it is).
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { loadTopology, Topology, DEFAULT_TOPOLOGY, REPO_ROOT } from '../../network/client/topology';
import { up, down } from '../../network/commands/network';
import { DEFAULT_PORT_SHIFT, PORT_SHIFT, shiftPorts, withFixtureChaincode } from '../fixtures/topology';
import { devnetNodes, runningPid, startNode, waitHealthy, DevnetNode, NodeKind } from '../../network/devnet/processes';
import { asFabric, fabricUp, fabricDown, fabricNodes } from '../../network/fabric/network';
import { findFabricBinaries } from '../../network/fabric/binaries';

/**
 * Every port of the default topology plus this (E2E_PORT_SHIFT to run two test devnets side by
 * side). +11200 keeps every port clear of the default devnet's (orgs are 1000 apart) and below
 * 32768, where Linux's ephemeral client ports begin: a port there may be held by a client socket.
 */
const TEST_STATE = path.join(REPO_ROOT, PORT_SHIFT === DEFAULT_PORT_SHIFT ? '.devnet-test' : `.devnet-test-${PORT_SHIFT}`);

export type NetworkKind = 'devnet' | 'fabric';

/** Which network this run's end-to-end tests target: known before any test starts. */
export const NETWORK: NetworkKind = networkKind(process.env.E2E_NETWORK);

export function networkKind(value: string | undefined): NetworkKind {
    if (value === undefined || value === '' || value === 'devnet') return 'devnet';
    if (value === 'fabric') return 'fabric';
    throw new Error(`E2E_NETWORK_INVALID: E2E_NETWORK must be devnet or fabric, got ${value}`);
}

/** How the reporter and the test titles name the network. */
export const NETWORK_LABEL = NETWORK === 'fabric' ? 'real Fabric' : 'the devnet';

export interface TestNetwork {
    kind: NetworkKind;
    topology: Topology;
    /** True when this process started the network (and must stop it). */
    owned: boolean;
}

/** A network of its own: its name (its state folder), its ports' shift from the test network's, and what it runs. */
export interface OwnNetwork {
    name: string;
    extraShift: number;
    /** The default topology's first `orgs` orgs only. */
    orgs?: number;
    /** Another topology file to start from, taken as it is (no test contract added). */
    source?: string;
    /** A last change to the parsed topology before its ports are shifted. */
    edit?: (doc: Record<string, unknown>) => void;
}

/**
 * Writes the shifted copy of the default topology, plus the test contract, for the test devnet (or
 * for a devnet of its own, ports `extraShift` further and its own state folder, from `source` when given).
 */
export function testTopologyFile(own?: OwnNetwork): string {
    const parsed = own?.source
        ? (YAML.parse(fs.readFileSync(own.source, 'utf8')) as Record<string, unknown>)
        : firstOrgs(withFixtureChaincode(YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'))), own?.orgs);
    own?.edit?.(parsed);
    const doc = shiftPorts(parsed, PORT_SHIFT + (own?.extraShift ?? 0)) as Record<string, unknown>;
    const folder = own ? `${TEST_STATE}-${own.name}` : TEST_STATE;
    // The state folder sits below the topology file's folder: a purge keeps the topology.
    doc.stateDir = path.relative(REPO_ROOT, path.join(folder, 'state'));
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'topology.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

/**
 * The default topology with only its first `count` orgs (all when undefined): their ordering nodes
 * and chaincode servers, nobody else's (the benchmark's two-org network, --orgs 2).
 */
function firstOrgs(doc: Record<string, unknown>, count?: number): Record<string, unknown> {
    if (count === undefined) return doc;
    const orgs = (doc.orgs as { mspId: string }[]).slice(0, count);
    if (orgs.length !== count || count < 1) throw new Error(`TOPOLOGY_ORGS: the default topology has no ${count} orgs`);
    const kept = new Set(orgs.map((o) => o.mspId));
    const orderer = doc.orderer as { nodes: { operatedBy: string }[] };
    const chaincodes = (doc.chaincodes as { server: { ports: Record<string, number> } }[] | undefined) ?? [];
    return {
        ...doc,
        orgs,
        orderer: { ...orderer, nodes: orderer.nodes.filter((n) => kept.has(n.operatedBy)) },
        chaincodes: chaincodes.map((cc) => ({
            ...cc,
            server: { ...cc.server, ports: Object.fromEntries(Object.entries(cc.server.ports).filter(([org]) => kept.has(org))) },
        })),
    };
}

/** A node of the network that a test may kill and start again (only on a network this run started). */
export interface ControlledNode {
    name: string;
    kind: NodeKind;
    org: string;
    pid(): number | undefined;
    /** Starts it and waits until it is healthy. */
    start(timeoutMs?: number): Promise<void>;
}

/** What the tests need from the tooling of each kind of network. */
interface NetworkDriver {
    up(t: Topology): Promise<void>;
    down(t: Topology, purge: boolean): Promise<void>;
    nodes(t: Topology): ControlledNode[];
    /** Extra arguments of `network/commands/cli.js` commands (chaincode:deploy) for this network. */
    cliArgs: string[];
}

/** A node started with network/devnet/processes.ts (both networks' tooling use it). */
const controlled = (t: Topology, n: DevnetNode): ControlledNode => ({
    name: n.name,
    kind: n.kind,
    org: n.org,
    pid: () => runningPid(t, n),
    async start(timeoutMs = 60_000) {
        startNode(t, n);
        await waitHealthy(t, n, timeoutMs);
    },
});

const say = (line: string) => process.stdout.write(`${line}\n`);

const drivers: Record<NetworkKind, NetworkDriver> = {
    devnet: {
        up,
        down,
        nodes: (t) => devnetNodes(t).map((n) => controlled(t, n)),
        cliArgs: [],
    },
    fabric: {
        up: (t) => fabricUp(t, { say, gateways: true }),
        down: (t, purge) => fabricDown(t, purge, say),
        nodes: (t) => fabricNodes(t, findFabricBinaries(t.root), true).map((n) => controlled(t, n)),
        cliArgs: ['--fabric'],
    },
};

export const driver = (): NetworkDriver => drivers[NETWORK];

/**
 * A network of its own for tests that change the channel (an org joining), so that the others keep
 * their four orgs: the default topology on ports `extraShift` from the shared test network's, with
 * its own state. Stop it with driver().down().
 */
export async function ownTestNetwork(name: string, extraShift: number, orgs?: number, plainChaincode?: boolean): Promise<Topology> {
    return ownNetwork({
        name,
        extraShift,
        orgs,
        // The benchmark's comparison: chaincode servers without TLS (server.tls false).
        edit: plainChaincode
            ? (doc) => {
                  for (const cc of doc.chaincodes as { server: Record<string, unknown> }[]) cc.server.tls = false;
              }
            : undefined,
    });
}

/** A network of its own from any topology (ownTestNetwork's), on a clean state. */
export async function ownNetwork(own: OwnNetwork): Promise<Topology> {
    const previous = path.join(`${TEST_STATE}-${own.name}`, 'topology.yaml');
    // What an earlier run left running (with the orgs it added to its topology file) is stopped first.
    if (fs.existsSync(previous)) await driver().down(loadAsWritten(previous), false);
    return freshNetwork(testTopologyFile(own));
}

/** A network from a clean state (tests assert heights and contents), left stopped if it fails to start. */
async function freshNetwork(file: string): Promise<Topology> {
    const topology = loadAsWritten(file);
    await driver().down(topology, true);
    try {
        await driver().up(topology);
    } catch (e) {
        await driver().down(topology, false); // leave no half-started network behind
        throw e;
    }
    return topology;
}

/** The topology of a test network; real Fabric keeps its state in the topology's fabricStateDir, apart from a devnet's. */
/** A test network's topology with the state folder its file names (not one DEVNET_STATE_DIR points to for another network). */
function loadAsWritten(file: string): Topology {
    const previous = process.env.DEVNET_STATE_DIR;
    delete process.env.DEVNET_STATE_DIR;
    try {
        return loadTestTopology(file);
    } finally {
        if (previous !== undefined) process.env.DEVNET_STATE_DIR = previous;
    }
}

export const loadTestTopology = (file: string): Topology => (NETWORK === 'fabric' ? asFabric(loadTopology(file)) : loadTopology(file));

let started: Promise<TestNetwork> | undefined;

/** The test network, brought up once per test run. */
export function testNetwork(): Promise<TestNetwork> {
    started ??= (async () => {
        const owned = !process.env.E2E_TOPOLOGY;
        const topology = owned ? await freshNetwork(testTopologyFile()) : loadTestTopology(process.env.E2E_TOPOLOGY as string);
        // Code of this process that reads the topology by its file (the gateways' config, the
        // demo's apps) finds the Fabric network's state as the Fabric tooling's children do.
        if (NETWORK === 'fabric') process.env.DEVNET_STATE_DIR = topology.stateDir;
        return { kind: NETWORK, topology, owned };
    })();
    return started;
}

/** The nodes tests may kill and restart: none on a network this run did not start. */
export function controlledNodes(network: TestNetwork): ControlledNode[] {
    return network.owned ? driver().nodes(network.topology) : [];
}

/** Stops the test network if this run started it (root hook, see .mocharc.json). */
export async function stopTestNetwork(): Promise<void> {
    if (!started) return;
    const network = await started.catch(() => undefined);
    if (network?.owned && !process.env.E2E_KEEP) await driver().down(network.topology, false);
}

/**
 * Runs a program (a benchmark, the probe) that may bring up the test devnet: stops the devnet it
 * started when the program ends, fails (exit 1 with the message) or is interrupted (Ctrl-C).
 */
export function runOnTestNetwork(main: () => Promise<void>): void {
    process.once('SIGINT', () => {
        console.error('interrupted: stopping the test devnet');
        stopTestNetwork().finally(() => process.exit(130));
    });
    main()
        .then(stopTestNetwork)
        .then(
            () => process.exit(0),
            async (e: Error) => {
                console.error(e.message);
                await stopTestNetwork();
                process.exit(1);
            },
        );
}
