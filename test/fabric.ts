// `npm run test:fabric`: the end-to-end suite on real Fabric v3.1.5 (docs/testing.md). Checks
// Fabric's binaries first: missing, or of another version, it exits 1 saying how to install them,
// never a green run. Then mocha runs the end-to-end tests with E2E_NETWORK=fabric: they bring Fabric
// up from their own topology and tear it down, or use the running network E2E_TOPOLOGY names.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { findFabricBinaries } from '../network/fabric/binaries';
import { REPO_ROOT } from '../network/client/topology';

const HELP = `Usage: npm run test:fabric [-- MOCHA_OPTIONS...]

Runs the end-to-end tests (dist/test/e2e) on real Fabric v3.1.5: brings Fabric up from the tests'
topology (ports shifted by E2E_PORT_SHIFT, default 11200), runs every test that is not devnet-only,
and stops what it started. Fabric's binaries come from FABRIC_BIN, else PATH; without them it
exits 1.

Environment:
  FABRIC_BIN        folder of peer, orderer, configtxgen, osnadmin, fabric-ca-server, fabric-ca-client
  E2E_PORT_SHIFT    port shift of the test network (default 11200)
  E2E_TOPOLOGY      a running Fabric network to test instead (nothing is started, stopped or killed)
  E2E_KEEP=1        leave the network running afterwards

Example: FABRIC_BIN=/opt/fabric/bin npm run test:fabric -- --grep 'crash safety'
`;

function main(argv: string[]): number {
    if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(HELP);
        return 0;
    }
    try {
        const { bin } = findFabricBinaries(REPO_ROOT);
        process.stdout.write(`test:fabric: Fabric binaries in ${path.dirname(bin.peer)}\n`);
    } catch (e) {
        process.stderr.write(`test:fabric: not run: ${(e as Error).message}\n`);
        return 1;
    }
    const started = Date.now();
    const mocha = spawnSync(
        process.execPath,
        [
            require.resolve('mocha/bin/mocha.js'),
            '--no-config',
            '--require',
            path.join(__dirname, 'hooks.js'),
            '--reporter',
            path.join(__dirname, 'reporter.js'),
            '--timeout',
            '120000',
            '--exit',
            ...argv,
            path.join(__dirname, 'e2e', '*.test.js'),
        ],
        { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, E2E_NETWORK: 'fabric' } },
    );
    const code = mocha.status ?? 1;
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    process.stdout.write(`test:fabric: ${code === 0 ? 'passed' : 'FAILED'} in ${minutes} min (wall time, network up and down included)\n`);
    return code;
}

process.exit(main(process.argv.slice(2)));
