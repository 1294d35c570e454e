// Benchmark of the README's `npm start` on a fresh clone (not a test): clones this repository into
// a temporary folder, runs `npm start` there with the machine's own `node` and npm (PATH and
// environment cleaned of this npm run's node_modules/.bin and npm_* variables) until
// `npm run network:status` says healthy, measures, stops it with SIGINT (Ctrl-C), then runs the
// same `npm start` again in the same clone. Prints the seconds from `git clone` to healthy (the
// first run includes npm ci and the build), the seconds of the second start, when each phase
// ended (from npm start's own lines), and the total RSS of the processes (npm, its shells, the
// CLI and every devnet node: every process whose working folder is the clone), at healthy and at
// its highest while starting. Linux only (/proc). Goals (issue 22): first ≤ 30 s with the npm
// cache warm, second ≤ 10 s, RSS ≤ 900 MiB.
// Run: npm run bench:start [-- --ref main --port-shift 3700 --repeat 3 --keep]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { shiftPorts } from '../fixtures/topology';
import { flag } from './measure';

const HELP = `Usage: npm run bench:start [-- options]

Clones the repository into a temporary folder and runs the README's \`npm start\` there twice (a
fresh clone, then a second start), each until \`npm run network:status\` is healthy; prints seconds,
phases and the RSS of all the processes. Run it with nothing else running on the machine for
figures worth comparing. Uses the npm cache as it is (warm after one npm ci on this machine).

Options:
  --repo PATH|URL   repository to clone (default: this one)
  --ref REV         commit or branch to check out (default: the repository's HEAD), e.g. main
  --port-shift N    every port of network/topology.yaml plus N, so it runs beside other devnets
                    (default 3700; 0 is the README's ports)
  --repeat N        run the second start N times and give the median too (default 1)
  --timeout S       give up a start after S seconds (default 300)
  --keep            keep the clone (its path is printed)
  --help            this text`;

const REPO = path.resolve(__dirname, '..', '..', '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The environment of a person's shell: this npm run's PATH entries (node_modules/.bin of every
 * folder, npm's node-gyp-bin) and npm_* variables removed, so the clone finds the machine's node.
 */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE' || k === 'NODE_OPTIONS') continue;
        env[k] = v;
    }
    env.PATH = (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter((d) => d && !/[\\/]node_modules[\\/]\.bin$/.test(d) && !/[\\/]node-gyp-bin$/.test(d))
        .join(path.delimiter);
    return { ...env, ...extra };
}

interface Proc {
    pid: number;
    kind: string;
    rssKiB: number;
    pssKiB: number;
    /** Anonymous memory: the process's own (heap, stacks), not pages of files it maps. */
    anonKiB: number;
}

const read = (file: string): string => {
    try {
        return fs.readFileSync(file, 'utf8');
    } catch {
        return '';
    }
};

function kindOf(cmdline: string[]): string {
    const text = cmdline.join(' ');
    const program = path.basename(cmdline[0] ?? '?');
    if (/^(sh|bash|dash|zsh)$/.test(program)) return 'shell';
    if (/^npm( |$)/.test(cmdline[0] ?? '') || /npm-cli\.js/.test(text)) return 'npm';
    if (/fabric-shim[\\/]cli/.test(text)) return 'chaincode server';
    for (const [re, kind] of [
        [/dist[\\/]network[\\/](devnet[\\/])?ca[\\/]/, 'CA'],
        [/dist[\\/]network[\\/](devnet[\\/])?orderer[\\/]/, 'orderer'],
        [/dist[\\/]network[\\/](devnet[\\/])?peer[\\/]/, 'peer'],
        [/dist[\\/]gateway[\\/]server/, 'gateway'],
        [/dist[\\/]network[\\/](commands[\\/])?cli\.js/, 'npm start CLI'],
    ] as const) {
        if (re.test(text)) return kind;
    }
    return program;
}

/** Every process whose working folder is the clone (npm start's and the devnet's), but `skip`. */
function processesIn(dir: string, skip: Set<number>): Proc[] {
    const found: Proc[] = [];
    for (const entry of fs.readdirSync('/proc')) {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || skip.has(pid)) continue;
        let cwd: string;
        try {
            cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
        } catch {
            continue;
        }
        if (cwd !== dir && !cwd.startsWith(`${dir}${path.sep}`)) continue;
        const rss = Number(/VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1] ?? 0);
        const rollup = read(`/proc/${pid}/smaps_rollup`);
        const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
        const anon = Number(/^Anonymous:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
        if (rss === 0) continue; // gone, or a zombie
        found.push({
            pid,
            kind: kindOf(read(`/proc/${pid}/cmdline`).split('\0').filter(Boolean)),
            rssKiB: rss,
            pssKiB: pss,
            anonKiB: anon,
        });
    }
    return found;
}

