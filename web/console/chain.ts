// Checks a transaction's proof in the page, from the raw bytes the gateway relays, without
// trusting the gateway's parsing: the envelope's own transaction id (read from its protobuf), that
// id = SHA-256(nonce ‖ creator), the block's data hash over its envelopes, and the header hash
// chain from the block to the channel's tip. Header hash = SHA-256 of the DER of
// SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash } (Fabric's
// protoutil.BlockHeaderBytes); data hash = SHA-256 of the concatenated envelope bytes.
import { concat, fromBase64, fromHex, sha256, toHex } from '../shared/bytes';

export interface BlockHeader {
    number: string;
    previousHash: string;
    dataHash: string;
}

function derLength(n: number): number[] {
    if (n < 0x80) return [n];
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return [0x80 | bytes.length, ...bytes];
}

const derTlv = (tag: number, body: Uint8Array): Uint8Array => concat(Uint8Array.from([tag, ...derLength(body.length)]), body);

/** A non-negative INTEGER in the minimal two's complement form (0 is one zero byte). */
function derUint(v: bigint): Uint8Array {
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = fromHex(hex);
    if (bytes[0] & 0x80) bytes = concat(Uint8Array.of(0), bytes);
    return derTlv(0x02, bytes);
}

export function headerBytes(h: BlockHeader): Uint8Array {
    return derTlv(0x30, concat(derUint(BigInt(h.number)), derTlv(0x04, fromHex(h.previousHash)), derTlv(0x04, fromHex(h.dataHash))));
}

export const headerHash = async (h: BlockHeader): Promise<string> => toHex(await sha256(headerBytes(h)));

export const dataHash = async (envelopesBase64: string[]): Promise<string> =>
    toHex(await sha256(concat(...envelopesBase64.map(fromBase64))));

/** The length-delimited fields of a protobuf message, by field number (other wire types skipped). */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
    const out = new Map<number, Uint8Array[]>();
    let at = 0;
    const varint = (): bigint => {
        let v = 0n;
        for (let shift = 0n; ; shift += 7n) {
            if (at >= bytes.length) throw new Error('truncated protobuf');
            const b = bytes[at++];
            v |= BigInt(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
    };
    while (at < bytes.length) {
        const key = Number(varint());
        const [field, wire] = [key >>> 3, key & 7];
        if (wire === 0) varint();
        else if (wire === 1) at += 8;
        else if (wire === 5) at += 4;
        else if (wire === 2) {
            const len = Number(varint());
            if (at + len > bytes.length) throw new Error('truncated protobuf');
            out.set(field, [...(out.get(field) ?? []), bytes.subarray(at, at + len)]);
            at += len;
        } else throw new Error(`unsupported wire type ${wire}`);
    }
    return out;
}

const first = (m: Map<number, Uint8Array[]>, n: number): Uint8Array => m.get(n)?.[0] ?? new Uint8Array();

/** common.Envelope → Payload(1) → Header(1) → ChannelHeader(1).tx_id(5), SignatureHeader(2).creator(1), nonce(2). */
export function envelopeIds(envelope: Uint8Array): { txId: string; nonce: Uint8Array; creator: Uint8Array } {
    const payload = fields(first(fields(envelope), 1));
    const header = fields(first(payload, 1));
    const channelHeader = fields(first(header, 1));
    const signatureHeader = fields(first(header, 2));
    return {
        txId: new TextDecoder().decode(first(channelHeader, 5)),
        nonce: first(signatureHeader, 2),
        creator: first(signatureHeader, 1),
    };
}

export interface Check {
    key: string;
    ok: boolean;
    detail: string;
}

/**
 * The checks of one transaction in its block, and of the chain from that block to the tip.
 * `headers` are the headers of blocks block.number .. tip, in order.
 */
export async function verifyProof(
    txId: string,
    block: BlockHeader & { transactions: { envelope: string }[] },
    headers: BlockHeader[],
    tipHash: string,
): Promise<Check[]> {
    const checks: Check[] = [];
    const envelopes = block.transactions.map((t) => t.envelope);
    const found = envelopes.map((e) => envelopeIds(fromBase64(e))).find((ids) => ids.txId === txId);
    checks.push({ key: 'inBlock', ok: !!found, detail: found ? `${txId.slice(0, 16)}…` : txId });
    if (found) {
        const computed = toHex(await sha256(concat(found.nonce, found.creator)));
        checks.push({ key: 'txId', ok: computed === txId, detail: `${computed.slice(0, 16)}…` });
    }
    const dh = await dataHash(envelopes);
    checks.push({ key: 'dataHash', ok: dh === block.dataHash, detail: `${dh.slice(0, 16)}…` });
    let linked = headers.length > 0 && headers[0].number === block.number && headers[0].dataHash === block.dataHash;
    let broken = '';
    for (let i = 0; linked && i + 1 < headers.length; i++) {
        if ((await headerHash(headers[i])) !== headers[i + 1].previousHash) {
            linked = false;
            broken = headers[i + 1].number;
        }
    }
    checks.push({ key: 'chain', ok: linked, detail: linked ? `${block.number} → ${headers[headers.length - 1].number}` : broken });
    const tip = headers.length ? await headerHash(headers[headers.length - 1]) : '';
    checks.push({ key: 'tip', ok: tip === tipHash, detail: `${tip.slice(0, 16)}…` });
    return checks;
}
