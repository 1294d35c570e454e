// The devnet's commands as a user runs them: `up` twice does no harm, `status` tells a dead node
// by its exit code, and a port taken by another process stops `up` before anything starts.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import YAML from 'yaml';
import { testNetwork } from './network';
import { Topology } from '../../network/topology';
import { devnetNodes, runningPid, DevnetNode } from '../../network/processes';
import { eventually } from './helpers';
import { notRun, onlyOn } from '../not-run';

interface Run {
    code: number;
    output: string;
}

async function cli(t: Topology, ...args: string[]): Promise<Run> {
    const file = path.join(t.root, 'dist', 'network', 'cli.js');
    try {
        const env = { ...process.env };
        delete env.DEVNET_STATE_DIR; // the topology file names its state folder
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [file, ...args], { env });
        return { code: 0, output: stdout + stderr };
    } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, output: err.stdout + err.stderr };
    }
}

describe('devnet commands', function () {
    this.timeout(120_000);
    let t: Topology;
    let nodes: DevnetNode[];

    before(async function () {
        onlyOn(this, 'devnet', 'these are the devnet’s own commands (its node list, pid files and status lines)');
        const network = await testNetwork();
        if (!network.owned) notRun(this, 'these stop and restart nodes: only on a devnet this run started, not one named by E2E_TOPOLOGY');
        t = network.topology;
        nodes = devnetNodes(t);
    });

    it('Given a running devnet, When `up` runs again, Then every node is reported already running and nothing restarts', async () => {
        const pids = nodes.map((n) => runningPid(t, n));
        const run = await cli(t, 'up', '--topology', t.file);
        expect(run.code, run.output).to.equal(0);
        expect(run.output.match(/already running/g)?.length).to.equal(nodes.length);
        expect(nodes.map((n) => runningPid(t, n))).to.deep.equal(pids);
    });

    it('Given a healthy devnet, `status` exits 0; Given a dead node, it exits 1 and names it; `up` brings it back', async () => {
        const healthy = await cli(t, 'status', '--topology', t.file);
        expect(healthy.code, healthy.output).to.equal(0);
        expect(healthy.output).to.match(/peer0\.seoul\.example\.gov .*height \d+/);

        const victim = nodes.find((n) => n.kind === 'chaincode') as DevnetNode;
        process.kill(runningPid(t, victim) as number, 'SIGKILL');
        await eventually('the chaincode server to die', async () => (runningPid(t, victim) ? undefined : true));
        const broken = await cli(t, 'status', '--topology', t.file);
        expect(broken.code).to.equal(1);
        expect(broken.output).to.match(new RegExp(`DOWN +${victim.name.replace(/\./g, '\\.')}`));

        const again = await cli(t, 'up', '--topology', t.file);
        expect(again.code, again.output).to.equal(0);
        expect(again.output).to.match(new RegExp(`${victim.name.replace(/\./g, '\\.')} +up in`));
    });

    it('Given a port of the topology taken by another process, When `up` runs, Then it stops with PORT_IN_USE naming the port, and starts nothing', async () => {
        // A second network (ports +500 above the test devnet's, clear of every other devnet) whose orderer port is taken.
        const doc = YAML.parse(fs.readFileSync(t.file, 'utf8'));
        const shift = (v: number) => v + 500;
        doc.orderer.port = shift(doc.orderer.port);
        doc.orderer.operationsPort = shift(doc.orderer.operationsPort);
        for (const ca of [doc.orderer.ca, ...doc.orgs.map((o: { ca: unknown }) => o.ca)]) {
            ca.port = shift(ca.port);
            ca.operationsPort = shift(ca.operationsPort);
        }
        for (const org of doc.orgs) {
            org.peer.port = shift(org.peer.port);
            org.peer.operationsPort = shift(org.peer.operationsPort);
            org.gateway.port = shift(org.gateway.port);
        }
        for (const cc of doc.chaincodes) for (const org of Object.keys(cc.server.ports)) cc.server.ports[org] = shift(cc.server.ports[org]);
        doc.stateDir = path.relative(t.root, path.join(t.stateDir, '..', 'port-conflict'));
        const file = path.join(t.stateDir, '..', 'port-conflict.yaml');
        fs.writeFileSync(file, YAML.stringify(doc));
        const blocker = net.createServer();
        await new Promise<void>((resolve) => blocker.listen(doc.orderer.port, '127.0.0.1', resolve));
        try {
            const run = await cli(t, 'up', '--topology', file);
            expect(run.code, run.output).to.equal(1);
            expect(run.output).to.match(new RegExp(`PORT_IN_USE: 127\\.0\\.0\\.1:${doc.orderer.port} \\(orderer`));
            expect(fs.existsSync(path.join(t.root, doc.stateDir, 'run')), 'no node was started').to.equal(false);
        } finally {
            blocker.close();
            await cli(t, 'down', '--purge', '--topology', file);
            fs.rmSync(file, { force: true });
        }
    });
});
