// The retry policy of the Fabric layer, driven with fake fabric-gateway transactions.
import { expect } from 'chai';
import type { ServiceError } from '@grpc/grpc-js';
import { CommitError, CommitStatusError, EndorseError, StatusCode, type Status } from '@hyperledger/fabric-gateway';
import { SubmitError } from '@hyperledger/fabric-gateway/dist/submiterror';
import type { RetryPolicy } from '../../../gateway/config';
import { afterCommit, backoffMs, chaincodeFailure, isConflict, OutcomeUnknownError, toProblem } from '../../../gateway/errors';
import { submitPrepared, submitWithRetry, type RetryHooks, type SubmittedLike, type TransactionLike } from '../../../gateway/fabric/retry';

const policy: RetryPolicy = { conflictAttempts: 3, submitAttempts: 3, commitStatusAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
const hooks = (log: string[] = []): RetryHooks => ({ timed: (_p, w) => w(), sleep: async () => undefined, onRetry: (r) => log.push(r) });
const svcErr = (code: number): ServiceError => Object.assign(new Error('x'), { code, details: 'x', metadata: undefined as never });

function status(code: number, txId: string): Status {
    return { blockNumber: 5n, code: code as Status['code'], successful: code === StatusCode.VALID, transactionId: txId };
}

/** A transaction whose submit and status answers are scripted; counts calls. */
function fakeTx(
    id: string,
    script: { submit?: (n: number) => void; status?: (n: number) => Status },
): TransactionLike & { submits: number; statusCalls: number } {
    const tx = {
        submits: 0,
        statusCalls: 0,
        getTransactionId: () => id,
        getBytes: () => Buffer.from(`bytes-${id}`),
        getResult: () => Buffer.from('{}'),
        async submit(): Promise<SubmittedLike> {
            tx.submits++;
            script.submit?.(tx.submits);
            return {
                getResult: () => Buffer.from('{"ok":true}'),
                getStatus: async () => {
                    tx.statusCalls++;
                    return script.status ? script.status(tx.statusCalls) : status(StatusCode.VALID, id);
                },
            };
        },
    };
    return tx;
}

describe('gateway retry policy', () => {
    it('Given an MVCC conflict, Then a NEW proposal is endorsed (new transaction id) and committed', async () => {
        const txs: ReturnType<typeof fakeTx>[] = [];
        const log: string[] = [];
        const r = await submitWithRetry(
            async () => {
                const n = txs.length + 1;
                const t = fakeTx(`tx${n}`, { status: () => status(n === 1 ? StatusCode.MVCC_READ_CONFLICT : StatusCode.VALID, `tx${n}`) });
                txs.push(t);
                return t;
            },
            policy,
            hooks(log),
        );
        expect(r.transactionId).to.equal('tx2');
        expect(txs).to.have.length(2);
        expect(log).to.deep.equal(['conflict']);
    });

    it('Given phantom-read conflicts beyond the attempts, Then the CommitError surfaces as 409 LEDGER_CONFLICT', async () => {
        let n = 0;
        const err = await submitWithRetry(
            async () => fakeTx(`tx${++n}`, { status: () => status(StatusCode.PHANTOM_READ_CONFLICT, `tx${n}`) }),
            policy,
            hooks(),
        ).catch((e) => e);
        expect(isConflict(err)).to.equal(true);
        expect(n).to.equal(3);
        expect(toProblem(err)).to.include({ status: 409, code: 'LEDGER_CONFLICT' });
    });

    it('Given a submit that fails in transport, Then the SAME signed transaction is sent again, not a new proposal', async () => {
        let endorsements = 0;
        const tx = fakeTx('tx1', {
            submit: (n) => {
                if (n === 1) throw new SubmitError({ code: 14, details: [], cause: svcErr(14), transactionId: 'tx1' });
            },
        });
        const r = await submitWithRetry(
            async () => {
                endorsements++;
                return tx;
            },
            policy,
            hooks(),
        );
        expect(r.transactionId).to.equal('tx1');
        expect(endorsements).to.equal(1);
        expect(tx.submits).to.equal(2);
    });

    it('Given a submit the peer reset at its deadline (CANCELLED, as grpc-go does), Then the same transaction is sent again, and once the attempts are spent it is 503 FABRIC_UNAVAILABLE', async () => {
        const cancelled = () => new SubmitError({ code: 1, details: [], cause: svcErr(1), transactionId: 'tx1' });
        const once = fakeTx('tx1', {
            submit: (n) => {
                if (n === 1) throw cancelled();
            },
        });
        const r = await submitWithRetry(async () => once, policy, hooks());
        expect(r.transactionId).to.equal('tx1');
        expect(once.submits).to.equal(2);

        const always = fakeTx('tx1', {
            submit: () => {
                throw cancelled();
            },
        });
        const err = await submitWithRetry(async () => always, policy, hooks()).catch((e) => e);
        expect(always.submits).to.equal(policy.submitAttempts);
        expect(toProblem(err)).to.include({ status: 503, code: 'FABRIC_UNAVAILABLE' });
    });

    it('Given a commit-status deadline, Then the status is asked again and the transaction is never resubmitted', async () => {
        const tx = fakeTx('tx1', {
            status: (n) => {
                if (n < 3) throw new CommitStatusError({ code: 4, details: [], cause: svcErr(4), transactionId: 'tx1' });
                return status(StatusCode.VALID, 'tx1');
            },
        });
        const r = await submitPrepared(tx, policy, hooks());
        expect(r.blockNumber).to.equal(5n);
        expect(tx.submits).to.equal(1);
        expect(tx.statusCalls).to.equal(3);
    });

    it('Given the commit status never arrives, Then OutcomeUnknownError (504, retry with the same key) and one submit only', async () => {
        const tx = fakeTx('tx1', {
            status: () => {
                throw new CommitStatusError({ code: 4, details: [], cause: svcErr(4), transactionId: 'tx1' });
            },
        });
        const err = await submitPrepared(tx, policy, hooks()).catch((e) => e);
        expect(err).to.be.instanceOf(OutcomeUnknownError);
        expect(tx.submits).to.equal(1);
        expect(toProblem(err)).to.include({ status: 504, code: 'COMMIT_STATUS_UNKNOWN' });
    });

    it('Given another invalid validation code, Then no retry and 409 TX_INVALIDATED', async () => {
        let n = 0;
        const err = await submitWithRetry(
            async () => fakeTx(`tx${++n}`, { status: () => status(StatusCode.ENDORSEMENT_POLICY_FAILURE, 'tx1') }),
            policy,
            hooks(),
        ).catch((e) => e);
        expect(err).to.be.instanceOf(CommitError);
        expect(n).to.equal(1);
        expect(toProblem(err)).to.include({ status: 409, code: 'TX_INVALIDATED' });
    });

    it('Given an endorsement refused by the chaincode, Then it is not retried', async () => {
        let n = 0;
        const refusal = new EndorseError({
            code: 10,
            details: [{ address: 'p', mspId: 'SeoulMSP', message: 'chaincode response 500, CARD_REVOKED: card x is revoked' }],
            cause: svcErr(10),
            transactionId: 't',
        });
        const err = await submitWithRetry(
            async () => {
                n++;
                throw refusal;
            },
            policy,
            hooks(),
        ).catch((e) => e);
        expect(n).to.equal(1);
        expect(chaincodeFailure(err)).to.deep.equal({ code: 'CARD_REVOKED', message: 'card x is revoked' });
    });

    describe('reading what was just committed (a peer may be a block behind)', () => {
        const refusal = (code: string) =>
            new EndorseError({
                code: 10,
                details: [{ address: 'p', mspId: 'MOISMSP', message: `chaincode response 500, ${code}: not on this peer yet` }],
                cause: svcErr(10),
                transactionId: 't',
            });
        const waits: number[] = [];
        const wait = async (ms: number) => {
            waits.push(ms);
        };
        beforeEach(() => waits.splice(0));

        it('Given a "not found" while the peer catches up, Then the work is run again until it succeeds', async () => {
            let n = 0;
            const result = await afterCommit(
                async () => {
                    if (++n < 4) throw refusal('RECORD_NOT_FOUND');
                    return 'card';
                },
                ['RECORD_NOT_FOUND'],
                wait,
            );
            expect(result).to.equal('card');
            expect(n).to.equal(4);
            expect(waits).to.deep.equal([25, 50, 100]);
        });

        it('Given another refusal, Then it is not retried', async () => {
            let n = 0;
            const err = await afterCommit(
                async () => {
                    n++;
                    throw refusal('CARD_REVOKED');
                },
                ['RECORD_NOT_FOUND'],
                wait,
            ).catch((e) => e);
            expect(n).to.equal(1);
            expect(toProblem(err).code).to.equal('CARD_REVOKED');
        });

        it('Given a "not found" that lasts, Then it gives up after about 3 s with the refusal', async () => {
            let n = 0;
            const err = await afterCommit(
                async () => {
                    n++;
                    throw refusal('ACCESS_NOT_FOUND');
                },
                ['ACCESS_NOT_FOUND'],
                wait,
            ).catch((e) => e);
            expect(n).to.equal(waits.length + 1);
            expect(waits.reduce((a, b) => a + b, 0)).to.be.within(2500, 3500);
            expect(toProblem(err).code).to.equal('ACCESS_NOT_FOUND');
        });
    });

    it('backs off exponentially with a cap', () => {
        expect(backoffMs(1, 100, 1000, () => 0.999)).to.equal(99);
        expect(backoffMs(4, 100, 1000, () => 0.999)).to.equal(799);
        expect(backoffMs(10, 100, 1000, () => 0.999)).to.equal(999);
    });
});
