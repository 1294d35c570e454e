// The endorser (Fabric's core/endorser): unpacks and validates a signed
// proposal, refuses replays and creators outside /Channel/Application/Writers, simulates the
// chaincode (a shim chaincode through chaincode support, or an in-process system chaincode) and
// signs the ProposalResponsePayload. Failures before simulation are thrown (Fabric returns them
// as a gRPC error); failures of the simulation come back as a response with status 500.
import { createHash, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, ledger as ledgerpb, msp, peer } from '@hyperledger/fabric-protos';
import { parseSignaturePolicy, type SignedData, satisfiesSignaturePolicy } from '../common/policies';
import { identityExpiresAt, type SigningIdentity } from '../msp/identity';
import type { VerifiedIdentity } from '../msp/msp';
import type { CollectionConfig } from '../../client/topology';
import type { ChaincodeExecutor } from './chaincode/support';
import type { ChaincodeDefinition, PeerLedger, SimulationResults, TxSimulator } from './ledger/types';
import { aclPolicy } from './aclmgmt';
import { SYSCC_VERSION, SystemChaincode } from './scc/scc';
import { allCollections, collectionConfig, DisseminationPolicy } from './privdata/collections';
import type { PrivateDataDistributor } from './privdata/distributor';

/** Fabric's shim.ERRORTHRESHOLD: a chaincode response at or above it is not endorsed. */
export const ERROR_THRESHOLD = 400;
/** Fabric's shim.ERROR. */
export const ERROR = 500;

/** The parts of the channel's MspManager the endorser uses. */
export interface IdentityVerifier {
    verify(serialized: Uint8Array, data: Uint8Array, signature: Uint8Array): VerifiedIdentity;
}

/** The part of the channel's PolicyManager the endorser uses. */
export interface PolicyEvaluator {
    evaluate(policy: string, signedData: SignedData[]): { ok: boolean; reason?: string };
    /** On an already verified creator: spares a second ECDSA verification per proposal. */
    evaluateIdentities?(policy: string, identities: VerifiedIdentity[]): boolean;
}

/** Whether an identity satisfies a collection's member orgs policy (signature policy text). */
export type MembershipCheck = (policy: string, identity: VerifiedIdentity) => boolean;

/** The default membership check: the collection's member policy evaluated on the creator alone (parsed once per text). */
export function collectionMembership(): MembershipCheck {
    const parsed = new Map<string, common.SignaturePolicyEnvelope>();
    return (policy, identity) => {
        let envelope = parsed.get(policy);
        if (!envelope) {
            envelope = parseSignaturePolicy(policy);
            parsed.set(policy, envelope);
        }
        return satisfiesSignaturePolicy(envelope, [identity]);
    };
}

export interface EndorserOptions {
    channelId: string;
    ledger: PeerLedger;
    msps: IdentityVerifier;
    /**
     * The peer's local MSP (its msp folder, crls/ included): deserializes the creators of
     * channelless proposals and of peer-wide resources, as Fabric's mspmgmt.GetLocalMSP. The
     * channel's MSPs when not given.
     */
    localMsp?: IdentityVerifier;
    policies: PolicyEvaluator;
    /** The peer's own identity: signs endorsements. */
    signer: SigningIdentity;
    chaincodes: ChaincodeExecutor;
    /** In-process system chaincodes by name (qscc, _lifecycle). */
    systemChaincodes: SystemChaincode[];
    isCollectionMember: MembershipCheck;
    /** The channel config's ACLs (resource -> policy path), read at each check; Fabric's defaults apply to the rest. */
    channelAcls?(): ReadonlyMap<string, string>;
    /** MSP ids of the channel's application orgs: each has an implicit collection in every chaincode. */
    channelOrgs?(): string[];
    /** Disseminates private data at endorsement (absent: kept on this peer only). */
    distributor?: PrivateDataDistributor;
    /** peer.gossip.pvtData.implicitCollectionDisseminationPolicy for this peer's own implicit collection. */
    implicitDissemination?: DisseminationPolicy;
    log?(message: string, fields?: Record<string, unknown>): void;
}

