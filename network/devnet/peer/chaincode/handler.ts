// The peer's side of the shim protocol over one chaincode stream (Fabric's
// core/chaincode/handler.go): the REGISTER / REGISTERED / READY handshake, then many concurrent
// transactions multiplexed by channel + tx id, each serving the shim's state requests from its
// TxSimulator until the chaincode answers COMPLETED or ERROR.
import { randomUUID } from 'node:crypto';
import type { ShimStream } from './stream';
import { ledger as ledgerpb, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import type { CollectionConfig } from '../../../client/topology';
import { IMPLICIT_PREFIX } from '../privdata/collections';
import { TOTAL_QUERY_LIMIT } from '../ledger/txsimulator';
import type { KV, TxSimulator } from '../ledger/types';

const MsgType = peer.ChaincodeMessage.Type;
type MsgTypeValue = peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap];

/** Type names by number, for error messages worded as Fabric's ("GET_STATE failed: ..."). */
const TYPE_NAMES = new Map<number, string>(Object.entries(MsgType).map(([name, value]) => [value as number, name]));
export const typeName = (type: number): string => TYPE_NAMES.get(type) ?? String(type);

/** Fabric's QueryResponseGenerator.MaxResultLimit: results per QueryResponse of an unpaginated query. */
export const MAX_RESULT_LIMIT = 100;

/** Fabric's messages (core/chaincode/handler.go). */
export const ERROR_EXECUTION_TIMEOUT = 'timeout expired while executing transaction';
export const ERROR_STREAM_TERMINATED = 'chaincode stream terminated';
/** What Fabric's LevelDB state database answers a rich query (statedb/stateleveldb). */
export const RICH_QUERY_UNSUPPORTED = 'ExecuteQuery not supported for leveldb';
export const INVOKE_CHAINCODE_UNSUPPORTED = 'chaincode-to-chaincode invocation (INVOKE_CHAINCODE) is not supported here';
export const CROSS_CHANNEL_UNSUPPORTED = 'chaincode-to-chaincode invocation on another channel is not supported by the devnet';

/** What a transaction runs with: Fabric's TransactionParams plus the chaincode's collections. */
export interface TransactionParams {
    channelId: string;
    txId: string;
    /** The chaincode's namespace (its name). */
    namespace: string;
    signedProposal: peer.SignedProposal;
    simulator: TxSimulator;
    /** Collections of the chaincode definition; private data APIs refuse any other collection. */
    collections: CollectionConfig[];
    /** Whether the proposal's creator is a member of the collection (its member orgs policy). */
    isCollectionMember(collection: CollectionConfig): boolean;
    /**
     * Runs another chaincode inside this transaction (INVOKE_CHAINCODE): same tx id, proposal and
     * simulator, the callee's namespace. Absent: chaincode-to-chaincode calls are refused.
     */
    invokeChaincode?(name: string, input: peer.ChaincodeInput): Promise<ExecutionResult>;
}

export interface ExecutionResult {
    response: peer.Response;
    /** The chaincode event, with chaincode id and tx id filled as Fabric does. */
    event?: peer.ChaincodeEvent;
    /** Collections read with GetPrivateData* (Fabric's PrivateReads, for ChaincodeInterest). */
    privateReads: Set<string>;
}

/** An error of a transaction's execution (not a chaincode error response). */
export class ChaincodeExecutionError extends Error {
    constructor(
        readonly code: 'EXECUTION_TIMEOUT' | 'STREAM_TERMINATED' | 'TRANSACTION_FAILED' | 'TXID_IN_USE' | 'NOT_READY',
        message: string,
    ) {
        super(message);
    }
}

interface QueryIterator {
    items: peer.QueryResultBytes[];
    position: number;
}

interface TransactionContext {
    params: TransactionParams;
    iterators: Map<string, QueryIterator>;
    privateReads: Set<string>;
    settle(msg: peer.ChaincodeMessage | Error): void;
}

