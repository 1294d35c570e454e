// Reads network/topology.yaml, the single source of truth for the network, and derives every
// path and address the devnet, the gateways and the tests use from it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export interface Endpoint {
    host: string;
    port: number;
}

export interface NodeEndpoint extends Endpoint {
    /** HTTP operations service: GET /healthz. */
    operationsPort: number;
}

export interface OrgConfig {
    mspId: string;
    name: string;
    domain: string;
    issuer: boolean;
    peer: NodeEndpoint;
    /** The product's REST gateway of the org (gateway/); absent: the org runs none. */
    gateway?: Endpoint;
    /** The org's Fabric CA server (REST API over TLS; operations service for /healthz). */
    ca: NodeEndpoint;
}

export interface BatchConfig {
    timeoutMs: number;
    maxMessageCount: number;
    absoluteMaxBytes: number;
    preferredMaxBytes: number;
}

/**
 * One ordering node, run on the machine of the org that operates it and identified by that org's
 * own MSP (its certificates come from that org's CA): no org's CA issues another org's nodes.
 */
export interface OrderingNode extends NodeEndpoint {
    /** The node's name in its org: its host name is <name>.<operating org's domain>. */
    name: string;
    /** The org whose machine runs this node and whose MSP identifies it. */
    operatedBy: string;
    /** Channel participation API (osnadmin), real Fabric only. */
    adminPort: number;
}

export interface OrdererConfig {
    batch: BatchConfig;
    /** Every ordering node, the first one first: the devnet runs the first, real Fabric all of them (Raft consenters). */
    nodes: OrderingNode[];
}

/** One private data collection, in Fabric's collections_config.json format. */
export interface CollectionConfig {
    name: string;
    policy: string;
    requiredPeerCount: number;
    maxPeerCount: number;
    blockToLive: number;
    memberOnlyRead: boolean;
    memberOnlyWrite: boolean;
    endorsementPolicy?: { signaturePolicy?: string; channelConfigPolicy?: string };
}

export interface ChaincodeConfig {
    name: string;
    version: string;
    sequence: number;
    endorsementPolicy: string;
    /** Path of the collections_config.json, relative to the repository root. */
    collectionsFile?: string;
    collections: CollectionConfig[];
    /** How each org's chaincode server runs: exactly one of modulePath and command. */
    server: ChaincodeServerConfig;
}

export interface ChaincodeServerConfig {
    /** A folder whose package.json `main` exports the contracts, run by `fabric-chaincode-node server --module-path`. */
    modulePath?: string;
    /**
     * Any executable with its arguments (a Go or Java chaincode server, ...), run per org with the
     * environment Fabric's chaincode-as-a-service servers read (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID, ...).
     * A first element with a slash is a path relative to the repository; without one, a name looked up on PATH.
     */
    command?: string[];
    /** The port of each org's server. */
    ports: Record<string, number>;
    /**
     * Default true: the servers serve TLS and require a client certificate of their org's TLS CA,
     * and the peer dials them with its chaincode client certificate (the ccaas connection's
     * `tls_required` and `client_auth_required`).
     */
    tls: boolean;
}

/** The product's chaincode: the one its REST gateways serve (gateway/config.ts). */
export const PRODUCT_CHAINCODE = 'citizencard';

export interface Topology {
    /** Absolute path of the repository root. */
    root: string;
    file: string;
    channel: string;
    stateDir: string;
    /** The real-Fabric network's state folder (fabricStateDir, default <stateDir>-fabric). */
    fabricStateDir: string;
    orderer: OrdererConfig;
    orgs: OrgConfig[];
    chaincodes: ChaincodeConfig[];
}

export class TopologyError extends Error {
    constructor(
        file: string,
        message: string,
        readonly code: 'TOPOLOGY_INVALID' | 'CHAINCODE_SERVER_INVALID' | 'GATEWAY_CHAINCODE_MISSING' = 'TOPOLOGY_INVALID',
    ) {
        super(`${code}: ${file}: ${message}`);
    }
}

