// The one typed wrapper around @hyperledger/fabric-gateway: one shared gRPC client per process,
// one Gateway connection per app identity (opened on first use), a deadline on every call, and the
// retry policy of gateway/errors.ts applied at each phase (endorse, submit, commit).
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import {
    CommitError,
    connect,
    type Checkpointer,
    type Contract,
    type Gateway,
    type Network,
    type Transaction,
} from '@hyperledger/fabric-gateway';
import { paths } from '../../network/client/topology';
import type { GatewayConfig } from '../config';
import type { Logger } from '../../network/client/logger';
import type { FabricPhase, Metrics } from '../metrics';
import { loadAppIdentity } from './identities';
import { blockNumberOf, parseBlock, parseChainInfo, parseChannelOrgs, parseOrgRevocations, parseProcessedTransaction } from './proof';
import { ChannelPeers } from './peers';
import { submitPrepared, submitWithRetry, type RetryHooks, type TransactionLike } from './retry';
import type {
    BlockView,
    ChainInfo,
    EvaluateRequest,
    EventStream,
    FabricLayer,
    PreparedTransaction,
    SubmitHooks,
    SubmitRequest,
    SubmitResult,
    TransactionProof,
} from './types';

interface Connection {
    gateway: Gateway;
    network: Network;
    contract: Contract;
    /** The identity's certificate file as loaded (inode and mtime), and when it was last looked at. */
    certFile: string;
    loaded: string;
    serial: string;
    checkedAt: number;
}

/** How often a connection looks whether network:renew replaced its identity's certificate. */
const RENEWAL_CHECK_MS = 5_000;
/** A loaded identity this close to its end is logged at warn (network:renew renews it). */
const EXPIRY_WARNING_MS = 30 * 86_400_000;

function fileVersion(file: string): string {
    try {
        const st = fs.statSync(file);
        return `${st.ino}:${st.mtimeMs}`;
    } catch {
        return 'missing';
    }
}

/** Identity used for calls that are not an app's own (readiness, ledger lookups for resumes). */
export const SERVICE_IDENTITY = 'User1';

export class FabricGatewayLayer implements FabricLayer {
    readonly #cfg: GatewayConfig;
    readonly #client: grpc.Client;
    readonly #connections = new Map<string, Connection>();
    readonly #metrics?: Metrics;
    readonly #log?: Logger;
    #channelPeers: ChannelPeers | undefined;
    #closed = false;

