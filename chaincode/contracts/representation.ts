// RepresentationContract (issue 24): legal representatives. The issuer records who represents
// whom (card ids only), on what basis (a child under 14, a court's guardianship with its end date)
// and for which acts; a representative then acts with their own card's device key, and every
// endorser checks that power exactly as it checks a citizen's own signature. A child's minority is
// recorded as two hash-chain anchors computed on the issuer's peer from the private birth date
// (model/minority.ts), so that every endorser can tell "still under 14 today" and "14 by now"
// while no birth date, and no 14th birthday, is on the public ledger.

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType, minorityAnchorKey, personalRecordKey } from '../keys.js';
import {
    BaseContract,
    caller,
    compositeKey,
    decodeJson,
    emit,
    getJson,
    loadCard,
    partialKeyPage,
    putIndex,
    putJson,
    requireCaller,
    requireIssuerPeer,
    requireUsable,
    result,
    txIso,
    txTime,
    verifySigned,
} from '../ledger.js';
import type { CitizenCard, Minority, MinorityAnchor, PersonalRecord, Representation, RepresentativeActEntry } from '../model/assets.js';
import { canonicalBytes } from '../model/canonical.js';
import { daysBetween, seoulDate } from '../model/calendar.js';
import { sha256Hex } from '../model/commitments.js';
import {
    CardIdArgs,
    ListMyRepresentationsArgs,
    ListRepresentationsByCardArgs,
    RecordMinorityArgs,
    RecordRepresentationArgs,
    RepresentationIdArgs,
    RevokeRepresentationArgs,
    type RepresentationSide,
} from '../model/dto.js';
import { AUDITOR, CITIZEN_AGENT, ISSUER, REPRESENTATION_READERS } from '../model/grants.js';
import { lastMinorDay, minorityAnchors, minoritySeeds, verifyOwnToken, verifyPowerToken } from '../model/minority.js';
import { SignedMinorityEnd, type RepresentativeDoc } from '../model/signed.js';
import { parseArgs } from '../model/validate.js';
import {
    CHANNEL_POLICY,
    CardStatus,
    MinorityStatus,
    PERSONAL_DATA_COLLECTION,
    RepresentationBasis,
    RepresentationStatus,
    TRANSIENT_CHAIN_SEED,
    type RepresentationAct,
} from '../model/vocabulary.js';

export async function loadMinority(ctx: Context, cardId: string): Promise<Minority | undefined> {
    return getJson<Minority>(ctx, compositeKey(ctx, KeyType.MINORITY, [cardId]));
}

/** Day index of the tx time's Seoul date in a minority's chains. */
export function minorityDay(ctx: Context, minority: Minority): number {
    return daysBetween(minority.startDate, seoulDate(txTime(ctx)));
}

/** Ended for sure: the child's own key took over, or the chains' horizon has passed. */
export function minorityOver(ctx: Context, minority: Minority): boolean {
    return minority.status === MinorityStatus.ENDED || minorityDay(ctx, minority) >= minority.horizonDays;
}

/**
 * A citizen's own consent: a child under 14 cannot consent alone. While the card's minority is
 * recorded and not over, its own key is refused (CITIZEN_IS_MINOR); its representatives consent.
 */
export async function requireOwnCapacity(ctx: Context, card: CitizenCard): Promise<void> {
    const minority = await loadMinority(ctx, card.cardId);
    if (minority && !minorityOver(ctx, minority)) {
        fail(
            ErrorCode.CITIZEN_IS_MINOR,
            `card ${card.cardId} belongs to a child under ${CHANNEL_POLICY.minorityAge}: a legal representative consents (or EndMinority first)`,
        );
    }
}

export async function loadRepresentation(ctx: Context, representationId: string): Promise<Representation> {
    const r = await getJson<Representation>(ctx, compositeKey(ctx, KeyType.REPRESENTATION, [representationId]));
    if (!r) fail(ErrorCode.REPRESENTATION_NOT_FOUND, `representation ${representationId} does not exist`);
    return r;
}

