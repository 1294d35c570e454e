// `npm run test:fabric` without Fabric's binaries: it exits 1, says what is missing and how to
// install it, and runs no test (never a green run).
import * as path from 'node:path';
import { expect } from 'chai';
import { spawnSyncWithin } from '../../deadline';

const script = path.resolve(__dirname, '..', '..', 'fabric.js');

describe('npm run test:fabric', () => {
    it('Given no Fabric binaries, When it runs, Then it exits 1 with FABRIC_BINARIES_MISSING and how to install them, and runs no test', () => {
        const r = spawnSyncWithin(30_000, process.execPath, [script], {
            env: { ...process.env, FABRIC_BIN: '/nonexistent/fabric/bin' },
        });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.match(/^test:fabric: not run: FABRIC_BINARIES_MISSING: .*FABRIC_BIN=\/nonexistent\/fabric\/bin/);
        expect(r.stderr).to.contain('npm run fabric:install');
        expect(r.stdout).to.not.match(/passed/);
    });

    it('Given --help, Then it explains itself and exits 0', () => {
        const r = spawnSyncWithin(30_000, process.execPath, [script, '--help']);
        expect(r.status).to.equal(0);
        expect(r.stdout).to.match(/^Usage: npm run test:fabric/);
    });
});
