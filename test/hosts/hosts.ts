// One host per org for the tests across hosts: a Linux network namespace each, joined to one bridge
// by a veth pair, with an address the test assigns (10.219.0.0/24) and /etc/netns/<name>/hosts
// resolving every org's machine name, so each org's commands and nodes run in their own namespace
// with their own state folder and reach the others only by name over the bridge. Everything made
// here is removed again (also what an earlier, crashed run left): namespaces, links, hosts files.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { privateKeyReason } from '../../network/commands/bundle';
import { DeadlineError, execFileWithin } from '../deadline';

/** Every name made here starts with this: what an earlier run left is found and removed by it. */
export const PREFIX = 'cc19';
const BRIDGE = `${PREFIX}br`;
const SUBNET = '10.219.0';

export interface Host {
    /** The org's short name (seoul), also its namespace's suffix. */
    name: string;
    /** The network namespace. */
    ns: string;
    /** The machine's DNS name (the topology's host of each of its nodes). */
    hostname: string;
    address: string;
    /** The veth end on the bridge, in the root namespace: down cuts this host off. */
    link: string;
}

/** Why hosts cannot be made on this machine, or undefined when they can. */
export function whyNoHosts(): string | undefined {
    if (process.platform !== 'linux') return 'network namespaces are Linux only';
    if (process.getuid?.() !== 0) return 'making network namespaces needs root';
    const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
    if (ip.status !== 0) return 'no `ip` command (Debian: apt-get install iproute2)';
    const probe = `${PREFIX}probe`;
    spawnSync('ip', ['netns', 'del', probe]);
    const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
    spawnSync('ip', ['netns', 'del', probe]);
    if (made.status !== 0) return `ip netns add failed: ${made.stderr.trim()}`;
    return undefined;
}

function ip(...args: string[]): void {
    const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`HOSTS_SETUP_FAILED: ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
}

/** Removes every namespace, link and hosts file of this test, running or left by an earlier run. */
export function removeHosts(): void {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    for (const ns of list
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter((n) => n.startsWith(`${PREFIX}-`))) {
        // Whatever still runs in it (a node the test did not stop) goes with it.
        const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
        for (const pid of pids) {
            try {
                process.kill(Number(pid), 'SIGKILL');
            } catch {
                /* gone already */
            }
        }
        spawnSync('ip', ['netns', 'del', ns]);
        fs.rmSync(path.join('/etc/netns', ns), { recursive: true, force: true });
    }
    const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
    for (const m of links.matchAll(new RegExp(`^\\d+: (${PREFIX}[a-z0-9]+)[@:]`, 'gm'))) spawnSync('ip', ['link', 'del', m[1]]);
}

/**
 * One namespace per name, on one bridge, each with its address and the same hosts file naming every
 * host (`hostnames[name]`), plus loopback. Leftovers of an earlier run are removed first.
 */
export function makeHosts(hostnames: Record<string, string>): Host[] {
    removeHosts();
    ip('link', 'add', BRIDGE, 'type', 'bridge');
    ip('link', 'set', BRIDGE, 'up');
    const hosts: Host[] = Object.entries(hostnames).map(([name, hostname], i) => ({
        name,
        ns: `${PREFIX}-${name}`,
        hostname,
        address: `${SUBNET}.${i + 2}`,
        link: `${PREFIX}v${name}`.slice(0, 15),
    }));
    const hostsFile = ['127.0.0.1 localhost', ...hosts.map((h) => `${h.address} ${h.hostname}`), ''].join('\n');
    for (const h of hosts) {
        const inner = `${PREFIX}p${h.name}`.slice(0, 15);
        ip('netns', 'add', h.ns);
        ip('link', 'add', h.link, 'type', 'veth', 'peer', 'name', inner);
        ip('link', 'set', inner, 'netns', h.ns);
        ip('link', 'set', h.link, 'master', BRIDGE);
        ip('link', 'set', h.link, 'up');
        ip('-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', inner);
        ip('-n', h.ns, 'link', 'set', inner, 'up');
        ip('-n', h.ns, 'link', 'set', 'lo', 'up');
        fs.mkdirSync(path.join('/etc/netns', h.ns), { recursive: true });
        fs.writeFileSync(path.join('/etc/netns', h.ns, 'hosts'), hostsFile);
    }
    return hosts;
}

/** Cuts a host off the bridge (`ip link set … down`), or puts it back. */
export function setLink(h: Host, up: boolean): void {
    ip('link', 'set', h.link, up ? 'up' : 'down');
}

export interface Run {
    code: number;
    output: string;
}

/**
 * The environment of a command on a host: this process's, less what points at the test network of
 * this run (DEVNET_STATE_DIR, which the end-to-end hooks set on real Fabric for the shared network's
 * gateways and which would override each host's own state folder).
 */
function hostEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    delete env.DEVNET_STATE_DIR;
    return env;
}

/** A command in a host's namespace (its /etc/hosts is the host's), within a deadline; the output kept for messages. */
export async function inHost(h: Host, timeoutMs: number, command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    try {
        const { stdout, stderr } = await execFileWithin(
            timeoutMs,
            'ip',
            ['netns', 'exec', h.ns, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), command, ...args],
            { maxBuffer: 64 * 1024 * 1024, env: hostEnv() },
        );
        return { code: 0, output: stdout + stderr };
    } catch (e) {
        if (e instanceof DeadlineError) throw e;
        const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
        return { code: typeof err.code === 'number' ? err.code : 1, output: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}` };
    }
}

/** The same, without waiting: a load client that runs while the test does something else. */
export function startInHost(h: Host, command: string, args: string[]): { done: Promise<Run> } {
    const done = new Promise<Run>((resolve) => {
        execFile('ip', ['netns', 'exec', h.ns, command, ...args], { maxBuffer: 64 * 1024 * 1024, env: hostEnv() }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        );
    });
    return { done };
}

/**
 * What moves between two orgs' machines: a file from one's work folder into the other's. Refused,
 * before anything is written, when it holds a private key: only public material crosses.
 */
export function carry(from: string, to: string): void {
    const bytes = fs.readFileSync(from);
    const reason = privateKeyReason(path.basename(from), bytes);
    if (reason) throw new Error(`CARRY_REFUSED: ${reason}; only public material moves between orgs`);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, bytes);
}
