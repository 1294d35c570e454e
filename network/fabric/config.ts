// Everything Fabric reads, generated from the topology: each org's Fabric CA server configuration,
// the channel's configtx.yaml, and the settings we lay over Fabric's sample core.yaml and
// orderer.yaml. Pure functions of the topology and of where the files sit (FabricFiles), so the
// native processes and the Compose file (compose.ts) get the same settings.
import * as path from 'node:path';
import { ordererOrgPolicyRules, orgPolicyRules } from '../devnet/common/configtx';
import { Topology, OrgConfig, OrderingNode, NodeEndpoint, paths, findOrg, ordererOrgs } from '../client/topology';

/** A YAML-shaped settings tree: what core.yaml, orderer.yaml and configtx.yaml hold. */
export type Settings = { [key: string]: Settings | string | number | boolean | null | Settings[] | string[] };

export class FabricConfigError extends Error {
    constructor(message: string) {
        super(`FABRIC_CONFIG_INVALID: ${message}`);
    }
}

/** An org with its Fabric CA (every org runs one). */
export interface CaOrg {
    mspId: string;
    domain: string;
    ca: NodeEndpoint;
}

export function caOrgs(t: Topology): CaOrg[] {
    return t.orgs.map((o) => ({ mspId: o.mspId, domain: o.domain, ca: o.ca }));
}

export const caName = (org: { domain: string }) => `ca.${org.domain}`;

/** Loopback hosts bind loopback only; any other host (another machine) binds every interface. */
export function listenHost(host: string): string {
    return host === '127.0.0.1' || host === 'localhost' || host === '::1' ? host : '0.0.0.0';
}

/** The peer's chaincode listener: the port after the peer's own (free in the topology's layout). */
export const chaincodeListenPort = (org: OrgConfig) => org.peer.port + 1;

/** Every port a Fabric node of the topology binds, with its owner: none may repeat. */
export function fabricPorts(t: Topology): Map<number, string> {
    const ports = new Map<number, string>();
    const claim = (port: number, what: string) => {
        const other = ports.get(port);
        if (other) throw new FabricConfigError(`port ${port} is used by both ${other} and ${what}`);
        ports.set(port, what);
    };
    for (const org of caOrgs(t)) {
        claim(org.ca.port, caName(org));
        claim(org.ca.operationsPort, `${caName(org)} operations`);
    }
    for (const node of t.orderer.nodes) {
        const name = paths.ordererName(t, node);
        if (!node.adminPort) throw new FabricConfigError(`${name} has no adminPort (real Fabric joins channels through it)`);
        claim(node.port, name);
        claim(node.adminPort, `${name} admin`);
        claim(node.operationsPort, `${name} operations`);
    }
    for (const org of t.orgs) {
        const name = paths.peerName(t, org.mspId);
        claim(org.peer.port, name);
        claim(chaincodeListenPort(org), `${name} chaincode listener`);
        claim(org.peer.operationsPort, `${name} operations`);
        if (org.gateway) claim(org.gateway.port, `gateway of ${org.mspId}`);
        for (const cc of t.chaincodes) claim(cc.server.ports[org.mspId], `${cc.name} server of ${org.mspId}`);
    }
    return ports;
}

// ---- Fabric CA ----