/** The representation as of the tx time: ENDED once a guardianship's end date or the child's minority is over. */
export async function representationView(ctx: Context, r: Representation): Promise<Representation> {
    if (r.status !== RepresentationStatus.ACTIVE) return r;
    if (r.basis === RepresentationBasis.GUARDIANSHIP) {
        return txIso(ctx) >= (r.endsAt as string) ? { ...r, status: RepresentationStatus.ENDED } : r;
    }
    const minority = await loadMinority(ctx, r.representedCardId);
    return !minority || minorityOver(ctx, minority) ? { ...r, status: RepresentationStatus.ENDED } : r;
}

/**
 * The power check of every representative act, after the representative's own signature was
 * verified against `doc.cardId`: the representation names that card as representative and the
 * represented card as in the document, is not revoked, allows the act, and is in force at the tx
 * time (a guardianship before its end; a minority by today's in-force token). Returns the
 * representation and the represented card.
 */
export async function requireRepresentativePower(
    ctx: Context,
    doc: RepresentativeDoc,
    act: RepresentationAct,
): Promise<{ representation: Representation; represented: CitizenCard }> {
    const r = await loadRepresentation(ctx, doc.representationId);
    if (r.representativeCardId !== doc.cardId) {
        fail(ErrorCode.NOT_REPRESENTATIVE, `card ${doc.cardId} is not the representative of representation ${r.representationId}`);
    }
    if (r.representedCardId !== doc.representedCardId) {
        fail(ErrorCode.REPRESENTATION_MISMATCH, `representation ${r.representationId} is for another card`);
    }
    if (r.status === RepresentationStatus.REVOKED)
        fail(ErrorCode.REPRESENTATION_REVOKED, `representation ${r.representationId} is revoked`);
    if (!r.scope.includes(act)) fail(ErrorCode.REPRESENTATION_SCOPE_EXCEEDED, `representation ${r.representationId} does not allow ${act}`);
    if (r.basis === RepresentationBasis.GUARDIANSHIP) {
        if (txIso(ctx) >= (r.endsAt as string)) {
            fail(ErrorCode.REPRESENTATION_ENDED, `the guardianship of representation ${r.representationId} ended at ${r.endsAt}`);
        }
    } else {
        const minority = await loadMinority(ctx, r.representedCardId);
        if (!minority || minorityOver(ctx, minority)) {
            fail(ErrorCode.REPRESENTATION_ENDED, `the minority of card ${r.representedCardId} has ended`);
        }
        if (!doc.minorityToken) fail(ErrorCode.INVALID_ARGUMENT, 'document.minorityToken: required for a MINOR_UNDER_14 representation');
        if (!verifyPowerToken(minority.powerAnchor, minorityDay(ctx, minority), doc.minorityToken)) {
            fail(
                ErrorCode.REPRESENTATION_ENDED,
                `representation ${r.representationId} is not in force today with this token: the child has turned ${CHANNEL_POLICY.minorityAge}, or the token is not today's`,
            );
        }
    }
    return { representation: r, represented: await loadCard(ctx, r.representedCardId) };
}

/** Every representative act is in the represented citizen's log (the card's `access~card` index). */
export async function logRepresentativeAct(
    ctx: Context,
    r: Representation,
    act: RepresentationAct,
    refs: Pick<RepresentativeActEntry, 'consentId' | 'serviceId' | 'objectionId' | 'accessId'>,
): Promise<void> {
    const c = caller(ctx);
    const now = txIso(ctx);
    const entry: RepresentativeActEntry = {
        docType: 'representativeAct',
        actId: ctx.stub.getTxID(),
        txId: ctx.stub.getTxID(),
        timestamp: now,
        cardId: r.representedCardId,
        act,
        representationId: r.representationId,
        representativeCardId: r.representativeCardId,
        basis: r.basis,
        ...refs,
        callerMspId: c.mspId,
        callerId: c.id,
    };
    await putJson(ctx, compositeKey(ctx, KeyType.ACCESS_BY_CARD, [entry.cardId, now, entry.actId]), entry);
}

function anchorBytes(a: MinorityAnchor): Buffer {
    return canonicalBytes({ cardId: a.cardId, startDate: a.startDate, powerAnchor: a.powerAnchor, ownAnchor: a.ownAnchor });
}

