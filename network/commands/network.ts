// The devnet's lifecycle commands: up, down, start and status (network:up, network:down, npm start,
// network:status), and a node started and waited for until it is healthy (ensureRunning).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
    ChaincodeConfig,
    DEFAULT_TOPOLOGY,
    Topology,
    paths,
    address,
    gatewayOf,
    hasGateways,
    issuerOrg,
    primaryOrderer,
    shownPath,
} from '../client/topology';
import { devnetNodes, runningPid, startNode, waitHealthy, stopNode, checkHealth, portFree, DevnetNode } from '../devnet/processes';
import { generateCrypto } from '../devnet/msp/ca';
import { buildGenesisBlock } from '../devnet/common/configtx';
import { deployChaincodes } from './lifecycle';
import { describeOwner, liveForegroundOwner, Owner, readOwner, removeOwner, withLock, writeOwner } from './owner';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Crypto material and the genesis block, created once; later runs reuse them. */
async function initialize(t: Topology): Promise<void> {
    const genesis = paths.genesisBlock(t);
    if (!fs.existsSync(genesis)) {
        // The first run makes every CA, TLS CA, node and user identity: a few seconds of key generation.
        const began = Date.now();
        say(`generating identities (CA, TLS CA, nodes, admins, users) of ${t.orgs.length} orgs...`);
        await generateCrypto(t);
        say(`generated identities in ${Date.now() - began} ms`);
    } else {
        await generateCrypto(t);
    }
    if (!fs.existsSync(genesis)) {
        fs.mkdirSync(path.dirname(genesis), { recursive: true });
        const tmp = `${genesis}.tmp`;
        fs.writeFileSync(tmp, buildGenesisBlock(t).serializeBinary());
        fs.renameSync(tmp, genesis);
        say(`created genesis block of channel ${t.channel}`);
    }
}

/** Ports of the nodes that are not running yet, taken by other processes: all of them, at once. */
async function portsInUse(t: Topology, nodes: DevnetNode[]): Promise<string[]> {
    const taken: string[] = [];
    for (const node of nodes) {
        if (runningPid(t, node)) continue;
        for (const port of [node.port, ...node.extraPorts]) {
            if (!(await portFree(node.host, port))) taken.push(`${node.host}:${port} (${node.name})`);
        }
    }
    return taken;
}

export async function ensureRunning(t: Topology, node: DevnetNode, timeoutMs = 30_000): Promise<void> {
    if (runningPid(t, node)) {
        await waitHealthy(t, node, timeoutMs);
        say(`  ${node.name.padEnd(44)} already running`);
        return;
    }
    const taken = await portsInUse(t, [node]);
    if (taken.length > 0) throw portError(t, taken);
    const started = Date.now();
    startNode(t, node);
    await waitHealthy(t, node, timeoutMs);
    say(`  ${node.name.padEnd(44)} up in ${Date.now() - started} ms (log ${shownPath(t, paths.log(t, node.name))})`);
}

function portError(t: Topology, taken: string[]): Error {
    return new Error(
        `PORT_IN_USE: ${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} taken by another process. ` +
            `Stop it (ss -ltnp 'sport = :PORT' shows its owner) or change the ports in ${t.file}.`,
    );
}

export async function up(t: Topology): Promise<void> {
    await initialize(t);
    say(`devnet: channel ${t.channel}, ${t.orgs.length} orgs, state in ${shownPath(t, t.stateDir)}`);
    const nodes = devnetNodes(t);
    const taken = await portsInUse(t, nodes);
    if (taken.length > 0) throw portError(t, taken);
    const [before, gateways] = [nodes.filter((n) => n.kind !== 'gateway'), nodes.filter((n) => n.kind === 'gateway')];
    say(
        `starting ${nodes.length} processes: CAs and chaincode servers, the orderer, the peers${gateways.length ? ', then the gateways' : ''}...`,
    );
    // CAs, chaincode servers and the orderer are independent, so they start together; the peers need the orderer.
    await Promise.all(before.filter((n) => n.kind !== 'peer').map((n) => ensureRunning(t, n)));
    await Promise.all(before.filter((n) => n.kind === 'peer').map((n) => ensureRunning(t, n)));
    say('chaincode definitions: each org approves on its own peer, then one commits (_lifecycle)...');
    await deployChaincodes(t, { log: say });
    await Promise.all(gateways.map((n) => ensureRunning(t, n)));
}

export async function down(t: Topology, purge: boolean): Promise<void> {
    const nodes = devnetNodes(t, true).reverse();
    const stopped = await Promise.all(nodes.map(async (n) => ((await stopNode(t, n)) ? n.name : undefined)));
    const names = stopped.filter(Boolean);
    removeOwner(t);
    say(names.length ? `stopped ${names.join(', ')}` : 'nothing was running');
    if (purge) {
        fs.rmSync(t.stateDir, { recursive: true, force: true });
        say(`deleted ${t.stateDir}`);
    }
}

