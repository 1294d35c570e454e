// How _lifecycle keeps chaincode definitions and approvals in state, as Fabric's
// core/chaincode/lifecycle (serializer.go, lifecycle.go): a struct is stored as a metadata key
// `<ns>/metadata/<name>` (lifecycle.StateMetadata: the Go type name and its field names, in
// order) and one key per field `<ns>/fields/<name>/<field>` (lifecycle.StateData: Int64, Bytes or
// String). Committed definitions live in public state (`namespaces/.../<chaincode>`: a
// ChaincodeDefinition); an org's approval in its implicit collection `_implicit_org_<MSPID>`
// (`namespaces/.../<chaincode>#<sequence>`: ChaincodeParameters, and
// `chaincode-sources/.../<chaincode>#<sequence>`: ChaincodeLocalPackage), of which every peer
// holds the hashes. Writes are minimal (a field whose bytes do not change is not written), reads go
// through the caller's state so that they land in the transaction's read set.
//
// Also here: the translation between these protobufs and the devnet's own view of a definition
// (ledger/types.ts ChaincodeDefinition: a policy text and CollectionConfig entries), which the
// validator, the gateway's planner and the topology use.
import { createHash } from 'node:crypto';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import type { CollectionConfig } from '../../../client/topology';
import { parseSignaturePolicy } from '../../common/policies';
import type { ChaincodeDefinition } from '../ledger/types';

export const LIFECYCLE_NAMESPACE = '_lifecycle';
/** Where definitions and approved parameters live (Fabric's NamespacesName). */
export const NAMESPACES = 'namespaces';
/** Where an org's approved package id lives (Fabric's ChaincodeSourcesName). */
export const CHAINCODE_SOURCES = 'chaincode-sources';
export const CHAINCODE_DEFINITION_TYPE = 'ChaincodeDefinition';
export const CHAINCODE_PARAMETERS_TYPE = 'ChaincodeParameters';
export const CHAINCODE_LOCAL_PACKAGE_TYPE = 'ChaincodeLocalPackage';
export const DEFAULT_ENDORSEMENT_POLICY_REFERENCE = '/Channel/Application/Endorsement';

export const metadataKey = (ns: string, name: string): string => `${ns}/metadata/${name}`;
export const fieldKey = (ns: string, name: string, field: string): string => `${ns}/fields/${name}/${field}`;
/** The name of an approval in an org's implicit collection: `<chaincode>#<sequence>`. */
export const privateName = (chaincode: string, sequence: number): string => `${chaincode}#${sequence}`;

export const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** A refusal with a stable code; its message is Fabric's wording where Fabric has one. */
export class LifecycleError extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

// ---- values ----

export type FieldValue = { int64: number } | { bytes: Uint8Array } | { string: string };

/** A Go struct as the serializer sees it: its type name and its fields in declaration order. */
export interface Struct {
    datatype: string;
    fields: [name: string, value: FieldValue][];
}

/** lifecycle.StateData with its oneof always set (Go writes `12 00` for empty bytes). */
export function stateData(value: FieldValue): Uint8Array {
    const d = new peer.lifecycle.StateData();
    if ('int64' in value) d.setInt64(value.int64);
    else if ('bytes' in value) d.setBytes(value.bytes);
    else d.setString(value.string);
    return d.serializeBinary();
}

export function stateMetadata(s: Struct): Uint8Array {
    const m = new peer.lifecycle.StateMetadata();
    m.setDatatype(s.datatype);
    m.setFieldsList(s.fields.map(([name]) => name));
    return m.serializeBinary();
}

/** The parameters of a definition that orgs approve (Fabric's ChaincodeParameters). */
export interface Parameters {
    endorsementInfo: peer.lifecycle.ChaincodeEndorsementInfo;
    validationInfo: peer.lifecycle.ChaincodeValidationInfo;
    collections: peer.CollectionConfigPackage;
}

