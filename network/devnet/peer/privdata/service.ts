// The peer's side of private data exchange (Fabric's gossip/privdata coordinator, pull and
// reconciler): what it accepts when another peer pushes private data at endorsement, what it
// serves when a member peer pulls data it missed, and the reconciler that pulls what this peer
// missed (it was down, or the endorser did not pick it) from other member peers.
import { createHash } from 'node:crypto';
import { gossip, ledger } from '@hyperledger/fabric-protos';
import type { CollectionConfig } from '../../../client/topology';
import { parseSignaturePolicy, satisfiesSignaturePolicy } from '../../common/policies';
import type { VerifiedIdentity } from '../../msp/msp';
import type { ChaincodeDefinition, MissingPvtData } from '../ledger/types';
import { collectionConfig } from './collections';
import type { Membership, PrivateDataHandler, RemotePeer } from './transport';

/** What the private data service needs of the peer's ledger (network/devnet/peer/ledger/kvledger.ts). */
export interface PrivateDataLedger {
    chaincodeDefinition(name: string): Promise<ChaincodeDefinition | undefined>;
    persistTransient(txId: string, pvt: ledger.rwset.TxPvtReadWriteSet): void;
    privateDataFor(blockNum: number, txNum: number, txId: string, ns: string, coll: string): Promise<Uint8Array[]>;
    missingPrivateData(limit?: number): Promise<MissingPvtData[]>;
    commitReconciled(fetched: { entry: MissingPvtData; rwset: Uint8Array }[]): Promise<MissingPvtData[]>;
    dropExpiredMissing(): Promise<number>;
}

const SYSTEM_NAMESPACES = new Set(['_lifecycle']);
/** Digests one pull may ask for (Fabric's reconciler asks in batches of reconcileBatchSize, 10). */
const MAX_DIGESTS = 1000;

const policyCache = new Map<string, ReturnType<typeof parseSignaturePolicy>>();
/** Whether an identity satisfies a collection's member orgs policy (Fabric's collection access filter). */
export function satisfiesMemberPolicy(config: CollectionConfig, identity: VerifiedIdentity): boolean {
    let envelope = policyCache.get(config.policy);
    if (!envelope) {
        envelope = parseSignaturePolicy(config.policy);
        policyCache.set(config.policy, envelope);
    }
    return satisfiesSignaturePolicy(envelope, [identity]);
}

const peerOf = (mspId: string): VerifiedIdentity => ({
    mspId,
    role: 'peer',
    certificatePem: `peer:${mspId}`,
    subject: 'OU=peer',
    attrs: {},
});

/** A namespace's collection as this peer sees it now (the definition committed on its ledger, implicit ones included). */
export async function collectionOfNamespace(
    l: Pick<PrivateDataLedger, 'chaincodeDefinition'>,
    ns: string,
    coll: string,
    localMspId: string,
): Promise<CollectionConfig | undefined> {
    const def = SYSTEM_NAMESPACES.has(ns) ? { collections: [] } : await l.chaincodeDefinition(ns);
    return def ? collectionConfig(def, coll, localMspId) : undefined;
}

export function privateDataHandler(l: PrivateDataLedger, localMspId: string): PrivateDataHandler {
    return {
        async push(sender, payload) {
            const ns = payload.getNamespace();
            const coll = payload.getCollectionName();
            const config = await collectionOfNamespace(l, ns, coll, localMspId);
            // Only a member keeps a collection's data, even in memory.
            if (!config || !satisfiesMemberPolicy(config, peerOf(localMspId)))
                throw new Error(`peer of ${localMspId} is not eligible for collection ${coll} of ${ns} (pushed by ${sender.mspId})`);
            const c = new ledger.rwset.CollectionPvtReadWriteSet();
            c.setCollectionName(coll);
            c.setRwset(payload.getPrivateRwset_asU8());
            const n = new ledger.rwset.NsPvtReadWriteSet();
            n.setNamespace(ns);
            n.addCollectionPvtRwset(c);
            const set = new ledger.rwset.TxPvtReadWriteSet();
            set.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
            set.addNsPvtRwset(n);
            l.persistTransient(payload.getTxId(), set);
        },
        async pull(sender, request) {
            const response = new gossip.RemotePvtDataResponse();
            for (const d of request.getDigestsList().slice(0, MAX_DIGESTS)) {
                const config = await collectionOfNamespace(l, d.getNamespace(), d.getCollection(), localMspId);
                // Served only to a peer the collection's member policy admits (Fabric's pull checks the requester).
                if (!config || !satisfiesMemberPolicy(config, sender)) continue;
                const payloads = await l.privateDataFor(
                    d.getBlockSeq(),
                    d.getSeqInBlock(),
                    d.getTxId(),
                    d.getNamespace(),
                    d.getCollection(),
                );
                if (payloads.length === 0) continue;
                const element = new gossip.PvtDataElement();
                element.setDigest(d);
                element.setPayloadList(payloads);
                response.addElements(element);
            }
            return response;
        },
    };
}

export interface ReconcilerOptions {
    ledger: PrivateDataLedger;
    membership: Pick<Membership, 'alivePeers' | 'markAlive' | 'markDead'>;
    localMspId: string;
    /** Missing entries looked at per run, newest last (0: all; Fabric asks reconcileBatchSize, 10, at a time). */
    batchSize?: number;
    /** Retry delay after a run that filled nothing, doubling up to maxIntervalMs (Fabric: reconcileSleepInterval, 1 min). */
    minIntervalMs?: number;
    maxIntervalMs?: number;
    pullTimeoutMs?: number;
    log?(message: string, fields?: Record<string, unknown>): void;
}

