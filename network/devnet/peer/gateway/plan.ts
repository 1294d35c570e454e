// Endorsement planning: which orgs must endorse a proposal. Fabric's gateway asks discovery with the
// ChaincodeInterest of the first endorsement; discovery combines the chaincode's policy and the
// endorsement policies of the collections written, and filters peers to the collections' members
// when private data was read or transient data is involved. We have one peer per org and every org
// in the topology, so the same reasoning is done here over org sets ("layouts").
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { ChaincodeDefinition } from '../ledger/types';
import { CollectionConfig } from '../../../client/topology';
import { implicitCollection, implicitCollectionOrg } from '../privdata/collections';

/** A policy as the PolicyManager takes it: a path, implicit meta text, or a signature policy. */
export type PolicyRef = string | common.SignaturePolicyEnvelope;

export interface LayoutOracle {
    /** Sets of application orgs that satisfy the policy, smallest first. */
    orgLayouts(policy: PolicyRef): string[][];
}

/** One ChaincodeCall of a ChaincodeInterest. */
export interface InterestCall {
    chaincode: string;
    collections: string[];
    /** The collections were only written, not read: no member filter needed (unless transient data). */
    noPrivateReads: boolean;
}

/** System chaincodes the gateway never plans for (their namespaces are not application state). */
export const SYSTEM_CHAINCODES = new Set(['qscc', 'cscc', 'lscc', 'escc', 'vscc']);
/** _lifecycle writes are validated against this channel policy (Fabric's LifecycleEndorsement). */
export const LIFECYCLE_POLICY = '/Channel/Application/LifecycleEndorsement';

export class PlanError extends Error {
    constructor(
        readonly code: 'CHAINCODE_NOT_DEFINED' | 'COLLECTION_NOT_DEFINED' | 'NO_LAYOUT' | 'TRANSIENT_PROTECTED',
        message: string,
    ) {
        super(message);
        this.name = 'PlanError';
    }
}

/**
 * The ChaincodeInterest of a proposal response: the endorser's own (Fabric fills it from the
 * simulation), or, if it sent none, one derived from the public read-write set it returned
 * (collection hashed read-write sets name the collections read and written).
 */
export function interestOf(response: peer.ProposalResponse, chaincode: string): InterestCall[] {
    const interest = response.getInterest();
    if (interest && interest.getChaincodesList().length > 0) {
        return interest.getChaincodesList().map((c) => ({
            chaincode: c.getName(),
            collections: c.getCollectionNamesList(),
            noPrivateReads: c.getNoPrivateReads(),
        }));
    }
    const derived = interestFromResults(response);
    return derived.length > 0 ? derived : [{ chaincode, collections: [], noPrivateReads: true }];
}

/** Derives the interest from the rwset in ChaincodeAction.results, as core/endorser builds it. */
export function interestFromResults(response: peer.ProposalResponse): InterestCall[] {
    let txRwSet: ledger.rwset.TxReadWriteSet;
    try {
        const prp = peer.ProposalResponsePayload.deserializeBinary(response.getPayload_asU8());
        const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
        txRwSet = ledger.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
    } catch {
        return [];
    }
    const calls: InterestCall[] = [];
    for (const ns of txRwSet.getNsRwsetList()) {
        const name = ns.getNamespace();
        if (SYSTEM_CHAINCODES.has(name)) continue;
        const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
        const publicWrites = kv.getWritesList().length + kv.getMetadataWritesList().length;
        let collectionCalls = 0;
        for (const coll of ns.getCollectionHashedRwsetList()) {
            const hashed = ledger.rwset.kvrwset.HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8());
            const reads = hashed.getHashedReadsList().length;
            const writes = hashed.getHashedWritesList().length + hashed.getMetadataWritesList().length;
            if (reads === 0 && writes === 0) continue;
            collectionCalls++;
            calls.push({ chaincode: name, collections: [coll.getCollectionName()], noPrivateReads: reads === 0 });
        }
        // The chaincode's own policy applies to public writes, and to a transaction that writes nothing.
        if (publicWrites > 0 || collectionCalls === 0) calls.push({ chaincode: name, collections: [], noPrivateReads: true });
    }
    return calls;
}

/** Orgs named in a collection's member policy ("OR('SeoulMSP.member', ...)"): its distribution list. */
export function collectionMembers(collection: CollectionConfig): string[] {
    const members = new Set<string>();
    for (const m of collection.policy.matchAll(/'([A-Za-z0-9._-]+)\.(member|peer|admin|client|orderer)'/g)) members.add(m[1]);
    return [...members];
}

