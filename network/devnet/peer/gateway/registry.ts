// The gateway's registry: one endorser client per peer of the channel (the local endorser is
// called in-process, the others through their Endorser gRPC service over TLS, one connection each)
// and the orderer's Broadcast client. Peers that just failed are tried last for a while, as
// Fabric's registry drops a failed endorser until discovery offers it again.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { Topology, address, findOrg, paths, primaryOrderer } from '../../../client/topology';
import { NODE_GRPC_OPTIONS } from '../../common/grpc';

/** ProcessProposal's outcome, as Go's (response, err) pair: both may be set. */
export interface EndorserOutcome {
    response?: peer.ProposalResponse;
    error?: Error;
}

export interface EndorserClient {
    readonly mspId: string;
    readonly address: string;
    processProposal(sp: peer.SignedProposal, timeoutMs: number): Promise<EndorserOutcome>;
    close(): void;
}

/** The in-process endorser of this peer (network/devnet/peer/endorser.ts). */
export interface LocalEndorser {
    processProposal(sp: peer.SignedProposal): Promise<peer.ProposalResponse>;
}

function failedResponse(message: string): peer.ProposalResponse {
    const res = new peer.Response();
    res.setStatus(500);
    res.setMessage(message);
    const pr = new peer.ProposalResponse();
    pr.setResponse(res);
    return pr;
}

/**
 * Wraps the local endorser. An exception from it is about the proposal (unpacking, signature,
 * ACL), reported as Fabric's local endorser does: an error next to a 500 response.
 */
export function localEndorserClient(mspId: string, addr: string, endorser: LocalEndorser): EndorserClient {
    return {
        mspId,
        address: addr,
        async processProposal(sp: peer.SignedProposal, timeoutMs: number): Promise<EndorserOutcome> {
            let timer: NodeJS.Timeout | undefined;
            try {
                const timeout = new Promise<never>((_, reject) => {
                    timer = setTimeout(() => reject(Object.assign(new Error('endorsement timeout expired'), { timeout: true })), timeoutMs);
                });
                return { response: await Promise.race([endorser.processProposal(sp), timeout]) };
            } catch (err) {
                const error = err instanceof Error ? err : new Error(String(err));
                if ((error as { timeout?: boolean }).timeout) return { error };
                return { response: failedResponse(error.message), error };
            } finally {
                if (timer) clearTimeout(timer);
            }
        },
        close() {},
    };
}

/** gRPC codes that mean the peer could not be reached or did not answer in time. */
const TRANSPORT_CODES = new Set([
    grpc.status.UNAVAILABLE,
    grpc.status.DEADLINE_EXCEEDED,
    grpc.status.CANCELLED,
    grpc.status.RESOURCE_EXHAUSTED,
    grpc.status.INTERNAL,
]);

/** A remote peer's Endorser service over TLS; one channel for the life of the gateway. */
export function remoteEndorserClient(mspId: string, addr: string, tlsRootCert: Buffer, serverName: string): EndorserClient {
    const client = new peer.EndorserClient(addr, grpc.credentials.createSsl(tlsRootCert), {
        'grpc.ssl_target_name_override': serverName,
        'grpc.default_authority': serverName,
        ...NODE_GRPC_OPTIONS,
        'grpc.keepalive_time_ms': 60_000,
    });
    return {
        mspId,
        address: addr,
        processProposal(sp: peer.SignedProposal, timeoutMs: number): Promise<EndorserOutcome> {
            return new Promise((resolve) => {
                client.processProposal(sp, { deadline: Date.now() + timeoutMs }, (err, response) => {
                    if (!err) return resolve({ response });
                    const error = new Error(err.details || err.message);
                    // A status the endorser chose (bad proposal, access denied) is the proposal's fault, not the network's.
                    if (TRANSPORT_CODES.has(err.code)) resolve({ error });
                    else resolve({ error, response: failedResponse(error.message) });
                });
            });
        },
        close() {
            client.close();
        },
    };
}

export class EndorserRegistry {
    readonly #clients = new Map<string, EndorserClient>();
    readonly #failedAt = new Map<string, number>();

