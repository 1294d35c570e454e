// A private PostgreSQL server for the tests of the shared gateway store: Debian's `postgresql`
// package (.ci/run installs it), a fresh cluster in a temporary folder on a free port of
// 127.0.0.1, started by the test and stopped after it. initdb refuses root, so as root the cluster
// belongs to the package's `postgres` user (its processes are started with that uid). Without the package the tests say they did
// not run (notRun), never pass.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin folder (/usr/lib/postgresql/N/bin), or undefined. */
export function postgresBinDir(): string | undefined {
    const root = '/usr/lib/postgresql';
    if (!fs.existsSync(root)) return undefined;
    const versions = fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a));
    return versions[0] && path.join(root, versions[0], 'bin');
}

/** Why PostgreSQL cannot be started here, or undefined when it can. */
export function postgresMissing(): string | undefined {
    if (!postgresBinDir())
        return "PostgreSQL is not installed (Debian's postgresql package: apt-get install postgresql; .ci/run installs it)";
    if (process.getuid?.() === 0 && !userIds('postgres')) return 'running as root and there is no postgres user to run initdb as';
    return undefined;
}

/** A user's uid and gid from /etc/passwd. */
function userIds(name: string): { uid: number; gid: number } | undefined {
    const line = fs
        .readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    return line ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

export interface PostgresServer {
    port: number;
    /** A URL of database `db` (the superuser postgres, trusted on 127.0.0.1 only). */
    url(db?: string): string;
    /** Creates an empty database and returns its URL. */
    createDatabase(name: string): Promise<string>;
    stop(): Promise<void>;
}

/** Starts a fresh cluster (initdb, then postgres on a free port); stop() ends it and removes its folder. */
export async function startPostgres(): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('POSTGRES_MISSING: no /usr/lib/postgresql/*/bin/initdb');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-pg-'));
    const data = path.join(dir, 'data');
    // As root, initdb and the server run as the postgres user (initdb refuses root).
    const user = process.getuid?.() === 0 ? userIds('postgres') : undefined;
    if (user) fs.chownSync(dir, user.uid, user.gid);
    const opts = { cwd: dir, ...(user ?? {}) };
    await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], opts);
    const port = await freePort();
    const child = spawn(
        path.join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
        { ...opts, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (d) => {
        log = (log + d).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The server is ours: killed with this process if a test forgets to stop it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const url = (db = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${db}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
        const c = new pg.Client({ connectionString: url() });
        try {
            await c.connect();
            await c.end();
            break;
        } catch (err) {
            await c.end().catch(() => undefined);
            if (child.exitCode !== null || Date.now() > deadline) {
                child.kill('SIGKILL');
                throw new Error(`POSTGRES_START_FAILED: ${(err as Error).message}\n${log}`);
            }
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    return {
        port,
        url,
        async createDatabase(name: string) {
            const c = new pg.Client({ connectionString: url() });
            await c.connect();
            try {
                await c.query(`CREATE DATABASE ${name}`);
            } finally {
                await c.end();
            }
            return url(name);
        },
        async stop() {
            process.removeListener('exit', killOnExit);
            // SIGINT is PostgreSQL's fast shutdown: sessions ended, a clean checkpoint.
            child.kill('SIGINT');
            const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(killed);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
