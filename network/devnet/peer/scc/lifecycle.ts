// The devnet's _lifecycle system chaincode (Fabric's core/chaincode/lifecycle, scc.go and
// lifecycle.go), with Fabric's argument and result protobufs, state layout and messages:
//   - ApproveChaincodeDefinitionForMyOrg: the peer's own org's admin (the peer-local Admins ACL)
//     approves a definition for the peer's org; it is written to the org's implicit collection
//     `_implicit_org_<MSPID>` of namespace _lifecycle (so the transaction carries only hashes, and
//     is validated against the org's own /Channel/Application/<Org>/Endorsement policy);
//   - QueryApprovedChaincodeDefinition(s): the own org's approvals;
//   - CheckCommitReadiness: which orgs approved, from the hashes of every org's implicit collection;
//   - CommitChaincodeDefinition: refused unless the endorsing peer's own org approved; the commit
//     transaction is validated against /Channel/Application/LifecycleEndorsement, so enough orgs
//     must have approved for enough of their peers to endorse it;
//   - QueryChaincodeDefinition(s): the committed definitions, with each org's approval.
// Definitions and approvals are stored as Fabric stores them (lifecycle-state.ts).
// Deviations: there are no chaincode packages (InstallChaincode, QueryInstalledChaincode(s),
// GetInstalledChaincodePackage answer LIFECYCLE_UNSUPPORTED after the ACL check): an approval
// stores the package id it names, and a peer runs the chaincode server the topology gives it;
// init_required and plugins other than escc/vscc are refused.
import { common, msp, peer } from '@hyperledger/fabric-protos';
import type { ChaincodeConfig } from '../../../client/topology';
import type { TxSimulator } from '../ledger/types';
import { implicitCollectionName } from '../privdata/collections';
import {
    CHAINCODE_DEFINITION_TYPE,
    CHAINCODE_PARAMETERS_TYPE,
    CHAINCODE_SOURCES,
    CommittedDefinition,
    definitionStruct,
    DEFAULT_ENDORSEMENT_POLICY_REFERENCE,
    isSerialized,
    LIFECYCLE_NAMESPACE,
    LifecycleError,
    localPackageStruct,
    NAMESPACES,
    OpaqueState,
    Parameters,
    parametersDiff,
    parametersStruct,
    privateName,
    ReadWritableState,
    readCommittedDefinition,
    readInt64,
    readMetadata,
    readPackageId,
    readParameters,
    serialize,
    setDefaults,
    topologyParameters,
} from './lifecycle-state';
import { failure, SccInvocation, SystemChaincode, success, utf8 } from './scc';

export {
    applicationPolicy,
    collectionPackage,
    collectionsFromPackage,
    DEFAULT_ENDORSEMENT_POLICY_REFERENCE,
    endorsementPolicyText,
    LIFECYCLE_NAMESPACE,
    LifecycleError,
    signaturePolicyText,
} from './lifecycle-state';

export const LIFECYCLE = '_lifecycle';

export const APPROVE_CHAINCODE_DEFINITION = 'ApproveChaincodeDefinitionForMyOrg';
export const QUERY_APPROVED_CHAINCODE_DEFINITION = 'QueryApprovedChaincodeDefinition';
export const QUERY_APPROVED_CHAINCODE_DEFINITIONS = 'QueryApprovedChaincodeDefinitions';
export const CHECK_COMMIT_READINESS = 'CheckCommitReadiness';
export const COMMIT_CHAINCODE_DEFINITION = 'CommitChaincodeDefinition';
export const QUERY_CHAINCODE_DEFINITION = 'QueryChaincodeDefinition';
export const QUERY_CHAINCODE_DEFINITIONS = 'QueryChaincodeDefinitions';

