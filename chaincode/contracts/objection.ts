// ObjectionContract (issue 24): a citizen who sees an access in the tracker that looks wrong
// objects to it with a short text; the audit office lists open objections and records a finding
// (UPHELD or REJECTED, with a text); the department the entry names and the citizen see it. All of
// it on the ledger and signed by the parties: the citizen's (or representative's) device key signs
// the objection, the auditor's certificate the finding.
//
// The citizen's text is free text, and people write personal details into free text (their
// illness, their address, their name). Rule 1 keeps it off the shared ledger: the device signs a
// salted hash of it, the text itself travels as transient data to the issuer's peers only and is
// kept in the issuer's private collection, like the personal record (two steps, as the card issue;
// purged with the personal record on erasure). The auditor and the citizen's app read it on a
// Seoul peer, sealed to a one-time key, as ReadGrantedData answers.

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType, objectionAnchorKey, objectionTextKey } from '../keys.js';
import {
    BaseContract,
    caller,
    compositeKey,
    decodeJson,
    emit,
    getJson,
    loadCard,
    localClock,
    partialKeyPage,
    putIndex,
    putJson,
    requireCaller,
    requireIssuerPeer,
    result,
    txIso,
    txTime,
    verifySigned,
} from '../ledger.js';
import type { AccessLogEntry, Objection, ObjectionText } from '../model/assets.js';
import { canonicalBytes } from '../model/canonical.js';
import { sha256Hex, textCommitment } from '../model/commitments.js';
import {
    ListObjectionsByCallerArgs,
    ListObjectionsByCardArgs,
    ListObjectionsByStatusArgs,
    ObjectionIdArgs,
    ObjectionTextDto,
    RecordFindingArgs,
} from '../model/dto.js';
import { AUDITOR, CITIZEN_AGENT, CONSENT_READERS } from '../model/grants.js';
import { sealJson } from '../model/sealed.js';
import { SignedObjection, documentHash, type ObjectionDoc, type RepresentativeDoc } from '../model/signed.js';
import { requireOfficialText } from '../model/text.js';
import { parseArgs } from '../model/validate.js';
import {
    ObjectionStatus,
    PERSONAL_DATA_COLLECTION,
    PROPOSAL_MAX_SKEW_SECONDS,
    RepresentationAct,
    TRANSIENT_OBJECTION_TEXT,
    TRANSIENT_RESPONSE_KEY,
} from '../model/vocabulary.js';
import { citizenView, requireAccessReader } from './access.js';
import { requireCaseReader } from './oversight.js';
import { countInReport } from './report.js';
import { logRepresentativeAct, requireRepresentativePower } from './representation.js';

export async function loadObjection(ctx: Context, objectionId: string): Promise<Objection> {
    const o = await getJson<Objection>(ctx, compositeKey(ctx, KeyType.OBJECTION, [objectionId]));
    if (!o) fail(ErrorCode.OBJECTION_NOT_FOUND, `objection ${objectionId} does not exist`);
    return o;
}

/** The card the objection is for: the signer's own, or the represented card (both representation members, or neither). */
function subjectCard(doc: ObjectionDoc): string {
    if ((doc.representationId === undefined) !== (doc.representedCardId === undefined)) {
        fail(ErrorCode.INVALID_ARGUMENT, 'document.representationId and document.representedCardId: both or neither');
    }
    return doc.representedCardId ?? doc.cardId;
}

function anchorBytes(objectionId: string, textHash: string): Buffer {
    return canonicalBytes({ objectionId, textHash });
}

@Info({ title: 'ObjectionContract', description: "Citizens' objections to access entries and the audit office's findings" })
export class ObjectionContract extends BaseContract {
    constructor() {
        super('ObjectionContract');
    }

