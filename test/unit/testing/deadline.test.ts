// The tests' waits have deadlines (test/deadline.ts): a wait that would hang fails with TIMEOUT and
// what it waited for, and cancels what it waited on.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { DeadlineError, exitOf, spawnSyncWithin, withDeadline } from '../../deadline';

describe('test deadlines', () => {
    it('Given an answer in time, Then withDeadline resolves with it and cancels nothing', async () => {
        let cancelled = false;
        expect(await withDeadline('a quick answer', 1000, Promise.resolve(42), () => (cancelled = true))).to.equal(42);
        expect(cancelled).to.equal(false);
    });

    it('Given a wait that never ends, Then withDeadline fails with TIMEOUT naming it (and how far it got) and cancels it', async () => {
        let cancelled = false;
        const got = 2;
        const failure = await withDeadline(
            () => `the orderer's answers (${got} so far)`,
            50,
            new Promise(() => undefined),
            () => (cancelled = true),
        ).catch((e: Error) => e);
        expect(failure).to.be.instanceOf(DeadlineError);
        expect((failure as Error).message).to.equal("TIMEOUT: waited 0.05 s for the orderer's answers (2 so far)");
        expect(cancelled).to.equal(true);
    });

    it('Given a failing wait, Then withDeadline passes its own error on', async () => {
        const failure = await withDeadline('a refusal', 1000, Promise.reject(new Error('FORBIDDEN'))).catch((e: Error) => e);
        expect((failure as Error).message).to.equal('FORBIDDEN');
    });

    it('Given a child process, Then exitOf resolves on its exit, at once when it has exited already, and fails with TIMEOUT while it runs', async () => {
        const quick = spawn(process.execPath, ['-e', '']);
        expect(await exitOf(quick, 'an empty node process', 10_000)).to.deep.equal({ code: 0, signal: null });
        expect(await exitOf(quick, 'an empty node process', 10)).to.deep.equal({ code: 0, signal: null });
        const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
        try {
            const failure = await exitOf(sleeper, 'a sleeping node process', 100).catch((e: Error) => e);
            expect((failure as Error).message).to.equal('TIMEOUT: waited 0.1 s for a sleeping node process to exit');
        } finally {
            sleeper.kill('SIGKILL');
        }
    });

    it('Given a command that outlives its deadline, Then spawnSyncWithin kills it and throws TIMEOUT naming it', () => {
        expect(() => spawnSyncWithin(200, process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])).to.throw(
            DeadlineError,
            /^TIMEOUT: waited 0\.2 s for `node -e setTimeout\(\(\) => \{\}, 60000\)` to exit$/,
        );
        expect(spawnSyncWithin(10_000, process.execPath, ['-e', 'process.stdout.write("ok")']).stdout).to.equal('ok');
    });
});
