// ConsentContract: consents are documents signed by the card's device key; the chaincode verifies
// the signature, the card, the service's scope and the nonce, so no gateway can forge one.

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType } from '../keys.js';
import {
    BaseContract,
    addDays,
    caller,
    compositeKey,
    emit,
    getJson,
    hasGrant,
    loadCard,
    partialKeyPage,
    putIndex,
    putJson,
    requireUsable,
    requireCaller,
    result,
    txIso,
    verifySigned,
} from '../ledger.js';
import type { CitizenCard, Consent } from '../model/assets.js';
import { ConsentIdArgs, ListConsentsByCardArgs, ListConsentsByRecipientArgs } from '../model/dto.js';
import {
    SignedConsentReceipt,
    SignedConsentWithdrawal,
    SignedRepresentativeConsentReceipt,
    SignedRepresentativeConsentWithdrawal,
    documentHash,
    type ConsentReceiptDoc,
    type RepresentativeConsentReceiptDoc,
} from '../model/signed.js';
import { parseArgs } from '../model/validate.js';
import { AUDITOR_MSP, ConsentStatus, RepresentationAct, Role, ServiceStatus } from '../model/vocabulary.js';
import { CITIZEN_AGENT, CONSENT_READERS } from '../model/grants.js';
import { logRepresentativeAct, requireOwnCapacity, requireRepresentativePower } from './representation.js';
import { loadService } from './service.js';

/** Who may read any consent: the citizen's app, the issuer and auditors. */

/** Stored status, with EXPIRED derived from the tx time (no write needed when time passes). */
export function effectiveStatus(consent: Consent, nowIso: string): Consent['status'] {
    if (consent.status === ConsentStatus.ACTIVE && nowIso >= consent.expiresAt) return ConsentStatus.EXPIRED;
    return consent.status;
}

export async function loadConsent(ctx: Context, consentId: string): Promise<Consent | undefined> {
    return getJson<Consent>(ctx, compositeKey(ctx, KeyType.CONSENT, [consentId]));
}

function subset<T>(asked: readonly T[], allowed: readonly T[]): boolean {
    return asked.every((x) => allowed.includes(x));
}

@Info({ title: 'ConsentContract', description: 'Device-signed consents and their withdrawal' })
export class ConsentContract extends BaseContract {
    constructor() {
        super('ConsentContract');
    }

