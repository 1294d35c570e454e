// Real Fabric v3.1.5 from the topology, as native processes: a Fabric CA per org, identities
// enrolled through them, three (or more) Raft orderers joined to the channel with osnadmin, a
// peer per org joined with `peer channel join`, one chaincode server per org (chaincode as a
// service), the chaincode installed, approved per org and committed with the peer CLI. The same
// process helpers as the devnet (pid files, logs, health); only what runs differs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import {
    Topology,
    OrgConfig,
    ChaincodeConfig,
    OrderingNode,
    paths,
    issuerOrg,
    address,
    primaryOrderer,
    shownPath,
} from '../client/topology';
import {
    DevnetNode,
    chaincodeNode,
    devnetNodes,
    runningPid,
    startNode,
    waitHealthy,
    waitListening,
    stopNode,
    checkHealth,
    portFree,
} from '../devnet/processes';
import { FabricBinaries, findFabricBinaries } from './binaries';
import {
    CaOrg,
    caOrgs,
    caName,
    caServerConfig,
    configtx,
    CHANNEL_PROFILE,
    fabricPorts,
    nativeNodeFiles,
    ordererSettings,
    overlay,
    peerSettings,
    Settings,
    FABRIC_LOGGING_ENV,
} from './config';
import { caHome, enrollOrg, registrarSecret, REGISTRAR_ID } from './identities';
import { ccaasPackage, CcaasPackage } from './package';
import { ccaasBuilderEnv, ccaasConnection } from '../devnet/peer/chaincode/connection';
import { runTool, FabricCommandError } from './run';
import { endorsementPlan } from './discovery';
import { ccaasBuilderEnvFile, composeFile } from './compose';

export type Say = (line: string) => void;

/** The topology with its state in the Fabric network's own folder (Topology.fabricStateDir). */
export const asFabric = (t: Topology): Topology => ({ ...t, stateDir: t.fabricStateDir });

/** Our external builder (bin/detect, bin/build, bin/release), shipped in the repository. */
export const builderDir = (t: Topology) => path.join(t.root, 'network', 'fabric', 'builder');

const configDir = (t: Topology, node: string) => path.join(t.stateDir, 'config', node);
const artifacts = (t: Topology) => path.join(t.stateDir, 'channel-artifacts');
const packageFile = (t: Topology, cc: ChaincodeConfig, org: OrgConfig) =>
    path.join(t.stateDir, 'chaincode', cc.name, `${org.domain}.tar.gz`);

// ---- the nodes ----

export function caNode(t: Topology, org: CaOrg, bin: FabricBinaries): DevnetNode {
    return {
        name: caName(org),
        kind: 'ca',
        org: org.mspId,
        host: org.ca.host,
        port: org.ca.port,
        healthUrl: `http://${org.ca.host}:${org.ca.operationsPort}/healthz`,
        extraPorts: [org.ca.operationsPort],
        command: [bin.bin['fabric-ca-server'], 'start', '--home', caHome(t, org)],
        env: {},
    };
}

export function ordererNode(t: Topology, node: OrderingNode, bin: FabricBinaries): DevnetNode {
    const name = paths.ordererName(t, node);
    return {
        name,
        kind: 'orderer',
        org: node.operatedBy,
        host: node.host,
        port: node.port,
        healthUrl: `http://${node.host}:${node.operationsPort}/healthz`,
        extraPorts: [node.adminPort, node.operationsPort],
        command: [bin.bin.orderer, 'start'],
        env: { FABRIC_CFG_PATH: configDir(t, name), ...FABRIC_LOGGING_ENV },
    };
}

