// Root hooks for the whole mocha run: the end-to-end test network is brought up once before the
// first test when the run holds end-to-end suites (so its start-up, minutes on real Fabric, is
// timed apart from any test), and stopped once after the last test.
import * as path from 'node:path';
import './protos-guard';
import { stopTestNetwork, testNetwork } from './e2e/network';

const E2E_DIR = `${path.sep}e2e${path.sep}`;
/** Generous: real Fabric's start (CAs, enrollments, three orderers, peers, gossip, chaincode) on 2 shared cores. */
const NETWORK_UP_TIMEOUT_MS = 15 * 60_000;

export const mochaHooks = {
    async beforeAll(this: Mocha.Context) {
        const root = this.test?.parent;
        if (!root?.suites.some((s) => s.file?.includes(E2E_DIR))) return;
        this.timeout(NETWORK_UP_TIMEOUT_MS);
        await testNetwork();
    },
    async afterAll(this: Mocha.Context) {
        this.timeout(120_000);
        await stopTestNetwork();
    },
};
