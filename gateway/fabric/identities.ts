// Fabric identities of the gateway's apps, read from the org's MSP folders
// (users/<name>@<domain>/msp, as cryptogen and the devnet's CA write them).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { signers, type Identity, type Signer } from '@hyperledger/fabric-gateway';
import * as mspIdentity from '../../network/msp/identity';
import { paths, type Topology } from '../../network/topology';

export interface AppIdentity {
    name: string;
    identity: Identity;
    signer: Signer;
}

/** H1's low-S node:crypto signer when present, else fabric-gateway's own private-key signer (also low-S). */
function newSigner(privateKeyPem: string): Signer {
    const fast = (mspIdentity as unknown as { newFastSigner?: (pem: string) => Signer }).newFastSigner;
    if (typeof fast === 'function') return fast(privateKeyPem);
    return signers.newPrivateKeySigner(crypto.createPrivateKey(privateKeyPem));
}

export function mspDirOf(topology: Topology, mspId: string, name: string): string {
    return path.join(paths.userDir(topology, mspId, name), 'msp');
}

export function identityExists(topology: Topology, mspId: string, name: string): boolean {
    return fs.existsSync(path.join(mspDirOf(topology, mspId, name), 'signcerts'));
}

export function loadAppIdentity(topology: Topology, mspId: string, name: string): AppIdentity {
    const mspDir = mspDirOf(topology, mspId, name);
    const pick = (dir: string, test: (f: string) => boolean): string => {
        const full = path.join(mspDir, dir);
        const files = fs.existsSync(full) ? fs.readdirSync(full).filter(test).sort() : [];
        if (files.length === 0) throw new Error(`UNKNOWN_IDENTITY: ${name} of ${mspId} has no ${dir} in ${mspDir}`);
        return path.join(full, files[0]);
    };
    const credentials = fs.readFileSync(pick('signcerts', (f) => f.endsWith('.pem')));
    const keyPem = fs.readFileSync(pick('keystore', (f) => f.endsWith('_sk') || f.endsWith('.pem') || f.endsWith('.key')), 'utf8');
    return { name, identity: { mspId, credentials }, signer: newSigner(keyPem) };
}
