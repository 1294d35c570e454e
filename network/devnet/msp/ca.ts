// The devnet's certificate authorities: crypto material laid out as Fabric's
// cryptogen and fabric-ca-client write it (CA, TLS CA, verifying MSP with NodeOUs, node and user
// MSP folders), generated once from the topology with @peculiar/x509, and run-time enrollment of
// client identities carrying Fabric CA attributes.
import 'reflect-metadata';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import YAML from 'yaml';
import { msp } from '@hyperledger/fabric-protos';
import { Topology, paths, findOrg, nodesOperatedBy, PRODUCT_CHAINCODE } from '../../client/topology';
import { ATTRS_OID } from './msp';

type CryptoKey = crypto.webcrypto.CryptoKey;
type CryptoKeyPair = crypto.webcrypto.CryptoKeyPair;

// @peculiar/x509 signs and hashes through WebCrypto: node's implementation.
x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const subtle = crypto.webcrypto.subtle;
const DAY_MS = 24 * 3600 * 1000;
const YEAR_MS = 365 * DAY_MS;
/** Backdated like Fabric CA does, so a peer whose clock is slightly behind accepts new certificates. */
const BACKDATE_MS = 5 * 60 * 1000;

export type NodeOuRole = 'client' | 'peer' | 'admin' | 'orderer';

/** Refusals carry a stable code: ORG_UNKNOWN, ENROLL_NAME_INVALID, ENROLL_ATTR_INVALID, ENROLL_NODEOU_INVALID, IDENTITY_EXISTS, IDENTITY_INCOMPLETE, CA_MISSING, CA_INVALID, MSP_DIR_INVALID. */
export class CaError extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'CaError';
    }
}

export interface EnrollRequest {
    mspId: string;
    /** Enrollment id: letters, digits, '.', '_', '-'; the folder is users/<name>@<domain>. */
    name: string;
    /** Fabric CA attributes written to extension 1.2.3.4.5.6.7.8.1, e.g. { role: 'department', dept: 'welfare' }. */
    attrs?: Record<string, string>;
    nodeOu?: 'client' | 'admin';
    /** Return the existing identity instead of refusing with IDENTITY_EXISTS. */
    reuse?: boolean;
}

export interface EnrolledIdentity {
    mspId: string;
    name: string;
    /** users/<name>@<domain>/msp */
    mspDir: string;
    certificatePem: string;
    privateKeyPem: string;
}

export interface LoadedCa {
    cert: x509.X509Certificate;
    pem: string;
    key: CryptoKey;
}

export interface OrgInfo {
    mspId: string;
    domain: string;
    dir: string;
}

// ---- small helpers ----

export function orgInfo(t: Topology, mspId: string): OrgInfo {
    if (!t.orgs.some((o) => o.mspId === mspId)) throw new CaError('ORG_UNKNOWN', `${mspId} is not an org of the topology`);
    return { mspId, domain: findOrg(t, mspId).domain, dir: paths.orgDir(t, mspId) };
}

/** Writes a file atomically (temporary file + rename) so a crash never leaves half a key. */
function writeFileAtomic(file: string, content: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
}

export function serialNumber(): string {
    const b = crypto.randomBytes(16);
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // no leading zero byte
    return b.toString('hex');
}