/** Fabric CA's server configuration for one org (TLS on, SQLite registry, one bootstrap registrar). */
export function caServerConfig(org: CaOrg, registrarId: string, registrarSecret: string): Settings {
    return {
        version: '1.5.21',
        port: org.ca.port,
        address: listenHost(org.ca.host),
        cors: { enabled: false, origins: [] },
        debug: false,
        crlsizelimit: 512000,
        // The CA issues its own TLS certificate (tls-cert.pem, from csr.hosts) when none is given.
        tls: { enabled: true, certfile: 'tls-cert.pem', clientauth: { type: 'noclientcert', certfiles: [] } },
        ca: { name: caName(org), keyfile: '', certfile: '', chainfile: '' },
        crl: { expiry: '24h' },
        registry: {
            maxenrollments: -1,
            identities: [
                {
                    name: registrarId,
                    pass: registrarSecret,
                    type: 'client',
                    affiliation: '',
                    attrs: {
                        'hf.Registrar.Roles': '*',
                        'hf.Registrar.DelegateRoles': '*',
                        'hf.Registrar.Attributes': '*',
                        'hf.Revoker': true,
                        'hf.GenCRL': true,
                        'hf.IntermediateCA': false,
                        'hf.AffiliationMgr': true,
                    },
                },
            ] as unknown as Settings[],
        },
        db: { type: 'sqlite3', datasource: 'fabric-ca-server.db', tls: { enabled: false } },
        affiliations: { [org.domain.split('.')[0]]: [] as string[] },
        signing: {
            default: { usage: ['digital signature'], expiry: '8760h' },
            profiles: {
                ca: { usage: ['cert sign', 'crl sign'], expiry: '43800h', caconstraint: { isca: true, maxpathlen: 0 } },
                tls: {
                    usage: ['signing', 'key encipherment', 'server auth', 'client auth', 'key agreement'],
                    expiry: '8760h',
                },
            },
        },
        csr: {
            cn: caName(org),
            keyrequest: { algo: 'ecdsa', size: 256 },
            names: [{ C: 'KR', ST: 'Seoul', L: 'Seoul', O: org.domain, OU: '' }] as unknown as Settings[],
            hosts: [...new Set([org.ca.host, caName(org), 'localhost', '127.0.0.1'])],
            ca: { expiry: '131400h', pathlength: 1 },
        },
        idemix: { curve: 'gurvy.Bn254' },
        bccsp: { default: 'SW', sw: { hash: 'SHA2', security: 256, filekeystore: { keystore: 'msp/keystore' } } },
        operations: { listenAddress: `${listenHost(org.ca.host)}:${org.ca.operationsPort}`, tls: { enabled: false } },
        metrics: { provider: 'prometheus' },
    };
}

// ---- where a node's files are (host paths natively, container paths in Compose) ----

export interface NodeFiles {
    /** The node's local MSP folder. */
    msp: string;
    /** Folder with server.crt, server.key and ca.crt. */
    tls: string;
    /** Ledger and other data. */
    data: string;
}

export function nativeNodeFiles(t: Topology, nodeDir: string, nodeName: string): NodeFiles {
    return { msp: path.join(nodeDir, 'msp'), tls: path.join(nodeDir, 'tls'), data: paths.ledger(t, nodeName) };
}

/** The TLS CA certificate of the ordering org, for peers and clients reaching the orderers. */
const tlsFile = (files: NodeFiles, name: 'server.crt' | 'server.key' | 'ca.crt') => path.posix.join(files.tls, name);

// ---- peers ----

/**
 * Our settings over Fabric's sample core.yaml: addresses from the topology, TLS, LevelDB, the
 * private data purge and transient store retention that make an erase leave the least behind, our
 * chaincode-as-a-service builder, and no Docker.
 */
export function peerSettings(t: Topology, org: OrgConfig, files: NodeFiles, builderDir: string): Settings {
    const address = `${org.peer.host}:${org.peer.port}`;
    const bind = listenHost(org.peer.host);
    return {
        peer: {
            id: paths.peerName(t, org.mspId),
            networkId: t.channel,
            listenAddress: `${bind}:${org.peer.port}`,
            address,
            chaincodeListenAddress: `${bind}:${chaincodeListenPort(org)}`,
            chaincodeAddress: `${org.peer.host}:${chaincodeListenPort(org)}`,
            localMspId: org.mspId,
            mspConfigPath: files.msp,
            fileSystemPath: files.data,
            gossip: {
                bootstrap: address,
                endpoint: address,
                externalEndpoint: address,
                useLeaderElection: false,
                orgLeader: true,
                // Private data of a transaction that never committed leaves the transient store
                // after this many blocks (committed ones leave at commit).
                pvtData: { transientstoreMaxBlockRetention: 10 },
            },
            tls: {
                enabled: true,
                clientAuthRequired: false,
                cert: { file: tlsFile(files, 'server.crt') },
                key: { file: tlsFile(files, 'server.key') },
                rootcert: { file: tlsFile(files, 'ca.crt') },
            },
            gateway: { enabled: true },
        },
        // No Docker: chaincode runs as a service, found through our external builder.
        vm: { endpoint: '' },
        chaincode: {
            externalBuilders: [
                // As Fabric's own ccaas builder: connection.json's templates from this variable.
                { name: 'ccaas', path: builderDir, propagateEnvironment: ['CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'] },
            ] as unknown as Settings[],
        },
        ledger: {
            state: { stateDatabase: 'goleveldb' },
            // Purged private data (PurgePrivateData) leaves the store at the next block, not after 100.
            pvtdataStore: { purgeInterval: 1 },
            snapshots: { rootDir: path.posix.join(files.data, 'snapshots') },
        },
        operations: { listenAddress: `${bind}:${org.peer.operationsPort}`, tls: { enabled: false } },
        metrics: { provider: 'prometheus' },
    };
}

