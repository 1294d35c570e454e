// The channel's MSPs, built from the msp.FabricMSPConfig values of the
// channel config: deserialises creators, validates them (chain to a root CA of their MSP,
// validity dates, NodeOU role) and verifies signatures, as Fabric's msp package does.
import 'reflect-metadata';
import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { msp } from '@hyperledger/fabric-protos';
import { crlSignedBy, type ParsedCrl, parseCrl, subjectKeyIdentifier } from './crl';
import { decodeEcdsaSignature, deserializeIdentity, IdentityError, P256_N } from './identity';

export type Role = 'client' | 'peer' | 'admin' | 'orderer';

export interface VerifiedIdentity {
    mspId: string;
    certificatePem: string;
    /** The NodeOU role of the certificate. */
    role: Role;
    /** Certificate subject, e.g. "CN=app1,OU=client,O=SeoulMSP". */
    subject: string;
    /** Fabric CA attributes (extension 1.2.3.4.5.6.7.8.1). */
    attrs: Record<string, string>;
}

/** Stable codes: MSP_UNKNOWN, IDENTITY_INVALID, CERT_EXPIRED, CERT_UNTRUSTED, CERT_REVOKED, BAD_SIGNATURE (and MSP_CONFIG_INVALID at setup). */
export class MspError extends Error {
    readonly code: string;
    constructor(code: string, message: string) {
        super(`${code}: ${message}`);
        this.name = 'MspError';
        this.code = code;
    }
}

/** Fabric CA's attribute extension. */
export const ATTRS_OID = '1.2.3.4.5.6.7.8.1';
const HALF_N = P256_N >> 1n;
const CACHE_LIMIT = 10_000;

interface NodeOU {
    ou: string;
    /** DER of the CA certificate that must have issued the identity (config.yaml `Certificate`), if any. */
    certifier?: Buffer;
}

/** One MSP of the channel, set up from its FabricMSPConfig. */
interface ChannelMsp {
    name: string;
    roots: crypto.X509Certificate[];
    intermediates: crypto.X509Certificate[];
    /** CA certificates that issued no other CA certificate of this MSP: the only valid direct issuers. */
    issuers: crypto.X509Certificate[];
    admins: Buffer[];
    nodeOUs?: Partial<Record<Role, NodeOU>>;
    tlsRootCerts: string[];
    /** The revocation_list (a local MSP's crls/ folder), parsed as Go's x509.ParseCRL. */
    crls: ParsedCrl[];
}

/** What the cache keeps for one serialized identity: validated once, dates re-checked per call. */
interface CachedIdentity {
    identity: VerifiedIdentity;
    publicKey: crypto.KeyObject;
    notBefore: number;
    notAfter: number;
}

function toPem(bytes: Uint8Array | string): string {
    return typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
}

function parseCert(pem: string, code: string, what: string): crypto.X509Certificate {
    try {
        return new crypto.X509Certificate(pem);
    } catch (e) {
        throw new MspError(code, `${what} is not an X.509 certificate: ${(e as Error).message}`);
    }
}

/** "C=KR\nOU=client\nCN=x" (node's order, as in the certificate) -> "CN=x,OU=client,C=KR" (Go's pkix.Name.String order). */
function subjectString(cert: crypto.X509Certificate): string {
    return cert.subject.split('\n').filter(Boolean).reverse().join(',');
}

function subjectOUs(cert: crypto.X509Certificate): string[] {
    return cert.subject
        .split('\n')
        .filter((l) => l.startsWith('OU='))
        .map((l) => l.slice(3));
}