/** _lifecycle functions of a peer's own packages (peer-wide resources in Fabric's ACLs), which the devnet does not have. */
const PACKAGE_FUNCTIONS = new Set([
    'InstallChaincode',
    'QueryInstalledChaincode',
    'QueryInstalledChaincodes',
    'GetInstalledChaincodePackage',
]);
const SYSTEM_CHAINCODES = new Set(['cscc', 'escc', 'lscc', 'qscc', 'vscc']);
const CHAINCODE_NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
const CHAINCODE_VERSION = /^[A-Za-z0-9_.+-]+$/;
const COLLECTION_NAME = /^[A-Za-z0-9-]+([A-Za-z0-9_-]+)*$/;

/** Fabric's ErrNamespaceNotDefined: answered with status 404 and the bare message. */
class NamespaceNotDefined extends LifecycleError {
    constructor(name: string) {
        super('CHAINCODE_NOT_DEFINED', `namespace ${name} is not defined`);
    }
}

// ---- helpers for the tooling ----

/** Fills a definition message (commit or readiness args, query results) from parameters. */
interface DefinitionMessage {
    setSequence(value: number): void;
    setVersion(value: string): void;
    setEndorsementPlugin(value: string): void;
    setValidationPlugin(value: string): void;
    setValidationParameter(value: Uint8Array): void;
    setCollections(value?: peer.CollectionConfigPackage): void;
    setInitRequired(value: boolean): void;
}

function fillDefinition<T extends DefinitionMessage>(message: T, sequence: number, p: Parameters): T {
    message.setSequence(sequence);
    message.setVersion(p.endorsementInfo.getVersion());
    message.setEndorsementPlugin(p.endorsementInfo.getEndorsementPlugin());
    message.setValidationPlugin(p.validationInfo.getValidationPlugin());
    message.setValidationParameter(p.validationInfo.getValidationParameter_asU8());
    message.setCollections(p.collections);
    message.setInitRequired(p.endorsementInfo.getInitRequired());
    return message;
}

type Definition = Pick<ChaincodeConfig, 'name' | 'version' | 'sequence' | 'endorsementPolicy' | 'collections'>;

/** CommitChaincodeDefinitionArgs for a topology chaincode (what network/commands/lifecycle.ts submits through fabric-gateway). */
export function commitDefinitionArgs(cc: Definition): peer.lifecycle.CommitChaincodeDefinitionArgs {
    const args = fillDefinition(new peer.lifecycle.CommitChaincodeDefinitionArgs(), cc.sequence, topologyParameters(cc));
    args.setName(cc.name);
    return args;
}

export function checkCommitReadinessArgs(cc: Definition): peer.lifecycle.CheckCommitReadinessArgs {
    const args = fillDefinition(new peer.lifecycle.CheckCommitReadinessArgs(), cc.sequence, topologyParameters(cc));
    args.setName(cc.name);
    return args;
}

/** A ChaincodeSource: the local package of this id, or "unavailable" for ''. */
export function chaincodeSource(packageId: string): peer.lifecycle.ChaincodeSource {
    const source = new peer.lifecycle.ChaincodeSource();
    if (packageId) {
        const local = new peer.lifecycle.ChaincodeSource.Local();
        local.setPackageId(packageId);
        source.setLocalPackage(local);
    } else {
        source.setUnavailable(new peer.lifecycle.ChaincodeSource.Unavailable());
    }
    return source;
}

/** ApproveChaincodeDefinitionForMyOrgArgs for a topology chaincode and a package id ('' = source unavailable). */
export function approveDefinitionArgs(cc: Definition, packageId: string): peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs {
    const args = fillDefinition(new peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs(), cc.sequence, topologyParameters(cc));
    args.setName(cc.name);
    args.setSource(chaincodeSource(packageId));
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
    /** This peer's org (Fabric's SCC.OrgMSPID): approvals are always for it. */
    mspId: string;
    /** MSP ids of the channel's application orgs, in channel order. */
    applicationOrgs(): string[];
    /** MSP ids the channel knows (application and orderer orgs): collection members must be among them. */
    channelMsps?(): string[];
    /** Whether the channel config defines a policy at this path (default: yes). */
    hasPolicy?(path: string): boolean;
}