/** The repository root (this file compiles to dist/network/client/topology.js). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEFAULT_TOPOLOGY = path.join(REPO_ROOT, 'network', 'topology.yaml');

function parseDuration(value: unknown, where: string, file: string): number {
    const match = /^(\d+)(ms|s)$/.exec(String(value));
    if (!match) throw new TopologyError(file, `${where} must look like 20ms or 2s, got ${String(value)}`);
    return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

function requirePort(value: unknown, where: string, file: string): number {
    if (!Number.isInteger(value) || (value as number) <= 0 || (value as number) > 65535) {
        throw new TopologyError(file, `${where} must be a port between 1 and 65535`);
    }
    return value as number;
}

function requireEndpoint(value: unknown, where: string, file: string): Endpoint {
    const e = value as Partial<Endpoint> | undefined;
    if (!e || typeof e.host !== 'string') throw new TopologyError(file, `${where} needs a host`);
    return { host: e.host, port: requirePort(e.port, `${where}.port`, file) };
}

function requireNodeEndpoint(value: unknown, where: string, file: string): NodeEndpoint {
    const e = value as Partial<NodeEndpoint> | undefined;
    return { ...requireEndpoint(e, where, file), operationsPort: requirePort(e?.operationsPort, `${where}.operationsPort`, file) };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type YamlNode = any;

/** A chaincode entry's server: a Node module folder or a command, exactly one of them. */
function chaincodeServer(server: YamlNode, where: string, file: string): ChaincodeServerConfig {
    const fail = (message: string) => new TopologyError(file, `${where}: ${message}`, 'CHAINCODE_SERVER_INVALID');
    if (server.tls !== undefined && typeof server.tls !== 'boolean') throw fail('tls must be true or false');
    const tls = server.tls !== false;
    const hasModule = server.modulePath !== undefined;
    const hasCommand = server.command !== undefined;
    if (hasModule === hasCommand) {
        throw fail(
            `give exactly one of modulePath (a Node chaincode folder) and command (an executable and its arguments), not ${hasModule ? 'both' : 'neither'}`,
        );
    }
    if (hasModule) {
        if (typeof server.modulePath !== 'string' || server.modulePath.trim() === '') throw fail('modulePath must be a folder path');
        return { modulePath: server.modulePath, ports: server.ports, tls };
    }
    const command = server.command as unknown;
    if (!Array.isArray(command) || command.length === 0) {
        throw fail('command must be a list: the executable first, then its arguments (e.g. [bin/server, --verbose])');
    }
    if (!command.every((arg) => typeof arg === 'string') || (command[0] as string).trim() === '') {
        throw fail('command must list strings, the first one a non-empty executable');
    }
    return { command: command as string[], ports: server.ports, tls };
}

