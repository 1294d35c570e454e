// The devnet's processes: which nodes the topology implies, how each is started (detached, one
// log file each, a pid file), how its health is read, and how it is stopped.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ChaincodeConfig, caOf, findOrg, OrgConfig, paths, primaryOrderer, serverCommand, Topology } from '../client/topology';

export type NodeKind = 'ca' | 'orderer' | 'peer' | 'chaincode' | 'gateway';

export interface DevnetNode {
    name: string;
    kind: NodeKind;
    org: string;
    host: string;
    port: number;
    /** HTTP URL answering 200 when healthy; chaincode servers have none (a TCP connect is the check). */
    healthUrl?: string;
    /** Other ports the node binds. */
    extraPorts: number[];
    command: string[];
    env: Record<string, string>;
}

const dist = (t: Topology, ...p: string[]) => path.join(t.root, 'dist', ...p);

/**
 * One org's chaincode server; on real Fabric its id is that org's package id. A `modulePath` server
 * runs as `fabric-chaincode-node server`, a `command` server as given; both get the environment
 * Fabric's chaincode-as-a-service servers read (fabric-samples' ccaas servers and fabric-shim's
 * options): where to listen, the chaincode id, TLS with client authentication unless the topology
 * says `tls: false` (connection.json's tls_required and client_auth_required), and the org, which
 * Fabric never passes to an external server (whoever starts it sets CORE_PEER_LOCALMSPID).
 */
export function chaincodeNode(t: Topology, cc: ChaincodeConfig, org: OrgConfig, chaincodeId = `${cc.name}:${cc.version}`): DevnetNode {
    const port = cc.server.ports[org.mspId];
    const address = `127.0.0.1:${port}`;
    // fabric-shim's server TLS options: its certificate and key, and the CA a peer's client
    // certificate must chain to (given, the server requires one: grpc-js checkClientCertificate).
    const tlsDir = paths.chaincodeServerTlsDir(t, org.mspId, cc.name);
    const tls = cc.server.tls
        ? { cert: path.join(tlsDir, 'server.crt'), key: path.join(tlsDir, 'server.key'), clientCa: path.join(tlsDir, 'ca.crt') }
        : undefined;
    const command = cc.server.command
        ? serverCommand(t, cc)
        : [
              process.execPath,
              '--require',
              path.join(__dirname, 'plain-output.js'),
              require.resolve('fabric-shim/cli'),
              'server',
              '--chaincode-address',
              address,
              '--chaincode-id',
              chaincodeId,
              '--module-path',
              path.resolve(t.root, cc.server.modulePath as string),
              ...(tls
                  ? [
                        '--chaincode-tls-cert-file',
                        tls.cert,
                        '--chaincode-tls-key-file',
                        tls.key,
                        '--chaincode-tls-client-cacert-file',
                        tls.clientCa,
                    ]
                  : []),
          ];
    return {
        name: paths.chaincodeServerName(t, org.mspId, cc.name),
        kind: 'chaincode',
        org: org.mspId,
        host: '127.0.0.1',
        port,
        extraPorts: [],
        command,
        env: chaincodeServerEnv(address, chaincodeId, org.mspId, tls),
    };
}

/**
 * The environment of a chaincode server run as a service, as Fabric's ccaas servers read it
 * (fabric-samples' external chaincode servers): where to listen, the id, and TLS (files of the
 * server's key and certificate and of the CA its clients' certificates must chain to).
 */
export function chaincodeServerEnv(
    address: string,
    chaincodeId: string,
    mspId: string,
    tls?: { cert: string; key: string; clientCa: string },
): Record<string, string> {
    return {
        CHAINCODE_SERVER_ADDRESS: address,
        CHAINCODE_ID: chaincodeId,
        CORE_CHAINCODE_ID_NAME: chaincodeId,
        ...(tls
            ? {
                  CHAINCODE_TLS_DISABLED: 'false',
                  CHAINCODE_TLS_CERT: tls.cert,
                  CHAINCODE_TLS_KEY: tls.key,
                  CHAINCODE_CLIENT_CA_CERT: tls.clientCa,
              }
            : { CHAINCODE_TLS_DISABLED: 'true' }),
        // fabric-shim's stub.getMspID() answers the peer's org from this variable, as on Fabric.
        CORE_PEER_LOCALMSPID: mspId,
        // fabric-shim logs one info line per transaction ("Calling chaincode Invoke() succeeded"),
        // formatted by winston: 9 % of a chaincode server's busy time under load. The peer logs
        // every transaction already, so the servers log warnings and errors only unless the
        // operator asks for more (e.g. CORE_CHAINCODE_LOGGING_LEVEL=INFO or DEBUG, Fabric's names).
        CORE_CHAINCODE_LOGGING_LEVEL: process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'WARNING',
    };
}

