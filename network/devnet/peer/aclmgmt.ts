// Fabric's core/aclmgmt: which policy guards a resource (`qscc/GetChainInfo`, `cscc/GetChannels`,
// `_lifecycle/InstallChaincode`, ...). Peer-wide resources are checked against the peer's local
// MSP (its Admins or Members); channel resources take the policy the channel config's ACLs name,
// else Fabric's default (defaultaclprovider.go).

/** Peer-wide resources: always the local MSP's role, whatever the channel says. */
export const PEER_RESOURCES: Readonly<Record<string, LocalPolicy>> = {
    '_lifecycle/InstallChaincode': 'Admins',
    '_lifecycle/QueryInstalledChaincode': 'Admins',
    '_lifecycle/GetInstalledChaincodePackage': 'Admins',
    '_lifecycle/QueryInstalledChaincodes': 'Admins',
    '_lifecycle/ApproveChaincodeDefinitionForMyOrg': 'Admins',
    '_lifecycle/QueryApprovedChaincodeDefinition': 'Admins',
    '_lifecycle/QueryApprovedChaincodeDefinitions': 'Admins',
    'cscc/JoinChain': 'Admins',
    'cscc/JoinChainBySnapshot': 'Admins',
    'cscc/JoinBySnapshotStatus': 'Admins',
    'cscc/GetChannels': 'Members',
};

const WRITERS = '/Channel/Application/Writers';
const READERS = '/Channel/Application/Readers';

/** Channel resources when the channel config has no ACL for them. */
export const CHANNEL_RESOURCE_DEFAULTS: Readonly<Record<string, string>> = {
    '_lifecycle/CommitChaincodeDefinition': WRITERS,
    '_lifecycle/QueryChaincodeDefinition': WRITERS,
    '_lifecycle/QueryChaincodeDefinitions': WRITERS,
    '_lifecycle/CheckCommitReadiness': WRITERS,
    'qscc/GetChainInfo': READERS,
    'qscc/GetBlockByNumber': READERS,
    'qscc/GetBlockByHash': READERS,
    'qscc/GetTransactionByID': READERS,
    'qscc/GetBlockByTxID': READERS,
    'cscc/GetConfigBlock': READERS,
    'cscc/GetChannelConfig': READERS,
    'peer/Propose': WRITERS,
    'peer/ChaincodeToChaincode': WRITERS,
    'event/Block': READERS,
    'event/FilteredBlock': READERS,
    'gateway/CommitStatus': READERS,
    'gateway/ChaincodeEvents': READERS,
};

/** The local MSP principals Fabric's channelless policy check knows (core/policy/principal.go). */
export type LocalPolicy = 'Admins' | 'Members';

/** How a resource is guarded on a channel ('' for a proposal without a channel). */
export type AclDecision =
    | { kind: 'local'; policy: string }
    | { kind: 'channelConfig'; policy: string }
    | { kind: 'channelDefault'; policy: string }
    | { kind: 'unmapped' };

export function aclPolicy(resource: string, channelId: string, channelAcls: ReadonlyMap<string, string> | undefined): AclDecision {
    const local = PEER_RESOURCES[resource];
    if (local) return { kind: 'local', policy: local };
    const configured = channelId ? channelAcls?.get(resource) : undefined;
    if (configured) return { kind: 'channelConfig', policy: configured };
    const policy = CHANNEL_RESOURCE_DEFAULTS[resource];
    if (!policy) return { kind: 'unmapped' };
    // A channel resource asked without a channel: Fabric checks the policy name against the local MSP.
    return channelId ? { kind: 'channelDefault', policy } : { kind: 'local', policy };
}
