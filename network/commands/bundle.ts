// An org's public bundle: what one org hands the others so that the channel can be founded and its
// nodes reached, and nothing else. Its verifying MSP (CA and TLS CA certificates, the NodeOU
// config.yaml), its TLS CA certificate, and the TLS certificates of the ordering nodes it operates
// (the Raft consenter set names them), each file by its path in the org's folder, with the SHA-256
// fingerprint of every certificate and one fingerprint of the whole bundle to confirm by another
// way (a phone call, a signed letter). A bundle never holds a private key: exporting refuses to
// put one in, importing refuses to take one.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findOrg, nodesOperatedBy, paths, Topology } from '../client/topology';

export class BundleError extends Error {
    constructor(
        readonly code:
            | 'BUNDLE_INVALID'
            | 'BUNDLE_HOLDS_PRIVATE_KEY'
            | 'BUNDLE_FINGERPRINT_MISMATCH'
            | 'BUNDLE_OF_OWN_ORG'
            | 'BUNDLE_INCOMPLETE'
            | 'BUNDLE_CONFLICT',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'BundleError';
    }
}

export interface OrgBundle {
    kind: 'org-bundle';
    channel: string;
    mspId: string;
    domain: string;
    /** Public files of the org's folder (organizations/peerOrganizations/<domain>/), by path relative to it. */
    files: Record<string, string>;
    /** SHA-256 of each certificate, as `openssl x509 -noout -fingerprint -sha256` prints it. */
    certificates: Record<string, string>;
}

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Why a file may hold a private key, or undefined: a PEM private-key block, a keystore, a key's usual name. */
export function privateKeyReason(file: string, content: Buffer | string): string | undefined {
    const parts = file.split(/[\\/]/);
    if (parts.includes('keystore')) return `${file} is in a keystore`;
    const base = parts[parts.length - 1];
    if (/_sk$|\.key$|^priv/i.test(base)) return `${file} is named as a private key`;
    if (PRIVATE_KEY_PEM.test(Buffer.from(content).toString('latin1'))) return `${file} holds a PEM private key`;
    return undefined;
}

export function certificateFingerprint(pem: string): string {
    return new crypto.X509Certificate(pem).fingerprint256;
}

/** The files of an org's folder that go into its bundle, by path relative to the folder. */
function publicFiles(t: Topology, mspId: string): string[] {
    const dir = paths.orgDir(t, mspId);
    const files: string[] = [];
    const walk = (rel: string) => {
        const abs = path.join(dir, rel);
        if (!fs.existsSync(abs)) return;
        if (fs.statSync(abs).isDirectory()) {
            for (const e of fs.readdirSync(abs).sort()) if (e !== 'keystore') walk(path.join(rel, e));
        } else if (/\.(pem|crt)$|^config\.yaml$/.test(path.basename(rel))) {
            files.push(rel);
        }
    };
    walk('msp');
    files.push(path.relative(dir, paths.tlsRootCert(t, mspId)));
    for (const node of nodesOperatedBy(t, mspId)) files.push(path.relative(dir, path.join(paths.ordererDir(t, node), 'tls', 'server.crt')));
    return files.map((f) => f.split(path.sep).join('/'));
}

/** The org's bundle, read from its folder on this machine (it must have been created here: org-init). */
export function exportBundle(t: Topology, mspId: string): OrgBundle {
    const org = findOrg(t, mspId);
    const dir = paths.orgDir(t, mspId);
    const files: Record<string, string> = {};
    const certificates: Record<string, string> = {};
    for (const rel of publicFiles(t, mspId)) {
        const abs = path.join(dir, rel);
        if (!fs.existsSync(abs)) throw new BundleError('BUNDLE_INCOMPLETE', `${abs} is missing: run network:org-init for ${mspId} first`);
        const text = fs.readFileSync(abs, 'utf8');
        const reason = privateKeyReason(rel, text);
        if (reason) throw new BundleError('BUNDLE_HOLDS_PRIVATE_KEY', `${reason}: it is never exported`);
        files[rel] = text;
        if (/-----BEGIN CERTIFICATE-----/.test(text)) certificates[rel] = certificateFingerprint(text);
    }
    if (!Object.keys(files).some((f) => f.startsWith('msp/cacerts/'))) {
        throw new BundleError('BUNDLE_INCOMPLETE', `${mspId} has no CA certificate in ${path.join(dir, 'msp', 'cacerts')}`);
    }
    return { kind: 'org-bundle', channel: t.channel, mspId, domain: org.domain, files, certificates };
}

