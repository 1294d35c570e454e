// The network's command line, the one command table of the tooling: start, up, down, status, logs,
// enroll, chaincode:deploy, compose and the org commands, on the devnet or (--fabric) real Fabric.
// Each command's steps live in the module it calls (network.ts, orgs.ts, lifecycle.ts, logs.ts,
// ../fabric/network.ts); none of them imports this file.
// Every command reads the topology (network/topology.yaml, or --topology FILE / $TOPOLOGY).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { loadTopology, Topology, paths, primaryOrderer } from '../client/topology';
import { stopNode, chaincodeNode, devnetNodes } from '../devnet/processes';
import { registerAndEnroll } from '../client/ca-identities';
import { deployChaincodes } from './lifecycle';
import { describeTopology, down, ensureRunning, printEndpoints, start, status, up } from './network';
import { addOrg, createOrgRequest, orgNetworkOf, removeOrg, startOrgNodes } from './orgs';
import { channelCreate, importGenesis, orgExport, orgImport, orgInit, orgStatus } from './founding';
import {
    acceptOrgRequest,
    adminOf,
    NewOrg,
    OrgChangeError,
    proposeUpdate,
    readOrgRequest,
    requestConfigGroup,
    Say,
    signUpdate,
    submitUpdate,
    summarizeUpdate,
} from './orgchange';
import { asFabric, fabricUp, fabricDown, fabricStatus, fabricDeploy, fabricNodes, writeComposeFile } from '../fabric/network';
import { findFabricBinaries } from '../fabric/binaries';
import { printLogs } from './logs';
import { revoke } from './revoke';
import { renew } from './renew';
import { DEFAULT_WARN_DAYS, expiryReport, parseDays } from '../client/certificates';
import { isLogLevel } from '../client/logger';
import { describeOwner, liveForegroundOwner, readOwner, withLock, writeOwner } from './owner';
import { runCommand } from '../client/command';

/** The org commands (network/commands/orgs.ts runs them). */
const ORG_COMMANDS_HELP = `
Orgs joining and leaving the running channel (a channel update signed by a majority of admins);
each also on real Fabric with --fabric:
  add-org --msp MSP --name NAME --domain DOMAIN [--host HOST]
                        all steps on this machine: topology entry, identities, update signed by a
                        majority of the existing orgs' admins, submitted; the org's nodes started
  remove-org --msp MSP [--keep-nodes]
                        deactivate the org's services, remove it by a signed update, stop its nodes
  org-request --msp MSP --name NAME --domain DOMAIN [--host HOST] --out FILE
                        (new org's machine) its identities and the request file to send
  propose-update (--request FILE | --remove MSP) --org MSP --out FILE
                        (any admin) the unsigned update, computed against the current config
  sign-update --org MSP --file FILE
                        (each admin) print what the update does, then add the admin's signature
  submit-update --org MSP --file FILE
                        (one admin) sign and submit; prints the orderer's answer
  org-up --org MSP [--genesis FILE [--fingerprint FP]]
                        (the org's machine) start its own nodes: its ordering nodes joined, its
                        peer joined and caught up, its chaincode approved (and committed once a
                        majority approved), its gateway; a joining org fetches the genesis block

Founding the channel with each org on its own machine, holding only its own keys (docs/operations.md);
each also on real Fabric with --fabric:
  org-init --org MSP    (each org) its CA, TLS CA and identities: admin, peer, users, the ordering
                        nodes it operates; every private key made and kept on this machine
  org-export --org MSP --out FILE
                        (each org) its public bundle (verifying MSP, TLS CA, its ordering nodes' TLS
                        certificates) and the fingerprint to confirm by another way
  org-import --bundle FILE --fingerprint FP
                        (each org, for every other org) the bundle, once its fingerprint is FP
  channel-create --out FILE
                        (the channel's creator, every bundle imported) the genesis block
  status --org MSP      the org's own nodes' health and the other orgs' nodes reachable or not

Renewal (the org's machine; also with --fabric):
  renew --org MSP [--within DAYS] [--holder NAME] [--no-restart] [--json]
                        every certificate of the org expiring within DAYS (default 30): a new key
                        and certificate from the CA that issued it (reenroll at the org's CA, or the
                        devnet's cryptogen-made ones reissued from the CA key), swapped in at once;
                        then each running node whose certificate changed restarted, one at a time

Revocation (the org's machine; also with --fabric):
  revoke --org MSP (--name ID [--reason R] | --crl FILE) [--json]
                        revoke the identity at the org's CA and generate its CRL (fabric-ca-client
                        revoke + gencrl), put the CRL into the org's MSP by a config update the
                        org's admin signs, wait until every peer committed it; prints the times
`;

