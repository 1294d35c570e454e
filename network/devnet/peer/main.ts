// A devnet peer: `node dist/network/devnet/peer/main.js --org SeoulMSP [--topology FILE]`.
// Loads its identity and TLS from the state folder, the channel config from the genesis block,
// opens its ledger, pulls blocks from the orderer (committer), connects to its chaincode servers,
// and serves Endorser, Gateway and Deliver on one TLS gRPC port plus GET /healthz on the
// operations port. SIGTERM/SIGINT: stop accepting, let in-flight calls finish (briefly), stop the
// committer, close the ledger. One JSON log line per event on stdout; never payloads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { common, gateway, peer } from '@hyperledger/fabric-protos';
import { Topology, address, findOrg, loadTopology, paths } from '../../client/topology';
import { loadSigningIdentity } from '../msp/identity';
import { mspConfigFromDir } from '../msp/ca';
import { MspManager } from '../msp/msp';
import { PolicyManager } from '../common/policies';
import { parseChannelConfig } from '../common/configtx';
import { openPeerLedger } from './ledger/kvledger';
import { ChaincodeDefinition, PeerLedger } from './ledger/types';
import { ChaincodeSupport, chaincodeEndpoints } from './chaincode/support';
import { Endorser, addEndorserService, collectionMembership } from './endorser';
import { Qscc } from './scc/qscc';
import { Cscc } from './scc/cscc';
import { Lifecycle } from './scc/lifecycle';
import { startCommitter } from './committer';
import { GatewayServer, gatewayService } from './gateway';
import {
    EndorserRegistry,
    localEndorserClient,
    ordererBroadcaster,
    remoteEndorserOf,
    remoteEndorsersFromTopology,
} from './gateway/registry';
import { deliverService } from './deliver';
import { addPrivateDataService, Membership, privateDataClientOf } from './privdata/transport';
import { Distributor } from './privdata/distributor';
import { privateDataHandler, Reconciler } from './privdata/service';
import { OperationsServer } from '../common/operations';
import { Logger, createLogger } from '../../client/logger';
import { listenNodeServer, newNodeServer } from '../common/grpc';
import { createNodeMetrics } from '../common/metrics';

/** Fabric's default gRPC message limit (peer.maxRecvMsgSize / maxSendMsgSize). */
/** How long a stopping peer lets unary calls finish before closing every stream. */
const SHUTDOWN_GRACE_MS = 3000;

const USAGE = `Usage: node dist/network/devnet/peer/main.js --org MSPID [--topology FILE]

Runs the devnet peer of an org of the topology (default network/topology.yaml, or $TOPOLOGY;
$DEVNET_STATE_DIR overrides its state folder). Its crypto material and the genesis block must
exist under the state folder (written by the devnet CLI: npm run network:up).`;

export interface PeerArgs {
    org: string;
    topology?: string;
}

export function parseArgs(argv: string[]): PeerArgs {
    let org: string | undefined;
    let topology: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--help' || a === '-h') {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (a === '--org' || a === '--topology') {
            const v = argv[++i];
            if (!v || v.startsWith('--')) throw new Error(`USAGE: ${a} needs a value\n${USAGE}`);
            if (a === '--org') org = v;
            else topology = v;
        } else if (a.startsWith('--org=')) {
            org = a.slice('--org='.length);
        } else if (a.startsWith('--topology=')) {
            topology = a.slice('--topology='.length);
        } else {
            throw new Error(`USAGE: unknown argument ${a}\n${USAGE}`);
        }
    }
    if (!org) throw new Error(`USAGE: --org is required\n${USAGE}`);
    return { org, topology };
}

function readRequired(file: string, what: string): Buffer {
    if (!fs.existsSync(file)) throw new Error(`${what}_MISSING: ${file} does not exist; create the network first (npm run network:up)`);
    return fs.readFileSync(file);
}

/** Chaincode definitions of the topology, to plan endorsements before _lifecycle holds them. */
function topologyDefinitions(t: Topology): ChaincodeDefinition[] {
    return t.chaincodes.map((cc) => ({
        name: cc.name,
        version: cc.version,
        sequence: cc.sequence,
        endorsementPolicy: cc.endorsementPolicy,
        collections: cc.collections,
    }));
}