/** Stable codes of the refusals thrown by processProposal. */
export type EndorserErrorCode =
    | 'PROPOSAL_MALFORMED'
    | 'HEADER_TYPE_INVALID'
    | 'EPOCH_INVALID'
    | 'NONCE_EMPTY'
    | 'CREATOR_EMPTY'
    | 'TXID_MISMATCH'
    | 'SIGNATURE_EMPTY'
    | 'CREATOR_MALFORMED'
    | 'ACCESS_DENIED'
    | 'DUPLICATE_TXID'
    | 'IDENTITY_EXPIRED';

/** A proposal refused before simulation; `response` is what Fabric's endorser returns next to the error. */
/** Whether the creator carries a parseable certificate (only asked on the refusal path). */
function certificateParses(serialized: msp.SerializedIdentity): boolean {
    try {
        new X509Certificate(Buffer.from(serialized.getIdBytes_asU8()));
        return true;
    } catch {
        return false;
    }
}

export class EndorserError extends Error {
    readonly response: peer.ProposalResponse;
    constructor(
        readonly code: EndorserErrorCode,
        message: string,
    ) {
        super(message);
        this.response = failedProposalResponse(message);
    }
}

export function failedProposalResponse(message: string, status = ERROR): peer.ProposalResponse {
    const res = new peer.Response();
    res.setStatus(status);
    res.setMessage(message);
    const pr = new peer.ProposalResponse();
    pr.setResponse(res);
    return pr;
}

/** A signed proposal taken apart (Fabric's UnpackedProposal). */
export interface UnpackedProposal {
    signedProposal: peer.SignedProposal;
    proposal: peer.Proposal;
    channelHeader: common.ChannelHeader;
    signatureHeader: common.SignatureHeader;
    chaincodeName: string;
    input: peer.ChaincodeInput;
    transient: Map<string, Uint8Array>;
    /** SHA-256(channel header ‖ signature header ‖ proposal payload without its transient map). */
    proposalHash: Uint8Array;
}

function decode<T>(type: { deserializeBinary(b: Uint8Array): T }, bytes: Uint8Array, what: string): T {
    try {
        return type.deserializeBinary(bytes);
    } catch (err) {
        throw new EndorserError('PROPOSAL_MALFORMED', `error unmarshalling ${what}: ${(err as Error).message}`);
    }
}

export function unpackProposal(sp: peer.SignedProposal): UnpackedProposal {
    const proposal = decode(peer.Proposal, sp.getProposalBytes_asU8(), 'Proposal');
    const header = decode(common.Header, proposal.getHeader_asU8(), 'Header');
    const channelHeaderBytes = header.getChannelHeader_asU8();
    const signatureHeaderBytes = header.getSignatureHeader_asU8();
    const channelHeader = decode(common.ChannelHeader, channelHeaderBytes, 'ChannelHeader');
    const signatureHeader = decode(common.SignatureHeader, signatureHeaderBytes, 'SignatureHeader');
    const extension = decode(peer.ChaincodeHeaderExtension, channelHeader.getExtension_asU8(), 'ChaincodeHeaderExtension');
    const ccId = extension.getChaincodeId();
    if (!ccId) throw new EndorserError('PROPOSAL_MALFORMED', 'ChaincodeHeaderExtension.ChaincodeId is nil');
    if (!ccId.getName()) throw new EndorserError('PROPOSAL_MALFORMED', 'ChaincodeHeaderExtension.ChaincodeId.Name is empty');
    const payload = decode(peer.ChaincodeProposalPayload, proposal.getPayload_asU8(), 'ChaincodeProposalPayload');
    const spec = decode(peer.ChaincodeInvocationSpec, payload.getInput_asU8(), 'ChaincodeInvocationSpec').getChaincodeSpec();
    if (!spec) throw new EndorserError('PROPOSAL_MALFORMED', 'chaincode invocation spec did not contain chaincode spec');
    const input = spec.getInput();
    if (!input) throw new EndorserError('PROPOSAL_MALFORMED', 'chaincode input did not contain any input');
    const transient = new Map<string, Uint8Array>();
    payload.getTransientmapMap().forEach((value: Uint8Array | string, key: string) => {
        transient.set(key, typeof value === 'string' ? Buffer.from(value, 'base64') : value);
    });
    // The transient map never reaches the ledger: the hash covers the payload without it.
    const withoutTransient = new peer.ChaincodeProposalPayload();
    withoutTransient.setInput(payload.getInput_asU8());
    const proposalHash = createHash('sha256')
        .update(channelHeaderBytes)
        .update(signatureHeaderBytes)
        .update(withoutTransient.serializeBinary())
        .digest();
    return {
        signedProposal: sp,
        proposal,
        channelHeader,
        signatureHeader,
        chaincodeName: ccId.getName(),
        input,
        transient,
        proposalHash: new Uint8Array(proposalHash),
    };
}

