// mocha's spec reporter, plus: which network the end-to-end tests target (first line), every test
// that did not run with its reason, and the plain closing line
// "N passed, N failed, N not run (end-to-end on NETWORK)" that CI reads.
import Mocha from 'mocha';
import { NETWORK_LABEL } from './e2e/network';
import { notRunReason } from './not-run';

const { EVENT_RUN_BEGIN, EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        const notRun: string[] = [];
        runner.once(EVENT_RUN_BEGIN, () => process.stdout.write(`End-to-end tests run on ${NETWORK_LABEL}.\n`));
        runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => {
            notRun.push(`  - ${test.fullTitle()}\n      ${notRunReason(test) ?? 'no reason given'}`);
        });
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats;
            if (notRun.length) process.stdout.write(`\nNot run (${notRun.length}):\n${notRun.join('\n')}\n`);
            if (s)
                process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} not run (end-to-end on ${NETWORK_LABEL})\n`);
        });
    }
}

export = SpecWithSummary;
