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
    gateway: Endpoint;
    /** The org's Fabric CA server (REST API over TLS; operations service for /healthz). */
    ca: NodeEndpoint;
}

export interface BatchConfig {
    timeoutMs: number;
    maxMessageCount: number;
    absoluteMaxBytes: number;
    preferredMaxBytes: number;
}

/** One Raft ordering node of the ordering org, run on the host of the org that operates it. */
export interface OrderingNode extends NodeEndpoint {
    /** Host name of the node: <name>.<orderer domain>. */
    name: string;
    /** The org whose machine runs this node. */
    operatedBy: string;
    /** Channel participation API (osnadmin), real Fabric only. */
    adminPort: number;
}

/** The ordering org; host/port/operationsPort are its first node's, the only one the devnet runs. */
export interface OrdererConfig extends NodeEndpoint {
    org: string;
    domain: string;
    batch: BatchConfig;
    /** The ordering org's Fabric CA server. */
    ca: NodeEndpoint;
    /** Every ordering node (the first one first): the Raft consenters on real Fabric. */
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
    /** A folder whose package.json `main` exports the contracts (fabric-chaincode-node's --module-path). */
    server: { modulePath: string; ports: Record<string, number> };
}

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
    constructor(file: string, message: string) {
        super(`TOPOLOGY_INVALID: ${file}: ${message}`);
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

/** Loads and validates a topology file; relative paths in it are relative to the repository root. */
export function loadTopology(file = process.env.TOPOLOGY ?? DEFAULT_TOPOLOGY): Topology {
    const abs = path.resolve(file);
    const doc = YAML.parse(fs.readFileSync(abs, 'utf8')) as Record<string, YamlNode>;
    const root = REPO_ROOT;
    if (typeof doc.channel !== 'string' || !/^[a-z][a-z0-9.-]*$/.test(doc.channel)) {
        throw new TopologyError(abs, 'channel must be a lower-case Fabric channel name');
    }
    const o = doc.orderer ?? {};
    const first = requireNodeEndpoint(o, 'orderer', abs);
    const nodes: OrderingNode[] = [
        { name: 'orderer', operatedBy: o.operatedBy, adminPort: o.adminPort, ...first },
        ...(o.additionalNodes ?? []),
    ].map((n: YamlNode, i: number) => {
        const where = i === 0 ? 'orderer' : `orderer.additionalNodes[${i - 1}]`;
        if (typeof n.name !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(n.name)) {
            throw new TopologyError(abs, `${where}.name must be a DNS label`);
        }
        return {
            name: n.name,
            operatedBy: String(n.operatedBy ?? ''),
            ...requireNodeEndpoint(n, where, abs),
            // The devnet needs no admin port; real Fabric checks it is set (fabric/config.ts).
            adminPort: n.adminPort === undefined ? 0 : requirePort(n.adminPort, `${where}.adminPort`, abs),
        };
    });
    const orderer: OrdererConfig = {
        ...first,
        nodes,
        org: String(o.org),
        domain: String(o.domain),
        batch: {
            timeoutMs: parseDuration(o.batch?.timeout ?? '20ms', 'orderer.batch.timeout', abs),
            maxMessageCount: Number(o.batch?.maxMessageCount ?? 100),
            absoluteMaxBytes: Number(o.batch?.absoluteMaxBytes ?? 10 * 1024 * 1024),
            preferredMaxBytes: Number(o.batch?.preferredMaxBytes ?? 2 * 1024 * 1024),
        },
        ca: requireNodeEndpoint(o.ca, 'orderer.ca', abs),
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
            gateway: requireEndpoint(org.gateway, `orgs[${i}].gateway`, abs),
            ca: requireNodeEndpoint(org.ca, `orgs[${i}].ca`, abs),
        };
    });
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
        return {
            name: cc.name,
            version: String(cc.version),
            sequence: cc.sequence,
            endorsementPolicy: String(cc.endorsementPolicy ?? 'MAJORITY Endorsement'),
            collectionsFile: cc.collections,
            collections,
            server: { modulePath: String(cc.server.modulePath), ports: cc.server.ports },
        };
    });
    const ports = new Map<number, string>();
    const claim = (port: number, what: string) => {
        const other = ports.get(port);
        if (other) throw new TopologyError(abs, `port ${port} is used by both ${other} and ${what}`);
        ports.set(port, what);
    };
    for (const node of nodes) {
        const name = node.name === 'orderer' ? 'orderer' : `orderer ${node.name}`;
        claim(node.port, name);
        claim(node.operationsPort, `${name} operations`);
        if (node.adminPort) claim(node.adminPort, `${name} admin`);
    }
    claim(orderer.ca.port, `${orderer.org} CA`);
    claim(orderer.ca.operationsPort, `${orderer.org} CA operations`);
    for (const org of orgs) {
        claim(org.peer.port, `${org.mspId} peer`);
        claim(org.peer.operationsPort, `${org.mspId} peer operations`);
        claim(org.gateway.port, `${org.mspId} gateway`);
        claim(org.ca.port, `${org.mspId} CA`);
        claim(org.ca.operationsPort, `${org.mspId} CA operations`);
    }
    for (const cc of chaincodes) for (const org of orgs) claim(cc.server.ports[org.mspId], `${cc.name} server of ${org.mspId}`);
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

export const address = (e: Endpoint): string => `${e.host}:${e.port}`;

/** The Fabric CA server of an org (or of the ordering org). */
export function caOf(t: Topology, mspId: string): NodeEndpoint {
    return mspId === t.orderer.org ? t.orderer.ca : findOrg(t, mspId).ca;
}

/** The enrollment id of every CA's bootstrap registrar (`fabric-ca-server -b admin:...`). */
export const CA_REGISTRAR_ID = 'admin';

/**
 * Where things live under the state folder. The crypto layout is the one Fabric's cryptogen
 * writes: organizations/{peer,orderer}Organizations/<domain>/{ca,tlsca,msp,peers,orderers,users}.
 */
export const paths = {
    organizations: (t: Topology) => path.join(t.stateDir, 'organizations'),
    orgDir: (t: Topology, mspId: string) =>
        mspId === t.orderer.org
            ? path.join(t.stateDir, 'organizations', 'ordererOrganizations', t.orderer.domain)
            : path.join(t.stateDir, 'organizations', 'peerOrganizations', findOrg(t, mspId).domain),
    /** The org's verifying MSP (cacerts, tlscacerts, config.yaml). */
    orgMsp: (t: Topology, mspId: string) => path.join(paths.orgDir(t, mspId), 'msp'),
    peerName: (t: Topology, mspId: string) => `peer0.${findOrg(t, mspId).domain}`,
    peerDir: (t: Topology, mspId: string) => path.join(paths.orgDir(t, mspId), 'peers', paths.peerName(t, mspId)),
    ordererName: (t: Topology, node: OrderingNode = t.orderer.nodes[0]) => `${node.name}.${t.orderer.domain}`,
    ordererDir: (t: Topology, node: OrderingNode = t.orderer.nodes[0]) =>
        path.join(paths.orgDir(t, t.orderer.org), 'orderers', paths.ordererName(t, node)),
    /** The gateway's process name: its log file and the `node` of its log lines. */
    gatewayName: (t: Topology, mspId: string) => `gateway.${findOrg(t, mspId).domain}`,
    /** A user's folder: users/<name>@<domain>/msp with signcerts/ and keystore/. */
    userDir: (t: Topology, mspId: string, user: string) =>
        path.join(paths.orgDir(t, mspId), 'users', `${user}@${mspId === t.orderer.org ? t.orderer.domain : findOrg(t, mspId).domain}`),
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