// ---- logging ----

/**
 * The environment that sets a Fabric peer's or orderer's log format: they read it from
 * FABRIC_LOGGING_FORMAT only (flogging.Init in the peer's InitCmd and the orderer's main), not from
 * core.yaml or orderer.yaml. Fabric's default format with its %{color} directives removed: the same
 * fields in the same order, without the escape codes that the default writes into every log file.
 */
export const FABRIC_LOGGING_ENV: Readonly<Record<string, string>> = {
    FABRIC_LOGGING_FORMAT: '%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s} [%{module}] %{shortfunc} -> %{message}',
};

// ---- orderers ----

/** Our settings over Fabric's sample orderer.yaml: no system channel, channel participation, Raft over TLS. */
export function ordererSettings(node: OrderingNode, files: NodeFiles, ordererTlsCa: string): Settings {
    const bind = listenHost(node.host);
    const tls = {
        Enabled: true,
        PrivateKey: tlsFile(files, 'server.key'),
        Certificate: tlsFile(files, 'server.crt'),
        RootCAs: [tlsFile(files, 'ca.crt')],
        ClientAuthRequired: false,
    };
    return {
        General: {
            ListenAddress: bind,
            ListenPort: node.port,
            TLS: tls,
            // Raft traffic shares the node's listener and TLS certificate.
            Cluster: {
                ClientCertificate: tlsFile(files, 'server.crt'),
                ClientPrivateKey: tlsFile(files, 'server.key'),
                RootCAs: [tlsFile(files, 'ca.crt')],
                // Fabric's own default, set here because the orderer logs "ReplicationPolicy is ``,
                // setting to `consensus`" while loading its config, before FABRIC_LOGGING_FORMAT applies:
                // in the default format, with colour codes.
                ReplicationPolicy: 'consensus',
            },
            BootstrapMethod: 'none',
            LocalMSPDir: files.msp,
            // The node is identified by its operating org's own MSP.
            LocalMSPID: node.operatedBy,
        },
        FileLedger: { Location: files.data },
        Consensus: { WALDir: path.posix.join(files.data, 'etcdraft', 'wal'), SnapDir: path.posix.join(files.data, 'etcdraft', 'snapshot') },
        Operations: { ListenAddress: `${bind}:${node.operationsPort}`, TLS: { Enabled: false } },
        Metrics: { Provider: 'prometheus' },
        Admin: {
            ListenAddress: `${bind}:${node.adminPort}`,
            // osnadmin must present a certificate of the operating org's TLS CA.
            TLS: { ...tls, ClientAuthRequired: true, ClientRootCAs: [ordererTlsCa] },
        },
        ChannelParticipation: { Enabled: true, MaxRequestBodySize: '1 MB' },
    };
}

// ---- the channel ----

const signaturePolicies = (rules: Record<string, string>): Settings =>
    Object.fromEntries(Object.entries(rules).map(([name, rule]) => [name, { Type: 'Signature', Rule: rule }]));

export const CHANNEL_PROFILE = 'CitizenCardsChannel';

/**
 * configtx.yaml with one profile: three (or more) etcdraft consenters, each of its operating org, every
 * org with its anchor peer, MAJORITY endorsement and lifecycle policies, the devnet's batch
 * settings, and application capability V2_5 (PurgePrivateData).
 */