const total = (ps: Proc[], key: 'rssKiB' | 'pssKiB' | 'anonKiB') => ps.reduce((s, p) => s + p[key], 0) / 1024;

function describe(ps: Proc[]): string {
    const byKind = new Map<string, { n: number; kib: number }>();
    for (const p of ps) {
        const e = byKind.get(p.kind) ?? { n: 0, kib: 0 };
        e.n++;
        e.kib += p.rssKiB;
        byKind.set(p.kind, e);
    }
    return [...byKind.entries()]
        .sort((a, b) => b[1].kib - a[1].kib)
        .map(([kind, e]) => `${e.n} ${kind} ${Math.round(e.kib / 1024)}`)
        .join(', ');
}

/** Lines of npm start's output that end a phase, in the order they come. */
const PHASES: [string, RegExp][] = [
    ['npm ci', /^installed dependencies in|^added \d+ packages/],
    ['build', /^starting \d+ processes|^devnet: channel|^generating identities/],
    ['devnet nodes', /^committing chaincode definitions/],
    ['chaincode definitions and gateways', /^Ctrl-C stops the devnet|^ATTACHED to/],
];

interface Run {
    seconds: number;
    phases: { name: string; at: number }[];
    atHealthy: Proc[];
    peak: Proc[];
    nodeVersion: string;
    output: string[];
}

async function startUntilHealthy(
    clone: string,
    env: NodeJS.ProcessEnv,
    began: number,
    timeoutS: number,
): Promise<Run & { child: ChildProcess }> {
    const output: string[] = [];
    const phases: { name: string; at: number }[] = [];
    const child = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    child.on('exit', () => {
        exited = true;
    });
    let partial = '';
    const onData = (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
            output.push(line);
            const seconds = (Date.now() - began) / 1000;
            for (const [name, re] of PHASES)
                if (re.test(line.trim()) && !phases.some((p) => p.name === name)) phases.push({ name, at: seconds });
        }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const statusPids = new Set<number>();
    let peak: Proc[] = [];
    const deadline = began + timeoutS * 1000;
    let polled = 0;
    for (;;) {
        // npm start prints its endpoints once every node is up: from then on status is asked at once,
        // again and again; before that every 3 s once the devnet starts (the lines of another
        // version may differ), so that polling does not slow the start on a small machine.
        const up = phases.some((p) => p.name === 'chaincode definitions and gateways');
        await new Promise((r) => setTimeout(r, up ? 50 : 250));
        if (exited) throw new Error(`npm start exited before the devnet was healthy:\n${output.slice(-40).join('\n')}`);
        if (Date.now() > deadline) throw new Error(`not healthy after ${timeoutS} s:\n${output.slice(-40).join('\n')}`);
        const now = processesIn(clone, statusPids);
        if (total(now, 'rssKiB') > total(peak, 'rssKiB')) peak = now;
        if (!up && (!phases.some((p) => p.name === 'build') || Date.now() - polled < 3000)) continue;
        polled = Date.now();
        const status = await new Promise<number>((resolve) => {
            const s = spawn('npm', ['run', '-s', 'network:status'], { cwd: clone, env, stdio: 'ignore' });
            if (s.pid) statusPids.add(s.pid);
            s.on('exit', (code) => resolve(code ?? 1));
        });
        if (status !== 0) continue;
        const seconds = (Date.now() - began) / 1000;
        // Status's own processes are gone by now; sample once more, with every node up.
        const atHealthy = processesIn(clone, statusPids);
        if (total(atHealthy, 'rssKiB') > total(peak, 'rssKiB')) peak = atHealthy;
        const cli = atHealthy.find((p) => p.kind === 'npm start CLI');
        const nodeVersion = cli
            ? spawnSync(fs.readlinkSync(`/proc/${cli.pid}/exe`), ['--version'], { encoding: 'utf8' }).stdout.trim()
            : '?';
        return { child, seconds, phases, atHealthy, peak, nodeVersion, output };
    }
}

