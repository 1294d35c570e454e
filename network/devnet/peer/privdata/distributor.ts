// Private data dissemination at endorsement (Fabric's gossip/privdata/distributor.go): before an
// endorsement is signed, each collection of the simulation's private write set goes to other
// peers that are members of the collection, chosen as Fabric chooses them: from the peers this
// peer knows alive whose identity satisfies the collection's member policy; fewer than
// requiredPeerCount of them fails the endorsement; then one peer per eligible org, then others,
// up to maxPeerCount, in random order. The first requiredPeerCount sends must be acknowledged
// within pushAckTimeout (3 s), the others are sent without waiting.
import { gossip, ledger, peer } from '@hyperledger/fabric-protos';
import type { CollectionConfig } from '../../../client/topology';
import { parseSignaturePolicy, satisfiesSignaturePolicy } from '../../common/policies';
import { collectionPackage } from '../scc/lifecycle-state';
import type { Membership, RemotePeer } from './transport';

export interface DistributorOptions {
    channelId: string;
    membership: Pick<Membership, 'alivePeers' | 'markDead' | 'markAlive'>;
    /** peer.gossip.pvtData.pushAckTimeout (Fabric's default 3 s). */
    pushAckTimeoutMs?: number;
    log?(message: string, fields?: Record<string, unknown>): void;
    /** Test seam: the order in which equally eligible peers are picked. */
    shuffle?<T>(items: T[]): T[];
}

/**
 * Fabric's PrivateDataDistributor: sends a simulation's private write set to other member peers
 * of each collection before the proposal is endorsed; throws (with Fabric's message) when fewer
 * than a collection's requiredPeerCount can take it. `send` false only plans (an evaluation).
 */
export interface PrivateDataDistributor {
    distribute(
        txId: string,
        pvt: ledger.rwset.TxPvtReadWriteSet,
        collection: (ns: string, coll: string) => CollectionConfig | undefined,
        endorsedAt: number,
        send: boolean,
    ): Promise<void>;
}

interface Dissemination {
    peer: RemotePeer;
    payload: gossip.PrivatePayload;
    required: boolean;
}

function randomOrder<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

export class Distributor implements PrivateDataDistributor {
    readonly #policies = new Map<string, ReturnType<typeof parseSignaturePolicy>>();

    constructor(private readonly options: DistributorOptions) {}

    /** Whether a peer of this org satisfies the collection's member policy (Fabric evaluates it on the peer's identity). */
    #eligible(config: CollectionConfig, mspId: string): boolean {
        let envelope = this.#policies.get(config.policy);
        if (!envelope) {
            envelope = parseSignaturePolicy(config.policy);
            this.#policies.set(config.policy, envelope);
        }
        return satisfiesSignaturePolicy(envelope, [
            { mspId, role: 'peer', certificatePem: `peer:${mspId}`, subject: 'OU=peer', attrs: {} },
        ]);
    }

    async distribute(
        txId: string,
        pvt: ledger.rwset.TxPvtReadWriteSet,
        collection: (ns: string, coll: string) => CollectionConfig | undefined,
        endorsedAt: number,
        send: boolean,
    ): Promise<void> {
        const { channelId } = this.options;
        const fail = (message: string) =>
            new Error(`failed to distribute private collection, txID ${txId}, channel ${channelId}: ${message}`);
        const shuffle = this.options.shuffle ?? randomOrder;
        const plan: Dissemination[] = [];
        const alive = this.options.membership.alivePeers();
        for (const ns of pvt.getNsPvtRwsetList()) {
            const namespace = ns.getNamespace();
            for (const c of ns.getCollectionPvtRwsetList()) {
                const name = c.getCollectionName();
                const config = collection(namespace, name);
                if (!config)
                    throw fail(
                        `could not find collection access policy for ${namespace} and collection ${name}: no configuration for collection ${name} found`,
                    );
                const eligible = alive.filter((p) => this.#eligible(config, p.mspId));
                const required = config.requiredPeerCount ?? 0;
                if (eligible.length < required) {
                    throw fail(
                        `could not build private data dissemination plan for chaincode ${namespace} and collection ${name}: required to disseminate to at least ${required} peers, but know of only ${eligible.length} eligible peers`,
                    );
                }
                const payload = new gossip.PrivatePayload();
                payload.setCollectionName(name);
                payload.setNamespace(namespace);
                payload.setTxId(txId);
                payload.setPrivateRwset(c.getRwset_asU8());
                payload.setPrivateSimHeight(endorsedAt);
                const configs = new peer.CollectionConfigPackage();
                configs.setConfigList(config.name.startsWith('_implicit_org_') ? [] : collectionPackage([config]).getConfigList());
                payload.setCollectionConfigs(configs);
                // One peer per org first, then the others, up to maxPeerCount.
                const byOrg = new Map<string, RemotePeer[]>();
                for (const p of shuffle(eligible)) byOrg.set(p.mspId, [...(byOrg.get(p.mspId) ?? []), p]);
                const firsts = [...byOrg.values()].map((l) => l[0]);
                const rest = shuffle([...byOrg.values()].flatMap((l) => l.slice(1)));
                const chosen = [...firsts, ...rest].slice(0, Math.max(0, config.maxPeerCount ?? 0));
                for (const [i, p] of chosen.entries()) plan.push({ peer: p, payload, required: i < required });
            }
        }
        if (!send || plan.length === 0) return;
        const timeout = this.options.pushAckTimeoutMs ?? 3000;
        let failures = 0;
        await Promise.all(
            plan.map(async (d) => {
                const sent = d.peer.client.push(d.payload, timeout).then(
                    () => this.options.membership.markAlive(d.peer),
                    (err: Error) => {
                        this.options.membership.markDead(d.peer);
                        this.options.log?.('private data dissemination failed', {
                            txId,
                            namespace: d.payload.getNamespace(),
                            collection: d.payload.getCollectionName(),
                            peer: d.peer.client.address,
                            error: err.message,
                        });
                        if (d.required) failures++;
                    },
                );
                // Fabric's SendByCriteria with MinAck 0 does not wait for an acknowledgement.
                if (d.required) await sent;
            }),
        );
        if (failures > 0) throw fail(`Failed disseminating ${failures} out of ${plan.length} private dissemination plans`);
    }
}