/** The args every definition-carrying message shares. */
interface DefinitionArgs {
    getName(): string;
    getSequence(): number;
    getVersion(): string;
    getEndorsementPlugin(): string;
    getValidationPlugin(): string;
    getValidationParameter_asU8(): Uint8Array;
    getCollections(): peer.CollectionConfigPackage | undefined;
    getInitRequired(): boolean;
}

function parametersOf(args: DefinitionArgs): Parameters {
    const endorsementInfo = new peer.lifecycle.ChaincodeEndorsementInfo();
    endorsementInfo.setVersion(args.getVersion());
    endorsementInfo.setEndorsementPlugin(args.getEndorsementPlugin());
    endorsementInfo.setInitRequired(args.getInitRequired());
    const validationInfo = new peer.lifecycle.ChaincodeValidationInfo();
    validationInfo.setValidationPlugin(args.getValidationPlugin());
    validationInfo.setValidationParameter(args.getValidationParameter_asU8());
    const collections = new peer.CollectionConfigPackage();
    collections.setConfigList(args.getCollections()?.getConfigList() ?? []);
    return { endorsementInfo, validationInfo, collections };
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
        if (PACKAGE_FUNCTIONS.has(fn)) {
            return failure(
                `failed to invoke backing implementation of '${fn}': LIFECYCLE_UNSUPPORTED: the devnet installs no chaincode packages; its chaincode servers come from the topology and an approval stores the package id it names (docs/devnet.md)`,
            );
        }
        const sim = inv.simulator;
        if (!sim) return failure('lifecycle scc needs a transaction simulator');
        const call = new Call(sim, inv.channelId, this.options);
        try {
            switch (fn) {
                case APPROVE_CHAINCODE_DEFINITION:
                    return success(await call.approve(decodeArgs(peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs, inv.args[1], fn)));
                case QUERY_APPROVED_CHAINCODE_DEFINITION:
                    return success(
                        await call.queryApproved(decodeArgs(peer.lifecycle.QueryApprovedChaincodeDefinitionArgs, inv.args[1], fn)),
                    );
                case QUERY_APPROVED_CHAINCODE_DEFINITIONS:
                    decodeArgs(peer.lifecycle.QueryApprovedChaincodeDefinitionsArgs, inv.args[1], fn);
                    return success(await call.queryAllApproved());
                case CHECK_COMMIT_READINESS:
                    return success(await call.checkCommitReadiness(decodeArgs(peer.lifecycle.CheckCommitReadinessArgs, inv.args[1], fn)));
                case COMMIT_CHAINCODE_DEFINITION:
                    return success(await call.commit(decodeArgs(peer.lifecycle.CommitChaincodeDefinitionArgs, inv.args[1], fn)));
                case QUERY_CHAINCODE_DEFINITION:
                    return success(await call.query(decodeArgs(peer.lifecycle.QueryChaincodeDefinitionArgs, inv.args[1], fn)));
                case QUERY_CHAINCODE_DEFINITIONS:
                    decodeArgs(peer.lifecycle.QueryChaincodeDefinitionsArgs, inv.args[1], fn);
                    return success(await call.queryAll());
                default:
                    return failure(`failed to invoke backing implementation of '${fn}': receiver has no method named ${fn}`);
            }
        } catch (err) {
            if (err instanceof NamespaceNotDefined) {
                const res = new peer.Response();
                res.setStatus(404);
                res.setMessage(err.message);
                return res;
            }
            return failure(`failed to invoke backing implementation of '${fn}': ${(err as Error).message}`);
        }
    }
}

/** One invocation: the simulator seen as Fabric's public, private and opaque state shims. */
class Call {
    readonly public: ReadWritableState;
    readonly own: ReadWritableState;