async function newKeys(): Promise<CryptoKeyPair> {
    return (await subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
    const der = Buffer.from(await subtle.exportKey('pkcs8', key));
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
    const der = crypto.createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
    return subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

function dn(cn: string, ou?: string): string {
    // Same fields as cryptogen (C, ST, L, [OU], CN; CAs also O), with Seoul's locality.
    return ['C=KR', 'ST=Seoul', 'L=Seoul', ...(ou ? [`OU=${ou}`] : []), `CN=${cn}`].join(', ');
}

async function createCa(
    domain: string,
    cn: string,
    notAfter = new Date(Date.now() + 10 * YEAR_MS),
): Promise<LoadedCa & { keyPem: string }> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialNumber(),
        name: ['C=KR', 'ST=Seoul', 'L=Seoul', `O=${domain}`, `CN=${cn}`].join(', '),
        notBefore: new Date(Date.now() - BACKDATE_MS),
        notAfter,
        keys,
        signingAlgorithm: ALG,
        extensions: [
            new x509.KeyUsagesExtension(
                x509.KeyUsageFlags.digitalSignature |
                    x509.KeyUsageFlags.keyEncipherment |
                    x509.KeyUsageFlags.keyCertSign |
                    x509.KeyUsageFlags.cRLSign,
                true,
            ),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
            new x509.BasicConstraintsExtension(true, undefined, true),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { cert, pem: cert.toString('pem') + '\n', key: keys.privateKey, keyPem: await privateKeyPem(keys.privateKey) };
}

export interface LeafOptions {
    subject: string | x509.JsonName;
    attrs?: Record<string, string>;
    tls?: { dnsNames: string[]; ips: string[] };
    /** Subject alternative names of an enrollment certificate (Fabric CA's `hosts`). */
    hosts?: { dnsNames: string[]; ips: string[] };
    notBefore?: Date;
    notAfter?: Date;
    serialNumber?: string;
}

/** Signs a certificate for a public key with the CA's key: the extensions cryptogen and Fabric CA give a leaf. */
export async function signCertificate(ca: LoadedCa, publicKey: CryptoKey, opts: LeafOptions): Promise<x509.X509Certificate> {
    const extensions: x509.Extension[] = [
        new x509.KeyUsagesExtension(
            opts.tls ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature,
            true,
        ),
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ];
    if (opts.tls) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
    const sans = opts.tls ?? opts.hosts;
    if (sans && sans.dnsNames.length + sans.ips.length > 0) {
        extensions.push(
            new x509.SubjectAlternativeNameExtension([
                ...sans.dnsNames.map((value) => ({ type: 'dns' as const, value })),
                ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
            ]),
        );
    }
    if (opts.attrs) {
        // Fabric CA writes the JSON itself as the extension value (no ASN.1 wrapping).
        extensions.push(new x509.Extension(ATTRS_OID, false, Buffer.from(JSON.stringify({ attrs: opts.attrs }))));
    }
    return x509.X509CertificateGenerator.create({
        serialNumber: opts.serialNumber ?? serialNumber(),
        subject: opts.subject,
        issuer: ca.cert.subject,
        notBefore: opts.notBefore ?? new Date(Date.now() - BACKDATE_MS),
        notAfter: opts.notAfter ?? new Date(Date.now() + 10 * YEAR_MS),
        publicKey,
        signingKey: ca.key,
        signingAlgorithm: ALG,
        extensions,
    });
}

async function issueLeaf(ca: LoadedCa, opts: LeafOptions): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const keys = await newKeys();
    const cert = await signCertificate(ca, keys.publicKey, opts);
    return { certificatePem: cert.toString('pem') + '\n', privateKeyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * A new key and certificate for the holder of `oldPem`, from the CA that issued it: the same
 * subject, SANs and Fabric CA attributes, a new serial and validity (a year, as Fabric CA's default
 * 8760h, never past the CA's own). How the devnet renews what it made as cryptogen does, without
 * a CA server's record (network:renew); `keepKeyPem` keeps the holder's key (an ordering node's TLS
 * certificate, which the consenter set names by its public key). Refused with RENEW_NOT_FROM_CA when
 * `ca` did not issue it.
 */
export async function reissueLeaf(
    ca: LoadedCa,
    oldPem: string,
    now = Date.now(),
    keepKeyPem?: string,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const old = new x509.X509Certificate(oldPem);
    if (!(await old.verify({ publicKey: ca.cert.publicKey, signatureOnly: true })) || old.issuer !== ca.cert.subject)
        throw new CaError('RENEW_NOT_FROM_CA', `${old.subject} was not issued by ${ca.cert.subject}`);
    const sanExt = old.getExtension(x509.SubjectAlternativeNameExtension);
    const names = sanExt?.names.items ?? [];
    const sans = {
        dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
        ips: names.filter((n) => n.type === 'ip').map((n) => n.value),
    };
    const tls = old.getExtension(x509.ExtendedKeyUsageExtension)?.usages.includes(x509.ExtendedKeyUsage.serverAuth) ?? false;
    const attrsExt = old.extensions.find((e) => e.type === ATTRS_OID);
    const attrs = attrsExt
        ? (JSON.parse(Buffer.from(attrsExt.value).toString('utf8')) as { attrs: Record<string, string> }).attrs
        : undefined;
    const opts: LeafOptions = {
        subject: old.subject,
        ...(tls ? { tls: sans } : sanExt ? { hosts: sans } : {}),
        ...(attrs ? { attrs } : {}),
        notBefore: new Date(now - BACKDATE_MS),
        notAfter: new Date(Math.min(now + YEAR_MS, ca.cert.notAfter.getTime())),
    };
    if (!keepKeyPem) return issueLeaf(ca, opts);
    const publicKey = await subtle.importKey(
        'spki',
        crypto.createPublicKey(keepKeyPem).export({ format: 'der', type: 'spki' }),
        ALG,
        true,
        ['verify'],
    );
    return { certificatePem: (await signCertificate(ca, publicKey, opts)).toString('pem') + '\n', privateKeyPem: keepKeyPem };
}

const NODE_OU_CONFIG = YAML.stringify({
    NodeOUs: {
        Enable: true,
        ClientOUIdentifier: { Certificate: 'cacerts/ca-cert.pem', OrganizationalUnitIdentifier: 'client' },
        PeerOUIdentifier: { Certificate: 'cacerts/ca-cert.pem', OrganizationalUnitIdentifier: 'peer' },
        AdminOUIdentifier: { Certificate: 'cacerts/ca-cert.pem', OrganizationalUnitIdentifier: 'admin' },
        OrdererOUIdentifier: { Certificate: 'cacerts/ca-cert.pem', OrganizationalUnitIdentifier: 'orderer' },
    },
});

// ---- per-org material ----

export const caFiles = (org: OrgInfo) => ({ cert: path.join(org.dir, 'ca', 'ca-cert.pem'), key: path.join(org.dir, 'ca', 'priv_sk') });
export const tlsCaFiles = (org: OrgInfo) => ({
    cert: path.join(org.dir, 'tlsca', 'tlsca-cert.pem'),
    key: path.join(org.dir, 'tlsca', 'priv_sk'),
});

export async function loadCa(files: { cert: string; key: string }): Promise<LoadedCa> {
    const pem = fs.readFileSync(files.cert, 'utf8');
    return { cert: new x509.X509Certificate(pem), pem, key: await importPrivateKey(fs.readFileSync(files.key, 'utf8')) };
}

/**
 * Publishes a folder atomically: fills a temporary sibling and renames it into place. The rename
 * either wins (the folder now exists, complete) or finds one already there (another run won), so
 * a crash or a concurrent run never leaves a key that does not match its certificate.
 */
function publishDir(target: string, fill: (dir: string) => void): boolean {
    const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
        fill(tmp);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.renameSync(tmp, target);
        return true;
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw e;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The CA of an org, created when missing; a concurrent run's CA wins if it was first. */
async function ensureCa(files: { cert: string; key: string }, domain: string, cn: string): Promise<LoadedCa> {
    if (!fs.existsSync(files.cert)) {
        const ca = await createCa(domain, cn);
        publishDir(path.dirname(files.cert), (dir) => {
            writeFileAtomic(path.join(dir, path.basename(files.key)), ca.keyPem, 0o600);
            writeFileAtomic(path.join(dir, path.basename(files.cert)), ca.pem);
        });
    }
    try {
        return await loadCa(files);
    } catch (e) {
        throw new CaError(
            'CA_INVALID',
            `${path.dirname(files.cert)} is incomplete or unreadable (${(e as Error).message}); remove it to regenerate`,
        );
    }
}

function writeIfAbsent(file: string, content: string, mode?: number): void {
    if (!fs.existsSync(file)) writeFileAtomic(file, content, mode);
}

/** cacerts, tlscacerts and config.yaml: what a verifying MSP folder holds. */
function writeVerifyingMsp(mspDir: string, ca: LoadedCa, tlsCa: LoadedCa): void {
    writeIfAbsent(path.join(mspDir, 'cacerts', 'ca-cert.pem'), ca.pem);
    writeIfAbsent(path.join(mspDir, 'tlscacerts', 'tlsca-cert.pem'), tlsCa.pem);
    writeIfAbsent(path.join(mspDir, 'config.yaml'), NODE_OU_CONFIG);
}

/** A local MSP folder (signcerts, keystore, cacerts, tlscacerts, config.yaml), published at once. */
function publishLocalMsp(mspDir: string, ca: LoadedCa, tlsCa: LoadedCa, leaf: { certificatePem: string; privateKeyPem: string }): boolean {
    return publishDir(mspDir, (dir) => {
        writeFileAtomic(path.join(dir, 'keystore', 'priv_sk'), leaf.privateKeyPem, 0o600);
        writeFileAtomic(path.join(dir, 'signcerts', 'cert.pem'), leaf.certificatePem);
        writeVerifyingMsp(dir, ca, tlsCa);
    });
}

const hasIdentity = (mspDir: string) => fs.existsSync(path.join(mspDir, 'signcerts', 'cert.pem'));

function isIp(host: string): boolean {
    return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

async function ensureNode(
    nodeDir: string,
    nodeName: string,
    host: string,
    ou: 'peer' | 'orderer',
    ca: LoadedCa,
    tlsCa: LoadedCa,
): Promise<void> {
    const mspDir = path.join(nodeDir, 'msp');
    if (!fs.existsSync(mspDir)) publishLocalMsp(mspDir, ca, tlsCa, await issueLeaf(ca, { subject: dn(nodeName, ou) }));
    await ensureTls(path.join(nodeDir, 'tls'), nodeName, host, tlsCa);
}

/**
 * A node's TLS folder (ca.crt, server.crt, server.key) from the org's TLS CA; `client` names the
 * files client.crt and client.key instead (a peer's certificate towards its chaincode servers).
 */
async function ensureTls(
    tlsDir: string,
    nodeName: string,
    host: string,
    tlsCa: LoadedCa,
    role: 'server' | 'client' = 'server',
): Promise<void> {
    if (!fs.existsSync(tlsDir)) {
        // Clients dial 127.0.0.1 or localhost and check the node's name (ssl_target_name_override).
        const ips = [...new Set(['127.0.0.1', ...(isIp(host) ? [host] : [])])];
        const dnsNames = [...new Set([nodeName, 'localhost', ...(isIp(host) ? [] : [host])])];
        const tls = await issueLeaf(tlsCa, { subject: dn(nodeName), tls: { dnsNames, ips } });
        publishDir(tlsDir, (dir) => {
            writeFileAtomic(path.join(dir, 'ca.crt'), tlsCa.pem);
            writeFileAtomic(path.join(dir, `${role}.key`), tls.privateKeyPem, 0o600);
            writeFileAtomic(path.join(dir, `${role}.crt`), tls.certificatePem);
        });
    }
}

/**
 * The TLS material of an org's chaincode connections: a server certificate for each of its
 * chaincode servers (they run on the peer's machine, dialled at 127.0.0.1) and the peer's client
 * certificate, both from the org's TLS CA, which each side also trusts for the other.
 */
async function ensureChaincodeTls(t: Topology, mspId: string, tlsCa: LoadedCa): Promise<void> {
    for (const cc of t.chaincodes.filter((c) => c.server.tls)) {
        const name = paths.chaincodeServerName(t, mspId, cc.name);
        await ensureTls(paths.chaincodeServerTlsDir(t, mspId, cc.name), name, '127.0.0.1', tlsCa);
    }
    await ensureTls(paths.peerChaincodeTlsDir(t, mspId), paths.peerName(t, mspId), '127.0.0.1', tlsCa, 'client');
}

/**
 * The identities every org gets at network creation: an admin and `User1` (as Fabric's test
 * network), and, where the product's chaincode runs, the role holders its demo and tests use.
 */
export function initialUsers(t: Topology, mspId: string): EnrollRequest[] {
    const users: EnrollRequest[] = [
        { mspId, name: 'Admin', nodeOu: 'admin' },
        { mspId, name: 'User1' },
    ];
    if (!t.chaincodes.some((cc) => cc.name === PRODUCT_CHAINCODE)) return users;
    const org = findOrg(t, mspId);
    if (org.issuer || mspId === 'SeoulMSP') {
        users.push(
            { mspId, name: 'issuer1', attrs: { role: 'issuer' } },
            { mspId, name: 'citizen-agent', attrs: { role: 'citizen-agent' } },
        );
    }
    if (mspId === 'MOISMSP') {
        users.push(
            { mspId, name: 'service-admin1', attrs: { role: 'service-admin' } },
            { mspId, name: 'resident-registration', attrs: { role: 'department', dept: 'resident-registration' } },
        );
    }
    if (mspId === 'MOHWMSP') users.push({ mspId, name: 'welfare', attrs: { role: 'department', dept: 'welfare' } });
    if (mspId === 'AuditMSP') users.push({ mspId, name: 'auditor1', attrs: { role: 'auditor' } });
    return users;
}

/**
 * Creates whatever crypto material of the topology's orgs (or of `only` these) is missing, as
 * Fabric's cryptogen lays it out: each org's CA and TLS CA, its verifying MSP, its CA server's TLS
 * identity, its peer, the ordering nodes it operates (identified by its own MSP) and its users.
 * What exists is left untouched, so running it twice changes nothing; an org's keys are written
 * only into that org's own folder.
 */
export async function generateCrypto(t: Topology, only?: string[]): Promise<void> {
    for (const { mspId } of t.orgs.filter((o) => !only || only.includes(o.mspId))) {
        const org = orgInfo(t, mspId);
        const ca = await ensureCa(caFiles(org), org.domain, `ca.${org.domain}`);
        const tlsCa = await ensureCa(tlsCaFiles(org), org.domain, `tlsca.${org.domain}`);
        writeVerifyingMsp(path.join(org.dir, 'msp'), ca, tlsCa);
        // The org's Fabric CA server answers over TLS with a certificate of the org's TLS CA.
        await ensureTls(paths.caTlsDir(t, mspId), `ca.${org.domain}`, findOrg(t, mspId).ca.host, tlsCa);
        await ensureNode(paths.peerDir(t, mspId), paths.peerName(t, mspId), findOrg(t, mspId).peer.host, 'peer', ca, tlsCa);
        await ensureChaincodeTls(t, mspId, tlsCa);
        for (const node of nodesOperatedBy(t, mspId)) {
            await ensureNode(paths.ordererDir(t, node), paths.ordererName(t, node), node.host, 'orderer', ca, tlsCa);
        }
        for (const user of initialUsers(t, mspId)) await enroll(t, { ...user, reuse: true });
    }
}

// ---- enrollment ----

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ATTR_NAME_RE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

function validateEnroll(req: EnrollRequest): void {
    if (typeof req.name !== 'string' || !NAME_RE.test(req.name)) {
        throw new CaError(
            'ENROLL_NAME_INVALID',
            `name must be 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit, got ${JSON.stringify(req.name)}`,
        );
    }
    if (req.nodeOu !== undefined && req.nodeOu !== 'client' && req.nodeOu !== 'admin') {
        throw new CaError('ENROLL_NODEOU_INVALID', `nodeOu must be client or admin, got ${JSON.stringify(req.nodeOu)}`);
    }
    if (req.attrs === undefined) return;
    if (typeof req.attrs !== 'object' || req.attrs === null || Array.isArray(req.attrs)) {
        throw new CaError('ENROLL_ATTR_INVALID', 'attrs must be an object of strings');
    }
    for (const [k, v] of Object.entries(req.attrs)) {
        if (!ATTR_NAME_RE.test(k)) throw new CaError('ENROLL_ATTR_INVALID', `attribute name ${JSON.stringify(k)} is not valid`);
        // hf.* attributes are Fabric CA's own; a caller must not be able to forge them.
        if (k.startsWith('hf.')) throw new CaError('ENROLL_ATTR_INVALID', `attribute ${k} is reserved to the CA`);
        if (typeof v !== 'string' || v.length > 256 || /[\u0000-\u001f\u007f]/.test(v)) {
            throw new CaError('ENROLL_ATTR_INVALID', `attribute ${k} must be a printable string of at most 256 characters`);
        }
    }
}

function readEnrolled(mspId: string, name: string, userDir: string): EnrolledIdentity {
    const mspDir = path.join(userDir, 'msp');
    return {
        mspId,
        name,
        mspDir,
        certificatePem: fs.readFileSync(path.join(mspDir, 'signcerts', 'cert.pem'), 'utf8'),
        privateKeyPem: fs.readFileSync(path.join(mspDir, 'keystore', 'priv_sk'), 'utf8'),
    };
}

/**
 * Issues a client (or admin) identity from the org's CA with Fabric CA attributes, as
 * `fabric-ca-client register` + `enroll` would, and writes its MSP folder under users/.
 * The org's CA must exist (generateCrypto).
 */
export async function enroll(t: Topology, req: EnrollRequest): Promise<EnrolledIdentity> {
    validateEnroll(req);
    const org = orgInfo(t, req.mspId);
    const userDir = paths.userDir(t, req.mspId, req.name);
    const mspDir = path.join(userDir, 'msp');
    const exists = () => {
        if (!hasIdentity(mspDir))
            throw new CaError('IDENTITY_INCOMPLETE', `${userDir} exists without a certificate; remove it to enroll ${req.name} again`);
        if (req.reuse) return readEnrolled(req.mspId, req.name, userDir);
        throw new CaError('IDENTITY_EXISTS', `${req.name} is already enrolled in ${req.mspId}`);
    };
    if (fs.existsSync(mspDir)) return exists();
    if (!fs.existsSync(caFiles(org).cert))
        throw new CaError('CA_MISSING', `the CA of ${req.mspId} does not exist yet: run generateCrypto first`);
    const ca = await loadCa(caFiles(org));
    const tlsCa = await loadCa(tlsCaFiles(org));
    const nodeOu = req.nodeOu ?? 'client';
    const leaf = await issueLeaf(ca, {
        subject: dn(`${req.name}@${org.domain}`, nodeOu),
        // Fabric CA adds these three to every enrollment certificate by default.
        attrs: { 'hf.Affiliation': '', 'hf.EnrollmentID': req.name, 'hf.Type': nodeOu, ...(req.attrs ?? {}) },
        notAfter: new Date(Date.now() + YEAR_MS),
    });
    if (!publishLocalMsp(mspDir, ca, tlsCa, leaf)) return exists();
    return { mspId: req.mspId, name: req.name, mspDir, ...leaf };
}

export interface TestIdentityRequest {
    topology: Topology;
    mspId: string;
    /** A certificate of the org's real CA, issued within the CA's validity, whose own validity has ended. */
    expired?: boolean;
    /** A certificate from a throwaway CA with the same name as the org's CA, unknown to the channel. */
    untrusted?: boolean;
    nodeOu?: NodeOuRole;
    attrs?: Record<string, string>;
    /** The org CA's certificate and key files when they are not the devnet's (real Fabric: the org's Fabric CA server). */
    caFiles?: { cert: string; key: string };
}

/** Identities for refusal tests; nothing is written to disk. */
export async function issueTestIdentity(
    req: TestIdentityRequest,
): Promise<{ mspId: string; certificatePem: string; privateKeyPem: string }> {
    const org = orgInfo(req.topology, req.mspId);
    const ca = req.untrusted ? await createCa(org.domain, `ca.${org.domain}`) : await loadCa(req.caFiles ?? caFiles(org));
    const now = Date.now();
    // An expired certificate as a CA issues one: within the CA's own validity (Fabric's MSP checks
    // the chain as of the certificate's NotBefore), ended a while ago (a day, or as much as the
    // CA's age allows).
    const caFrom = ca.cert.notBefore.getTime();
    const expiredFrom = Math.max(now - 2 * DAY_MS, caFrom);
    const expiredTo = Math.max(now - DAY_MS, expiredFrom + 60_000);
    if (req.expired && expiredTo >= now)
        throw new CaError('CA_TOO_YOUNG', 'the CA is too recent to have issued a certificate that has expired');
    const leaf = await issueLeaf(ca, {
        subject: dn(`test-${crypto.randomBytes(4).toString('hex')}@${org.domain}`, req.nodeOu ?? 'client'),
        attrs: req.attrs,
        notBefore: req.expired ? new Date(expiredFrom) : undefined,
        notAfter: req.expired ? new Date(expiredTo) : new Date(now + DAY_MS),
    });
    return { mspId: req.mspId, ...leaf };
}

// ---- MSP folder -> channel config ----

function pemFiles(dir: string): Buffer[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .sort()
        .map((n) => path.join(dir, n))
        .filter((f) => fs.statSync(f).isFile())
        .map((f) => fs.readFileSync(f));
}

/** What a channel config (configtx) carries for an org: root and TLS root certs, CRLs, NodeOUs, as configtxgen reads an MSP folder. */
export function mspConfigFromDir(mspDir: string, mspId: string): msp.FabricMSPConfig {
    const roots = pemFiles(path.join(mspDir, 'cacerts'));
    if (roots.length === 0) throw new CaError('MSP_DIR_INVALID', `${mspDir}/cacerts holds no certificate`);
    const config = new msp.FabricMSPConfig();
    config.setName(mspId);
    config.setRootCertsList(roots);
    config.setIntermediateCertsList(pemFiles(path.join(mspDir, 'intermediatecerts')));
    config.setAdminsList(pemFiles(path.join(mspDir, 'admincerts')));
    config.setTlsRootCertsList(pemFiles(path.join(mspDir, 'tlscacerts')));
    config.setTlsIntermediateCertsList(pemFiles(path.join(mspDir, 'tlsintermediatecerts')));
    // One CRL a file, as Fabric's configbuilder reads crls/ into revocation_list.
    config.setRevocationListList(pemFiles(path.join(mspDir, 'crls')));
    const crypto = new msp.FabricCryptoConfig();
    crypto.setSignatureHashFamily('SHA2');
    crypto.setIdentityIdentifierHashFunction('SHA256');
    config.setCryptoConfig(crypto);
    const configFile = path.join(mspDir, 'config.yaml');
    if (fs.existsSync(configFile)) {
        const doc = YAML.parse(fs.readFileSync(configFile, 'utf8')) as { NodeOUs?: Record<string, unknown> } | null;
        const n = doc?.NodeOUs;
        if (n && n.Enable === true) {
            const nodeOUs = new msp.FabricNodeOUs();
            nodeOUs.setEnable(true);
            const identifier = (value: unknown, what: string): msp.FabricOUIdentifier | undefined => {
                const v = value as { Certificate?: string; OrganizationalUnitIdentifier?: string } | undefined;
                if (!v) return undefined;
                if (typeof v.OrganizationalUnitIdentifier !== 'string') {
                    throw new CaError('MSP_DIR_INVALID', `${configFile}: ${what}.OrganizationalUnitIdentifier is missing`);
                }
                const id = new msp.FabricOUIdentifier();
                id.setOrganizationalUnitIdentifier(v.OrganizationalUnitIdentifier);
                if (v.Certificate) {
                    const certFile = path.resolve(mspDir, v.Certificate);
                    if (!fs.existsSync(certFile))
                        throw new CaError('MSP_DIR_INVALID', `${configFile}: ${what}.Certificate ${v.Certificate} does not exist`);
                    id.setCertificate(fs.readFileSync(certFile));
                }
                return id;
            };
            nodeOUs.setClientOuIdentifier(identifier(n.ClientOUIdentifier, 'ClientOUIdentifier'));
            nodeOUs.setPeerOuIdentifier(identifier(n.PeerOUIdentifier, 'PeerOUIdentifier'));
            nodeOUs.setAdminOuIdentifier(identifier(n.AdminOUIdentifier, 'AdminOUIdentifier'));
            nodeOUs.setOrdererOuIdentifier(identifier(n.OrdererOUIdentifier, 'OrdererOUIdentifier'));
            config.setFabricNodeOus(nodeOUs);
        }
    }
    return config;
}
