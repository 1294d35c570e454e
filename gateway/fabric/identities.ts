// Fabric identities of the gateway's apps, read from the org's MSP folders
// (users/<name>@<domain>/msp, as cryptogen and fabric-ca-client write them).
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { hash, type Hash, type Identity, type Signer } from '@hyperledger/fabric-gateway';
import { hasMspIdentity, readMspIdentity } from '../../network/client/msp-folder';
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

export function loadAppIdentity(topology: Topology, mspId: string, name: string): AppIdentity {
    const mspDir = mspDirOf(topology, mspId, name);
    if (!hasMspIdentity(mspDir)) throw new Error(`UNKNOWN_IDENTITY: ${name} of ${mspId} has no signcerts in ${mspDir}`);
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