export function parametersStruct(p: Parameters): Struct {
    return {
        datatype: CHAINCODE_PARAMETERS_TYPE,
        fields: [
            ['EndorsementInfo', { bytes: p.endorsementInfo.serializeBinary() }],
            ['ValidationInfo', { bytes: p.validationInfo.serializeBinary() }],
            ['Collections', { bytes: p.collections.serializeBinary() }],
        ],
    };
}

export function definitionStruct(sequence: number, p: Parameters): Struct {
    return { datatype: CHAINCODE_DEFINITION_TYPE, fields: [['Sequence', { int64: sequence }], ...parametersStruct(p).fields] };
}

export function localPackageStruct(packageId: string): Struct {
    return { datatype: CHAINCODE_LOCAL_PACKAGE_TYPE, fields: [['PackageID', { string: packageId }]] };
}

/** SHA-256 of StateData{String: packageId}: what the org's implicit collection hashes for a package id. */
export const packageIdHash = (packageId: string): Buffer => sha256(stateData({ string: packageId }));

// ---- state access ----

/** Readable state of one namespace or collection (public GetState, or GetPrivateData). */
export interface ReadableState {
    get(key: string): Promise<Uint8Array | undefined>;
}

export interface ReadWritableState extends ReadableState {
    put(key: string, value: Uint8Array): void;
    del(key: string): void;
}

/** Another org's implicit collection as every peer sees it: hashes only (GetPrivateDataHash). */
export interface OpaqueState {
    readonly collection: string;
    hash(key: string): Promise<Uint8Array | undefined>;
}

function decodeData(bytes: Uint8Array, key: string): peer.lifecycle.StateData {
    try {
        return peer.lifecycle.StateData.deserializeBinary(bytes);
    } catch (err) {
        throw new LifecycleError('STATE_CORRUPT', `could not unmarshal state for key ${key}: ${(err as Error).message}`);
    }
}

export async function readMetadata(state: ReadableState, ns: string, name: string): Promise<peer.lifecycle.StateMetadata | undefined> {
    const bytes = await state.get(metadataKey(ns, name));
    if (!bytes || bytes.length === 0) return undefined;
    try {
        return peer.lifecycle.StateMetadata.deserializeBinary(bytes);
    } catch (err) {
        throw new LifecycleError('STATE_CORRUPT', `could not unmarshal metadata for namespace ${ns}/${name}: ${(err as Error).message}`);
    }
}

const TYPE_NAMES: Record<number, string> = {
    1: '*lifecycle.StateData_Int64',
    2: '*lifecycle.StateData_Bytes',
    3: '*lifecycle.StateData_String_',
};

/** DeserializeFieldAsInt64: 0 when the key is absent. */
export async function readInt64(state: ReadableState, ns: string, name: string, field: string): Promise<number> {
    const key = fieldKey(ns, name, field);
    const bytes = await state.get(key);
    if (!bytes || bytes.length === 0) return 0;
    const d = decodeData(bytes, key);
    if (d.getTypeCase() !== peer.lifecycle.StateData.TypeCase.INT64)
        throw new LifecycleError(
            'STATE_CORRUPT',
            `expected key ${key} to encode a value of type Int64, but was ${TYPE_NAMES[d.getTypeCase()] ?? '<nil>'}`,
        );
    return d.getInt64();
}

async function readBytes(state: ReadableState, ns: string, name: string, field: string): Promise<Uint8Array> {
    const key = fieldKey(ns, name, field);
    const bytes = await state.get(key);
    if (!bytes || bytes.length === 0) return new Uint8Array(0);
    const d = decodeData(bytes, key);
    if (d.getTypeCase() !== peer.lifecycle.StateData.TypeCase.BYTES)
        throw new LifecycleError(
            'STATE_CORRUPT',
            `expected key ${key} to encode a value of type []byte, but was ${TYPE_NAMES[d.getTypeCase()] ?? '<nil>'}`,
        );
    return d.getBytes_asU8();
}

