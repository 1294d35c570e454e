// What the /v1 handlers share: answering a submit or an evaluation under a key, reading the granted
// data of a committed GRANTED entry (sealed to a one-time key, from the issuer's peer), keeping it
// out of the idempotency store, and paging defaults.
import * as crypto from 'node:crypto';
import {
    ISSUER_MSP,
    openGrantedData,
    seoulMonth,
    TRANSIENT_RESPONSE_KEY,
    type AccessDecision,
    type GrantedData,
    type SealedGrantedData,
} from '../../chaincode/model';
import { CHAINCODE_FN as F } from '../../chaincode/surface';
import { afterCommit, toProblem } from '../errors';
import type { CallContext, HandlerOutput, SubmitOutcome } from './route';

export const txInfo = (o: SubmitOutcome<unknown>) => ({ transactionId: o.transactionId, blockNumber: o.blockNumber });

/** A submit answered with the chaincode's result under `key`, plus where it committed. */
export async function submitAs(ctx: CallContext, key: string, fn: string, arg: object): Promise<HandlerOutput> {
    const o = await ctx.submit<unknown>(fn, arg);
    return { body: { [key]: o.result, ...txInfo(o) } };
}

export async function evaluateAs(ctx: CallContext, key: string, fn: string, arg: object): Promise<HandlerOutput> {
    return { body: { [key]: await ctx.evaluate<unknown>(fn, arg) } };
}

/** Reads the granted items of a committed GRANTED entry, from an issuer peer (personal data lives there only). */
export async function readGranted(ctx: CallContext, accessId: string): Promise<GrantedData> {
    // The chaincode seals its answer to a one-time key sent as transient data (never in a block).
    // The entry committed on this org's peer; the issuer's peer may be a block behind.
    const key = crypto.randomBytes(32);
    const sealed = await afterCommit(
        () =>
            ctx.evaluate<SealedGrantedData>(
                F.readGrantedData,
                { accessId },
                { targetOrgs: [ISSUER_MSP], transient: { [TRANSIENT_RESPONSE_KEY]: key } },
            ),
        ['ACCESS_NOT_FOUND'],
    );
    return openGrantedData(sealed, key);
}

export interface AccessOutcome {
    accessId: string;
    decision: string;
    reason: string;
    transactionId: string;
    blockNumber: string;
    data?: GrantedData;
    dataError?: { code: string; detail: string };
}

export async function withData(ctx: CallContext, answer: AccessOutcome): Promise<AccessOutcome> {
    if (answer.decision !== 'GRANTED') return answer;
    try {
        return { ...answer, data: await readGranted(ctx, answer.accessId) };
    } catch (err) {
        // The decision is committed whatever happens to the read; say why the data is missing.
        const p = toProblem(err);
        if (p.status >= 500) throw err;
        return { ...answer, dataError: { code: p.code, detail: p.message } };
    }
}

/** Granted personal data (and predicates' answers) are never kept in the idempotency store; a replay reads them again. */
export const stripData = (body: unknown): unknown => {
    const { data: _data, dataError: _err, answers: _answers, ...rest } = body as AccessOutcome & { answers?: unknown };
    return rest;
};

/** An eligibility answer: the decision and the predicates' answers, never the data behind them. */
export const eligibilityOf = (o: AccessOutcome) => ({
    accessId: o.accessId,
    decision: o.decision,
    reason: o.reason,
    transactionId: o.transactionId,
    blockNumber: o.blockNumber,
    ...(o.data ? { answers: o.data.predicates } : {}),
    ...(o.dataError ? { dataError: o.dataError } : {}),
});

export const pageOf = (q: { pageSize?: number; bookmark?: string }) => ({ pageSize: q.pageSize ?? 20, bookmark: q.bookmark ?? '' });

/** An access request (ordinary, sealed or break-glass): the committed decision, then the granted data when GRANTED. */
export async function requestAndRead(ctx: CallContext, fn: string, arg: object): Promise<HandlerOutput> {
    const o = await ctx.submit<AccessDecision>(fn, arg);
    return { status: 201, body: await withData(ctx, { ...o.result, ...txInfo(o) }) };
}

/** How a replay of an access request is answered: the stored decision, with the granted data read again while the grant is fresh. */
export const replayAccess = async (ctx: CallContext, stored: unknown): Promise<HandlerOutput> => ({
    status: 201,
    body: await withData(ctx, stored as AccessOutcome),
});

/** The month a transparency report is for: the one asked, or the current Seoul month. */
export const reportMonth = (month: string | undefined, now: Date): string => month ?? seoulMonth(now);
