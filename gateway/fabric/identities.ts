// Fabric identities of the gateway's apps, read from the org's MSP folders
// (users/<name>@<domain>/msp, as cryptogen and the devnet's CA write them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hash, type Hash, type Identity, type Signer } from '@hyperledger/fabric-gateway';
import { newMessageSigner } from '../../network/msp/identity';
import { paths, type Topology } from '../../network/topology';

export interface AppIdentity {
    name: string;
    identity: Identity;
    signer: Signer;
    /** What fabric-gateway hashes before calling the signer: nothing, the signer hashes and signs natively. */
    hash: Hash;
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
    const keyPem = fs.readFileSync(
        pick('keystore', (f) => f.endsWith('_sk') || f.endsWith('.pem') || f.endsWith('.key')),
        'utf8',
    );
    // node:crypto signs SHA-256(message) in one native call, low-S (network/msp/identity.ts).
    return { name, identity: { mspId, credentials }, signer: newMessageSigner(keyPem), hash: hash.none };
}
