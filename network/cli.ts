// The devnet's command line: start, up, down, status, enroll, chaincode:deploy.
// Every command reads the topology (network/topology.yaml, or --topology FILE / $TOPOLOGY).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTopology, Topology, paths, address, issuerOrg } from './topology';
import { devnetNodes, runningPid, startNode, waitHealthy, stopNode, checkHealth, portFree, DevnetNode, chaincodeNode } from './processes';
import { generateCrypto } from './msp/ca';
import { registerAndEnroll } from './shared/ca-identities';
import { buildGenesisBlock } from './common/configtx';
import { deployChaincodes } from './lifecycle';
import { runOrgCommand } from './addorg';
import { ORG_COMMANDS_HELP } from './orgs';
import { asFabric, fabricUp, fabricDown, fabricStatus, fabricDeploy, writeComposeFile } from './fabric/network';
import { printLogs } from './logs';
import { isLogLevel } from './shared/logger';
import { describeOwner, liveForegroundOwner, Owner, readOwner, removeOwner, withLock, writeOwner } from './owner';
import { runCommand } from './shared/command';

const HELP = `Usage: devnet <command> [options]

Commands:
  start                 bring the devnet up, print its endpoints, stop it on Ctrl-C; on a devnet
                        that already runs, attach to it: Ctrl-C then stops nothing
  up                    bring the devnet up in the background (idempotent)
  down [--purge]        stop every devnet process; --purge also deletes all state
  status                print each node's health and each peer's height (exit 1 if unhealthy)
  logs [--follow] [--node NAME ...] [--level LEVEL] [--tail N]
                        every process's log merged in time order, one line per event; --node keeps
                        nodes whose name contains NAME (seoul, peer0.mohw, orderer, gateway),
                        --level the events at LEVEL (debug, info, warn, error) or above
  enroll --org MSP --name NAME [--type client|admin|peer|orderer] [--attr k=v ...]
                        register and enroll an identity at the org's CA (Fabric CA's REST
                        API, as the org's registrar) with ecert attributes
  chaincode:deploy [--name CC]
                        restart a chaincode's servers with the current build and commit its
                        definition with the next sequence and the version <version>+<hash of the
                        code>, so that the definition says what runs (no network restart)
  compose --fabric      write a Docker Compose file of the Fabric nodes (official images)

${ORG_COMMANDS_HELP.trim()}

Options:
  --topology FILE       topology file (default network/topology.yaml or $TOPOLOGY)
  --fabric              start, up, down, status, enroll, chaincode:deploy and the org commands act on real Fabric v3.1.5
                        (binaries from $FABRIC_BIN or PATH; state in <stateDir>-fabric) instead
                        of the devnet; see docs/operations.md
  --help                this text
`;

interface Args {
    command: string;
    flags: Map<string, string[]>;
}

