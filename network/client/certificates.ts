// The certificates an org holds on its machine, with their validity: every node's and user's
// enrollment certificate (msp/signcerts) and every TLS certificate (a node's tls/, a peer's
// chaincode-tls/, a chaincode server's tls/, the CA server's tls/), read from the org's folder in
// the state folder. What network:status warns about, what network:renew renews and what a
// gateway's /metrics reports. CA certificates are not listed: they are the org's roots, changed
// by a channel config update, not renewed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filesIn, matchingKey } from './msp-folder';
import { findOrg, paths, type Topology } from './topology';

export type CertificateUse = 'enrollment' | 'tls';

export interface HeldCertificate {
    mspId: string;
    /** Whose it is: a node's or user's folder name (peer0.seoul.go.kr, Admin@seoul.go.kr), a chaincode server's, ca.<domain>. */
    holder: string;
    use: CertificateUse;
    /** The folder renewal replaces as a whole: an MSP folder or a TLS folder. */
    folder: string;
    certFile: string;
    /** The private key's file; '' when the MSP folder holds none (the key is in an HSM: create-app --hsm). */
    keyFile: string;
    serial: string;
    notBefore: Date;
    notAfter: Date;
}

export const DAY_MS = 86_400_000;

function subfolders(dir: string): string[] {
    try {
        return fs
            .readdirSync(dir, { withFileTypes: true })
            .filter((e) => e.isDirectory() && !e.name.includes('.renew'))
            .map((e) => e.name)
            .sort();
    } catch {
        return [];
    }
}

function read(mspId: string, holder: string, use: CertificateUse, folder: string, certFile: string, keyFile: string): HeldCertificate {
    const cert = new crypto.X509Certificate(fs.readFileSync(certFile));
    return {
        mspId,
        holder,
        use,
        folder,
        certFile,
        keyFile,
        serial: cert.serialNumber.toLowerCase(),
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
    };
}

/** An MSP folder's signing certificate and the key beside it that matches it. */
function mspEntry(mspId: string, holder: string, mspDir: string): HeldCertificate | undefined {
    const [certFile] = filesIn(path.join(mspDir, 'signcerts'));
    if (!certFile) return undefined;
    const keys = filesIn(path.join(mspDir, 'keystore'));
    // No key file at all: the key is in a PKCS#11 token; the certificate still expires and is listed.
    if (keys.length === 0) return read(mspId, holder, 'enrollment', mspDir, certFile, '');
    const key = matchingKey(new crypto.X509Certificate(fs.readFileSync(certFile)), keys);
    return key ? read(mspId, holder, 'enrollment', mspDir, certFile, key.keyFile) : undefined;
}

function tlsEntry(mspId: string, holder: string, tlsDir: string): HeldCertificate | undefined {
    for (const role of ['server', 'client']) {
        const certFile = path.join(tlsDir, `${role}.crt`);
        const keyFile = path.join(tlsDir, `${role}.key`);
        if (fs.existsSync(certFile) && fs.existsSync(keyFile)) return read(mspId, holder, 'tls', tlsDir, certFile, keyFile);
    }
    return undefined;
}

/**
 * Every certificate of the org found in its folder, in a stable order; an org whose folder is not
 * on this machine (another org's, in the multi-host layout) has none.
 */
export function heldCertificates(t: Topology, mspId: string): HeldCertificate[] {
    const orgDir = paths.orgDir(t, mspId);
    const found: (HeldCertificate | undefined)[] = [];
    for (const kind of ['peers', 'orderers']) {
        for (const name of subfolders(path.join(orgDir, kind))) {
            const dir = path.join(orgDir, kind, name);
            found.push(mspEntry(mspId, name, path.join(dir, 'msp')), tlsEntry(mspId, name, path.join(dir, 'tls')));
            if (kind === 'peers') found.push(tlsEntry(mspId, name, path.join(dir, 'chaincode-tls')));
        }
    }
    for (const name of subfolders(path.join(orgDir, 'users'))) found.push(mspEntry(mspId, name, path.join(orgDir, 'users', name, 'msp')));
    for (const name of subfolders(path.join(orgDir, 'chaincodes')))
        found.push(tlsEntry(mspId, name, path.join(orgDir, 'chaincodes', name, 'tls')));
    const domain = findOrg(t, mspId).domain;
    found.push(tlsEntry(mspId, `ca.${domain}`, paths.caTlsDir(t, mspId)));
    // The CA's bootstrap registrar, enrolled by the tooling (revoke, enroll, gateway:admin).
    found.push(mspEntry(mspId, `registrar@ca.${domain}`, paths.caRegistrarMsp(t, mspId)));
    return found.filter((c): c is HeldCertificate => c !== undefined);
}

/** Days left until the certificate expires (negative once it has), rounded down. */
export function daysLeft(c: HeldCertificate, now = Date.now()): number {
    return Math.floor((c.notAfter.getTime() - now) / DAY_MS);
}

/** The default warning window: Fabric CA issues for a year (8760h), so a month is about 8 % of it. */
export const DEFAULT_WARN_DAYS = 30;

/** A window of days from a flag or variable: a whole number from 0 to 36500, else USAGE. */
export function parseDays(value: string | undefined, what: string, fallback: number): number {
    if (value === undefined || value === '') return fallback;
    if (!/^\d{1,5}$/.test(value) || Number(value) > 36_500)
        throw new Error(`USAGE: ${what} must be a whole number of days (0-36500), got ${value}`);
    return Number(value);
}

/**
 * What network:status prints about the certificates of the orgs on this machine: one summary
 * line, then a WARN line for each that expires within `warnDays` (EXPIRED for those past it).
 */
export function expiryReport(t: Topology, warnDays: number, now = Date.now()): { lines: string[]; expiring: HeldCertificate[] } {
    const all = t.orgs.flatMap((o) => heldCertificates(t, o.mspId));
    if (all.length === 0) return { lines: ['certificates: none on this machine'], expiring: [] };
    const earliest = all.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
    const expiring = all.filter((c) => c.notAfter.getTime() - now < warnDays * DAY_MS);
    const lines = [
        `certificates: ${all.length}, earliest expiry ${earliest.notAfter.toISOString().slice(0, 10)} (${earliest.holder} ${earliest.use}, ${daysLeft(earliest, now)} days); warning ${warnDays} days before`,
    ];
    for (const c of expiring) {
        const left = daysLeft(c, now);
        lines.push(
            `${left < 0 ? 'EXPIRED' : 'WARN   '} ${c.use} certificate of ${c.holder} (${c.mspId}) ${left < 0 ? 'expired' : 'expires'} ${c.notAfter.toISOString()}` +
                `${left < 0 ? '' : ` (${left} days)`}: network:renew --org ${c.mspId}`,
        );
    }
    return { lines, expiring };
}
