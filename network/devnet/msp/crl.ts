// X.509 CRLs as Fabric reads and Fabric CA writes them. Writing follows Go's
// x509.Certificate.CreateCRL, which fabric-ca's gencrl calls (through cfssl): a v2 TBSCertList
// with the CA's subject as issuer, thisUpdate/nextUpdate, one entry (serial, revocation time)
// per certificate and no entry extensions, the AKI extension (the CA's SKI) and no CRL number,
// signed ecdsa-with-SHA256, in PEM "X509 CRL". Reading follows Go's x509.ParseCRL, which
// Fabric's MSP uses: PEM only when the bytes start with "-----BEGIN X509 CRL", otherwise DER.
import * as crypto from 'node:crypto';
import { encodeEcdsaSignature } from '../../client/signing';

export class CrlError extends Error {
    readonly code = 'CRL_INVALID';
    constructor(message: string) {
        super(`CRL_INVALID: ${message}`);
        this.name = 'CrlError';
    }
}

export const CRL_PEM_TYPE = 'X509 CRL';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const AKI_OID = '2.5.29.35';
const SKI_OID = '2.5.29.14';

// ---- DER ----

function derLength(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));

function derInteger(value: bigint): Buffer {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(0x02, bytes);
}

function derOid(oid: string): Buffer {
    const parts = oid.split('.').map(Number);
    const out: number[] = [parts[0] * 40 + parts[1]];
    for (const p of parts.slice(2)) {
        const chunk: number[] = [p & 0x7f];
        for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
        out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
}

/** Go's asn1 time: UTCTime for 1950..2049, GeneralizedTime otherwise, to the second, in UTC. */
function derTime(t: Date): Buffer {
    const iso = t.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    const year = t.getUTCFullYear();
    return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

interface Tlv {
    tag: number;
    /** The whole element, header included. */
    raw: Buffer;
    content: Buffer;
}

/** One DER element at `offset`; throws CrlError on a malformed header or a length past the end. */
function readTlv(buf: Buffer, offset: number, what: string): Tlv & { end: number } {
    if (offset + 2 > buf.length) throw new CrlError(`asn1: structure error: ${what}: data truncated`);
    const tag = buf[offset];
    let len = buf[offset + 1];
    let header = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || offset + 2 + n > buf.length) throw new CrlError(`asn1: structure error: ${what}: bad length`);
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i];
        header += n;
    }
    const end = offset + header + len;
    if (end > buf.length) throw new CrlError(`asn1: structure error: ${what}: data truncated`);
    return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end), end };
}

function children(el: Tlv, what: string): Tlv[] {
    const out: Tlv[] = [];
    for (let at = 0; at < el.content.length; ) {
        const c = readTlv(el.content, at, what);
        out.push(c);
        at = c.end;
    }
    return out;
}

function expectTag(el: Tlv | undefined, tag: number, what: string): Tlv {
    if (!el || el.tag !== tag) throw new CrlError(`asn1: structure error: tags don't match (${what})`);
    return el;
}

function readOid(content: Buffer): string {
    const parts: number[] = [Math.floor(content[0] / 40), content[0] % 40];
    let v = 0;
    for (const b of content.subarray(1)) {
        v = v * 128 + (b & 0x7f);
        if (!(b & 0x80)) {
            parts.push(v);
            v = 0;
        }
    }
    return parts.join('.');
}

function readTime(el: Tlv, what: string): Date {
    const s = el.content.toString('ascii');
    const full = el.tag === 0x17 ? `${Number(s.slice(0, 2)) < 50 ? '20' : '19'}${s}` : el.tag === 0x18 ? s : undefined;
    if (!full || !/^\d{14}Z$/.test(full)) throw new CrlError(`asn1: structure error: ${what} is not a time`);
    return new Date(
        `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}T${full.slice(8, 10)}:${full.slice(10, 12)}:${full.slice(12, 14)}Z`,
    );
}