const computeTxId = (nonce: Uint8Array, creator: Uint8Array): string => createHash('sha256').update(nonce).update(creator).digest('hex');

interface EndorsementInfo {
    version: string;
    collections: CollectionConfig[];
    system?: SystemChaincode;
}

export class Endorser {
    readonly #scc: Map<string, SystemChaincode>;

    constructor(private readonly options: EndorserOptions) {
        this.#scc = new Map(options.systemChaincodes.map((s) => [s.name, s]));
    }

    /**
     * Endorses (or, for the gateway's Evaluate, just simulates) a signed proposal. Throws an
     * EndorserError for a proposal that cannot be processed; resolves a ProposalResponse otherwise.
     */
    async processProposal(sp: peer.SignedProposal, opts: { isEvaluate?: boolean } = {}): Promise<peer.ProposalResponse> {
        const up = unpackProposal(sp);
        // Fabric's ExpirationCheck auth filter (core/handlers/auth/filter), in front of the
        // endorser for the Endorser service and the peer's gateway alike: the MSP itself ignores
        // a certificate's expiry.
        const expiresAt = identityExpiresAt(up.signatureHeader.getCreator_asU8());
        if (expiresAt && Date.now() > expiresAt.getTime()) throw new EndorserError('IDENTITY_EXPIRED', 'proposal client identity expired');
        const channelId = up.channelHeader.getChannelId();
        // An empty channel id is Fabric's channelless proposal (the peer CLI's qscc and cscc
        // queries name the channel in their arguments): checked against the local MSP, never endorsed.
        if (channelId !== '' && channelId !== this.options.channelId) return failedProposalResponse(`channel '${channelId}' not found`);
        const creator = await this.#preProcess(up);
        try {
            return await this.#simulateAndEndorse(up, creator, opts.isEvaluate ?? false);
        } catch (err) {
            const message = (err as Error).message;
            this.options.log?.('failed to invoke chaincode', {
                txId: up.channelHeader.getTxId(),
                chaincode: up.chaincodeName,
                error: message,
            });
            return failedProposalResponse(message);
        }
    }