export async function status(t: Topology): Promise<boolean> {
    for (const line of describeTopology(t, 'devnet')) say(line);
    const owner = readOwner(t);
    say(`owner: ${owner ? describeOwner(owner) : 'none (nothing started by a devnet command)'}`);
    let healthy = true;
    for (const node of devnetNodes(t)) {
        const pid = runningPid(t, node);
        const health = pid ? await checkHealth(node) : { healthy: false, detail: 'not running' };
        healthy &&= health.healthy;
        const height = 'height' in health && health.height !== undefined ? `height ${health.height}` : '';
        say(
            `${health.healthy ? 'OK  ' : 'DOWN'} ${node.name.padEnd(44)} ${`${node.host}:${node.port}`.padEnd(16)} ${height || health.detail}`,
        );
    }
    return healthy;
}

/** The arguments that point a command at this network: ` -- --topology FILE` unless it is the default one. */
function commandArgs(t: Topology, fabric: boolean): string {
    const args = [
        ...(path.resolve(t.file) === DEFAULT_TOPOLOGY ? [] : [`--topology ${shownPath(t, t.file)}`]),
        ...(fabric ? ['--fabric'] : []),
    ];
    return args.length ? ` -- ${args.join(' ')}` : '';
}

/** How a chaincode's servers run, in a few words. */
function serverKind(t: Topology, cc: ChaincodeConfig): string {
    return cc.server.command
        ? `command ${cc.server.command.map((arg) => (arg.includes('/') ? shownPath(t, path.resolve(t.root, arg)) : arg)).join(' ')}`
        : `Node module ${cc.server.modulePath}`;
}

/**
 * What the topology describes, in a few lines (network:status and the banner): the channel, each
 * org with its node names, the chaincodes with their definitions and servers, and whether the
 * product's gateways are part of it.
 */
export function describeTopology(t: Topology, network: 'devnet' | 'fabric'): string[] {
    const lines = [
        `${network === 'fabric' ? 'real Fabric' : 'devnet'}: channel ${t.channel}, ${t.orgs.length} org(s), state in ${shownPath(t, t.stateDir)} (topology ${shownPath(t, t.file)})`,
    ];
    for (const org of t.orgs) {
        lines.push(
            `  ${org.mspId} (${org.name}, ${org.domain}${org.issuer ? ', issuer' : ''}): ${paths.peerName(t, org.mspId)}, ca.${org.domain}` +
                `${org.gateway ? `, ${paths.gatewayName(t, org.mspId)}` : ''}`,
        );
    }
    for (const cc of t.chaincodes) {
        const collections = cc.collections.length ? `, collections ${cc.collections.map((c) => c.name).join(', ')}` : '';
        lines.push(
            `  chaincode ${cc.name} ${cc.version} (sequence ${cc.sequence}, ${cc.endorsementPolicy}${collections}): ${serverKind(t, cc)}`,
        );
    }
    if (t.chaincodes.length === 0) lines.push('  no chaincode');
    if (!hasGateways(t)) lines.push('  no product gateway: clients use fabric-gateway against the peers');
    return lines;
}

/**
 * The banner of up and start: every node that runs (`nodes`, the network's own list) with its
 * address, and, when the product's gateways are among them, where the product is.
 */
