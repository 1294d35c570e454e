// Collections of a chaincode as Fabric's peer sees them (core/common/privdata,
// core/chaincode/implicitcollection, lifecycle's deployedcc_infoprovider.go): the explicit ones of
// its definition plus one implicit collection per application org of the channel,
// `_implicit_org_<MSPID>`, whose only member is that org. An implicit collection has no
// blockToLive, memberOnlyRead and memberOnlyWrite are false (anyone may ask; only the org's peers
// hold the values), and its dissemination counts are the peer's own
// implicitCollectionDisseminationPolicy for the peer's own org (default required 0, max 1) and
// 0/0 for every other org's. A write to it is validated against the org's
// /Channel/Application/<Org>/Endorsement policy (SignedByAnyMember of the org when the channel has
// none); discovery (the gateway's planner) asks for one member of the org.
import type { CollectionConfig } from '../../../client/topology';
import type { ChaincodeDefinition } from '../ledger/types';

export const IMPLICIT_PREFIX = '_implicit_org_';

/** Fabric's implicitcollection.NameForOrg. */
export const implicitCollectionName = (mspId: string): string => `${IMPLICIT_PREFIX}${mspId}`;

/** The MSP id of an implicit collection's name, undefined for any other name. */
export function implicitCollectionOrg(collection: string): string | undefined {
    return collection.startsWith(IMPLICIT_PREFIX) ? collection.slice(IMPLICIT_PREFIX.length) : undefined;
}

/** peer.gossip.pvtData.implicitCollectionDisseminationPolicy (core.yaml defaults). */
export interface DisseminationPolicy {
    requiredPeerCount: number;
    maxPeerCount: number;
}
export const DEFAULT_IMPLICIT_DISSEMINATION: DisseminationPolicy = { requiredPeerCount: 0, maxPeerCount: 1 };

/** Fabric's GenerateImplicitCollectionForOrg, as seen by a peer of `localMspId`. */
export function implicitCollection(
    mspId: string,
    localMspId: string,
    own: DisseminationPolicy = DEFAULT_IMPLICIT_DISSEMINATION,
): CollectionConfig {
    const local = mspId === localMspId;
    return {
        name: implicitCollectionName(mspId),
        policy: `OR('${mspId}.member')`,
        requiredPeerCount: local ? own.requiredPeerCount : 0,
        maxPeerCount: local ? own.maxPeerCount : 0,
        blockToLive: 0,
        memberOnlyRead: false,
        memberOnlyWrite: false,
    };
}

/**
 * A collection of a namespace by name (Fabric's CollectionInfo): an explicit one of the
 * definition, or an implicit one of any org (Fabric generates it for any MSP id; whether the org
 * is in the channel is checked where Fabric checks it).
 */
export function collectionConfig(
    definition: Pick<ChaincodeDefinition, 'collections'> | undefined,
    name: string,
    localMspId: string,
    own?: DisseminationPolicy,
): CollectionConfig | undefined {
    const org = implicitCollectionOrg(name);
    if (org !== undefined) return implicitCollection(org, localMspId, own);
    return definition?.collections.find((c) => c.name === name);
}

/** Every collection of a namespace (Fabric's AllCollectionsConfigPkg): explicit ones, then one implicit per channel org. */
export function allCollections(
    definition: Pick<ChaincodeDefinition, 'collections'> | undefined,
    channelOrgs: string[],
    localMspId: string,
    own?: DisseminationPolicy,
): CollectionConfig[] {
    return [...(definition?.collections ?? []), ...channelOrgs.map((o) => implicitCollection(o, localMspId, own))];
}

/** MSP ids named by a collection's member policy, e.g. OR('SeoulMSP.member', 'MOISMSP.peer'). */
export function collectionMemberOrgs(policy: string): Set<string> {
    const out = new Set<string>();
    for (const m of policy.matchAll(/'([A-Za-z0-9_.-]+)\.(member|peer|admin|client|orderer)'/g)) out.add(m[1]);
    return out;
}
