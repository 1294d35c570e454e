// Fabric identities of the gateway's apps, read from the org's MSP folders
// (users/<name>@<domain>/msp, as cryptogen and fabric-ca-client write them).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hash, type Hash, type HSMSignerFactory, type Identity, type Signer, signers } from '@hyperledger/fabric-gateway';
import type { HsmConfig } from '../../network/client/hsm';
import { filesIn, hasMspIdentity, readMspIdentity, subjectKeyIdentifier } from '../../network/client/msp-folder';
import { newMessageSigner } from '../../network/client/signing';
import { paths, type Topology } from '../../network/client/topology';

export interface AppIdentity {
    name: string;
    identity: Identity;
    signer: Signer;
    /** What fabric-gateway hashes before calling the signer: nothing, the signer hashes and signs natively. */
    hash: Hash;
    /** The signing certificate's file and its end of validity: network:renew replaces the file, the gateway reloads. */
    certFile: string;
    notAfter: Date;
    /** The certificate's serial number, lower-case hex. */
    serial: string;
}

export function mspDirOf(topology: Topology, mspId: string, name: string): string {
    return path.join(paths.userDir(topology, mspId, name), 'msp');
}

export function identityExists(topology: Topology, mspId: string, name: string): boolean {
    return hasMspIdentity(mspDirOf(topology, mspId, name));
}

/** One fabric-gateway HSM signer factory per PKCS#11 library (it initializes the library once). */
const hsmFactories = new Map<string, HSMSignerFactory>();

/** The process's HSM signer factory of a PKCS#11 library (a second one would initialize the library again, which it refuses). */
export function hsmSignerFactory(library: string): HSMSignerFactory {
    let factory = hsmFactories.get(library);
    if (!factory) {
        factory = signers.newHSMSignerFactory(library);
        hsmFactories.set(library, factory);
    }
    return factory;
}

/** An identity of this certificate signing with `signer`. */
function appIdentity(name: string, mspId: string, certFile: string, certificatePem: string, signer: Signer, digest: Hash): AppIdentity {
    const cert = new crypto.X509Certificate(certificatePem);
    return {
        name,
        identity: { mspId, credentials: Buffer.from(certificatePem) },
        signer,
        hash: digest,
        certFile,
        notAfter: new Date(cert.validTo),
        serial: cert.serialNumber.toLowerCase(),
    };
}

export function loadAppIdentity(topology: Topology, mspId: string, name: string, hsm?: HsmConfig): AppIdentity {
    const mspDir = mspDirOf(topology, mspId, name);
    if (!hasMspIdentity(mspDir)) throw new Error(`UNKNOWN_IDENTITY: ${name} of ${mspId} has no signcerts in ${mspDir}`);
    if (hsm && filesIn(path.join(mspDir, 'keystore')).length === 0) {
        // No key on disk: the key is in the token (gateway:admin create-app --hsm), found by its SKI
        // (CKA_ID); fabric-gateway's HSM signer signs SHA-256 digests.
        const [certFile] = filesIn(path.join(mspDir, 'signcerts'));
        const certificatePem = fs.readFileSync(certFile, 'utf8');
        const { signer } = hsmSignerFactory(hsm.library).newSigner({
            label: hsm.label,
            pin: hsm.pin,
            identifier: Buffer.from(subjectKeyIdentifier(certificatePem), 'hex'),
        });
        return appIdentity(name, mspId, certFile, certificatePem, signer, hash.sha256);
    }
    const { certificatePem, privateKeyPem, certFile } = readMspIdentity(mspDir);
    // node:crypto signs SHA-256(message) in one native call, low-S (network/client/signing.ts).
    return appIdentity(name, mspId, certFile, certificatePem, newMessageSigner(privateKeyPem), hash.none);
}