export function printEndpoints(t: Topology, nodes: DevnetNode[], fabric = false): void {
    say('');
    for (const line of describeTopology(t, fabric ? 'fabric' : 'devnet')) say(line);
    say('');
    for (const node of fabric ? t.orderer.nodes : [primaryOrderer(t)]) {
        say(`orderer   ${address(node)}  ${paths.ordererName(t, node)}, run by ${node.operatedBy}`);
    }
    const gatewayOrgs = new Set(nodes.filter((n) => n.kind === 'gateway').map((n) => n.org));
    const width = Math.max(9, ...t.orgs.map((o) => o.mspId.length));
    for (const org of t.orgs) {
        const gateway = org.gateway && gatewayOrgs.has(org.mspId) ? `  gateway http://${address(org.gateway)}` : '';
        say(
            `${org.mspId.padEnd(width)} peer ${address(org.peer)}${gateway}  CA https://${address(org.ca)}  (TLS root ${shownPath(t, paths.tlsRootCert(t, org.mspId))})`,
        );
    }
    for (const cc of t.chaincodes) {
        say(`chaincode ${cc.name}: servers ${t.orgs.map((o) => `${o.mspId} 127.0.0.1:${cc.server.ports[o.mspId]}`).join(', ')}`);
    }
    say('');
    const withGateway = t.orgs.filter((o) => gatewayOrgs.has(o.mspId));
    if (withGateway.length === 0) {
        // No product here: what a Fabric application developer needs to connect with fabric-gateway.
        const first = t.orgs[0];
        say(`Clients: fabric-gateway to a peer over TLS, e.g. ${first.mspId}'s at ${address(first.peer)}, channel ${t.channel},`);
        say(
            `  as its admin (${shownPath(t, path.join(paths.userDir(t, first.mspId, 'Admin'), 'msp'))}) or an identity enrolled at its CA (npm run network:enroll).`,
        );
        say('Try:');
        const args = commandArgs(t, fabric);
        say(`  npm run network:logs${args ? `${args} --follow` : ' -- --follow'}    # every process, one line per event`);
        say(`  npm run network:status${args}`);
        return;
    }
    // The browser UIs (gateway/http/web.ts): the tracker at the issuer's gateway, the console at every gateway (the auditors' one here).
    const issuer = withGateway.find((o) => o.mspId === issuerOrg(t).mspId) ?? withGateway[0];
    const auditors = withGateway.find((o) => /audit/i.test(o.mspId)) ?? issuer;
    say(`citizen data tracker  http://${address(gatewayOf(issuer))}/tracker/`);
    say(`audit console         http://${address(gatewayOf(auditors))}/console/`);
    say('');
    const welfare = withGateway.find((o) => o.mspId === 'MOHWMSP') ?? withGateway[0];
    const gw = `http://${address(gatewayOf(welfare))}`;
    say(`API docs: ${gw}/docs/ (Swagger; each gateway's shows what its org may call), ${gw}/openapi.json`);
    say('Try:');
    say(`  KEY=$(npm run -s gateway:admin -- create-app --org ${welfare.mspId} --name my-app --dept welfare --key-only)`);
    say(`  curl -s -H "Authorization: Bearer $KEY" ${gw}/v1/services   # $KEY: the app's API key, shown once`);
    say('  npm run demo                        # the whole journey: card, consent, granted read, audit');
    say('  npm run network:logs -- --follow    # every process, one line per event');
    say(`  npm run network:status${fabric ? ' -- --fabric' : ''}`);
}

/**
 * `start`: brings the devnet up and owns it (Ctrl-C stops it), or, if it already runs, attaches to
 * it (Ctrl-C stops nothing). A previous owner that is gone (killed, crashed) leaves the devnet to
 * this one. Either way it stays in the foreground and says when a node stops.
 */
export async function start(t: Topology): Promise<number> {
    const attachedTo = await withLock(t, 'npm start', say, async (): Promise<Owner | undefined> => {
        const foreground = liveForegroundOwner(t);
        if (foreground) return foreground;
        const previous = readOwner(t);
        const running = devnetNodes(t).some((n) => runningPid(t, n));
        if (running && previous?.command === 'start') {
            say(`the devnet's previous owner, ${describeOwner(previous)}, is gone: this npm start takes it over.`);
        } else if (running) {
            // Started in the background (network:up): heal what died, and leave it to network:down.
            await up(t);
            return previous ?? writeOwner(t, 'up');
        }
        writeOwner(t, 'start');
        await up(t);
        return undefined;
    });
    printEndpoints(t, devnetNodes(t));
    if (attachedTo) {
        say(`ATTACHED to a devnet that was already running, owned by ${describeOwner(attachedTo)}.`);
        say('Ctrl-C here leaves it running; `npm run network:down` stops it.');
    } else {
        say('Ctrl-C stops the devnet; `npm run network:down -- --purge` also wipes its state.');
    }
    // Stay in the foreground until Ctrl-C, say when a node dies meanwhile, and leave when the
    // devnet is stopped by someone else (network:down, or the owner this one attached to).
    const ours = readOwner(t);
    const reported = new Set<string>();
    const stoppedElsewhere = await new Promise<boolean>((resolve) => {
        const watch = setInterval(() => {
            const now = readOwner(t);
            if (!now || now.pid !== ours?.pid || now.since !== ours?.since) {
                clearInterval(watch);
                resolve(true);
                return;
            }
            const died = devnetNodes(t).filter((n) => !reported.has(n.name) && !runningPid(t, n));
            for (const node of died) reported.add(node.name);
            if (died.length > 0) {
                say(
                    `WARNING: ${died.map((n) => n.name).join(', ')} stopped. ` +
                        '`npm run network:logs -- --node NAME` shows why; `npm run network:up` restarts it.',
                );
            }
        }, 2000);
        const leave = () => {
            clearInterval(watch);
            resolve(false);
        };
        process.once('SIGINT', leave);
        process.once('SIGTERM', leave);
    });
    if (stoppedElsewhere) {
        say('\nthe devnet was stopped elsewhere (`npm run network:down` or its owner); leaving.');
    } else if (attachedTo) {
        say('\nleaving the devnet running.');
    } else {
        say('\nstopping the devnet...');
        await withLock(t, 'npm start (stopping)', say, () => down(t, false));
    }
    return 0;
}
