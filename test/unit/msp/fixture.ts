// One crypto fixture for the msp tests: the topology's material generated once in a temporary
// state folder, and the channel MspManager built from the orgs' verifying MSP folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTopology, paths, Topology } from '../../../network/client/topology';
import { generateCrypto, mspConfigFromDir } from '../../../network/devnet/msp/ca';
import { MspManager } from '../../../network/devnet/msp/msp';
import { loadSigningIdentity, SigningIdentity } from '../../../network/devnet/msp/identity';

export interface MspFixture {
    topology: Topology;
    msps: MspManager;
    user(mspId: string, name: string): SigningIdentity;
    peer(mspId: string): SigningIdentity;
    orderer(): SigningIdentity;
}

let fixture: Promise<MspFixture> | undefined;

export function mspFixture(): Promise<MspFixture> {
    fixture ??= (async () => {
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msp-test-'));
        process.once('exit', () => fs.rmSync(stateDir, { recursive: true, force: true }));
        const topology: Topology = { ...loadTopology(), stateDir };
        await generateCrypto(topology);
        const mspIds = topology.orgs.map((o) => o.mspId);
        const msps = new MspManager(mspIds.map((id) => mspConfigFromDir(paths.orgMsp(topology, id), id)));
        return {
            topology,
            msps,
            user: (mspId, name) => loadSigningIdentity(path.join(paths.userDir(topology, mspId, name), 'msp'), mspId),
            peer: (mspId) => loadSigningIdentity(path.join(paths.peerDir(topology, mspId), 'msp'), mspId),
            orderer: () => loadSigningIdentity(path.join(paths.ordererDir(topology), 'msp'), topology.orderer.nodes[0].operatedBy),
        };
    })();
    return fixture;
}

/** The error a function throws (fails the test when it does not throw). */
export function thrown(run: () => unknown): Error & { code?: string } {
    try {
        run();
    } catch (e) {
        return e as Error & { code?: string };
    }
    throw new Error('expected an error, none was thrown');
}

export async function rejected(run: () => Promise<unknown>): Promise<Error & { code?: string }> {
    try {
        await run();
    } catch (e) {
        return e as Error & { code?: string };
    }
    throw new Error('expected a rejection, none happened');
}
