// The devnet's ordering node: `node dist/network/devnet/orderer/main.js [--topology FILE]`.
// One channel, one consenter: the AtomicBroadcast service over TLS (Broadcast and Deliver), blocks
// cut by count, size and timeout, signed and persisted (fsync) before Deliver can serve them, and
// an HTTP operations server with GET /healthz. SIGTERM/SIGINT stop accepting, flush the pending
// batch and close the store. One JSON log line per event on stdout; payloads are never logged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import { ChannelConfigDetails, channelConfigOf, configFromBlock } from '../common/configtx';
import { ConfigUpdateError, ConfigValidator } from '../common/configvalidator';
import { serveDeliver } from '../common/deliver';
import { PolicyManager } from '../common/policies';
import { blockHeaderHash, createSignedEnvelope, envelopeSignedData, lastConfigIndex, parseEnvelope } from '../common/protoutil';
import { BlockStore } from '../common/ledger/blkstorage';
import { loadSigningIdentity } from '../msp/identity';
import { MspManager } from '../msp/msp';
import { loadTopology, paths, primaryOrderer, Topology } from '../../client/topology';
import { BlockWriter } from './blockwriter';
import { createLogger } from '../../client/logger';
import { OperationsServer } from '../common/operations';
import { handleBroadcast } from './broadcast';
import { Chain } from './chain';
import { listenNodeServer, newNodeServer } from '../common/grpc';
import { createNodeMetrics } from '../common/metrics';

const NODE = 'orderer';
/** Fabric's default gRPC message limit (General.MaxRecvMsgSize / MaxSendMsgSize). */

/** Named after the node (its log file's name) once the topology is read. */
let logger = createLogger({ node: NODE });
const log = (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}) => logger[level](event, fields);

const USAGE = `Usage: node dist/network/devnet/orderer/main.js [--topology FILE]

Runs the devnet's ordering node for the channel of the topology (default network/topology.yaml,
or $TOPOLOGY; $DEVNET_STATE_DIR overrides its state folder). The genesis block must exist at
<stateDir>/channel-artifacts/<channel>.block (written by the devnet CLI).`;

function parseArgs(argv: string[]): { topology?: string } {
    const out: { topology?: string } = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--help' || a === '-h') {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (a === '--topology') {
            out.topology = argv[++i];
            if (!out.topology) throw new Error('USAGE: --topology needs a file');
        } else if (a.startsWith('--topology=')) {
            out.topology = a.slice('--topology='.length);
        } else {
            throw new Error(`USAGE: unknown argument ${a}\n${USAGE}`);
        }
    }
    return out;
}

function readGenesis(t: Topology): common.Block {
    const file = paths.genesisBlock(t);
    if (!fs.existsSync(file)) throw new Error(`GENESIS_MISSING: ${file} does not exist; create the network first (npm run network:up)`);
    return common.Block.deserializeBinary(fs.readFileSync(file));
}

/** Opens the store and makes sure its block 0 is this channel's genesis block. */
async function openLedger(t: Topology): Promise<BlockStore> {
    const store = await BlockStore.open(paths.ledger(t, NODE));
    try {
        if (store.height > 0 && !fs.existsSync(paths.genesisBlock(t))) {
            // The ledger already holds block 0; the file is only needed to bootstrap.
            log('warn', 'genesis_file_missing', { file: paths.genesisBlock(t), height: store.height });
            return store;
        }
        const genesis = readGenesis(t);
        if (store.height === 0) {
            await store.append(genesis);
            log('info', 'genesis_block_appended', { channel: t.channel });
        } else {
            const stored = (await store.getBlock(0))!;
            const same = Buffer.from(blockHeaderHash(stored.getHeader()!)).equals(Buffer.from(blockHeaderHash(genesis.getHeader()!)));
            if (!same) {
                throw new Error(
                    `GENESIS_MISMATCH: the ledger in ${paths.ledger(t, NODE)} was created from another genesis block than ${paths.genesisBlock(t)}; purge the state (npm run network:down -- --purge)`,
                );
            }
        }
        return store;
    } catch (err) {
        await store.close();
        throw err;
    }
}

