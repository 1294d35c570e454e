// OversightContract: what the audit office decides about access entries (issue 24): extending the
// seal of an investigation's entry, the review cases of break-glass accesses, clearing a
// department's break-glass block, and the channel's policy that bounds seals, break-glass and
// the transparency report. Every decision is a transaction of the Audit org's `auditor`, so it is
// signed by the auditor's certificate and recorded on the ledger with the auditor's id.

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType } from '../keys.js';
import {
    BaseContract,
    caller,
    compositeKey,
    emit,
    getJson,
    hasGrant,
    partialKeyPage,
    putIndex,
    putJson,
    requireCaller,
    result,
    txIso,
    type Caller,
} from '../ledger.js';
import type { BreakGlassState, Review, Seal } from '../model/assets.js';
import {
    AccessIdArgs,
    ClearBreakGlassArgs,
    DecideReviewArgs,
    DeptArgs,
    ExtendSealArgs,
    ListReviewsArgs,
    ReviewIdArgs,
} from '../model/dto.js';
import { AUDITOR, CITIZEN_AGENT } from '../model/grants.js';
import { requireOfficialText } from '../model/text.js';
import { parseArgs, parseNoArgs } from '../model/validate.js';
import { CHANNEL_POLICY, ReviewStatus } from '../model/vocabulary.js';
import { currentBreakGlass, loadBreakGlass, loadSeal, requireAccessReader, requireSealDate } from './access.js';

export async function loadReview(ctx: Context, reviewId: string): Promise<Review> {
    const review = await getJson<Review>(ctx, compositeKey(ctx, KeyType.REVIEW, [reviewId]));
    if (!review) fail(ErrorCode.REVIEW_NOT_FOUND, `review ${reviewId} does not exist`);
    return review;
}

/** Who reads a case about an entry: auditors, the citizen's app, and the readers of the entry's department. */
export function requireCaseReader(c: Caller, mspId: string, dept: string, action: string): void {
    if (hasGrant(c, CITIZEN_AGENT)) return;
    requireAccessReader(c, mspId, dept, action);
}

@Info({ title: 'OversightContract', description: "The audit office's decisions on sealed entries, and the channel's policy" })
export class OversightContract extends BaseContract {
    constructor() {
        super('OversightContract');
    }

    /** The channel's policy for seals, break-glass, the report and minorities (CHANNEL_POLICY). */
    @Transaction(false)
    @Returns('string')
    async GetPolicy(_ctx: Context, argsJson: string): Promise<string> {
        parseNoArgs(argsJson);
        return result(CHANNEL_POLICY);
    }