/** Signature policy text (cauthdsl) versus a channel policy reference. */
export function isSignaturePolicyText(text: string): boolean {
    return /^\s*(OR|AND|OutOf)\s*\(/i.test(text);
}

/** A collection's channelConfigPolicy: an absolute path, or a name under /Channel/Application. */
export function channelPolicyPath(ref: string): string {
    if (ref.startsWith('/')) return ref;
    if (/^(ANY|ALL|MAJORITY)\s+\S+$/.test(ref)) return ref;
    return `/Channel/Application/${ref}`;
}

export interface Requirements {
    /** Every policy must be satisfied by the endorsing orgs (deduplicated by text). */
    policies: { text: string; ref: PolicyRef }[];
    /** Only these orgs may endorse (collection members), or undefined when any org may. */
    allowedOrgs?: Set<string>;
    /** Collections whose member filter was applied only because of transient data. */
    protectedCollections: string[];
}

export type DefinitionLookup = (name: string) => ChaincodeDefinition | undefined;

/**
 * The policies a set of endorsements must satisfy, as discovery's PoliciesByChaincode computes
 * them: per call, the chaincode's policy; or, for a call naming collections, each collection's
 * endorsement policy (the chaincode's when it has none). The member filter applies to calls with
 * private reads, and to every collection call when the proposal carries transient data.
 */
export function requirements(
    calls: InterestCall[],
    definitions: DefinitionLookup,
    hasTransientData: boolean,
    parseSignature: (text: string) => PolicyRef,
): Requirements {
    const policies = new Map<string, PolicyRef>();
    const add = (text: string) => {
        if (policies.has(text)) return;
        policies.set(text, isSignaturePolicyText(text) ? parseSignature(text) : text);
    };
    let allowed: Set<string> | undefined;
    const protectedCollections: string[] = [];
    for (const call of calls) {
        if (call.chaincode === '_lifecycle') {
            add(LIFECYCLE_POLICY);
            continue;
        }
        const def = definitions(call.chaincode);
        if (!def) throw new PlanError('CHAINCODE_NOT_DEFINED', `chaincode ${call.chaincode} is not defined on the channel`);
        if (call.collections.length === 0) {
            add(def.endorsementPolicy);
            continue;
        }
        for (const name of call.collections) {
            // Discovery's view of an implicit collection (lifecycle's MetadataProvider): one member of the org endorses.
            const implicitOrg = implicitCollectionOrg(name);
            const coll =
                implicitOrg !== undefined
                    ? { ...implicitCollection(implicitOrg, ''), endorsementPolicy: { signaturePolicy: `OR('${implicitOrg}.member')` } }
                    : def.collections.find((c) => c.name === name);
            if (!coll)
                throw new PlanError(
                    'COLLECTION_NOT_DEFINED',
                    `collection ${name} doesn't exist in collection config for chaincode ${call.chaincode}`,
                );
            const ep = coll.endorsementPolicy;
            if (ep?.signaturePolicy) add(ep.signaturePolicy);
            else if (ep?.channelConfigPolicy) add(channelPolicyPath(ep.channelConfigPolicy));
            else add(def.endorsementPolicy);
            if (!call.noPrivateReads || hasTransientData) {
                const members = new Set(collectionMembers(coll));
                allowed = allowed ? new Set([...allowed].filter((o) => members.has(o))) : members;
                if (call.noPrivateReads) protectedCollections.push(name);
            }
        }
    }
    return { policies: [...policies].map(([text, ref]) => ({ text, ref })), allowedOrgs: allowed, protectedCollections };
}

/**
 * Minimal org sets that satisfy every policy, drawn from the candidate orgs. Order: fewest
 * recently failing orgs first, then fewest orgs still to ask (those in `endorsed` already
 * answered), then fewest orgs, then topology order. Policies without NOT are monotone, so a set
 * satisfies a policy when it contains one of the policy's layouts.
 */
export function chooseLayouts(
    req: Requirements,
    oracle: LayoutOracle,
    candidates: string[],
    endorsed: ReadonlySet<string> = new Set(),
    penalty: (org: string) => number = () => 0,
): string[][] {
    const orgs = candidates.filter((o) => !req.allowedOrgs || req.allowedOrgs.has(o));
    const policyLayouts = req.policies.map((p) => oracle.orgLayouts(p.ref));
    if (orgs.length > 16) throw new Error('too many orgs to plan endorsements');
    const satisfying: string[][] = [];
    for (let mask = 1; mask < 1 << orgs.length; mask++) {
        const set = orgs.filter((_, i) => mask & (1 << i));
        const has = new Set(set);
        if (policyLayouts.every((layouts) => layouts.some((l) => l.every((o) => has.has(o))))) satisfying.push(set);
    }
    // Keep minimal sets only: an org more than needed is one more chance of failure and one more copy.
    const minimal = satisfying.filter((s) => !satisfying.some((t) => t.length < s.length && t.every((o) => s.includes(o))));
    const index = new Map(candidates.map((o, i) => [o, i]));
    const failures = (s: string[]) => s.reduce((n, o) => n + penalty(o), 0);
    const missing = (s: string[]) => s.filter((o) => !endorsed.has(o)).length;
    const order = (a: string[], b: string[]) => {
        for (let i = 0; i < Math.min(a.length, b.length); i++) {
            const d = (index.get(a[i]) ?? 0) - (index.get(b[i]) ?? 0);
            if (d !== 0) return d;
        }
        return 0;
    };
    return minimal.sort((a, b) => failures(a) - failures(b) || missing(a) - missing(b) || a.length - b.length || order(a, b));
}
