// One devnet per state folder. Two files under <state>/run say who may change it and who runs it:
// - devnet.lock: held (created exclusively) while a command starts, stops or redeploys nodes or
//   changes the channel's orgs, on the devnet or on real Fabric (each has its own state folder), so
//   two commands never start the same node twice; a lock whose process is gone is stale and removed.
// - owner.json: who brought the running devnet up: a foreground `start` (which stops it on Ctrl-C)
//   or a background `up` (stopped by `down`). A second `start` attaches to a running devnet and
//   stops nothing when it leaves; `down` removes the file, which tells a foreground owner to leave.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shownPath, Topology } from '../client/topology';

export interface Owner {
    pid: number;
    command: 'start' | 'up';
    since: string;
}

const runDir = (t: Topology) => path.join(t.stateDir, 'run');
const lockFile = (t: Topology) => path.join(runDir(t), 'devnet.lock');
const ownerFile = (t: Topology) => path.join(runDir(t), 'owner.json');

/** True if the pid is a live devnet command (not a recycled pid of another program). */
export function isDevnetCommand(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join('network', 'commands', 'cli.js'));
    } catch {
        return false;
    }
}

export function readOwner(t: Topology): Owner | undefined {
    try {
        return JSON.parse(fs.readFileSync(ownerFile(t), 'utf8')) as Owner;
    } catch {
        return undefined;
    }
}

export function writeOwner(t: Topology, command: Owner['command']): Owner {
    const owner: Owner = { pid: process.pid, command, since: new Date().toISOString() };
    fs.mkdirSync(runDir(t), { recursive: true });
    fs.writeFileSync(`${ownerFile(t)}.tmp`, JSON.stringify(owner));
    fs.renameSync(`${ownerFile(t)}.tmp`, ownerFile(t));
    return owner;
}

export function removeOwner(t: Topology): void {
    fs.rmSync(ownerFile(t), { force: true });
}

/** "npm start (pid 123, since ...)" or "network:up (in the background, since ...)". */
export function describeOwner(o: Owner): string {
    return o.command === 'start' ? `npm start (pid ${o.pid}, since ${o.since})` : `network:up (in the background since ${o.since})`;
}

/** A foreground `start` that is still running, if one owns the devnet. */
export function liveForegroundOwner(t: Topology): Owner | undefined {
    const o = readOwner(t);
    return o && o.command === 'start' && o.pid !== process.pid && isDevnetCommand(o.pid) ? o : undefined;
}

/**
 * Runs `fn` holding the state folder's lock. If another live command holds it, waits (saying so
 * every few seconds), or with `ifBusy: 'refuse'` throws NETWORK_BUSY without running `fn`; a lock
 * left by a process that is gone is removed.
 */
export async function withLock<T>(
    t: Topology,
    what: string,
    say: (line: string) => void,
    fn: () => Promise<T>,
    options: { ifBusy?: 'wait' | 'refuse' } = {},
): Promise<T> {
    fs.mkdirSync(runDir(t), { recursive: true });
    let waitingSince = 0;
    for (;;) {
        try {
            fs.writeFileSync(lockFile(t), JSON.stringify({ pid: process.pid, what }), { flag: 'wx' });
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        let holder: { pid: number; what: string } | undefined;
        try {
            holder = JSON.parse(fs.readFileSync(lockFile(t), 'utf8'));
        } catch {
            /* being written or just removed: look again */
        }
        if (holder && !isDevnetCommand(holder.pid)) {
            say(`removed a stale lock: ${holder.what} (pid ${holder.pid}) ended without releasing it`);
            fs.rmSync(lockFile(t), { force: true });
            continue;
        }
        if (holder && options.ifBusy === 'refuse') {
            throw new Error(
                `NETWORK_BUSY: ${holder.what} (pid ${holder.pid}) is changing this network (${shownPath(t, t.stateDir)}); ` +
                    `nothing was done: run ${what} again when it has finished`,
            );
        }
        if (holder && Date.now() - waitingSince > 10_000) {
            say(`waiting: ${holder.what} (pid ${holder.pid}) is changing this devnet (${shownPath(t, t.stateDir)})...`);
            waitingSince = Date.now();
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(lockFile(t), { force: true });
    }
}
