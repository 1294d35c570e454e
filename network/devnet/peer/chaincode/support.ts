// Chaincode support (Fabric's core/chaincode/chaincode_support.go) for
// chaincode run as a service: the peer dials each chaincode's server, keeps one shim stream per
// chaincode, reconnects with backoff when the server restarts, and executes transactions on it.
import { peer } from '@hyperledger/fabric-protos';
import { type CollectionConfig, type Topology, findOrg } from '../../../client/topology';
import { type CcaasBuilderConfig, type ChaincodeDial, ccaasBuilderConfig, ccaasConnection, dialOptions, fillTemplates } from './connection';
import type { TxSimulator } from '../ledger/types';
import { ChaincodeExecutionError, ExecutionResult, Handler, TransactionParams } from './handler';
import { openShimStream } from './stream';

export type { ExecutionResult, TransactionParams } from './handler';
export { ChaincodeExecutionError, ERROR_EXECUTION_TIMEOUT, ERROR_STREAM_TERMINATED, RICH_QUERY_UNSUPPORTED } from './handler';

/** One chaincode server this peer dials. */
export interface ChaincodeEndpoint {
    name: string;
    /** host:port of the chaincode server. */
    address: string;
    /** TLS towards the server (connection.json's tls_required); absent: plain gRPC. */
    tls?: ChaincodeDial['tls'];
    /** A package id the server may register with, besides "<name>" and "<name>:<anything>". */
    packageId?: string;
    /** connection.json's dial_timeout. */
    dialTimeoutMs?: number;
}

export interface ChaincodeSupportOptions {
    /** Fabric's chaincode.executetimeout (30 s). */
    executeTimeoutMs?: number;
    /** How long execute() waits for a chaincode that is (re)connecting before refusing. */
    connectWaitMs?: number;
    /** Reconnection backoff bounds. */
    minBackoffMs?: number;
    maxBackoffMs?: number;
    log?(message: string): void;
}

export interface ExecuteRequest {
    chaincodeName: string;
    txId: string;
    channelId: string;
    signedProposal: peer.SignedProposal;
    proposal: peer.Proposal;
    input: peer.ChaincodeInput;
    /** The proposal's transient map; the shim reads it from the signed proposal, kept for callers. */
    transient?: Map<string, Uint8Array>;
    simulator: TxSimulator;
    isEvaluate: boolean;
    /** Collections of the chaincode's definition (none: private data APIs refuse every collection). */
    collections?: CollectionConfig[];
    /** Whether the creator belongs to a collection (its member orgs policy); default: nobody. */
    isCollectionMember?(collection: CollectionConfig): boolean;
    /**
     * Collections of a chaincode this one may call (INVOKE_CHAINCODE), or undefined when that
     * chaincode is not defined. Absent: chaincode-to-chaincode calls are refused.
     */
    calleeCollections?(name: string): Promise<CollectionConfig[] | undefined>;
}

/** What the endorser needs from chaincode support (lets tests substitute it). */
export interface ChaincodeExecutor {
    execute(request: ExecuteRequest): Promise<ExecutionResult>;
}

/**
 * The endpoints of this org's chaincode servers: each chaincode's connection.json (the one in the
 * org's ccaas package on Fabric), its TLS templates filled from the peer's chaincode TLS folder.
 */
export function chaincodeEndpoints(t: Topology, mspId: string): ChaincodeEndpoint[] {
    const org = findOrg(t, mspId);
    let config: CcaasBuilderConfig | undefined;
    return t.chaincodes.map((cc) => {
        if (!Number.isInteger(cc.server.ports[mspId]))
            throw new Error(`CHAINCODE_NO_PORT: chaincode ${cc.name} has no server port for ${mspId}`);
        const connection = ccaasConnection(cc, org);
        if (connection.tls_required) config ??= ccaasBuilderConfig(t, mspId);
        const dial = dialOptions(connection.tls_required && config ? fillTemplates(connection, config) : connection);
        return { name: cc.name, address: dial.address, tls: dial.tls, dialTimeoutMs: dial.dialTimeoutMs };
    });
}

class Connection {
    handler?: Handler;
    backoffMs: number;
    timer?: NodeJS.Timeout;
    lastError = 'not connected yet';
    waiters: (() => void)[] = [];
    stopped = false;

    constructor(
        readonly endpoint: ChaincodeEndpoint,
        readonly options: Required<Omit<ChaincodeSupportOptions, 'log'>> & Pick<ChaincodeSupportOptions, 'log'>,
    ) {
        this.backoffMs = options.minBackoffMs;
    }

    get ready(): boolean {
        return this.handler?.state === 'ready';
    }