    /** @param orgs application orgs in topology order; @param quarantineMs how long a failed peer is tried last */
    constructor(
        readonly local: EndorserClient,
        remotes: EndorserClient[],
        public orgs: string[],
        private readonly quarantineMs = 10_000,
    ) {
        this.#clients.set(local.mspId, local);
        for (const r of remotes) this.#clients.set(r.mspId, r);
    }

    get localMspId(): string {
        return this.local.mspId;
    }

    endorser(mspId: string): EndorserClient | undefined {
        return this.#clients.get(mspId);
    }

    /** Orgs with an endorser, in topology order. */
    availableOrgs(): string[] {
        return this.orgs.filter((o) => this.#clients.has(o));
    }

    markFailed(mspId: string): void {
        this.#failedAt.set(mspId, Date.now());
    }

    markHealthy(mspId: string): void {
        this.#failedAt.delete(mspId);
    }

    /** 1 while the org's peer failed recently, else 0. */
    penalty(mspId: string): number {
        const at = this.#failedAt.get(mspId);
        return at !== undefined && Date.now() - at < this.quarantineMs ? 1 : 0;
    }

    /**
     * Follows a channel config change (what Fabric's discovery learns by gossip): endorsers for the
     * orgs that joined, none for the orgs that left; `connect` gives the client of a new org's peer.
     */
    sync(channelOrgs: string[], connect: (mspId: string) => EndorserClient | undefined): void {
        for (const [mspId, client] of this.#clients) {
            if (mspId === this.local.mspId || channelOrgs.includes(mspId)) continue;
            client.close();
            this.#clients.delete(mspId);
        }
        for (const mspId of channelOrgs) {
            if (this.#clients.has(mspId)) continue;
            const client = connect(mspId);
            if (client) this.#clients.set(mspId, client);
        }
        this.orgs = [...this.orgs.filter((o) => channelOrgs.includes(o)), ...channelOrgs.filter((o) => !this.orgs.includes(o))];
    }

    close(): void {
        for (const c of this.#clients.values()) c.close();
    }
}

/** Remote endorsers of every other org of the topology. */
export function remoteEndorsersFromTopology(t: Topology, localMspId: string): EndorserClient[] {
    return t.orgs.filter((o) => o.mspId !== localMspId).map((o) => remoteEndorserOf(t, o.mspId));
}

/** The endorser client of an org's peer as the topology places it. */
export function remoteEndorserOf(t: Topology, mspId: string): EndorserClient {
    const o = findOrg(t, mspId);
    return remoteEndorserClient(o.mspId, address(o.peer), fs.readFileSync(paths.tlsRootCert(t, o.mspId)), paths.peerName(t, o.mspId));
}

export interface Broadcaster {
    readonly mspId: string;
    readonly address: string;
    /** Sends one envelope on a fresh Broadcast stream and resolves with the orderer's answer. */
    broadcast(envelope: common.Envelope, timeoutMs: number): Promise<orderer.BroadcastResponse>;
    close(): void;
}

export function ordererBroadcaster(t: Topology): Broadcaster {
    const node = primaryOrderer(t);
    const addr = address(node);
    const serverName = paths.ordererName(t, node);
    const client = new orderer.AtomicBroadcastClient(
        addr,
        grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, node.operatedBy))),
        {
            'grpc.ssl_target_name_override': serverName,
            'grpc.default_authority': serverName,
            ...NODE_GRPC_OPTIONS,
            'grpc.keepalive_time_ms': 60_000,
        },
    );
    return {
        mspId: node.operatedBy,
        address: addr,
        broadcast(envelope: common.Envelope, timeoutMs: number): Promise<orderer.BroadcastResponse> {
            return new Promise((resolve, reject) => {
                const stream = client.broadcast({ deadline: Date.now() + timeoutMs });
                let settled = false;
                stream.on('data', (response: orderer.BroadcastResponse) => {
                    if (settled) return;
                    settled = true;
                    resolve(response);
                    stream.end();
                });
                stream.on('error', (err: grpc.ServiceError) => {
                    if (settled) return;
                    settled = true;
                    reject(new Error(err.details || err.message));
                });
                stream.on('end', () => {
                    if (settled) return;
                    settled = true;
                    reject(new Error('orderer closed the broadcast stream without an answer'));
                });
                stream.write(envelope);
            });
        },
        close() {
            client.close();
        },
    };
}