/** Loads and validates a topology file; relative paths in it are relative to the repository root. */
export function loadTopology(file = process.env.TOPOLOGY ?? DEFAULT_TOPOLOGY): Topology {
    const abs = path.resolve(file);
    const doc = YAML.parse(fs.readFileSync(abs, 'utf8')) as Record<string, YamlNode>;
    const root = REPO_ROOT;
    if (typeof doc.channel !== 'string' || !/^[a-z][a-z0-9.-]*$/.test(doc.channel)) {
        throw new TopologyError(abs, 'channel must be a lower-case Fabric channel name');
    }
    const o = doc.orderer ?? {};
    if (!Array.isArray(o.nodes) || o.nodes.length === 0) throw new TopologyError(abs, 'orderer.nodes must list at least one ordering node');
    const nodes: OrderingNode[] = o.nodes.map((n: YamlNode, i: number) => {
        const where = `orderer.nodes[${i}]`;
        const name = n.name ?? 'orderer';
        if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
            throw new TopologyError(abs, `${where}.name must be a DNS label`);
        }
        if (typeof n.operatedBy !== 'string') throw new TopologyError(abs, `${where}.operatedBy must name the org that runs it`);
        return {
            name,
            operatedBy: n.operatedBy,
            ...requireNodeEndpoint(n, where, abs),
            // The devnet needs no admin port; real Fabric checks it is set (fabric/config.ts).
            adminPort: n.adminPort === undefined ? 0 : requirePort(n.adminPort, `${where}.adminPort`, abs),
        };
    });
    const orderer: OrdererConfig = {
        nodes,
        batch: {
            timeoutMs: parseDuration(o.batch?.timeout ?? '20ms', 'orderer.batch.timeout', abs),
            maxMessageCount: Number(o.batch?.maxMessageCount ?? 100),
            absoluteMaxBytes: Number(o.batch?.absoluteMaxBytes ?? 10 * 1024 * 1024),
            preferredMaxBytes: Number(o.batch?.preferredMaxBytes ?? 2 * 1024 * 1024),
        },
    };
    if (!Array.isArray(doc.orgs) || doc.orgs.length === 0) throw new TopologyError(abs, 'orgs must list at least one org');
    const orgs: OrgConfig[] = doc.orgs.map((org: YamlNode, i: number) => {
        if (typeof org.mspId !== 'string' || !/^[A-Za-z0-9]+$/.test(org.mspId)) {
            throw new TopologyError(abs, `orgs[${i}].mspId must be alphanumeric`);
        }
        return {
            mspId: org.mspId,
            name: String(org.name ?? org.mspId),
            domain: String(org.domain),
            issuer: org.issuer === true,
            peer: requireNodeEndpoint(org.peer, `orgs[${i}].peer`, abs),
            ...(org.gateway === undefined || org.gateway === null
                ? {}
                : { gateway: requireEndpoint(org.gateway, `orgs[${i}].gateway`, abs) }),
            ca: requireNodeEndpoint(org.ca, `orgs[${i}].ca`, abs),
        };
    });
    const names = new Set<string>();
    for (const [i, node] of nodes.entries()) {
        if (!orgs.some((org) => org.mspId === node.operatedBy)) {
            throw new TopologyError(abs, `orderer.nodes[${i}].operatedBy is ${node.operatedBy}, not an org of the topology`);
        }
        const key = `${node.name}@${node.operatedBy}`;
        if (names.has(key))
            throw new TopologyError(abs, `orderer.nodes[${i}]: ${node.operatedBy} already runs an ordering node named ${node.name}`);
        names.add(key);
    }
    const chaincodes: ChaincodeConfig[] = (doc.chaincodes ?? []).map((cc: YamlNode, i: number) => {
        if (typeof cc.name !== 'string' || !/^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/.test(cc.name)) {
            throw new TopologyError(abs, `chaincodes[${i}].name is not a valid chaincode name`);
        }
        if (!Number.isInteger(cc.sequence) || cc.sequence < 1)
            throw new TopologyError(abs, `chaincodes[${i}].sequence must be a positive integer`);
        const collections: CollectionConfig[] = cc.collections
            ? (JSON.parse(fs.readFileSync(path.resolve(root, cc.collections), 'utf8')) as CollectionConfig[])
            : [];
        for (const org of orgs) {
            if (!Number.isInteger(cc.server?.ports?.[org.mspId])) {
                throw new TopologyError(abs, `chaincodes[${i}].server.ports has no port for ${org.mspId}`);
            }
        }
        if (cc.server.tls !== undefined && typeof cc.server.tls !== 'boolean')
            throw new TopologyError(abs, `chaincodes[${i}].server.tls must be true or false`);
        return {
            name: cc.name,
            version: String(cc.version),
            sequence: cc.sequence,
            endorsementPolicy: String(cc.endorsementPolicy ?? 'MAJORITY Endorsement'),
            collectionsFile: cc.collections,
            collections,
            server: chaincodeServer(cc.server, `chaincodes[${i}].server`, abs),
        };
    });
    const ports = new Map<number, string>();
    const claim = (port: number, what: string) => {
        const other = ports.get(port);
        if (other) throw new TopologyError(abs, `port ${port} is used by both ${other} and ${what}`);
        ports.set(port, what);
    };
    for (const node of nodes) {
        const name = `ordering node ${node.name} of ${node.operatedBy}`;
        claim(node.port, name);
        claim(node.operationsPort, `${name} operations`);
        if (node.adminPort) claim(node.adminPort, `${name} admin`);
    }
    for (const org of orgs) {
        claim(org.peer.port, `${org.mspId} peer`);
        claim(org.peer.operationsPort, `${org.mspId} peer operations`);
        if (org.gateway) claim(org.gateway.port, `${org.mspId} gateway`);
        claim(org.ca.port, `${org.mspId} CA`);
        claim(org.ca.operationsPort, `${org.mspId} CA operations`);
    }
    for (const cc of chaincodes) for (const org of orgs) claim(cc.server.ports[org.mspId], `${cc.name} server of ${org.mspId}`);
    const served = orgs.findIndex((org) => org.gateway);
    if (served >= 0 && !chaincodes.some((cc) => cc.name === PRODUCT_CHAINCODE)) {
        throw new TopologyError(
            abs,
            `orgs[${served}].gateway: the product's gateway serves chaincode ${PRODUCT_CHAINCODE}, which chaincodes does not define ` +
                '(a network without the product has no gateway entries)',
            'GATEWAY_CHAINCODE_MISSING',
        );
    }
    return {
        root,
        file: abs,
        channel: doc.channel,
        stateDir: path.resolve(root, String(process.env.DEVNET_STATE_DIR ?? doc.stateDir ?? '.devnet')),
        fabricStateDir: path.resolve(root, String(doc.fabricStateDir ?? `${doc.stateDir ?? '.devnet'}-fabric`)),
        orderer,
        orgs,
        chaincodes,
    };
}