async function readString(state: ReadableState, ns: string, name: string, field: string): Promise<string> {
    const key = fieldKey(ns, name, field);
    const bytes = await state.get(key);
    if (!bytes || bytes.length === 0) return '';
    const d = decodeData(bytes, key);
    if (d.getTypeCase() !== peer.lifecycle.StateData.TypeCase.STRING)
        throw new LifecycleError(
            'STATE_CORRUPT',
            `expected key ${ns}/fields/${name}/${field} to encode a value of type String, but was ${TYPE_NAMES[d.getTypeCase()] ?? '<nil>'}`,
        );
    return d.getString();
}

async function readProto<T>(
    state: ReadableState,
    ns: string,
    name: string,
    field: string,
    type: { deserializeBinary(b: Uint8Array): T },
    typeName: string,
): Promise<T> {
    const bytes = await readBytes(state, ns, name, field);
    try {
        return type.deserializeBinary(bytes);
    } catch (err) {
        throw new LifecycleError(
            'STATE_CORRUPT',
            `could not unmarshal key ${fieldKey(ns, name, field)} to ${typeName}: ${(err as Error).message}`,
        );
    }
}

/** The ChaincodeParameters fields of a stored struct (a definition or an approval). */
export async function readParameters(state: ReadableState, ns: string, name: string): Promise<Parameters> {
    return {
        endorsementInfo: await readProto(
            state,
            ns,
            name,
            'EndorsementInfo',
            peer.lifecycle.ChaincodeEndorsementInfo,
            '*lifecycle.ChaincodeEndorsementInfo',
        ),
        validationInfo: await readProto(
            state,
            ns,
            name,
            'ValidationInfo',
            peer.lifecycle.ChaincodeValidationInfo,
            '*lifecycle.ChaincodeValidationInfo',
        ),
        collections: await readProto(state, ns, name, 'Collections', peer.CollectionConfigPackage, '*peer.CollectionConfigPackage'),
    };
}

/** Fabric's Serializer.Deserialize type check. */
function checkType(metadata: peer.lifecycle.StateMetadata, expected: string): void {
    if (metadata.getDatatype() !== expected)
        throw new LifecycleError('STATE_CORRUPT', `type name mismatch '${expected}' != '${metadata.getDatatype()}'`);
}

export async function readPackageId(state: ReadableState, name: string): Promise<string | undefined> {
    const metadata = await readMetadata(state, CHAINCODE_SOURCES, name);
    if (!metadata) return undefined;
    if (metadata.getDatatype() !== CHAINCODE_LOCAL_PACKAGE_TYPE)
        throw new LifecycleError('STATE_CORRUPT', `not a chaincode local package type: ${metadata.getDatatype()}`);
    return readString(state, CHAINCODE_SOURCES, name, 'PackageID');
}

/** A committed definition: its sequence and parameters (QueryChaincodeDefinition's view). */
export interface CommittedDefinition {
    sequence: number;
    parameters: Parameters;
}

/** The committed definition of a chaincode from public state, undefined when there is none. */
export async function readCommittedDefinition(state: ReadableState, name: string): Promise<CommittedDefinition | undefined> {
    const metadata = await readMetadata(state, NAMESPACES, name);
    if (!metadata) return undefined;
    checkType(metadata, CHAINCODE_DEFINITION_TYPE);
    return { sequence: await readInt64(state, NAMESPACES, name, 'Sequence'), parameters: await readParameters(state, NAMESPACES, name) };
}

/**
 * Fabric's Serializer.Serialize: every field is written unless its bytes are already there; the
 * metadata only when the type or the number of fields changed or stale field keys exist, which
 * are deleted. Reads the metadata and the existing field keys first (they join the read set).
 */
export async function serialize(state: ReadWritableState, ns: string, name: string, s: Struct): Promise<void> {
    const metadata = await readMetadata(state, ns, name);
    const existing = new Map<string, Uint8Array | undefined>();
    for (const field of metadata?.getFieldsList() ?? []) {
        const key = fieldKey(ns, name, field);
        existing.set(key, await state.get(key));
    }
    for (const [field, value] of s.fields) {
        const key = fieldKey(ns, name, field);
        const bytes = stateData(value);
        const old = existing.get(key);
        if (!existing.has(key) || !old || !Buffer.from(old).equals(Buffer.from(bytes))) state.put(key, bytes);
        existing.delete(key);
    }
    if (existing.size > 0 || metadata?.getDatatype() !== s.datatype || metadata.getFieldsList().length !== s.fields.length) {
        state.put(metadataKey(ns, name), stateMetadata(s));
    }
    for (const key of existing.keys()) state.del(key);
}