export function peerNode(t: Topology, org: OrgConfig, bin: FabricBinaries): DevnetNode {
    const name = paths.peerName(t, org.mspId);
    return {
        name,
        kind: 'peer',
        org: org.mspId,
        host: org.peer.host,
        port: org.peer.port,
        healthUrl: `http://${org.peer.host}:${org.peer.operationsPort}/healthz`,
        extraPorts: [org.peer.port + 1, org.peer.operationsPort],
        command: [bin.bin.peer, 'node', 'start'],
        // The builder fills the TLS templates of the org's connection.json from this (core.yaml propagates it).
        env: { FABRIC_CFG_PATH: configDir(t, name), ...FABRIC_LOGGING_ENV, ...ccaasBuilderEnv(t, org.mspId) },
    };
}

/** Each org's ccaas package of a chaincode: its server's connection.json, hence its own package id. */
export function orgPackage(cc: ChaincodeConfig, org: OrgConfig): CcaasPackage {
    return ccaasPackage(`${cc.name}_${cc.version}`, ccaasConnection(cc, org));
}

export const fabricChaincodeNode = (t: Topology, cc: ChaincodeConfig, org: OrgConfig) =>
    chaincodeNode(t, cc, org, orgPackage(cc, org).packageId);

/** Every node of the Fabric network, in start order (gateways last, when built). */
export function fabricNodes(t: Topology, bin: FabricBinaries, withGateways = false): DevnetNode[] {
    return [
        ...caOrgs(t).map((org) => caNode(t, org, bin)),
        ...t.orderer.nodes.map((n) => ordererNode(t, n, bin)),
        ...t.orgs.map((org) => peerNode(t, org, bin)),
        ...t.chaincodes.flatMap((cc) => t.orgs.map((org) => fabricChaincodeNode(t, cc, org))),
        ...(withGateways ? devnetNodes(t, true).filter((n) => n.kind === 'gateway') : []),
    ];
}

/** Healthy, and listening on every port it serves (Fabric answers /healthz before its gRPC and admin listeners open). */
async function waitReady(t: Topology, node: DevnetNode, timeoutMs: number): Promise<void> {
    await waitHealthy(t, node, timeoutMs);
    await waitListening(node.host, [node.port, ...node.extraPorts], {
        timeoutMs,
        name: node.name,
        alive: () => runningPid(t, node) !== undefined,
    });
}

export async function ensureRunning(t: Topology, node: DevnetNode, say: Say, timeoutMs = 60_000): Promise<void> {
    if (runningPid(t, node)) {
        await waitReady(t, node, timeoutMs);
        return;
    }
    const taken: string[] = [];
    for (const port of [node.port, ...node.extraPorts]) if (!(await portFree(node.host, port))) taken.push(`${node.host}:${port}`);
    if (taken.length > 0) {
        throw new Error(
            `PORT_IN_USE: ${taken.join(', ')} (${node.name}) taken by another process. Stop it or change the ports in ${t.file}.`,
        );
    }
    const started = Date.now();
    startNode(t, node);
    await waitReady(t, node, timeoutMs);
    say(`  ${node.name.padEnd(44)} up in ${Date.now() - started} ms (log ${shownPath(t, paths.log(t, node.name))})`);
}

// ---- generated files ----

function writeYaml(file: string, settings: Settings, mode?: number): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = YAML.stringify(settings, { lineWidth: 0 });
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
    fs.writeFileSync(file, text, mode === undefined ? undefined : { mode });
}

const readSample = (bin: FabricBinaries, file: string) => YAML.parse(fs.readFileSync(path.join(bin.configDir, file), 'utf8')) as Settings;

/** core.yaml and orderer.yaml of every node (or of `only` these orgs' nodes): Fabric's sample with our settings laid over it. */
export function writeNodeConfigs(t: Topology, bin: FabricBinaries, only?: string[]): void {
    const core = readSample(bin, 'core.yaml');
    for (const org of t.orgs.filter((o) => !only || only.includes(o.mspId))) {
        const name = paths.peerName(t, org.mspId);
        const settings = peerSettings(t, org, nativeNodeFiles(t, paths.peerDir(t, org.mspId), name), builderDir(t));
        writeYaml(path.join(configDir(t, name), 'core.yaml'), overlay(core, settings));
    }
    const orderer = readSample(bin, 'orderer.yaml');
    for (const node of t.orderer.nodes.filter((n) => !only || only.includes(n.operatedBy))) {
        const name = paths.ordererName(t, node);
        const ordererTlsCa = paths.tlsRootCert(t, node.operatedBy);
        const settings = ordererSettings(node, nativeNodeFiles(t, paths.ordererDir(t, node), name), ordererTlsCa);
        writeYaml(path.join(configDir(t, name), 'orderer.yaml'), overlay(orderer, settings));
    }
}

