// What the benchmarks measure alike: their options, callers in a closed loop, percentiles, a
// process's resident memory, a transaction that must commit, and the moment the devnet's peers
// have caught up with each other.
import * as fs from 'node:fs';
import { type Contract, StatusCode } from '@hyperledger/fabric-gateway';
import type { Topology } from '../../network/client/topology';
import { checkHealth, devnetNodes } from '../../network/devnet/processes';

/** The value after `--name` in argv, or `fallback` when it is missing or another option follows. */
export function flag(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : fallback;
}

/** `concurrency` callers each running `op` again and again for `seconds`; how many ops finished. */
export async function closedLoop(concurrency: number, seconds: number, op: () => Promise<void>): Promise<number> {
    const until = Date.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (Date.now() < until) {
                await op();
                done++;
            }
        }),
    );
    return done;
}

/** The p-th percentile of ascending values (NaN when there are none). */
export const percentile = (sorted: number[], p: number): number =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN;

/** Resident memory of a process in KiB (Linux /proc), 0 when unknown. */
export function rssKiB(pid: number): number {
    try {
        const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        return match ? Number(match[1]) : 0;
    } catch {
        return 0;
    }
}

/**
 * Waits until every peer has the same height twice in a row (the peers have caught up), at most
 * timeoutMs; resolves with the first peer's height then.
 */
export async function peersCaughtUp(t: Topology, timeoutMs = 60_000): Promise<number> {
    const peers = devnetNodes(t).filter((n) => n.kind === 'peer');
    let last = '';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const heights = (await Promise.all(peers.map(checkHealth))).map((h) => h.height ?? -1);
        const now = heights.join(',');
        if ((now === last && heights.every((h) => h === heights[0])) || Date.now() > deadline) return heights[0];
        last = now;
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/** Submits fn(args) and waits for its commit; a transaction not committed VALID fails the benchmark. Its result. */
export async function submitValid(contract: Contract, fn: string, args: string[]): Promise<Uint8Array> {
    const tx = await contract.submitAsync(fn, { arguments: args });
    const status = await tx.getStatus();
    if (status.code !== StatusCode.VALID) throw new Error(`BENCH_FAILED: ${fn} ${status.transactionId} committed as ${status.code}`);
    return tx.getResult();
}