/** The Fabric CA server of an org. */
export function caNode(t: Topology, mspId: string): DevnetNode {
    const ca = caOf(t, mspId);
    return {
        name: `ca.${findOrg(t, mspId).domain}`,
        kind: 'ca',
        org: mspId,
        host: ca.host,
        port: ca.port,
        healthUrl: `http://${ca.host}:${ca.operationsPort}/healthz`,
        extraPorts: [ca.operationsPort],
        command: [process.execPath, dist(t, 'network', 'devnet', 'ca', 'main.js'), '--org', mspId, '--topology', t.file],
        env: {},
    };
}

/** Every node of the devnet, in start order: CAs, chaincode servers, orderer, peers, gateways. */
export function devnetNodes(t: Topology, withGateways = fs.existsSync(dist(t, 'gateway', 'server.js'))): DevnetNode[] {
    const topologyArgs = ['--topology', t.file];
    const nodes: DevnetNode[] = t.orgs.map((o) => caNode(t, o.mspId));
    for (const cc of t.chaincodes) for (const org of t.orgs) nodes.push(chaincodeNode(t, cc, org));
    // The devnet runs one ordering node, the first of the topology, on its operator's machine.
    const orderer = primaryOrderer(t);
    nodes.push({
        name: paths.ordererName(t, orderer),
        kind: 'orderer',
        org: orderer.operatedBy,
        host: orderer.host,
        port: orderer.port,
        healthUrl: `http://${orderer.host}:${orderer.operationsPort}/healthz`,
        extraPorts: [orderer.operationsPort],
        command: [process.execPath, dist(t, 'network', 'devnet', 'orderer', 'main.js'), ...topologyArgs],
        env: {},
    });
    for (const org of t.orgs) {
        nodes.push({
            name: paths.peerName(t, org.mspId),
            kind: 'peer',
            org: org.mspId,
            host: org.peer.host,
            port: org.peer.port,
            healthUrl: `http://${org.peer.host}:${org.peer.operationsPort}/healthz`,
            extraPorts: [org.peer.operationsPort],
            command: [process.execPath, dist(t, 'network', 'devnet', 'peer', 'main.js'), '--org', org.mspId, ...topologyArgs],
            env: {},
        });
    }
    if (withGateways) {
        // The product's gateways, of the orgs whose entry has one.
        for (const org of t.orgs) {
            const gateway = org.gateway;
            if (!gateway) continue;
            nodes.push({
                name: paths.gatewayName(t, org.mspId),
                kind: 'gateway',
                org: org.mspId,
                host: gateway.host,
                port: gateway.port,
                healthUrl: `http://${gateway.host}:${gateway.port}/healthz`,
                extraPorts: [],
                command: [process.execPath, dist(t, 'gateway', 'server.js'), '--org', org.mspId, ...topologyArgs],
                env: {},
            });
        }
    }
    return nodes;
}

/** The pid of a running node started by us, or undefined (stale pid files are removed). */
export function runningPid(t: Topology, node: DevnetNode): number | undefined {
    const file = paths.pid(t, node.name);
    if (!fs.existsSync(file)) return undefined;
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    try {
        process.kill(pid, 0);
        // Guard against a recycled pid: the process must still be running our command.
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (node.command.slice(0, 2).every((arg) => cmdline.includes(arg))) return pid;
    } catch {
        /* not running */
    }
    fs.rmSync(file, { force: true });
    return undefined;
}

export function portFree(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once('error', () => resolve(false));
        server.listen(port, host, () => server.close(() => resolve(true)));
    });
}

/**
 * Resolves once something listens on each of `ports` (binding there fails). Fabric's nodes answer
 * their operations /healthz before their gRPC (and admin) listeners open, so "healthy" alone does
 * not mean a client can connect. Stops early with NODE_EXITED when `alive` says the process is gone.
 */
export async function waitListening(
    host: string,
    ports: number[],
    opts: { timeoutMs: number; name: string; alive?: () => boolean; pollMs?: number },
): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let waiting = ports;
    for (;;) {
        const free = await Promise.all(waiting.map((port) => portFree(host, port)));
        waiting = waiting.filter((_, i) => free[i]);
        if (waiting.length === 0) return;
        if (opts.alive && !opts.alive())
            throw new Error(`NODE_EXITED: ${opts.name} exited before listening on ${host}:${waiting.join(', ')}`);
        if (Date.now() > deadline) {
            throw new Error(
                `NODE_NOT_LISTENING: nothing listens on ${host}:${waiting.join(', ')} (${opts.name}) after ${opts.timeoutMs / 1000} s`,
            );
        }
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
}

