// OWNER: helper H1 (msp). Fabric policies: signature policies (the cauthdsl language
// "OR('SeoulMSP.peer', AND(...))", OutOf) and implicit meta policies ("MAJORITY Endorsement"),
// evaluated against signed data the way common/policies and common/cauthdsl do: each signature
// verified, each identity used at most once.
import { common } from '@hyperledger/fabric-protos';
import { MspManager, VerifiedIdentity } from '../msp/msp';

/** One signature over data by a serialized identity (Fabric's protoutil.SignedData). */
export interface SignedData {
    identity: Uint8Array;
    data: Uint8Array;
    signature: Uint8Array;
}

export interface PolicyResult {
    ok: boolean;
    /** Why it failed, for logs and error details. */
    reason?: string;
    /** Identities whose signature verified. */
    signers: VerifiedIdentity[];
}

/** Parses "OR('A.member','B.peer')", "AND(...)", "OutOf(2, ...)". Throws on bad syntax. */
export declare function parseSignaturePolicy(text: string): common.SignaturePolicyEnvelope;

/** Evaluates a signature policy on already-verified identities (no signature checks). */
export declare function satisfiesSignaturePolicy(policy: common.SignaturePolicyEnvelope, identities: VerifiedIdentity[]): boolean;

/**
 * Channel policies by path (/Channel/Application/Writers, /Channel/Application/SeoulMSP/Endorsement,
 * /Channel/Orderer/BlockValidation, ...), resolving implicit meta policies over sub-groups.
 */
export declare class PolicyManager {
    constructor(policies: Map<string, common.Policy>, msps: MspManager);
    /** A policy by absolute path; or, for "MAJORITY Endorsement" style text, the implicit meta over /Channel/Application. */
    evaluate(policy: string | common.SignaturePolicyEnvelope, signedData: SignedData[]): PolicyResult;
    /** Same, on identities already verified (e.g. endorsers checked once by the validator). */
    evaluateIdentities(policy: string | common.SignaturePolicyEnvelope, identities: VerifiedIdentity[]): boolean;
    /** Which sets of application orgs satisfy the policy, smallest first (used to plan endorsements). */
    orgLayouts(policy: string | common.SignaturePolicyEnvelope): string[][];
}
