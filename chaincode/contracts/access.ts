// AccessContract: every access request commits an access-log entry, GRANTED or DENIED with its
// reason; granted data is then read by evaluation on an issuer peer, by the same caller, within a
// short TTL. Listings of the log are paginated over composite keys and time-ordered simple keys.

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { ACCESS_BY_CALLER_PREFIX, EventName, KeyType, accessByCallerKey, personalRecordKey } from '../keys.js';
import {
    BaseContract,
    addDays,
    caller,
    cardUnusable,
    compositeKey,
    decodeJson,
    emit,
    getJson,
    hasGrant,
    loadCard,
    partialKeyPage,
    putIndex,
    putJson,
    rangePage,
    requireCaller,
    requireIssuerPeer,
    requireUsable,
    result,
    txIso,
    txTime,
    localClock,
    verifySigned,
    type Caller,
} from '../ledger.js';
import type {
    AccessDecision,
    AccessLogEntry,
    AccessLogRecord,
    BreakGlassState,
    GrantedData,
    Page,
    PersonalRecord,
    PredicateRequest,
    Review,
    Seal,
    Service,
} from '../model/assets.js';
import { seoulMonth } from '../model/calendar.js';
import { canonicalBytes } from '../model/canonical.js';
import {
    AccessIdArgs,
    ListAccessAsRepresentativeArgs,
    ListAccessByCallerArgs,
    ListAccessByCardArgs,
    ListMyAccessArgs,
    RequestAccessArgs,
    RequestEmergencyAccessArgs,
    RequestSealedAccessArgs,
    type AccessAskArgs,
} from '../model/dto.js';
import { parseArgs } from '../model/validate.js';
import { sealJson, type SealedGrantedData } from '../model/sealed.js';
import {
    ACCESS_READ_TTL_SECONDS,
    CHANNEL_POLICY,
    ConsentStatus,
    DEFAULT_PAGE_SIZE,
    Decision,
    MAX_PAGE_SIZE,
    PERSONAL_DATA_COLLECTION,
    PROPOSAL_MAX_SKEW_SECONDS,
    RepresentationAct,
    ReviewStatus,
    Role,
    TRANSIENT_RESPONSE_KEY,
    SEOUL_UTC_OFFSET_HOURS,
    ServiceBasis,
    ServiceStatus,
    type BreakGlassReason,
    type DataItem,
    type DenialReason,
    type GRANT_BASES,
} from '../model/vocabulary.js';
import { AUDITOR, CITIZEN_AGENT, DEPARTMENT } from '../model/grants.js';
import { effectiveStatus, loadConsent } from './consent.js';
import { requireRepresentativePower } from './representation.js';
import { countInReport } from './report.js';
import { loadService } from './service.js';

/**
 * Purpose limitation over the access log: the Audit org's auditors read every entry; an org's
 * `org-auditor` reads its own org's; a department reads its own department's only (same org, same
 * `dept` attribute). Every other caller is refused. `dept` undefined means "every department".
 */
export function requireAccessReader(c: Caller, mspId: string, dept: string | undefined, action: string): void {
    if (hasGrant(c, AUDITOR)) return;
    if (c.mspId !== mspId) fail(ErrorCode.UNAUTHORIZED_ROLE, `${action}: ${c.mspId} may read its own org's entries only`);
    if (c.role === Role.ORG_AUDITOR) return;
    if (c.role !== Role.DEPARTMENT || !c.dept) {
        fail(
            ErrorCode.UNAUTHORIZED_ROLE,
            `${action} requires the ${Role.DEPARTMENT} or ${Role.ORG_AUDITOR} role; caller is ${c.role ?? 'no role'}`,
        );
    }
    if (dept !== c.dept) {
        fail(
            ErrorCode.UNAUTHORIZED_DEPT,
            `${action}: department ${c.dept} reads its own department's entries only${dept === undefined ? ' (name dept)' : ''}`,
        );
    }
}

/** What a GRANTED entry's basis is called in its `reason`. */
export const GrantBasis = { CONSENT: 'CONSENT', LEGAL_BASIS: 'LEGAL_BASIS', BREAK_GLASS: 'BREAK_GLASS' } as const satisfies Record<
    string,
    (typeof GRANT_BASES)[number]
>;

