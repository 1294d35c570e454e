// The gateway's configuration, declared once: command line, environment and the network topology.
// Anything missing or malformed stops the process at start with a message naming the setting.
import * as fs from 'node:fs';
import type { HsmConfig } from '../network/client/hsm';
import * as path from 'node:path';
import { findOrg, loadTopology, paths, PRODUCT_CHAINCODE, type Topology } from '../network/client/topology';
import { DEFAULT_LIMITS, type RequestLimits } from './http/limits';

export class ConfigError extends Error {
    constructor(message: string) {
        super(`GATEWAY_CONFIG_INVALID: ${message}`);
        this.name = 'ConfigError';
    }
}

/** Per-call gRPC deadlines, in milliseconds, as fabric-gateway's *Options callbacks take them. */
export interface Deadlines {
    evaluate: number;
    endorse: number;
    submit: number;
    commitStatus: number;
    /** How long /readyz waits for the peer's channel to become ready. */
    ready: number;
}

export interface RetryPolicy {
    /** New proposals after an MVCC or phantom-read conflict. */
    conflictAttempts: number;
    /** Resends of the same signed transaction after a failed submit. */
    submitAttempts: number;
    /** Re-queries of the commit status after a deadline. */
    commitStatusAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

/** Another org's peer, as the gateway reaches it. */
export interface ChannelPeer {
    mspId: string;
    /** host:port of its gRPC endpoint (TLS). */
    endpoint: string;
    /** The name its TLS certificate carries. */
    hostOverride: string;
    tlsRootCertPath: string;
}

/** Which other peers a write waits for before it is answered (docs/api.md, consistency), and how long. */
export interface CommitScope {
    peers: ChannelPeer[];
    /** 0: answer on the gateway's own peer's commit alone (fabric-gateway's behaviour). */
    waitMs: number;
}

export interface GatewayConfig {
    topology: Topology;
    mspId: string;
    channel: string;
    chaincode: string;
    /** HTTP listener. */
    host: string;
    port: number;
    /** The org's peer: gRPC endpoint with TLS. */
    peerEndpoint: string;
    /** Host name the peer's TLS certificate is checked against (its SANs include localhost, 127.0.0.1 and its name). */
    peerHostOverride: string | undefined;
    tlsRootCertPath: string;
    /** SQLite file with the apps, the API key hashes, idempotency records and event checkpoints (the default backend). */
    databaseFile: string;
    /** GATEWAY_DATABASE_URL: a PostgreSQL database shared by the org's gateway replicas, instead of the SQLite file. */
    databaseUrl: string | undefined;
    /** A replica whose heartbeat in the shared database is older than this is taken for dead (its pending requests are taken over). */
    replicaLeaseMs: number;
    deadlines: Deadlines;
    retry: RetryPolicy;
    commitScope: CommitScope;
    bodyLimit: string;
    /** Rate limits per API key (weighted by route) and per client address, and open streams per key. */
    limits: RequestLimits;
    /**
     * HTTPS, with optional client certificates (mutual TLS) issued by the org's CA; undefined: plain
     * HTTP (a reverse proxy terminates TLS).
     */
    tls: GatewayTls | undefined;
    /**
     * A PKCS#11 token holding the private keys of identities whose MSP folder has none (created with
     * `gateway:admin create-app --hsm`): GATEWAY_HSM_LIBRARY, GATEWAY_HSM_LABEL, GATEWAY_HSM_PIN.
     */
    hsm: HsmConfig | undefined;
    /** Slow clients: the headers, and the whole request (headers and body), must arrive within these. */
    timeouts: { headersMs: number; requestMs: number };
    /** How long SIGTERM waits for in-flight requests before closing anyway. */
    shutdownGraceMs: number;
    /** Idempotency records older than this are forgotten. */
    idempotencyTtlMs: number;
    logLevel: 'debug' | 'info' | 'warn' | 'error';
    /** The issuer org serves the citizen's tracker (/tracker/). */
    issuer: boolean;
    /** Fabric identity (role citizen-agent) the tracker calls the chaincode with. */
    trackerIdentity: string;
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return Number(raw);
}

export interface GatewayTls {
    certPath: string;
    keyPath: string;
    /** CA certificates a client certificate must chain to: by default every file of the org's msp/cacerts. */
    clientCaPaths: string[];
}

function tlsEnv(env: NodeJS.ProcessEnv, topology: Topology, mspId: string): GatewayTls | undefined {
    const certPath = env.GATEWAY_TLS_CERT || undefined;
    const keyPath = env.GATEWAY_TLS_KEY || undefined;
    if (!certPath && !keyPath) {
        if (env.GATEWAY_TLS_CLIENT_CA) throw new ConfigError('GATEWAY_TLS_CLIENT_CA needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY (HTTPS)');
        return undefined;
    }
    if (!certPath || !keyPath)
        throw new ConfigError('GATEWAY_TLS_CERT and GATEWAY_TLS_KEY go together (the HTTPS certificate and its key)');
    const cacerts = path.join(paths.orgMsp(topology, mspId), 'cacerts');
    const clientCaPaths = env.GATEWAY_TLS_CLIENT_CA
        ? env.GATEWAY_TLS_CLIENT_CA.split(path.delimiter).filter(Boolean)
        : fs.existsSync(cacerts)
          ? fs
                .readdirSync(cacerts)
                .sort()
                .map((f) => path.join(cacerts, f))
          : [];
    return { certPath, keyPath, clientCaPaths };
}

/** `operationId=weight,...` (e.g. `requestAccess=10,getCard=1`): the cost of one request in tokens. */
function weightsEnv(env: NodeJS.ProcessEnv, name: string): Record<string, number> {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return {};
    const weights: Record<string, number> = {};
    for (const part of raw.split(',')) {
        const m = /^\s*([A-Za-z][A-Za-z0-9]*)=(\d{1,6})\s*$/.exec(part);
        if (!m) throw new ConfigError(`${name} must be operationId=weight,... (e.g. requestAccess=10), got ${JSON.stringify(part)}`);
        weights[m[1]] = Number(m[2]);
    }
    return weights;
}

export interface ConfigArgs {
    org?: string;
    topologyFile?: string;
    port?: number;
    databaseFile?: string;
}

/** Parses `--org MSP [--topology FILE] [--port N] [--db FILE]`. */
export function parseArgs(argv: string[]): ConfigArgs {
    const args: ConfigArgs = {};
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        const need = (): string => {
            if (value === undefined || value.startsWith('--')) throw new ConfigError(`${flag} needs a value`);
            i++;
            return value;
        };
        switch (flag) {
            case '--org':
                args.org = need();
                break;
            case '--topology':
                args.topologyFile = need();
                break;
            case '--port': {
                const v = need();
                if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(`--port must be a port number, got ${v}`);
                args.port = Number(v);
                break;
            }
            case '--db':
                args.databaseFile = need();
                break;
            default:
                throw new ConfigError(`unknown argument ${flag} (usage: --org MSP [--topology FILE] [--port N] [--db FILE])`);
        }
    }
    return args;
}

