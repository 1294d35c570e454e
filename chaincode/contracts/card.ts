// CardContract: the two-step issue (private record on issuer peers, then the public card endorsed
// by MAJORITY against the record's hash), the card lifecycle, device keys, erasure, authentication.

import { CITIZEN_AGENT, ISSUER } from '../model/grants.js';
import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType, commitmentAnchorKey, objectionTextKey, personalRecordKey } from '../keys.js';
import {
    BaseContract,
    addYears,
    compositeKey,
    emit,
    loadCard,
    partialKeyAll,
    putJson,
    requireCaller,
    requireIssuerPeer,
    requireUsable,
    result,
    txIso,
    verifySigned,
} from '../ledger.js';
import type { CitizenCard, CommitmentAnchor, PersonalRecord } from '../model/assets.js';
import { canonicalBytes } from '../model/canonical.js';
import { computeCommitments, deriveSalt, sha256Hex } from '../model/commitments.js';
import {
    CardIdArgs,
    CardStatusArgs,
    CreateCardArgs,
    IssuePersonalRecordArgs,
    PersonalDataDto,
    RenewCardArgs,
    RotateKeyByIssuerArgs,
} from '../model/dto.js';
import { SignedAuthChallenge, SignedCardSuspension, SignedKeyRotation, parseDevicePublicKey } from '../model/signed.js';
import { parseArgs } from '../model/validate.js';
import { CardStatus, DATA_ITEMS, PERSONAL_DATA_COLLECTION, TRANSIENT_PERSONAL, TRANSIENT_SALT_SEED } from '../model/vocabulary.js';

function anchorBytes(anchor: CommitmentAnchor): Buffer {
    return canonicalBytes(anchor);
}

@Info({ title: 'CardContract', description: 'Citizen cards: issue, lifecycle, device keys, erasure, authentication' })
export class CardContract extends BaseContract {
    constructor() {
        super('CardContract');
    }

    /**
     * Step 1 of issue, endorsed by SeoulMSP peers only (collection endorsement policy). Personal data
     * comes in transient `personal` (PersonalDataDto JSON) with a random `saltSeed` (>= 16 bytes).
     * Writes only the private collection; returns the commitments for step 2.
     */
    @Transaction()
    @Returns('string')
    async IssuePersonalRecord(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'IssuePersonalRecord');
        requireIssuerPeer(ctx);
        const args = parseArgs(IssuePersonalRecordArgs, argsJson);
        const transient = ctx.stub.getTransient();
        const personalBytes = transient.get(TRANSIENT_PERSONAL);
        const saltSeed = transient.get(TRANSIENT_SALT_SEED);
        if (!personalBytes || personalBytes.length === 0)
            fail(ErrorCode.TRANSIENT_MISSING, `transient '${TRANSIENT_PERSONAL}' is required`);
        if (!saltSeed || saltSeed.length < 16)
            fail(ErrorCode.TRANSIENT_MISSING, `transient '${TRANSIENT_SALT_SEED}' of at least 16 bytes is required`);
        // birthDate is a calendar date (PersonalDataDto's IsCalendarDate).
        const data = parseArgs(PersonalDataDto, Buffer.from(personalBytes).toString('utf8'));

        if ((await ctx.stub.getState(compositeKey(ctx, KeyType.CARD, [args.cardId]))).length > 0) {
            fail(ErrorCode.CARD_EXISTS, `card ${args.cardId} already exists`);
        }
        const existing = await ctx.stub.getPrivateData(PERSONAL_DATA_COLLECTION, personalRecordKey(args.cardId));
        if (existing && existing.length > 0) fail(ErrorCode.RECORD_EXISTS, `a personal record for card ${args.cardId} already exists`);