/** Normalises an ISO-8601 instant to the fixed-width form stored in keys (toISOString). */
export function normalizeInstant(iso: string, name: string): string {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) fail(ErrorCode.INVALID_ARGUMENT, `${name}: not an instant`);
    return new Date(ms).toISOString();
}

/** Full years between birthDate and the Seoul calendar date of `at`. */
export function ageOn(birthDate: string, at: Date): number {
    const seoul = new Date(at.getTime() + SEOUL_UTC_OFFSET_HOURS * 3_600_000).toISOString().slice(0, 10);
    const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
    const [y, m, d] = seoul.split('-').map(Number) as [number, number, number];
    return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

function subset<T>(asked: readonly T[], allowed: readonly T[]): boolean {
    return asked.every((x) => allowed.includes(x));
}

/** How a request was made: RequestAccess (with or without a consent), RequestSealedAccess, RequestEmergencyAccess. */
type AccessMode =
    | { kind: 'ordinary'; consentId?: string }
    | { kind: 'sealed'; sealedUntil: string }
    | { kind: 'emergency'; reasonCode?: BreakGlassReason; incidentRef?: string };

export async function loadBreakGlass(ctx: Context, mspId: string, dept: string): Promise<BreakGlassState | undefined> {
    return getJson<BreakGlassState>(ctx, compositeKey(ctx, KeyType.BREAK_GLASS, [mspId, dept]));
}

/** A department's break-glass state as of the tx time's Seoul month (a new month starts a new count; a block stays). */
export function currentBreakGlass(ctx: Context, state: BreakGlassState | undefined, mspId: string, dept: string): BreakGlassState {
    const month = seoulMonth(txTime(ctx));
    const limit = CHANNEL_POLICY.breakGlassMonthlyLimit;
    if (!state) {
        return {
            docType: 'breakGlass',
            mspId,
            dept,
            month,
            count: 0,
            allowance: limit,
            blocked: false,
            version: 0,
            updatedAt: txIso(ctx),
            lastTxId: '',
        };
    }
    return state.month === month ? state : { ...state, month, count: 0, allowance: limit };
}

async function saveBreakGlass(ctx: Context, state: BreakGlassState): Promise<void> {
    const next: BreakGlassState = { ...state, version: state.version + 1, updatedAt: txIso(ctx), lastTxId: ctx.stub.getTxID() };
    await putJson(ctx, compositeKey(ctx, KeyType.BREAK_GLASS, [state.mspId, state.dept]), next);
}

function requireDepartment(ctx: Context, action: string): Caller & { dept: string } {
    const c = requireCaller(ctx, DEPARTMENT, action);
    if (!c.dept) fail(ErrorCode.UNAUTHORIZED_ROLE, `${action}: the caller certificate has no dept attribute`);
    return c as Caller & { dept: string };
}

/** A seal date: after the tx time and at most CHANNEL_POLICY.sealMaxDays after it. */
export function requireSealDate(ctx: Context, iso: string, name: string): string {
    const until = normalizeInstant(iso, name);
    const now = txIso(ctx);
    if (until <= now) fail(ErrorCode.INVALID_ARGUMENT, `${name}: must be after the transaction time`);
    if (until > addDays(now, CHANNEL_POLICY.sealMaxDays)) {
        fail(ErrorCode.SEAL_TOO_LONG, `${name}: a seal lasts at most ${CHANNEL_POLICY.sealMaxDays} days (the channel's policy)`);
    }
    return until;
}

export async function loadSeal(ctx: Context, accessId: string): Promise<Seal | undefined> {
    return getJson<Seal>(ctx, compositeKey(ctx, KeyType.SEAL, [accessId]));
}

/** A sealed entry with its seal's current date; any other entry as it is. */
export async function withSeal(ctx: Context, entry: AccessLogEntry): Promise<AccessLogRecord> {
    if (!entry.sealed) return entry;
    const seal = await loadSeal(ctx, entry.accessId);
    return { ...entry, sealedUntil: seal?.sealedUntil };
}

/**
 * The entry as its citizen may see it at the tx time: undefined while it is sealed, else with
 * its seal's date (when it was sealed). Never the wall clock: the transaction's timestamp.
 */
export async function citizenView(ctx: Context, entry: AccessLogEntry): Promise<AccessLogRecord | undefined> {
    const record = await withSeal(ctx, entry);
    if (record.sealedUntil !== undefined && txIso(ctx) < record.sealedUntil) return undefined;
    return record;
}

/**
 * One page of a card's log as its citizen sees it. A hidden (sealed) entry must not show through
 * the page either: not as a missing record against fetchedRecordsCount, not as the bookmark (the
 * peer's bookmark is the next key, which names the entry's time and id). So this page fills up
 * to pageSize visible entries, reading on past hidden ones, and its bookmark is the key of the
 * next *visible* entry, or "" when none is left: a citizen sees the same pages as if the sealed
 * entries did not exist. Extra reads are bounded by the sealed entries of this one card.
 */
export async function citizenLogPage(
    ctx: Context,
    cardId: string,
    pageSize: number | undefined,
    bookmark: string | undefined,
): Promise<Page<AccessLogRecord>> {
    const size = pageSize ?? DEFAULT_PAGE_SIZE;
    const records: AccessLogRecord[] = [];
    let next = bookmark ?? '';
    for (;;) {
        // One more than still needed: the extra one tells whether a visible entry follows.
        const want = Math.min(MAX_PAGE_SIZE + 1, size - records.length + 1);
        const page = await partialKeyPage(ctx, KeyType.ACCESS_BY_CARD, [cardId], want, next, async (kv) => ({
            key: kv.key,
            record: await citizenView(ctx, decodeJson<AccessLogEntry>(kv.value)),
        }));
        for (const { key, record } of page.records) {
            if (record === undefined) continue;
            if (records.length === size) return { records, bookmark: key, fetchedRecordsCount: records.length };
            records.push(record);
        }
        if (page.bookmark === '') return { records, bookmark: '', fetchedRecordsCount: records.length };
        next = page.bookmark;
    }
}

@Info({ title: 'AccessContract', description: 'Logged access requests, reads of granted data, access-log listings' })
export class AccessContract extends BaseContract {
    constructor() {
        super('AccessContract');
    }

    /**
     * A department asks for items and/or predicates of a card through one of its services. Always
     * commits an access-log entry; a refusal is a DENIED entry, not a failed transaction. Only
     * malformed arguments, a wrong role, or an unknown card or service fail the transaction.
     */
    @Transaction()
    @Returns('string')
    async RequestAccess(ctx: Context, argsJson: string): Promise<string> {
        const c = requireDepartment(ctx, 'RequestAccess');
        const args = parseArgs(RequestAccessArgs, argsJson);
        return result(await this.#record(ctx, c, args, { kind: 'ordinary', consentId: args.consentId }));
    }

    /**
     * An investigation service's access whose entry is sealed: the citizen's listings do not show
     * it before `sealedUntil` (at most CHANNEL_POLICY.sealMaxDays away), auditors see it at once.
     * No consent: the service's law is the basis. The seal applies once the service is the
     * caller's own, active investigation service, whatever the decision after that.
     */
    @Transaction()
    @Returns('string')
    async RequestSealedAccess(ctx: Context, argsJson: string): Promise<string> {
        const c = requireDepartment(ctx, 'RequestSealedAccess');
        const args = parseArgs(RequestSealedAccessArgs, argsJson);
        const sealedUntil = requireSealDate(ctx, args.sealedUntil, 'sealedUntil');
        return result(await this.#record(ctx, c, args, { kind: 'sealed', sealedUntil }));
    }

    /**
     * Break-glass: an emergency service releases data without a consent, with a stated reason (a
     * code and the department's incident reference). The entry is flagged and shown to the
     * citizen at once; a GRANTED one opens a review case for the audit office; past
     * CHANNEL_POLICY.breakGlassMonthlyLimit in a Seoul month the department is refused
     * (BREAK_GLASS_LIMIT_EXCEEDED) until an auditor clears it. Every refusal is a DENIED entry.
     */
    @Transaction()
    @Returns('string')
    async RequestEmergencyAccess(ctx: Context, argsJson: string): Promise<string> {
        const c = requireDepartment(ctx, 'RequestEmergencyAccess');
        const args = parseArgs(RequestEmergencyAccessArgs, argsJson);
        return result(await this.#record(ctx, c, args, { kind: 'emergency', reasonCode: args.reasonCode, incidentRef: args.incidentRef }));
    }

    /**
     * Evaluation on a SeoulMSP peer: the granted items and predicate answers of a committed GRANTED
     * entry, for the caller that made the request, within ACCESS_READ_TTL_SECONDS of its commit
     * time, sealed to the one-time key in transient `responseKey` (see model/sealed.ts).
     */
    @Transaction(false)
    @Returns('string')
    async ReadGrantedData(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, DEPARTMENT, 'ReadGrantedData');
        requireIssuerPeer(ctx);
        const args = parseArgs(AccessIdArgs, argsJson);
        const key = ctx.stub.getTransient().get(TRANSIENT_RESPONSE_KEY);
        if (key?.length !== 32) fail(ErrorCode.TRANSIENT_MISSING, `transient '${TRANSIENT_RESPONSE_KEY}' of 32 bytes is required`);
        const now = txTime(ctx);
        // Read-only and single-peer, so the peer's own clock may (and must) bound the client's timestamp.
        if (Math.abs(localClock.now() - now.getTime()) > PROPOSAL_MAX_SKEW_SECONDS * 1000) {
            fail(
                ErrorCode.PROPOSAL_TIME_INVALID,
                `the proposal timestamp is more than ${PROPOSAL_MAX_SKEW_SECONDS}s from the peer's clock`,
            );
        }
        const entry = await getJson<AccessLogEntry>(ctx, compositeKey(ctx, KeyType.ACCESS, [args.accessId]));
        if (!entry) fail(ErrorCode.ACCESS_NOT_FOUND, `access ${args.accessId} is not committed`);
        if (entry.callerId !== c.id || entry.callerMspId !== c.mspId) {
            fail(ErrorCode.ACCESS_CALLER_MISMATCH, `access ${args.accessId} was requested by another caller`);
        }
        if (entry.decision !== Decision.GRANTED) fail(ErrorCode.ACCESS_NOT_GRANTED, `access ${args.accessId} was denied (${entry.reason})`);
        const age = now.getTime() - Date.parse(entry.timestamp);
        if (age < 0 || age > ACCESS_READ_TTL_SECONDS * 1000)
            fail(ErrorCode.ACCESS_EXPIRED, `access ${args.accessId} is not within ${ACCESS_READ_TTL_SECONDS}s of its commit time`);
        const bytes = await ctx.stub.getPrivateData(PERSONAL_DATA_COLLECTION, personalRecordKey(entry.cardId));
        if (!bytes || bytes.length === 0) fail(ErrorCode.RECORD_NOT_FOUND, `no personal record for card ${entry.cardId}`);
        const record = decodeJson<PersonalRecord>(bytes);
        const items: GrantedData['items'] = {};
        for (const item of entry.items) items[item as DataItem] = record.data[item as DataItem];
        const answers: Record<string, boolean> = {};
        for (const p of entry.predicates) {
            if (p.name === 'ageAtLeast') answers[`ageAtLeast:${p.value}`] = ageOn(record.data.birthDate, now) >= (p.value as number);
            else answers[p.name] = record.data[p.name] === true;
        }
        const granted: GrantedData = { accessId: entry.accessId, cardId: entry.cardId, items, predicates: answers };
        const answer: SealedGrantedData = {
            accessId: entry.accessId,
            cardId: entry.cardId,
            sealed: sealJson(granted, key, ctx.stub.getTxID(), entry.accessId),
        };
        return result(answer);
    }

    @Transaction(false)
    @Returns('string')
    async GetAccessLog(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(AccessIdArgs, argsJson);
        const entry = await getJson<AccessLogEntry>(ctx, compositeKey(ctx, KeyType.ACCESS, [args.accessId]));
        if (!entry) fail(ErrorCode.ACCESS_NOT_FOUND, `access ${args.accessId} is not committed`);
        requireAccessReader(caller(ctx), entry.callerMspId, entry.callerDept, 'GetAccessLog');
        return result(entry);
    }

    /** A card's access log, newest last, for auditors. */
    @Transaction(false)
    @Returns('string')
    async ListAccessLogByCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, AUDITOR, 'ListAccessLogByCard');
        const args = parseArgs(ListAccessByCardArgs, argsJson);
        return result(await this.#byCard(ctx, args.cardId, args.pageSize, args.bookmark));
    }

    /**
     * The citizen's own access log: the request is signed by the card's device key. Sealed
     * entries are left out until their seal date (see citizenLogPage).
     */
    @Transaction(false)
    @Returns('string')
    async ListMyAccessLog(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'ListMyAccessLog');
        const args = parseArgs(ListMyAccessArgs, argsJson);
        const card = await loadCard(ctx, args.request.document.cardId);
        // An evaluation commits nothing, so the nonce cannot be consumed: freshness bounds replays.
        await verifySigned(ctx, card, args.request, false);
        return result(await citizenLogPage(ctx, card.cardId, args.pageSize, args.bookmark));
    }

    /**
     * A legal representative reads the represented citizen's log (scope viewLog, in force today),
     * as the citizen would: sealed entries left out until their seal date. Signed by the
     * representative's own device key. An evaluation cannot record that it happened: the gateway
     * logs it (the representative's acts that change anything are in the citizen's log).
     */
    @Transaction(false)
    @Returns('string')
    async ListAccessLogAsRepresentative(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'ListAccessLogAsRepresentative');
        const args = parseArgs(ListAccessAsRepresentativeArgs, argsJson);
        const doc = args.request.document;
        const representativeCard = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, representativeCard, args.request, false);
        requireUsable(representativeCard, txIso(ctx));
        const { represented } = await requireRepresentativePower(ctx, doc, RepresentationAct.VIEW_LOG);
        return result(await citizenLogPage(ctx, represented.cardId, args.pageSize, args.bookmark));
    }

    /**
     * Entries of one org (and department) in [from, to), optionally of one decision, for the
     * readers requireAccessReader allows (a department names its own dept). Without `dept` or with
     * `decision` a page may hold fewer than pageSize records (filtered): follow the bookmark.
     */
    @Transaction(false)
    @Returns('string')
    async ListAccessLogByCaller(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ListAccessByCallerArgs, argsJson);
        requireAccessReader(caller(ctx), args.mspId, args.dept, 'ListAccessLogByCaller');
        const from = normalizeInstant(args.from, 'from');
        const to = normalizeInstant(args.to, 'to');
        if (from >= to) fail(ErrorCode.INVALID_ARGUMENT, 'from must be before to');
        const [start, end] = args.dept
            ? [accessByCallerKey(args.mspId, args.dept, from, ''), accessByCallerKey(args.mspId, args.dept, to, '')]
            : [`${ACCESS_BY_CALLER_PREFIX}${args.mspId}|`, `${ACCESS_BY_CALLER_PREFIX}${args.mspId}}`];
        const page = await rangePage(ctx, start, end, args.pageSize, args.bookmark, async (kv) => {
            const e = decodeJson<AccessLogEntry>(kv.value);
            if (e.timestamp < from || e.timestamp >= to) return undefined;
            if (args.decision && e.decision !== args.decision) return undefined;
            return e;
        });
        return result(page);
    }

    /** Auditors see every entry at once, a sealed one with its seal's date. */
    async #byCard(ctx: Context, cardId: string, pageSize?: number, bookmark?: string) {
        return partialKeyPage(ctx, KeyType.ACCESS_BY_CARD, [cardId], pageSize, bookmark, async (kv) =>
            withSeal(ctx, decodeJson<AccessLogEntry>(kv.value)),
        );
    }

    /** Builds, decides and commits one entry (with its seal); the answer of every request transaction. */
    async #record(ctx: Context, c: Caller & { dept: string }, args: AccessAskArgs, mode: AccessMode): Promise<AccessDecision> {
        if (args.items.length === 0 && args.predicates.length === 0)
            fail(ErrorCode.INVALID_ARGUMENT, 'ask for at least one item or predicate');
        const names = new Set<string>();
        for (const p of args.predicates) {
            if ((p.name === 'ageAtLeast') !== (p.value !== undefined))
                fail(ErrorCode.INVALID_ARGUMENT, `predicates: ${p.name} ${p.name === 'ageAtLeast' ? 'needs' : 'takes no'} value`);
            const id = p.value === undefined ? p.name : `${p.name}:${p.value}`;
            if (names.has(id)) fail(ErrorCode.INVALID_ARGUMENT, `predicates: ${id} asked twice`);
            names.add(id);
        }
        const card = await loadCard(ctx, args.cardId);
        const service = await loadService(ctx, args.serviceId);
        const now = txIso(ctx);
        const predicates: PredicateRequest[] = args.predicates
            .map((p) => (p.value === undefined ? { name: p.name } : { name: p.name, value: p.value }))
            .sort((a, b) => (a.name === b.name ? (a.value ?? 0) - (b.value ?? 0) : a.name < b.name ? -1 : 1));
        const entry: AccessLogEntry = {
            docType: 'access',
            accessId: ctx.stub.getTxID(),
            txId: ctx.stub.getTxID(),
            timestamp: now,
            decision: Decision.DENIED,
            reason: '',
            cardId: card.cardId,
            serviceId: service.serviceId,
            callerMspId: c.mspId,
            callerDept: c.dept,
            callerId: c.id,
            purpose: args.purpose,
            items: [...args.items].sort(),
            predicates,
            consentId: mode.kind === 'ordinary' ? mode.consentId : undefined,
            requestedBasis:
                mode.kind === 'sealed' ? ServiceBasis.INVESTIGATION : mode.kind === 'emergency' ? ServiceBasis.EMERGENCY : undefined,
        };
        const { sealed, breakGlass, ...verdict } = await this.#decide(ctx, c, entry, service, cardUnusable(card, now), mode);
        Object.assign(entry, verdict);
        if (sealed) entry.sealed = true;
        if (mode.kind === 'emergency') {
            entry.breakGlass = { reasonCode: mode.reasonCode, incidentRef: mode.incidentRef };
            if (entry.decision === Decision.GRANTED) entry.breakGlass.reviewId = entry.accessId;
        }
        // The entry and its two index copies are the same bytes: encoded once.
        const bytes = canonicalBytes(entry);
        await ctx.stub.putState(compositeKey(ctx, KeyType.ACCESS, [entry.accessId]), bytes);
        await ctx.stub.putState(compositeKey(ctx, KeyType.ACCESS_BY_CARD, [entry.cardId, entry.timestamp, entry.accessId]), bytes);
        await ctx.stub.putState(accessByCallerKey(entry.callerMspId, entry.callerDept, entry.timestamp, entry.accessId), bytes);
        const granted = entry.decision === Decision.GRANTED;
        await countInReport(ctx, entry, {
            ...(granted ? { accesses: 1 } : { denials: 1 }),
            ...(entry.sealed ? { sealed: 1 } : {}),
            ...(granted && entry.breakGlass ? { breakGlass: 1 } : {}),
        });
        if (sealed && mode.kind === 'sealed') {
            const seal: Seal = {
                docType: 'seal',
                accessId: entry.accessId,
                cardId: entry.cardId,
                callerMspId: entry.callerMspId,
                callerDept: entry.callerDept,
                sealedAt: now,
                sealedUntil: mode.sealedUntil,
                extensions: [],
                version: 1,
                updatedAt: now,
                lastTxId: ctx.stub.getTxID(),
            };
            await putJson(ctx, compositeKey(ctx, KeyType.SEAL, [entry.accessId]), seal);
            // No cardId in a sealed entry's event: a tracker notification would reveal it.
            emit(ctx, EventName.SEALED_ACCESS_LOGGED, { accessId: entry.accessId, decision: entry.decision });
        } else {
            if (breakGlass) await saveBreakGlass(ctx, breakGlass);
            if (entry.breakGlass?.reviewId) await this.#openReview(ctx, entry);
            emit(ctx, EventName.ACCESS_LOGGED, { accessId: entry.accessId, cardId: entry.cardId, decision: entry.decision });
        }
        return { accessId: entry.accessId, decision: entry.decision, reason: entry.reason };
    }

    /** The audit office's review case of a GRANTED break-glass access: listed by auditors while OPEN. */
    async #openReview(ctx: Context, entry: AccessLogEntry): Promise<void> {
        const review: Review = {
            docType: 'review',
            reviewId: entry.accessId,
            accessId: entry.accessId,
            cardId: entry.cardId,
            serviceId: entry.serviceId,
            callerMspId: entry.callerMspId,
            callerDept: entry.callerDept,
            reasonCode: entry.breakGlass?.reasonCode as BreakGlassReason,
            incidentRef: entry.breakGlass?.incidentRef as string,
            openedAt: entry.timestamp,
            status: ReviewStatus.OPEN,
            version: 1,
            updatedAt: entry.timestamp,
            lastTxId: entry.txId,
        };
        await putJson(ctx, compositeKey(ctx, KeyType.REVIEW, [review.reviewId]), review);
        await putIndex(ctx, compositeKey(ctx, KeyType.REVIEW_BY_STATUS, [review.status, review.openedAt, review.reviewId]));
    }

    /** The rules of an access request, in the order a refusal is reported. */
    async #decide(
        ctx: Context,
        c: Caller,
        entry: AccessLogEntry,
        service: Service,
        cardProblem: DenialReason | undefined,
        mode: AccessMode,
    ): Promise<Pick<AccessLogEntry, 'decision' | 'reason' | 'legalBasis'> & { sealed: boolean; breakGlass?: BreakGlassState }> {
        let sealed = false;
        // Typed: every reason is one the gateways document (DENIAL_REASONS).
        const denied = (reason: DenialReason, breakGlass?: BreakGlassState) => ({
            decision: Decision.DENIED,
            reason,
            legalBasis: undefined,
            sealed,
            breakGlass,
        });
        const granted = (reason: string, legalBasis?: string, breakGlass?: BreakGlassState) => ({
            decision: Decision.GRANTED,
            reason,
            legalBasis,
            sealed,
            breakGlass,
        });
        if (service.ownerMspId !== c.mspId || service.dept !== c.dept) return denied(ErrorCode.SERVICE_NOT_OWNED);
        if (service.status !== ServiceStatus.ACTIVE) return denied(ErrorCode.SERVICE_INACTIVE);
        if (mode.kind === 'sealed') {
            if (service.basis !== ServiceBasis.INVESTIGATION) return denied(ErrorCode.SERVICE_BASIS_MISMATCH);
            // The caller's own live investigation service: from here on even a refusal stays sealed.
            sealed = true;
        }
        if (mode.kind === 'emergency') {
            if (service.basis !== ServiceBasis.EMERGENCY) return denied(ErrorCode.SERVICE_BASIS_MISMATCH);
            if (!mode.reasonCode || !mode.incidentRef) return denied(ErrorCode.BREAK_GLASS_REASON_REQUIRED);
        }
        if (entry.purpose !== service.purpose) return denied(ErrorCode.PURPOSE_MISMATCH);
        const predicateNames = entry.predicates.map((p) => p.name);
        if (!subset(entry.items, service.items) || !subset(predicateNames, service.predicates)) return denied(ErrorCode.ITEMS_NOT_ALLOWED);
        if (cardProblem) return denied(cardProblem);
        if (mode.kind === 'sealed') return granted(GrantBasis.LEGAL_BASIS, service.legalBasis);
        if (mode.kind === 'emergency') {
            // Read only now: a request refused for another reason neither counts nor conflicts.
            const state = currentBreakGlass(ctx, await loadBreakGlass(ctx, c.mspId, entry.callerDept), c.mspId, entry.callerDept);
            if (state.blocked) return denied(ErrorCode.BREAK_GLASS_LIMIT_EXCEEDED);
            if (state.count >= state.allowance) {
                return denied(ErrorCode.BREAK_GLASS_LIMIT_EXCEEDED, { ...state, blocked: true, blockedAt: entry.timestamp });
            }
            return granted(GrantBasis.BREAK_GLASS, service.legalBasis, { ...state, count: state.count + 1 });
        }
        if (entry.consentId !== undefined) {
            const consent = await loadConsent(ctx, entry.consentId);
            if (!consent) return denied(ErrorCode.CONSENT_NOT_FOUND);
            if (consent.cardId !== entry.cardId || consent.serviceId !== entry.serviceId) return denied(ErrorCode.CONSENT_MISMATCH);
            const status = effectiveStatus(consent, entry.timestamp);
            if (status === ConsentStatus.WITHDRAWN) return denied(ErrorCode.CONSENT_WITHDRAWN);
            if (status === ConsentStatus.EXPIRED) return denied(ErrorCode.CONSENT_EXPIRED);
            if (!subset(entry.items, consent.items) || !subset(predicateNames, consent.predicates))
                return denied(ErrorCode.CONSENT_SCOPE_EXCEEDED);
            return granted(GrantBasis.CONSENT);
        }
        // An emergency service's law is used by break-glass only (flagged, reviewed, limited).
        if (service.basis === ServiceBasis.EMERGENCY) return denied(ErrorCode.BREAK_GLASS_REQUIRED);
        if (service.legalBasis) return granted(GrantBasis.LEGAL_BASIS, service.legalBasis);
        return denied(ErrorCode.CONSENT_REQUIRED);
    }
}