@Info({ title: 'RepresentationContract', description: "Legal representatives: a child's minority, guardianships, who may act for whom" })
export class RepresentationContract extends BaseContract {
    constructor() {
        super('RepresentationContract');
    }

    /**
     * Minority step 1, endorsed by SeoulMSP peers only (collection endorsement policy), like
     * IssuePersonalRecord: reads the card's private birth date, refuses a card that is not under 14
     * today (Seoul date of the tx time), and writes only the private anchor of the two chains
     * derived from the transient `chainSeed`. Returns the public anchors for step 2, never the
     * seeds, the birth date or the 14th birthday.
     */
    @Transaction()
    @Returns('string')
    async PrepareMinority(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'PrepareMinority');
        requireIssuerPeer(ctx);
        const args = parseArgs(CardIdArgs, argsJson);
        const chainSeed = ctx.stub.getTransient().get(TRANSIENT_CHAIN_SEED);
        if (!chainSeed || chainSeed.length < 16)
            fail(ErrorCode.TRANSIENT_MISSING, `transient '${TRANSIENT_CHAIN_SEED}' of at least 16 bytes is required`);
        const card = await loadCard(ctx, args.cardId);
        if (card.status === CardStatus.REVOKED) fail(ErrorCode.CARD_REVOKED, `card ${card.cardId} is revoked`);
        if (await loadMinority(ctx, card.cardId))
            fail(ErrorCode.MINORITY_EXISTS, `the minority of card ${card.cardId} is already recorded`);
        const bytes = await ctx.stub.getPrivateData(PERSONAL_DATA_COLLECTION, personalRecordKey(card.cardId));
        if (!bytes || bytes.length === 0) fail(ErrorCode.RECORD_NOT_FOUND, `no personal record for card ${card.cardId}`);
        const record = decodeJson<PersonalRecord>(bytes);
        const startDate = seoulDate(txTime(ctx));
        const last = lastMinorDay(record.data.birthDate, startDate);
        // The message names no date: the caller is the issuer, but an error travels through gateways and logs.
        if (last < 0) fail(ErrorCode.NOT_A_MINOR, `the holder of card ${card.cardId} is not under ${CHANNEL_POLICY.minorityAge} today`);
        const anchor: MinorityAnchor = { cardId: card.cardId, startDate, ...minorityAnchors(minoritySeeds(chainSeed, card.cardId), last) };
        await ctx.stub.putPrivateData(PERSONAL_DATA_COLLECTION, minorityAnchorKey(card.cardId), anchorBytes(anchor));
        return result({ ...anchor, anchorHash: sha256Hex(anchorBytes(anchor)) });
    }

    /**
     * Minority step 2, endorsed by MAJORITY: every endorser checks through the private data hash
     * that the issuer's peer computed exactly these anchors for this card from its birth date.
     */
    @Transaction()
    @Returns('string')
    async RecordMinority(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'RecordMinority');
        const args = parseArgs(RecordMinorityArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        if (await loadMinority(ctx, card.cardId))
            fail(ErrorCode.MINORITY_EXISTS, `the minority of card ${card.cardId} is already recorded`);
        const onLedger = await ctx.stub.getPrivateDataHash(PERSONAL_DATA_COLLECTION, minorityAnchorKey(card.cardId));
        if (!onLedger || onLedger.length === 0) fail(ErrorCode.RECORD_NOT_FOUND, `no prepared minority for card ${card.cardId}`);
        const anchor: MinorityAnchor = {
            cardId: card.cardId,
            startDate: args.startDate,
            powerAnchor: args.powerAnchor,
            ownAnchor: args.ownAnchor,
        };
        if (Buffer.from(onLedger).toString('hex') !== sha256Hex(anchorBytes(anchor))) {
            fail(ErrorCode.RECORD_MISMATCH, `the anchors do not match the prepared minority of card ${card.cardId}`);
        }
        const now = txIso(ctx);
        const minority: Minority = {
            docType: 'minority',
            ...anchor,
            horizonDays: CHANNEL_POLICY.minorityHorizonDays,
            status: MinorityStatus.ACTIVE,
            recordedAt: now,
            version: 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.MINORITY, [card.cardId]), minority);
        emit(ctx, EventName.MINORITY_RECORDED, { cardId: card.cardId });
        return result(minority);
    }

    /** A card's minority record (anchors and status): for the issuer, auditors and the citizen's app. */
    @Transaction(false)
    @Returns('string')
    async GetMinority(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, REPRESENTATION_READERS, 'GetMinority');
        const args = parseArgs(CardIdArgs, argsJson);
        const minority = await loadMinority(ctx, args.cardId);
        if (!minority) fail(ErrorCode.MINORITY_NOT_FOUND, `no minority recorded for card ${args.cardId}`);
        return result(
            minority.status === MinorityStatus.ACTIVE && minorityOver(ctx, minority)
                ? { ...minority, status: MinorityStatus.ENDED }
                : minority,
        );
    }

    /**
     * At 14 the citizen's own key takes over: the child signs, with its own device key, today's
     * own-chain token, which exists only from the 14th birthday on (MINORITY_NOT_ENDED before).
     * Every MINOR_UNDER_14 representation of the card ends with it.
     */
    @Transaction()
    @Returns('string')
    async EndMinority(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'EndMinority');
        const signed = parseArgs(SignedMinorityEnd, argsJson);
        const card = await loadCard(ctx, signed.document.cardId);
        await verifySigned(ctx, card, signed, true);
        const minority = await loadMinority(ctx, card.cardId);
        if (!minority) fail(ErrorCode.MINORITY_NOT_FOUND, `no minority recorded for card ${card.cardId}`);
        if (minority.status === MinorityStatus.ENDED) fail(ErrorCode.NOT_A_MINOR, `the minority of card ${card.cardId} has already ended`);
        const day = minorityDay(ctx, minority);
        if (day < minority.horizonDays && !verifyOwnToken(minority.ownAnchor, day, signed.document.ownToken)) {
            fail(ErrorCode.MINORITY_NOT_ENDED, `card ${card.cardId}: this token does not show that the minority has ended today`);
        }
        const now = txIso(ctx);
        const next: Minority = {
            ...minority,
            status: MinorityStatus.ENDED,
            endedAt: now,
            version: minority.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.MINORITY, [card.cardId]), next);
        emit(ctx, EventName.MINORITY_ENDED, { cardId: card.cardId });
        return result(next);
    }

    /**
     * The issuer records a representation: the represented card, the representative's own card
     * (a usable card of someone who is not a minor), the basis and the acts it allows. A child's
     * representation needs the child's minority recorded; a guardianship its end date.
     */
    @Transaction()
    @Returns('string')
    async RecordRepresentation(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, ISSUER, 'RecordRepresentation');
        const args = parseArgs(RecordRepresentationArgs, argsJson);
        if (args.representedCardId === args.representativeCardId)
            fail(ErrorCode.INVALID_ARGUMENT, 'representativeCardId: a card cannot represent itself');
        const key = compositeKey(ctx, KeyType.REPRESENTATION, [args.representationId]);
        if ((await ctx.stub.getState(key)).length > 0)
            fail(ErrorCode.REPRESENTATION_EXISTS, `representation ${args.representationId} already exists`);
        const now = txIso(ctx);
        const represented = await loadCard(ctx, args.representedCardId);
        if (represented.status === CardStatus.REVOKED) fail(ErrorCode.CARD_REVOKED, `card ${represented.cardId} is revoked`);
        const representative = await loadCard(ctx, args.representativeCardId);
        requireUsable(representative, now);
        const repMinority = await loadMinority(ctx, representative.cardId);
        if (repMinority && !minorityOver(ctx, repMinority)) {
            fail(ErrorCode.REPRESENTATIVE_INELIGIBLE, `card ${representative.cardId} belongs to a minor, who cannot represent anyone`);
        }
        let endsAt: string | undefined;
        if (args.basis === RepresentationBasis.MINOR_UNDER_14) {
            if (args.endsAt !== undefined)
                fail(ErrorCode.INVALID_ARGUMENT, 'endsAt: a minor is represented until the 14th birthday, not a date');
            const minority = await loadMinority(ctx, represented.cardId);
            if (!minority) fail(ErrorCode.MINORITY_NOT_FOUND, `record the minority of card ${represented.cardId} first`);
            if (minorityOver(ctx, minority)) fail(ErrorCode.NOT_A_MINOR, `the minority of card ${represented.cardId} has ended`);
        } else {
            if (args.endsAt === undefined) fail(ErrorCode.INVALID_ARGUMENT, 'endsAt: required for a guardianship');
            endsAt = new Date(Date.parse(args.endsAt)).toISOString();
            if (endsAt <= now) fail(ErrorCode.INVALID_ARGUMENT, 'endsAt: must be after the transaction time');
        }
        const r: Representation = {
            docType: 'representation',
            representationId: args.representationId,
            representedCardId: represented.cardId,
            representativeCardId: representative.cardId,
            basis: args.basis,
            scope: [...args.scope].sort(),
            endsAt,
            status: RepresentationStatus.ACTIVE,
            recordedAt: now,
            recordedBy: c.id,
            version: 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, key, r);
        await putIndex(ctx, compositeKey(ctx, KeyType.REPRESENTATION_BY_REPRESENTATIVE, [r.representativeCardId, r.representationId]));
        await putIndex(ctx, compositeKey(ctx, KeyType.REPRESENTATION_BY_REPRESENTED, [r.representedCardId, r.representationId]));
        emit(ctx, EventName.REPRESENTATION_RECORDED, { representationId: r.representationId, cardId: r.representedCardId });
        return result(r);
    }

    /** The issuer ends a representation before its time (a court order, a new guardian, a recording error). */
    @Transaction()
    @Returns('string')
    async RevokeRepresentation(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'RevokeRepresentation');
        const args = parseArgs(RevokeRepresentationArgs, argsJson);
        const r = await loadRepresentation(ctx, args.representationId);
        if (r.status === RepresentationStatus.REVOKED)
            fail(ErrorCode.REPRESENTATION_REVOKED, `representation ${r.representationId} is already revoked`);
        const now = txIso(ctx);
        const next: Representation = {
            ...r,
            status: RepresentationStatus.REVOKED,
            revokedAt: now,
            revokeReason: args.reason,
            version: r.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.REPRESENTATION, [r.representationId]), next);
        emit(ctx, EventName.REPRESENTATION_REVOKED, { representationId: r.representationId, cardId: r.representedCardId });
        return result(next);
    }

    @Transaction(false)
    @Returns('string')
    async GetRepresentation(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, REPRESENTATION_READERS, 'GetRepresentation');
        const args = parseArgs(RepresentationIdArgs, argsJson);
        return result(await representationView(ctx, await loadRepresentation(ctx, args.representationId)));
    }

    /** The representations a card holds (side representative) or that are held for it (side represented): issuer, auditors. */
    @Transaction(false)
    @Returns('string')
    async ListRepresentationsByCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, [...ISSUER, ...AUDITOR], 'ListRepresentationsByCard');
        const args = parseArgs(ListRepresentationsByCardArgs, argsJson);
        return result(await this.#page(ctx, args.cardId, args.side, args.pageSize, args.bookmark));
    }

    /**
     * What the tracker shows a representative: the representations the signer's card holds (or,
     * with side represented, those held for it), each with its status at the tx time and its scope.
     * The request is signed by the signer's own device key, like ListMyAccessLog.
     */
    @Transaction(false)
    @Returns('string')
    async ListMyRepresentations(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'ListMyRepresentations');
        const args = parseArgs(ListMyRepresentationsArgs, argsJson);
        const card = await loadCard(ctx, args.request.document.cardId);
        await verifySigned(ctx, card, args.request, false);
        return result(await this.#page(ctx, card.cardId, args.side ?? 'representative', args.pageSize, args.bookmark));
    }

    async #page(ctx: Context, cardId: string, side: RepresentationSide, pageSize?: number, bookmark?: string) {
        const index = side === 'representative' ? KeyType.REPRESENTATION_BY_REPRESENTATIVE : KeyType.REPRESENTATION_BY_REPRESENTED;
        return partialKeyPage(ctx, index, [cardId], pageSize, bookmark, async (kv) => {
            const { attributes } = ctx.stub.splitCompositeKey(kv.key);
            const r = await getJson<Representation>(ctx, compositeKey(ctx, KeyType.REPRESENTATION, [attributes[1] as string]));
            return r && representationView(ctx, r);
        });
    }
}