/** A view of an object that is looked up at each use (the ledger swaps MSPs and policies on config blocks). */
function inForce<T extends object>(current: () => T): T {
    return new Proxy({} as T, {
        get(_target, prop) {
            const target = current();
            const value: unknown = Reflect.get(target, prop, target);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
        has(_target, prop) {
            return prop in current();
        },
    });
}

export interface PeerNode {
    readonly ledger: PeerLedger;
    stop(reason: string): Promise<void>;
}

export async function startPeer(t: Topology, mspId: string, log: Logger): Promise<PeerNode> {
    const org = findOrg(t, mspId);
    const peerName = paths.peerName(t, mspId);
    const peerDir = paths.peerDir(t, mspId);
    const listenAddress = address(org.peer);

    const signer = loadSigningIdentity(path.join(peerDir, 'msp'), mspId);
    const tlsDir = path.join(peerDir, 'tls');
    const tlsKeys = {
        key: readRequired(path.join(tlsDir, 'server.key'), 'TLS'),
        cert: readRequired(path.join(tlsDir, 'server.crt'), 'TLS'),
    };
    const genesis = common.Block.deserializeBinary(readRequired(paths.genesisBlock(t), 'GENESIS'));
    const config = parseChannelConfig(
        genesis,
        t.orgs.map((o) => o.mspId),
    );
    const genesisMsps = new MspManager(config.msps);
    const genesisPolicies = new PolicyManager(config.policies, genesisMsps);

    const ledger = await openPeerLedger({
        dir: paths.ledger(t, peerName),
        channelConfig: config,
        msps: genesisMsps,
        policies: genesisPolicies,
        mspId,
        log: (msg) => log.info(msg, { component: 'ledger' }),
    });
    log.info('ledger_opened', { channel: config.channelId, height: ledger.height });
    // The channel's MSPs and policies in force: the ledger replaces them when a config block
    // commits (an org joins), and every service reads them through these views.
    const msps = inForce(() => ledger.mspManager);
    const policies = inForce(() => ledger.policyManager);

    const chaincodes = new ChaincodeSupport(chaincodeEndpoints(t, mspId), {
        log: (msg) => log.info(msg, { component: 'chaincode' }),
    });
    chaincodes.start();

    // The channel's application orgs by MSP id (each has an implicit collection in every chaincode).
    const channelOrgs = () => ledger.config.applicationOrgs.map((g) => ledger.config.applicationMspIds?.[g] ?? g);

    // Private data between peers (Fabric's gossip): the membership view, dissemination at
    // endorsement, and reconciliation of what this peer missed.
    const privdataLog = (msg: string, fields?: Record<string, unknown>) => log.info(msg, { component: 'privdata', ...fields });
    let reconciler: Reconciler | undefined;
    const membership = new Membership(
        t.orgs
            .filter((o) => o.mspId !== mspId)
            .map((o) => ({ mspId: o.mspId, client: privateDataClientOf(t, o.mspId, signer, config.channelId) })),
        { log: privdataLog, onAlive: () => reconciler?.trigger() },
    );
    reconciler = new Reconciler({ ledger, membership, localMspId: mspId, log: privdataLog });
    const distributor = new Distributor({ channelId: config.channelId, membership, log: privdataLog });

    const endorser = new Endorser({
        channelId: config.channelId,
        ledger,
        msps,
        localMsp: new MspManager([mspConfigFromDir(path.join(peerDir, 'msp'), mspId)]),
        policies,
        signer,
        chaincodes,
        systemChaincodes: [
            new Qscc(ledger),
            new Cscc(ledger),
            new Lifecycle({
                mspId,
                applicationOrgs: channelOrgs,
                channelMsps: () => ledger.config.msps.map((m) => m.getName()),
                hasPolicy: (p) => ledger.config.policies.has(p),
            }),
        ],
        isCollectionMember: collectionMembership(),
        channelAcls: () => ledger.config.acls,
        channelOrgs,
        distributor,
        log: (msg, fields) => log.info(msg, { component: 'endorser', ...fields }),
    });

    const registry = new EndorserRegistry(
        localEndorserClient(mspId, listenAddress, endorser),
        remoteEndorsersFromTopology(t, mspId),
        t.orgs.map((o) => o.mspId),
    );
    const broadcaster = ordererBroadcaster(t);
    const gw = new GatewayServer({
        channelId: config.channelId,
        registry,
        orderer: broadcaster,
        ledger,
        policies,
        fallbackDefinitions: topologyDefinitions(t),
        logger: log,
    });

    const unsubscribeConfig = ledger.onConfig((update) => {
        // The topology file is the devnet's discovery: it says where a new org's peer listens.
        registry.sync(update.channelConfig.applicationOrgs, (other) => {
            try {
                return remoteEndorserOf(loadTopology(t.file), other);
            } catch (err) {
                log.warn('endorser_unknown', { mspId: other, reason: (err as Error).message });
                return undefined;
            }
        });
        gw.configChanged();
        membership.sync(channelOrgs(), mspId, (other) => {
            try {
                return privateDataClientOf(loadTopology(t.file), other, signer, config.channelId);
            } catch (err) {
                log.warn('peer_unknown', { mspId: other, reason: (err as Error).message });
                return undefined;
            }
        });
        log.info('channel_config_updated', { block: update.blockNumber, orgs: update.channelConfig.applicationOrgs });
    });

    const committer = startCommitter({
        topology: t,
        ledger,
        signer,
        log: (msg: string, fields?: Record<string, unknown>) => log.info(msg, { component: 'committer', ...fields }),
    });

    const server = newNodeServer();
    addEndorserService(server, endorser);
    addPrivateDataService(server, privateDataHandler(ledger, mspId), {
        channelId: config.channelId,
        verify: (identity, data, signature) => msps.verify(identity, data, signature),
        channelOrgs,
        log: privdataLog,
    });
    server.addService(gateway.GatewayService, gatewayService(gw, log));
    server.addService(
        peer.DeliverService,
        deliverService({ channelId: config.channelId, ledger, policies, msps, configSequence: () => ledger.config.sequence, logger: log }),
    );
    const metrics = createNodeMetrics();
    const listener = await listenNodeServer(server, {
        host: org.peer.host,
        port: org.peer.port,
        tls: tlsKeys,
        logger: log,
        metrics: metrics.grpc,
    }).catch((err: Error) => {
        throw new Error(`PORT_IN_USE: peer ${listenAddress}: ${err.message}`);
    });

    let stopping = false;
    const operations = new OperationsServer({
        host: org.peer.host,
        port: org.peer.operationsPort,
        logger: log,
        metrics: metrics.registry,
        info: () => ({ mspId, height: ledger.height }),
        ledger: async () => ({ height: ledger.height, stateDigest: await ledger.stateDigest() }),
        checks: {
            peer: () => {
                if (stopping) throw new Error('shutting down');
            },
            orderer: () => {
                const reason = committer.health();
                if (reason) throw new Error(reason);
            },
            chaincode: () => {
                const down = chaincodes.status().filter((s) => !s.ready);
                if (down.length > 0)
                    throw new Error(down.map((s) => `${s.name} at ${s.address}: ${s.lastError ?? 'not connected'}`).join('; '));
            },
        },
    });
    try {
        await operations.listen();
    } catch (err) {
        throw new Error(`PORT_IN_USE: operations ${org.peer.host}:${org.peer.operationsPort}: ${(err as Error).message}`);
    }
    membership.start();
    const unsubscribeMissing = ledger.onCommit((event) => {
        if (event.missing && event.missing.length > 0) reconciler?.trigger();
    });
    reconciler.trigger();
    log.info('peer_started', {
        channel: config.channelId,
        address: listenAddress,
        operations: `${org.peer.host}:${org.peer.operationsPort}`,
        height: ledger.height,
    });

    return {
        ledger,
        async stop(reason: string): Promise<void> {
            if (stopping) return;
            stopping = true;
            log.info('peer_stopping', { reason });
            // Unary calls get a grace period; streams (deliver, events, waiting commit statuses) are then cut.
            listener.close();
            await new Promise<void>((resolve) => {
                const timer = setTimeout(() => {
                    server.forceShutdown();
                    resolve();
                }, SHUTDOWN_GRACE_MS);
                server.tryShutdown(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
            listener.destroy();
            await committer.stop().catch((err: Error) => log.error('committer_stop_failed', { reason: err.message }));
            unsubscribeConfig();
            unsubscribeMissing();
            reconciler?.stop();
            membership.close();
            gw.close();
            registry.close();
            broadcaster.close();
            chaincodes.close();
            await ledger.close().catch((err: Error) => log.error('ledger_close_failed', { reason: err.message }));
            await operations.close();
            log.info('peer_stopped', { height: ledger.height });
        },
    };
}

async function main(): Promise<void> {
    let args: PeerArgs;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(2);
    }
    const t = loadTopology(args.topology);
    const log = createLogger({ node: paths.peerName(t, args.org), mspId: args.org });
    process.on('warning', (w) => log.warn('node_warning', { message: w.message }));
    let node: PeerNode;
    try {
        node = await startPeer(t, args.org, log);
    } catch (err) {
        log.error('peer_failed', { reason: (err as Error).message });
        process.exit(1);
    }
    const shutdown = (signal: string) => {
        node.stop(signal).then(
            () => process.exit(0),
            (err: Error) => {
                log.error('peer_stop_failed', { reason: err.message });
                process.exit(1);
            },
        );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) void main();