/** The genesis block, made once with configtxgen from the orgs' public material in this state folder. */
export async function ensureGenesisBlock(t: Topology, bin: FabricBinaries, say: Say): Promise<string> {
    const block = paths.genesisBlock(t);
    writeYaml(
        path.join(artifacts(t), 'configtx.yaml'),
        configtx(t, (n) => path.join(paths.ordererDir(t, n), 'tls', 'server.crt')),
    );
    if (fs.existsSync(block)) return block;
    const tmp = `${block}.tmp`;
    await runTool(bin.bin.configtxgen, [
        '-profile',
        CHANNEL_PROFILE,
        '-channelID',
        t.channel,
        '-outputBlock',
        tmp,
        '-configPath',
        artifacts(t),
    ]);
    fs.renameSync(tmp, block);
    say(`  genesis block of channel ${t.channel} created with configtxgen`);
    return block;
}

// ---- channel membership ----

export async function joinOrderer(t: Topology, node: OrderingNode, bin: FabricBinaries, block: string, say: Say): Promise<void> {
    const tls = path.join(paths.ordererDir(t, node), 'tls');
    const common = [
        '-o',
        `${node.host}:${node.adminPort}`,
        '--ca-file',
        path.join(tls, 'ca.crt'),
        '--client-cert',
        path.join(tls, 'server.crt'),
        '--client-key',
        path.join(tls, 'server.key'),
    ];
    const list = await runTool(bin.bin.osnadmin, ['channel', 'list', ...common]);
    if (list.includes(`"name": "${t.channel}"`) || list.includes(`"name":"${t.channel}"`)) return;
    await runTool(bin.bin.osnadmin, ['channel', 'join', '--channelID', t.channel, '--config-block', block, ...common]);
    say(`  ${paths.ordererName(t, node)} joined ${t.channel} (osnadmin)`);
}

/** The environment of the peer CLI acting as an org's admin against its own peer. */
export function peerCli(t: Topology, org: OrgConfig): Record<string, string> {
    return {
        FABRIC_CFG_PATH: configDir(t, paths.peerName(t, org.mspId)),
        CORE_PEER_LOCALMSPID: org.mspId,
        CORE_PEER_MSPCONFIGPATH: path.join(paths.userDir(t, org.mspId, 'Admin'), 'msp'),
        CORE_PEER_ADDRESS: address(org.peer),
        CORE_PEER_TLS_ENABLED: 'true',
        CORE_PEER_TLS_ROOTCERT_FILE: paths.tlsRootCert(t, org.mspId),
        FABRIC_LOGGING_SPEC: 'warning',
        ...FABRIC_LOGGING_ENV,
    };
}

export async function joinPeer(t: Topology, org: OrgConfig, bin: FabricBinaries, block: string, say: Say): Promise<void> {
    const env = peerCli(t, org);
    const list = await runTool(bin.bin.peer, ['channel', 'list'], env);
    if (list.split('\n').some((line) => line.trim() === t.channel)) return;
    await runTool(bin.bin.peer, ['channel', 'join', '-b', block], env);
    say(`  ${paths.peerName(t, org.mspId)} joined ${t.channel}`);
}

// ---- chaincode lifecycle: install, approve per org, commit ----

const ordererArgs = (t: Topology) => [
    '-o',
    address(primaryOrderer(t)),
    '--tls',
    '--cafile',
    paths.tlsRootCert(t, primaryOrderer(t).operatedBy),
];

