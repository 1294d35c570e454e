// Reads a committed transaction as qscc returns it (peer.ProcessedTransaction) into a proof:
// validation code, endorsing orgs, creator and timestamp; and blocks and chain info as qscc returns
// them, for the block explorer. Protobuf boundary: fabric-protos types.
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { StatusNames } from '@hyperledger/fabric-gateway/dist/status';
import type { BlockView, ChainInfo, TransactionProof, TransactionSummary } from './types';

const HEADER_TYPE_NAMES = Object.fromEntries(Object.entries(common.HeaderType).map(([name, n]) => [n, name])) as Record<number, string>;

function summarizeEnvelope(envelope: common.Envelope): TransactionSummary {
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const header = payload.getHeader();
    const channelHeader = common.ChannelHeader.deserializeBinary(header?.getChannelHeader_asU8() ?? new Uint8Array());
    const signatureHeader = common.SignatureHeader.deserializeBinary(header?.getSignatureHeader_asU8() ?? new Uint8Array());
    const creatorBytes = signatureHeader.getCreator_asU8();
    const creatorMspId = creatorBytes.length ? msp.SerializedIdentity.deserializeBinary(creatorBytes).getMspid() : '';
    const endorsingOrgs = new Set<string>();
    let chaincode = '';
    // Only endorser transactions carry chaincode actions (a config block's data is a ConfigEnvelope).
    if (channelHeader.getType() === common.HeaderType.ENDORSER_TRANSACTION) {
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
    }
    const ts = channelHeader.getTimestamp();
    return {
        transactionId: channelHeader.getTxId(),
        type: HEADER_TYPE_NAMES[channelHeader.getType()] ?? String(channelHeader.getType()),
        channel: channelHeader.getChannelId(),
        chaincode,
        creatorMspId,
        endorsingOrgs: [...endorsingOrgs].sort(),
        timestamp: ts ? new Date(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6)).toISOString() : '',
    };
}

const validationName = (code: number): string => (StatusNames as Readonly<Record<number, string>>)[code] ?? String(code);

export function parseProcessedTransaction(bytes: Uint8Array, blockNumber: bigint, channel: string): TransactionProof {
    const processed = peer.ProcessedTransaction.deserializeBinary(bytes);
    const code = processed.getValidationcode();
    const envelope = processed.getTransactionenvelope();
    if (!envelope) throw new Error('PROOF_MALFORMED: the processed transaction has no envelope');
    const s = summarizeEnvelope(envelope);
    return {
        transactionId: s.transactionId,
        blockNumber: blockNumber.toString(),
        validationCode: validationName(code),
        valid: code === peer.TxValidationCode.VALID,
        channel: s.channel || channel,
        chaincode: s.chaincode,
        creatorMspId: s.creatorMspId,
        endorsingOrgs: s.endorsingOrgs,
        timestamp: s.timestamp,
    };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * A block as the explorer shows it: the header fields the hash chain is made of, and each
 * transaction with its validation code (metadata TRANSACTIONS_FILTER) and raw envelope, so that a
 * client can recompute the data hash and the header hash itself.
 */
export function parseBlock(bytes: Uint8Array): BlockView {
    const block = common.Block.deserializeBinary(bytes);
    const header = block.getHeader();
    const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
    const transactions = block.getData()?.getDataList_asU8() ?? [];
    return {
        number: String(header?.getNumber() ?? 0),
        previousHash: hex(header?.getPreviousHash_asU8() ?? new Uint8Array()),
        dataHash: hex(header?.getDataHash_asU8() ?? new Uint8Array()),
        transactions: transactions.map((envelopeBytes, index) => {
            const code = index < filter.length ? filter[index] : peer.TxValidationCode.NOT_VALIDATED;
            return {
                index,
                ...summarizeEnvelope(common.Envelope.deserializeBinary(envelopeBytes)),
                validationCode: validationName(code),
                valid: code === peer.TxValidationCode.VALID,
                envelope: Buffer.from(envelopeBytes).toString('base64'),
            };
        }),
    };
}

export function parseChainInfo(bytes: Uint8Array): ChainInfo {
    const info = common.BlockchainInfo.deserializeBinary(bytes);
    return {
        height: String(info.getHeight()),
        currentBlockHash: hex(info.getCurrentblockhash_asU8()),
        previousBlockHash: hex(info.getPreviousblockhash_asU8()),
    };
}

export function blockNumberOf(blockBytes: Uint8Array): bigint {
    const block = common.Block.deserializeBinary(blockBytes);
    return BigInt(block.getHeader()?.getNumber() ?? 0);
}

/** The MSP ids of the application orgs in a channel config as cscc GetChannelConfig returns it (common.Config). */
/**
 * An org's MSP as the channel config holds it: its CA certificates (roots and intermediates) and
 * its revocation_list (the CRLs network:revoke puts there), PEM; empty when the org is not in the
 * Application group.
 */
export function parseOrgRevocations(configBytes: Uint8Array, mspId: string): { caCertsPem: string[]; crlsPem: string[] } {
    const config = common.Config.deserializeBinary(configBytes);
    const value = config.getChannelGroup()?.getGroupsMap().get('Application')?.getGroupsMap().get(mspId)?.getValuesMap().get('MSP');
    if (!value) return { caCertsPem: [], crlsPem: [] };
    const fabricMsp = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(value.getValue_asU8()).getConfig_asU8());
    const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
    return {
        caCertsPem: [...fabricMsp.getRootCertsList_asU8(), ...fabricMsp.getIntermediateCertsList_asU8()].map(text),
        crlsPem: fabricMsp.getRevocationListList_asU8().map(text),
    };
}

export function parseChannelOrgs(configBytes: Uint8Array): string[] {
    const config = common.Config.deserializeBinary(configBytes);
    const application = config.getChannelGroup()?.getGroupsMap().get('Application');
    const orgs: string[] = [];
    for (const [, group] of application?.getGroupsMap().entries() ?? []) {
        const value = group.getValuesMap().get('MSP');
        if (!value) continue;
        const mspConfig = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
        orgs.push(msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8()).getName());
    }
    return orgs.sort();
}
