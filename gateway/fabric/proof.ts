// Reads a committed transaction as qscc returns it (peer.ProcessedTransaction) into a proof:
// validation code, endorsing orgs, creator and timestamp. Protobuf boundary: fabric-protos types.
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { StatusNames } from '@hyperledger/fabric-gateway/dist/status';
import type { TransactionProof } from './types';

export function parseProcessedTransaction(bytes: Uint8Array, blockNumber: bigint, channel: string): TransactionProof {
    const processed = peer.ProcessedTransaction.deserializeBinary(bytes);
    const code = processed.getValidationcode();
    const envelope = processed.getTransactionenvelope();
    if (!envelope) throw new Error('PROOF_MALFORMED: the processed transaction has no envelope');
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const header = payload.getHeader();
    const channelHeader = common.ChannelHeader.deserializeBinary(header?.getChannelHeader_asU8() ?? new Uint8Array());
    const signatureHeader = common.SignatureHeader.deserializeBinary(header?.getSignatureHeader_asU8() ?? new Uint8Array());
    const creator = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
    const endorsingOrgs = new Set<string>();
    let chaincode = '';
    const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
    for (const action of tx.getActionsList()) {
        const ccPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
        for (const e of ccPayload.getAction()?.getEndorsementsList() ?? []) {
            endorsingOrgs.add(msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getMspid());
        }
        const proposalPayload = peer.ChaincodeProposalPayload.deserializeBinary(ccPayload.getChaincodeProposalPayload_asU8());
        const spec = peer.ChaincodeInvocationSpec.deserializeBinary(proposalPayload.getInput_asU8());
        chaincode = spec.getChaincodeSpec()?.getChaincodeId()?.getName() ?? chaincode;
    }
    const ts = channelHeader.getTimestamp();
    const names = StatusNames as Readonly<Record<number, string>>;
    return {
        transactionId: channelHeader.getTxId(),
        blockNumber: blockNumber.toString(),
        validationCode: names[code] ?? String(code),
        valid: code === peer.TxValidationCode.VALID,
        channel: channelHeader.getChannelId() || channel,
        chaincode,
        creatorMspId: creator.getMspid(),
        endorsingOrgs: [...endorsingOrgs].sort(),
        timestamp: ts ? new Date(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6)).toISOString() : '',
    };
}

export function blockNumberOf(blockBytes: Uint8Array): bigint {
    const block = common.Block.deserializeBinary(blockBytes);
    return BigInt(block.getHeader()?.getNumber() ?? 0);
}
