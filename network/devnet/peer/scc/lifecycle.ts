// The devnet's _lifecycle system chaincode (Fabric's core/chaincode/lifecycle):
// QueryChaincodeDefinition(s) and CommitChaincodeDefinition, with Fabric's argument and result
// protobufs. Deviation: there is no install and no ApproveChaincodeDefinitionForMyOrg; an org
// admin commits a definition directly and the transaction is validated against
// /Channel/Application/LifecycleEndorsement (MAJORITY Endorsement), which stands for the approvals.
// A definition is stored in namespace _lifecycle, key chaincode-definitions/<name>, as the JSON
// (sorted keys) of ledger/types.ts ChaincodeDefinition, which the ledger's validator reads.
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { parseSignaturePolicy } from '../../common/policies';
import type { ChaincodeConfig, CollectionConfig } from '../../../client/topology';
import type { ChaincodeDefinition, TxSimulator } from '../ledger/types';
import { failure, SccInvocation, SystemChaincode, success, utf8 } from './scc';

export const LIFECYCLE = '_lifecycle';
export const LIFECYCLE_NAMESPACE = '_lifecycle';
export const DEFINITION_PREFIX = 'chaincode-definitions/';
export const definitionKey = (name: string): string => `${DEFINITION_PREFIX}${name}`;

export const COMMIT_CHAINCODE_DEFINITION = 'CommitChaincodeDefinition';
export const QUERY_CHAINCODE_DEFINITION = 'QueryChaincodeDefinition';
export const QUERY_CHAINCODE_DEFINITIONS = 'QueryChaincodeDefinitions';

/** Fabric's default when a definition names no policy: the channel's Endorsement policy. */
/** _lifecycle functions of a peer's own packages and approvals (peer-wide resources in Fabric's ACLs). */
const PEER_FUNCTIONS = new Set([
    'InstallChaincode',
    'QueryInstalledChaincode',
    'QueryInstalledChaincodes',
    'GetInstalledChaincodePackage',
    'ApproveChaincodeDefinitionForMyOrg',
    'QueryApprovedChaincodeDefinition',
    'QueryApprovedChaincodeDefinitions',
]);
export const DEFAULT_ENDORSEMENT_POLICY_REFERENCE = '/Channel/Application/Endorsement';
const SYSTEM_CHAINCODES = new Set(['_lifecycle', 'qscc', 'cscc', 'lscc', 'escc', 'vscc']);
const CHAINCODE_NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
const CHAINCODE_VERSION = /^[A-Za-z0-9_.+-]+$/;
const COLLECTION_NAME = /^[A-Za-z0-9-]+([A-Za-z0-9_-]+)*$/;
const IMPLICIT_META = /^(ANY|ALL|MAJORITY) [A-Za-z0-9_]+$/;

/** A refusal with a stable code; its message is Fabric's wording where Fabric has one. */
export class LifecycleError extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

// ---- canonical JSON ----

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value).sort()) {
            const v = (value as Record<string, unknown>)[key];
            if (v !== undefined) out[key] = sortKeys(v);
        }
        return out;
    }
    return value;
}

/** The stored form of a definition: JSON with sorted keys at every level. */
export function serializeDefinition(definition: ChaincodeDefinition): Uint8Array {
    return Buffer.from(JSON.stringify(sortKeys(definition)), 'utf8');
}

export function parseDefinition(bytes: Uint8Array): ChaincodeDefinition {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as ChaincodeDefinition;
}

// ---- policies: protobuf <-> the text the topology and the validator use ----

const ROLE_NAMES: Record<number, string> = {
    [msp.MSPRole.MSPRoleType.MEMBER]: 'member',
    [msp.MSPRole.MSPRoleType.ADMIN]: 'admin',
    [msp.MSPRole.MSPRoleType.CLIENT]: 'client',
    [msp.MSPRole.MSPRoleType.PEER]: 'peer',
    [msp.MSPRole.MSPRoleType.ORDERER]: 'orderer',
};