/** A refusal of one shim request; answered with an ERROR message carrying this text. */
class RequestError extends Error {}

export type HandlerState = 'created' | 'established' | 'ready' | 'closed';

export interface HandlerOptions {
    /** Accepts or refuses the ChaincodeID name the chaincode registers with (throws to refuse). */
    checkRegistration(chaincodeIdName: string): void;
    onReady(): void;
    onClosed(reason: string): void;
    log?(message: string): void;
}

const contextKey = (channelId: string, txId: string) => `${channelId}\u0000${txId}`;

export class Handler {
    #state: HandlerState = 'created';
    #chaincodeId = '';
    readonly #contexts = new Map<string, TransactionContext>();

    constructor(
        private readonly stream: ShimStream,
        private readonly options: HandlerOptions,
    ) {
        stream.on('data', (msg: peer.ChaincodeMessage) => this.#onMessage(msg));
        stream.on('error', (err: Error) => this.#close(`stream error: ${err.message}`));
        stream.on('end', () => this.#close('stream ended'));
        stream.on('close', () => this.#close('stream closed'));
    }

    get state(): HandlerState {
        return this.#state;
    }

    /** The ChaincodeID name the chaincode registered with. */
    get chaincodeId(): string {
        return this.#chaincodeId;
    }

    get activeTransactions(): number {
        return this.#contexts.size;
    }

    /** Sends TRANSACTION and serves the shim until COMPLETED or ERROR, or the timeout. */
    execute(params: TransactionParams, input: peer.ChaincodeInput, timeoutMs: number): Promise<ExecutionResult> {
        if (this.#state !== 'ready') {
            return Promise.reject(new ChaincodeExecutionError('NOT_READY', `chaincode ${params.namespace} is not ready`));
        }
        const key = contextKey(params.channelId, params.txId);
        if (this.#contexts.has(key)) {
            return Promise.reject(new ChaincodeExecutionError('TXID_IN_USE', `txid: ${params.txId}(${params.channelId}) exists`));
        }
        return new Promise<ExecutionResult>((resolve, reject) => {
            const context: TransactionContext = {
                params,
                iterators: new Map(),
                privateReads: new Set(),
                settle: (outcome) => {
                    if (this.#contexts.get(key) !== context) return;
                    this.#contexts.delete(key);
                    clearTimeout(timer);
                    context.iterators.clear();
                    if (outcome instanceof Error) return reject(outcome);
                    if (outcome.getType() === MsgType.ERROR) {
                        return reject(
                            new ChaincodeExecutionError(
                                'TRANSACTION_FAILED',
                                `transaction returned with failure: ${Buffer.from(outcome.getPayload_asU8()).toString('utf8')}`,
                            ),
                        );
                    }
                    let response: peer.Response;
                    try {
                        response = peer.Response.deserializeBinary(outcome.getPayload_asU8());
                    } catch (err) {
                        return reject(
                            new ChaincodeExecutionError('TRANSACTION_FAILED', `failed to unmarshal response: ${(err as Error).message}`),
                        );
                    }
                    const event = outcome.getChaincodeEvent();
                    if (event) {
                        event.setChaincodeId(params.namespace);
                        event.setTxId(params.txId);
                    }
                    resolve({ response, event, privateReads: context.privateReads });
                },
            };
            const timer = setTimeout(
                () => context.settle(new ChaincodeExecutionError('EXECUTION_TIMEOUT', ERROR_EXECUTION_TIMEOUT)),
                timeoutMs,
            );
            this.#contexts.set(key, context);
            const msg = new peer.ChaincodeMessage();
            msg.setType(MsgType.TRANSACTION);
            msg.setPayload(input.serializeBinary());
            msg.setTxid(params.txId);
            msg.setChannelId(params.channelId);
            msg.setProposal(params.signedProposal);
            msg.setTimestamp(Timestamp.fromDate(new Date()));
            this.#send(msg);
        });
    }

    /** Ends the stream; pending transactions fail with "chaincode stream terminated". */
    close(): void {
        this.#close('closed by the peer');
        this.stream.end();
        this.stream.cancel();
    }

    #close(reason: string): void {
        if (this.#state === 'closed') return;
        this.#state = 'closed';
        for (const context of [...this.#contexts.values()]) {
            context.settle(new ChaincodeExecutionError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED));
        }
        this.options.onClosed(reason);
    }

    #send(msg: peer.ChaincodeMessage): void {
        if (this.#state === 'closed') return;
        try {
            this.stream.write(msg);
        } catch (err) {
            this.#close(`send failed: ${(err as Error).message}`);
        }
    }

    #reply(request: peer.ChaincodeMessage, type: MsgTypeValue, payload?: Uint8Array): void {
        const msg = new peer.ChaincodeMessage();
        msg.setType(type);
        if (payload) msg.setPayload(payload);
        msg.setTxid(request.getTxid());
        msg.setChannelId(request.getChannelId());
        this.#send(msg);
    }

    #onMessage(msg: peer.ChaincodeMessage): void {
        const type = msg.getType();
        switch (this.#state) {
            case 'created':
                if (type !== MsgType.REGISTER) {
                    const text = `[${msg.getTxid()}] Fabric side handler cannot handle message (${typeName(type)}) while in created state`;
                    this.options.log?.(text);
                    return;
                }
                this.#register(msg);
                return;
            case 'ready':
                this.#onReadyMessage(msg);
                return;
            default:
                this.options.log?.(`ignoring ${typeName(type)} in state ${this.#state}`);
        }
    }

    #register(msg: peer.ChaincodeMessage): void {
        let name: string;
        try {
            name = peer.ChaincodeID.deserializeBinary(msg.getPayload_asU8()).getName();
            if (!name) throw new Error('error in handling register chaincode, chaincodeID name is empty');
            this.options.checkRegistration(name);
        } catch (err) {
            this.options.log?.(`REGISTER refused: ${(err as Error).message}`);
            const refusal = new peer.ChaincodeMessage();
            refusal.setType(MsgType.ERROR);
            refusal.setPayload(Buffer.from((err as Error).message));
            this.#send(refusal);
            this.close();
            return;
        }
        this.#chaincodeId = name;
        const registered = new peer.ChaincodeMessage();
        registered.setType(MsgType.REGISTERED);
        this.#send(registered);
        this.#state = 'established';
        // The shim 2.5 does not use write batches or multiple-key gets; say so explicitly.
        const ready = new peer.ChaincodeMessage();
        ready.setType(MsgType.READY);
        ready.setPayload(new peer.ChaincodeAdditionalParams().serializeBinary());
        this.#send(ready);
        this.#state = 'ready';
        this.options.onReady();
    }

    #onReadyMessage(msg: peer.ChaincodeMessage): void {
        const type = msg.getType();
        if (type === MsgType.COMPLETED || type === MsgType.ERROR) {
            this.#contexts.get(contextKey(msg.getChannelId(), msg.getTxid()))?.settle(msg);
            return;
        }
        if (type === MsgType.KEEPALIVE) return;
        const context = this.#contexts.get(contextKey(msg.getChannelId(), msg.getTxid()));
        void this.#serve(msg, context).then(
            (payload) => this.#reply(msg, MsgType.RESPONSE, payload),
            (err: Error) => {
                const text = `${typeName(type)} failed: transaction ID: ${msg.getTxid()}: ${err.message}`;
                this.options.log?.(text);
                this.#reply(msg, MsgType.ERROR, Buffer.from(text));
            },
        );
    }