    constructor(
        private readonly sim: TxSimulator,
        private readonly channelId: string,
        private readonly options: LifecycleOptions,
    ) {
        this.public = {
            get: (key) => sim.getState(LIFECYCLE_NAMESPACE, key),
            put: (key, value) => sim.putState(LIFECYCLE_NAMESPACE, key, value),
            del: (key) => sim.deleteState(LIFECYCLE_NAMESPACE, key),
        };
        const collection = implicitCollectionName(options.mspId);
        this.own = {
            get: (key) => sim.getPrivateData(LIFECYCLE_NAMESPACE, collection, key),
            put: (key, value) => sim.putPrivateData(LIFECYCLE_NAMESPACE, collection, key, value),
            del: (key) => sim.deletePrivateData(LIFECYCLE_NAMESPACE, collection, key),
        };
    }

    /** Every application org's implicit collection, by its hashes (Fabric's createOpaqueStates). */
    #opaqueStates(): { mspId: string; state: OpaqueState }[] {
        return this.options.applicationOrgs().map((mspId) => {
            const collection = implicitCollectionName(mspId);
            return {
                mspId,
                state: { collection, hash: (key: string) => this.sim.getPrivateDataHash(LIFECYCLE_NAMESPACE, collection, key) },
            };
        });
    }

    async #currentSequence(name: string): Promise<number> {
        try {
            return await readInt64(this.public, NAMESPACES, name, 'Sequence');
        } catch (err) {
            throw new LifecycleError('STATE_CORRUPT', `could not get current sequence: ${(err as Error).message}`);
        }
    }

    #defaults(p: Parameters): void {
        setDefaults(p, this.channelId, this.options.hasPolicy?.(DEFAULT_ENDORSEMENT_POLICY_REFERENCE) ?? true);
    }

    /** Fabric's QueryOrgApprovals: per org, whether its implicit collection holds these parameters at name#sequence. */
    async #approvals(
        name: string,
        sequence: number,
        p: Parameters,
    ): Promise<{ approvals: Map<string, boolean>; mismatches: Map<string, string[]> }> {
        const approvals = new Map<string, boolean>();
        const mismatches = new Map<string, string[]>();
        for (const { mspId, state } of this.#opaqueStates()) {
            const result = await isSerialized(state, NAMESPACES, privateName(name, sequence), parametersStruct(p));
            approvals.set(mspId, result.match);
            if (result.mismatches.length > 0) mismatches.set(mspId, result.mismatches);
        }
        return { approvals, mismatches };
    }

    // ---- approve ----

    async approve(args: peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs): Promise<Uint8Array> {
        const name = args.getName();
        await this.#validateInput(name, args.getVersion(), args.getCollections());
        devnetChecks(args);
        const source = args.getSource();
        const packageId =
            source?.getTypeCase() === peer.lifecycle.ChaincodeSource.TypeCase.LOCAL_PACKAGE
                ? (source.getLocalPackage()?.getPackageId() ?? '')
                : '';
        const p = parametersOf(args);
        const current = await this.#currentSequence(name);
        const requested = args.getSequence();
        if (current === requested && requested === 0)
            throw new LifecycleError('SEQUENCE_INVALID', 'requested sequence is 0, but first definable sequence number is 1');
        if (requested < current)
            throw new LifecycleError(
                'SEQUENCE_INVALID',
                `currently defined sequence ${current} is larger than requested sequence ${requested}`,
            );
        if (requested > current + 1)
            throw new LifecycleError(
                'SEQUENCE_INVALID',
                `requested sequence ${requested} is larger than the next available sequence number ${current + 1}`,
            );
        this.#defaults(p);
        const pn = privateName(name, requested);
        if (requested === current) {
            const metadata = await readMetadata(this.public, NAMESPACES, name);
            if (!metadata)
                throw new LifecycleError('STATE_CORRUPT', `missing metadata for currently committed sequence number (${current})`);
            const committed = await readCommittedDefinition(this.public, name);
            const diff = parametersDiff(committed!.parameters, p);
            if (diff)
                throw new LifecycleError(
                    'REDEFINE',
                    `attempted to redefine the current committed sequence (${current}) for namespace ${name} with different parameters: ${diff}`,
                );
            if (await this.#isAttemptToRedefine(pn, packageId, p))
                throw new LifecycleError(
                    'REDEFINE',
                    `attempted to redefine the current committed sequence (${current}) for namespace ${name}`,
                );
        }
        if (requested === current + 1 && (await this.#isAttemptToRedefine(pn, packageId, p))) {
            throw new LifecycleError(
                'REDEFINE',
                `attempted to redefine uncommitted sequence (${requested}) for namespace ${name} with unchanged content`,
            );
        }
        await serialize(this.own, NAMESPACES, pn, parametersStruct(p));
        await serialize(this.own, CHAINCODE_SOURCES, pn, localPackageStruct(packageId));
        return new peer.lifecycle.ApproveChaincodeDefinitionForMyOrgResult().serializeBinary();
    }

    /** Whether the org stored these very parameters and this package id already (Fabric's isAttemptToRedefine). */
    async #isAttemptToRedefine(pn: string, packageId: string, p: Parameters): Promise<boolean> {
        const metadata = await readMetadata(this.own, NAMESPACES, pn);
        if (!metadata) return false;
        if (metadata.getDatatype() !== CHAINCODE_PARAMETERS_TYPE)
            throw new LifecycleError(
                'STATE_CORRUPT',
                `could not deserialize namespace ${pn} as chaincode: type name mismatch '${CHAINCODE_PARAMETERS_TYPE}' != '${metadata.getDatatype()}'`,
            );
        const stored = await readParameters(this.own, NAMESPACES, pn);
        if (parametersDiff(stored, p) !== undefined) return false;
        const storedPackage = await readPackageId(this.own, pn);
        return storedPackage !== undefined && storedPackage === packageId;
    }

    // ---- queries of the own org's approvals ----

    async queryApproved(args: peer.lifecycle.QueryApprovedChaincodeDefinitionArgs): Promise<Uint8Array> {
        const name = args.getName();
        let sequence = args.getSequence();
        if (sequence === 0) {
            // The latest: the committed sequence, or the next one if this org approved it.
            const current = await this.#currentSequence(name);
            sequence = current;
            if (await readMetadata(this.own, NAMESPACES, privateName(name, current + 1))) sequence = current + 1;
        }
        const approved = await this.#approved(name, sequence);
        if (!approved)
            throw new LifecycleError(
                'NOT_APPROVED',
                `could not fetch approved chaincode definition (name: '${name}', sequence: '${sequence}') on channel '${this.channelId}'`,
            );
        const result = fillDefinition(new peer.lifecycle.QueryApprovedChaincodeDefinitionResult(), sequence, approved.parameters);
        result.setSource(approved.source);
        return result.serializeBinary();
    }

    async queryAllApproved(): Promise<Uint8Array> {
        const collection = implicitCollectionName(this.options.mspId);
        // '0' follows '/': the range covers every namespaces/metadata/<name>#<seq> key.
        const page = await this.sim.getPrivateDataRange(
            LIFECYCLE_NAMESPACE,
            collection,
            `${NAMESPACES}/metadata/`,
            `${NAMESPACES}/metadata0`,
        );
        const entries: { name: string; sequence: number; approved: { parameters: Parameters; source: peer.lifecycle.ChaincodeSource } }[] =
            [];
        for (const kv of page.results) {
            const pn = kv.key.slice(`${NAMESPACES}/metadata/`.length);
            const parts = pn.split('#');
            const sequence = parts.length === 2 ? Number(parts[1]) : Number.NaN;
            if (!Number.isSafeInteger(sequence))
                throw new LifecycleError('STATE_CORRUPT', `could not extract chaincode name and sequence number from metadata: ${pn}`);
            const approved = await this.#approved(parts[0], sequence);
            if (approved) entries.push({ name: parts[0], sequence, approved });
        }
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.sequence - b.sequence));
        const result = new peer.lifecycle.QueryApprovedChaincodeDefinitionsResult();
        for (const e of entries) {
            const d = fillDefinition(
                new peer.lifecycle.QueryApprovedChaincodeDefinitionsResult.ApprovedChaincodeDefinition(),
                e.sequence,
                e.approved.parameters,
            );
            d.setName(e.name);
            d.setSource(e.approved.source);
            result.addApprovedChaincodeDefinitions(d);
        }
        return result.serializeBinary();
    }

    /** Fabric's fetchApprovedChaincodeDefinition from the own implicit collection. */
    async #approved(
        name: string,
        sequence: number,
    ): Promise<{ parameters: Parameters; source: peer.lifecycle.ChaincodeSource } | undefined> {
        const pn = privateName(name, sequence);
        const metadata = await readMetadata(this.own, NAMESPACES, pn);
        if (!metadata) return undefined;
        if (metadata.getDatatype() !== CHAINCODE_PARAMETERS_TYPE)
            throw new LifecycleError('STATE_CORRUPT', `not a chaincode parameters type: ${metadata.getDatatype()}`);
        const parameters = await readParameters(this.own, NAMESPACES, pn);
        const packageId = await readPackageId(this.own, pn);
        if (packageId === undefined) throw new LifecycleError('STATE_CORRUPT', `could not fetch chaincode-source metadata for ${pn}`);
        return { parameters, source: chaincodeSource(packageId) };
    }

    // ---- readiness and commit ----

    async checkCommitReadiness(args: peer.lifecycle.CheckCommitReadinessArgs): Promise<Uint8Array> {
        const { approvals, mismatches } = await this.#readiness(args);
        const result = new peer.lifecycle.CheckCommitReadinessResult();
        for (const [org, ok] of approvals) result.getApprovalsMap().set(org, ok);
        for (const [org, items] of mismatches) {
            const m = new peer.lifecycle.CheckCommitReadinessResult.Mismatches();
            m.setItemsList(items);
            result.getMismatchesMap().set(org, m);
        }
        return result.serializeBinary();
    }

    /** Fabric's CheckCommitReadiness: the next sequence only, defaults applied, every org's approval by hashes. */
    async #readiness(args: DefinitionArgs): Promise<{ approvals: Map<string, boolean>; mismatches: Map<string, string[]>; p: Parameters }> {
        const name = args.getName();
        const current = await this.#currentSequence(name);
        if (args.getSequence() !== current + 1)
            throw new LifecycleError(
                'SEQUENCE_INVALID',
                `requested sequence is ${args.getSequence()}, but new definition must be sequence ${current + 1}`,
            );
        const p = parametersOf(args);
        this.#defaults(p);
        return { ...(await this.#approvals(name, args.getSequence(), p)), p };
    }

    async commit(args: peer.lifecycle.CommitChaincodeDefinitionArgs): Promise<Uint8Array> {
        const name = args.getName();
        await this.#validateInput(name, args.getVersion(), args.getCollections());
        devnetChecks(args);
        if (!this.options.applicationOrgs().includes(this.options.mspId))
            throw new LifecycleError(
                'NOT_A_MEMBER',
                "impossibly, this peer's org is processing requests for a channel it is not a member of",
            );
        const { approvals, p } = await this.#readiness(args);
        await serialize(this.public, NAMESPACES, name, definitionStruct(args.getSequence(), p));
        // The endorsing peer answers for its own org only; LifecycleEndorsement, checked when the
        // transaction is validated, decides whether enough orgs endorsed (approved).
        if (!approvals.get(this.options.mspId))
            throw new LifecycleError('NOT_AGREED', `chaincode definition not agreed to by this org (${this.options.mspId})`);
        return new peer.lifecycle.CommitChaincodeDefinitionResult().serializeBinary();
    }

    // ---- committed definitions ----

    async #committed(name: string): Promise<CommittedDefinition> {
        const committed = await readCommittedDefinition(this.public, name).catch((err: Error) => {
            throw new LifecycleError('STATE_CORRUPT', `could not deserialize namespace ${name} as chaincode: ${err.message}`);
        });
        if (!committed) throw new NamespaceNotDefined(name);
        return committed;
    }

    async query(args: peer.lifecycle.QueryChaincodeDefinitionArgs): Promise<Uint8Array> {
        const name = args.getName();
        const committed = await this.#committed(name);
        const { approvals } = await this.#approvals(name, committed.sequence, committed.parameters);
        const result = fillDefinition(new peer.lifecycle.QueryChaincodeDefinitionResult(), committed.sequence, committed.parameters);
        for (const [org, ok] of approvals) result.getApprovalsMap().set(org, ok);
        return result.serializeBinary();
    }

    async queryAll(): Promise<Uint8Array> {
        const page = await this.sim.getStateRange(LIFECYCLE_NAMESPACE, `${NAMESPACES}/metadata/`, `${NAMESPACES}/metadata0`, 0, '');
        const result = new peer.lifecycle.QueryChaincodeDefinitionsResult();
        for (const kv of page.results) {
            let datatype: string;
            try {
                datatype = peer.lifecycle.StateMetadata.deserializeBinary(kv.value).getDatatype();
            } catch {
                continue;
            }
            if (datatype !== CHAINCODE_DEFINITION_TYPE) continue;
            const name = kv.key.slice(`${NAMESPACES}/metadata/`.length);
            const committed = await this.#committed(name);
            const entry = fillDefinition(
                new peer.lifecycle.QueryChaincodeDefinitionsResult.ChaincodeDefinition(),
                committed.sequence,
                committed.parameters,
            );
            entry.setName(name);
            result.addChaincodeDefinitions(entry);
        }
        return result.serializeBinary();
    }

    // ---- validation of a definition (Fabric's validateInput) ----

    async #validateInput(name: string, version: string, collections: peer.CollectionConfigPackage | undefined): Promise<void> {
        try {
            await this.#validate(name, version, collections);
        } catch (err) {
            if (!(err instanceof LifecycleError)) throw err;
            throw new LifecycleError(err.code, `error validating chaincode definition: ${err.message}`);
        }
    }

    async #validate(name: string, version: string, collections: peer.CollectionConfigPackage | undefined): Promise<void> {
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
        const configs: peer.StaticCollectionConfig[] = [];
        for (const c of collections?.getConfigList() ?? []) {
            const s = c.getStaticCollectionConfig();
            if (!s) throw new LifecycleError('COLLECTION_INVALID', 'collection config contains unexpected payload type');
            configs.push(s);
        }
        const msps = new Set(this.options.channelMsps?.() ?? this.options.applicationOrgs());
        const seen = new Set<string>();
        for (const c of configs) {
            const cname = c.getName();
            if (!COLLECTION_NAME.test(cname)) {
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `invalid collection name '${cname}'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`,
                );
            }
            if (seen.has(cname))
                throw new LifecycleError('COLLECTION_INVALID', `collection-name: ${cname} -- found duplicate in collection configuration`);
            seen.add(cname);
            if (c.getMaximumPeerCount() < c.getRequiredPeerCount()) {
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `collection-name: ${cname} -- maximum peer count (${c.getMaximumPeerCount()}) cannot be less than the required peer count (${c.getRequiredPeerCount()})`,
                );
            }
            if (c.getRequiredPeerCount() < 0)
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `collection-name: ${cname} -- requiredPeerCount (${c.getRequiredPeerCount()}) cannot be less than zero`,
                );
            validateMemberOrgsPolicy(c, msps);
        }
        // Against the committed definition: every collection stays, with its blockToLive.
        const committed = await readCommittedDefinition(this.public, name).catch((err: Error) => {
            throw new LifecycleError('STATE_CORRUPT', `could not retrieve committed definition for chaincode '${name}': ${err.message}`);
        });
        const old = committed?.parameters.collections.getConfigList() ?? [];
        if (old.length === 0) return;
        if (configs.length === 0)
            throw new LifecycleError(
                'COLLECTION_INVALID',
                'the proposed collection config does not contain previously defined collections',
            );
        for (const o of old) {
            const s = o.getStaticCollectionConfig();
            if (!s) throw new LifecycleError('COLLECTION_INVALID', 'unknown collection configuration type');
            const now = configs.find((c) => c.getName() === s.getName());
            if (!now)
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `existing collection [${s.getName()}] missing in the proposed collection configuration`,
                );
            if (now.getBlockToLive() !== s.getBlockToLive())
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `the BlockToLive in an existing collection [${s.getName()}] modified. Existing value [${s.getBlockToLive()}]`,
                );
        }
    }
}

