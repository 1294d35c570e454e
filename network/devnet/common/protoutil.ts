// Fabric's protoutil, the parts we use: transaction ids, block header
// and data hashes, envelope/payload/header (un)marshalling, signed envelopes.
import * as crypto from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { SigningIdentity } from '../msp/identity';
import type { SignedData } from './policies';

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(crypto.createHash('sha256').update(data).digest());

/** Lowercase hex SHA-256(nonce ‖ creator). */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
    return crypto.createHash('sha256').update(nonce).update(creator).digest('hex');
}

/** A 24-byte random nonce, as Fabric's crypto.GetRandomNonce. */
export function newNonce(): Uint8Array {
    return new Uint8Array(crypto.randomBytes(24));
}

// A tiny DER writer: the block header is the only ASN.1 structure we emit by hand, and it is a
// SEQUENCE of one INTEGER and two OCTET STRINGs (Go's encoding/asn1 of protoutil.asn1Header).
function derLength(length: number): Uint8Array {
    if (length < 0x80) return Uint8Array.of(length);
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function derTlv(tag: number, content: Uint8Array): Uint8Array {
    return Buffer.concat([Uint8Array.of(tag), derLength(content.length), content]);
}

/** Minimal two's complement big-endian bytes of a non-negative integer (as big.Int does). */
function derUnsignedInteger(value: number): Uint8Array {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`block number ${value} is not a non-negative safe integer`);
    const bytes: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
    return Uint8Array.from(bytes);
}

/** ASN.1 DER SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }. */
export function blockHeaderBytes(header: common.BlockHeader): Uint8Array {
    return derTlv(
        0x30,
        Buffer.concat([
            derTlv(0x02, derUnsignedInteger(header.getNumber())),
            derTlv(0x04, header.getPreviousHash_asU8()),
            derTlv(0x04, header.getDataHash_asU8()),
        ]),
    );
}

/** SHA-256 of ASN.1 DER SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }. */
export function blockHeaderHash(header: common.BlockHeader): Uint8Array {
    return sha256(blockHeaderBytes(header));
}

/** SHA-256 of the concatenated envelope bytes. */
export function blockDataHash(data: common.BlockData): Uint8Array {
    const hash = crypto.createHash('sha256');
    for (const envelope of data.getDataList_asU8()) hash.update(envelope);
    return new Uint8Array(hash.digest());
}

/** Why an envelope was refused; the code is stable, the message is for humans. */
export class EnvelopeError extends Error {
    constructor(
        readonly code: 'BAD_ENVELOPE' | 'BAD_PAYLOAD' | 'MISSING_HEADER' | 'BAD_CHANNEL_HEADER' | 'BAD_SIGNATURE_HEADER',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'EnvelopeError';
    }
}

/** Parsed envelope: payload, channel header and signature header, or throws with a reason. */
export interface ParsedEnvelope {
    envelope: common.Envelope;
    payload: common.Payload;
    channelHeader: common.ChannelHeader;
    signatureHeader: common.SignatureHeader;
}

function decode<T>(what: string, code: EnvelopeError['code'], bytes: Uint8Array, decoder: (b: Uint8Array) => T): T {
    try {
        return decoder(bytes);
    } catch (err) {
        throw new EnvelopeError(code, `${what} is not a valid protobuf message (${(err as Error).message})`);
    }
}

/** Parses an envelope down to its headers (Fabric's UnmarshalPayload + channel/signature headers). */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope {
    const envelope = decode('envelope', 'BAD_ENVELOPE', bytes, (b) => common.Envelope.deserializeBinary(b));
    return parseEnvelopeMessage(envelope);
}

/** Same as parseEnvelope, for an envelope already decoded (gRPC hands us messages). */
export function parseEnvelopeMessage(envelope: common.Envelope): ParsedEnvelope {
    const payloadBytes = envelope.getPayload_asU8();
    if (payloadBytes.length === 0) throw new EnvelopeError('BAD_PAYLOAD', 'envelope has an empty payload');
    const payload = decode('payload', 'BAD_PAYLOAD', payloadBytes, (b) => common.Payload.deserializeBinary(b));
    const header = payload.getHeader();
    if (!header) throw new EnvelopeError('MISSING_HEADER', 'payload has no header');
    const chBytes = header.getChannelHeader_asU8();
    if (chBytes.length === 0) throw new EnvelopeError('BAD_CHANNEL_HEADER', 'payload header has no channel header');
    const channelHeader = decode('channel header', 'BAD_CHANNEL_HEADER', chBytes, (b) => common.ChannelHeader.deserializeBinary(b));
    const shBytes = header.getSignatureHeader_asU8();
    if (shBytes.length === 0) throw new EnvelopeError('BAD_SIGNATURE_HEADER', 'payload header has no signature header');
    const signatureHeader = decode('signature header', 'BAD_SIGNATURE_HEADER', shBytes, (b) => common.SignatureHeader.deserializeBinary(b));
    return { envelope, payload, channelHeader, signatureHeader };
}

export function signEnvelope(payload: common.Payload, signer: SigningIdentity): common.Envelope {
    const bytes = payload.serializeBinary();
    const envelope = new common.Envelope();
    envelope.setPayload(bytes);
    envelope.setSignature(signer.sign(bytes));
    return envelope;
}