const HELP = `Usage: devnet <command> [options]

Commands:
  start                 bring the devnet up, print its endpoints, stop it on Ctrl-C; on a devnet
                        that already runs, attach to it: Ctrl-C then stops nothing
  up                    bring the devnet up in the background (idempotent)
  down [--purge]        stop every devnet process; --purge also deletes all state
  status [--warn-days N]
                        print each node's health and each peer's height (exit 1 if unhealthy),
                        then the certificates on this machine and a WARN for each expiring within
                        N days (default 30)
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
  --fabric              start, up, down, status, logs, enroll, chaincode:deploy and the org commands act on real Fabric v3.1.5
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

/** network:status's last lines: the certificates on this machine and those expiring within --warn-days (default 30). */
function certificateWarnings(t: Topology, args: Args, healthy: boolean): number {
    for (const line of expiryReport(t, parseDays(args.flags.get('warn-days')?.[0], '--warn-days', DEFAULT_WARN_DAYS)).lines) say(line);
    return healthy ? 0 : 1;
}

/**
 * Commands that change a network and take its lock (the state folder's run/devnet.lock) here, in
 * the dispatch. The org commands are refused with NETWORK_BUSY while another command holds it (two
 * channel updates must not interleave); the real-Fabric node commands wait for it as the devnet's
 * up, down, start and chaincode:deploy do (those take it themselves, below).
 */
const ORG_CHANGES = new Set([
    'add-org',
    'remove-org',
    'org-request',
    'submit-update',
    'org-up',
    'org-init',
    'org-import',
    'channel-create',
    'revoke',
    'renew',
]);
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
            printEndpoints(t, devnetNodes(t));
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
            if (args.flags.has('org'))
                return (await orgStatus(t, flag(args.flags, 'org'), devnetNodes(t), [primaryOrderer(t)], say)) ? 0 : 1;
            return certificateWarnings(t, args, await status(t));
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
            printEndpoints(t, fabricNodes(t, findFabricBinaries(t.root)), true);
            return 0;
        case 'start': {
            await withLock(t, 'network:start --fabric', say, () => fabricUp(t, { say, gateways: true }));
            printEndpoints(t, fabricNodes(t, findFabricBinaries(t.root), true), true);
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
        case 'logs':
            // The same log files, under the Fabric network's state folder.
            return devnetCommand(t, args);
        case 'status':
            if (args.flags.has('org')) {
                return (await orgStatus(t, flag(args.flags, 'org'), fabricNodes(t, findFabricBinaries(t.root), true), t.orderer.nodes, say))
                    ? 0
                    : 1;
            }
            for (const line of describeTopology(t, 'fabric')) say(line);
            return certificateWarnings(t, args, await fabricStatus(t, say));
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
                `USAGE: ${args.command} has no --fabric variant (start, up, down, status, logs, compose, chaincode:deploy, and the org commands)`,
            );
        }
    }
}

type Flags = Map<string, string[]>;

function flag(flags: Flags, name: string, required = true): string {
    const v = flags.get(name)?.[0];
    if ((v === undefined || v === 'true') && required)
        throw new OrgChangeError('ORG_INVALID', `USAGE: --${name} is required\n${ORG_COMMANDS_HELP}`);
    return v ?? '';
}

function newOrgOf(flags: Flags): NewOrg {
    return { mspId: flag(flags, 'msp'), name: flag(flags, 'name'), domain: flag(flags, 'domain'), host: flags.get('host')?.[0] };
}

/** Runs an org command; undefined when `command` is not one. */
async function runOrgCommand(command: string, flags: Flags, t: Topology, say: Say): Promise<number | undefined> {
    const network = orgNetworkOf(flags.has('fabric'));
    switch (command) {
        case 'add-org':
            await addOrg(t, newOrgOf(flags), say, network);
            return 0;
        case 'remove-org':
            await removeOrg(t, flag(flags, 'msp'), { keepNodes: flags.has('keep-nodes') }, say, network);
            return 0;
        case 'org-request': {
            const out = flag(flags, 'out');
            const { request } = await createOrgRequest(t, newOrgOf(flags), say, network);
            fs.writeFileSync(out, `${JSON.stringify(request, null, 2)}\n`);
            say(`wrote ${out}: send it to the channel's admins, with these fingerprints by another channel (phone, letter):`);
            for (const [file, fp] of Object.entries(request.fingerprints)) say(`  ${file}  ${fp}`);
            return 0;
        }
        case 'propose-update': {
            const out = flag(flags, 'out');
            const proposer = flag(flags, 'org');

            let update: common.Envelope | undefined;
            if (flags.has('request')) {
                const request = readOrgRequest(flag(flags, 'request'));
                const topology = acceptOrgRequest(t, request);
                update = await proposeUpdate(topology, adminOf(topology, proposer), {
                    add: { mspId: request.org.mspId, group: requestConfigGroup(request) },
                });
            } else {
                update = await proposeUpdate(t, adminOf(t, proposer), { remove: flag(flags, 'remove') });
            }
            if (!update) {
                say('nothing to do: the channel config already is what the update would make it');
                return 0;
            }
            fs.writeFileSync(out, update.serializeBinary());
            for (const line of summarizeUpdate(update.serializeBinary())) say(line);
            say(`wrote ${out}: each admin signs it (sign-update), the last one submits it (submit-update)`);
            return 0;
        }
        case 'sign-update': {
            const file = flag(flags, 'file');
            const mspId = flag(flags, 'org');
            const bytes = fs.readFileSync(file);
            for (const line of summarizeUpdate(bytes)) say(line);
            if (flags.has('request')) acceptOrgRequest(t, readOrgRequest(flag(flags, 'request')));
            fs.writeFileSync(file, signUpdate(t, bytes, adminOf(t, mspId)));
            say(`signed by the admin of ${mspId}: ${path.resolve(file)}`);
            return 0;
        }
        case 'submit-update': {
            const mspId = flag(flags, 'org');
            const block = await submitUpdate(t, fs.readFileSync(flag(flags, 'file')), adminOf(t, mspId));
            say(`the orderer accepted the update: config block ${block}`);
            return 0;
        }
        case 'org-up': {
            const mspId = flags.has('org') ? flag(flags, 'org') : flag(flags, 'msp');
            const genesis = flags.get('genesis')?.[0];
            if (genesis) importGenesis(t, mspId, genesis, flags.get('fingerprint')?.[0], say);
            await startOrgNodes(network, t, mspId, say);
            return 0;
        }
        case 'org-init':
            await orgInit(network, t, flag(flags, 'org'), say);
            return 0;
        case 'org-export':
            orgExport(t, flag(flags, 'org'), flag(flags, 'out'), say);
            return 0;
        case 'org-import':
            orgImport(t, flag(flags, 'bundle'), flag(flags, 'fingerprint'), say);
            return 0;
        case 'channel-create':
            await channelCreate(network, t, flag(flags, 'out'), say);
            return 0;
        case 'renew': {
            const json = flags.has('json');
            const result = await renew(
                t,
                {
                    mspId: flag(flags, 'org'),
                    withinDays: parseDays(flags.get('within')?.[0], '--within', DEFAULT_WARN_DAYS),
                    holder: flags.get('holder')?.[0],
                    fabric: flags.has('fabric'),
                    restart: !flags.has('no-restart'),
                },
                json ? () => {} : say,
            );
            if (json) say(JSON.stringify(result));
            else
                say(
                    `renewed ${result.renewed.length} certificate(s), restarted ${result.restarted.length} node(s) in ${result.totalMs} ms`,
                );
            return 0;
        }
        case 'revoke': {
            const json = flags.has('json');
            const result = await revoke(
                t,
                {
                    mspId: flag(flags, 'org'),
                    name: flags.get('name')?.[0],
                    crlFile: flags.get('crl')?.[0],
                    reason: flags.get('reason')?.[0],
                    fabric: flags.has('fabric'),
                },
                json ? () => {} : say,
            );
            if (json) say(JSON.stringify(result));
            return 0;
        }
        default:
            return undefined;
    }
}

if (require.main === module) runCommand(() => main(process.argv.slice(2)));
