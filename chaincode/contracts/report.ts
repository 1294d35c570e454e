// ReportContract (issue 24): the public transparency report. Aggregate counts per Seoul month,
// org, department, service and basis (accesses, denials, sealed, break-glass, objections,
// findings), with every count from 1 to CHANNEL_POLICY.reportMinCount - 1 suppressed.
//
// Counting without a hot key: a counter per (month, org, dept, service, basis) that every access
// request read and incremented would make concurrent requests of one department conflict (MVCC),
// and a report that scanned the month's log at every call would cost as much as the log. So each
// counted transaction writes one *write-once* delta key of its own (`stats|<month>|<time>|<txId>`,
// written blind: no read, no conflict with anything), in the same transaction as the entry it
// counts, so the counts are always those of the committed log. RollUpReport, run by the audit
// office or the issuer's operations (one writer), folds at most REPORT_BOUNDS.rollupEntries deltas
// at a time into the month's summary and deletes them; TransparencyReport reads the summary and at
// most REPORT_BOUNDS.tailEntries deltas not yet rolled up (and says `complete: false` beyond).

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { EventName, statsKey, statsRange, statsSummaryKey } from '../keys.js';
import {
    BaseContract,
    decodeJson,
    emit,
    getJson,
    putJson,
    rangeFirst,
    rangePage,
    requireCaller,
    result,
    txIso,
    txTime,
} from '../ledger.js';
import type { AccessLogEntry, ReportCell, ReportCounts, ReportRow, StatsDelta, StatsSummary, TransparencyReport } from '../model/assets.js';
import { canonicalBytes } from '../model/canonical.js';
import { seoulMonth } from '../model/calendar.js';
import { ReportMonthArgs } from '../model/dto.js';
import { AUDITOR, ISSUER } from '../model/grants.js';
import { parseArgs } from '../model/validate.js';
import { CHANNEL_POLICY, REPORT_METRICS, type ReportBasis } from '../model/vocabulary.js';

/** How much one call reads (bounded work). Replaceable so that tests can reach the bounds with a few entries. */
export const REPORT_BOUNDS = { rollupEntries: 500, tailEntries: 1000 };

/** What an entry's request invoked: its report basis. */
export function reportBasis(entry: AccessLogEntry): ReportBasis {
    return entry.requestedBasis ?? (entry.consentId !== undefined ? 'consent' : 'legal');
}

/** Counts one transaction in the report: the cell of `entry`, in the tx time's Seoul month. Blind write. */
export async function countInReport(ctx: Context, entry: AccessLogEntry, counts: ReportCounts): Promise<void> {
    const delta: StatsDelta = {
        cell: { mspId: entry.callerMspId, dept: entry.callerDept, serviceId: entry.serviceId, basis: reportBasis(entry) },
        counts,
    };
    await ctx.stub.putState(statsKey(seoulMonth(txTime(ctx)), txIso(ctx), ctx.stub.getTxID()), canonicalBytes(delta));
}

function cellKey(c: ReportCell): string {
    return `${c.mspId}|${c.dept}|${c.serviceId}|${c.basis}`;
}

function add(cells: StatsSummary['cells'], delta: StatsDelta): void {
    const k = cellKey(delta.cell);
    cells[k] ??= { cell: delta.cell, counts: {} };
    const target = cells[k];
    for (const m of REPORT_METRICS) {
        const n = delta.counts[m];
        if (n) target.counts[m] = (target.counts[m] ?? 0) + n;
    }
}

function emptySummary(month: string): StatsSummary {
    return { docType: 'statsSummary', month, cells: {}, rolledUp: 0, version: 0, updatedAt: '', lastTxId: '' };
}

/** 0 stays 0 (nothing happened); 1 .. min-1 is null (too few to publish); min and more as they are. */
export function suppress(n: number | undefined): number | null {
    const v = n ?? 0;
    return v > 0 && v < CHANNEL_POLICY.reportMinCount ? null : v;
}

@Info({ title: 'ReportContract', description: 'The public transparency report: aggregate counts with small counts suppressed' })
export class ReportContract extends BaseContract {
    constructor() {
        super('ReportContract');
    }

    /**
     * One month's report, for anyone (the public endpoint of phase 2): one row per org,
     * department, service and basis, sorted, with small counts suppressed. Reads the month's
     * summary and at most REPORT_BOUNDS.tailEntries deltas not yet rolled up.
     */
    @Transaction(false)
    @Returns('string')
    async TransparencyReport(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ReportMonthArgs, argsJson);
        const summary = (await getJson<StatsSummary>(ctx, statsSummaryKey(args.month))) ?? emptySummary(args.month);
        const cells = structuredClone(summary.cells);
        const [start, end] = statsRange(args.month);
        const tail = await rangePage(ctx, start, end, REPORT_BOUNDS.tailEntries, '', async (kv) => decodeJson<StatsDelta>(kv.value));
        for (const d of tail.records) add(cells, d);
        const rows: ReportRow[] = Object.keys(cells)
            .sort()
            .map((k) => {
                const { cell, counts } = cells[k] as StatsSummary['cells'][string];
                const row = { ...cell } as ReportRow;
                for (const m of REPORT_METRICS) row[m] = suppress(counts[m]);
                return row;
            });
        const report: TransparencyReport = {
            month: args.month,
            complete: tail.bookmark === '',
            minCount: CHANNEL_POLICY.reportMinCount,
            rows,
        };
        return result(report);
    }

    /**
     * Folds at most REPORT_BOUNDS.rollupEntries of a month's deltas into its summary and deletes
     * them (they are counts, not entries: the entries stay). Run it often (the audit office's or
     * the issuer's job); two at once conflict on the summary and one is retried.
     */
    @Transaction()
    @Returns('string')
    async RollUpReport(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, [...AUDITOR, ...ISSUER], 'RollUpReport');
        const args = parseArgs(ReportMonthArgs, argsJson);
        const summary = (await getJson<StatsSummary>(ctx, statsSummaryKey(args.month))) ?? emptySummary(args.month);
        const [start, end] = statsRange(args.month);
        // One more than is folded: it tells whether more remain.
        const deltas = await rangeFirst(ctx, start, end, REPORT_BOUNDS.rollupEntries + 1, async (kv) => ({
            key: kv.key,
            delta: decodeJson<StatsDelta>(kv.value),
        }));
        const folded = deltas.slice(0, REPORT_BOUNDS.rollupEntries);
        for (const { key, delta } of folded) {
            add(summary.cells, delta);
            await ctx.stub.deleteState(key);
        }
        const now = txIso(ctx);
        const next: StatsSummary = {
            ...summary,
            rolledUp: summary.rolledUp + folded.length,
            version: summary.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        if (folded.length > 0) {
            await putJson(ctx, statsSummaryKey(args.month), next);
            emit(ctx, EventName.REPORT_ROLLED_UP, { month: args.month });
        }
        return result({ month: args.month, folded: folded.length, rolledUp: next.rolledUp, more: deltas.length > folded.length });
    }
}