    start(): void {
        if (this.stopped) return;
        // No keepalive pings, as Fabric's chaincode.keepalive default (0): the server is local,
        // and pings a server does not permit would get the stream closed.
        const stream = openShimStream(this.endpoint);
        const { name, packageId } = this.endpoint;
        const handler = new Handler(stream, {
            checkRegistration: (id) => {
                if (id !== name && !id.startsWith(`${name}:`) && id !== packageId) {
                    throw new Error(`chaincode registered as '${id}', expected '${name}' or '${name}:<label>'`);
                }
            },
            onReady: () => {
                this.backoffMs = this.options.minBackoffMs;
                this.lastError = '';
                this.options.log?.(`chaincode ${name} at ${this.endpoint.address} registered as ${handler.chaincodeId}: ready`);
                for (const wake of this.waiters.splice(0)) wake();
            },
            onClosed: (reason) => {
                if (this.handler === handler) this.handler = undefined;
                this.lastError = reason;
                this.schedule();
            },
            log: this.options.log,
        });
        this.handler = handler;
    }

    schedule(): void {
        if (this.stopped || this.timer) return;
        const delay = this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.start();
        }, delay);
        this.timer.unref();
    }

    /** Resolves true once ready, false after waitMs. */
    waitReady(waitMs: number): Promise<boolean> {
        if (this.ready) return Promise.resolve(true);
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                this.waiters = this.waiters.filter((w) => w !== wake);
                resolve(false);
            }, waitMs);
            const wake = () => {
                clearTimeout(timer);
                resolve(true);
            };
            this.waiters.push(wake);
            // A restarted server should not wait out a long backoff when someone needs it now.
            if (this.timer) {
                clearTimeout(this.timer);
                this.timer = undefined;
                this.backoffMs = this.options.minBackoffMs;
                this.start();
            }
        });
    }

    stop(): void {
        this.stopped = true;
        if (this.timer) clearTimeout(this.timer);
        this.handler?.close();
        for (const wake of this.waiters.splice(0)) wake();
    }
}

export interface ChaincodeStatus {
    name: string;
    address: string;
    ready: boolean;
    /** Registered ChaincodeID name when ready. */
    chaincodeId?: string;
    lastError?: string;
}

export class ChaincodeSupport implements ChaincodeExecutor {
    readonly #connections = new Map<string, Connection>();
    readonly #options: Required<Omit<ChaincodeSupportOptions, 'log'>> & Pick<ChaincodeSupportOptions, 'log'>;

    constructor(endpoints: ChaincodeEndpoint[], options: ChaincodeSupportOptions = {}) {
        this.#options = {
            executeTimeoutMs: options.executeTimeoutMs ?? 30000,
            connectWaitMs: options.connectWaitMs ?? 5000,
            minBackoffMs: options.minBackoffMs ?? 200,
            maxBackoffMs: options.maxBackoffMs ?? 5000,
            log: options.log,
        };
        for (const endpoint of endpoints) this.#connections.set(endpoint.name, new Connection(endpoint, this.#options));
    }

    /** Dials every chaincode server; connection failures are retried in the background. */
    start(): void {
        for (const connection of this.#connections.values()) connection.start();
    }

    isReady(name: string): boolean {
        return this.#connections.get(name)?.ready ?? false;
    }

    /** Waits until every chaincode (or the named ones) is ready; false on timeout. */
    async waitReady(timeoutMs: number, names = [...this.#connections.keys()]): Promise<boolean> {
        const results = await Promise.all(names.map((n) => this.#connections.get(n)?.waitReady(timeoutMs) ?? Promise.resolve(false)));
        return results.every(Boolean);
    }

    /** For the operations service's health checks. */
    status(): ChaincodeStatus[] {
        return [...this.#connections.values()].map((c) => ({
            name: c.endpoint.name,
            address: c.endpoint.address,
            ready: c.ready,
            chaincodeId: c.ready ? c.handler?.chaincodeId : undefined,
            lastError: c.ready ? undefined : c.lastError,
        }));
    }

    async execute(request: ExecuteRequest): Promise<ExecutionResult> {
        const connection = this.#connections.get(request.chaincodeName);
        if (!connection) {
            throw new ChaincodeExecutionError('NOT_READY', `no chaincode server is configured for chaincode ${request.chaincodeName}`);
        }
        if (!(await connection.waitReady(this.#options.connectWaitMs)) || !connection.handler) {
            throw new ChaincodeExecutionError(
                'NOT_READY',
                `could not connect to chaincode ${request.chaincodeName} at ${connection.endpoint.address}: ${connection.lastError}`,
            );
        }
        const params: TransactionParams = {
            channelId: request.channelId,
            txId: request.txId,
            namespace: request.chaincodeName,
            signedProposal: request.signedProposal,
            simulator: request.simulator,
            collections: request.collections ?? [],
            isCollectionMember: request.isCollectionMember ?? (() => false),
        };
        const calleeCollections = request.calleeCollections;
        if (calleeCollections) {
            // As Fabric: the callee runs in the same transaction (tx id, proposal, simulator) and
            // its own namespace; its events are dropped, only the outermost chaincode's count.
            params.invokeChaincode = async (name, input) => {
                const collections = await calleeCollections(name);
                if (!collections) throw new Error(`chaincode ${name} not found`);
                return this.execute({ ...request, chaincodeName: name, input, collections });
            };
        }
        return connection.handler.execute(params, request.input, this.#options.executeTimeoutMs);
    }

    close(): void {
        for (const connection of this.#connections.values()) connection.stop();
    }
}
