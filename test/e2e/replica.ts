// A gateway process of one org started by a test or a benchmark beside the test network's own
// gateways (`node dist/gateway/server.js --port 0`), with its own environment: e.g. a replica on a
// shared PostgreSQL database (GATEWAY_DATABASE_URL). It is ready once it printed its URL.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Topology } from '../../network/client/topology';
import { withDeadline } from '../deadline';

export interface GatewayProcess {
    name: string;
    url: string;
    child: ChildProcess;
    exited: Promise<void>;
    /** How many of its log lines (stdout, JSON) contain `text`. */
    logged(text: string): number;
    /** SIGKILL (a crash) or SIGTERM (a graceful stop), and waits for the exit. */
    stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startGatewayProcess(t: Topology, mspId: string, name: string, env: Record<string, string>): Promise<GatewayProcess> {
    const child = spawn(
        process.execPath,
        [path.join(t.root, 'dist', 'gateway', 'server.js'), '--org', mspId, '--topology', t.file, '--port', '0'],
        { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr?.on('data', (d) => {
        stderr = (stderr + d).slice(-4000);
    });
    let out = '';
    let lines: string[] = [];
    child.stdout?.on('data', (d) => {
        out += d;
        const parts = out.split('\n');
        out = parts.pop() ?? '';
        lines = [...lines, ...parts].slice(-5000);
    });
    const listening = new Promise<string>((resolve, reject) => {
        const seen = () => {
            const m = lines.map((l) => /^gateway \S+ (\S+)$/.exec(l)).find(Boolean);
            if (m) resolve(m[1]);
        };
        child.stdout?.on('data', seen);
        child.once('exit', (code) => reject(new Error(`gateway ${name} exited (${code}) before listening: ${stderr}`)));
    });
    const url = await withDeadline(`gateway ${name} to listen`, 60_000, listening, () => child.kill('SIGKILL'));
    return {
        name,
        url,
        child,
        exited,
        logged: (text) => lines.filter((l) => l.includes(text)).length,
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
        },
    };
}