const entryId = (m: { blockNum: number; txNum: number; ns: string; coll: string }) =>
    `${m.blockNum}\u0000${m.txNum}\u0000${m.ns}\u0000${m.coll}`;

/**
 * Fabric's reconciler: fetches the private data this peer should hold but lacks from other member
 * peers. It runs as soon as a commit records missing data (and when a peer becomes reachable), and
 * again while some stays missing, backing off from minIntervalMs to maxIntervalMs when a run fills
 * nothing (no member has it, or none is reachable).
 */
export class Reconciler {
    #running = false;
    #again = false;
    #timer?: NodeJS.Timeout;
    #delay: number;
    #stopped = false;

    constructor(private readonly options: ReconcilerOptions) {
        this.#delay = options.minIntervalMs ?? 500;
    }

    /** Runs soon (a commit recorded missing data, a peer came back). */
    trigger(): void {
        if (this.#stopped) return;
        this.#delay = this.options.minIntervalMs ?? 500;
        if (this.#running) {
            this.#again = true;
            return;
        }
        this.#schedule(20);
    }

    #schedule(ms: number): void {
        if (this.#stopped) return;
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
            this.#timer = undefined;
            void this.run();
        }, ms);
        this.#timer.unref();
    }

    /** One round: every missing entry asked of the reachable member peers; returns how many were filled. */
    async run(): Promise<number> {
        if (this.#running) {
            this.#again = true;
            return 0;
        }
        this.#running = true;
        this.#again = false;
        const { ledger: l, membership, localMspId } = this.options;
        let filled = 0;
        let remaining = 0;
        try {
            await l.dropExpiredMissing();
            const missing = await l.missingPrivateData(this.options.batchSize ?? 0);
            const pending = new Map(missing.map((m) => [entryId(m), m]));
            const configs = new Map<string, CollectionConfig | undefined>();
            for (const m of missing) {
                const key = `${m.ns}\u0000${m.coll}`;
                if (!configs.has(key)) configs.set(key, await collectionOfNamespace(l, m.ns, m.coll, localMspId));
            }
            for (const p of membership.alivePeers()) {
                if (pending.size === 0) break;
                const wanted = [...pending.values()].filter((m) => {
                    const config = configs.get(`${m.ns}\u0000${m.coll}`);
                    return config !== undefined && satisfiesMemberPolicy(config, peerOf(p.mspId));
                });
                if (wanted.length === 0) continue;
                filled += await this.#pullFrom(p, wanted, pending);
            }
            remaining = pending.size;
            if (filled > 0) this.options.log?.('private_data_reconciled', { filled, stillMissing: remaining });
        } catch (err) {
            this.options.log?.('reconciliation_failed', { error: (err as Error).message });
            remaining = 1;
        } finally {
            this.#running = false;
        }
        if (this.#again || filled > 0) this.#schedule(20);
        else if (remaining > 0) {
            this.#schedule(this.#delay);
            this.#delay = Math.min(this.#delay * 2, this.options.maxIntervalMs ?? 60_000);
        }
        return filled;
    }

    /** Asks one peer for what it may have, MAX_DIGESTS digests per request; the number filled. */
    async #pullFrom(p: RemotePeer, wanted: MissingPvtData[], pending: Map<string, MissingPvtData>): Promise<number> {
        let filled = 0;
        for (let i = 0; i < wanted.length; i += MAX_DIGESTS) {
            const chunk = await this.#pullChunk(p, wanted.slice(i, i + MAX_DIGESTS), pending);
            if (chunk < 0) break;
            filled += chunk;
        }
        return filled;
    }

    /** One request; -1 when the peer did not answer. */
    async #pullChunk(p: RemotePeer, wanted: MissingPvtData[], pending: Map<string, MissingPvtData>): Promise<number> {
        const request = new gossip.RemotePvtDataRequest();
        request.setDigestsList(
            wanted.map((m) => {
                const d = new gossip.PvtDataDigest();
                d.setTxId(m.txId);
                d.setNamespace(m.ns);
                d.setCollection(m.coll);
                d.setBlockSeq(m.blockNum);
                d.setSeqInBlock(m.txNum);
                return d;
            }),
        );
        let response: gossip.RemotePvtDataResponse;
        try {
            response = await p.client.pull(request, this.options.pullTimeoutMs ?? 5000);
            this.options.membership.markAlive(p);
        } catch (err) {
            this.options.membership.markDead(p);
            this.options.log?.('private data pull failed', { peer: p.client.address, error: (err as Error).message });
            return -1;
        }
        const fetched: { entry: MissingPvtData; rwset: Uint8Array }[] = [];
        for (const element of response.getElementsList()) {
            const d = element.getDigest();
            if (!d) continue;
            const entry = pending.get(
                entryId({ blockNum: d.getBlockSeq(), txNum: d.getSeqInBlock(), ns: d.getNamespace(), coll: d.getCollection() }),
            );
            if (!entry) continue;
            const match = element
                .getPayloadList_asU8()
                .find((payload) => createHash('sha256').update(payload).digest().equals(Buffer.from(entry.hash)));
            if (match) fetched.push({ entry, rwset: match });
        }
        if (fetched.length === 0) return 0;
        const done = await this.options.ledger.commitReconciled(fetched);
        for (const m of done) pending.delete(entryId(m));
        return done.length;
    }

    stop(): void {
        this.#stopped = true;
        if (this.#timer) clearTimeout(this.#timer);
    }
}