    /**
     * An auditor's recorded decision to keep a sealed entry hidden from its citizen for longer:
     * only while the seal holds, to a later date at most CHANNEL_POLICY.sealMaxDays from now. The
     * entry itself is never touched: only its seal (and the seal's history) changes.
     */
    @Transaction()
    @Returns('string')
    async ExtendSeal(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, AUDITOR, 'ExtendSeal');
        const args = parseArgs(ExtendSealArgs, argsJson);
        const seal = await loadSeal(ctx, args.accessId);
        if (!seal) fail(ErrorCode.SEAL_NOT_FOUND, `access ${args.accessId} is not sealed`);
        const now = txIso(ctx);
        // Once released the citizen may have seen it: sealing it again would hide nothing.
        if (now >= seal.sealedUntil) fail(ErrorCode.SEAL_RELEASED, `the seal of access ${args.accessId} ended at ${seal.sealedUntil}`);
        const until = requireSealDate(ctx, args.sealedUntil, 'sealedUntil');
        if (until <= seal.sealedUntil) fail(ErrorCode.INVALID_ARGUMENT, `sealedUntil: must be later than the current seal date`);
        const next: Seal = {
            ...seal,
            sealedUntil: until,
            extensions: [
                ...seal.extensions,
                {
                    txId: ctx.stub.getTxID(),
                    at: now,
                    auditorId: c.id,
                    decisionRef: args.decisionRef,
                    previousUntil: seal.sealedUntil,
                    sealedUntil: until,
                },
            ],
            version: seal.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.SEAL, [seal.accessId]), next);
        emit(ctx, EventName.SEAL_EXTENDED, { accessId: seal.accessId });
        return result(next);
    }

    /** Review cases of one status (OPEN first of all), oldest first: the audit office's work list. */
    @Transaction(false)
    @Returns('string')
    async ListReviews(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, AUDITOR, 'ListReviews');
        const args = parseArgs(ListReviewsArgs, argsJson);
        const page = await partialKeyPage(ctx, KeyType.REVIEW_BY_STATUS, [args.status], args.pageSize, args.bookmark, async (kv) => {
            const { attributes } = ctx.stub.splitCompositeKey(kv.key);
            return getJson<Review>(ctx, compositeKey(ctx, KeyType.REVIEW, [attributes[2] as string]));
        });
        return result(page);
    }

    /** A review case: for auditors, the citizen's app, and the department that broke the glass (and its org-auditor). */
    @Transaction(false)
    @Returns('string')
    async GetReview(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ReviewIdArgs, argsJson);
        const review = await loadReview(ctx, args.reviewId);
        requireCaseReader(caller(ctx), review.callerMspId, review.callerDept, 'GetReview');
        return result(review);
    }

    /**
     * The audit office's decision on a break-glass access: CLEARED (justified) or UPHELD (the
     * concern is upheld: it was not), with a finding code and an optional screened text.
     */
    @Transaction()
    @Returns('string')
    async DecideReview(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, AUDITOR, 'DecideReview');
        const args = parseArgs(DecideReviewArgs, argsJson);
        requireOfficialText(args.text, 'text');
        const review = await loadReview(ctx, args.reviewId);
        if (review.status !== ReviewStatus.OPEN) fail(ErrorCode.REVIEW_DECIDED, `review ${review.reviewId} is already ${review.status}`);
        const now = txIso(ctx);
        const next: Review = {
            ...review,
            status: args.outcome,
            decision: {
                outcome: args.outcome,
                findingCode: args.findingCode,
                text: args.text,
                at: now,
                auditorId: c.id,
                txId: ctx.stub.getTxID(),
            },
            version: review.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.REVIEW, [review.reviewId]), next);
        await ctx.stub.deleteState(compositeKey(ctx, KeyType.REVIEW_BY_STATUS, [review.status, review.openedAt, review.reviewId]));
        await putIndex(ctx, compositeKey(ctx, KeyType.REVIEW_BY_STATUS, [next.status, next.openedAt, next.reviewId]));
        emit(ctx, EventName.REVIEW_DECIDED, { reviewId: review.reviewId, accessId: review.accessId });
        return result(next);
    }

    /** A department's break-glass count this month, its allowance and whether it is blocked. */
    @Transaction(false)
    @Returns('string')
    async GetBreakGlassStatus(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(DeptArgs, argsJson);
        requireAccessReader(caller(ctx), args.mspId, args.dept, 'GetBreakGlassStatus');
        return result(currentBreakGlass(ctx, await loadBreakGlass(ctx, args.mspId, args.dept), args.mspId, args.dept));
    }

    /**
     * An auditor lifts a department's break-glass block: it may make another
     * CHANNEL_POLICY.breakGlassMonthlyLimit break-glass accesses this month.
     */
    @Transaction()
    @Returns('string')
    async ClearBreakGlassBlock(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, AUDITOR, 'ClearBreakGlassBlock');
        const args = parseArgs(ClearBreakGlassArgs, argsJson);
        const state = currentBreakGlass(ctx, await loadBreakGlass(ctx, args.mspId, args.dept), args.mspId, args.dept);
        if (!state.blocked) fail(ErrorCode.BREAK_GLASS_NOT_BLOCKED, `department ${args.mspId}/${args.dept} is not blocked`);
        const now = txIso(ctx);
        const next: BreakGlassState = {
            ...state,
            blocked: false,
            blockedAt: undefined,
            allowance: state.count + CHANNEL_POLICY.breakGlassMonthlyLimit,
            lastClearance: { txId: ctx.stub.getTxID(), at: now, auditorId: c.id, decisionRef: args.decisionRef },
            version: state.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.BREAK_GLASS, [args.mspId, args.dept]), next);
        emit(ctx, EventName.BREAK_GLASS_CLEARED, { mspId: args.mspId, dept: args.dept });
        return result(next);
    }

    /** The seal of an entry: for auditors, and for whoever may read the entry (its department, its org-auditor). */
    @Transaction(false)
    @Returns('string')
    async GetSeal(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(AccessIdArgs, argsJson);
        const seal = await loadSeal(ctx, args.accessId);
        if (!seal) fail(ErrorCode.SEAL_NOT_FOUND, `access ${args.accessId} is not sealed`);
        requireAccessReader(caller(ctx), seal.callerMspId, seal.callerDept, 'GetSeal');
        return result(seal);
    }
}