    /**
     * Objection step 1, endorsed by SeoulMSP peers only (collection endorsement policy): the text
     * and its salt come in transient `objectionText`; they must hash to the signed `textHash`.
     * Writes only the private text and its anchor; the signed objection is filed in step 2.
     */
    @Transaction()
    @Returns('string')
    async PrepareObjection(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'PrepareObjection');
        requireIssuerPeer(ctx);
        const signed = parseArgs(SignedObjection, argsJson);
        const doc = signed.document;
        const cardId = subjectCard(doc);
        const signer = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, signer, signed, false);
        const bytes = ctx.stub.getTransient().get(TRANSIENT_OBJECTION_TEXT);
        if (!bytes || bytes.length === 0) fail(ErrorCode.TRANSIENT_MISSING, `transient '${TRANSIENT_OBJECTION_TEXT}' is required`);
        const text = parseArgs(ObjectionTextDto, Buffer.from(bytes).toString('utf8'));
        if (textCommitment(text.text, text.salt) !== doc.textHash) {
            fail(ErrorCode.OBJECTION_TEXT_MISMATCH, 'the transient text does not hash to the signed textHash');
        }
        const objectionId = documentHash(doc);
        const record: ObjectionText = { objectionId, cardId, text: text.text, salt: text.salt };
        await ctx.stub.putPrivateData(PERSONAL_DATA_COLLECTION, objectionTextKey(objectionId), canonicalBytes(record));
        await ctx.stub.putPrivateData(PERSONAL_DATA_COLLECTION, objectionAnchorKey(objectionId), anchorBytes(objectionId, doc.textHash));
        return result({ objectionId, anchorHash: sha256Hex(anchorBytes(objectionId, doc.textHash)) });
    }

    /**
     * Objection step 2, endorsed by MAJORITY: the signed objection to an entry of the card's log
     * that the citizen can see (a sealed entry before its date is ACCESS_NOT_FOUND, as to the
     * citizen it does not exist), whose text the issuer's peer holds (checked by hash). A
     * representative objects with scope `object`; the act is in the citizen's log.
     */
    @Transaction()
    @Returns('string')
    async FileObjection(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CITIZEN_AGENT, 'FileObjection');
        const signed = parseArgs(SignedObjection, argsJson);
        const doc = signed.document;
        const cardId = subjectCard(doc);
        const signer = await loadCard(ctx, doc.cardId);
        await verifySigned(ctx, signer, signed, true);
        const representation =
            doc.representationId === undefined
                ? undefined
                : (await requireRepresentativePower(ctx, doc as RepresentativeDoc, RepresentationAct.OBJECT)).representation;
        const entry = await getJson<AccessLogEntry>(ctx, compositeKey(ctx, KeyType.ACCESS, [doc.accessId]));
        if (!entry || entry.cardId !== cardId || !(await citizenView(ctx, entry))) {
            fail(ErrorCode.ACCESS_NOT_FOUND, `access ${doc.accessId} is not in the log of card ${cardId}`);
        }
        const objectionId = documentHash(doc);
        const onLedger = await ctx.stub.getPrivateDataHash(PERSONAL_DATA_COLLECTION, objectionAnchorKey(objectionId));
        if (!onLedger || onLedger.length === 0)
            fail(ErrorCode.OBJECTION_TEXT_NOT_FOUND, `the text of objection ${objectionId} is not prepared`);
        if (Buffer.from(onLedger).toString('hex') !== sha256Hex(anchorBytes(objectionId, doc.textHash))) {
            fail(ErrorCode.OBJECTION_TEXT_MISMATCH, `the prepared text of objection ${objectionId} has another hash`);
        }
        const key = compositeKey(ctx, KeyType.OBJECTION, [objectionId]);
        if ((await ctx.stub.getState(key)).length > 0) fail(ErrorCode.OBJECTION_EXISTS, `objection ${objectionId} already exists`);
        const now = txIso(ctx);
        const objection: Objection = {
            docType: 'objection',
            objectionId,
            accessId: entry.accessId,
            cardId,
            serviceId: entry.serviceId,
            callerMspId: entry.callerMspId,
            callerDept: entry.callerDept,
            textHash: doc.textHash,
            filedAt: now,
            filedBy: { cardId: doc.cardId, representationId: doc.representationId },
            status: ObjectionStatus.OPEN,
            receipt: { document: doc, signature: signed.signature },
            version: 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, key, objection);
        await putIndex(ctx, compositeKey(ctx, KeyType.OBJECTION_BY_STATUS, [objection.status, now, objectionId]));
        await putIndex(ctx, compositeKey(ctx, KeyType.OBJECTION_BY_CARD, [cardId, objectionId]));
        await putIndex(ctx, compositeKey(ctx, KeyType.OBJECTION_BY_CALLER, [entry.callerMspId, entry.callerDept, objectionId]));
        await countInReport(ctx, entry, { objections: 1 });
        if (representation) {
            await logRepresentativeAct(ctx, representation, RepresentationAct.OBJECT, {
                objectionId,
                accessId: entry.accessId,
                serviceId: entry.serviceId,
            });
        }
        emit(ctx, EventName.OBJECTION_FILED, { objectionId, accessId: entry.accessId, cardId });
        return result(objection);
    }

    /** The audit office's finding on an open objection: UPHELD or REJECTED, a finding code and a (public, screened) text. */
    @Transaction()
    @Returns('string')
    async RecordFinding(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, AUDITOR, 'RecordFinding');
        const args = parseArgs(RecordFindingArgs, argsJson);
        requireOfficialText(args.text, 'text');
        const o = await loadObjection(ctx, args.objectionId);
        if (o.status !== ObjectionStatus.OPEN) fail(ErrorCode.OBJECTION_DECIDED, `objection ${o.objectionId} is already ${o.status}`);
        const entry = await getJson<AccessLogEntry>(ctx, compositeKey(ctx, KeyType.ACCESS, [o.accessId]));
        if (entry) await countInReport(ctx, entry, { findings: 1 });
        const now = txIso(ctx);
        const next: Objection = {
            ...o,
            status: args.outcome,
            finding: {
                outcome: args.outcome,
                findingCode: args.findingCode,
                text: args.text,
                at: now,
                auditorId: c.id,
                txId: ctx.stub.getTxID(),
            },
            version: o.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.OBJECTION, [o.objectionId]), next);
        await ctx.stub.deleteState(compositeKey(ctx, KeyType.OBJECTION_BY_STATUS, [o.status, o.filedAt, o.objectionId]));
        await putIndex(ctx, compositeKey(ctx, KeyType.OBJECTION_BY_STATUS, [next.status, o.filedAt, o.objectionId]));
        emit(ctx, EventName.OBJECTION_DECIDED, { objectionId: o.objectionId, accessId: o.accessId, cardId: o.cardId });
        return result(next);
    }

    /** An objection and its finding: auditors, the citizen's app, and the department the entry names (and its org-auditor). */
    @Transaction(false)
    @Returns('string')
    async GetObjection(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ObjectionIdArgs, argsJson);
        const o = await loadObjection(ctx, args.objectionId);
        requireCaseReader(caller(ctx), o.callerMspId, o.callerDept, 'GetObjection');
        return result(o);
    }

    /** The audit office's work list: objections of one status (OPEN), oldest first. */
    @Transaction(false)
    @Returns('string')
    async ListObjectionsByStatus(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, AUDITOR, 'ListObjectionsByStatus');
        const args = parseArgs(ListObjectionsByStatusArgs, argsJson);
        return result(await this.#page(ctx, KeyType.OBJECTION_BY_STATUS, [args.status], 2, args.pageSize, args.bookmark));
    }

    /** A card's objections with their findings: the citizen's app, the issuer and auditors (as a card's consents). */
    @Transaction(false)
    @Returns('string')
    async ListObjectionsByCard(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, CONSENT_READERS, 'ListObjectionsByCard');
        const args = parseArgs(ListObjectionsByCardArgs, argsJson);
        return result(await this.#page(ctx, KeyType.OBJECTION_BY_CARD, [args.cardId], 1, args.pageSize, args.bookmark));
    }

    /** The objections to a department's entries (a department names its own dept; the org-auditor may list every dept). */
    @Transaction(false)
    @Returns('string')
    async ListObjectionsByCaller(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ListObjectionsByCallerArgs, argsJson);
        requireAccessReader(caller(ctx), args.mspId, args.dept, 'ListObjectionsByCaller');
        const attrs = args.dept === undefined ? [args.mspId] : [args.mspId, args.dept];
        return result(await this.#page(ctx, KeyType.OBJECTION_BY_CALLER, attrs, 2, args.pageSize, args.bookmark));
    }

    /**
     * The objection's text, for the auditor deciding it and the citizen's app: evaluated on a
     * SeoulMSP peer (the only holder), sealed to the one-time transient `responseKey`, within the
     * peer's clock as ReadGrantedData (a submitted call would put only ciphertext in a block).
     */
    @Transaction(false)
    @Returns('string')
    async ReadObjectionText(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, [...AUDITOR, ...CITIZEN_AGENT], 'ReadObjectionText');
        requireIssuerPeer(ctx);
        const args = parseArgs(ObjectionIdArgs, argsJson);
        const key = ctx.stub.getTransient().get(TRANSIENT_RESPONSE_KEY);
        if (key?.length !== 32) fail(ErrorCode.TRANSIENT_MISSING, `transient '${TRANSIENT_RESPONSE_KEY}' of 32 bytes is required`);
        if (Math.abs(localClock.now() - txTime(ctx).getTime()) > PROPOSAL_MAX_SKEW_SECONDS * 1000) {
            fail(
                ErrorCode.PROPOSAL_TIME_INVALID,
                `the proposal timestamp is more than ${PROPOSAL_MAX_SKEW_SECONDS}s from the peer's clock`,
            );
        }
        const o = await loadObjection(ctx, args.objectionId);
        const bytes = await ctx.stub.getPrivateData(PERSONAL_DATA_COLLECTION, objectionTextKey(o.objectionId));
        if (!bytes || bytes.length === 0)
            fail(ErrorCode.OBJECTION_TEXT_NOT_FOUND, `the text of objection ${o.objectionId} is gone (erased)`);
        const text = decodeJson<ObjectionText>(bytes);
        return result({
            objectionId: o.objectionId,
            sealed: sealJson({ objectionId: o.objectionId, text: text.text }, key, ctx.stub.getTxID(), o.objectionId),
        });
    }

    async #page(ctx: Context, index: string, attrs: string[], idAt: number, pageSize?: number, bookmark?: string) {
        return partialKeyPage(ctx, index, attrs, pageSize, bookmark, async (kv) => {
            const { attributes } = ctx.stub.splitCompositeKey(kv.key);
            return getJson<Objection>(ctx, compositeKey(ctx, KeyType.OBJECTION, [attributes[idAt] as string]));
        });
    }
}