function serverTls(t: Topology): { key: Buffer; cert: Buffer } {
    const tlsDir = path.join(paths.ordererDir(t), 'tls');
    const read = (name: string) => {
        const file = path.join(tlsDir, name);
        if (!fs.existsSync(file)) throw new Error(`TLS_MISSING: ${file} does not exist; create the network first (npm run network:up)`);
        return fs.readFileSync(file);
    };
    // Client certificates are not required, as Fabric's orderer by default (ClientAuthRequired: false).
    return { key: read('server.key'), cert: read('server.crt') };
}

/** The channel's config in force, with the MSPs, policies and update validator built from it. */
interface ChannelState {
    details: ChannelConfigDetails;
    policies: PolicyManager;
    validator: ConfigValidator;
}

function stateOf(t: Topology, channelId: string, config: common.Config): ChannelState {
    let details: ChannelConfigDetails;
    let msps: MspManager;
    try {
        details = channelConfigOf(
            channelId,
            config,
            t.orgs.map((o) => o.mspId),
        );
        msps = new MspManager(details.msps);
    } catch (err) {
        // Fabric's bundle check of a proposed config (ChainSupport.ProposeConfigUpdate).
        throw new ConfigUpdateError(`config update is not compatible: ${(err as Error).message}`);
    }
    const policies = new PolicyManager(details.policies, msps);
    return { details, policies, validator: new ConfigValidator(channelId, config, policies) };
}