export function configtx(t: Topology, tlsCertOf: (node: OrderingNode) => string): Settings {
    // One orderer org per operator, identified by its own MSP; only its ordering nodes write (sign blocks).
    const ordererOrgSettings: Settings[] = ordererOrgs(t).map((mspId) => ({
        Name: mspId,
        ID: mspId,
        MSPDir: paths.orgMsp(t, mspId),
        Policies: signaturePolicies(ordererOrgPolicyRules(mspId)),
        OrdererEndpoints: t.orderer.nodes.filter((n) => n.operatedBy === mspId).map((n) => `${n.host}:${n.port}`),
    }));
    const peerOrgs: Settings[] = t.orgs.map((org) => ({
        Name: org.mspId,
        ID: org.mspId,
        MSPDir: paths.orgMsp(t, org.mspId),
        Policies: signaturePolicies(orgPolicyRules(org.mspId)),
        AnchorPeers: [{ Host: org.peer.host, Port: org.peer.port }] as unknown as Settings[],
    }));
    const b = t.orderer.batch;
    return {
        Profiles: {
            [CHANNEL_PROFILE]: {
                Capabilities: { V3_0: true },
                Policies: {
                    Readers: { Type: 'ImplicitMeta', Rule: 'ANY Readers' },
                    Writers: { Type: 'ImplicitMeta', Rule: 'ANY Writers' },
                    Admins: { Type: 'ImplicitMeta', Rule: 'MAJORITY Admins' },
                },
                Orderer: {
                    OrdererType: 'etcdraft',
                    BatchTimeout: `${b.timeoutMs}ms`,
                    BatchSize: {
                        MaxMessageCount: b.maxMessageCount,
                        AbsoluteMaxBytes: b.absoluteMaxBytes,
                        PreferredMaxBytes: b.preferredMaxBytes,
                    },
                    EtcdRaft: {
                        Consenters: t.orderer.nodes.map((n) => ({
                            Host: n.host,
                            Port: n.port,
                            ClientTLSCert: tlsCertOf(n),
                            ServerTLSCert: tlsCertOf(n),
                        })) as unknown as Settings[],
                    },
                    Organizations: ordererOrgSettings,
                    Policies: {
                        Readers: { Type: 'ImplicitMeta', Rule: 'ANY Readers' },
                        Writers: { Type: 'ImplicitMeta', Rule: 'ANY Writers' },
                        Admins: { Type: 'ImplicitMeta', Rule: 'MAJORITY Admins' },
                        BlockValidation: { Type: 'ImplicitMeta', Rule: 'ANY Writers' },
                    },
                    Capabilities: { V2_0: true },
                },
                Application: {
                    Organizations: peerOrgs,
                    Policies: {
                        Readers: { Type: 'ImplicitMeta', Rule: 'ANY Readers' },
                        Writers: { Type: 'ImplicitMeta', Rule: 'ANY Writers' },
                        Admins: { Type: 'ImplicitMeta', Rule: 'MAJORITY Admins' },
                        LifecycleEndorsement: { Type: 'ImplicitMeta', Rule: 'MAJORITY Endorsement' },
                        Endorsement: { Type: 'ImplicitMeta', Rule: 'MAJORITY Endorsement' },
                    },
                    Capabilities: { V2_5: true },
                },
            },
        },
    };
}

// ---- helpers shared by the native path and Compose ----

/** Lays `over` onto `base` (objects merged key by key; lists and scalars replaced). */
export function overlay(base: Settings, over: Settings): Settings {
    const out: Settings = { ...base };
    for (const [key, value] of Object.entries(over)) {
        const old = out[key];
        const isObject = (v: unknown): v is Settings => typeof v === 'object' && v !== null && !Array.isArray(v);
        out[key] = isObject(old) && isObject(value) ? overlay(old, value) : value;
    }
    return out;
}

/**
 * The same settings as environment variables (CORE_PEER_GOSSIP_BOOTSTRAP=..., ORDERER_GENERAL_...),
 * as Fabric's images take them. Lists of strings become [a,b]; lists of objects cannot be set so
 * and are returned apart for the caller to handle.
 */
export function settingsToEnv(prefix: string, settings: Settings): { env: Record<string, string>; unset: string[] } {
    const env: Record<string, string> = {};
    const unset: string[] = [];
    const walk = (node: Settings, keys: string[]) => {
        for (const [key, value] of Object.entries(node)) {
            const name = [...keys, key];
            if (Array.isArray(value)) {
                if (value.every((v) => typeof v === 'string')) env[[prefix, ...name].join('_').toUpperCase()] = `[${value.join(',')}]`;
                else unset.push(name.join('.'));
            } else if (value !== null && typeof value === 'object') {
                walk(value, name);
            } else {
                env[[prefix, ...name].join('_').toUpperCase()] = String(value);
            }
        }
    };
    walk(settings, []);
    return { env, unset };
}

/** The org that operates an ordering node (its machine runs it). */
export const operatorOf = (t: Topology, node: OrderingNode): OrgConfig => findOrg(t, node.operatedBy);
