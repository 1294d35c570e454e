// The reporter of every run: the network named first, a test that cannot run listed with its
// reason and counted as not run, never as passing.
import * as path from 'node:path';
import { expect } from 'chai';
import { spawnSyncWithin } from '../../deadline';
import { networkKind } from '../../e2e/network';

const dist = path.resolve(__dirname, '..', '..');

function runSample(env: NodeJS.ProcessEnv): { code: number | null; out: string } {
    const r = spawnSyncWithin(
        30_000,
        process.execPath,
        [
            require.resolve('mocha/bin/mocha.js'),
            '--no-config',
            '--reporter',
            path.join(dist, 'reporter.js'),
            path.join(__dirname, 'not-run-sample.js'),
        ],
        { env: { ...process.env, ...env } },
    );
    return { code: r.status, out: r.stdout + r.stderr };
}

describe('tests that cannot run', () => {
    it('Given tests marked not run on the devnet, Then the run names the network, lists each with its reason, and counts none as passing', () => {
        const { code, out } = runSample({ E2E_NETWORK: 'devnet' });
        expect(code, out).to.equal(0);
        expect(out).to.match(/^End-to-end tests run on the devnet\./m);
        expect(out).to.include('sample cannot run here\n      reason A');
        expect(out).to.include('sample a Fabric-only suite first\n      real Fabric only, not run on the devnet: reason B');
        expect(out).to.include('sample a Fabric-only suite second\n      real Fabric only, not run on the devnet: reason B');
        expect(out).to.match(/^1 passed, 0 failed, 3 not run \(end-to-end on the devnet\)$/m);
    });

    it('Given the same tests on real Fabric, Then the Fabric-only ones run', () => {
        const { code, out } = runSample({ E2E_NETWORK: 'fabric' });
        expect(code, out).to.equal(0);
        expect(out).to.match(/^End-to-end tests run on real Fabric\./m);
        expect(out).to.match(/^3 passed, 0 failed, 1 not run \(end-to-end on real Fabric\)$/m);
    });

    it('Given an unknown E2E_NETWORK, Then it is refused with a stable code', () => {
        expect(networkKind(undefined)).to.equal('devnet');
        expect(networkKind('fabric')).to.equal('fabric');
        expect(() => networkKind('docker')).to.throw(/^E2E_NETWORK_INVALID: /);
    });
});
