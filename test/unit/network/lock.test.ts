// One command at a time changes a network: the org commands, on the devnet and with --fabric, take
// the state folder's lock that up and down take, and are refused (NETWORK_BUSY, nothing done) while
// another live command holds it.
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { withLock } from '../../../network/commands/owner';
import { spawnSyncWithin } from '../../deadline';
import { DEFAULT_TOPOLOGY, loadTopology, REPO_ROOT, type Topology } from '../../../network/client/topology';

const CLI = path.join(REPO_ROOT, 'dist', 'network', 'commands', 'cli.js');
const lockOf = (stateDir: string) => path.join(stateDir, 'run', 'devnet.lock');

describe('network lock: commands that change a network', function () {
    this.timeout(30_000);
    let dir: string;
    let file: string;
    let t: Topology;
    let holder: child_process.ChildProcess;

    /** A lock on stateDir held by a live process that looks like a devnet command (its arguments name network/commands/cli.js). */
    const holdLock = (stateDir: string, what: string) => {
        fs.mkdirSync(path.join(stateDir, 'run'), { recursive: true });
        fs.writeFileSync(lockOf(stateDir), JSON.stringify({ pid: holder.pid, what }));
    };
    const cli = (...args: string[]) => {
        const env = { ...process.env };
        delete env.DEVNET_STATE_DIR;
        delete env.TOPOLOGY;
        return spawnSyncWithin(20_000, process.execPath, [CLI, ...args, '--topology', file], { env });
    };

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'network-lock-'));
        const doc = YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'));
        doc.stateDir = path.join(dir, 'state');
        file = path.join(dir, 'topology.yaml');
        fs.writeFileSync(file, YAML.stringify(doc));
        const saved = process.env.DEVNET_STATE_DIR;
        delete process.env.DEVNET_STATE_DIR;
        t = loadTopology(file);
        if (saved !== undefined) process.env.DEVNET_STATE_DIR = saved;
        holder = child_process.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', path.join('network', 'commands', 'cli.js')], {
            stdio: 'ignore',
        });
    });
    after(() => {
        holder.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('Given a live command holding the lock, When a refusing command takes it, Then NETWORK_BUSY names the holder and nothing runs', async () => {
        holdLock(t.stateDir, 'network:up');
        let ran = false;
        const refusal = await withLock(
            t,
            'network:add-org',
            () => {},
            async () => {
                ran = true;
            },
            { ifBusy: 'refuse' },
        ).then(
            () => undefined,
            (e: Error) => e.message,
        );
        expect(refusal).to.match(
            new RegExp(`^NETWORK_BUSY: network:up \\(pid ${holder.pid}\\) is changing this network .*run network:add-org again`),
        );
        expect(ran).to.equal(false);
        expect(JSON.parse(fs.readFileSync(lockOf(t.stateDir), 'utf8')).pid).to.equal(holder.pid);
    });

    it('Given a lock left by a process that is gone, When a refusing command takes it, Then it removes the stale lock and runs', async () => {
        const gone = child_process.spawnSync(process.execPath, ['-e', 'process.pid']).pid;
        fs.writeFileSync(lockOf(t.stateDir), JSON.stringify({ pid: gone, what: 'network:up' }));
        const said: string[] = [];
        const value = await withLock(
            t,
            'network:add-org',
            (l) => said.push(l),
            async () => 'ran',
            { ifBusy: 'refuse' },
        );
        expect(value).to.equal('ran');
        expect(said.join('\n')).to.include(`removed a stale lock: network:up (pid ${gone})`);
        expect(fs.existsSync(lockOf(t.stateDir))).to.equal(false);
    });

    it('Given the devnet busy, When add-org or remove-org runs, Then the CLI refuses it with NETWORK_BUSY and exit 1, and the topology is unchanged', () => {
        holdLock(t.stateDir, 'network:down');
        const before = fs.readFileSync(file, 'utf8');
        for (const args of [
            ['add-org', '--msp', 'MOLEMSP', '--name', 'Ministry of Employment and Labor', '--domain', 'mole.example.gov'],
            ['remove-org', '--msp', 'MOISMSP'],
            ['submit-update', '--org', 'SeoulMSP', '--file', path.join(dir, 'none.pb')],
        ]) {
            const run = cli(...args);
            expect(run.status, args[0]).to.equal(1);
            expect(run.stderr).to.match(new RegExp(`^NETWORK_BUSY: network:down \\(pid ${holder.pid}\\) .*run network:${args[0]} again`));
        }
        expect(fs.readFileSync(file, 'utf8')).to.equal(before);
    });

    it('Given the real-Fabric network busy, When an org command runs with --fabric, Then it is refused on the Fabric state folder’s lock', () => {
        fs.rmSync(lockOf(t.stateDir), { force: true });
        holdLock(t.fabricStateDir, 'network:up --fabric');
        const run = cli('org-up', '--msp', 'MOISMSP', '--fabric');
        expect(run.status).to.equal(1);
        expect(run.stderr).to.match(/^NETWORK_BUSY: network:up --fabric \(pid \d+\) .*run network:org-up --fabric again/);
    });
});