    /** Serves one shim request; returns the RESPONSE payload or throws the refusal. */
    async #serve(msg: peer.ChaincodeMessage, context: TransactionContext | undefined): Promise<Uint8Array | undefined> {
        const type = msg.getType();
        if (!context) throw new RequestError(type === MsgType.INVOKE_CHAINCODE ? 'could not get valid transaction' : 'no ledger context');
        const { params } = context;
        const ns = params.namespace;
        const sim = params.simulator;
        const payload = msg.getPayload_asU8();
        switch (type) {
            case MsgType.GET_STATE: {
                const req = decode(peer.GetState, payload);
                const collection = req.getCollection();
                if (collection) {
                    this.#checkRead(context, collection);
                    context.privateReads.add(collection);
                    return await sim.getPrivateData(ns, collection, req.getKey());
                }
                return await sim.getState(ns, req.getKey());
            }
            case MsgType.PUT_STATE: {
                const req = decode(peer.PutState, payload);
                const collection = req.getCollection();
                if (collection) {
                    this.#checkWrite(context, collection);
                    sim.putPrivateData(ns, collection, req.getKey(), req.getValue_asU8());
                } else {
                    sim.putState(ns, req.getKey(), req.getValue_asU8());
                }
                return undefined;
            }
            case MsgType.DEL_STATE: {
                const req = decode(peer.DelState, payload);
                const collection = req.getCollection();
                if (collection) {
                    this.#checkWrite(context, collection);
                    sim.deletePrivateData(ns, collection, req.getKey());
                } else {
                    sim.deleteState(ns, req.getKey());
                }
                return undefined;
            }
            case MsgType.PURGE_PRIVATE_DATA: {
                const req = decode(peer.PurgePrivateState, payload);
                const collection = req.getCollection();
                if (!collection) throw new RequestError('only applicable for private data');
                this.#checkWrite(context, collection);
                sim.purgePrivateData(ns, collection, req.getKey());
                return undefined;
            }
            case MsgType.GET_PRIVATE_DATA_HASH: {
                // As Fabric: no read permission check, a hash reveals nothing to non-members.
                const req = decode(peer.GetState, payload);
                this.#collection(context, req.getCollection());
                return await sim.getPrivateDataHash(ns, req.getCollection(), req.getKey());
            }
            case MsgType.GET_STATE_METADATA: {
                const req = decode(peer.GetStateMetadata, payload);
                if (req.getCollection()) {
                    this.#checkRead(context, req.getCollection());
                    throw new RequestError('metadata of private data is not supported by the devnet');
                }
                const metadata = (await sim.getStateMetadata(ns, req.getKey())) ?? {};
                const result = new peer.StateMetadataResult();
                for (const metakey of Object.keys(metadata).sort()) {
                    const entry = new peer.StateMetadata();
                    entry.setMetakey(metakey);
                    entry.setValue(metadata[metakey]);
                    result.addEntries(entry);
                }
                return result.serializeBinary();
            }
            case MsgType.PUT_STATE_METADATA: {
                const req = decode(peer.PutStateMetadata, payload);
                const entry = req.getMetadata();
                if (!entry) throw new RequestError('metadata is missing');
                if (req.getCollection()) {
                    this.#checkWrite(context, req.getCollection());
                    throw new RequestError('metadata of private data is not supported by the devnet');
                }
                sim.setStateMetadata(ns, req.getKey(), { [entry.getMetakey()]: entry.getValue_asU8() });
                return undefined;
            }
            case MsgType.GET_STATE_BY_RANGE:
                return await this.#range(context, decode(peer.GetStateByRange, payload));
            case MsgType.QUERY_STATE_NEXT: {
                const req = decode(peer.QueryStateNext, payload);
                const iterator = context.iterators.get(req.getId());
                if (!iterator) throw new RequestError('query iterator not found');
                return nextBatch(context, req.getId(), iterator).serializeBinary();
            }
            case MsgType.QUERY_STATE_CLOSE: {
                const req = decode(peer.QueryStateClose, payload);
                context.iterators.delete(req.getId());
                const res = new peer.QueryResponse();
                res.setHasMore(false);
                res.setId(req.getId());
                return res.serializeBinary();
            }
            case MsgType.GET_HISTORY_FOR_KEY: {
                const req = decode(peer.GetHistoryForKey, payload);
                const history = await sim.getHistoryForKey(ns, req.getKey());
                const items = history.slice(0, TOTAL_QUERY_LIMIT).map((entry) => {
                    const mod = new ledgerpb.queryresult.KeyModification();
                    mod.setTxId(entry.txId);
                    mod.setValue(entry.value);
                    mod.setIsDelete(entry.isDelete);
                    const ts = new Timestamp();
                    ts.setSeconds(entry.timestamp.seconds);
                    ts.setNanos(entry.timestamp.nanos);
                    mod.setTimestamp(ts);
                    return resultBytes(mod.serializeBinary());
                });
                return startIterator(context, items).serializeBinary();
            }
            case MsgType.GET_QUERY_RESULT:
                throw new RequestError(RICH_QUERY_UNSUPPORTED);
            case MsgType.INVOKE_CHAINCODE:
                return await this.#invokeChaincode(context, decode(peer.ChaincodeSpec, payload), msg);
            default:
                throw new RequestError(`Fabric side handler cannot handle message (${typeName(type)}) while in ready state`);
        }
    }

    /** Fabric's HandleInvokeChaincode: the callee's COMPLETED message, marshalled into a RESPONSE. */
    async #invokeChaincode(context: TransactionContext, spec: peer.ChaincodeSpec, msg: peer.ChaincodeMessage): Promise<Uint8Array> {
        const { params } = context;
        if (!params.invokeChaincode) throw new RequestError(INVOKE_CHAINCODE_UNSUPPORTED);
        // "name[:version][/channel]", as Fabric's ParseName reads it; the version is ignored, as Fabric does.
        const target = spec.getChaincodeId()?.getName() ?? '';
        const [nameAndVersion, channel] = target.split('/', 2);
        const name = nameAndVersion.split(':', 1)[0];
        if (!name) throw new RequestError('chaincode name is empty');
        if (channel && channel !== params.channelId) throw new RequestError(CROSS_CHANNEL_UNSUPPORTED);
        const input = spec.getInput() ?? new peer.ChaincodeInput();
        let result: ExecutionResult;
        try {
            result = await params.invokeChaincode(name, input);
        } catch (err) {
            throw new RequestError(`execute failed: ${(err as Error).message}`);
        }
        const completed = new peer.ChaincodeMessage();
        completed.setType(MsgType.COMPLETED);
        completed.setPayload(result.response.serializeBinary());
        completed.setTxid(msg.getTxid());
        completed.setChannelId(msg.getChannelId());
        return completed.serializeBinary();
    }

    async #range(context: TransactionContext, req: peer.GetStateByRange): Promise<Uint8Array> {
        const { params } = context;
        const metadataBytes = req.getMetadata_asU8();
        const metadata = metadataBytes.length > 0 ? decode(peer.QueryMetadata, metadataBytes) : undefined;
        const collection = req.getCollection();
        const toItems = (results: KV[]) =>
            results.map((kv) => {
                const entry = new ledgerpb.queryresult.KV();
                entry.setNamespace(params.namespace);
                entry.setKey(kv.key);
                entry.setValue(kv.value);
                return resultBytes(entry.serializeBinary());
            });
        if (collection) {
            // As Fabric: private ranges are never paginated.
            this.#checkRead(context, collection);
            context.privateReads.add(collection);
            const page = await params.simulator.getPrivateDataRange(params.namespace, collection, req.getStartkey(), req.getEndkey());
            return startIterator(context, toItems(page.results.slice(0, TOTAL_QUERY_LIMIT))).serializeBinary();
        }
        if (metadata && (metadata.getPagesize() !== 0 || metadata.getBookmark() !== '')) {
            // As Fabric's LevelDB scanner: a page size of 0 or less sets no limit but totalQueryLimit.
            const pageSize = metadata.getPagesize() > 0 ? Math.min(metadata.getPagesize(), TOTAL_QUERY_LIMIT) : TOTAL_QUERY_LIMIT;
            const page = await params.simulator.getStateRange(
                params.namespace,
                req.getStartkey(),
                req.getEndkey(),
                pageSize,
                metadata.getBookmark(),
            );
            const response = new peer.QueryResponse();
            response.setResultsList(toItems(page.results));
            response.setHasMore(false);
            response.setId(randomUUID());
            const meta = new peer.QueryResponseMetadata();
            meta.setFetchedRecordsCount(page.fetchedRecordsCount);
            meta.setBookmark(page.bookmark);
            response.setMetadata(meta.serializeBinary());
            return response.serializeBinary();
        }
        const page = await params.simulator.getStateRange(params.namespace, req.getStartkey(), req.getEndkey(), 0, '');
        return startIterator(context, toItems(page.results)).serializeBinary();
    }

    #collection(context: TransactionContext, name: string): CollectionConfig {
        const { params } = context;
        const found = params.collections.find((c) => c.name === name);
        if (found) return found;
        // Fabric generates an implicit collection for any MSP id, then its ledger finds no such
        // collection of the namespace when the org is not in the channel.
        if (name.startsWith(IMPLICIT_PREFIX))
            throw new RequestError(`collection [${name}] not defined in the collection config for chaincode [${params.namespace}]`);
        throw new RequestError(`collection ${params.channelId}/${params.namespace}/${name} could not be found`);
    }

    /** Fabric's RetrieveReadWritePermission: members may always read; others unless memberOnlyRead. */
    #checkRead(context: TransactionContext, name: string): void {
        const collection = this.#collection(context, name);
        if (collection.memberOnlyRead && !context.params.isCollectionMember(collection)) {
            throw new RequestError(
                `tx creator does not have read access permission on privatedata in chaincodeName:${context.params.namespace} collectionName: ${name}`,
            );
        }
    }

    #checkWrite(context: TransactionContext, name: string): void {
        const collection = this.#collection(context, name);
        if (collection.memberOnlyWrite && !context.params.isCollectionMember(collection)) {
            throw new RequestError(
                `tx creator does not have write access permission on privatedata in chaincodeName:${context.params.namespace} collectionName: ${name}`,
            );
        }
    }
}