    /** Fabric's preProcess: header checks, creator and signature, replay, ACL. */
    async #preProcess(up: UnpackedProposal): Promise<VerifiedIdentity> {
        const ch = up.channelHeader;
        const sh = up.signatureHeader;
        const channelId = ch.getChannelId();
        const invalid = (code: EndorserErrorCode, message: string) => new EndorserError(code, `error validating proposal: ${message}`);
        // Fabric's UnpackedProposal.Validate lets CONFIG through as well.
        if (ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION && ch.getType() !== common.HeaderType.CONFIG) {
            throw invalid('HEADER_TYPE_INVALID', `invalid header type ${headerTypeName(ch.getType())}`);
        }
        if (ch.getEpoch() !== 0) throw invalid('EPOCH_INVALID', 'epoch is non-zero');
        const nonce = sh.getNonce_asU8();
        const creatorBytes = sh.getCreator_asU8();
        if (nonce.length === 0) throw invalid('NONCE_EMPTY', 'nonce is empty');
        if (creatorBytes.length === 0) throw invalid('CREATOR_EMPTY', 'creator is empty');
        const expected = computeTxId(nonce, creatorBytes);
        if (ch.getTxId() !== expected)
            throw invalid('TXID_MISMATCH', `incorrectly computed txid '${ch.getTxId()}' -- expected '${expected}'`);
        const proposalBytes = up.signedProposal.getProposalBytes_asU8();
        const signature = up.signedProposal.getSignature_asU8();
        if (signature.length === 0) throw invalid('SIGNATURE_EMPTY', 'empty signature bytes');
        let serialized: msp.SerializedIdentity;
        try {
            serialized = msp.SerializedIdentity.deserializeBinary(creatorBytes);
        } catch {
            throw invalid('CREATOR_MALFORMED', `access denied: channel [${channelId}] creator org unknown, creator is malformed`);
        }
        const mspId = serialized.getMspid();
        // Channelless: the local MSP deserializes the creator, so only the peer's own org is known.
        if (channelId === '' && mspId !== this.options.signer.mspId) {
            throw invalid('CREATOR_MALFORMED', 'access denied: channel [] creator org unknown, creator is malformed');
        }
        let creator: VerifiedIdentity;
        try {
            const verifier = channelId === '' ? (this.options.localMsp ?? this.options.msps) : this.options.msps;
            creator = verifier.verify(creatorBytes, proposalBytes, signature);
        } catch (err) {
            const code = (err as { code?: string }).code;
            this.options.log?.('access denied', { txId: ch.getTxId(), mspId, reason: (err as Error).message });
            // Fabric: an identity that does not deserialize (unknown MSP, no certificate) is
            // "malformed"; one that deserializes but does not validate or verify names its org.
            if (code === 'MSP_UNKNOWN' || (code === 'IDENTITY_INVALID' && !certificateParses(serialized))) {
                throw invalid('CREATOR_MALFORMED', `access denied: channel [${channelId}] creator org unknown, creator is malformed`);
            }
            throw invalid('ACCESS_DENIED', `access denied: channel [${channelId}] creator org [${mspId}]`);
        }
        // Channelless proposals cannot be ordered: no replay check, no channel ACL (Fabric's preProcess).
        if (channelId === '') return creator;
        if (await this.options.ledger.blocks.getTxLocation(ch.getTxId())) {
            throw new EndorserError(
                'DUPLICATE_TXID',
                `duplicate transaction found [${ch.getTxId()}]. Creator [${Buffer.from(creatorBytes).toString('hex')}]`,
            );
        }
        if (!this.#scc.has(up.chaincodeName)) {
            try {
                this.#checkResourceACL(up, creator, 'peer/Propose', channelId);
            } catch (err) {
                throw new EndorserError('ACCESS_DENIED', (err as Error).message);
            }
        }
        return creator;
    }

    /** Fabric's CheckACL on a signed proposal; throws with Fabric's message. */
    #checkACL(up: UnpackedProposal, creator: VerifiedIdentity, policy: string): void {
        const reason = this.#policyFailure(up, creator, policy);
        if (reason !== undefined) {
            throw new Error(
                `Failed evaluating policy on signed data during check policy on channel [${this.options.channelId}] with policy [${policy}]: [${reason}]`,
            );
        }
    }

    /** Why the creator's signature on the proposal does not satisfy a channel policy; undefined when it does. */
    #policyFailure(up: UnpackedProposal, creator: VerifiedIdentity, policy: string): string | undefined {
        const policies = this.options.policies;
        if (policies.evaluateIdentities?.(policy, [creator])) return undefined;
        const result = policies.evaluate(policy, [
            {
                identity: up.signatureHeader.getCreator_asU8(),
                data: up.signedProposal.getProposalBytes_asU8(),
                signature: up.signedProposal.getSignature_asU8(),
            },
        ]);
        return result.ok ? undefined : (result.reason ?? 'policy not satisfied');
    }

    /**
     * Fabric's aclmgmt CheckACL of a resource (`qscc/GetChainInfo`) on a channel ('' for none);
     * throws with Fabric's messages.
     */
    #checkResourceACL(up: UnpackedProposal, creator: VerifiedIdentity, resource: string, channelId: string): void {
        const decision = aclPolicy(resource, channelId, this.options.channelAcls?.());
        if (decision.kind === 'unmapped') throw new Error(`Unmapped policy for ${resource}`);
        if (decision.kind === 'local') {
            this.#checkLocalPolicy(creator, decision.policy, up);
            return;
        }
        if (channelId !== this.options.channelId) throw new Error(`Failed to get policy manager for channel [${channelId}]`);
        if (decision.kind === 'channelDefault') {
            this.#checkACL(up, creator, decision.policy);
            return;
        }
        // An ACL of the channel config: Fabric's aclmgmt words its refusal differently.
        const reason = this.#policyFailure(up, creator, decision.policy);
        if (reason !== undefined)
            throw new Error(`failed evaluating policy on signed data during check policy [${decision.policy}]: [${reason}]`);
    }

    /** Fabric's CheckPolicyNoChannel: the creator against a principal of the peer's local MSP. */
    #checkLocalPolicy(creator: VerifiedIdentity, policy: string, up: UnpackedProposal): void {
        const local = this.options.signer.mspId;
        if (creator.mspId === local && this.options.localMsp) {
            // Fabric deserializes and validates the creator with the local MSP here (its CRLs too).
            try {
                this.options.localMsp.verify(
                    up.signatureHeader.getCreator_asU8(),
                    up.signedProposal.getProposalBytes_asU8(),
                    up.signedProposal.getSignature_asU8(),
                );
            } catch (e) {
                throw new Error(
                    `Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [${policy}]: [${(e as Error).message}]`,
                );
            }
        }
        const failed = (reason: string) =>
            new Error(
                `${reason} during channelless check policy with policy [${policy}]: [${
                    creator.mspId !== local
                        ? `expected MSP ID ${local}, received ${creator.mspId}`
                        : `MSP Principal role [${policy}] not recognized`
                }]`,
            );
        if (creator.mspId !== local) throw failed('Failed deserializing proposal creator');
        if (policy !== 'Admins' && policy !== 'Members') throw failed('Failed getting local MSP principal');
        if (policy === 'Admins' && creator.role !== 'admin') {
            throw new Error(
                `Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [Admins]: [The identity is not an admin under this MSP [${local}]: The identity does not contain OU [ADMIN], MSP: [${local}]]`,
            );
        }
    }

    async #endorsementInfo(name: string, channelId: string): Promise<EndorsementInfo> {
        const system = this.#scc.get(name);
        if (system) return { version: SYSCC_VERSION, collections: [], system };
        if (channelId === '') {
            throw new Error(
                `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: could not get channel config for channel '${channelId}'`,
            );
        }
        let definition: ChaincodeDefinition | undefined;
        try {
            definition = await this.options.ledger.chaincodeDefinition(name);
        } catch (err) {
            throw new Error(
                `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: could not retrieve state for chaincode ${name}: ${(err as Error).message}`,
            );
        }
        if (!definition) {
            throw new Error(
                `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: chaincode ${name} not found`,
            );
        }
        // Fabric's lifecycle cache: a peer endorses a definition its org approved, with a package.
        if (definition.localApproval === 'not-approved') {
            throw new Error(
                `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: chaincode definition for '${name}' at sequence ${definition.sequence} on channel '${channelId}' has not yet been approved by this org`,
            );
        }
        if (definition.localApproval === 'no-package') {
            throw new Error(
                `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: chaincode definition for '${name}' exists, but chaincode is not installed`,
            );
        }
        const collections = allCollections(
            definition,
            this.options.channelOrgs?.() ?? [],
            this.options.signer.mspId,
            this.options.implicitDissemination,
        );
        return { version: definition.version, collections };
    }

    /** Fabric's DistributePrivateData, before the endorsement is signed: each collection of the write set to its member peers. */
    async #distribute(txId: string, pvt: ledgerpb.rwset.TxPvtReadWriteSet, isEvaluate: boolean): Promise<void> {
        const distributor = this.options.distributor;
        if (!distributor) return;
        const defs = new Map<string, Pick<ChaincodeDefinition, 'collections'> | undefined>();
        for (const ns of pvt.getNsPvtRwsetList()) {
            const name = ns.getNamespace();
            if (defs.has(name)) continue;
            defs.set(name, this.#scc.has(name) ? { collections: [] } : await this.options.ledger.chaincodeDefinition(name));
        }
        await distributor.distribute(
            txId,
            pvt,
            (ns, coll) => collectionConfig(defs.get(ns), coll, this.options.signer.mspId, this.options.implicitDissemination),
            this.options.ledger.height,
            !isEvaluate,
        );
    }

    async #simulateAndEndorse(up: UnpackedProposal, creator: VerifiedIdentity, isEvaluate: boolean): Promise<peer.ProposalResponse> {
        const channelId = up.channelHeader.getChannelId();
        const txId = up.channelHeader.getTxId();
        const info = await this.#endorsementInfo(up.chaincodeName, channelId);
        // Fabric's acquireTxSimulator: none without a channel, none for qscc and cscc.
        const needsSimulator = channelId !== '' && (!info.system || info.system.needsSimulator);
        const simulator: TxSimulator | undefined = needsSimulator ? this.options.ledger.newTxSimulator(txId) : undefined;

        let response: peer.Response;
        let event: peer.ChaincodeEvent | undefined;
        let privateReads = new Set<string>();
        try {
            if (info.system) {
                response = await info.system.invoke({
                    channelId,
                    txId,
                    args: up.input.getArgsList_asU8(),
                    signedProposal: up.signedProposal,
                    creator,
                    simulator,
                    checkACL: (resource, channel = channelId) => this.#checkResourceACL(up, creator, resource, channel),
                });
            } else {
                const result = await this.options.chaincodes.execute({
                    chaincodeName: up.chaincodeName,
                    txId,
                    channelId,
                    signedProposal: up.signedProposal,
                    proposal: up.proposal,
                    input: up.input,
                    transient: up.transient,
                    simulator: simulator!,
                    isEvaluate,
                    collections: info.collections,
                    isCollectionMember: (collection) => this.options.isCollectionMember(collection.policy, creator),
                    calleeCollections: async (name) => {
                        // System chaincodes are not callable from chaincode (Fabric's qscc refuses it too).
                        if (this.#scc.has(name)) return undefined;
                        return (await this.options.ledger.chaincodeDefinition(name))?.collections;
                    },
                });
                response = result.response;
                event = result.event;
                privateReads = result.privateReads;
            }
        } catch (err) {
            throw new Error(`error in simulation: ${(err as Error).message}`);
        }

        let results: SimulationResults | undefined;
        if (simulator && response.getStatus() < ERROR_THRESHOLD) {
            try {
                results = simulator.results();
                // As Fabric: the private write set reaches the other member peers before this
                // peer endorses, and too few of them fails the simulation.
                if (results.private && channelId !== '') await this.#distribute(txId, results.private, isEvaluate);
            } catch (err) {
                throw new Error(`error in simulation: ${(err as Error).message}`);
            }
        }
        const interest = results ? this.#chaincodeInterest(results, privateReads, up.chaincodeName) : undefined;

        const action = new peer.ChaincodeAction();
        if (results) action.setResults(results.public.serializeBinary());
        if (event) action.setEvents(event.serializeBinary());
        action.setResponse(response);
        const ccId = new peer.ChaincodeID();
        ccId.setName(up.chaincodeName);
        ccId.setVersion(info.version);
        action.setChaincodeId(ccId);
        const prp = new peer.ProposalResponsePayload();
        prp.setProposalHash(up.proposalHash);
        prp.setExtension$(action.serializeBinary());
        const prpBytes = prp.serializeBinary();

        const status = response.getStatus();
        if (status >= ERROR) {
            const pr = new peer.ProposalResponse();
            pr.setResponse(response);
            pr.setPayload(prpBytes);
            if (interest) pr.setInterest(interest);
            return pr;
        }
        // Without a channel nothing can be endorsed: Fabric returns the bare response.
        if (status >= ERROR_THRESHOLD || channelId === '') {
            const pr = new peer.ProposalResponse();
            pr.setResponse(response);
            return pr;
        }

        // The private write set waits in the transient store until its block commits; an
        // evaluation is never ordered, so keeping its private writes would only leave remnants.
        if (results?.private && !isEvaluate) this.options.ledger.persistTransient(txId, results.private);

        const endorserBytes = this.options.signer.serialize();
        const endorsement = new peer.Endorsement();
        endorsement.setEndorser(endorserBytes);
        endorsement.setSignature(this.options.signer.sign(Buffer.concat([prpBytes, endorserBytes])));
        const pr = new peer.ProposalResponse();
        pr.setVersion(1);
        pr.setEndorsement(endorsement);
        pr.setPayload(prpBytes);
        pr.setResponse(response);
        if (interest) pr.setInterest(interest);
        return pr;
    }

    /**
     * Fabric's buildChaincodeInterest: the chaincode's own policy when it wrote public state (or
     * wrote nothing), and each collection written or read privately, so that the gateway can pick
     * endorsers that hold the collection and satisfy its policy.
     */
    #chaincodeInterest(results: SimulationResults, privateReads: Set<string>, invoked: string): peer.ChaincodeInterest {
        const interest = new peer.ChaincodeInterest();
        const calls: peer.ChaincodeCall[] = [];
        const written = new Map<string, Set<string>>();
        for (const w of results.writtenCollections) {
            if (!w.collection) continue;
            if (!written.has(w.ns)) written.set(w.ns, new Set());
            written.get(w.ns)!.add(w.collection);
        }
        for (const nsRwset of results.public.getNsRwsetList()) {
            const ns = nsRwset.getNamespace();
            if (this.#scc.has(ns)) continue;
            const kv = ledgerpb.rwset.kvrwset.KVRWSet.deserializeBinary(nsRwset.getRwset_asU8());
            const publicWrites = kv.getWritesList().length + kv.getMetadataWritesList().length > 0;
            const collections = new Set(written.get(ns) ?? []);
            if (ns === invoked) for (const c of privateReads) collections.add(c);
            if (publicWrites || collections.size === 0) {
                const call = new peer.ChaincodeCall();
                call.setName(ns);
                calls.push(call);
            }
            for (const collection of [...collections].sort()) {
                const call = new peer.ChaincodeCall();
                call.setName(ns);
                call.setCollectionNamesList([collection]);
                call.setNoPrivateReads(!(ns === invoked && privateReads.has(collection)));
                calls.push(call);
            }
        }
        interest.setChaincodesList(calls);
        return interest;
    }
}

function headerTypeName(type: number): string {
    const entry = Object.entries(common.HeaderType).find(([, v]) => v === type);
    return entry ? entry[0] : String(type);
}

/** The Endorser gRPC service: refusals thrown by the endorser become gRPC errors, as Fabric's. */
export function endorserService(endorser: Pick<Endorser, 'processProposal'>): peer.IEndorserServer {
    return {
        processProposal(
            call: grpc.ServerUnaryCall<peer.SignedProposal, peer.ProposalResponse>,
            callback: grpc.sendUnaryData<peer.ProposalResponse>,
        ) {
            endorser.processProposal(call.request).then(
                (response) => callback(null, response),
                (err: Error) => callback({ code: grpc.status.UNKNOWN, details: err.message, name: 'EndorserError', message: err.message }),
            );
        },
    };
}

export function addEndorserService(server: grpc.Server, endorser: Pick<Endorser, 'processProposal'>): void {
    server.addService(peer.EndorserService, endorserService(endorser));
}
