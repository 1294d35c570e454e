// A schema-driven fuzz of every gateway's own OpenAPI document on the test network: Schemathesis
// generates requests from the document, with each role's credentials (an app's API key, the audit
// console's and the citizen tracker's session cookies), in positive mode (valid requests: no 5xx,
// every answer as documented) and negative mode (requests that break the document: no 5xx, no 2xx,
// and no ledger change on any peer). Bounded here (4 examples per operation, a deadline per run);
// `npm run fuzz:gateways` runs the same with more examples.
import { expect } from 'chai';
import { notRun } from '../not-run';
import { FUZZ_ROLES, fuzzRole } from '../probe/fuzz';
import { describeResult, ensureSchemathesis } from '../probe/schemathesis';
import type { Topology } from '../../network/client/topology';
import { closeConnections } from './helpers';
import { NETWORK_LABEL, testNetwork } from './network';

describe(`schema-driven fuzz of every gateway's OpenAPI document on ${NETWORK_LABEL}`, function () {
    this.timeout(600_000);
    let t: Topology;
    let bin: string;
    let total = 0;
    const run = Date.now().toString(36);
    const seed = Number(process.env.FUZZ_SEED ?? 1);

    before(async function () {
        const installed = ensureSchemathesis((line) => console.log(`      ${line}`));
        if ('notRun' in installed) notRun(this, installed.notRun);
        bin = installed.bin;
        t = (await testNetwork()).topology;
    });

    after(() => {
        closeConnections();
        if (total) console.log(`      fuzz: ${total} requests in all (seed ${seed})`);
    });

    for (const role of FUZZ_ROLES) {
        for (const mode of ['positive', 'negative'] as const) {
            const then =
                mode === 'positive' ? 'no 5xx and every answer is as documented' : 'no 5xx, no 2xx and no ledger change on any peer';
            it(`Given the ${role.label}, When ${mode === 'positive' ? 'valid requests are' : 'requests that break the document are'} generated from its gateway's document, Then ${then}`, async () => {
                const { result, findings } = await fuzzRole(bin, t, role, mode, { run, maxExamples: 4, seed });
                total += result.requests;
                console.log(`      ${describeResult(result).replace(/\n/g, '\n      ')}`);
                expect(findings).to.deep.equal([]);
            });
        }
    }
});