    constructor(cfg: GatewayConfig, deps: { metrics?: Metrics; log?: Logger } = {}) {
        this.#cfg = cfg;
        this.#metrics = deps.metrics;
        this.#log = deps.log;
        const tlsRoot = fs.readFileSync(cfg.tlsRootCertPath);
        // One HTTP/2 connection per process, shared by every identity's Gateway: fabric-gateway's recommended shape.
        this.#client = new grpc.Client(cfg.peerEndpoint, grpc.credentials.createSsl(tlsRoot), {
            'grpc.ssl_target_name_override': cfg.peerHostOverride ?? paths.peerName(cfg.topology, cfg.mspId),
            'grpc.max_receive_message_length': 100 * 1024 * 1024,
            'grpc.keepalive_time_ms': 120_000,
        });
    }

    #connection(identityName: string): Connection {
        if (this.#closed) throw new Error('GATEWAY_CLOSED: the Fabric layer is closed');
        let c = this.#connections.get(identityName);
        const now = Date.now();
        if (c && now - c.checkedAt > RENEWAL_CHECK_MS) {
            c.checkedAt = now;
            if (fileVersion(c.certFile) !== c.loaded) {
                // Renewed: new calls sign with the new key; calls in flight finish on the shared client.
                this.#log?.info('identity renewed: reloading it', { identity: identityName });
                c.gateway.close();
                this.#metrics?.certificateExpiry.remove({ holder: identityName, use: 'enrollment', serial: c.serial });
                this.#connections.delete(identityName);
                c = undefined;
            }
        }
        if (!c) {
            const app = loadAppIdentity(this.#cfg.topology, this.#cfg.mspId, identityName, this.#cfg.hsm);
            this.#metrics?.certificateExpiry.set(
                { holder: identityName, use: 'enrollment', serial: app.serial },
                app.notAfter.getTime() / 1000,
            );
            if (app.notAfter.getTime() - now < EXPIRY_WARNING_MS) {
                this.#log?.warn('identity certificate expires soon: run network:renew', {
                    identity: identityName,
                    notAfter: app.notAfter.toISOString(),
                });
            }
            const d = this.#cfg.deadlines;
            const gateway = connect({
                client: this.#client,
                identity: app.identity,
                signer: app.signer,
                hash: app.hash,
                evaluateOptions: () => ({ deadline: Date.now() + d.evaluate }),
                endorseOptions: () => ({ deadline: Date.now() + d.endorse }),
                submitOptions: () => ({ deadline: Date.now() + d.submit }),
                commitStatusOptions: () => ({ deadline: Date.now() + d.commitStatus }),
            });
            const network = gateway.getNetwork(this.#cfg.channel);
            c = {
                gateway,
                network,
                contract: network.getContract(this.#cfg.chaincode),
                certFile: app.certFile,
                loaded: fileVersion(app.certFile),
                serial: app.serial,
                checkedAt: now,
            };
            this.#connections.set(identityName, c);
        }
        return c;
    }

    async #timed<T>(phase: FabricPhase, work: () => Promise<T>): Promise<T> {
        const start = process.hrtime.bigint();
        let ok = false;
        try {
            const value = await work();
            ok = true;
            return value;
        } finally {
            this.#metrics?.observeFabric(phase, Number(process.hrtime.bigint() - start) / 1e9, ok);
        }
    }

    async evaluate(identity: string, req: EvaluateRequest): Promise<Uint8Array> {
        const { contract } = this.#connection(identity);
        return this.#timed('evaluate', () =>
            contract.evaluate(req.fn, { arguments: req.args, transientData: req.transient, endorsingOrganizations: req.targetOrgs }),
        );
    }

    #retryHooks(onPrepared?: SubmitHooks['onPrepared']): RetryHooks {
        return {
            timed: (phase, work) => this.#timed(phase, work),
            onPrepared,
            onRetry: (reason, transactionId) => {
                this.#metrics?.fabricRetries.inc({ reason });
                this.#log?.info('retrying', { reason, transactionId });
            },
        };
    }

    async submit(identity: string, req: SubmitRequest, hooks: SubmitHooks = {}): Promise<SubmitResult> {
        const { contract } = this.#connection(identity);
        // Each attempt is a fresh proposal (new transaction id): a conflict means it read stale state.
        const endorse = async () =>
            this.#answeredWhenEveryPeerCommitted(
                await contract
                    .newProposal(req.fn, { arguments: req.args, transientData: req.transient, endorsingOrganizations: req.endorsingOrgs })
                    .endorse(),
            );
        return submitWithRetry(endorse, this.#cfg.retry, this.#retryHooks(hooks.onPrepared));
    }

    /**
     * The transaction, whose successful commit status resolves only once the other orgs' peers
     * have committed it too (bounded: gateway/fabric/peers.ts), so that any org's gateway reads
     * the write as soon as it is answered.
     */
    #answeredWhenEveryPeerCommitted(tx: Transaction): TransactionLike {
        return {
            getTransactionId: () => tx.getTransactionId(),
            getBytes: () => tx.getBytes(),
            getResult: () => tx.getResult(),
            submit: async () => {
                const submitted = await tx.submit();
                return {
                    getResult: () => submitted.getResult(),
                    getStatus: async () => {
                        const status = await submitted.getStatus();
                        if (status.successful) await this.#peers().committedEverywhere(submitted.getBytes(), status.transactionId);
                        return status;
                    },
                };
            },
        };
    }

    #peers(): ChannelPeers {
        this.#channelPeers ??= new ChannelPeers(
            this.#cfg.commitScope,
            loadAppIdentity(this.#cfg.topology, this.#cfg.mspId, SERVICE_IDENTITY).identity,
            this.#log,
        );
        return this.#channelPeers;
    }

    async resume(identity: string, prepared: PreparedTransaction): Promise<SubmitResult> {
        const { gateway } = this.#connection(identity);
        const onLedger = await this.#lookup(prepared.transactionId);
        if (onLedger) {
            if (!onLedger.valid) {
                throw new CommitError({
                    code: Number(onLedger.code) as CommitError['code'],
                    transactionId: prepared.transactionId,
                    message: `transaction ${prepared.transactionId} committed as ${onLedger.code}`,
                });
            }
            return { transactionId: prepared.transactionId, blockNumber: onLedger.blockNumber, result: prepared.result };
        }
        return submitPrepared(
            this.#answeredWhenEveryPeerCommitted(gateway.newTransaction(prepared.bytes)),
            this.#cfg.retry,
            this.#retryHooks(),
        );
    }

    /** The transaction's validation code and block if the ledger has it, undefined otherwise. */
    async #lookup(transactionId: string): Promise<{ valid: boolean; code: number; blockNumber: bigint } | undefined> {
        try {
            const proof = await this.transactionProof(SERVICE_IDENTITY, transactionId);
            return { valid: proof.valid, code: proof.valid ? 0 : 255, blockNumber: BigInt(proof.blockNumber) };
        } catch {
            return undefined;
        }
    }

    async transactionProof(identity: string, transactionId: string): Promise<TransactionProof> {
        const { network } = this.#connection(identity);
        const qscc = network.getContract('qscc');
        const [txBytes, blockBytes] = await this.#timed('evaluate', () =>
            Promise.all([
                qscc.evaluateTransaction('GetTransactionByID', this.#cfg.channel, transactionId),
                qscc.evaluateTransaction('GetBlockByTxID', this.#cfg.channel, transactionId),
            ]),
        );
        return parseProcessedTransaction(txBytes, blockNumberOf(blockBytes), this.#cfg.channel);
    }

    async chainInfo(identity: string): Promise<ChainInfo> {
        const qscc = this.#connection(identity).network.getContract('qscc');
        return parseChainInfo(await this.#timed('evaluate', () => qscc.evaluateTransaction('GetChainInfo', this.#cfg.channel)));
    }

    async block(identity: string, blockNumber: bigint): Promise<BlockView> {
        const qscc = this.#connection(identity).network.getContract('qscc');
        const bytes = await this.#timed('evaluate', () =>
            qscc.evaluateTransaction('GetBlockByNumber', this.#cfg.channel, blockNumber.toString()),
        );
        return parseBlock(bytes);
    }

    async chaincodeEvents(identity: string, opts: { checkpoint?: Checkpointer; startBlock?: bigint }): Promise<EventStream> {
        const { network } = this.#connection(identity);
        const events = await network.getChaincodeEvents(this.#cfg.chaincode, { checkpoint: opts.checkpoint, startBlock: opts.startBlock });
        return {
            close: () => events.close(),
            [Symbol.asyncIterator]: async function* () {
                try {
                    for await (const e of events) {
                        yield { blockNumber: e.blockNumber, transactionId: e.transactionId, eventName: e.eventName, payload: e.payload };
                    }
                } finally {
                    events.close();
                }
            },
        };
    }

    async #channelConfig(identity: string): Promise<Uint8Array> {
        const cscc = this.#connection(identity).network.getContract('cscc');
        return this.#timed('evaluate', () => cscc.evaluateTransaction('GetChannelConfig', this.#cfg.channel));
    }

    async channelOrgs(identity: string): Promise<string[]> {
        return parseChannelOrgs(await this.#channelConfig(identity));
    }

    async orgRevocations(identity: string): Promise<{ caCertsPem: string[]; crlsPem: string[] }> {
        return parseOrgRevocations(await this.#channelConfig(identity), this.#cfg.mspId);
    }

    async ready(): Promise<boolean> {
        const ok = await new Promise<boolean>((resolve) =>
            this.#client.waitForReady(Date.now() + this.#cfg.deadlines.ready, (err) => resolve(!err)),
        );
        if (!ok) return false;
        try {
            // The peer answers a real call, not only the TCP/TLS handshake.
            const qscc = this.#connection(SERVICE_IDENTITY).network.getContract('qscc');
            await qscc.evaluate('GetChainInfo', { arguments: [this.#cfg.channel] });
            return true;
        } catch (err) {
            this.#log?.warn('readiness check failed', { error: (err as Error).message });
            return false;
        }
    }

    async close(): Promise<void> {
        if (this.#closed) return;
        this.#closed = true;
        for (const c of this.#connections.values()) c.gateway.close();
        this.#connections.clear();
        this.#channelPeers?.close();
        this.#client.close();
    }
}
