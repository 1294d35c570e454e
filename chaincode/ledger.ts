// Helpers every contract uses: the caller's identity and role, the transaction time, deterministic
// state I/O, events, signed-request checks (signature, freshness, replay) and paginated listings.
// Kept out of the contract classes so that only decorated transactions are callable.

import { Context, Contract } from 'fabric-contract-api';
import type { Iterators } from 'fabric-shim-api';
import { ChaincodeError, ErrorCode, fail } from './errors.js';
import { KeyType, type EventName } from './keys.js';
import { canonicalBytes } from './model/canonical.js';
import type { CitizenCard, Page } from './model/assets.js';
import { verifyDeviceSignature } from './model/signed.js';
import { CardStatus, DEFAULT_PAGE_SIZE, DEPT_ATTR, ISSUER_MSP, ROLE_ATTR, SIGNED_REQUEST_MAX_AGE_SECONDS } from './model/vocabulary.js';

export interface Caller {
    mspId: string;
    /** x509::subject::issuer */
    id: string;
    role: string | null;
    dept: string | null;
}

export function caller(ctx: Context): Caller {
    const ci = ctx.clientIdentity;
    return {
        mspId: ci.getMSPID(),
        id: ci.getID(),
        role: ci.getAttributeValue(ROLE_ATTR),
        dept: ci.getAttributeValue(DEPT_ATTR),
    };
}

import type { Grant } from './model/grants.js';

export type { Grant };

export function hasGrant(c: Caller, grants: readonly Grant[]): boolean {
    return grants.some((g) => c.role === g.role && (g.mspId === undefined || g.mspId === c.mspId));
}

/** Refuses unless the caller's MSP and `role` attribute match one of the grants. */
export function requireCaller(ctx: Context, grants: readonly Grant[], action: string): Caller {
    const c = caller(ctx);
    if (!hasGrant(c, grants)) {
        const allowed = grants.map((g) => `${g.mspId ?? '*'}/${g.role}`).join(', ');
        fail(ErrorCode.UNAUTHORIZED_ROLE, `${action} requires one of [${allowed}]; caller is ${c.mspId}/${c.role ?? 'no role'}`);
    }
    return c;
}

/** Personal data lives on SeoulMSP peers only: refuse clearly anywhere else. */
export function requireIssuerPeer(ctx: Context): void {
    let peerMsp: string;
    try {
        peerMsp = ctx.stub.getMspID();
    } catch {
        fail(
            ErrorCode.PEER_NOT_MEMBER,
            'the peer MSP id (CORE_PEER_LOCALMSPID) is unknown; personal data is served by SeoulMSP peers only',
        );
    }
    if (peerMsp !== ISSUER_MSP) {
        fail(ErrorCode.PEER_NOT_MEMBER, `personal data is held by ${ISSUER_MSP} peers only; this peer belongs to ${peerMsp}`);
    }
}

/**
 * The peer's own clock, used ONLY by read-only single-peer checks (ReadGrantedData) to bound the
 * client-chosen proposal timestamp; never for anything that is endorsed and committed. Replaceable
 * so that tests can run on a simulated clock.
 */
export const localClock: { now: () => number } = { now: () => Date.now() };

/** Transaction time (the proposal's timestamp, identical on every endorser). */
export function txTime(ctx: Context): Date {
    return ctx.stub.getDateTimestamp();
}
export function txIso(ctx: Context): string {
    return txTime(ctx).toISOString();
}

export function addYears(iso: string, years: number): string {
    const d = new Date(iso);
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return d.toISOString();
}
export function addDays(iso: string, days: number): string {
    return new Date(Date.parse(iso) + days * 86_400_000).toISOString();
}

export function compositeKey(ctx: Context, type: string, attrs: string[]): string {
    return ctx.stub.createCompositeKey(type, attrs);
}

export function decodeJson<T>(bytes: Uint8Array): T {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

export async function getJson<T>(ctx: Context, key: string): Promise<T | undefined> {
    const bytes = await ctx.stub.getState(key);
    if (!bytes || bytes.length === 0) return undefined;
    return decodeJson<T>(bytes);
}

export async function putJson(ctx: Context, key: string, value: unknown): Promise<void> {
    await ctx.stub.putState(key, canonicalBytes(value));
}

/** Index entries need a non-empty value (an empty value would be a delete). */
export async function putIndex(ctx: Context, key: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from('1'));
}

