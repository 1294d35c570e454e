// Tests that could not run, with the reason: a test calls notRun() (never a bare this.skip()) and
// the reporter lists it under "not run", never among the passes.
import { NETWORK, NETWORK_LABEL, type NetworkKind } from './e2e/network';

const reasons = new Map<string, string>();

/** The reason given for a test, or for the suite (or an enclosing one) whose hook skipped it. */
export function notRunReason(test: Mocha.Runnable): string | undefined {
    for (let r: Mocha.Runnable | Mocha.Suite | undefined = test; r; r = r.parent) {
        const reason = reasons.get(r.fullTitle());
        if (reason) return reason;
    }
    return undefined;
}

/** Marks the current test (or, from a before hook, every test of the suite) as not run, and why. */
export function notRun(ctx: Mocha.Context, reason: string): never {
    const runnable = ctx.test;
    if (!runnable) throw new Error('notRun() is called from a test or a hook');
    const isHook = (runnable as { type?: string }).type === 'hook';
    const owner = isHook && runnable.parent ? runnable.parent : runnable;
    reasons.set(owner.fullTitle(), reason);
    ctx.skip();
}

/** Runs the test (or the suite, from a before hook) only on one kind of network; otherwise says why not. */
export function onlyOn(ctx: Mocha.Context, kind: NetworkKind, why: string): void {
    if (NETWORK !== kind) notRun(ctx, `${kind === 'devnet' ? 'devnet' : 'real Fabric'} only, not run on ${NETWORK_LABEL}: ${why}`);
}