/** Fabric's validateCollectionConfigMemberOrgsPolicy: an OR of principals of orgs in the channel. */
function validateMemberOrgsPolicy(c: peer.StaticCollectionConfig, msps: Set<string>): void {
    const name = c.getName();
    const member = c.getMemberOrgsPolicy();
    if (!member) throw new LifecycleError('COLLECTION_INVALID', `collection member policy is not set for collection '${name}'`);
    const envelope = member.getSignaturePolicy();
    if (!envelope) throw new LifecycleError('COLLECTION_INVALID', `collection member org policy is empty for collection '${name}'`);
    const orOnly = (rule: common.SignaturePolicy | undefined): void => {
        const n = rule?.getNOutOf();
        if (!n) return;
        if (n.getN() !== 1)
            throw new LifecycleError(
                'COLLECTION_INVALID',
                `collection-name: ${name} -- error in member org policy: signature policy is not an OR concatenation, NOutOf ${n.getN()}`,
            );
        for (const r of n.getRulesList()) orOnly(r);
    };
    orOnly(envelope.getRule());
    for (const principal of envelope.getIdentitiesList()) {
        const kind = principal.getPrincipalClassification();
        let orgId: string;
        if (kind === msp.MSPPrincipal.Classification.ROLE)
            orgId = msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier();
        else if (kind === msp.MSPPrincipal.Classification.ORGANIZATION_UNIT)
            orgId = msp.OrganizationUnit.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier();
        else if (kind === msp.MSPPrincipal.Classification.IDENTITY) {
            if (!msps.has(msp.SerializedIdentity.deserializeBinary(principal.getPrincipal_asU8()).getMspid()))
                throw new LifecycleError(
                    'COLLECTION_INVALID',
                    `collection-name: ${name} -- contains an identity that is not part of the channel`,
                );
            continue;
        } else {
            const label = Object.entries(msp.MSPPrincipal.Classification).find(([, v]) => v === kind)?.[0] ?? String(kind);
            throw new LifecycleError('COLLECTION_INVALID', `collection-name: ${name} -- principal type ${label} is not supported`);
        }
        if (!msps.has(orgId))
            throw new LifecycleError(
                'COLLECTION_INVALID',
                `collection-name: ${name} -- collection member '${orgId}' is not part of the channel`,
            );
    }
}

/** What the devnet does not run: Init and custom endorsement or validation plugins. */
function devnetChecks(args: DefinitionArgs): void {
    if (args.getInitRequired()) throw new LifecycleError('INIT_UNSUPPORTED', 'init_required is not supported by the devnet');
    const plugins: [string, string][] = [
        ['escc', args.getEndorsementPlugin()],
        ['vscc', args.getValidationPlugin()],
    ];
    for (const [expected, given] of plugins) {
        if (given !== '' && given !== expected)
            throw new LifecycleError('PLUGIN_UNSUPPORTED', `plugin '${given}' is not supported (only '${expected}')`);
    }
}

function decodeArgs<T>(type: { deserializeBinary(bytes: Uint8Array): T }, bytes: Uint8Array, fn: string): T {
    try {
        return type.deserializeBinary(bytes);
    } catch (err) {
        throw new LifecycleError('ARGS_INVALID', `failed to decode input arg to '${fn}': ${(err as Error).message}`);
    }
}