/** The extension's value of a certificate's or CRL's Extensions SEQUENCE, by OID. */
function extensionValue(extensions: Tlv, oid: string): Buffer | undefined {
    for (const ext of children(extensions, 'extension')) {
        const parts = children(ext, 'extension');
        if (readOid(expectTag(parts[0], 0x06, 'extension id').content) !== oid) continue;
        return expectTag(parts[parts.length - 1], 0x04, 'extension value').content;
    }
    return undefined;
}

/** The keyIdentifier [0] of an AuthorityKeyIdentifier value, or the OCTET STRING of a SubjectKeyIdentifier. */
function keyIdentifier(value: Buffer, kind: 'aki' | 'ski'): Buffer {
    const el = readTlv(value, 0, kind);
    if (kind === 'ski') return expectTag(el, 0x04, 'subject key identifier').content;
    const id = children(expectTag(el, 0x30, 'authority key identifier'), 'aki').find((c) => c.tag === 0x80);
    return id ? id.content : Buffer.alloc(0);
}

/** The certificate's Subject Key Identifier, if it has one (Fabric requires one on every CA certificate). */
export function subjectKeyIdentifier(cert: crypto.X509Certificate): Buffer | undefined {
    const tbs = children(readTlv(cert.raw, 0, 'certificate'), 'certificate')[0];
    const ext = children(tbs, 'tbsCertificate').find((c) => c.tag === 0xa3);
    if (!ext) return undefined;
    const value = extensionValue(readTlv(ext.content, 0, 'extensions'), SKI_OID);
    return value ? keyIdentifier(value, 'ski') : undefined;
}

function subjectDer(cert: crypto.X509Certificate): Buffer {
    const tbs = children(readTlv(cert.raw, 0, 'certificate'), 'certificate')[0];
    const fields = children(tbs, 'tbsCertificate');
    // [0] version, serial, signature, issuer, validity, subject
    const offset = fields[0].tag === 0xa0 ? 1 : 0;
    return fields[offset + 4].raw;
}

// ---- writing ----

export interface RevokedEntry {
    /** Hex serial number, as Fabric CA stores it. */
    serial: string;
    revokedAt: Date;
}

export interface CrlParams {
    caCert: crypto.X509Certificate;
    /** The CA's signing key (the devnet CA holds it as a non-extractable WebCrypto key). */
    caKey: crypto.webcrypto.CryptoKey | crypto.KeyObject;
    revoked: RevokedEntry[];
    thisUpdate: Date;
    nextUpdate: Date;
}

/** A CRL signed by the CA, as fabric-ca-server's gencrl writes it: DER. */
export async function createCrlDer(p: CrlParams): Promise<Buffer> {
    const algorithm = seq(derOid(ECDSA_WITH_SHA256));
    // Go writes the revoked list even when it is empty (an empty SEQUENCE), as fabric-ca does.
    const revoked = seq(...p.revoked.map((r) => seq(derInteger(BigInt(`0x${r.serial}`)), derTime(r.revokedAt))));
    const ski = subjectKeyIdentifier(p.caCert);
    const extensions = ski ? [tlv(0xa0, seq(seq(derOid(AKI_OID), tlv(0x04, seq(tlv(0x80, ski))))))] : [];
    const tbs = seq(derInteger(1n), algorithm, subjectDer(p.caCert), derTime(p.thisUpdate), derTime(p.nextUpdate), revoked, ...extensions);
    let signature: Buffer;
    if (p.caKey instanceof crypto.KeyObject) signature = crypto.sign('sha256', tbs, { key: p.caKey, dsaEncoding: 'der' });
    else {
        const raw = Buffer.from(await crypto.webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, p.caKey, tbs));
        const half = raw.length / 2;
        signature = Buffer.from(
            encodeEcdsaSignature(BigInt(`0x${raw.subarray(0, half).toString('hex')}`), BigInt(`0x${raw.subarray(half).toString('hex')}`)),
        );
    }
    return seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}

