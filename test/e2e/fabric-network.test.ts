// The real-Fabric commands as an operator runs them, on a Fabric network of their own: up from
// nothing, up again (nothing redone), status (every node healthy, exit 0), down --purge (nothing
// left running). Needs Fabric v3.1.5 and Fabric CA v1.5.21 binaries (FABRIC_BIN or PATH); without
// them it says it did not run.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadTopology, paths, REPO_ROOT, type Topology } from '../../network/client/topology';
import { fabricBinariesOrUndefined } from '../../network/fabric/binaries';
import { asFabric } from '../../network/fabric/network';
import { testTopologyFile } from './network';
import { notRun } from '../not-run';

/** A command on real Fabric, killed after 9 minutes (its output then starts with TIMEOUT). */
async function cli(t: Topology, ...args: string[]): Promise<{ code: number; output: string }> {
    const env = { ...process.env };
    delete env.DEVNET_STATE_DIR;
    const timeoutMs = 540_000;
    try {
        const { stdout, stderr } = await promisify(execFile)(
            process.execPath,
            [path.join(REPO_ROOT, 'dist', 'network', 'commands', 'cli.js'), ...args, '--fabric', '--topology', t.file],
            { env, maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs },
        );
        return { code: 0, output: stdout + stderr };
    } catch (e) {
        const err = e as { code: number; killed?: boolean; stdout: string; stderr: string };
        const timedOut = err.killed ? `TIMEOUT: waited ${timeoutMs / 1000} s for \`devnet ${args.join(' ')} --fabric\` to exit\n` : '';
        return { code: err.code, output: timedOut + err.stdout + err.stderr };
    }
}

describe('real Fabric commands (network:up/status/down -- --fabric)', function () {
    this.timeout(600_000);
    let t: Topology;

    before(function () {
        if (!fabricBinariesOrUndefined(REPO_ROOT)) {
            notRun(this, `did not run: no Fabric binaries (FABRIC_BIN or PATH lacks Fabric v3.1.5 / Fabric CA v1.5.21 tools)`);
        }
        t = asFabric(loadTopology(testTopologyFile({ name: 'fabric-commands', extraShift: -300 })));
    });

    after(async () => {
        if (t) await cli(t, 'down', '--purge');
    });

    it('Given nothing, When up runs, Then a CA per org, three orderers and four peers run and the chaincode is committed', async () => {
        await cli(t, 'down', '--purge');
        const run = await cli(t, 'up');
        expect(run.code, run.output).to.equal(0);
        expect(run.output).to.match(/identities registered and enrolled at the orgs' Fabric CAs/);
        expect(run.output).to.match(/genesis block of channel citizencards created with configtxgen/);
        expect(run.output.match(/joined citizencards \(osnadmin\)/g)).to.have.length(3);
        expect(run.output).to.match(/chaincode citizencard 1\.0 committed at sequence 1/);
        expect(run.output).to.match(/discovery: citizencard endorsable/);
        // The client identities carry the product's attributes, issued by the org's Fabric CA.
        const welfare = fs.readdirSync(path.join(paths.userDir(t, 'MOHWMSP', 'welfare'), 'msp', 'signcerts'));
        const pem = fs.readFileSync(path.join(paths.userDir(t, 'MOHWMSP', 'welfare'), 'msp', 'signcerts', welfare[0]), 'utf8');
        const cert = new (await import('node:crypto')).X509Certificate(pem);
        expect(cert.issuer).to.include('CN=ca.mohw.example.gov');
        expect(cert.raw.toString('latin1')).to.include('"dept":"welfare"');
    });

    it('When up runs again, Then nothing is enrolled, created, joined, installed or approved again', async () => {
        const run = await cli(t, 'up');
        expect(run.code, run.output).to.equal(0);
        expect(run.output).to.not.match(/registered and enrolled|created with configtxgen|joined citizencards|installed on|approved/);
        expect(run.output).to.match(/chaincode citizencard already committed at sequence 1/);
    });

    it('When status runs, Then every node is healthy, every peer at the same height, and it exits 0', async () => {
        const run = await cli(t, 'status');
        expect(run.code, run.output).to.equal(0);
        expect(run.output).to.not.match(/^DOWN/m);
        const heights = [...run.output.matchAll(/peer0\.\S+\s+\S+\s+\d+ MiB\s+height (\d+)/g)].map((m) => Number(m[1]));
        expect(heights).to.have.length(4);
        expect(new Set(heights).size).to.equal(1);
        expect(run.output).to.match(/memory \(RSS\): \d+ MiB/);
    });

    it('When down --purge runs, Then nothing is left running and status says so with exit 1', async () => {
        const down = await cli(t, 'down', '--purge');
        expect(down.code, down.output).to.equal(0);
        expect(fs.existsSync(t.stateDir)).to.equal(false);
        const status = await cli(t, 'status');
        expect(status.code).to.equal(1);
        expect(status.output).to.match(/^DOWN peer0\.seoul\.example\.gov/m);
    });
});