function channelState(t: Topology, configBlock: common.Block): ChannelState {
    const { channelId, config } = configFromBlock(configBlock);
    return stateOf(t, channelId, config);
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const t = loadTopology(args.topology);
    logger = createLogger({ node: paths.ordererName(t) });
    process.on('warning', (w) => log('warn', 'node_warning', { message: w.message }));

    const node = primaryOrderer(t);
    // The node is identified by its operating org's own MSP.
    const signer = loadSigningIdentity(path.join(paths.ordererDir(t, node), 'msp'), node.operatedBy);
    const store = await openLedger(t);
    const tip = (await store.getBlock(store.height - 1))!;
    // The config in force is the last config block's (block 0 until a channel update).
    let current = channelState(t, (await store.getBlock(tip.getHeader()!.getNumber() === 0 ? 0 : lastConfigIndex(tip)))!);
    const config = current.details;
    const writer = new BlockWriter(store, signer, tip);

    let stopping = false;
    let fatal: Error | undefined;
    const chain = new Chain(writer, config.batch, {
        blockWritten: (block, bytes) =>
            log('info', 'block_written', {
                channel: t.channel,
                number: block.getHeader()!.getNumber(),
                txs: block.getData()!.getDataList().length,
                bytes,
            }),
        fatal: (err) => {
            fatal = err;
            log('error', 'block_write_failed', { channel: t.channel, reason: err.message });
            // As Fabric's orderer panics: a chain that cannot persist must not keep answering.
            setImmediate(() => void shutdown('fatal', 1));
        },
    });

    const server = newNodeServer();
    const broadcastSupport = {
        channelId: config.channelId,
        absoluteMaxBytes: config.batch.absoluteMaxBytes,
        checkWriters: (signed: Parameters<PolicyManager['evaluate']>[1]) => current.policies.evaluate('/Channel/Writers', signed),
        processConfigUpdate: (envelope: common.Envelope) => {
            const proposed = current.validator.proposeConfigUpdate(envelope);
            const next = stateOf(t, config.channelId, proposed.getConfig()!);
            const signed = createSignedEnvelope(common.HeaderType.CONFIG, config.channelId, signer, proposed.serializeBinary());
            // In force at once: whatever is validated after this is checked against the new config.
            current = next;
            log('info', 'config_update_accepted', {
                channel: config.channelId,
                sequence: next.validator.sequence,
                orgs: next.details.applicationOrgs,
                txId: parseEnvelope(envelope.serializeBinary()).channelHeader.getTxId(),
            });
            return signed;
        },
        chain,
        log: (event: string, fields: Record<string, unknown>) => log('warn', event, { channel: config.channelId, ...fields }),
    };
    server.addService(orderer.AtomicBroadcastService, {
        broadcast: (call: grpc.ServerDuplexStream<common.Envelope, orderer.BroadcastResponse>) => handleBroadcast(call, broadcastSupport),
        deliver: (call: grpc.ServerDuplexStream<common.Envelope, orderer.DeliverResponse>) =>
            serveDeliver(
                call,
                {
                    channelId: config.channelId,
                    blocks: store,
                    configSequence: () => current.validator.sequence,
                    authorize: (seek) => {
                        const result = current.policies.evaluate('/Channel/Readers', [envelopeSignedData(seek)]);
                        if (!result.ok)
                            throw new Error(
                                `implicit policy evaluation failed for /Channel/Readers: ${result.reason ?? 'no signer satisfies it'}`,
                            );
                    },
                },
                {
                    block: (block) => {
                        const r = new orderer.DeliverResponse();
                        r.setBlock(block);
                        return r;
                    },
                    status: (status) => {
                        const r = new orderer.DeliverResponse();
                        r.setStatus(status as common.StatusMap[keyof common.StatusMap]);
                        return r;
                    },
                },
                { log: (event, fields) => log(event.endsWith('refused') ? 'warn' : 'info', event, fields) },
            ),
    });
    const metrics = createNodeMetrics();
    const listener = await listenNodeServer(server, {
        host: node.host,
        port: node.port,
        tls: serverTls(t),
        logger,
        metrics: metrics.grpc,
    }).catch((err: Error) => {
        throw new Error(`PORT_IN_USE: orderer ${node.host}:${node.port}: ${err.message}`);
    });
    const operations = new OperationsServer({
        host: node.host,
        port: node.operationsPort,
        logger,
        metrics: metrics.registry,
        info: () => ({ height: store.height }),
        ledger: async () => ({ height: store.height }),
        checks: {
            orderer: () => {
                if (stopping) throw new Error('shutting down');
            },
            ledger: () => {
                if (fatal) throw fatal;
            },
        },
    });
    await operations.listen().catch((err: Error) => {
        throw new Error(`PORT_IN_USE: operations ${node.host}:${node.operationsPort}: ${err.message}`);
    });
    log('info', 'orderer_started', {
        channel: config.channelId,
        address: `${node.host}:${node.port}`,
        operations: `${node.host}:${node.operationsPort}`,
        height: store.height,
        batch: config.batch,
    });

    const shutdown = async (reason: string, code = 0): Promise<void> => {
        if (stopping) return;
        stopping = true;
        log('info', 'orderer_stopping', { reason });
        listener.close();
        await chain.halt().catch((err: Error) => log('error', 'flush_failed', { reason: err.message }));
        // Let the Broadcast answers of the flushed batch reach their streams, then end every call:
        // Deliver streams of the peers would otherwise keep the server open forever.
        await new Promise((r) => setTimeout(r, 100));
        server.forceShutdown();
        listener.destroy();
        await store.close().catch((err: Error) => log('error', 'store_close_failed', { reason: err.message }));
        await operations.close();
        log('info', 'orderer_stopped', { height: store.height });
        process.exit(code);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
}

process.on('uncaughtException', (err) => {
    log('error', 'uncaught_exception', { reason: err.message, stack: err.stack });
    process.exit(1);
});

main().catch((err: Error) => {
    log('error', 'orderer_failed', { reason: err.message });
    process.exit(1);
});