function parseArgs(argv: string[]): Args {
    const flags = new Map<string, string[]>();
    let command = '';
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith('--')) {
            const name = a.slice(2);
            const next = argv[i + 1];
            let value = 'true';
            if (next !== undefined && !next.startsWith('--')) {
                value = next;
                i++;
            }
            flags.set(name, [...(flags.get(name) ?? []), value]);
        } else if (!command) {
            command = a;
        } else {
            throw new Error(`USAGE: unexpected argument ${a}`);
        }
    }
    return { command, flags };
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Crypto material and the genesis block, created once; later runs reuse them. */
async function initialize(t: Topology): Promise<void> {
    const genesis = paths.genesisBlock(t);
    if (!fs.existsSync(genesis)) {
        // The first run makes every CA, TLS CA, node and user identity: a few seconds of key generation.
        const began = Date.now();
        say(`generating identities (CA, TLS CA, nodes, admins, users) of ${t.orgs.length + 1} orgs...`);
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
    say(`  ${node.name.padEnd(44)} up in ${Date.now() - started} ms (log ${path.relative(t.root, paths.log(t, node.name))})`);
}

function portError(t: Topology, taken: string[]): Error {
    return new Error(
        `PORT_IN_USE: ${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} taken by another process. ` +
            `Stop it (ss -ltnp 'sport = :PORT' shows its owner) or change the ports in ${t.file}.`,
    );
}

export async function up(t: Topology): Promise<void> {
    await initialize(t);
    say(`devnet: channel ${t.channel}, ${t.orgs.length} orgs, state in ${path.relative(t.root, t.stateDir) || '.'}`);
    const nodes = devnetNodes(t);
    const taken = await portsInUse(t, nodes);
    if (taken.length > 0) throw portError(t, taken);
    const [before, gateways] = [nodes.filter((n) => n.kind !== 'gateway'), nodes.filter((n) => n.kind === 'gateway')];
    say(`starting ${nodes.length} processes: CAs and chaincode servers, the orderer, the peers, then the gateways...`);
    // CAs, chaincode servers and the orderer are independent, so they start together; the peers need the orderer.
    await Promise.all(before.filter((n) => n.kind !== 'peer').map((n) => ensureRunning(t, n)));
    await Promise.all(before.filter((n) => n.kind === 'peer').map((n) => ensureRunning(t, n)));
    say('committing chaincode definitions (a _lifecycle transaction endorsed by every org)...');
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

function printEndpoints(t: Topology, fabric = false): void {
    say('');
    say(
        `orderer   ${address(t.orderer)}  CA https://${address(t.orderer.ca)}  (TLS root ${path.relative(t.root, paths.tlsRootCert(t, t.orderer.org))})`,
    );
    for (const org of t.orgs) {
        say(
            `${org.mspId.padEnd(9)} peer ${address(org.peer)}  gateway http://${address(org.gateway)}  CA https://${address(org.ca)}  (TLS root ${path.relative(t.root, paths.tlsRootCert(t, org.mspId))})`,
        );
    }
    // The browser UIs (gateway/http/web.ts): the tracker at the issuer's gateway, the console at every gateway (the auditors' one here).
    const auditors = t.orgs.find((o) => /audit/i.test(o.mspId)) ?? issuerOrg(t);
    say('');
    say(`citizen data tracker  http://${address(issuerOrg(t).gateway)}/tracker/`);
    say(`audit console         http://${address(auditors.gateway)}/console/`);
    say('');
    const welfare = t.orgs.find((o) => o.mspId === 'MOHWMSP') ?? t.orgs[0];
    const gw = `http://${address(welfare.gateway)}`;
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
async function start(t: Topology): Promise<number> {
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
    printEndpoints(t);
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

/**
 * Commands that change a network and take its lock (the state folder's run/devnet.lock) here, in
 * the dispatch. The org commands are refused with NETWORK_BUSY while another command holds it (two
 * channel updates must not interleave); the real-Fabric node commands wait for it as the devnet's
 * up, down, start and chaincode:deploy do (those take it themselves, below).
 */
const ORG_CHANGES = new Set(['add-org', 'remove-org', 'org-request', 'submit-update', 'org-up']);
const FABRIC_NODE_CHANGES = new Set(['up', 'down', 'chaincode:deploy']);

function locked(t: Topology, command: string, fabric: boolean, run: () => Promise<number>): Promise<number> {
    const what = `network:${command}${fabric ? ' --fabric' : ''}`;
    if (ORG_CHANGES.has(command)) return withLock(t, what, say, run, { ifBusy: 'refuse' });
    if (fabric && FABRIC_NODE_CHANGES.has(command)) return withLock(t, what, say, run);
    return run();
}

async function main(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.flags.has('help') || !args.command) {
        say(HELP);
        return args.command || args.flags.has('help') ? 0 : 2;
    }
    const loaded = loadTopology(args.flags.get('topology')?.[0]);
    // enroll speaks Fabric CA's REST API, the same to both networks: --fabric only picks the Fabric network's state.
    const t = args.flags.has('fabric') ? asFabric(loaded) : loaded;
    if (args.flags.has('fabric') && args.command !== 'enroll') return locked(t, args.command, true, () => fabricCommand(t, args));
    return locked(t, args.command, false, () => devnetCommand(t, args));
}

async function devnetCommand(t: Topology, args: Args): Promise<number> {
    switch (args.command) {
        case 'up': {
            const foreground = await withLock(t, 'network:up', say, async () => {
                const owner = liveForegroundOwner(t);
                if (owner) return owner;
                const previous = readOwner(t);
                if (previous?.command === 'start') {
                    say(`the devnet's previous owner, ${describeOwner(previous)}, is gone: it now runs in the background.`);
                }
                await up(t);
                writeOwner(t, 'up');
                return undefined;
            });
            if (foreground) {
                say(`the devnet is already running in the foreground of ${describeOwner(foreground)}: nothing started.`);
            }
            printEndpoints(t);
            say(
                foreground
                    ? 'Ctrl-C in that terminal, or `npm run network:down`, stops it.'
                    : 'The devnet runs in the background: `npm run network:down` stops it (add `-- --purge` to wipe its state).',
            );
            return 0;
        }
        case 'start':
            return start(t);
        case 'down':
            await withLock(t, 'network:down', say, () => down(t, args.flags.has('purge')));
            return 0;
        case 'status':
            return (await status(t)) ? 0 : 1;
        case 'logs': {
            const level = args.flags.get('level')?.[0];
            if (level !== undefined && !isLogLevel(level)) throw new Error(`USAGE: --level takes debug, info, warn or error, got ${level}`);
            const tail = args.flags.get('tail')?.[0];
            if (tail !== undefined && !/^\d+$/.test(tail)) throw new Error(`USAGE: --tail takes a number, got ${tail}`);
            const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
            const shown = await printLogs(
                t,
                {
                    follow: args.flags.has('follow'),
                    nodes: args.flags.get('node'),
                    level,
                    tail: tail === undefined ? undefined : Number(tail),
                },
                say,
                stop,
            );
            if (shown === 0 && !args.flags.has('follow'))
                say(`no log lines${args.flags.has('node') || level ? ' match' : ''} in ${paths.log(t, '*')}`);
            return 0;
        }
        case 'enroll': {
            const mspId = args.flags.get('org')?.[0];
            const name = args.flags.get('name')?.[0];
            if (!mspId || !name) throw new Error('USAGE: enroll needs --org and --name');
            const attrs: Record<string, string> = {};
            for (const kv of args.flags.get('attr') ?? []) {
                const eq = kv.indexOf('=');
                if (eq <= 0) throw new Error(`USAGE: --attr takes name=value, got ${kv}`);
                attrs[kv.slice(0, eq)] = kv.slice(eq + 1);
            }
            const type = args.flags.get('type')?.[0] ?? 'client';
            const result = await registerAndEnroll(t, { mspId, name, type, attrs });
            say(`registered and enrolled ${name} of ${mspId} at its CA: ${result.mspDir}`);
            return 0;
        }
        case 'chaincode:deploy': {
            const only = args.flags.get('name')?.[0];
            const selected = t.chaincodes.filter((cc) => !only || cc.name === only);
            if (selected.length === 0) throw new Error(`UNKNOWN_CHAINCODE: ${only} is not in ${t.file}`);
            await withLock(t, 'chaincode:deploy', say, async () => {
                for (const cc of selected) {
                    for (const org of t.orgs) {
                        const node = chaincodeNode(t, cc, org);
                        await stopNode(t, node);
                        await ensureRunning(t, node);
                    }
                }
                await deployChaincodes(t, { log: say, upgrade: selected.map((cc) => cc.name) });
            });
            return 0;
        }
        default: {
            const code = await runOrgCommand(args.command, args.flags, t, say);
            if (code !== undefined) return code;
            say(HELP);
            return 2;
        }
    }
}

/** The same commands on real Fabric. */
async function fabricCommand(t: Topology, args: Args): Promise<number> {
    switch (args.command) {
        case 'up':
            await fabricUp(t, { say });
            printEndpoints(t, true);
            return 0;
        case 'start': {
            await withLock(t, 'network:start --fabric', say, () => fabricUp(t, { say, gateways: true }));
            printEndpoints(t, true);
            say('Ctrl-C stops the Fabric network; `npm run network:down -- --fabric --purge` also wipes its state.');
            await new Promise<void>((resolve) => {
                process.once('SIGINT', resolve);
                process.once('SIGTERM', resolve);
            });
            say('\nstopping the Fabric network...');
            await withLock(t, 'network:start --fabric (stopping)', say, () => fabricDown(t, false, say));
            return 0;
        }
        case 'down':
            await fabricDown(t, args.flags.has('purge'), say);
            return 0;
        case 'status':
            return (await fabricStatus(t, say)) ? 0 : 1;
        case 'compose':
            say(`wrote ${writeComposeFile(t)}`);
            return 0;
        case 'chaincode:deploy': {
            const only = args.flags.get('name')?.[0];
            const names = t.chaincodes.filter((cc) => !only || cc.name === only).map((cc) => cc.name);
            if (names.length === 0) throw new Error(`UNKNOWN_CHAINCODE: ${only} is not in ${t.file}`);
            await fabricDeploy(t, names, say);
            return 0;
        }
        default: {
            const code = await runOrgCommand(args.command, args.flags, t, say);
            if (code !== undefined) return code;
            throw new Error(
                `USAGE: ${args.command} has no --fabric variant (start, up, down, status, compose, chaincode:deploy, and the org commands)`,
            );
        }
    }
}

if (require.main === module) runCommand(() => main(process.argv.slice(2)));
