// Read-after-write across orgs: a write is answered only once the peers of the channel's other orgs
// have committed its block too, so that a request at any org's gateway right after the answer sees
// it. Fabric's gateway reports a commit from its own peer only; this is the "all peers in the
// network" commit strategy of the earlier Fabric SDKs (fabric-network's NETWORK_SCOPE_ALLFORTX), done
// with each peer's own Gateway CommitStatus call (allowed to any channel reader, ACL
// gateway/CommitStatus), which answers at once when the peer has the transaction and otherwise when
// it commits it. Bounded: a peer that does not answer within the wait (stopped, cut off) is logged
// and the write is answered anyway: it is committed, and the other peers will catch up.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { connect, type Gateway, type Identity } from '@hyperledger/fabric-gateway';
import type { Logger } from '../../network/client/logger';
import type { ChannelPeer, CommitScope } from '../config';

/** A peer that had not confirmed the transaction within the wait, and why. */
export interface LaggingPeer {
    mspId: string;
    reason: string;
}

export class ChannelPeers {
    readonly #scope: CommitScope;
    readonly #log?: Logger;
    readonly #clients: { peer: ChannelPeer; client: grpc.Client; gateway: Gateway }[] = [];

    /**
     * identity: any identity of the gateway's org; the commit status requests carry their own
     * signature (the app's), so this one only satisfies fabric-gateway's connect().
     */
    constructor(scope: CommitScope, identity: Identity, log?: Logger) {
        this.#scope = scope;
        this.#log = log;
        if (scope.waitMs === 0) return;
        for (const peer of scope.peers) {
            let tlsRoot: Buffer;
            try {
                tlsRoot = fs.readFileSync(peer.tlsRootCertPath);
            } catch (err) {
                log?.warn('writes will not wait for this peer: its TLS root certificate is unreadable', {
                    org: peer.mspId,
                    file: peer.tlsRootCertPath,
                    error: (err as Error).message,
                });
                continue;
            }
            const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(tlsRoot), {
                'grpc.ssl_target_name_override': peer.hostOverride,
            });
            this.#clients.push({ peer, client, gateway: connect({ client, identity }) });
        }
    }

    /**
     * Resolves when every other org's peer has committed the transaction of this signed commit
     * status request (a SubmittedTransaction's getBytes()), or when the wait is over: then with the
     * peers that had not confirmed it. Never throws: the transaction is committed either way.
     */
    async committedEverywhere(commitStatusRequest: Uint8Array, transactionId: string): Promise<LaggingPeer[]> {
        if (this.#clients.length === 0) return [];
        const deadline = Date.now() + this.#scope.waitMs;
        const lagging = (
            await Promise.all(
                this.#clients.map(async ({ peer, gateway }): Promise<LaggingPeer | undefined> => {
                    try {
                        await gateway.newCommit(commitStatusRequest).getStatus({ deadline });
                        return undefined;
                    } catch (err) {
                        const e = err as { code?: number; details?: string; message: string };
                        return {
                            mspId: peer.mspId,
                            reason: e.code === grpc.status.DEADLINE_EXCEEDED ? 'not committed in time' : e.message,
                        };
                    }
                }),
            )
        ).filter((p): p is LaggingPeer => p !== undefined);
        if (lagging.length > 0) {
            this.#log?.warn('answered before every peer confirmed the commit', {
                transactionId,
                waitMs: this.#scope.waitMs,
                peers: lagging.map((p) => `${p.mspId}: ${p.reason}`).join('; '),
            });
        }
        return lagging;
    }

    close(): void {
        for (const { gateway, client } of this.#clients.splice(0)) {
            gateway.close();
            client.close();
        }
    }
}
