// kill -9 at any moment loses nothing committed and applies nothing twice: a child process
// commits a series of blocks and is killed with SIGKILL at several moments; after each restart
// it carries on, and in the end its state digest equals that of a ledger that never crashed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { peer } from '@hyperledger/fabric-protos';
import { withDeadline } from '../../deadline';
import { Chain, CC, definition, ledgerFixture, simulateTx, putDefinition } from './fixture';

const CHILD = path.join(__dirname, 'crashchild.js');

/**
 * Runs the child; kills it with SIGKILL `delayMs` after it reports a height of at least `killAt`.
 * TIMEOUT (and SIGKILL) when it has neither exited nor been killed within `timeoutMs`.
 */
function runChild(
    dir: string,
    file: string,
    kill?: { killAt: number; delayMs: number },
    timeoutMs = 60_000,
): Promise<{ killed: boolean; heights: number[]; logs: string[] }> {
    const child = spawn(process.execPath, [CHILD, dir, file, 'SeoulMSP'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const heights: number[] = [];
    const run = new Promise<{ killed: boolean; heights: number[]; logs: string[] }>((resolve, reject) => {
        const logs: string[] = [];
        let stderr = '';
        let timer: NodeJS.Timeout | undefined;
        child.stdout.on('data', (d: Buffer) => {
            for (const line of d.toString().trim().split('\n').filter(Boolean)) {
                if (line.startsWith('log ')) logs.push(line.slice(4));
                else heights.push(Number(line));
            }
            if (kill && !timer && heights[heights.length - 1] >= kill.killAt) timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
        });
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code, signal) => {
            if (timer) clearTimeout(timer);
            if (signal === 'SIGKILL') resolve({ killed: true, heights, logs });
            else if (code === 0) resolve({ killed: false, heights, logs });
            else reject(new Error(`child exited ${code}: ${stderr}`));
        });
    });
    return withDeadline(
        () =>
            `the committing child (crashchild.js) to ${kill ? `reach height ${kill.killAt}` : 'exit'} (height ${heights[heights.length - 1] ?? 'none'} so far)`,
        timeoutMs,
        run,
        () => child.kill('SIGKILL'),
    );
}

describe('peer ledger crash safety (kill -9)', function () {
    this.timeout(120000);

    it('Given a committing peer killed with SIGKILL at several moments, When restarted each time, Then it ends with the digest of a peer that never crashed', async () => {
        const f = await ledgerFixture();
        const reference = await f.open(f.tmp(), 'SeoulMSP');
        await reference.commit(Chain.copy(f.genesis));
        const chain = new Chain(f.genesis);
        const blocks = [f.genesis];
        const majority = ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((m) => f.peer(m));
        const commit = async (envs: Uint8Array[]) => {
            const b = chain.next(envs);
            blocks.push(Chain.copy(b));
            return (await reference.commit(b)).validationCodes;
        };
        const def = await simulateTx(reference, f.user('SeoulMSP', 'Admin'), majority, (sim) => putDefinition(sim, definition), {
            ccName: '_lifecycle',
        });
        await commit([def.env]);
        for (let i = 0; i < 40; i++) {
            const envs: Uint8Array[] = [];
            for (let t = 0; t < 4; t++) {
                const tx = await simulateTx(reference, f.user('SeoulMSP', 'User1'), majority, async (sim) => {
                    const v = await sim.getState(CC, `counter${t}`);
                    sim.putState(CC, `counter${t}`, Buffer.from(String(Number(v ? Buffer.from(v).toString() : '0') + 1)));
                    sim.putState(CC, `k-${i}-${t}`, Buffer.alloc(2000, i));
                    if (t === 3) sim.deleteState(CC, `k-${i - 1}-0`);
                    sim.putPrivateData(CC, 'seoulPrivate', `p-${i}-${t}`, Buffer.from('x'));
                });
                envs.push(tx.env);
            }
            const codes = await commit(envs);
            expect(codes.every((c) => c === peer.TxValidationCode.VALID)).to.equal(true);
        }
        const file = path.join(f.tmp(), 'blocks.bin');
        fs.writeFileSync(
            file,
            Buffer.concat(
                blocks.flatMap((b) => {
                    const bytes = Buffer.from(b.serializeBinary());
                    const len = Buffer.alloc(4);
                    len.writeUInt32BE(bytes.length);
                    return [len, bytes];
                }),
            ),
        );

        const dir = f.tmp();
        let kills = 0;
        // Kill points spread over the run, each a few milliseconds into a commit.
        for (const [killAt, delayMs] of [
            [3, 0],
            [6, 1],
            [10, 2],
            [14, 3],
            [19, 5],
            [24, 7],
            [29, 4],
            [34, 9],
            [38, 2],
        ]) {
            const r = await runChild(dir, file, { killAt, delayMs });
            if (r.killed) kills++;
            if (process.env.CRASH_DEBUG)
                console.log(
                    killAt,
                    delayMs,
                    r.killed,
                    r.heights[0],
                    r.heights[r.heights.length - 1],
                    r.logs.filter((l) => !l.includes('missing')),
                );
        }
        const last = await runChild(dir, file);
        expect(kills).to.be.greaterThan(5);
        const survivor = await f.open(dir, 'SeoulMSP');
        try {
            expect(survivor.height).to.equal(blocks.length);
            expect(await survivor.stateDigest()).to.equal(await reference.stateDigest());
            const h = await survivor.newQueryExecutor().getHistoryForKey(CC, 'counter0');
            expect(h).to.have.length(40);
            expect(Buffer.from((await survivor.newQueryExecutor().getState(CC, 'counter3'))!).toString()).to.equal('40');
            void last;
        } finally {
            await survivor.close();
            await reference.close();
        }
    });
});