/** A write of `mspId`'s gateway waits for the peers of every other org of the topology, up to waitMs. */
export function commitScopeOf(topology: Topology, mspId: string, waitMs: number): CommitScope {
    return {
        peers: topology.orgs
            .filter((o) => o.mspId !== mspId)
            .map((o) => ({
                mspId: o.mspId,
                endpoint: `${o.peer.host}:${o.peer.port}`,
                hostOverride: paths.peerName(topology, o.mspId),
                tlsRootCertPath: paths.tlsRootCert(topology, o.mspId),
            })),
        waitMs,
    };
}

export function loadConfig(args: ConfigArgs, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
    const mspId = args.org ?? env.GATEWAY_ORG;
    if (!mspId) throw new ConfigError('the org is required: --org SeoulMSP (or GATEWAY_ORG)');
    let topology: Topology;
    try {
        topology = loadTopology(args.topologyFile ?? env.TOPOLOGY ?? undefined);
    } catch (err) {
        throw new ConfigError(`cannot load the topology: ${(err as Error).message}`);
    }
    let org: ReturnType<typeof findOrg>;
    try {
        org = findOrg(topology, mspId);
    } catch (err) {
        throw new ConfigError((err as Error).message);
    }
    const chaincode = env.GATEWAY_CHAINCODE ?? PRODUCT_CHAINCODE;
    if (!topology.chaincodes.some((c) => c.name === chaincode)) {
        throw new ConfigError(`chaincode ${chaincode} is not defined in ${topology.file}`);
    }
    if (!org.gateway) throw new ConfigError(`${mspId} has no gateway entry in ${topology.file}: this topology runs no gateway for it`);
    const gateway = org.gateway;
    const tlsRootCertPath = env.GATEWAY_TLS_ROOT_CERT ?? paths.tlsRootCert(topology, mspId);
    const logLevel = (env.LOG_LEVEL ?? 'info') as GatewayConfig['logLevel'];
    if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error`);
    const port = args.port ?? intEnv(env, 'GATEWAY_PORT', gateway.port, 0);
    const cfg: GatewayConfig = {
        topology,
        mspId,
        channel: topology.channel,
        chaincode,
        host: env.GATEWAY_HOST ?? gateway.host,
        port,
        peerEndpoint: `${org.peer.host}:${org.peer.port}`,
        peerHostOverride: env.GATEWAY_PEER_HOST_OVERRIDE || undefined,
        tlsRootCertPath,
        databaseFile: args.databaseFile ?? env.GATEWAY_DB ?? path.join(topology.stateDir, 'gateways', mspId, 'gateway.sqlite'),
        databaseUrl: databaseUrlEnv(env),
        replicaLeaseMs: intEnv(env, 'GATEWAY_REPLICA_LEASE_MS', 15_000, 300),
        deadlines: {
            evaluate: intEnv(env, 'GATEWAY_EVALUATE_TIMEOUT_MS', 5_000, 1),
            endorse: intEnv(env, 'GATEWAY_ENDORSE_TIMEOUT_MS', 15_000, 1),
            submit: intEnv(env, 'GATEWAY_SUBMIT_TIMEOUT_MS', 5_000, 1),
            commitStatus: intEnv(env, 'GATEWAY_COMMIT_STATUS_TIMEOUT_MS', 60_000, 1),
            ready: intEnv(env, 'GATEWAY_READY_TIMEOUT_MS', 2_000, 1),
        },
        retry: {
            conflictAttempts: intEnv(env, 'GATEWAY_CONFLICT_ATTEMPTS', 5, 1),
            submitAttempts: intEnv(env, 'GATEWAY_SUBMIT_ATTEMPTS', 3, 1),
            commitStatusAttempts: intEnv(env, 'GATEWAY_COMMIT_STATUS_ATTEMPTS', 3, 1),
            baseDelayMs: intEnv(env, 'GATEWAY_RETRY_BASE_MS', 50, 0),
            maxDelayMs: intEnv(env, 'GATEWAY_RETRY_MAX_MS', 2_000, 0),
        },
        commitScope: commitScopeOf(topology, mspId, intEnv(env, 'GATEWAY_PEER_COMMIT_WAIT_MS', 5_000, 0)),
        bodyLimit: env.GATEWAY_BODY_LIMIT ?? '64kb',
        limits: {
            windowMs: intEnv(env, 'GATEWAY_RATE_WINDOW_MS', DEFAULT_LIMITS.windowMs, 1),
            max: intEnv(env, 'GATEWAY_RATE_MAX', DEFAULT_LIMITS.max, 1),
            weights: { ...DEFAULT_LIMITS.weights, ...weightsEnv(env, 'GATEWAY_RATE_WEIGHTS') },
            anonymousMax: intEnv(env, 'GATEWAY_ANONYMOUS_RATE_MAX', DEFAULT_LIMITS.anonymousMax, 1),
            streamsPerKey: intEnv(env, 'GATEWAY_STREAMS_PER_KEY', DEFAULT_LIMITS.streamsPerKey, 0),
        },
        tls: tlsEnv(env, topology, mspId),
        hsm: hsmEnv(env),
        timeouts: {
            headersMs: intEnv(env, 'GATEWAY_HEADERS_TIMEOUT_MS', 10_000, 1),
            requestMs: intEnv(env, 'GATEWAY_REQUEST_TIMEOUT_MS', 30_000, 1),
        },
        shutdownGraceMs: intEnv(env, 'GATEWAY_SHUTDOWN_GRACE_MS', 10_000, 0),
        idempotencyTtlMs: intEnv(env, 'GATEWAY_IDEMPOTENCY_TTL_MS', 24 * 3600_000, 1),
        logLevel,
        issuer: org.issuer,
        trackerIdentity: env.GATEWAY_TRACKER_IDENTITY ?? 'citizen-agent',
    };
    if (cfg.timeouts.headersMs > cfg.timeouts.requestMs) {
        throw new ConfigError(
            'GATEWAY_HEADERS_TIMEOUT_MS must not exceed GATEWAY_REQUEST_TIMEOUT_MS (the headers are part of the request)',
        );
    }
    return cfg;
}

/** The checks that need the file system, separated so that tests can build a config without crypto. */
export function assertConfigFiles(cfg: GatewayConfig): void {
    if (!fs.existsSync(cfg.tlsRootCertPath)) {
        throw new ConfigError(
            `TLS root certificate of ${cfg.mspId} not found at ${cfg.tlsRootCertPath} (is the network created? run npm run network:up)`,
        );
    }
    if (cfg.tls) {
        for (const [name, file] of [
            ['GATEWAY_TLS_CERT', cfg.tls.certPath],
            ['GATEWAY_TLS_KEY', cfg.tls.keyPath],
            ...cfg.tls.clientCaPaths.map((f) => ['GATEWAY_TLS_CLIENT_CA', f]),
        ]) {
            if (!fs.existsSync(file)) throw new ConfigError(`${name}: ${file} not found`);
        }
        if (cfg.tls.clientCaPaths.length === 0)
            throw new ConfigError(`no CA certificate for client certificates (${cfg.mspId}'s msp/cacerts is empty)`);
    }
}

