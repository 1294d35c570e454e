// The devnet's commands as a user runs them: `up` twice does no harm, `status` tells a dead node
// by its exit code, a port taken by another process stops `up` before anything starts, and one
// devnet per state folder: a second `start` attaches, a crashed owner leaves the devnet to the next.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import YAML from 'yaml';
import { testNetwork } from './network';
import { Topology } from '../../network/client/topology';
import { devnetNodes, runningPid, DevnetNode } from '../../network/devnet/processes';
import { exitOf, withDeadline } from '../deadline';
import { eventually } from './helpers';
import { notRun, onlyOn } from '../not-run';
import { shiftPorts } from '../fixtures/topology';

/** A topology file as parsed YAML, edited by a test. */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, edited freely
type TopologyDoc = any;

interface Run {
    code: number;
    output: string;
}

/** A devnet command, killed after `timeoutMs` (its output then starts with TIMEOUT). */
async function cli(t: Topology, ...args: string[]): Promise<Run> {
    const file = path.join(t.root, 'dist', 'network', 'commands', 'cli.js');
    const timeoutMs = 90_000;
    try {
        const env = { ...process.env };
        delete env.DEVNET_STATE_DIR; // the topology file names its state folder
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [file, ...args], { env, timeout: timeoutMs });
        return { code: 0, output: stdout + stderr };
    } catch (e) {
        const err = e as { code: number; killed?: boolean; stdout: string; stderr: string };
        const timedOut = err.killed ? `TIMEOUT: waited ${timeoutMs / 1000} s for \`devnet ${args.join(' ')}\` to exit\n` : '';
        return { code: err.code, output: timedOut + err.stdout + err.stderr };
    }
}

/** A `start` in the foreground, as in a terminal: its output so far, and a wait for a line. */
class Foreground {
    output = '';
    readonly child: ChildProcess;
    readonly exited: Promise<number>;

    constructor(t: Topology) {
        const env = { ...process.env };
        delete env.DEVNET_STATE_DIR;
        this.child = spawn(process.execPath, [path.join(t.root, 'dist', 'network', 'commands', 'cli.js'), 'start', '--topology', t.file], {
            env,
        });
        this.child.stdout?.on('data', (d) => (this.output += d));
        this.child.stderr?.on('data', (d) => (this.output += d));
        this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code ?? -1)));
    }

    waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<void> {
        return eventually(
            `${pattern} in the output of start:\n${this.output}`,
            async () => (pattern.test(this.output) ? true : undefined),
            timeoutMs,
        ).then(() => undefined);
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
        const doc = shiftPorts(YAML.parse(fs.readFileSync(t.file, 'utf8')), 500) as TopologyDoc;
        doc.stateDir = path.relative(t.root, path.join(t.stateDir, '..', 'port-conflict'));
        const file = path.join(t.stateDir, '..', 'port-conflict.yaml');
        fs.writeFileSync(file, YAML.stringify(doc));
        const blocker = net.createServer();
        await new Promise<void>((resolve) => blocker.listen(doc.orderer.nodes[0].port, '127.0.0.1', resolve));
        try {
            const run = await cli(t, 'up', '--topology', file);
            expect(run.code, run.output).to.equal(1);
            expect(run.output).to.match(new RegExp(`PORT_IN_USE: 127\\.0\\.0\\.1:${doc.orderer.nodes[0].port} \\(orderer`));
            const runDir = path.join(t.root, doc.stateDir, 'run');
            const pids = fs.existsSync(runDir) ? fs.readdirSync(runDir).filter((f) => f.endsWith('.pid')) : [];
            expect(pids, 'no node was started').to.deep.equal([]);
        } finally {
            blocker.close();
            await cli(t, 'down', '--purge', '--topology', file);
            fs.rmSync(file, { force: true });
        }
    });

    it('Given an `npm start` that owns the devnet, When a second `npm start` runs beside it and leaves, Then the second says it attached and stops nothing; When the owner crashes, Then `up` takes the devnet over without restarting a node', async () => {
        await cli(t, 'down', '--topology', t.file);
        const owner = new Foreground(t);
        let second: Foreground | undefined;
        try {
            await owner.waitFor(/devnet: channel/); // it holds the lock: the second start waits for it
            second = new Foreground(t);
            await owner.waitFor(/Ctrl-C stops the devnet/, 180_000);
            await second.waitFor(/Ctrl-C here leaves it running/);
            expect(second.output).to.match(
                new RegExp(`ATTACHED to a devnet that was already running, owned by npm start \\(pid ${owner.child.pid},`),
            );
            expect(second.output, 'the second start started nothing').not.to.match(/ up in \d+ ms/);
            const pids = nodes.map((n) => runningPid(t, n));
            expect(pids.every(Boolean), 'every node runs').to.equal(true);

            second.child.kill('SIGINT');
            expect(await withDeadline('the second npm start to leave after Ctrl-C', 30_000, second.exited)).to.equal(0);
            expect(second.output).to.match(/leaving the devnet running/);
            expect(
                nodes.map((n) => runningPid(t, n)),
                'leaving stopped nothing',
            ).to.deep.equal(pids);
            const again = await cli(t, 'up', '--topology', t.file);
            expect(again.output).to.match(/already running in the foreground of npm start/);
            expect(
                nodes.map((n) => runningPid(t, n)),
                '`up` started nothing',
            ).to.deep.equal(pids);

            owner.child.kill('SIGKILL'); // a crashed owner: no clean-up ran
            await withDeadline('the owning npm start to die of SIGKILL', 10_000, owner.exited);
            const takeover = await cli(t, 'up', '--topology', t.file);
            expect(takeover.code, takeover.output).to.equal(0);
            expect(takeover.output).to.match(
                new RegExp(`previous owner, npm start \\(pid ${owner.child.pid},.*is gone: it now runs in the background`),
            );
            expect(
                nodes.map((n) => runningPid(t, n)),
                'the take-over restarted nothing',
            ).to.deep.equal(pids);
            const status = await cli(t, 'status', '--topology', t.file);
            expect(status.output).to.match(/^owner: network:up \(in the background/m);
        } finally {
            owner.child.kill('SIGKILL');
            second?.child.kill('SIGKILL');
        }
    });

    it('Given a lock left by a command that crashed, When `up` runs, Then it removes the stale lock and proceeds', async () => {
        const gone = spawn(process.execPath, ['-e', '']);
        await exitOf(gone, 'an empty node process', 10_000);
        fs.writeFileSync(path.join(t.stateDir, 'run', 'devnet.lock'), JSON.stringify({ pid: gone.pid, what: 'npm start' }));
        const run = await cli(t, 'up', '--topology', t.file);
        expect(run.code, run.output).to.equal(0);
        expect(run.output).to.match(new RegExp(`removed a stale lock: npm start \\(pid ${gone.pid}\\) ended without releasing it`));
        expect(fs.existsSync(path.join(t.stateDir, 'run', 'devnet.lock'))).to.equal(false);
    });
});
