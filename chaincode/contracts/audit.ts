// AuditContract: the history of any card, consent, service or access entry (auditor role), and
// counts of GRANTED and DENIED access per org and department over a time range (whoever may read
// those entries: auditors, the org's org-auditor, a department for itself).

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { ACCESS_BY_CALLER_PREFIX, KeyType, accessByCallerKey } from '../keys.js';
import { BaseContract, caller, compositeKey, decodeJson, rangeAll, requireCaller, result } from '../ledger.js';
import type { AccessCounts, AccessLogEntry, HistoryEntry } from '../model/assets.js';
import { CountAccessArgs, HistoryArgs, type HistoryKind } from '../model/dto.js';
import { parseArgs } from '../model/validate.js';
import { Decision } from '../model/vocabulary.js';
import { normalizeInstant, requireAccessReader } from './access.js';
import { AUDITOR } from '../model/grants.js';

const KEY_TYPE_OF: Record<HistoryKind, string> = {
    card: KeyType.CARD,
    service: KeyType.SERVICE,
    consent: KeyType.CONSENT,
    access: KeyType.ACCESS,
    seal: KeyType.SEAL,
    review: KeyType.REVIEW,
    minority: KeyType.MINORITY,
    representation: KeyType.REPRESENTATION,
    objection: KeyType.OBJECTION,
};

const NOT_FOUND_OF: Record<HistoryKind, ErrorCode> = {
    card: ErrorCode.CARD_NOT_FOUND,
    service: ErrorCode.SERVICE_NOT_FOUND,
    consent: ErrorCode.CONSENT_NOT_FOUND,
    access: ErrorCode.ACCESS_NOT_FOUND,
    seal: ErrorCode.SEAL_NOT_FOUND,
    review: ErrorCode.REVIEW_NOT_FOUND,
    minority: ErrorCode.MINORITY_NOT_FOUND,
    representation: ErrorCode.REPRESENTATION_NOT_FOUND,
    objection: ErrorCode.OBJECTION_NOT_FOUND,
};

interface TimestampLike {
    seconds: number | { toNumber(): number };
    nanos: number;
}

function isoOf(ts: TimestampLike): string {
    const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
    return new Date(seconds * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}

@Info({ title: 'AuditContract', description: 'History and access counts for auditors' })
export class AuditContract extends BaseContract {
    constructor() {
        super('AuditContract');
    }

    @Transaction(false)
    @Returns('string')
    async GetHistory(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, AUDITOR, 'GetHistory');
        const args = parseArgs(HistoryArgs, argsJson);
        const iterator = await ctx.stub.getHistoryForKey(compositeKey(ctx, KEY_TYPE_OF[args.kind], [args.id]));
        const entries: HistoryEntry[] = [];
        try {
            for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
                const m = r.value;
                entries.push({
                    txId: m.txId,
                    timestamp: isoOf(m.timestamp as unknown as TimestampLike),
                    isDelete: m.isDelete,
                    value: m.isDelete || !m.value || m.value.length === 0 ? null : decodeJson<unknown>(m.value),
                });
            }
        } finally {
            await iterator.close();
        }
        if (entries.length === 0) fail(NOT_FOUND_OF[args.kind], `no history for ${args.kind} ${args.id}`);
        return result({ kind: args.kind, id: args.id, entries });
    }

    @Transaction(false)
    @Returns('string')
    async CountAccess(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(CountAccessArgs, argsJson);
        // Whoever may read the entries may count them.
        requireAccessReader(caller(ctx), args.mspId, args.dept, 'CountAccess');
        const from = normalizeInstant(args.from, 'from');
        const to = normalizeInstant(args.to, 'to');
        if (from >= to) fail(ErrorCode.INVALID_ARGUMENT, 'from must be before to');
        const [start, end] = args.dept
            ? [accessByCallerKey(args.mspId, args.dept, from, ''), accessByCallerKey(args.mspId, args.dept, to, '')]
            : [`${ACCESS_BY_CALLER_PREFIX}${args.mspId}|`, `${ACCESS_BY_CALLER_PREFIX}${args.mspId}}`];
        const counts: AccessCounts = { mspId: args.mspId, dept: args.dept, from, to, granted: 0, denied: 0, byDept: {} };
        await rangeAll(ctx, start, end, async (kv) => {
            const e = decodeJson<AccessLogEntry>(kv.value);
            if (e.timestamp < from || e.timestamp >= to) return undefined;
            counts.byDept[e.callerDept] ??= { granted: 0, denied: 0 };
            const d = counts.byDept[e.callerDept];
            if (e.decision === Decision.GRANTED) {
                counts.granted++;
                d.granted++;
            } else {
                counts.denied++;
                d.denied++;
            }
            return undefined;
        });
        return result(counts);
    }
}
