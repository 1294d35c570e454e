// How devnet peers hand private data to each other. Fabric's peers use gossip (signed
// GossipMessages over the peer's Gossip stream: PrivateDataMessage at endorsement,
// RemotePvtDataRequest/Response for reconciliation, alive messages for membership). The devnet's
// peers use a small gRPC service of their own on the peer's TLS port, carrying the same gossip
// protobufs: a deviation of transport, not of what is sent, to whom, or when.
//
//   /devnet.privdata.PrivateData/Push  gossip.Envelope{GossipMessage{private_data}} -> gossip.Acknowledgement
//   /devnet.privdata.PrivateData/Pull  gossip.Envelope{GossipMessage{private_req}}  -> gossip.RemotePvtDataResponse
//   /devnet.privdata.PrivateData/Ping  gossip.Empty -> gossip.Empty (the membership heartbeat)
//
// A request is signed by the sending peer: Envelope.payload is the GossipMessage,
// Envelope.secret_envelope.payload the sender's serialized identity, Envelope.signature its
// signature over payload ‖ identity. The receiver verifies it with the channel's MSPs and accepts
// only a peer (NodeOU peer) of an org of the channel.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { gossip } from '@hyperledger/fabric-protos';
import { address, findOrg, paths, Topology } from '../../../client/topology';
import { NODE_GRPC_OPTIONS } from '../../common/grpc';
import type { SigningIdentity } from '../../msp/identity';
import type { VerifiedIdentity } from '../../msp/msp';

const SERVICE = '/devnet.privdata.PrivateData';