/** Prints a signature policy in the cauthdsl language ("OR('A.member', AND(...))", "OutOf(2, ...)"). */
export function signaturePolicyText(envelope: common.SignaturePolicyEnvelope): string {
    const principals = envelope.getIdentitiesList().map((principal, i) => {
        if (principal.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) {
            throw new LifecycleError('POLICY_UNSUPPORTED', `principal ${i} is not an MSP role principal`);
        }
        const role = msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8());
        const name = ROLE_NAMES[role.getRole()];
        if (!name) throw new LifecycleError('POLICY_UNSUPPORTED', `principal ${i} has an unknown role ${role.getRole()}`);
        return `'${role.getMspIdentifier()}.${name}'`;
    });
    const print = (rule: common.SignaturePolicy | undefined, top: boolean): string => {
        if (!rule) throw new LifecycleError('POLICY_INVALID', 'signature policy has no rule');
        if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) {
            const p = principals[rule.getSignedBy()];
            if (p === undefined) throw new LifecycleError('POLICY_INVALID', `signed_by ${rule.getSignedBy()} names no identity`);
            return top ? `OR(${p})` : p;
        }
        const noutof = rule.getNOutOf();
        if (!noutof) throw new LifecycleError('POLICY_INVALID', 'signature policy rule is empty');
        const parts = noutof.getRulesList().map((r) => print(r, false));
        const n = noutof.getN();
        if (n === 1) return `OR(${parts.join(', ')})`;
        if (n === parts.length) return `AND(${parts.join(', ')})`;
        return `OutOf(${n}, ${parts.join(', ')})`;
    };
    return print(envelope.getRule(), true);
}

/** The definition's endorsementPolicy text from a marshalled peer.ApplicationPolicy (empty = Fabric's default). */
export function endorsementPolicyText(validationParameter: Uint8Array): string {
    if (validationParameter.length === 0) return DEFAULT_ENDORSEMENT_POLICY_REFERENCE;
    let policy: peer.ApplicationPolicy;
    try {
        policy = peer.ApplicationPolicy.deserializeBinary(validationParameter);
    } catch (err) {
        throw new LifecycleError('POLICY_INVALID', `could not unmarshal validation parameter: ${(err as Error).message}`);
    }
    return applicationPolicyText(policy);
}

function applicationPolicyText(policy: peer.ApplicationPolicy): string {
    switch (policy.getTypeCase()) {
        case peer.ApplicationPolicy.TypeCase.SIGNATURE_POLICY:
            return signaturePolicyText(policy.getSignaturePolicy()!);
        case peer.ApplicationPolicy.TypeCase.CHANNEL_CONFIG_POLICY_REFERENCE:
            return policy.getChannelConfigPolicyReference();
        default:
            throw new LifecycleError('POLICY_INVALID', 'application policy is neither a signature policy nor a channel policy reference');
    }
}

/**
 * The ApplicationPolicy for a policy text: a channel policy path ("/Channel/Application/X") or
 * implicit-meta text become a channel_config_policy_reference, anything else a signature policy.
 * "MAJORITY Endorsement" maps to /Channel/Application/Endorsement, what Fabric uses by default;
 * other implicit-meta texts have no Fabric encoding and are carried as the reference verbatim
 * (the devnet's PolicyManager evaluates such text).
 */
export function applicationPolicy(text: string): peer.ApplicationPolicy {
    const policy = new peer.ApplicationPolicy();
    const trimmed = text.trim();
    if (trimmed === 'MAJORITY Endorsement') policy.setChannelConfigPolicyReference(DEFAULT_ENDORSEMENT_POLICY_REFERENCE);
    else if (trimmed.startsWith('/') || IMPLICIT_META.test(trimmed)) policy.setChannelConfigPolicyReference(trimmed);
    else policy.setSignaturePolicy(parseSignaturePolicy(trimmed));
    return policy;
}

function collectionPackage(collections: CollectionConfig[]): peer.CollectionConfigPackage {
    const pkg = new peer.CollectionConfigPackage();
    pkg.setConfigList(
        collections.map((c) => {
            const s = new peer.StaticCollectionConfig();
            s.setName(c.name);
            const member = new peer.CollectionPolicyConfig();
            member.setSignaturePolicy(parseSignaturePolicy(c.policy));
            s.setMemberOrgsPolicy(member);
            s.setRequiredPeerCount(c.requiredPeerCount);
            s.setMaximumPeerCount(c.maxPeerCount);
            s.setBlockToLive(c.blockToLive);
            s.setMemberOnlyRead(c.memberOnlyRead);
            s.setMemberOnlyWrite(c.memberOnlyWrite);
            const ep = c.endorsementPolicy;
            if (ep?.signaturePolicy) s.setEndorsementPolicy(applicationPolicy(ep.signaturePolicy));
            else if (ep?.channelConfigPolicy) s.setEndorsementPolicy(applicationPolicy(ep.channelConfigPolicy));
            const config = new peer.CollectionConfig();
            config.setStaticCollectionConfig(s);
            return config;
        }),
    );
    return pkg;
}