export function emit(ctx: Context, name: EventName, payload: Record<string, string>): void {
    ctx.stub.setEvent(name, canonicalBytes({ ...payload, txId: ctx.stub.getTxID() }));
}

/** Return values are canonical JSON text (the contract methods return strings). */
export function result(value: unknown): string {
    return canonicalBytes(value).toString('utf8');
}

export async function loadCard(ctx: Context, cardId: string): Promise<CitizenCard> {
    const card = await getJson<CitizenCard>(ctx, compositeKey(ctx, KeyType.CARD, [cardId]));
    if (!card) fail(ErrorCode.CARD_NOT_FOUND, `card ${cardId} does not exist`);
    return card;
}

/** The code that makes a card unusable at the tx time, or undefined when it is usable. */
export function cardUnusable(card: CitizenCard, nowIso: string): 'CARD_REVOKED' | 'CARD_SUSPENDED' | 'CARD_EXPIRED' | undefined {
    if (card.status === CardStatus.REVOKED) return ErrorCode.CARD_REVOKED;
    if (card.status === CardStatus.SUSPENDED) return ErrorCode.CARD_SUSPENDED;
    if (nowIso >= card.expiresAt) return ErrorCode.CARD_EXPIRED;
    return undefined;
}

export function requireUsable(card: CitizenCard, nowIso: string): void {
    const code = cardUnusable(card, nowIso);
    if (code) fail(code, `card ${card.cardId} is not usable (${code})`);
}

interface SignedInput {
    document: { cardId: string; nonce: string; issuedAt: string };
    signature: string;
}

/**
 * Checks a device-signed document against the card's registered key and the tx time; with
 * `consume`, records its nonce so that the same signed document is accepted once only.
 */
export async function verifySigned(ctx: Context, card: CitizenCard, signed: SignedInput, consume: boolean): Promise<void> {
    if (signed.document.cardId !== card.cardId) fail(ErrorCode.SIGNATURE_INVALID, 'signed document names another card');
    if (!verifyDeviceSignature(card.devicePublicKey, signed.document, signed.signature)) {
        fail(ErrorCode.SIGNATURE_INVALID, `signature does not verify with the device key of card ${card.cardId}`);
    }
    const skew = Math.abs(txTime(ctx).getTime() - Date.parse(signed.document.issuedAt));
    if (!(skew <= SIGNED_REQUEST_MAX_AGE_SECONDS * 1000)) {
        fail(
            ErrorCode.SIGNED_REQUEST_EXPIRED,
            `signed document issuedAt is more than ${SIGNED_REQUEST_MAX_AGE_SECONDS}s from the transaction time`,
        );
    }
    if (consume) {
        const key = compositeKey(ctx, KeyType.NONCE, [card.cardId, signed.document.nonce]);
        const used = await ctx.stub.getState(key);
        if (used && used.length > 0) fail(ErrorCode.SIGNED_REQUEST_REPLAYED, 'this signed document was already used');
        await ctx.stub.putState(key, Buffer.from(ctx.stub.getTxID()));
    }
}

async function drain<T>(iterator: Iterators.StateQueryIterator, map: (kv: Iterators.KV) => Promise<T | undefined>): Promise<T[]> {
    const out: T[] = [];
    try {
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
            const v = await map(r.value);
            if (v !== undefined) out.push(v);
        }
        return out;
    } finally {
        await iterator.close();
    }
}

/**
 * The shim leaves metadata undefined when the peer's QueryResponseMetadata is empty on the wire
 * (an empty last page: zero count, empty bookmark), on Fabric as on the devnet.
 */
function pageOf<T>(records: T[], metadata: { bookmark?: string; fetchedRecordsCount?: number } | undefined): Page<T> {
    return { records, bookmark: metadata?.bookmark ?? '', fetchedRecordsCount: metadata?.fetchedRecordsCount ?? records.length };
}