function method<Req extends { serializeBinary(): Uint8Array }, Res extends { serializeBinary(): Uint8Array }>(
    name: string,
    req: { deserializeBinary(b: Uint8Array): Req },
    res: { deserializeBinary(b: Uint8Array): Res },
): grpc.MethodDefinition<Req, Res> {
    return {
        path: `${SERVICE}/${name}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: Req) => Buffer.from(m.serializeBinary()),
        requestDeserialize: (b: Buffer) => req.deserializeBinary(b),
        responseSerialize: (m: Res) => Buffer.from(m.serializeBinary()),
        responseDeserialize: (b: Buffer) => res.deserializeBinary(b),
    };
}

export const PRIVATE_DATA_SERVICE = {
    Push: method('Push', gossip.Envelope, gossip.Acknowledgement),
    Pull: method('Pull', gossip.Envelope, gossip.RemotePvtDataResponse),
    Ping: method('Ping', gossip.Empty, gossip.Empty),
} satisfies grpc.ServiceDefinition;

/** What a peer does with the requests of the others (network/devnet/peer/privdata/service.ts). */
export interface PrivateDataHandler {
    push(sender: VerifiedIdentity, payload: gossip.PrivatePayload): Promise<void>;
    pull(sender: VerifiedIdentity, request: gossip.RemotePvtDataRequest): Promise<gossip.RemotePvtDataResponse>;
}

export interface ServiceOptions {
    channelId: string;
    /** The channel's MSPs in force: verify(serialized, data, signature). */
    verify(identity: Uint8Array, data: Uint8Array, signature: Uint8Array): VerifiedIdentity;
    /** MSP ids of the channel's application orgs. */
    channelOrgs(): string[];
    log?(message: string, fields?: Record<string, unknown>): void;
}

/** A GossipMessage for the channel, signed by this peer (the framing above). */
export function signMessage(signer: SigningIdentity, channelId: string, message: gossip.GossipMessage): gossip.Envelope {
    message.setChannel(Buffer.from(channelId, 'utf8'));
    const payload = message.serializeBinary();
    const identity = signer.serialize();
    const envelope = new gossip.Envelope();
    envelope.setPayload(payload);
    const secret = new gossip.SecretEnvelope();
    secret.setPayload(identity);
    envelope.setSecretEnvelope(secret);
    envelope.setSignature(signer.sign(Buffer.concat([payload, identity])));
    return envelope;
}

/** Verifies a signed request and returns its GossipMessage and sender; throws with the reason. */
export function openMessage(
    envelope: gossip.Envelope,
    options: Pick<ServiceOptions, 'channelId' | 'verify' | 'channelOrgs'>,
): { message: gossip.GossipMessage; sender: VerifiedIdentity } {
    const identity = envelope.getSecretEnvelope()?.getPayload_asU8() ?? new Uint8Array(0);
    const payload = envelope.getPayload_asU8();
    const sender = options.verify(identity, Buffer.concat([payload, identity]), envelope.getSignature_asU8());
    if (sender.role !== 'peer' || !options.channelOrgs().includes(sender.mspId))
        throw new Error(`${sender.mspId} ${sender.role} is not a peer of channel ${options.channelId}`);
    const message = gossip.GossipMessage.deserializeBinary(payload);
    if (Buffer.from(message.getChannel_asU8()).toString('utf8') !== options.channelId)
        throw new Error(`message is for channel ${Buffer.from(message.getChannel_asU8()).toString('utf8')}, not ${options.channelId}`);
    return { message, sender };
}

export function addPrivateDataService(server: grpc.Server, handler: PrivateDataHandler, options: ServiceOptions): void {
    const refuse = (callback: (err: grpc.ServiceError) => void, err: Error) =>
        callback({
            code: grpc.status.PERMISSION_DENIED,
            details: err.message,
            message: err.message,
            name: 'PrivateDataError',
            metadata: new grpc.Metadata(),
        });
    server.addService(PRIVATE_DATA_SERVICE, {
        Push(call: grpc.ServerUnaryCall<gossip.Envelope, gossip.Acknowledgement>, callback: grpc.sendUnaryData<gossip.Acknowledgement>) {
            let opened: ReturnType<typeof openMessage>;
            try {
                opened = openMessage(call.request, options);
            } catch (err) {
                options.log?.('private data push refused', { reason: (err as Error).message });
                return refuse(callback, err as Error);
            }
            const payload = opened.message.getPrivateData()?.getPayload();
            const ack = new gossip.Acknowledgement();
            if (!payload) {
                ack.setError('no private data in the message');
                return callback(null, ack);
            }
            handler.push(opened.sender, payload).then(
                () => callback(null, ack),
                (err: Error) => {
                    ack.setError(err.message);
                    callback(null, ack);
                },
            );
        },
        Pull(
            call: grpc.ServerUnaryCall<gossip.Envelope, gossip.RemotePvtDataResponse>,
            callback: grpc.sendUnaryData<gossip.RemotePvtDataResponse>,
        ) {
            let opened: ReturnType<typeof openMessage>;
            try {
                opened = openMessage(call.request, options);
            } catch (err) {
                options.log?.('private data pull refused', { reason: (err as Error).message });
                return refuse(callback, err as Error);
            }
            const request = opened.message.getPrivatereq() ?? new gossip.RemotePvtDataRequest();
            handler.pull(opened.sender, request).then(
                (response) => callback(null, response),
                (err: Error) =>
                    callback({
                        code: grpc.status.INTERNAL,
                        details: err.message,
                        message: err.message,
                        name: 'PrivateDataError',
                        metadata: new grpc.Metadata(),
                    }),
            );
        },
        Ping(_call: grpc.ServerUnaryCall<gossip.Empty, gossip.Empty>, callback: grpc.sendUnaryData<gossip.Empty>) {
            callback(null, new gossip.Empty());
        },
    });
}

type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;
const ClientConstructor = grpc.makeGenericClientConstructor(PRIVATE_DATA_SERVICE, 'PrivateData') as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ClientOptions,
) => GenericClient;

/** Another peer's private data service, as this peer (its signer) calls it. */
export class PrivateDataClient {
    readonly #client: GenericClient;

    constructor(
        readonly mspId: string,
        readonly address: string,
        tlsRootCert: Buffer,
        serverName: string,
        private readonly signer: SigningIdentity,
        private readonly channelId: string,
    ) {
        this.#client = new ClientConstructor(address, grpc.credentials.createSsl(tlsRootCert), {
            'grpc.ssl_target_name_override': serverName,
            'grpc.default_authority': serverName,
            ...NODE_GRPC_OPTIONS,
            // A peer that went away is noticed by the next call, not by a long reconnect backoff.
            'grpc.initial_reconnect_backoff_ms': 250,
            'grpc.max_reconnect_backoff_ms': 1000,
        });
    }

    #signed(message: gossip.GossipMessage): gossip.Envelope {
        return signMessage(this.signer, this.channelId, message);
    }

    #call<Res>(name: 'Push' | 'Pull' | 'Ping', request: unknown, timeoutMs: number): Promise<Res> {
        return new Promise((resolve, reject) => {
            this.#client[name](
                request,
                new grpc.Metadata(),
                { deadline: Date.now() + timeoutMs },
                (err: grpc.ServiceError | null, res: Res) => (err ? reject(new Error(err.details || err.message)) : resolve(res)),
            );
        });
    }

    /** Sends one collection's private write set; resolves when the peer acknowledged it. */
    async push(payload: gossip.PrivatePayload, timeoutMs: number): Promise<void> {
        const data = new gossip.PrivateDataMessage();
        data.setPayload(payload);
        const message = new gossip.GossipMessage();
        message.setTag(gossip.GossipMessage.Tag.CHAN_ONLY);
        message.setPrivateData(data);
        const ack = await this.#call<gossip.Acknowledgement>('Push', this.#signed(message), timeoutMs);
        if (ack.getError()) throw new Error(ack.getError());
    }

    pull(request: gossip.RemotePvtDataRequest, timeoutMs: number): Promise<gossip.RemotePvtDataResponse> {
        const message = new gossip.GossipMessage();
        message.setTag(gossip.GossipMessage.Tag.CHAN_ONLY);
        message.setPrivatereq(request);
        return this.#call('Pull', this.#signed(message), timeoutMs);
    }

    ping(timeoutMs: number): Promise<void> {
        return this.#call<gossip.Empty>('Ping', new gossip.Empty(), timeoutMs).then(() => undefined);
    }

    close(): void {
        this.#client.close();
    }
}

/** One remote peer as the membership view knows it. */
export interface RemotePeer {
    readonly mspId: string;
    readonly client: PrivateDataClient;
    alive: boolean;
}

export interface MembershipOptions {
    /** Heartbeat period (Fabric's gossip alive messages: 5 s, expiry after 25 s). */
    intervalMs?: number;
    timeoutMs?: number;
    log?(message: string, fields?: Record<string, unknown>): void;
    /** Called when a peer becomes reachable (reconciliation may find it useful). */
    onAlive?(peer: RemotePeer): void;
}

/**
 * Which other peers of the channel are alive (what Fabric's gossip discovery knows): a ping every
 * second; a peer is alive from its first answer and dead from its first failure, to a ping or to
 * a push or pull. Dissemination only plans with peers it knows alive.
 */
export class Membership {
    readonly #peers = new Map<string, RemotePeer>();
    #timer?: NodeJS.Timeout;
    readonly #interval: number;
    readonly #timeout: number;

    constructor(
        peers: { mspId: string; client: PrivateDataClient }[],
        private readonly options: MembershipOptions = {},
    ) {
        for (const p of peers) this.#peers.set(p.mspId, { ...p, alive: false });
        this.#interval = options.intervalMs ?? 1000;
        this.#timeout = options.timeoutMs ?? 1000;
    }

    start(): void {
        const beat = () => {
            void Promise.all(
                [...this.#peers.values()].map((p) =>
                    p.client.ping(this.#timeout).then(
                        () => this.markAlive(p),
                        () => this.markDead(p),
                    ),
                ),
            ).finally(() => {
                if (this.#timer !== undefined) {
                    this.#timer = setTimeout(beat, this.#interval);
                    this.#timer.unref();
                }
            });
        };
        this.#timer = setTimeout(beat, 0);
        this.#timer.unref();
    }

    markAlive(p: RemotePeer): void {
        if (p.alive || this.#peers.get(p.mspId) !== p) return;
        p.alive = true;
        this.options.log?.('peer_alive', { mspId: p.mspId, address: p.client.address });
        this.options.onAlive?.(p);
    }

    markDead(p: RemotePeer): void {
        if (!p.alive) return;
        p.alive = false;
        this.options.log?.('peer_unreachable', { mspId: p.mspId, address: p.client.address });
    }

    /** The peers of the channel this peer knows alive. */
    alivePeers(): RemotePeer[] {
        return [...this.#peers.values()].filter((p) => p.alive);
    }

    /** Follows a channel config change: peers for the orgs that joined, none for those that left. */
    sync(channelOrgs: string[], localMspId: string, connect: (mspId: string) => PrivateDataClient | undefined): void {
        for (const [mspId, p] of this.#peers) {
            if (channelOrgs.includes(mspId)) continue;
            p.client.close();
            this.#peers.delete(mspId);
        }
        for (const mspId of channelOrgs) {
            if (mspId === localMspId || this.#peers.has(mspId)) continue;
            const client = connect(mspId);
            if (client) this.#peers.set(mspId, { mspId, client, alive: false });
        }
    }

    close(): void {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = undefined;
        for (const p of this.#peers.values()) p.client.close();
    }
}

/** The private data client of an org's peer as the topology places it (the topology is the devnet's discovery). */
export function privateDataClientOf(t: Topology, mspId: string, signer: SigningIdentity, channelId: string): PrivateDataClient {
    const o = findOrg(t, mspId);
    return new PrivateDataClient(
        o.mspId,
        address(o.peer),
        fs.readFileSync(paths.tlsRootCert(t, o.mspId)),
        paths.peerName(t, o.mspId),
        signer,
        channelId,
    );
}