function collectionsFromPackage(pkg: peer.CollectionConfigPackage | undefined): CollectionConfig[] {
    if (!pkg) return [];
    return pkg.getConfigList().map((config, i) => {
        const s = config.getStaticCollectionConfig();
        if (!s) throw new LifecycleError('COLLECTION_INVALID', `collection ${i}: collection config contains unexpected payload type`);
        const member = s.getMemberOrgsPolicy()?.getSignaturePolicy();
        if (!member) throw new LifecycleError('COLLECTION_INVALID', `collection member policy is not set for collection '${s.getName()}'`);
        const out: CollectionConfig = {
            name: s.getName(),
            policy: signaturePolicyText(member),
            requiredPeerCount: s.getRequiredPeerCount(),
            maxPeerCount: s.getMaximumPeerCount(),
            blockToLive: s.getBlockToLive(),
            memberOnlyRead: s.getMemberOnlyRead(),
            memberOnlyWrite: s.getMemberOnlyWrite(),
        };
        const ep = s.getEndorsementPolicy();
        if (ep) {
            out.endorsementPolicy =
                ep.getTypeCase() === peer.ApplicationPolicy.TypeCase.SIGNATURE_POLICY
                    ? { signaturePolicy: applicationPolicyText(ep) }
                    : { channelConfigPolicy: applicationPolicyText(ep) };
        }
        return out;
    });
}

/** The fields every _lifecycle definition message shares (commit args, query results). */
interface DefinitionMessage {
    setSequence(value: number): void;
    setVersion(value: string): void;
    setEndorsementPlugin(value: string): void;
    setValidationPlugin(value: string): void;
    setValidationParameter(value: Uint8Array): void;
    setCollections(value?: peer.CollectionConfigPackage): void;
    setInitRequired(value: boolean): void;
}

/** Fills a definition message from a definition: default plugins, its policy, its collections. */
function fillDefinition<T extends DefinitionMessage>(
    message: T,
    d: { sequence: number; version: string; endorsementPolicy: string; collections: CollectionConfig[] },
): T {
    message.setSequence(d.sequence);
    message.setVersion(d.version);
    message.setEndorsementPlugin('escc');
    message.setValidationPlugin('vscc');
    message.setValidationParameter(applicationPolicy(d.endorsementPolicy).serializeBinary());
    if (d.collections.length > 0) message.setCollections(collectionPackage(d.collections));
    message.setInitRequired(false);
    return message;
}

// ---- helpers for the CLI ----

/** CommitChaincodeDefinitionArgs for a topology chaincode (what network/commands/lifecycle.ts submits through fabric-gateway). */
export function commitDefinitionArgs(cc: ChaincodeConfig): peer.lifecycle.CommitChaincodeDefinitionArgs {
    const args = fillDefinition(new peer.lifecycle.CommitChaincodeDefinitionArgs(), cc);
    args.setName(cc.name);
    return args;
}

/** The ChaincodeInput args of a _lifecycle call: [function, marshalled args]. */
export function lifecycleCallArgs(fn: string, args: { serializeBinary(): Uint8Array }): Uint8Array[] {
    return [Buffer.from(fn), args.serializeBinary()];
}

export function queryDefinitionArgs(name: string): peer.lifecycle.QueryChaincodeDefinitionArgs {
    const args = new peer.lifecycle.QueryChaincodeDefinitionArgs();
    args.setName(name);
    return args;
}

// ---- the system chaincode ----

export interface LifecycleOptions {
    /** Application MSP ids of the channel (collection members must be among them). */
    applicationOrgs(): string[];
}

export class Lifecycle implements SystemChaincode {
    readonly name = LIFECYCLE;
    readonly needsSimulator = true;