/** "MAJORITY Endorsement" is the channel's Endorsement policy; anything else a signature policy. */
export function endorsementPolicyArgs(policy: string): string[] {
    if (policy === 'MAJORITY Endorsement') return ['--channel-config-policy', '/Channel/Application/Endorsement'];
    if (policy.startsWith('/Channel/')) return ['--channel-config-policy', policy];
    return ['--signature-policy', policy];
}

function definitionArgs(t: Topology, cc: ChaincodeConfig, sequence: number): string[] {
    return [
        '--channelID',
        t.channel,
        '--name',
        cc.name,
        '--version',
        cc.version,
        '--sequence',
        String(sequence),
        ...endorsementPolicyArgs(cc.endorsementPolicy),
        ...(cc.collectionsFile ? ['--collections-config', path.resolve(t.root, cc.collectionsFile)] : []),
    ];
}

/**
 * Runs an orderer-bound CLI step again while the channel's Raft cluster has no leader yet
 * (SERVICE_UNAVAILABLE "no Raft leader": just after the nodes joined, an election takes a few
 * election ticks), up to 30 s, as fabric-samples' scripts retry their lifecycle steps.
 */
async function whenRaftHasLeader<T>(step: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            return await step();
        } catch (e) {
            if (!(e instanceof Error) || !e.message.includes('no Raft leader') || Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 500));
        }
    }
}

/** `peer lifecycle chaincode approveformyorg` by the org's admin: this definition, at this sequence, for this package. */
export async function approveForMyOrg(
    t: Topology,
    cc: ChaincodeConfig,
    sequence: number,
    packageId: string,
    org: OrgConfig,
    bin: FabricBinaries,
): Promise<void> {
    await whenRaftHasLeader(() =>
        runTool(
            bin.bin.peer,
            ['lifecycle', 'chaincode', 'approveformyorg', ...ordererArgs(t), ...definitionArgs(t, cc, sequence), '--package-id', packageId],
            peerCli(t, org),
        ),
    );
}

/** The committed sequence (0 when none), as `as`'s admin reads it on its own peer (default: the issuer's). */
export async function committedSequence(
    t: Topology,
    cc: ChaincodeConfig,
    bin: FabricBinaries,
    as: OrgConfig = issuerOrg(t),
): Promise<number> {
    try {
        const out = await runTool(
            bin.bin.peer,
            ['lifecycle', 'chaincode', 'querycommitted', '--channelID', t.channel, '--name', cc.name, '--output', 'json'],
            peerCli(t, as),
        );
        return Number(JSON.parse(out.slice(out.indexOf('{'))).sequence);
    } catch (e) {
        if (e instanceof FabricCommandError && /not defined|not found/.test(e.output)) return 0;
        throw e;
    }
}

export async function install(t: Topology, cc: ChaincodeConfig, org: OrgConfig, bin: FabricBinaries, say: Say): Promise<string> {
    const pkg = orgPackage(cc, org);
    const env = peerCli(t, org);
    const installed = await runTool(bin.bin.peer, ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'], env);
    if (installed.includes(pkg.packageId)) return pkg.packageId;
    const file = packageFile(t, cc, org);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, pkg.bytes);
    await runTool(bin.bin.peer, ['lifecycle', 'chaincode', 'install', file], env);
    say(`  ${cc.name} installed on ${paths.peerName(t, org.mspId)} (${pkg.packageId.slice(0, cc.name.length + 20)}...)`);
    return pkg.packageId;
}

/** Which orgs approved this definition (checkcommitreadiness), as `as`'s admin asks its own peer. */
export async function approvals(
    t: Topology,
    cc: ChaincodeConfig,
    sequence: number,
    bin: FabricBinaries,
    as: OrgConfig = issuerOrg(t),
): Promise<Record<string, boolean>> {
    const out = await runTool(
        bin.bin.peer,
        ['lifecycle', 'chaincode', 'checkcommitreadiness', ...definitionArgs(t, cc, sequence), '--output', 'json'],
        peerCli(t, as),
    );
    return JSON.parse(out.slice(out.indexOf('{'))).approvals as Record<string, boolean>;
}

