// What the endorser's in-process system chaincodes share (Fabric's core/scc):
// an invocation carries the proposal's arguments, verified creator and ACL checker; an answer is
// a peer.Response, as a shim chaincode's.
import { peer } from '@hyperledger/fabric-protos';
import type { VerifiedIdentity } from '../../msp/msp';
import type { TxSimulator } from '../ledger/types';

/** Fabric's scc.SysCCVersion: the version in a system chaincode's ChaincodeAction.chaincode_id. */
export const SYSCC_VERSION = 'syscc';

export interface SccInvocation {
    channelId: string;
    txId: string;
    /** ChaincodeInput.args: function name first. */
    args: Uint8Array[];
    signedProposal: peer.SignedProposal;
    creator: VerifiedIdentity;
    /** Present for system chaincodes that read or write state (_lifecycle); absent for qscc, as Fabric. */
    simulator?: TxSimulator;
    /**
     * Fabric's ACL check of a resource (e.g. `qscc/GetChainInfo`) on a channel (default: the
     * proposal's; '' checks the peer's local MSP); throws with Fabric's message.
     */
    checkACL(resource: string, channelId?: string): void;
}

export interface SystemChaincode {
    readonly name: string;
    /** Whether the endorser gives it a TxSimulator (Fabric: every chaincode but qscc and cscc). */
    readonly needsSimulator: boolean;
    invoke(invocation: SccInvocation): Promise<peer.Response>;
}

export function success(payload?: Uint8Array): peer.Response {
    const res = new peer.Response();
    res.setStatus(200);
    if (payload) res.setPayload(payload);
    return res;
}

/** shim.Error: status 500 with a message. */
export function failure(message: string): peer.Response {
    const res = new peer.Response();
    res.setStatus(500);
    res.setMessage(message);
    return res;
}

export const utf8 = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