/** SHA-256 of the bundle's content (sorted keys), in hex groups of four: what the other orgs confirm by another way. */
export function bundleFingerprint(b: OrgBundle): string {
    const canonical = JSON.stringify({
        channel: b.channel,
        domain: b.domain,
        files: Object.fromEntries(
            Object.keys(b.files)
                .sort()
                .map((k) => [k, b.files[k]]),
        ),
        kind: b.kind,
        mspId: b.mspId,
    });
    const hex = crypto.createHash('sha256').update(canonical).digest('hex');
    return hex.match(/.{4}/g)!.join(':');
}

const sameFingerprint = (a: string, b: string) => a.replace(/[^0-9a-f]/gi, '').toLowerCase() === b.replace(/[^0-9a-f]/gi, '').toLowerCase();

export function readBundle(file: string): OrgBundle {
    let b: OrgBundle;
    try {
        b = JSON.parse(fs.readFileSync(file, 'utf8')) as OrgBundle;
    } catch (e) {
        throw new BundleError('BUNDLE_INVALID', `${file}: ${(e as Error).message}`);
    }
    if (b?.kind !== 'org-bundle' || typeof b.mspId !== 'string' || !b.files || typeof b.files !== 'object') {
        throw new BundleError('BUNDLE_INVALID', `${file} is not an org bundle (network:org-export writes one)`);
    }
    return b;
}

/**
 * Writes another org's bundle into this machine's state (its folder under organizations/), after
 * checking the fingerprint received by another way, that it is an org of this channel's topology,
 * that no file holds a private key or leaves the org's folder, and that this is not an org whose
 * keys live here. Returns the files written; a second import of the same bundle writes nothing.
 */
export function importBundle(t: Topology, b: OrgBundle, expectedFingerprint: string): string[] {
    const actual = bundleFingerprint(b);
    if (!sameFingerprint(actual, expectedFingerprint)) {
        throw new BundleError(
            'BUNDLE_FINGERPRINT_MISMATCH',
            `${b.mspId}'s bundle has fingerprint ${actual}, not ${expectedFingerprint}: do not trust it`,
        );
    }
    if (b.channel !== t.channel)
        throw new BundleError('BUNDLE_INVALID', `the bundle is for channel ${b.channel}, this topology's is ${t.channel}`);
    const org = t.orgs.find((o) => o.mspId === b.mspId);
    if (!org || org.domain !== b.domain) {
        throw new BundleError('BUNDLE_INVALID', `${b.mspId} (${b.domain}) is not an org of ${t.file}: agree on the topology file first`);
    }
    const dir = paths.orgDir(t, b.mspId);
    if (
        fs.existsSync(path.join(dir, 'ca', 'priv_sk')) ||
        fs.existsSync(path.join(dir, 'users', `Admin@${org.domain}`, 'msp', 'keystore'))
    ) {
        throw new BundleError('BUNDLE_OF_OWN_ORG', `${b.mspId}'s keys live on this machine: its folder is its own, not imported`);
    }
    for (const [rel, text] of Object.entries(b.files)) {
        const target = path.resolve(dir, rel);
        if (!target.startsWith(dir + path.sep)) throw new BundleError('BUNDLE_INVALID', `${rel} leaves ${b.mspId}'s folder`);
        const reason = privateKeyReason(rel, text);
        if (reason) throw new BundleError('BUNDLE_HOLDS_PRIVATE_KEY', `${reason}: a bundle carries public material only`);
        if (/-----BEGIN CERTIFICATE-----/.test(text) && b.certificates?.[rel] !== certificateFingerprint(text)) {
            throw new BundleError('BUNDLE_INVALID', `the fingerprint listed for ${rel} is not its certificate's`);
        }
    }
    const written: string[] = [];
    for (const [rel, text] of Object.entries(b.files)) {
        const target = path.resolve(dir, rel);
        if (fs.existsSync(target)) {
            if (fs.readFileSync(target, 'utf8') !== text) {
                throw new BundleError(
                    'BUNDLE_CONFLICT',
                    `${target} already holds another ${rel} of ${b.mspId}: remove its folder to import a new bundle`,
                );
            }
            continue;
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const tmp = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, target);
        written.push(target);
    }
    return written;
}