    /**
     * Grants a consent from a receipt signed by the card's device key. A child under 14 cannot
     * consent alone: while the card's minority is recorded, CITIZEN_IS_MINOR.
     */
    @Transaction()
    @Returns('string')
    async GrantConsent(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'GrantConsent');
        const signed = parseArgs(SignedConsentReceipt, argsJson);
        const doc = signed.document;
        const card = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, card, signed, true);
        requireUsable(card, txIso(ctx));
        await requireOwnCapacity(ctx, card);
        return result(await this.#grant(ctx, card, doc, signed));
    }

    /**
     * A legal representative's consent for the represented citizen: the receipt is signed by the
     * representative's own device key (its card is `document.cardId`) and checked by every
     * endorser exactly as a citizen's own, then the representation's power (scope `consent`, in
     * force today). The consent is the represented card's, with `representation`; the act is in
     * the represented citizen's log.
     */
    @Transaction()
    @Returns('string')
    async GrantConsentAsRepresentative(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'GrantConsentAsRepresentative');
        const signed = parseArgs(SignedRepresentativeConsentReceipt, argsJson);
        const doc = signed.document;
        const representativeCard = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, representativeCard, signed, true);
        const now = txIso(ctx);
        requireUsable(representativeCard, now);
        const { representation, represented } = await requireRepresentativePower(ctx, doc, RepresentationAct.CONSENT);
        requireUsable(represented, now);
        const consent = await this.#grant(ctx, represented, doc, signed, {
            representationId: representation.representationId,
            representativeCardId: representation.representativeCardId,
        });
        await logRepresentativeAct(ctx, representation, RepresentationAct.CONSENT, {
            consentId: consent.consentId,
            serviceId: consent.serviceId,
        });
        return result(consent);
    }

    /** Withdraws a consent with a request signed by the card's (current) device key. */
    @Transaction()
    @Returns('string')
    async WithdrawConsent(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'WithdrawConsent');
        const signed = parseArgs(SignedConsentWithdrawal, argsJson);
        const doc = signed.document;
        const consent = await loadConsent(ctx, doc.consentId);
        if (!consent) fail(ErrorCode.CONSENT_NOT_FOUND, `consent ${doc.consentId} does not exist`);
        if (consent.cardId !== doc.cardId) fail(ErrorCode.CONSENT_MISMATCH, `consent ${doc.consentId} belongs to another card`);
        const card = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, card, signed, true);
        return result(await this.#withdraw(ctx, consent, { document: doc, signature: signed.signature }));
    }

    /** A legal representative withdraws a consent of the represented citizen (scope `withdraw`). */
    @Transaction()
    @Returns('string')
    async WithdrawConsentAsRepresentative(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'WithdrawConsentAsRepresentative');
        const signed = parseArgs(SignedRepresentativeConsentWithdrawal, argsJson);
        const doc = signed.document;
        const consent = await loadConsent(ctx, doc.consentId);
        if (!consent) fail(ErrorCode.CONSENT_NOT_FOUND, `consent ${doc.consentId} does not exist`);
        if (consent.cardId !== doc.representedCardId) fail(ErrorCode.CONSENT_MISMATCH, `consent ${doc.consentId} belongs to another card`);
        const representativeCard = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, representativeCard, signed, true);
        requireUsable(representativeCard, txIso(ctx));
        const { representation } = await requireRepresentativePower(ctx, doc, RepresentationAct.WITHDRAW);
        const next = await this.#withdraw(
            ctx,
            consent,
            { document: doc, signature: signed.signature },
            { representationId: representation.representationId, representativeCardId: representation.representativeCardId },
        );
        await logRepresentativeAct(ctx, representation, RepresentationAct.WITHDRAW, {
            consentId: consent.consentId,
            serviceId: consent.serviceId,
        });
        return result(next);
    }

    /** The citizen's app, the issuer, auditors, or the recipient org of this consent. */
    @Transaction(false)
    @Returns('string')
    async GetConsent(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ConsentIdArgs, argsJson);
        const consent = await loadConsent(ctx, args.consentId);
        if (!consent) fail(ErrorCode.CONSENT_NOT_FOUND, `consent ${args.consentId} does not exist`);
        const c = caller(ctx);
        if (!hasGrant(c, CONSENT_READERS) && c.mspId !== consent.recipientMspId) {
            fail(ErrorCode.UNAUTHORIZED_ROLE, `GetConsent: caller ${c.mspId} is neither the recipient nor a reader of consents`);
        }
        return result({ ...consent, status: effectiveStatus(consent, txIso(ctx)) });
    }

    @Transaction(false)
    @Returns('string')
    async ListConsentsByCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CONSENT_READERS, 'ListConsentsByCard');
        const args = parseArgs(ListConsentsByCardArgs, argsJson);
        return result(await this.#page(ctx, KeyType.CONSENT_BY_CARD, args.cardId, args.pageSize, args.bookmark));
    }

    /** Auditors, or any identity of the recipient org itself. */
    @Transaction(false)
    @Returns('string')
    async ListConsentsByRecipient(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ListConsentsByRecipientArgs, argsJson);
        const c = caller(ctx);
        if (c.mspId !== args.recipientMspId && !hasGrant(c, [{ mspId: AUDITOR_MSP, role: Role.AUDITOR }])) {
            fail(ErrorCode.UNAUTHORIZED_ROLE, `ListConsentsByRecipient: ${c.mspId} may list its own consents only`);
        }
        return result(await this.#page(ctx, KeyType.CONSENT_BY_RECIPIENT, args.recipientMspId, args.pageSize, args.bookmark));
    }

    /** The consent rules (service, recipient, purpose, items) and the write, for a card's own or its representative's receipt. */
    async #grant(
        ctx: Context,
        card: CitizenCard,
        doc: ConsentReceiptDoc | RepresentativeConsentReceiptDoc,
        signed: { signature: string },
        representation?: Consent['representation'],
    ): Promise<Consent> {
        const now = txIso(ctx);
        const service = await loadService(ctx, doc.serviceId);
        if (service.status !== ServiceStatus.ACTIVE) fail(ErrorCode.SERVICE_INACTIVE, `service ${service.serviceId} is inactive`);
        if (doc.recipientMspId !== service.ownerMspId) {
            fail(ErrorCode.CONSENT_MISMATCH, `recipient ${doc.recipientMspId} does not run service ${service.serviceId}`);
        }
        if (doc.purpose !== service.purpose)
            fail(ErrorCode.PURPOSE_MISMATCH, `purpose differs from the purpose of service ${service.serviceId}`);
        if (!subset(doc.items, service.items) || !subset(doc.predicates, service.predicates)) {
            fail(ErrorCode.ITEMS_NOT_ALLOWED, `items or predicates beyond what service ${service.serviceId} may ask for`);
        }
        const consentId = documentHash(doc);
        const key = compositeKey(ctx, KeyType.CONSENT, [consentId]);
        if ((await ctx.stub.getState(key)).length > 0) fail(ErrorCode.CONSENT_EXISTS, `consent ${consentId} already exists`);
        const consent: Consent = {
            docType: 'consent',
            consentId,
            cardId: card.cardId,
            serviceId: service.serviceId,
            recipientMspId: service.ownerMspId,
            recipientDept: service.dept,
            purpose: doc.purpose,
            items: [...doc.items].sort(),
            predicates: [...doc.predicates].sort(),
            retentionDays: doc.retentionDays,
            status: ConsentStatus.ACTIVE,
            grantedAt: now,
            expiresAt: addDays(now, doc.retentionDays),
            receiptHash: consentId,
            receipt: { document: doc, signature: signed.signature },
            representation,
            version: 1,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, key, consent);
        await putIndex(ctx, compositeKey(ctx, KeyType.CONSENT_BY_CARD, [consent.cardId, consentId]));
        await putIndex(ctx, compositeKey(ctx, KeyType.CONSENT_BY_RECIPIENT, [consent.recipientMspId, consentId]));
        emit(ctx, EventName.CONSENT_GRANTED, { cardId: consent.cardId, consentId });
        return consent;
    }

    async #withdraw(
        ctx: Context,
        consent: Consent,
        withdrawal: { document: unknown; signature: string },
        by?: Consent['withdrawnByRepresentation'],
    ): Promise<Consent> {
        if (consent.status === ConsentStatus.WITHDRAWN)
            fail(ErrorCode.CONSENT_WITHDRAWN, `consent ${consent.consentId} is already withdrawn`);
        const next: Consent = {
            ...consent,
            status: ConsentStatus.WITHDRAWN,
            withdrawnAt: txIso(ctx),
            withdrawal,
            withdrawnByRepresentation: by,
            version: consent.version + 1,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.CONSENT, [consent.consentId]), next);
        emit(ctx, EventName.CONSENT_WITHDRAWN, { cardId: consent.cardId, consentId: consent.consentId });
        return next;
    }

    async #page(ctx: Context, index: string, attr: string, pageSize?: number, bookmark?: string) {
        const now = txIso(ctx);
        return partialKeyPage(ctx, index, [attr], pageSize, bookmark, async (kv) => {
            const { attributes } = ctx.stub.splitCompositeKey(kv.key);
            const consent = await loadConsent(ctx, attributes[1] as string);
            return consent && { ...consent, status: effectiveStatus(consent, now) };
        });
    }
}
