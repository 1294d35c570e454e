// OWNER: helper H2 (orderer). Fabric's protoutil, the parts we use: transaction ids, block header
// and data hashes, envelope/payload/header (un)marshalling, signed envelopes.
import { common } from '@hyperledger/fabric-protos';
import { SigningIdentity } from '../msp/identity';

/** Lowercase hex SHA-256(nonce ‖ creator). */
export declare function computeTxId(nonce: Uint8Array, creator: Uint8Array): string;
/** SHA-256 of ASN.1 DER SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }. */
export declare function blockHeaderHash(header: common.BlockHeader): Uint8Array;
/** SHA-256 of the concatenated envelope bytes. */
export declare function blockDataHash(data: common.BlockData): Uint8Array;
/** Parsed envelope: payload, channel header and signature header, or throws with a reason. */
export interface ParsedEnvelope {
    envelope: common.Envelope;
    payload: common.Payload;
    channelHeader: common.ChannelHeader;
    signatureHeader: common.SignatureHeader;
}
export declare function parseEnvelope(bytes: Uint8Array): ParsedEnvelope;
export declare function signEnvelope(payload: common.Payload, signer: SigningIdentity): common.Envelope;
/** Transactions-filter metadata (one TxValidationCode per transaction) of a block, or undefined. */
export declare function transactionsFilter(block: common.Block): Uint8Array | undefined;