interface Decodable<T> {
    deserializeBinary(bytes: Uint8Array): T;
}

function decode<T>(type: Decodable<T>, bytes: Uint8Array): T {
    try {
        return type.deserializeBinary(bytes);
    } catch (err) {
        throw new RequestError(`unmarshal failed: ${(err as Error).message}`);
    }
}

function resultBytes(bytes: Uint8Array): peer.QueryResultBytes {
    const result = new peer.QueryResultBytes();
    result.setResultbytes(bytes);
    return result;
}

/** First QueryResponse of an iterator; keeps the iterator only when more batches remain. */
function startIterator(context: TransactionContext, items: peer.QueryResultBytes[]): peer.QueryResponse {
    const id = randomUUID();
    const iterator: QueryIterator = { items, position: 0 };
    context.iterators.set(id, iterator);
    return nextBatch(context, id, iterator);
}

function nextBatch(context: TransactionContext, id: string, iterator: QueryIterator): peer.QueryResponse {
    const batch = iterator.items.slice(iterator.position, iterator.position + MAX_RESULT_LIMIT);
    iterator.position += batch.length;
    const hasMore = iterator.position < iterator.items.length;
    if (!hasMore) context.iterators.delete(id);
    const response = new peer.QueryResponse();
    response.setResultsList(batch);
    response.setHasMore(hasMore);
    response.setId(id);
    return response;
}
