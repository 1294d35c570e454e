// The submit loop of gateway/errors.ts's policy, over the few methods of fabric-gateway's
// Proposal/Transaction/SubmittedTransaction it needs, so that tests drive it with fakes:
//   conflict (MVCC / phantom read)  -> endorse a NEW proposal, with backoff
//   failed submit (transport)       -> send the SAME signed transaction again
//   commit-status timeout           -> ask for the status again, never resubmit
import { CommitError, type Status } from '@hyperledger/fabric-gateway';
import type { RetryPolicy } from '../config';
import { backoffMs, isCommitStatusTimeout, isConflict, isRetryableSubmit, OutcomeUnknownError, sleep } from '../errors';
import type { FabricPhase } from '../metrics';
import type { PreparedTransaction, SubmitResult } from './types';

export interface SubmittedLike {
    getStatus(): Promise<Status>;
    getResult(): Uint8Array;
}

export interface TransactionLike {
    getTransactionId(): string;
    getBytes(): Uint8Array;
    getResult(): Uint8Array;
    submit(): Promise<SubmittedLike>;
}

export interface RetryHooks {
    timed<T>(phase: FabricPhase, work: () => Promise<T>): Promise<T>;
    onPrepared?(tx: PreparedTransaction): void | Promise<void>;
    onRetry?(reason: 'conflict' | 'submit' | 'commit_status', transactionId: string): void;
    sleep?(ms: number): Promise<void>;
}

export async function submitWithRetry(
    endorse: () => Promise<TransactionLike>,
    policy: RetryPolicy,
    hooks: RetryHooks,
): Promise<SubmitResult> {
    const wait = hooks.sleep ?? sleep;
    for (let attempt = 1; ; attempt++) {
        const tx = await hooks.timed('endorse', endorse);
        await hooks.onPrepared?.({ transactionId: tx.getTransactionId(), bytes: tx.getBytes(), result: tx.getResult() });
        try {
            return await submitPrepared(tx, policy, hooks);
        } catch (err) {
            if (isConflict(err) && attempt < policy.conflictAttempts) {
                hooks.onRetry?.('conflict', tx.getTransactionId());
                await wait(backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs));
                continue;
            }
            throw err;
        }
    }
}

export async function submitPrepared(tx: TransactionLike, policy: RetryPolicy, hooks: RetryHooks): Promise<SubmitResult> {
    const wait = hooks.sleep ?? sleep;
    let submitted: SubmittedLike;
    for (let attempt = 1; ; attempt++) {
        try {
            submitted = await hooks.timed('submit', () => tx.submit());
            break;
        } catch (err) {
            if (isRetryableSubmit(err) && attempt < policy.submitAttempts) {
                hooks.onRetry?.('submit', tx.getTransactionId());
                await wait(backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs));
                continue;
            }
            throw err;
        }
    }
    for (let attempt = 1; ; attempt++) {
        let status: Status;
        try {
            status = await hooks.timed('commit', () => submitted.getStatus());
        } catch (err) {
            if (!isCommitStatusTimeout(err)) throw err;
            if (attempt >= policy.commitStatusAttempts) throw new OutcomeUnknownError(tx.getTransactionId(), err);
            hooks.onRetry?.('commit_status', tx.getTransactionId());
            continue;
        }
        if (!status.successful) {
            throw new CommitError({
                code: status.code,
                transactionId: status.transactionId,
                message: `transaction ${status.transactionId} failed to commit with status code ${status.code}`,
            });
        }
        return { transactionId: status.transactionId, blockNumber: status.blockNumber, result: submitted.getResult() };
    }
}