export function findOrg(topology: Topology, mspId: string): OrgConfig {
    const org = topology.orgs.find((o) => o.mspId === mspId);
    if (!org) throw new Error(`UNKNOWN_ORG: ${mspId} is not an org of channel ${topology.channel}`);
    return org;
}

export const issuerOrg = (t: Topology): OrgConfig => t.orgs.find((o) => o.issuer) ?? t.orgs[0];

/** The org's product gateway; NO_GATEWAY when the topology gives it none. */
export function gatewayOf(org: OrgConfig): Endpoint {
    if (!org.gateway) throw new Error(`NO_GATEWAY: ${org.mspId} runs no gateway in this topology (its entry has no gateway)`);
    return org.gateway;
}

/** Whether the topology runs the product's gateways (some org has a gateway entry). */
export const hasGateways = (t: Topology): boolean => t.orgs.some((o) => o.gateway);

/** The executable and arguments of a command server, its first element resolved against the repository when it is a path. */
export function serverCommand(t: Topology, cc: ChaincodeConfig): string[] {
    const [exe, ...args] = cc.server.command ?? [];
    if (exe === undefined) throw new Error(`CHAINCODE_SERVER_INVALID: chaincode ${cc.name} has no command`);
    return [exe.includes('/') ? path.resolve(t.root, exe) : exe, ...args];
}

export const address = (e: Endpoint): string => `${e.host}:${e.port}`;