/**
 * Installs each org's package, has each org approve its own package id, and commits the
 * definition: at the topology's sequence the first time, at the next one when `upgrade`.
 */
export async function deployFabricChaincode(
    t: Topology,
    cc: ChaincodeConfig,
    bin: FabricBinaries,
    say: Say,
    upgrade = false,
): Promise<void> {
    const started = Date.now();
    const packageIds = await Promise.all(t.orgs.map((org) => install(t, cc, org, bin, say)));
    const committed = await committedSequence(t, cc, bin);
    if (committed > 0 && !upgrade) {
        say(`  chaincode ${cc.name} already committed at sequence ${committed}`);
        return;
    }
    const sequence = committed > 0 ? committed + 1 : cc.sequence;
    const approved = await approvals(t, cc, sequence, bin);
    await Promise.all(
        t.orgs.map(async (org, i) => {
            if (approved[org.mspId]) return;
            await approveForMyOrg(t, cc, sequence, packageIds[i], org, bin);
            say(`  ${org.mspId} approved ${cc.name} sequence ${sequence}`);
        }),
    );
    await commitDefinition(t, cc, sequence, t.orgs, issuerOrg(t), bin);
    say(`  chaincode ${cc.name} ${cc.version} committed at sequence ${sequence} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `peer lifecycle chaincode commit` by `as`'s admin, endorsed by the peers of `endorsers` (orgs that approved). */
export async function commitDefinition(
    t: Topology,
    cc: ChaincodeConfig,
    sequence: number,
    endorsers: OrgConfig[],
    as: OrgConfig,
    bin: FabricBinaries,
): Promise<void> {
    const peers = endorsers.flatMap((org) => ['--peerAddresses', address(org.peer), '--tlsRootCertFiles', paths.tlsRootCert(t, org.mspId)]);
    await whenRaftHasLeader(() =>
        runTool(
            bin.bin.peer,
            ['lifecycle', 'chaincode', 'commit', ...ordererArgs(t), ...definitionArgs(t, cc, sequence), ...peers],
            peerCli(t, as),
        ),
    );
}

/**
 * Waits until discovery on an org's peer (the issuer's by default) offers enough endorsers for the
 * chaincode's policy, among them peers of every org in `including` (gossip needs a while after the
 * peers join to find the other orgs' peers): the same question the peer gateway asks before each
 * endorsement, and no fixed sleep. Returns the orgs whose peers it offers.
 */
export async function waitForEndorsers(
    t: Topology,
    cc: ChaincodeConfig,
    say: Say,
    options: { mspId?: string; including?: string[] } = {},
    timeoutMs = 180_000,
): Promise<string[]> {
    const started = Date.now();
    const mspId = options.mspId ?? issuerOrg(t).mspId;
    let last = '';
    while (Date.now() - started < timeoutMs) {
        try {
            const plan = await endorsementPlan(t, mspId, cc.name);
            const missing = (options.including ?? []).filter((o) => !plan.orgs.includes(o));
            if (plan.satisfiable && missing.length === 0) {
                const seconds = ((Date.now() - started) / 1000).toFixed(1);
                say(
                    `  discovery: ${cc.name} endorsable on ${paths.peerName(t, mspId)} (${plan.endorsers} peers offered) after ${seconds} s`,
                );
                return plan.orgs;
            }
            last = plan.error ?? `${plan.endorsers} endorsers known${missing.length ? `, none yet of ${missing.join(', ')}` : ''}`;
        } catch (e) {
            last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(
        `DISCOVERY_TIMEOUT: discovery on ${paths.peerName(t, mspId)} found no endorsers satisfying ${cc.name}'s policy within ${timeoutMs / 1000}s (${last})`,
    );
}