        const salts: Record<string, string> = {};
        for (const attr of DATA_ITEMS) salts[attr] = deriveSalt(saltSeed, args.cardId, attr);
        const personal = {
            name: data.name,
            birthDate: data.birthDate,
            address: data.address,
            district: data.district,
            residentNumber: data.residentNumber,
            disability: data.disability,
            lowIncome: data.lowIncome,
            multiChildFamily: data.multiChildFamily,
            seoulResident: data.seoulResident,
        };
        const commitments = computeCommitments(personal, salts);
        const record: PersonalRecord = { cardId: args.cardId, subjectId: args.subjectId, data: personal, salts };
        const anchor: CommitmentAnchor = { cardId: args.cardId, subjectId: args.subjectId, commitments };
        await ctx.stub.putPrivateData(PERSONAL_DATA_COLLECTION, personalRecordKey(args.cardId), canonicalBytes(record));
        await ctx.stub.putPrivateData(PERSONAL_DATA_COLLECTION, commitmentAnchorKey(args.cardId), anchorBytes(anchor));
        return result({ cardId: args.cardId, subjectId: args.subjectId, commitments, anchorHash: sha256Hex(anchorBytes(anchor)) });
    }

    /**
     * Step 2 of issue, endorsed by MAJORITY: every endorser checks, through the private data hash
     * only, that step 1 committed exactly these commitments for this card and subject.
     */
    @Transaction()
    @Returns('string')
    async CreateCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'CreateCard');
        const args = parseArgs(CreateCardArgs, argsJson);
        if (!parseDevicePublicKey(args.devicePublicKey))
            fail(ErrorCode.INVALID_ARGUMENT, 'devicePublicKey: not a P-256 SubjectPublicKeyInfo');
        const key = compositeKey(ctx, KeyType.CARD, [args.cardId]);
        if ((await ctx.stub.getState(key)).length > 0) fail(ErrorCode.CARD_EXISTS, `card ${args.cardId} already exists`);

        const onLedger = await ctx.stub.getPrivateDataHash(PERSONAL_DATA_COLLECTION, commitmentAnchorKey(args.cardId));
        if (!onLedger || onLedger.length === 0) fail(ErrorCode.RECORD_NOT_FOUND, `no committed personal record for card ${args.cardId}`);
        const commitments: Record<string, string> = {};
        for (const attr of DATA_ITEMS) commitments[attr] = args.commitments[attr];
        const expected = sha256Hex(anchorBytes({ cardId: args.cardId, subjectId: args.subjectId, commitments }));
        if (Buffer.from(onLedger).toString('hex') !== expected) {
            fail(ErrorCode.RECORD_MISMATCH, `commitments or subject do not match the committed personal record of card ${args.cardId}`);
        }
        const now = txIso(ctx);
        const card: CitizenCard = {
            docType: 'card',
            cardId: args.cardId,
            subjectId: args.subjectId,
            status: CardStatus.ACTIVE,
            issuedAt: now,
            expiresAt: addYears(now, args.validityYears),
            devicePublicKey: args.devicePublicKey,
            commitments,
            version: 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, key, card);
        emit(ctx, EventName.CARD_CREATED, { cardId: card.cardId });
        return result(card);
    }

    @Transaction(false)
    @Returns('string')
    async GetCard(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(CardIdArgs, argsJson);
        return result(await loadCard(ctx, args.cardId));
    }

    @Transaction()
    @Returns('string')
    async SuspendCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'SuspendCard');
        const args = parseArgs(CardStatusArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.ACTIVE], 'suspend');
        return this.#save(ctx, { ...card, status: CardStatus.SUSPENDED, statusReason: args.reason }, EventName.CARD_SUSPENDED);
    }

    /** A lost or stolen device: the citizen's app submits a suspension signed by the device key. */
    @Transaction()
    @Returns('string')
    async SuspendCardByCitizen(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'SuspendCardByCitizen');
        const signed = parseArgs(SignedCardSuspension, argsJson);
        const card = await loadCard(ctx, signed.document.cardId);
        await verifySigned(ctx, card, signed, true);
        this.#requireStatus(card, [CardStatus.ACTIVE], 'suspend');
        return this.#save(ctx, { ...card, status: CardStatus.SUSPENDED, statusReason: signed.document.reason }, EventName.CARD_SUSPENDED);
    }

    @Transaction()
    @Returns('string')
    async ReinstateCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'ReinstateCard');
        const args = parseArgs(CardStatusArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.SUSPENDED], 'reinstate');
        return this.#save(ctx, { ...card, status: CardStatus.ACTIVE, statusReason: args.reason }, EventName.CARD_REINSTATED);
    }

    @Transaction()
    @Returns('string')
    async RevokeCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'RevokeCard');
        const args = parseArgs(CardStatusArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.ACTIVE, CardStatus.SUSPENDED], 'revoke');
        return this.#save(ctx, { ...card, status: CardStatus.REVOKED, statusReason: args.reason }, EventName.CARD_REVOKED);
    }

    /** New expiry counted from the transaction time. */
    @Transaction()
    @Returns('string')
    async RenewCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'RenewCard');
        const args = parseArgs(RenewCardArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.ACTIVE, CardStatus.SUSPENDED], 'renew');
        return this.#save(ctx, { ...card, expiresAt: addYears(txIso(ctx), args.validityYears) }, EventName.CARD_RENEWED);
    }

    /** The citizen moves to a new device: the rotation is signed by the OLD device key. */
    @Transaction()
    @Returns('string')
    async RotateDeviceKey(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'RotateDeviceKey');
        const signed = parseArgs(SignedKeyRotation, argsJson);
        const card = await loadCard(ctx, signed.document.cardId);
        await verifySigned(ctx, card, signed, true);
        requireUsable(card, txIso(ctx));
        return this.#rotate(ctx, card, signed.document.newDevicePublicKey);
    }

    /** The issuer re-binds a card to a new device (e.g. after an in-person identity check). */
    @Transaction()
    @Returns('string')
    async RotateDeviceKeyByIssuer(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'RotateDeviceKeyByIssuer');
        const args = parseArgs(RotateKeyByIssuerArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.ACTIVE, CardStatus.SUSPENDED], 'rotate the device key of');
        return this.#rotate(ctx, { ...card, statusReason: args.reason }, args.newDevicePublicKey);
    }

    /**
     * Erasure step 1, endorsed by SeoulMSP peers (collection policy): purges the personal record and
     * its anchor of a revoked card (PurgePrivateData removes them from the private data store too).
     */
    @Transaction()
    @Returns('string')
    async ErasePersonalRecord(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'ErasePersonalRecord');
        requireIssuerPeer(ctx);
        const args = parseArgs(CardIdArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.REVOKED], 'erase');
        const hash = await ctx.stub.getPrivateDataHash(PERSONAL_DATA_COLLECTION, personalRecordKey(args.cardId));
        if (!hash || hash.length === 0) fail(ErrorCode.RECORD_NOT_FOUND, `no personal record for card ${args.cardId}`);
        await ctx.stub.purgePrivateData(PERSONAL_DATA_COLLECTION, personalRecordKey(args.cardId));
        await ctx.stub.purgePrivateData(PERSONAL_DATA_COLLECTION, commitmentAnchorKey(args.cardId));
        // The texts of the card's objections are the citizen's own words: erased with the record.
        for (const key of await this.#objectionTextKeys(ctx, args.cardId)) {
            const text = await ctx.stub.getPrivateDataHash(PERSONAL_DATA_COLLECTION, key);
            if (text && text.length > 0) await ctx.stub.purgePrivateData(PERSONAL_DATA_COLLECTION, key);
        }
        return result({ cardId: args.cardId, purged: true });
    }

    /** Erasure step 2, endorsed by MAJORITY: records on the public card that the record is gone. */
    @Transaction()
    @Returns('string')
    async ConfirmErasure(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, ISSUER, 'ConfirmErasure');
        const args = parseArgs(CardIdArgs, argsJson);
        const card = await loadCard(ctx, args.cardId);
        this.#requireStatus(card, [CardStatus.REVOKED], 'confirm erasure of');
        for (const key of [
            personalRecordKey(args.cardId),
            commitmentAnchorKey(args.cardId),
            ...(await this.#objectionTextKeys(ctx, args.cardId)),
        ]) {
            const hash = await ctx.stub.getPrivateDataHash(PERSONAL_DATA_COLLECTION, key);
            if (hash && hash.length > 0) fail(ErrorCode.RECORD_EXISTS, `the personal record of card ${args.cardId} is not purged yet`);
        }
        if (card.erasedAt) fail(ErrorCode.CARD_INVALID_STATE, `card ${args.cardId} is already erased`);
        return this.#save(ctx, { ...card, erasedAt: txIso(ctx) }, EventName.CARD_ERASED);
    }

    /**
     * Authentication: the card is usable and the holder signed the verifier's challenge with the
     * device key. Read-only (evaluate); answers with public facts only.
     */
    @Transaction(false)
    @Returns('string')
    async AuthenticateCard(ctx: Context, argsJson: string): Promise<string> {
        const signed = parseArgs(SignedAuthChallenge, argsJson);
        const verifier = ctx.clientIdentity.getMSPID();
        if (signed.document.verifierMspId !== verifier) {
            fail(ErrorCode.SIGNATURE_INVALID, `the challenge was signed for ${signed.document.verifierMspId}, not for ${verifier}`);
        }
        const card = await loadCard(ctx, signed.document.cardId);
        requireUsable(card, txIso(ctx));
        await verifySigned(ctx, card, signed, false);
        return result({
            authenticated: true,
            cardId: card.cardId,
            expiresAt: card.expiresAt,
            status: card.status,
            subjectId: card.subjectId,
        });
    }

    async #objectionTextKeys(ctx: Context, cardId: string): Promise<string[]> {
        return partialKeyAll(ctx, KeyType.OBJECTION_BY_CARD, [cardId], async (kv) =>
            objectionTextKey(ctx.stub.splitCompositeKey(kv.key).attributes[1] as string),
        );
    }

    #requireStatus(card: CitizenCard, allowed: CardStatus[], action: string): void {
        if (allowed.includes(card.status)) return;
        const code = card.status === CardStatus.REVOKED ? ErrorCode.CARD_REVOKED : ErrorCode.CARD_INVALID_STATE;
        fail(code, `cannot ${action} card ${card.cardId} in status ${card.status}`);
    }

    async #rotate(ctx: Context, card: CitizenCard, newKey: string): Promise<string> {
        if (!parseDevicePublicKey(newKey)) fail(ErrorCode.INVALID_ARGUMENT, 'newDevicePublicKey: not a P-256 SubjectPublicKeyInfo');
        if (newKey === card.devicePublicKey) fail(ErrorCode.INVALID_ARGUMENT, 'newDevicePublicKey: equals the current key');
        return this.#save(ctx, { ...card, devicePublicKey: newKey }, EventName.DEVICE_KEY_ROTATED);
    }

    async #save(ctx: Context, card: CitizenCard, event: EventName): Promise<string> {
        const next: CitizenCard = { ...card, version: card.version + 1, updatedAt: txIso(ctx), lastTxId: ctx.stub.getTxID() };
        await putJson(ctx, compositeKey(ctx, KeyType.CARD, [card.cardId]), next);
        emit(ctx, event, { cardId: card.cardId });
        return result(next);
    }
}