/** A protobuf Timestamp of a JS date (milliseconds precision). */
export function timestampOf(date: Date = new Date()): Timestamp {
    const ts = new Timestamp();
    const ms = date.getTime();
    ts.setSeconds(Math.floor(ms / 1000));
    ts.setNanos((ms % 1000) * 1_000_000);
    return ts;
}

export interface ChannelHeaderFields {
    type: number;
    channelId: string;
    txId?: string;
    epoch?: number;
    version?: number;
    timestamp?: Date;
    extension?: Uint8Array;
    tlsCertHash?: Uint8Array;
}

export function makeChannelHeader(fields: ChannelHeaderFields): common.ChannelHeader {
    const ch = new common.ChannelHeader();
    ch.setType(fields.type);
    ch.setVersion(fields.version ?? 0);
    ch.setTimestamp(timestampOf(fields.timestamp));
    ch.setChannelId(fields.channelId);
    ch.setTxId(fields.txId ?? '');
    ch.setEpoch(fields.epoch ?? 0);
    if (fields.extension) ch.setExtension$(fields.extension);
    if (fields.tlsCertHash) ch.setTlsCertHash(fields.tlsCertHash);
    return ch;
}

export function makeSignatureHeader(creator: Uint8Array, nonce: Uint8Array): common.SignatureHeader {
    const sh = new common.SignatureHeader();
    sh.setCreator(creator);
    sh.setNonce(nonce);
    return sh;
}

export function makePayload(
    channelHeader: common.ChannelHeader,
    signatureHeader: common.SignatureHeader,
    data: Uint8Array,
): common.Payload {
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(data);
    return payload;
}

/**
 * A signed envelope of the given type whose tx id is derived from a fresh nonce and the signer
 * (Fabric's CreateSignedEnvelope, which leaves the tx id empty; we set it, as the SDKs do).
 */
export function createSignedEnvelope(type: number, channelId: string, signer: SigningIdentity, data: Uint8Array): common.Envelope {
    const creator = signer.serialize();
    const nonce = newNonce();
    const ch = makeChannelHeader({ type, channelId, txId: computeTxId(nonce, creator) });
    return signEnvelope(makePayload(ch, makeSignatureHeader(creator, nonce), data), signer);
}

/** An empty block with `number` and `previousHash` and five empty metadata entries (protoutil.NewBlock). */
export function newBlock(number: number, previousHash: Uint8Array): common.Block {
    const header = new common.BlockHeader();
    header.setNumber(number);
    header.setPreviousHash(previousHash);
    header.setDataHash(new Uint8Array(0));
    const block = new common.Block();
    block.setHeader(header);
    block.setData(new common.BlockData());
    const metadata = new common.BlockMetadata();
    metadata.setMetadataList([0, 1, 2, 3, 4].map(() => new Uint8Array(0)));
    block.setMetadata(metadata);
    return block;
}

/** Metadata bytes at an index (common.BlockMetadataIndex), empty when absent. */
export function blockMetadataAt(block: common.Block, index: number): Uint8Array {
    return block.getMetadata()?.getMetadataList_asU8()[index] ?? new Uint8Array(0);
}

/** Transactions-filter metadata (one TxValidationCode per transaction) of a block, or undefined. */
export function transactionsFilter(block: common.Block): Uint8Array | undefined {
    const filter = blockMetadataAt(block, common.BlockMetadataIndex.TRANSACTIONS_FILTER);
    return filter.length > 0 ? filter : undefined;
}

/** The last config block number recorded in a block's SIGNATURES metadata (or LAST_CONFIG), 0 when none. */
export function lastConfigIndex(block: common.Block): number {
    const signatures = blockMetadataAt(block, common.BlockMetadataIndex.SIGNATURES);
    if (signatures.length > 0) {
        const value = common.Metadata.deserializeBinary(signatures).getValue_asU8();
        if (value.length > 0) return common.OrdererBlockMetadata.deserializeBinary(value).getLastConfig()?.getIndex() ?? 0;
    }
    const lastConfig = blockMetadataAt(block, common.BlockMetadataIndex.LAST_CONFIG);
    if (lastConfig.length > 0) {
        const value = common.Metadata.deserializeBinary(lastConfig).getValue_asU8();
        if (value.length > 0) return common.LastConfig.deserializeBinary(value).getIndex();
    }
    return 0;
}

/** True when the block holds exactly one CONFIG envelope (protoutil.IsConfigBlock). */
export function isConfigBlock(block: common.Block): boolean {
    const data = block.getData()?.getDataList_asU8() ?? [];
    if (data.length !== 1) return false;
    try {
        return parseEnvelope(data[0]).channelHeader.getType() === common.HeaderType.CONFIG;
    } catch {
        return false;
    }
}

/** The signed data of an envelope (protoutil.Envelope.AsSignedData). */
export function envelopeSignedData(parsed: ParsedEnvelope): SignedData {
    return {
        identity: parsed.signatureHeader.getCreator_asU8(),
        data: parsed.envelope.getPayload_asU8(),
        signature: parsed.envelope.getSignature_asU8(),
    };
}