// ---- up / down / status ----

/** A CA that cannot open its SQLite registry was built without cgo: say so, with the way out. */
function explainCaFailure(t: Topology, org: CaOrg, e: Error): never {
    const log = paths.log(t, caName(org));
    if (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('unknown driver "sqlite3"')) {
        throw new Error(
            `FABRIC_CA_NO_SQLITE: ${caName(org)} cannot open its SQLite registry: this fabric-ca-server was built without cgo. ` +
                'Use the official release binary (npm run fabric:install), or build fabric-ca-server with CGO_ENABLED=1.',
        );
    }
    throw e;
}

/** An org's Fabric CA, configured and running, and whatever of its identities is missing registered and enrolled. */
export async function startCaAndEnroll(t: Topology, org: CaOrg, bin: FabricBinaries, say: Say): Promise<number> {
    writeYaml(path.join(caHome(t, org), 'fabric-ca-server-config.yaml'), caServerConfig(org, REGISTRAR_ID, registrarSecret(t, org)), 0o600);
    await ensureRunning(t, caNode(t, org, bin), say).catch((e) => explainCaFailure(t, org, e));
    return enrollOrg(t, org, bin);
}

export interface FabricUpOptions {
    say: Say;
    gateways?: boolean;
    bin?: FabricBinaries;
}