/** PEM "X509 CRL", 64 characters a line, as Go's pem.EncodeToMemory. */
export function crlToPem(der: Buffer): string {
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${CRL_PEM_TYPE}-----\n${lines.join('\n')}\n-----END ${CRL_PEM_TYPE}-----\n`;
}

// ---- reading ----

export interface ParsedCrl {
    der: Buffer;
    issuer: Buffer;
    thisUpdate: Date;
    nextUpdate?: Date;
    /** Revoked serial numbers (lower-case hex, no leading zeros). */
    serials: Set<string>;
    /** The keyIdentifier of the CRL's AKI extension, if it has one. */
    authorityKeyId?: Buffer;
    signatureAlgorithm: string;
    tbs: Buffer;
    signature: Buffer;
}

const PEM_PREFIX = Buffer.from(`-----BEGIN ${CRL_PEM_TYPE}`);

/** Go's x509.ParseCRL: PEM "X509 CRL" decoded, anything else read as DER; throws CrlError. */
export function parseCrl(bytes: Uint8Array): ParsedCrl {
    let der = Buffer.from(bytes);
    if (der.subarray(0, PEM_PREFIX.length).equals(PEM_PREFIX)) {
        const m = /-----BEGIN X509 CRL-----\r?\n([\s\S]*?)-----END X509 CRL-----/.exec(der.toString('latin1'));
        if (m) der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
    }
    const top = readTlv(der, 0, 'CertificateList');
    expectTag(top, 0x30, 'CertificateList');
    if (top.end !== der.length) throw new CrlError('x509: trailing data after CRL');
    const [tbsEl, algEl, sigEl] = children(top, 'CertificateList');
    const tbs = expectTag(tbsEl, 0x30, 'TBSCertList');
    const alg = readOid(expectTag(children(expectTag(algEl, 0x30, 'AlgorithmIdentifier'), 'algorithm')[0], 0x06, 'algorithm').content);
    const sig = expectTag(sigEl, 0x03, 'signatureValue');
    const fields = children(tbs, 'TBSCertList');
    let i = 0;
    if (fields[i]?.tag === 0x02) i++; // version (v2)
    expectTag(fields[i++], 0x30, 'signature');
    const issuer = expectTag(fields[i++], 0x30, 'issuer');
    const thisUpdate = readTime(fields[i++], 'thisUpdate');
    let nextUpdate: Date | undefined;
    if (fields[i] && (fields[i].tag === 0x17 || fields[i].tag === 0x18)) nextUpdate = readTime(fields[i++], 'nextUpdate');
    const serials = new Set<string>();
    if (fields[i]?.tag === 0x30) {
        for (const entry of children(fields[i++], 'revokedCertificates')) {
            const serial = expectTag(children(entry, 'revokedCertificate')[0], 0x02, 'userCertificate');
            serials.add(serial.content.toString('hex').replace(/^0+/, '') || '0');
        }
    }
    let authorityKeyId: Buffer | undefined;
    if (fields[i]?.tag === 0xa0) {
        const value = extensionValue(readTlv(fields[i].content, 0, 'crlExtensions'), AKI_OID);
        if (value) authorityKeyId = keyIdentifier(value, 'aki');
    }
    return {
        der,
        issuer: issuer.raw,
        thisUpdate,
        nextUpdate,
        serials,
        authorityKeyId,
        signatureAlgorithm: alg,
        tbs: tbs.raw,
        signature: sig.content.subarray(1),
    };
}

/** Go's Certificate.CheckCRLSignature: the CRL's signature verifies with the certificate's key. */
export function crlSignedBy(crl: ParsedCrl, cert: crypto.X509Certificate): boolean {
    const hash =
        { '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512' }[crl.signatureAlgorithm] ??
        undefined;
    if (!hash) return false;
    try {
        return crypto.verify(hash, crl.tbs, { key: cert.publicKey, dsaEncoding: 'der' }, crl.signature);
    } catch {
        return false;
    }
}
