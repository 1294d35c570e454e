// Fabric identities of the gateway's apps, read from the org's MSP folders
// (users/<name>@<domain>/msp, as cryptogen and fabric-ca-client write them).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hash, type Hash, type HSMSignerFactory, type Identity, type Signer, signers } from '@hyperledger/fabric-gateway';
import { certificateSki, type HsmConfig } from '../../network/client/hsm';
import { hasMspIdentity, pemsIn, readMspIdentity } from '../../network/client/msp-folder';
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

/** The signer of an identity whose key stays in the token: found by its SKI (CKA_ID), signing SHA-256 digests. */
function hsmIdentity(name: string, mspId: string, mspDir: string, hsm: HsmConfig): AppIdentity {
    const [certFile] = fs.readdirSync(path.join(mspDir, 'signcerts')).map((f) => path.join(mspDir, 'signcerts', f));
    const certificatePem = fs.readFileSync(certFile, 'utf8');
    const { signer } = hsmSignerFactory(hsm.library).newSigner({
        label: hsm.label,
        pin: hsm.pin,
        identifier: certificateSki(certificatePem),
    });
    const cert = new crypto.X509Certificate(certificatePem);
    return {
        name,
        identity: { mspId, credentials: Buffer.from(certificatePem) },
        signer,
        hash: hash.sha256,
        certFile,
        notAfter: new Date(cert.validTo),
        serial: cert.serialNumber.toLowerCase(),
    };
}

export function loadAppIdentity(topology: Topology, mspId: string, name: string, hsm?: HsmConfig): AppIdentity {
    const mspDir = mspDirOf(topology, mspId, name);
    if (!hasMspIdentity(mspDir)) throw new Error(`UNKNOWN_IDENTITY: ${name} of ${mspId} has no signcerts in ${mspDir}`);
    // No key on disk: with a token configured, the key is in it (gateway:admin create-app --hsm).
    if (hsm && pemsIn(path.join(mspDir, 'keystore')).length === 0) return hsmIdentity(name, mspId, mspDir, hsm);
    const { certificatePem, privateKeyPem, certFile } = readMspIdentity(mspDir);
    const cert = new crypto.X509Certificate(certificatePem);
    // node:crypto signs SHA-256(message) in one native call, low-S (network/client/signing.ts).
    return {
        name,
        identity: { mspId, credentials: Buffer.from(certificatePem) },
        signer: newMessageSigner(privateKeyPem),
        hash: hash.none,
        certFile,
        notAfter: new Date(cert.validTo),
        serial: cert.serialNumber.toLowerCase(),
    };
}