/**
 * V8 options of the node processes the tooling starts, by kind (NODE_OPTIONS; the caller's own
 * come after, and win). V8 grows a process's young generation to 8 MiB and more per semi-space
 * during start-up's allocations (module loading, key generation) and keeps it. 2 MiB semi-spaces
 * save about 8 MiB per node (150 MiB over the 18 nodes of `npm start`); 1 MiB saved 190 MiB but
 * cost about 12 % more peer CPU per transaction in `npm run bench:devnet` (more scavenges). A
 * gateway allocates the most per request (HTTP, Express, two gRPC clients' calls): with 8 MiB its
 * CPU per request fell by about 0.1 to 0.2 ms in `npm run bench:product` (docs/benchmarks.md), for
 * about 8 MiB more RSS per gateway.
 */
export const NODE_V8_OPTIONS: Record<NodeKind, string> = {
    ca: '--max-semi-space-size=2',
    orderer: '--max-semi-space-size=2',
    peer: '--max-semi-space-size=2',
    chaincode: '--max-semi-space-size=2',
    gateway: '--max-semi-space-size=8',
};

/** Whether `exe` (a path, or a name on PATH) is an executable file. */
function isExecutable(exe: string): boolean {
    const candidates = exe.includes('/') ? [exe] : (process.env.PATH ?? '').split(':').map((dir) => path.join(dir || '.', exe));
    return candidates.some((file) => {
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return fs.statSync(file).isFile();
        } catch {
            return false;
        }
    });
}

export function startNode(t: Topology, node: DevnetNode): number {
    // A chaincode server's command is the topology's: say which one is missing, before spawn's ENOENT without a pid.
    if (!isExecutable(node.command[0])) {
        throw new Error(`NODE_COMMAND_NOT_FOUND: ${node.name}: ${node.command[0]} is not an executable file (see ${t.file})`);
    }
    const log = paths.log(t, node.name);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.mkdirSync(path.dirname(paths.pid(t, node.name)), { recursive: true });
    const out = fs.openSync(log, 'a');
    const child = spawn(node.command[0], node.command.slice(1), {
        cwd: t.root,
        detached: true,
        stdio: ['ignore', out, out],
        // Log files are read by people and tools, not terminals: no colour codes (fabric-shim's winston).
        env: {
            ...process.env,
            FORCE_COLOR: '0',
            NO_COLOR: '1',
            NODE_OPTIONS: [NODE_V8_OPTIONS[node.kind], process.env.NODE_OPTIONS].filter(Boolean).join(' '),
            ...node.env,
            DEVNET_STATE_DIR: t.stateDir,
        },
    });
    fs.closeSync(out);
    child.unref();
    fs.writeFileSync(paths.pid(t, node.name), String(child.pid));
    return child.pid as number;
}

export interface Health {
    healthy: boolean;
    detail: string;
    height?: number;
}

export async function checkHealth(node: DevnetNode): Promise<Health> {
    if (!node.healthUrl) {
        return new Promise((resolve) => {
            const socket = net.connect({ host: node.host, port: node.port });
            socket.setTimeout(1000);
            socket.once('connect', () => {
                socket.destroy();
                resolve({ healthy: true, detail: 'listening' });
            });
            const fail = (why: string) => {
                socket.destroy();
                resolve({ healthy: false, detail: why });
            };
            socket.once('timeout', () => fail('no answer'));
            socket.once('error', (e) => fail(e.message));
        });
    }
    try {
        const response = await fetch(node.healthUrl, { signal: AbortSignal.timeout(2000) });
        const text = await response.text();
        let body: { status?: string; height?: number; failed_checks?: unknown } = {};
        try {
            body = JSON.parse(text);
        } catch {
            /* not JSON */
        }
        return {
            healthy: response.status === 200,
            detail: response.status === 200 ? 'OK' : `HTTP ${response.status} ${text.slice(0, 200)}`,
            height: typeof body.height === 'number' ? body.height : undefined,
        };
    } catch (e) {
        return { healthy: false, detail: (e as Error).message };
    }
}

export function tail(file: string, lines = 20): string {
    if (!fs.existsSync(file)) return '(no log)';
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export async function waitHealthy(t: Topology, node: DevnetNode, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const health = await checkHealth(node);
        if (health.healthy) return;
        if (!runningPid(t, node)) {
            throw new Error(
                `NODE_EXITED: ${node.name} exited during start-up. Last lines of ${paths.log(t, node.name)}:\n${tail(paths.log(t, node.name))}`,
            );
        }
        if (Date.now() > deadline) {
            throw new Error(
                `NODE_UNHEALTHY: ${node.name} did not become healthy within ${timeoutMs / 1000}s (${health.detail}). ` +
                    `Last lines of ${paths.log(t, node.name)}:\n${tail(paths.log(t, node.name))}`,
            );
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
export async function stopNode(t: Topology, node: DevnetNode, graceMs = 10_000): Promise<boolean> {
    const pid = runningPid(t, node);
    if (!pid) return false;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
        try {
            process.kill(pid, 0);
        } catch {
            break;
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    try {
        process.kill(pid, 'SIGKILL');
    } catch {
        /* already gone */
    }
    fs.rmSync(paths.pid(t, node.name), { force: true });
    return true;
}