/** A path as the tooling prints it: relative to the repository when inside it, absolute otherwise (an org's own state folder). */
export function shownPath(t: Topology, p: string): string {
    const rel = path.relative(t.root, p);
    return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** The Fabric CA server of an org. */
export function caOf(t: Topology, mspId: string): NodeEndpoint {
    return findOrg(t, mspId).ca;
}

/** The first ordering node: the only one the devnet runs, and the one the tooling talks to. */
export const primaryOrderer = (t: Topology): OrderingNode => t.orderer.nodes[0];

/** The orgs that operate ordering nodes among `nodes` (the orderer group of the channel), in topology order. */
export function ordererOrgs(t: Topology, nodes: OrderingNode[] = t.orderer.nodes): string[] {
    return t.orgs.map((o) => o.mspId).filter((mspId) => nodes.some((n) => n.operatedBy === mspId));
}

/** The ordering nodes an org runs. */
export const nodesOperatedBy = (t: Topology, mspId: string): OrderingNode[] => t.orderer.nodes.filter((n) => n.operatedBy === mspId);

/** An org's server of a chaincode: its process name, and the name in its TLS certificate. */
export const chaincodeServerName = (chaincode: string, org: { domain: string }) => `chaincode-${chaincode}.${org.domain}`;

/** The enrollment id of every CA's bootstrap registrar (`fabric-ca-server -b admin:...`). */
export const CA_REGISTRAR_ID = 'admin';

/**
 * Where things live under the state folder. The crypto layout is the one Fabric's cryptogen
 * writes: organizations/peerOrganizations/<domain>/{ca,tlsca,msp,peers,orderers,users}; an org's
 * ordering nodes are under its own folder, as they are identified by its own MSP.
 */
export const paths = {
    organizations: (t: Topology) => path.join(t.stateDir, 'organizations'),
    orgDir: (t: Topology, mspId: string) => path.join(t.stateDir, 'organizations', 'peerOrganizations', findOrg(t, mspId).domain),
    /** The org's verifying MSP (cacerts, tlscacerts, config.yaml). */
    orgMsp: (t: Topology, mspId: string) => path.join(paths.orgDir(t, mspId), 'msp'),
    peerName: (t: Topology, mspId: string) => `peer0.${findOrg(t, mspId).domain}`,
    peerDir: (t: Topology, mspId: string) => path.join(paths.orgDir(t, mspId), 'peers', paths.peerName(t, mspId)),
    ordererName: (t: Topology, node: OrderingNode = primaryOrderer(t)) => `${node.name}.${findOrg(t, node.operatedBy).domain}`,
    ordererDir: (t: Topology, node: OrderingNode = primaryOrderer(t)) =>
        path.join(paths.orgDir(t, node.operatedBy), 'orderers', paths.ordererName(t, node)),
    /** The gateway's process name: its log file and the `node` of its log lines. */
    gatewayName: (t: Topology, mspId: string) => `gateway.${findOrg(t, mspId).domain}`,
    /** A user's folder: users/<name>@<domain>/msp with signcerts/ and keystore/. */
    userDir: (t: Topology, mspId: string, user: string) =>
        path.join(paths.orgDir(t, mspId), 'users', `${user}@${findOrg(t, mspId).domain}`),
    /** An org's server of a chaincode (chaincode as a service): its process name and its TLS server name. */
    chaincodeServerName: (t: Topology, mspId: string, chaincode: string) => chaincodeServerName(chaincode, findOrg(t, mspId)),
    /**
     * The chaincode server's TLS folder, from the org's TLS CA: server.crt and server.key (its name,
     * localhost and 127.0.0.1 as SANs), ca.crt (the CA a peer's client certificate must chain to).
     */
    chaincodeServerTlsDir: (t: Topology, mspId: string, chaincode: string) =>
        path.join(paths.orgDir(t, mspId), 'chaincodes', paths.chaincodeServerName(t, mspId, chaincode), 'tls'),
    /**
     * The peer's side of its chaincode connections, from the org's TLS CA: client.crt and client.key
     * (the peer's client certificate), ca.crt (the root a chaincode server's certificate must chain to).
     */
    peerChaincodeTlsDir: (t: Topology, mspId: string) => path.join(paths.peerDir(t, mspId), 'chaincode-tls'),
    /** The TLS CA certificate clients use to reach the org's nodes. */
    tlsRootCert: (t: Topology, mspId: string) => path.join(paths.orgDir(t, mspId), 'tlsca', 'tlsca-cert.pem'),
    /**
     * The org's Fabric CA: `ca/` holds its signing certificate (and, on the devnet, its key, TLS
     * folder and database). The bootstrap registrar (`fabric-ca-server -b admin:<secret>`) keeps its
     * secret in ca/registrar.secret (mode 0600) and its enrolled MSP folder in ca/registrar/msp.
     */
    caDir: (t: Topology, mspId: string) => path.join(paths.orgDir(t, mspId), 'ca'),
    caTlsDir: (t: Topology, mspId: string) => path.join(paths.caDir(t, mspId), 'tls'),
    caRegistrarSecret: (t: Topology, mspId: string) => path.join(paths.caDir(t, mspId), 'registrar.secret'),
    caRegistrarMsp: (t: Topology, mspId: string) => path.join(paths.caDir(t, mspId), 'registrar', 'msp'),
    /**
     * What a client trusts to reach the org's CA over TLS. The devnet writes the org's TLS CA there
     * (its CA answers with a certificate of that TLS CA); a real fabric-ca-server's TLS root goes there too.
     */
    caTlsRootCert: (t: Topology, mspId: string) => path.join(paths.caTlsDir(t, mspId), 'ca.crt'),
    ledger: (t: Topology, node: string) => path.join(t.stateDir, 'ledgers', node),
    log: (t: Topology, node: string) => path.join(t.stateDir, 'logs', `${node}.log`),
    pid: (t: Topology, node: string) => path.join(t.stateDir, 'run', `${node}.pid`),
    genesisBlock: (t: Topology) => path.join(t.stateDir, 'channel-artifacts', `${t.channel}.block`),
};