/**
 * Fabric's Serializer.IsSerialized, on hashes: whether the struct is stored under the name, and
 * which fields differ. A metadata mismatch (nothing, or another type, stored) names the type.
 */
export async function isSerialized(
    state: OpaqueState,
    ns: string,
    name: string,
    s: Struct,
): Promise<{ match: boolean; mismatches: string[] }> {
    const metadataHash = await state.hash(metadataKey(ns, name));
    const fieldHashes = new Map<string, Uint8Array | undefined>();
    for (const [field] of s.fields) fieldHashes.set(field, await state.hash(fieldKey(ns, name, field)));
    if (!metadataHash || !sha256(stateMetadata(s)).equals(Buffer.from(metadataHash))) return { match: false, mismatches: [s.datatype] };
    const mismatches: string[] = [];
    for (const [field, value] of s.fields) {
        const stored = fieldHashes.get(field);
        if (!stored || !sha256(stateData(value)).equals(Buffer.from(stored))) mismatches.push(field);
    }
    return { match: mismatches.length === 0, mismatches };
}

// ---- defaults, comparison ----

/**
 * Fabric's SetChaincodeDefinitionDefaults: escc, vscc, and the channel's Endorsement policy when
 * no validation parameter is given (which the channel must define).
 */
export function setDefaults(p: Parameters, channelId: string, hasDefaultPolicy: boolean): void {
    if (p.endorsementInfo.getEndorsementPlugin() === '') p.endorsementInfo.setEndorsementPlugin('escc');
    if (p.validationInfo.getValidationPlugin() === '') p.validationInfo.setValidationPlugin('vscc');
    if (p.validationInfo.getValidationParameter_asU8().length === 0) {
        if (!hasDefaultPolicy)
            throw new LifecycleError(
                'POLICY_NOT_FOUND',
                `could not set defaults for chaincode definition in channel ${channelId}: policy '${DEFAULT_ENDORSEMENT_POLICY_REFERENCE}' must be defined for channel '${channelId}' before chaincode operations can be attempted`,
            );
        const ref = new peer.ApplicationPolicy();
        ref.setChannelConfigPolicyReference(DEFAULT_ENDORSEMENT_POLICY_REFERENCE);
        p.validationInfo.setValidationParameter(ref.serializeBinary());
    }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Fabric's ChaincodeParameters.Equal: the first difference, in Fabric's words; undefined when equal. */
export function parametersDiff(expected: Parameters, passed: Parameters): string | undefined {
    const [a, b] = [expected.endorsementInfo, passed.endorsementInfo];
    if (a.getVersion() !== b.getVersion()) return `expected Version '${a.getVersion()}' does not match passed Version '${b.getVersion()}'`;
    if (a.getEndorsementPlugin() !== b.getEndorsementPlugin())
        return `expected EndorsementPlugin '${a.getEndorsementPlugin()}' does not match passed EndorsementPlugin '${b.getEndorsementPlugin()}'`;
    if (a.getInitRequired() !== b.getInitRequired())
        return `expected InitRequired '${a.getInitRequired()}' does not match passed InitRequired '${b.getInitRequired()}'`;
    const [v, w] = [expected.validationInfo, passed.validationInfo];
    if (v.getValidationPlugin() !== w.getValidationPlugin())
        return `expected ValidationPlugin '${v.getValidationPlugin()}' does not match passed ValidationPlugin '${w.getValidationPlugin()}'`;
    if (hex(v.getValidationParameter_asU8()) !== hex(w.getValidationParameter_asU8()))
        return `expected ValidationParameter '${hex(v.getValidationParameter_asU8())}' does not match passed ValidationParameter '${hex(w.getValidationParameter_asU8())}'`;
    if (hex(expected.collections.serializeBinary()) !== hex(passed.collections.serializeBinary())) return 'Collections do not match';
    return undefined;
}

// ---- policies and collections: protobuf <-> the devnet's texts ----

const ROLE_NAMES: Record<number, string> = {
    [msp.MSPRole.MSPRoleType.MEMBER]: 'member',
    [msp.MSPRole.MSPRoleType.ADMIN]: 'admin',
    [msp.MSPRole.MSPRoleType.CLIENT]: 'client',
    [msp.MSPRole.MSPRoleType.PEER]: 'peer',
    [msp.MSPRole.MSPRoleType.ORDERER]: 'orderer',
};
const IMPLICIT_META = /^(ANY|ALL|MAJORITY) [A-Za-z0-9_]+$/;

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

/** A CollectionConfigPackage from collections_config.json entries, as the peer CLI builds it. */
export function collectionPackage(collections: CollectionConfig[]): peer.CollectionConfigPackage {
    const pkg = new peer.CollectionConfigPackage();
    pkg.setConfigList(
        collections.map((c) => {
            const s = new peer.StaticCollectionConfig();
            s.setName(c.name);
            const member = new peer.CollectionPolicyConfig();
            member.setSignaturePolicy(parseSignaturePolicy(c.policy));
            s.setMemberOrgsPolicy(member);
            s.setRequiredPeerCount(c.requiredPeerCount ?? 0);
            s.setMaximumPeerCount(c.maxPeerCount ?? 0);
            s.setBlockToLive(c.blockToLive ?? 0);
            s.setMemberOnlyRead(c.memberOnlyRead ?? false);
            s.setMemberOnlyWrite(c.memberOnlyWrite ?? false);
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

export function collectionsFromPackage(pkg: peer.CollectionConfigPackage | undefined): CollectionConfig[] {
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

/** The parameters of a topology chaincode, as `peer lifecycle chaincode approveformyorg` would send them (defaults applied). */
export function topologyParameters(d: { version: string; endorsementPolicy: string; collections: CollectionConfig[] }): Parameters {
    const endorsementInfo = new peer.lifecycle.ChaincodeEndorsementInfo();
    endorsementInfo.setVersion(d.version);
    endorsementInfo.setEndorsementPlugin('escc');
    const validationInfo = new peer.lifecycle.ChaincodeValidationInfo();
    validationInfo.setValidationPlugin('vscc');
    validationInfo.setValidationParameter(applicationPolicy(d.endorsementPolicy).serializeBinary());
    return { endorsementInfo, validationInfo, collections: collectionPackage(d.collections) };
}

/** The devnet's view of a committed definition (what the validator and the gateway's planner use). */
export function ledgerDefinition(name: string, committed: CommittedDefinition): ChaincodeDefinition {
    const p = committed.parameters;
    return {
        name,
        version: p.endorsementInfo.getVersion(),
        sequence: committed.sequence,
        endorsementPolicy: endorsementPolicyText(p.validationInfo.getValidationParameter_asU8()),
        collections: collectionsFromPackage(p.collections),
    };
}

/**
 * The lifecycle cache's view of the local org (Fabric's cache.go): whether the org approved the
 * committed parameters at the committed sequence (hashes of its implicit collection) and with a
 * package id (a non-empty one: the devnet runs the chaincode server the topology names).
 */
export async function localApproval(
    own: OpaqueState,
    name: string,
    committed: CommittedDefinition,
): Promise<'approved' | 'not-approved' | 'no-package'> {
    const pn = privateName(name, committed.sequence);
    const { match } = await isSerialized(own, NAMESPACES, pn, parametersStruct(committed.parameters));
    if (!match) return 'not-approved';
    const metadataHash = await own.hash(metadataKey(CHAINCODE_SOURCES, pn));
    if (!metadataHash || !sha256(stateMetadata(localPackageStruct(''))).equals(Buffer.from(metadataHash))) return 'no-package';
    const pkgHash = await own.hash(fieldKey(CHAINCODE_SOURCES, pn, 'PackageID'));
    if (!pkgHash || packageIdHash('').equals(Buffer.from(pkgHash))) return 'no-package';
    return 'approved';
}