/** The token of GATEWAY_HSM_LIBRARY, GATEWAY_HSM_LABEL and GATEWAY_HSM_PIN: all three, or none. */
export function hsmEnv(env: NodeJS.ProcessEnv): HsmConfig | undefined {
    const [library, label, pin] = ['GATEWAY_HSM_LIBRARY', 'GATEWAY_HSM_LABEL', 'GATEWAY_HSM_PIN'].map((k) => env[k] || undefined);
    if (!library && !label && !pin) return undefined;
    if (!library || !label || !pin)
        throw new ConfigError(
            'GATEWAY_HSM_LIBRARY, GATEWAY_HSM_LABEL and GATEWAY_HSM_PIN go together (the PKCS#11 library, the token, its user PIN)',
        );
    if (!fs.existsSync(library)) throw new ConfigError(`GATEWAY_HSM_LIBRARY: ${library} not found`);
    return { library, label, pin };
}

function databaseUrlEnv(env: NodeJS.ProcessEnv): string | undefined {
    const url = env.GATEWAY_DATABASE_URL || undefined;
    if (url !== undefined && !/^postgres(ql)?:\/\//i.test(url)) {
        throw new ConfigError('GATEWAY_DATABASE_URL must be a postgres:// or postgresql:// URL (unset: the SQLite file)');
    }
    return url;
}

/** Where the gateway's state is: the shared PostgreSQL database when GATEWAY_DATABASE_URL is set, else the SQLite file. */
export const databaseOf = (cfg: Pick<GatewayConfig, 'databaseFile' | 'databaseUrl'>): string => cfg.databaseUrl ?? cfg.databaseFile;