    constructor(private readonly options: LifecycleOptions) {}

    async invoke(inv: SccInvocation): Promise<peer.Response> {
        if (inv.args.length === 0) return failure('lifecycle scc must be invoked with arguments');
        if (inv.args.length !== 2) return failure(`lifecycle scc operations require exactly two arguments but received ${inv.args.length}`);
        const fn = utf8(inv.args[0]);
        // Fabric checks the ACL of `_lifecycle/<function>` before dispatching: an unknown function
        // is "Unmapped", a channel function asked without a channel fails the local MSP check.
        try {
            inv.checkACL(`_lifecycle/${fn}`);
        } catch (err) {
            return failure(`Failed to authorize invocation due to failed ACL check: ${(err as Error).message}`);
        }
        if (PEER_FUNCTIONS.has(fn)) {
            return failure(
                `failed to invoke backing implementation of '${fn}': LIFECYCLE_UNSUPPORTED: the devnet installs no chaincode packages and takes no approvals; its chaincode servers and definitions come from the topology (docs/devnet.md)`,
            );
        }
        const sim = inv.simulator;
        if (!sim) return failure('lifecycle scc needs a transaction simulator');
        try {
            switch (fn) {
                case COMMIT_CHAINCODE_DEFINITION:
                    this.#authorizeCommit(inv);
                    return success(await this.#commit(sim, decodeArgs(peer.lifecycle.CommitChaincodeDefinitionArgs, inv.args[1], fn)));
                case QUERY_CHAINCODE_DEFINITION:
                    return success(await this.#query(sim, decodeArgs(peer.lifecycle.QueryChaincodeDefinitionArgs, inv.args[1], fn)));
                case QUERY_CHAINCODE_DEFINITIONS:
                    decodeArgs(peer.lifecycle.QueryChaincodeDefinitionsArgs, inv.args[1], fn);
                    return success(await this.#queryAll(sim));
                default:
                    return failure(`failed to invoke backing implementation of '${fn}': receiver has no method named ${fn}`);
            }
        } catch (err) {
            if (err instanceof AclError) return failure(`Failed to authorize invocation due to failed ACL check: ${err.message}`);
            return failure(`failed to invoke backing implementation of '${fn}': ${(err as Error).message}`);
        }
    }

    #authorizeCommit(inv: SccInvocation): void {
        // Deviation: Fabric checks only the ACL (/Channel/Application/Writers) here and relies on
        // approvals by each org's admin; without approvals, the committer itself must be an org admin.
        if (inv.creator.role !== 'admin') {
            throw new AclError(
                `creator ${inv.creator.subject} (${inv.creator.mspId}) is not an admin: only an org admin may commit a chaincode definition`,
            );
        }
    }

    async #current(sim: TxSimulator, name: string): Promise<ChaincodeDefinition | undefined> {
        const bytes = await sim.getState(LIFECYCLE_NAMESPACE, definitionKey(name));
        return bytes && bytes.length > 0 ? parseDefinition(bytes) : undefined;
    }

    async #commit(sim: TxSimulator, args: peer.lifecycle.CommitChaincodeDefinitionArgs): Promise<Uint8Array> {
        const name = args.getName();
        const version = args.getVersion();
        if (!CHAINCODE_NAME.test(name)) {
            throw new LifecycleError(
                'CHAINCODE_NAME_INVALID',
                `invalid chaincode name '${name}'. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics`,
            );
        }
        if (SYSTEM_CHAINCODES.has(name))
            throw new LifecycleError('CHAINCODE_NAME_INVALID', `chaincode name '${name}' is the name of a system chaincode`);
        if (!CHAINCODE_VERSION.test(version)) {
            throw new LifecycleError(
                'CHAINCODE_VERSION_INVALID',
                `invalid chaincode version '${version}'. Versions can only consist of alphanumerics, '_', '-', '+', and '.'`,
            );
        }
        if (args.getInitRequired()) throw new LifecycleError('INIT_UNSUPPORTED', 'init_required is not supported by the devnet');
        const plugins: [string, string][] = [
            ['escc', args.getEndorsementPlugin()],
            ['vscc', args.getValidationPlugin()],
        ];
        for (const [expected, given] of plugins) {
            if (given !== '' && given !== expected)
                throw new LifecycleError('PLUGIN_UNSUPPORTED', `plugin '${given}' is not supported (only '${expected}')`);
        }
        const current = await this.#current(sim, name);
        const currentSequence = current?.sequence ?? 0;
        if (args.getSequence() !== currentSequence + 1) {
            throw new LifecycleError(
                'SEQUENCE_INVALID',
                `requested sequence is ${args.getSequence()}, but new definition must be sequence ${currentSequence + 1}`,
            );
        }
        const collections = collectionsFromPackage(args.getCollections());
        this.#validateCollections(collections, current?.collections ?? []);
        const definition: ChaincodeDefinition = {
            name,
            version,
            sequence: args.getSequence(),
            endorsementPolicy: endorsementPolicyText(args.getValidationParameter_asU8()),
            collections,
        };
        sim.putState(LIFECYCLE_NAMESPACE, definitionKey(name), serializeDefinition(definition));
        return new peer.lifecycle.CommitChaincodeDefinitionResult().serializeBinary();
    }

