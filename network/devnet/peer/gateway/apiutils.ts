// How the peer gateway turns endorser outcomes into gRPC statuses (internal/pkg/gateway/apiutils.go):
// fabric-gateway reads the status code and the gateway.ErrorDetail messages carried in the
// grpc-status-details-bin trailer (a google.rpc.Status) to build EndorseError, SubmitError, ...
import * as grpc from '@grpc/grpc-js';
import { gateway, google, peer } from '@hyperledger/fabric-protos';
import { Any } from 'google-protobuf/google/protobuf/any_pb';

/** Suffix of the message a peer answers when the chaincode stream died (core/chaincode ErrorStreamTerminated). */
export const ERROR_STREAM_TERMINATED = 'chaincode stream terminated';

/** A gRPC error with a status code, a message and ErrorDetail entries, as grpc-js sends it. */
export class RpcError extends Error {
    readonly metadata: grpc.Metadata;
    constructor(
        readonly code: grpc.status,
        message: string,
        readonly errorDetails: gateway.ErrorDetail[] = [],
    ) {
        super(message);
        this.name = 'RpcError';
        this.metadata = new grpc.Metadata();
        if (errorDetails.length > 0) {
            const st = new google.rpc.Status();
            st.setCode(code);
            st.setMessage(message);
            st.setDetailsList(
                errorDetails.map((d) => {
                    const any = new Any();
                    any.pack(d.serializeBinary(), 'gateway.ErrorDetail');
                    return any;
                }),
            );
            this.metadata.set('grpc-status-details-bin', Buffer.from(st.serializeBinary()));
        }
    }

    /** The object grpc-js expects in a callback or stream.destroy: code, details, metadata. */
    toServiceError(): Partial<grpc.StatusObject> & Error {
        return Object.assign(new Error(this.message), { code: this.code, details: this.message, metadata: this.metadata });
    }
}

export function errorDetail(address: string, mspId: string, message: string): gateway.ErrorDetail {
    const d = new gateway.ErrorDetail();
    d.setAddress(address);
    d.setMspId(mspId);
    d.setMessage(message);
    return d;
}

/** What the gateway does with one endorser's answer. */
export interface ResponseStatus {
    code: grpc.status;
    message: string;
    /** Try another peer (Evaluate only). */
    retry: boolean;
    /** The connection is likely broken: deprioritise this peer for a while. */
    remove: boolean;
}

/**
 * Classifies ProcessProposal's outcome as Fabric's responseStatus does: a transport error is
 * UNAVAILABLE (retry elsewhere); an error next to a response is the proposal's fault
 * (FAILED_PRECONDITION); a 500 without payload was produced by the peer itself (ABORTED, retry);
 * any other status >= 400 (or < 200) comes from the chaincode (UNKNOWN, "chaincode response ...").
 */
export function responseStatus(response: peer.ProposalResponse | undefined, err: unknown): ResponseStatus {
    if (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!response) return { code: grpc.status.UNAVAILABLE, message, retry: true, remove: true };
        return { code: grpc.status.FAILED_PRECONDITION, message, retry: false, remove: false };
    }
    const res = response?.getResponse();
    if (!response || !res) return { code: grpc.status.UNAVAILABLE, message: 'endorser returned no response', retry: true, remove: true };
    const status = res.getStatus();
    if (status < 200 || status >= 400) {
        if (response.getPayload_asU8().length === 0 && status === 500) {
            const message = res.getMessage();
            return { code: grpc.status.ABORTED, message, retry: true, remove: message.endsWith(ERROR_STREAM_TERMINATED) };
        }
        return { code: grpc.status.UNKNOWN, message: `chaincode response ${status}, ${res.getMessage()}`, retry: false, remove: false };
    }
    return { code: grpc.status.OK, message: '', retry: false, remove: false };
}

/** The transaction result: the chaincode response payload inside the proposal response payload. */
export function resultFromProposalResponse(response: peer.ProposalResponse): Uint8Array {
    const prp = peer.ProposalResponsePayload.deserializeBinary(response.getPayload_asU8());
    const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
    return action.getResponse()?.getPayload_asU8() ?? new Uint8Array(0);
}