/**
 * A client's bookmark must lie inside the query's own key range [start, end), compared as the
 * state database compares keys (UTF-8 bytes). Fabric's peer starts a paginated scan at any
 * non-empty bookmark and ends it at the query's end key (core/chaincode/handler.go,
 * HandleGetStateByRange), so a bookmark below `start` would scan every key in between: other
 * types' records that the caller's role was never checked for. A bookmark the peer returned is
 * always the next key inside the range, so no honest client is refused.
 */
function requireBookmarkIn(bookmark: string | undefined, start: string, end: string): void {
    if (!bookmark) return;
    const b = Buffer.from(bookmark, 'utf8');
    // A lone surrogate has no UTF-8 form (it would be sent as U+FFFD): not a key the peer returned.
    const wellFormed = b.toString('utf8') === bookmark;
    if (!wellFormed || Buffer.compare(b, Buffer.from(start, 'utf8')) < 0 || Buffer.compare(b, Buffer.from(end, 'utf8')) >= 0) {
        fail(ErrorCode.INVALID_BOOKMARK, 'bookmark is not one this query returned: pass the bookmark of the previous page unchanged');
    }
}

/** One page of a partial composite key query (evaluate-only: Fabric allows pagination read-only). */
export async function partialKeyPage<T>(
    ctx: Context,
    type: string,
    attrs: string[],
    pageSize: number | undefined,
    bookmark: string | undefined,
    map: (kv: Iterators.KV) => Promise<T | undefined>,
): Promise<Page<T>> {
    // The shim's own range for a partial key: [prefix, prefix + U+10FFFF).
    const prefix = ctx.stub.createCompositeKey(type, attrs);
    requireBookmarkIn(bookmark, prefix, `${prefix}\u{10ffff}`);
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
        type,
        attrs,
        pageSize ?? DEFAULT_PAGE_SIZE,
        bookmark ?? '',
    );
    const records = await drain(iterator, map);
    return pageOf(records, metadata);
}

/** One page of a simple-key range [start, end). */
export async function rangePage<T>(
    ctx: Context,
    start: string,
    end: string,
    pageSize: number | undefined,
    bookmark: string | undefined,
    map: (kv: Iterators.KV) => Promise<T | undefined>,
): Promise<Page<T>> {
    requireBookmarkIn(bookmark, start, end);
    const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(start, end, pageSize ?? DEFAULT_PAGE_SIZE, bookmark ?? '');
    const records = await drain(iterator, map);
    return pageOf(records, metadata);
}

/** Every record under a partial composite key (no pagination, so usable in a submit: bounded by what one card holds). */
export async function partialKeyAll<T>(
    ctx: Context,
    type: string,
    attrs: string[],
    map: (kv: Iterators.KV) => Promise<T | undefined>,
): Promise<T[]> {
    const iterator = await ctx.stub.getStateByPartialCompositeKey(type, attrs);
    return drain(iterator, map);
}

/**
 * At most `limit` records of a simple-key range [start, end), from its start (no pagination, so
 * usable in a submit; Fabric then validates only the part of the range that was read).
 */
export async function rangeFirst<T>(
    ctx: Context,
    start: string,
    end: string,
    limit: number,
    map: (kv: Iterators.KV) => Promise<T | undefined>,
): Promise<T[]> {
    const iterator = await ctx.stub.getStateByRange(start, end);
    const out: T[] = [];
    try {
        if (limit <= 0) return out;
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
            const v = await map(r.value);
            if (v !== undefined) out.push(v);
            if (out.length >= limit) break;
        }
        return out;
    } finally {
        await iterator.close();
    }
}

/** Every record of a simple-key range [start, end) (no pagination: evaluate-only aggregates). */
export async function rangeAll<T>(
    ctx: Context,
    start: string,
    end: string,
    map: (kv: Iterators.KV) => Promise<T | undefined>,
): Promise<T[]> {
    const iterator = await ctx.stub.getStateByRange(start, end);
    return drain(iterator, map);
}

/** Makes every contract refuse unknown function names with a stable code. */
export abstract class BaseContract extends Contract {
    override async unknownTransaction(ctx: Context): Promise<void> {
        const { fcn } = ctx.stub.getFunctionAndParameters();
        throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, `unknown transaction ${fcn}`);
    }
}