    #validateCollections(collections: CollectionConfig[], committed: CollectionConfig[]): void {
        const orgs = new Set(this.options.applicationOrgs());
        const seen = new Set<string>();
        for (const c of collections) {
            if (!COLLECTION_NAME.test(c.name)) {
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `invalid collection name '${c.name}'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`,
                );
            }
            if (seen.has(c.name))
                throw new LifecycleError('COLLECTION_INVALID', `collection-name: ${c.name} -- found duplicate in collection configuration`);
            seen.add(c.name);
            if (c.requiredPeerCount < 0)
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `collection-name: ${c.name} -- requiredPeerCount (${c.requiredPeerCount}) cannot be less than zero`,
                );
            if (c.maxPeerCount < c.requiredPeerCount) {
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `collection-name: ${c.name} -- maximum peer count (${c.maxPeerCount}) cannot be less than the required peer count (${c.requiredPeerCount})`,
                );
            }
            for (const match of c.policy.matchAll(/'([^'.]+)\.[a-z]+'/g)) {
                if (!orgs.has(match[1]))
                    throw new LifecycleError(
                        'COLLECTION_INVALID',
                        `collection-name: ${c.name} -- collection member '${match[1]}' is not part of the channel`,
                    );
            }
        }
        for (const old of committed) {
            const now = collections.find((c) => c.name === old.name);
            if (!now)
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `existing collection [${old.name}] missing in the proposed collection configuration`,
                );
            if (now.blockToLive !== old.blockToLive) {
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `the BlockToLive in an existing collection [${old.name}] modified. Existing value [${old.blockToLive}]`,
                );
            }
        }
    }

    async #query(sim: TxSimulator, args: peer.lifecycle.QueryChaincodeDefinitionArgs): Promise<Uint8Array> {
        const definition = await this.#current(sim, args.getName());
        if (!definition) throw new LifecycleError('CHAINCODE_NOT_DEFINED', `namespace ${args.getName()} is not defined`);
        return fillDefinition(new peer.lifecycle.QueryChaincodeDefinitionResult(), definition).serializeBinary();
    }

    async #queryAll(sim: TxSimulator): Promise<Uint8Array> {
        // '0' follows '/': the range covers every chaincode-definitions/<name> key.
        const page = await sim.getStateRange(LIFECYCLE_NAMESPACE, DEFINITION_PREFIX, 'chaincode-definitions0', 0, '');
        const result = new peer.lifecycle.QueryChaincodeDefinitionsResult();
        for (const kv of page.results) {
            const definition = parseDefinition(kv.value);
            const entry = fillDefinition(new peer.lifecycle.QueryChaincodeDefinitionsResult.ChaincodeDefinition(), definition);
            entry.setName(definition.name);
            result.addChaincodeDefinitions(entry);
        }
        return result.serializeBinary();
    }
}

class AclError extends Error {}

function decodeArgs<T>(type: { deserializeBinary(bytes: Uint8Array): T }, bytes: Uint8Array, fn: string): T {
    try {
        return type.deserializeBinary(bytes);
    } catch (err) {
        throw new LifecycleError('ARGS_INVALID', `failed to decode input arg to '${fn}': ${(err as Error).message}`);
    }
}
