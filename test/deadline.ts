// Deadlines for what a test waits on: a stream's answer, a process's exit or readiness. Past its
// deadline a wait fails with TIMEOUT and what it was waiting for (and cancels what it waited on),
// instead of hanging until mocha's timeout, which names only the test.
import {
    type ChildProcess,
    type ExecFileOptions,
    execFile,
    type SpawnSyncOptions,
    type SpawnSyncReturns,
    spawnSync,
} from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

export class DeadlineError extends Error {
    constructor(
        readonly what: string,
        readonly ms: number,
    ) {
        super(`TIMEOUT: waited ${ms / 1000} s for ${what}`);
        this.name = 'DeadlineError';
    }
}

/**
 * `wait`, or a DeadlineError after `ms`. `what` names what is awaited (a function, to say how far it
 * got); `onTimeout` cancels it (a stream's call.cancel(), a child's kill).
 */
export function withDeadline<T>(what: string | (() => string), ms: number, wait: Promise<T>, onTimeout?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
            const error = new DeadlineError(typeof what === 'string' ? what : what(), ms);
            try {
                onTimeout?.();
            } finally {
                reject(error);
            }
        }, ms);
    });
    return Promise.race([wait, expired]).finally(() => clearTimeout(timer));
}

/** The exit of a child process (at once if it has exited already), within `ms`; `what` names the process. */
export function exitOf(child: ChildProcess, what: string, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return withDeadline(`${what} to exit`, ms, new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))));
}

/**
 * promisify(execFile) with a deadline: past `timeoutMs` the command is killed and the call fails
 * with TIMEOUT naming it (the error keeps execFile's code, stdout and stderr).
 */
export async function execFileWithin(
    timeoutMs: number,
    file: string,
    args: string[],
    options: Omit<ExecFileOptions, 'encoding'> = {},
): Promise<{ stdout: string; stderr: string }> {
    try {
        return await promisify(execFile)(file, args, { ...options, encoding: 'utf8', timeout: timeoutMs });
    } catch (e) {
        const err = e as Error & { killed?: boolean };
        if (err.killed)
            err.message = `TIMEOUT: waited ${timeoutMs / 1000} s for \`${path.basename(file)} ${args.join(' ')}\` to exit\n${err.message}`;
        throw err;
    }
}

/** spawnSync (text output) with a deadline: past `timeoutMs` the child is killed and this throws TIMEOUT naming the command. */
export function spawnSyncWithin(
    timeoutMs: number,
    file: string,
    args: string[],
    options: Omit<SpawnSyncOptions, 'encoding' | 'timeout'> = {},
): SpawnSyncReturns<string> {
    const result = spawnSync(file, args, { ...options, encoding: 'utf8', timeout: timeoutMs });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
        throw new DeadlineError(`\`${path.basename(file)} ${args.join(' ')}\` to exit`, timeoutMs);
    }
    return result;
}