export async function fabricUp(t: Topology, options: FabricUpOptions): Promise<void> {
    const { say } = options;
    const bin = options.bin ?? findFabricBinaries(t.root);
    fabricPorts(t);
    const started = Date.now();
    say(
        `real Fabric: channel ${t.channel}, ${t.orgs.length} orgs, ${t.orderer.nodes.length} Raft orderers, state in ${shownPath(t, t.stateDir)}`,
    );
    const enrolled = await Promise.all(caOrgs(t).map((org) => startCaAndEnroll(t, org, bin, say)));
    const made = enrolled.reduce((a, b) => a + b, 0);
    if (made > 0) say(`  ${made} identities registered and enrolled at the orgs' Fabric CAs`);
    writeNodeConfigs(t, bin);
    const block = await ensureGenesisBlock(t, bin, say);
    await Promise.all(t.orderer.nodes.map((n) => ensureRunning(t, ordererNode(t, n, bin), say)));
    await Promise.all(t.orderer.nodes.map((n) => joinOrderer(t, n, bin, block, say)));
    await Promise.all(t.orgs.map((org) => ensureRunning(t, peerNode(t, org, bin), say)));
    await Promise.all(t.orgs.map((org) => joinPeer(t, org, bin, block, say)));
    for (const cc of t.chaincodes) {
        await Promise.all(t.orgs.map((org) => ensureRunning(t, fabricChaincodeNode(t, cc, org), say)));
        await deployFabricChaincode(t, cc, bin, say);
    }
    // Every org's gateway plans its endorsements with its own peer's discovery: each peer must know
    // the peers of every org (a peer that dialled the others before it had joined the channel is
    // refused and dials again only after gossip's reconnectInterval, 25 s).
    const everyOrg = t.orgs.map((o) => o.mspId);
    for (const cc of t.chaincodes) await Promise.all(everyOrg.map((mspId) => waitForEndorsers(t, cc, say, { mspId, including: everyOrg })));
    say(`real Fabric up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (options.gateways) {
        const gateways = devnetNodes(t, true).filter((n) => n.kind === 'gateway');
        await Promise.all(gateways.map((n) => ensureRunning(t, n, say)));
    }
}

/** Restarts a chaincode's servers with the current build and commits the next sequence; peers keep running. */
export async function fabricDeploy(t: Topology, names: string[], say: Say, bin = findFabricBinaries(t.root)): Promise<void> {
    for (const cc of t.chaincodes.filter((c) => names.includes(c.name))) {
        for (const org of t.orgs) {
            const node = fabricChaincodeNode(t, cc, org);
            await stopNode(t, node);
            await ensureRunning(t, node, say);
        }
        await deployFabricChaincode(t, cc, bin, say, true);
        await waitForEndorsers(t, cc, say);
    }
}

export async function fabricDown(t: Topology, purge: boolean, say: Say): Promise<void> {
    // Stopping needs no binaries: the pid files say what runs.
    const bin = { bin: new Proxy({}, { get: (_, tool) => String(tool) }), configDir: '' } as FabricBinaries;
    let nodes: DevnetNode[] = [];
    try {
        nodes = fabricNodes(t, findFabricBinaries(t.root), true).reverse();
    } catch {
        nodes = fabricNodes(t, bin, true).reverse();
    }
    const stopped = await Promise.all(nodes.map(async (n) => ((await stopNode(t, n)) ? n.name : undefined)));
    const names = stopped.filter(Boolean);
    say(names.length ? `stopped ${names.join(', ')}` : 'nothing of the Fabric network was running');
    if (purge) {
        fs.rmSync(t.stateDir, { recursive: true, force: true });
        say(`deleted ${t.stateDir}`);
    }
}

/** Writes <state>/compose.yaml: the same nodes as containers of Fabric's official images. */
export function writeComposeFile(t: Topology): string {
    const file = path.join(t.stateDir, 'compose.yaml');
    writeYaml(file, composeFile(t, builderDir(t)));
    for (const org of t.orgs) {
        const env = ccaasBuilderEnv(t, org.mspId).CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG;
        if (env) fs.writeFileSync(ccaasBuilderEnvFile(t, org.mspId), `CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG=${env}\n`, { mode: 0o600 });
    }
    return file;
}

export async function channelHeight(t: Topology, org: OrgConfig, bin: FabricBinaries): Promise<number | undefined> {
    try {
        const out = await runTool(bin.bin.peer, ['channel', 'getinfo', '-c', t.channel], peerCli(t, org), 15_000);
        return JSON.parse(out.slice(out.indexOf('{'))).height;
    } catch {
        return undefined;
    }
}

/** Resident memory of a process in MiB (Linux), or undefined. */
function rssMiB(pid: number): number | undefined {
    try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return kb === undefined ? undefined : Number(kb) / 1024;
    } catch {
        return undefined;
    }
}

export async function fabricStatus(t: Topology, say: Say): Promise<boolean> {
    const bin = findFabricBinaries(t.root);
    let healthy = true;
    const memory = new Map<string, number>();
    for (const node of fabricNodes(t, bin, true)) {
        const pid = runningPid(t, node);
        if (node.kind === 'gateway' && !pid) continue; // gateways run only with npm start -- --fabric
        const health = pid ? await checkHealth(node) : { healthy: false, detail: 'not running' };
        healthy &&= health.healthy;
        let detail = health.detail;
        if (health.healthy && node.kind === 'peer') {
            const org = t.orgs.find((o) => o.mspId === node.org) as OrgConfig;
            const height = await channelHeight(t, org, bin);
            detail = height === undefined ? `OK (not joined to ${t.channel})` : `height ${height}`;
        }
        const rss = pid ? rssMiB(pid) : undefined;
        if (rss !== undefined) memory.set(node.kind, (memory.get(node.kind) ?? 0) + rss);
        const mem = rss === undefined ? '' : `${rss.toFixed(0).padStart(5)} MiB  `;
        say(`${health.healthy ? 'OK  ' : 'DOWN'} ${node.name.padEnd(44)} ${`${node.host}:${node.port}`.padEnd(16)} ${mem}${detail}`);
    }
    if (memory.size > 0) {
        const total = [...memory.values()].reduce((a, b) => a + b, 0);
        say(`memory (RSS): ${total.toFixed(0)} MiB (${[...memory].map(([kind, mib]) => `${kind} ${mib.toFixed(0)}`).join(', ')})`);
    }
    return healthy;
}
