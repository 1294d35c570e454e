// A local MSP folder as cryptogen and fabric-ca-client write it, read and written without assuming
// file names: signcerts/ (cert.pem, or <name>-cert.pem), keystore/ (priv_sk, or <ski>_sk; a
// reenroll leaves the old key beside the new one), cacerts/ (<host>-<port>.pem or ca-cert.pem),
// intermediatecerts/, tlscacerts/. Shared by the devnet, the gateway and the network tooling.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IdentityError } from './signing';

export interface MspIdentity {
    certificatePem: string;
    privateKeyPem: string;
    certFile: string;
    keyFile: string;
}

/** The files of a folder, sorted by name; empty when it is missing. */
export function filesIn(dir: string): string[] {
    try {
        return fs
            .readdirSync(dir)
            .sort()
            .map((n) => path.join(dir, n))
            .filter((f) => fs.statSync(f).isFile());
    } catch {
        return [];
    }
}

/** The PEM files of a folder of certificates (cacerts/, tlscacerts/...), empty when it is missing. */
export function pemsIn(dir: string): string[] {
    return filesIn(dir).map((f) => fs.readFileSync(f, 'utf8'));
}

/**
 * The signing certificate and the private key that matches it. The key is found by matching, not
 * by name: fabric-ca-client names it after the key's SKI and keeps old keys after a reenroll.
 */
export function readMspIdentity(mspDir: string): MspIdentity {
    const certs = filesIn(path.join(mspDir, 'signcerts'));
    if (certs.length !== 1) {
        throw new IdentityError(
            'MSP_DIR_INVALID',
            `${path.join(mspDir, 'signcerts')} must hold exactly one signing certificate, found ${certs.length}`,
        );
    }
    const certificatePem = fs.readFileSync(certs[0], 'utf8');
    let cert: crypto.X509Certificate;
    try {
        cert = new crypto.X509Certificate(certificatePem);
    } catch (e) {
        throw new IdentityError('MSP_DIR_INVALID', `${certs[0]} is not a certificate: ${(e as Error).message}`);
    }
    const keys = filesIn(path.join(mspDir, 'keystore'));
    const key = matchingKey(cert, keys);
    if (key) return { certificatePem, certFile: certs[0], ...key };
    throw new IdentityError(
        keys.length === 0 ? 'MSP_DIR_INVALID' : 'KEY_MISMATCH',
        keys.length === 0
            ? `${path.join(mspDir, 'keystore')} holds no private key`
            : `no key in ${path.join(mspDir, 'keystore')} matches ${certs[0]}`,
    );
}

/** The first of `keyFiles` whose private key is the certificate's, with that key; or undefined. */
export function matchingKey(cert: crypto.X509Certificate, keyFiles: string[]): { keyFile: string; privateKeyPem: string } | undefined {
    for (const keyFile of keyFiles) {
        const privateKeyPem = fs.readFileSync(keyFile, 'utf8');
        try {
            if (cert.checkPrivateKey(crypto.createPrivateKey(privateKeyPem))) return { keyFile, privateKeyPem };
        } catch {
            /* not a key of ours (or not a key): look at the next file */
        }
    }
    return undefined;
}

/** True when the folder holds a signing certificate (whatever its name). */
export function hasMspIdentity(mspDir: string): boolean {
    return filesIn(path.join(mspDir, 'signcerts')).length > 0;
}

/** Fabric's SKI of an EC key (a private key's PEM, or a certificate's): SHA-256 of the uncompressed public point (bccsp/sw), hex. */
export function subjectKeyIdentifier(keyOrCertificatePem: string): string {
    const jwk = crypto.createPublicKey(keyOrCertificatePem).export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
    return crypto.createHash('sha256').update(point).digest('hex');
}

function writeAtomic(file: string, content: string, mode: number): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
}

export interface EnrolledMsp {
    certificatePem: string;
    privateKeyPem: string;
    /** Root certificates of the CA chain (cacerts/). */
    rootCertsPem: string[];
    intermediateCertsPem?: string[];
    /** Name of the cacerts file, as fabric-ca-client derives it from the CA's URL: 127-0-0-1-7054.pem. */
    caFileName: string;
}

/**
 * Writes an enrollment as fabric-ca-client does: signcerts/cert.pem, keystore/<ski>_sk (mode
 * 0600), cacerts/<host>-<port>.pem and intermediatecerts/. The key is written before the
 * certificate, so a crash never leaves a certificate without its key.
 */
export function writeEnrolledMsp(mspDir: string, e: EnrolledMsp): void {
    // An enrollment whose key stays in an HSM has none to write: keystore/ stays empty.
    if (e.privateKeyPem) writeAtomic(path.join(mspDir, 'keystore', `${subjectKeyIdentifier(e.privateKeyPem)}_sk`), e.privateKeyPem, 0o600);
    else fs.mkdirSync(path.join(mspDir, 'keystore'), { recursive: true });
    for (const [dir, pems] of [
        ['cacerts', e.rootCertsPem],
        ['intermediatecerts', e.intermediateCertsPem ?? []],
    ] as const) {
        if (pems.length > 0) writeAtomic(path.join(mspDir, dir, e.caFileName), pems.join(''), 0o644);
    }
    writeAtomic(path.join(mspDir, 'signcerts', 'cert.pem'), e.certificatePem, 0o644);
}