/** Ctrl-C: SIGINT to npm start's process group; waits until it and every devnet node are gone. */
async function stop(child: ChildProcess, clone: string): Promise<void> {
    if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid, 'SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    }
    for (let i = 0; i < 100 && processesIn(clone, new Set()).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const left = processesIn(clone, new Set());
    for (const p of left) process.kill(p.pid, 'SIGKILL');
    if (left.length) say(`  (killed ${left.length} processes left after Ctrl-C: ${describe(left)})`);
}

function report(name: string, run: Run, goalS: number): boolean {
    const rss = total(run.atHealthy, 'rssKiB');
    const peak = total(run.peak, 'rssKiB');
    let last = 0;
    const phases = run.phases.map((p) => {
        const text = `${p.name} ${(p.at - last).toFixed(1)}`;
        last = p.at;
        return text;
    });
    say(
        `${name}: ${run.seconds.toFixed(1)} s to healthy (goal ≤ ${goalS} s: ${run.seconds <= goalS ? 'met' : 'NOT met'}), on node ${run.nodeVersion}`,
    );
    if (phases.length) say(`  phases (s, in order): ${phases.join(', ')}, status healthy ${(run.seconds - last).toFixed(1)}`);
    const pss = total(run.atHealthy, 'pssKiB');
    const anon = total(run.atHealthy, 'anonKiB');
    const files = rss - anon;
    // What they use together, whoever else maps the same files: their own memory, plus the file
    // pages of the process that maps most of them, once.
    const together = anon + Math.max(0, ...run.atHealthy.map((p) => (p.rssKiB - p.anonKiB) / 1024));
    say(
        `  RSS at healthy: ${Math.round(rss)} MiB summed over ${run.atHealthy.length} processes (goal ≤ 900 MiB: ${Math.max(rss, peak) <= 900 ? 'met' : 'NOT met'}; ` +
            `highest while starting ${Math.round(peak)} MiB), of which ${Math.round(files)} MiB are pages of files they all map (the node ` +
            `binary), counted once per process; counted once: about ${Math.round(together)} MiB (≤ 900 MiB ${together <= 900 ? 'met' : 'NOT met'}); PSS ${Math.round(pss)} MiB`,
    );
    say(`  by kind (MiB): ${describe(run.atHealthy)}`);
    return run.seconds <= goalS && Math.max(rss, peak) <= 900;
}

async function main(): Promise<number> {
    if (process.argv.includes('--help')) {
        say(HELP);
        return 0;
    }
    if (process.platform !== 'linux') throw new Error('bench:start reads /proc: Linux only');
    const repo = flag('repo', REPO);
    const ref = flag('ref', '');
    const shift = Number(flag('port-shift', '3700'));
    const timeoutS = Number(flag('timeout', '300'));
    const repeat = Math.max(1, Number(flag('repeat', '1')));
    const keep = process.argv.includes('--keep');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-start-'));
    const clone = path.join(dir, 'repo');
    const topology = path.join(dir, 'topology.yaml');
    const env = cleanEnv({ TOPOLOGY: topology, FORCE_COLOR: '0' });
    const machineNode = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout?.trim() || 'none';
    say(
        `bench:start: ${repo}${ref ? ` at ${ref}` : ''} into ${clone}; ports +${shift}; the machine's node ${machineNode}, ${os.cpus().length} cores, load ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join(' ')}`,
    );
    let child: ChildProcess | undefined;
    let ok = true;
    try {
        const began = Date.now();
        const cloned = spawnSync('git', ['clone', '--quiet', ...(ref ? ['--no-checkout'] : []), repo, clone], { env, encoding: 'utf8' });
        if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
        if (ref) {
            const checkout = spawnSync('git', ['checkout', '--quiet', ref], { cwd: clone, env, encoding: 'utf8' });
            if (checkout.status !== 0) throw new Error(`git checkout ${ref} failed: ${checkout.stderr}`);
        }
        say(
            `  cloned in ${((Date.now() - began) / 1000).toFixed(1)} s (commit ${spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: clone, encoding: 'utf8' }).stdout.trim()})`,
        );
        const doc = YAML.parse(fs.readFileSync(path.join(clone, 'network', 'topology.yaml'), 'utf8'));
        fs.writeFileSync(topology, YAML.stringify(shiftPorts(doc, shift)));

        const first = await startUntilHealthy(clone, env, began, timeoutS);
        child = first.child;
        ok = report('first npm start, from git clone', first, 30) && ok;
        await stop(first.child, clone);

        const seconds: number[] = [];
        for (let i = 1; i <= repeat; i++) {
            const again = await startUntilHealthy(clone, env, Date.now(), timeoutS);
            child = again.child;
            seconds.push(again.seconds);
            const good = report(repeat > 1 ? `npm start again (${i} of ${repeat})` : 'second npm start', again, 10);
            if (repeat === 1) ok = good && ok;
            await stop(again.child, clone);
            child = undefined;
        }
        if (repeat > 1) {
            const median = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)];
            say(
                `npm start again: median ${median.toFixed(1)} s of ${seconds.map((s) => s.toFixed(1)).join(', ')} (goal ≤ 10 s: ${median <= 10 ? 'met' : 'NOT met'})`,
            );
            ok = median <= 10 && ok;
        }
        say(`goals ${ok ? 'met' : 'NOT all met'}`);
    } finally {
        if (child) await stop(child, clone);
        if (keep) say(`kept ${clone}`);
        else fs.rmSync(dir, { recursive: true, force: true });
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
    },
);