/** Fabric CA attributes; a certificate without the extension has none. */
function readAttrs(pem: string, der: Buffer): Record<string, string> {
    // Cheap scan for the OID's DER before paying for a full parse.
    if (!der.includes(Buffer.from([0x06, 0x08, 0x2a, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x01]))) return {};
    const ext = new x509.X509Certificate(pem).getExtension(ATTRS_OID);
    if (!ext) return {};
    let parsed: unknown;
    try {
        parsed = JSON.parse(Buffer.from(ext.value).toString('utf8'));
    } catch {
        throw new MspError('IDENTITY_INVALID', 'the attribute extension is not JSON');
    }
    const attrs = (parsed as { attrs?: unknown })?.attrs;
    if (typeof attrs !== 'object' || attrs === null) throw new MspError('IDENTITY_INVALID', 'the attribute extension has no attrs object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) out[k] = String(v);
    return out;
}

function issuedBy(cert: crypto.X509Certificate, issuer: crypto.X509Certificate): boolean {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** The issuer and the CAs above it up to a root of the MSP. */
function chainOf(m: ChannelMsp, issuer: crypto.X509Certificate): crypto.X509Certificate[] {
    const chain = [issuer];
    for (let ca = issuer; !m.roots.some((r) => r.raw.equals(ca.raw)); ) {
        const parent = [...m.intermediates, ...m.roots].find((c) => !c.raw.equals(ca.raw) && issuedBy(ca, c));
        if (!parent) break;
        chain.push(parent);
        ca = parent;
    }
    return chain;
}

/** Go's time.Time.String() of a UTC instant as x509's CertificateInvalidError prints it (RFC 3339). */
const goTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Fabric's MSP verifies an identity's chain as of one second after the identity's NotBefore
 * (msp/mspimplvalidate.go getValidityOptsForCert, FAB-3678), not as of now: an identity that has
 * since expired stays valid (a block it signed still validates; the peers' ExpirationCheck filter
 * and the orderer's ExpirationRejectRule refuse its new requests), but one that was not valid at
 * that instant, or whose CA was not (issued after the CA expired, or before it existed), is not.
 */
function checkValidAtIssue(cert: crypto.X509Certificate, chain: crypto.X509Certificate[]): void {
    const at = Date.parse(cert.validFrom) + 1000;
    for (const c of [cert, ...chain]) {
        const from = Date.parse(c.validFrom);
        const to = Date.parse(c.validTo);
        if (at < from || at > to) {
            const detail =
                at > to ? `current time ${goTime(at)} is after ${goTime(to)}` : `current time ${goTime(at)} is before ${goTime(from)}`;
            throw new MspError(
                'CERT_UNTRUSTED',
                `could not obtain certification chain: the supplied identity is not valid: x509: certificate has expired or is not yet valid: ${detail}` +
                    (c === cert ? '' : ` (the CA ${subjectString(c)})`),
            );
        }
    }
}

function setupMsp(config: msp.FabricMSPConfig): ChannelMsp {
    const name = config.getName();
    if (!name) throw new MspError('MSP_CONFIG_INVALID', 'an MSP config has no name');
    const roots = config.getRootCertsList().map((c, i) => parseCert(toPem(c), 'MSP_CONFIG_INVALID', `${name} root cert ${i}`));
    if (roots.length === 0) throw new MspError('MSP_CONFIG_INVALID', `${name} has no root certificate`);
    for (const r of roots) {
        if (!r.ca) throw new MspError('MSP_CONFIG_INVALID', `${name} root cert ${r.subject} is not a CA certificate`);
    }
    const intermediates = config
        .getIntermediateCertsList()
        .map((c, i) => parseCert(toPem(c), 'MSP_CONFIG_INVALID', `${name} intermediate cert ${i}`));
    // Intermediates must chain to a root (possibly through other intermediates).
    const trusted = [...roots];
    let pending = [...intermediates];
    while (pending.length > 0) {
        const next = pending.filter((c) => !trusted.some((t) => issuedBy(c, t)));
        if (next.length === pending.length) {
            throw new MspError('MSP_CONFIG_INVALID', `${name} intermediate ${next[0].subject} does not chain to a root`);
        }
        trusted.push(...pending.filter((c) => !next.includes(c)));
        pending = next;
    }
    // As Fabric: when intermediates exist, an identity's issuer must be a leaf of the CA tree.
    const all = [...roots, ...intermediates];
    const issuers = all.filter((ca) => !all.some((other) => other !== ca && issuedBy(other, ca)));
    const admins = config.getAdminsList().map((c, i) => parseCert(toPem(c), 'MSP_CONFIG_INVALID', `${name} admin cert ${i}`).raw);
    let nodeOUs: ChannelMsp['nodeOUs'];
    const n = config.getFabricNodeOus();
    if (n?.getEnable()) {
        nodeOUs = {};
        const pick = (id: msp.FabricOUIdentifier | undefined, role: Role) => {
            if (!id?.getOrganizationalUnitIdentifier()) return;
            const certBytes = id.getCertificate_asU8();
            nodeOUs![role] = {
                ou: id.getOrganizationalUnitIdentifier(),
                certifier:
                    certBytes.length > 0
                        ? parseCert(toPem(certBytes), 'MSP_CONFIG_INVALID', `${name} ${role} OU certificate`).raw
                        : undefined,
            };
        };
        pick(n.getClientOuIdentifier(), 'client');
        pick(n.getPeerOuIdentifier(), 'peer');
        pick(n.getAdminOuIdentifier(), 'admin');
        pick(n.getOrdererOuIdentifier(), 'orderer');
    }
    // As Fabric's setupCRLs: every CRL must parse (else the MSP, and a config carrying it, is
    // refused); who signed it is checked only when a certificate it names is validated.
    const crls = config.getRevocationListList_asU8().map((bytes, i) => {
        try {
            return parseCrl(bytes);
        } catch (e) {
            throw new MspError('MSP_CONFIG_INVALID', `${name}: could not parse RevocationList ${i}: ${(e as Error).message}`);
        }
    });
    return { name, roots, intermediates, issuers, admins, nodeOUs, tlsRootCerts: config.getTlsRootCertsList().map(toPem), crls };
}

/**
 * Fabric's validateCertAgainstChain: a CRL whose AKI is the SKI of the certificate's issuer and
 * that lists its serial revokes it, if that issuer signed the CRL (a CRL signed by anyone else is
 * skipped, with a warning in Fabric's log). A CRL without an AKI fails every validation, as in Fabric.
 */
function checkRevocation(m: ChannelMsp, cert: crypto.X509Certificate, issuer: crypto.X509Certificate): void {
    if (m.crls.length === 0) return;
    const ski = subjectKeyIdentifier(issuer);
    if (!ski) throw new MspError('IDENTITY_INVALID', 'could not obtain Subject Key Identifier for signer cert');
    const serial = cert.serialNumber.toLowerCase().replace(/^0+/, '') || '0';
    for (const crl of m.crls) {
        if (!crl.authorityKeyId) {
            throw new MspError(
                'IDENTITY_INVALID',
                'could not obtain Authority Key Identifier for crl: authorityKeyIdentifier not found in certificate',
            );
        }
        if (!crl.authorityKeyId.equals(ski) || !crl.serials.has(serial)) continue;
        if (!crlSignedBy(crl, issuer)) continue;
        throw new MspError('CERT_REVOKED', `The certificate has been revoked: ${subjectString(cert)} (${m.name}, serial ${serial})`);
    }
}

export class MspManager {
    readonly mspIds: string[];
    readonly #msps = new Map<string, ChannelMsp>();
    readonly #cache = new Map<string, CachedIdentity>();

    constructor(configs: msp.FabricMSPConfig[]) {
        for (const config of configs) {
            const m = setupMsp(config);
            if (this.#msps.has(m.name)) throw new MspError('MSP_CONFIG_INVALID', `MSP ${m.name} is defined twice`);
            this.#msps.set(m.name, m);
        }
        this.mspIds = [...this.#msps.keys()];
    }

    /** PEM TLS root certificates of an MSP (what a client needs to reach that org's nodes). */
    tlsRootCerts(mspId: string): string[] {
        const m = this.#msps.get(mspId);
        if (!m) throw new MspError('MSP_UNKNOWN', `MSP ${mspId} is not defined in the channel`);
        return [...m.tlsRootCerts];
    }

    /**
     * Parses msp.SerializedIdentity bytes and validates the certificate; throws MspError. Cached.
     * Like Fabric's MSP, the certificate's own validity dates are not checked unless `at` is given
     * (Fabric validates the chain as of the certificate's NotBefore; expired clients are refused by
     * the peers' ExpirationCheck filter and the orderer's Broadcast, see identityExpiresAt).
     */
    deserialize(serialized: Uint8Array, at?: Date): VerifiedIdentity {
        return this.#lookup(serialized, at).identity;
    }

    /** deserialize + ECDSA verification (low-S enforced); throws MspError. */
    verify(serialized: Uint8Array, data: Uint8Array, signature: Uint8Array, at?: Date): VerifiedIdentity {
        const entry = this.#lookup(serialized, at);
        const rs = decodeEcdsaSignature(signature);
        if (!rs) throw new MspError('BAD_SIGNATURE', 'the signature is not a DER ECDSA signature');
        // Fabric refuses the malleable twin (r, n-s) of a valid signature.
        if (rs.s > HALF_N) throw new MspError('BAD_SIGNATURE', 'the signature is not in low-S form');
        let ok: boolean;
        try {
            ok = crypto.verify('sha256', data, entry.publicKey, signature);
        } catch {
            ok = false;
        }
        if (!ok)
            throw new MspError('BAD_SIGNATURE', `the signature of ${entry.identity.subject} (${entry.identity.mspId}) does not verify`);
        return entry.identity;
    }

    #lookup(serialized: Uint8Array, at: Date | undefined): CachedIdentity {
        const key = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength).toString('latin1');
        let entry = this.#cache.get(key);
        if (entry) {
            // Least recently used goes first: re-insert on a hit.
            this.#cache.delete(key);
            this.#cache.set(key, entry);
        } else {
            entry = this.#validate(serialized);
            this.#cache.set(key, entry);
            if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
        }
        const t = at?.getTime();
        if (at && t !== undefined && (t < entry.notBefore || t > entry.notAfter)) {
            throw new MspError('CERT_EXPIRED', `the certificate of ${entry.identity.subject} is not valid at ${at.toISOString()}`);
        }
        return entry;
    }

    #validate(serialized: Uint8Array): CachedIdentity {
        let sid: msp.SerializedIdentity;
        try {
            sid = deserializeIdentity(serialized);
        } catch (e) {
            throw new MspError('IDENTITY_INVALID', e instanceof IdentityError ? e.message : String(e));
        }
        const mspId = sid.getMspid();
        const m = this.#msps.get(mspId);
        if (!m) throw new MspError('MSP_UNKNOWN', `MSP ${mspId} is not defined in the channel`);
        const pem = Buffer.from(sid.getIdBytes_asU8()).toString('utf8');
        if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new MspError('IDENTITY_INVALID', 'id_bytes is not a PEM certificate');
        const cert = parseCert(pem, 'IDENTITY_INVALID', 'the identity');
        const publicKey = cert.publicKey;
        if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
            throw new MspError('IDENTITY_INVALID', 'only ECDSA P-256 identities are supported');
        }
        if (cert.ca) throw new MspError('IDENTITY_INVALID', 'a CA certificate cannot be used as an identity');
        const issuer = m.issuers.find((ca) => issuedBy(cert, ca));
        if (!issuer) {
            const other = [...m.roots, ...m.intermediates].some((ca) => issuedBy(cert, ca));
            throw new MspError(
                'CERT_UNTRUSTED',
                other
                    ? `the certificate of ${subjectString(cert)} was issued by a CA of ${mspId} that is not a leaf of its certification tree`
                    : `the certificate of ${subjectString(cert)} does not chain to a CA of ${mspId}`,
            );
        }
        checkValidAtIssue(cert, chainOf(m, issuer));
        checkRevocation(m, cert, issuer);
        const role = this.#role(m, cert, issuer);
        const identity: VerifiedIdentity = {
            mspId,
            certificatePem: pem,
            role,
            subject: subjectString(cert),
            attrs: readAttrs(pem, cert.raw),
        };
        return { identity, publicKey, notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
    }

    /** The NodeOU role: exactly one of the MSP's client/peer/admin/orderer OUs, as Fabric 1.4.3+ requires. */
    #role(m: ChannelMsp, cert: crypto.X509Certificate, issuer: crypto.X509Certificate): Role {
        const explicitAdmin = m.admins.some((a) => a.equals(cert.raw));
        if (!m.nodeOUs) {
            // Without NodeOUs Fabric cannot tell clients from peers; admins are those listed.
            return explicitAdmin ? 'admin' : 'client';
        }
        const ous = subjectOUs(cert);
        const roles: Role[] = [];
        for (const [role, nodeOU] of Object.entries(m.nodeOUs) as [Role, NodeOU][]) {
            if (!ous.includes(nodeOU.ou)) continue;
            if (nodeOU.certifier && !nodeOU.certifier.equals(issuer.raw)) {
                throw new MspError(
                    'IDENTITY_INVALID',
                    `the ${role} OU of ${subjectString(cert)} is not certified by the CA named in ${m.name}'s NodeOUs`,
                );
            }
            roles.push(role);
        }
        if (roles.length > 1) {
            throw new MspError(
                'IDENTITY_INVALID',
                `${subjectString(cert)} must have exactly one of the client, peer, admin or orderer OUs, has ${roles.join(', ')}`,
            );
        }
        if (roles.length === 0) {
            if (explicitAdmin) return 'admin';
            throw new MspError(
                'IDENTITY_INVALID',
                `${subjectString(cert)} has no OU that resolves to client, peer, admin or orderer in ${m.name}`,
            );
        }
        return explicitAdmin ? 'admin' : roles[0];
    }
}
