// The /v1 routes of issue 24: legal representatives (a child's minority, representations, the
// representative's signed acts), sealed (investigation) and break-glass (emergency) accesses, the
// audit office's decisions (seals, review cases, break-glass blocks, objections' findings), the
// citizen's objections and the transparency report. As every route: the chaincode decides (roles,
// signatures, powers, dates from the transaction time); the gateway validates shapes, picks the
// identity, sends personal data (a birth date never, an objection's text) only as transient data
// to the issuer's peers, and keeps none of it in its idempotency store or log.
import * as crypto from 'node:crypto';
import {
    AccessIdArgs,
    canonicalBytes,
    daysBetween,
    DeptArgs,
    ISSUER_MSP,
    ListAccessAsRepresentativeArgs,
    ListMyRepresentationsArgs,
    ListObjectionsByCallerArgs,
    ListObjectionsByStatusArgs,
    ListReviewsArgs,
    minoritySeeds,
    ObjectionIdArgs,
    openJson,
    ownToken,
    powerToken,
    RecordRepresentationArgs,
    ReportMonthArgs,
    RepresentationBasis,
    RepresentationStatus,
    MinorityStatus,
    RequestEmergencyAccessArgs,
    RequestSealedAccessArgs,
    ReviewIdArgs,
    seoulDate,
    SignedMinorityEnd,
    SignedRepresentativeConsentReceipt,
    SignedRepresentativeConsentWithdrawal,
    TRANSIENT_CHAIN_SEED,
    TRANSIENT_OBJECTION_TEXT,
    TRANSIENT_RESPONSE_KEY,
    type Minority,
    type Page,
    type Representation,
    type SealedBox,
} from '../../chaincode/model';
import { AUDITOR, CITIZEN_AGENT, CONSENT_READERS, ISSUER, REPRESENTATION_READERS } from '../../chaincode/model/grants';
import { CHAINCODE_FN as F } from '../../chaincode/surface';
import { afterCommit, toProblem } from '../errors';
import {
    AccessAnswer,
    BreakGlassAnswer,
    BreakGlassCommitted,
    CardLogPageAnswer,
    ConsentCommitted,
    MinorityAnswer,
    MinorityCommitted,
    MyMinorityAnswer,
    MyRepresentationsAnswer,
    ObjectionAnswer,
    ObjectionCommitted,
    ObjectionPageAnswer,
    ObjectionTextAnswer,
    PolicyAnswer,
    ReportAnswer,
    RepresentationAnswer,
    RepresentationCommitted,
    RepresentationPageAnswer,
    ReviewAnswer,
    ReviewCommitted,
    ReviewPageAnswer,
    RollUpAnswer,
    SealAnswer,
    SealCommitted,
} from './answers';
import {
    CardPath,
    CardRepresentationsQuery,
    ClearBreakGlassBody,
    DecideReviewBody,
    EmptyBody,
    ExtendSealBody,
    FileObjectionBody,
    MyMinorityBody,
    PageQuery,
    RecordFindingBody,
    ReportQuery,
    RepresentationConsentPath,
    RepresentationPath,
    RevokeRepresentationBody,
} from './dto';
import { evaluateAs, pageOf, replayAccess, reportMonth, requestAndRead, stripData, submitAs, txInfo } from './handlers';
import type { CallContext, RouteSpec } from './route';
import { requireSame } from './validate';

/** The day index of today's Seoul date in a minority's chains (the proposals the gateway sends carry the same clock). */
const minorityDay = (ctx: CallContext, m: Minority) => daysBetween(m.startDate, seoulDate(ctx.now()));

export function oversightRoutes(): RouteSpec[] {
    return [
        // ---- a child's minority (the issuer's desk; the child's own key at 14) ----
        {
            method: 'post',
            path: '/v1/cards/:cardId/minority',
            operationId: 'recordMinority',
            grants: ISSUER,
            tags: ['representatives'],
            callers: 'issuer (SeoulMSP)',
            summary:
                "Record a child's minority (under 14): Seoul's peer turns the private birth date into two hash-chain anchors, which every org's endorser then checks by hash; no date reaches the ledger",
            description:
                'Two transactions, as a card issue: PrepareMinority on the issuer peers only, with a chain seed as transient data (derived ' +
                "from this gateway's own secret, never stored or sent elsewhere), then RecordMinority by every org. A child of 14 or " +
                'older is refused NOT_A_MINOR. Then record the representations (basis MINOR_UNDER_14).',
            params: CardPath,
            body: EmptyBody,
            success: { status: 201, description: 'the minority as committed (its anchors, no date of birth)', answer: MinorityCommitted },
            ledger: { submits: [F.prepareMinority, F.recordMinority] },
            async handle(ctx, { params }: { params: CardPath }) {
                let anchors = { startDate: '', powerAnchor: '', ownAnchor: '' };
                // Skipped when a retry resumes step 2 (step 1 committed); the resumed transaction has its own arguments.
                if (!ctx.resuming(F.recordMinority)) {
                    const step1 = await ctx.submit<typeof anchors>(
                        F.prepareMinority,
                        { cardId: params.cardId },
                        { transient: { [TRANSIENT_CHAIN_SEED]: await ctx.chainSeed(params.cardId) }, endorsingOrgs: [ISSUER_MSP] },
                    );
                    anchors = {
                        startDate: step1.result.startDate,
                        powerAnchor: step1.result.powerAnchor,
                        ownAnchor: step1.result.ownAnchor,
                    };
                }
                // Another org's peer may be a block behind Seoul's (the private anchor's hash).
                const o = await afterCommit(
                    () => ctx.submit<unknown>(F.recordMinority, { cardId: params.cardId, ...anchors }),
                    ['RECORD_NOT_FOUND'],
                );
                return { status: 201, body: { minority: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'get',
            path: '/v1/cards/:cardId/minority',
            operationId: 'getMinority',
            grants: REPRESENTATION_READERS,
            tags: ['representatives'],
            callers: 'issuer, citizen-agent, auditor',
            summary: "A card's minority: its anchors and status (ENDED once the child's own key took over); no date",
            params: CardPath,
            success: { status: 200, description: 'the minority', answer: MinorityAnswer },
            ledger: { evaluates: [F.getMinority] },
            handle: (ctx, { params }: { params: CardPath }) => evaluateAs(ctx, 'minority', F.getMinority, { cardId: params.cardId }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/minority/query',
            operationId: 'myMinority',
            grants: CITIZEN_AGENT,
            tags: ['representatives', 'citizen'],
            callers: 'citizen-agent',
            summary:
                "The child's own minority, with a RepresentationListRequest signed by the child's device key; from the 14th birthday on, today's token that ends it (EndMinority)",
            description:
                "The signature is checked by the chaincode (ListMyRepresentations). The token exists only from the 14th birthday (the Seoul date of the gateway's clock): before it, `endMinorityToken` is absent.",
            params: CardPath,
            body: MyMinorityBody,
            success: { status: 200, description: "the minority and, once the child is 14, today's token", answer: MyMinorityAnswer },
            ledger: { evaluates: [F.listMyRepresentations, F.getMinority] },
            async handle(ctx, { params, body }: { params: CardPath; body: MyMinorityBody }) {
                requireSame('request.document.cardId', body.request.document.cardId, params.cardId);
                // The chaincode checks the child's own signature; the answer (who represents the child) is not needed.
                await ctx.evaluate(F.listMyRepresentations, { request: body.request, side: 'represented', pageSize: 1, bookmark: '' });
                const minority = await ctx.evaluate<Minority>(F.getMinority, { cardId: params.cardId });
                const token =
                    minority.status === MinorityStatus.ACTIVE
                        ? ownToken(
                              minoritySeeds(await ctx.chainSeed(params.cardId), params.cardId).ownSeed,
                              minority.ownAnchor,
                              minorityDay(ctx, minority),
                          )
                        : undefined;
                return { body: { minority, ...(token ? { endMinorityToken: token } : {}) } };
            },
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/minority/end',
            operationId: 'endMinority',
            grants: CITIZEN_AGENT,
            tags: ['representatives', 'citizen'],
            callers: 'citizen-agent',
            summary:
                "At 14 the child's own key takes over: a MinorityEnd signed by the child's device key with today's own-chain token; every MINOR_UNDER_14 representation of the card ends",
            params: CardPath,
            body: SignedMinorityEnd,
            success: { status: 200, description: 'the minority, ENDED', answer: MinorityCommitted },
            ledger: { submits: [F.endMinority] },
            handle: (ctx, { params, body }: { params: CardPath; body: SignedMinorityEnd }) => {
                requireSame('document.cardId', body.document.cardId, params.cardId);
                return submitAs(ctx, 'minority', F.endMinority, body);
            },
        },
        // ---- representations (the issuer records them; the representative acts with their own device key) ----
        {
            method: 'post',
            path: '/v1/representations',
            operationId: 'recordRepresentation',
            grants: ISSUER,
            tags: ['representatives'],
            callers: 'issuer (SeoulMSP)',
            summary:
                "Record a legal representation: who (the representative's own card) represents whom (the represented card), on what basis (MINOR_UNDER_14, or GUARDIANSHIP with the court's end date) and for which acts",
            body: RecordRepresentationArgs,
            success: { status: 201, description: 'the representation', answer: RepresentationCommitted },
            ledger: { submits: [F.recordRepresentation] },
            async handle(ctx, { body }: { body: RecordRepresentationArgs }) {
                const o = await ctx.submit<unknown>(F.recordRepresentation, body);
                return { status: 201, body: { representation: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'get',
            path: '/v1/representations/:representationId',
            operationId: 'getRepresentation',
            grants: REPRESENTATION_READERS,
            tags: ['representatives'],
            callers: 'issuer, citizen-agent, auditor',
            summary: 'A representation, with its status now (ENDED past a guardianship’s end or a minority)',
            params: RepresentationPath,
            success: { status: 200, description: 'the representation', answer: RepresentationAnswer },
            ledger: { evaluates: [F.getRepresentation] },
            handle: (ctx, { params }: { params: RepresentationPath }) =>
                evaluateAs(ctx, 'representation', F.getRepresentation, { representationId: params.representationId }),
        },
        {
            method: 'post',
            path: '/v1/representations/:representationId/revoke',
            operationId: 'revokeRepresentation',
            grants: ISSUER,
            tags: ['representatives'],
            callers: 'issuer (SeoulMSP)',
            summary: 'End a representation before its time (a court order, a new guardian, a recording error)',
            params: RepresentationPath,
            body: RevokeRepresentationBody,
            success: { status: 200, description: 'the representation, REVOKED', answer: RepresentationCommitted },
            ledger: { submits: [F.revokeRepresentation] },
            handle: (ctx, { params, body }: { params: RepresentationPath; body: RevokeRepresentationBody }) =>
                submitAs(ctx, 'representation', F.revokeRepresentation, { representationId: params.representationId, reason: body.reason }),
        },
        {
            method: 'get',
            path: '/v1/cards/:cardId/representations',
            operationId: 'listCardRepresentations',
            grants: [...ISSUER, ...AUDITOR],
            tags: ['representatives'],
            callers: 'issuer, auditor',
            summary: 'The representations a card holds (side representative) or that are held for it (side represented), paginated',
            params: CardPath,
            query: CardRepresentationsQuery,
            success: { status: 200, description: 'a page of representations', answer: RepresentationPageAnswer },
            ledger: { evaluates: [F.listRepresentationsByCard] },
            handle: (ctx, { params, query }: { params: CardPath; query: CardRepresentationsQuery }) =>
                evaluateAs(ctx, 'page', F.listRepresentationsByCard, { cardId: params.cardId, side: query.side, ...pageOf(query) }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/representations/query',
            operationId: 'listMyRepresentations',
            grants: CITIZEN_AGENT,
            tags: ['representatives', 'citizen'],
            callers: 'citizen-agent',
            summary:
                "Whom the card's holder represents and what they may do (side representative, the default), or who represents them: a RepresentationListRequest signed by the holder's device key",
            description:
                "For each MINOR_UNDER_14 representation in force, `minorityTokens` holds the child's in-force token of today's Seoul date, " +
                "which the representative's documents carry (`minorityToken`); none once the child has turned 14. The gateway derives it " +
                'from its own secret and gives it only to the representative’s signed request.',
            params: CardPath,
            body: ListMyRepresentationsArgs,
            success: { status: 200, description: "a page of representations, with today's tokens", answer: MyRepresentationsAnswer },
            ledger: { evaluates: [F.listMyRepresentations, F.getMinority] },
            async handle(ctx, { params, body }: { params: CardPath; body: ListMyRepresentationsArgs }) {
                requireSame('request.document.cardId', body.request.document.cardId, params.cardId);
                const page = await ctx.evaluate<Page<Representation>>(F.listMyRepresentations, { ...body });
                const minorityTokens: Record<string, string> = {};
                if ((body.side ?? 'representative') === 'representative') {
                    const minorities = new Map<string, Minority>();
                    for (const r of page.records ?? []) {
                        if (r.basis !== RepresentationBasis.MINOR_UNDER_14 || r.status !== RepresentationStatus.ACTIVE) continue;
                        const cardId = r.representedCardId;
                        const m = minorities.get(cardId) ?? (await ctx.evaluate<Minority>(F.getMinority, { cardId }));
                        minorities.set(cardId, m);
                        if (m.status !== MinorityStatus.ACTIVE) continue;
                        const token = powerToken(
                            minoritySeeds(await ctx.chainSeed(cardId), cardId).powerSeed,
                            m.powerAnchor,
                            minorityDay(ctx, m),
                        );
                        if (token) minorityTokens[r.representationId] = token;
                    }
                }
                return { body: { page, minorityTokens } };
            },
        },
        {
            method: 'post',
            path: '/v1/representations/:representationId/consents',
            operationId: 'grantConsentAsRepresentative',
            grants: CITIZEN_AGENT,
            tags: ['representatives', 'citizen'],
            callers: 'citizen-agent',
            summary:
                "A legal representative consents for the represented citizen: a RepresentativeConsentReceipt signed by the representative's own device key, checked by every endorser with the representation's power",
            params: RepresentationPath,
            body: SignedRepresentativeConsentReceipt,
            success: { status: 201, description: 'the consent (with the representation that gave it)', answer: ConsentCommitted },
            ledger: { submits: [F.grantConsentAsRepresentative] },
            async handle(ctx, { params, body }: { params: RepresentationPath; body: SignedRepresentativeConsentReceipt }) {
                requireSame('document.representationId', body.document.representationId, params.representationId);
                const o = await ctx.submit<unknown>(F.grantConsentAsRepresentative, body);
                return { status: 201, body: { consent: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'post',
            path: '/v1/representations/:representationId/consents/:consentId/withdraw',
            operationId: 'withdrawConsentAsRepresentative',
            grants: CITIZEN_AGENT,
            tags: ['representatives', 'citizen'],
            callers: 'citizen-agent',
            summary: "A legal representative withdraws a consent of the represented citizen: signed by the representative's device key",
            params: RepresentationConsentPath,
            body: SignedRepresentativeConsentWithdrawal,
            success: { status: 200, description: 'the consent after withdrawal', answer: ConsentCommitted },
            ledger: { submits: [F.withdrawConsentAsRepresentative] },
            handle: (ctx, { params, body }: { params: RepresentationConsentPath; body: SignedRepresentativeConsentWithdrawal }) => {
                requireSame('document.representationId', body.document.representationId, params.representationId);
                requireSame('document.consentId', body.document.consentId, params.consentId);
                return submitAs(ctx, 'consent', F.withdrawConsentAsRepresentative, body);
            },
        },
        {
            method: 'post',
            path: '/v1/representations/:representationId/access-log/query',
            operationId: 'listAccessLogAsRepresentative',
            grants: CITIZEN_AGENT,
            tags: ['representatives', 'citizen'],
            callers: 'citizen-agent',
            summary:
                "The represented citizen's access log as the citizen sees it (sealed entries only from their seal date), oldest first: a RepresentativeAccessLogListRequest signed by the representative's key",
            description:
                'An evaluation records nothing on the ledger: the gateway logs each such reading (representation and cards, no content).',
            params: RepresentationPath,
            body: ListAccessAsRepresentativeArgs,
            success: { status: 200, description: 'a page of the log: entries and representatives’ acts', answer: CardLogPageAnswer },
            ledger: { evaluates: [F.listAccessLogAsRepresentative] },
            async handle(ctx, { params, body }: { params: RepresentationPath; body: ListAccessAsRepresentativeArgs }) {
                const doc = body.request.document;
                requireSame('request.document.representationId', doc.representationId, params.representationId);
                const page = await ctx.evaluate<unknown>(F.listAccessLogAsRepresentative, body);
                ctx.log.info('representative read an access log', {
                    representationId: doc.representationId,
                    representativeCardId: doc.cardId,
                    representedCardId: doc.representedCardId,
                });
                return { body: { page } };
            },
        },
        // ---- sealed (investigation) and break-glass (emergency) accesses ----
        {
            method: 'post',
            path: '/v1/access-requests/sealed',
            operationId: 'requestSealedAccess',
            tags: ['access'],
            callers: 'department apps with a service of basis investigation',
            summary:
                'An investigation service’s access, sealed from the citizen until sealedUntil (at most the channel’s sealMaxDays ahead); auditors see it at once. Then the granted items, read once',
            description:
                'A refusal by a rule is a committed DENIED entry (201). A seal longer than the maximum is refused SEAL_TOO_LONG, and nothing is written. ' +
                'Granted data is in this answer only; a replay with the same Idempotency-Key reads it again while the grant is fresh.',
            body: RequestSealedAccessArgs,
            success: { status: 201, description: 'the decision, and the granted data when GRANTED', answer: AccessAnswer },
            ledger: { submits: [F.requestSealedAccess], readsForAnswer: [F.readGrantedData] },
            handle: (ctx, { body }: { body: RequestSealedAccessArgs }) => requestAndRead(ctx, F.requestSealedAccess, body),
            toStored: stripData,
            replay: replayAccess,
        },
        {
            method: 'post',
            path: '/v1/access-requests/emergency',
            operationId: 'requestEmergencyAccess',
            tags: ['access'],
            callers: 'department apps with a service of basis emergency',
            summary:
                'Break-glass: an emergency service releases data without consent, with a reason code and the department’s incident reference; flagged, shown to the citizen at once, reviewed by the audit office',
            description:
                'Without reasonCode and incidentRef, or past the department’s monthly limit (then blocked until an auditor clears it), it is a committed DENIED entry (201). ' +
                'Granted data is in this answer only; a replay with the same Idempotency-Key reads it again while the grant is fresh.',
            body: RequestEmergencyAccessArgs,
            success: { status: 201, description: 'the decision, and the granted data when GRANTED', answer: AccessAnswer },
            ledger: { submits: [F.requestEmergencyAccess], readsForAnswer: [F.readGrantedData] },
            handle: (ctx, { body }: { body: RequestEmergencyAccessArgs }) => requestAndRead(ctx, F.requestEmergencyAccess, body),
            toStored: stripData,
            replay: replayAccess,
        },
        // ---- the audit office: policy, seals, review cases, break-glass blocks ----
        {
            method: 'get',
            path: '/v1/policy',
            operationId: 'getPolicy',
            tags: ['oversight'],
            callers: 'any app',
            summary:
                "The channel's policy: the longest seal, the monthly break-glass limit, the report's suppression threshold, the minority age",
            success: { status: 200, description: 'the policy', answer: PolicyAnswer },
            ledger: { evaluates: [F.getPolicy] },
            handle: (ctx) => evaluateAs(ctx, 'policy', F.getPolicy, {}),
        },
        {
            method: 'get',
            path: '/v1/seals/:accessId',
            operationId: 'getSeal',
            tags: ['oversight'],
            callers: 'auditor; the department of the entry and its org-auditor',
            summary: 'The seal of a sealed entry: until when, and every extension an auditor decided',
            params: AccessIdArgs,
            success: { status: 200, description: 'the seal', answer: SealAnswer },
            ledger: { evaluates: [F.getSeal] },
            handle: (ctx, { params }: { params: AccessIdArgs }) => evaluateAs(ctx, 'seal', F.getSeal, { accessId: params.accessId }),
        },
        {
            method: 'post',
            path: '/v1/seals/:accessId/extend',
            operationId: 'extendSeal',
            grants: AUDITOR,
            tags: ['oversight'],
            callers: 'auditor (AuditMSP)',
            summary:
                "Extend a seal while it holds, by the audit office's decision (recorded with the auditor and the decision's reference)",
            params: AccessIdArgs,
            body: ExtendSealBody,
            success: { status: 200, description: 'the seal after the extension', answer: SealCommitted },
            ledger: { submits: [F.extendSeal] },
            handle: (ctx, { params, body }: { params: AccessIdArgs; body: ExtendSealBody }) =>
                submitAs(ctx, 'seal', F.extendSeal, { accessId: params.accessId, ...body }),
        },
        {
            method: 'get',
            path: '/v1/reviews',
            operationId: 'listReviews',
            grants: AUDITOR,
            tags: ['oversight'],
            callers: 'auditor',
            summary: 'Break-glass review cases of one status (OPEN: the audit office’s work list), oldest first, paginated',
            query: ListReviewsArgs,
            success: { status: 200, description: 'a page of review cases', answer: ReviewPageAnswer },
            ledger: { evaluates: [F.listReviews] },
            handle: (ctx, { query }: { query: ListReviewsArgs }) =>
                evaluateAs(ctx, 'page', F.listReviews, { status: query.status, ...pageOf(query) }),
        },
        {
            method: 'get',
            path: '/v1/reviews/:reviewId',
            operationId: 'getReview',
            tags: ['oversight'],
            callers: 'auditor, citizen-agent, the department that broke the glass and its org-auditor',
            summary: 'A break-glass review case and its decision',
            params: ReviewIdArgs,
            success: { status: 200, description: 'the review case', answer: ReviewAnswer },
            ledger: { evaluates: [F.getReview] },
            handle: (ctx, { params }: { params: ReviewIdArgs }) => evaluateAs(ctx, 'review', F.getReview, { reviewId: params.reviewId }),
        },
        {
            method: 'post',
            path: '/v1/reviews/:reviewId/decision',
            operationId: 'decideReview',
            grants: AUDITOR,
            tags: ['oversight'],
            callers: 'auditor (AuditMSP)',
            summary:
                'Decide a break-glass review case: CLEARED (justified) or UPHELD (it was not), a finding code and an optional public text',
            params: ReviewIdArgs,
            body: DecideReviewBody,
            success: { status: 200, description: 'the review case, decided', answer: ReviewCommitted },
            ledger: { submits: [F.decideReview] },
            handle: (ctx, { params, body }: { params: ReviewIdArgs; body: DecideReviewBody }) =>
                submitAs(ctx, 'review', F.decideReview, { reviewId: params.reviewId, ...body }),
        },
        {
            method: 'get',
            path: '/v1/break-glass/:mspId/:dept',
            operationId: 'getBreakGlassStatus',
            tags: ['oversight'],
            callers: 'auditor; the department itself and its org-auditor',
            summary: "A department's break-glass accesses this Seoul month, its allowance and whether it is blocked",
            params: DeptArgs,
            success: { status: 200, description: 'the break-glass state', answer: BreakGlassAnswer },
            ledger: { evaluates: [F.getBreakGlassStatus] },
            handle: (ctx, { params }: { params: DeptArgs }) =>
                evaluateAs(ctx, 'breakGlass', F.getBreakGlassStatus, { mspId: params.mspId, dept: params.dept }),
        },
        {
            method: 'post',
            path: '/v1/break-glass/:mspId/:dept/clear',
            operationId: 'clearBreakGlassBlock',
            grants: AUDITOR,
            tags: ['oversight'],
            callers: 'auditor (AuditMSP)',
            summary:
                "Lift a department's break-glass block by the audit office's decision: it may break the glass again, up to another monthly limit",
            params: DeptArgs,
            body: ClearBreakGlassBody,
            success: { status: 200, description: 'the break-glass state after the clearance', answer: BreakGlassCommitted },
            ledger: { submits: [F.clearBreakGlassBlock] },
            handle: (ctx, { params, body }: { params: DeptArgs; body: ClearBreakGlassBody }) =>
                submitAs(ctx, 'breakGlass', F.clearBreakGlassBlock, {
                    mspId: params.mspId,
                    dept: params.dept,
                    decisionRef: body.decisionRef,
                }),
        },
        // ---- objections ----
        {
            method: 'post',
            path: '/v1/objections',
            operationId: 'fileObjection',
            grants: CITIZEN_AGENT,
            tags: ['objections', 'citizen'],
            callers: 'citizen-agent',
            summary:
                "The citizen (or a representative with scope object) objects to an entry of the card's log: an Objection signed by the device key with the salted hash of the text; the text goes to Seoul's peers only, as transient data",
            description:
                'The gateway first checks the objection as FileObjection would (signature, power, the entry visible to the citizen), then ' +
                "submits PrepareObjection to the issuer peers with the text in the transient map (the issuer's private collection keeps it), " +
                'then FileObjection by every org, which checks the text by its hash. The text is in no argument, answer, log line or idempotency record.',
            body: FileObjectionBody,
            success: { status: 201, description: 'the objection as filed (the text’s hash only)', answer: ObjectionCommitted },
            ledger: { submits: [F.prepareObjection, F.fileObjection], evaluates: [F.fileObjection] },
            async handle(ctx, { body }: { body: FileObjectionBody }) {
                const signed = { document: body.document, signature: body.signature };
                let prepared = ctx.resuming(F.fileObjection);
                if (!prepared) {
                    // Before any text is written: an objection the ledger would refuse (another card's or an unseen entry,
                    // no power, a bad signature) must leave no text behind, where erasure would not find it.
                    try {
                        await ctx.evaluate(F.fileObjection, signed);
                        prepared = true; // a retry: the text is on Seoul's peers already
                    } catch (err) {
                        if (toProblem(err).code !== 'OBJECTION_TEXT_NOT_FOUND') throw err;
                    }
                }
                if (!prepared) {
                    const { text, salt } = body.objectionText;
                    await ctx.submit(F.prepareObjection, signed, {
                        transient: { [TRANSIENT_OBJECTION_TEXT]: canonicalBytes({ salt, text }) },
                        endorsingOrgs: [ISSUER_MSP],
                    });
                }
                // Another org's peer may be a block behind Seoul's (the text's anchor).
                const o = await afterCommit(() => ctx.submit<unknown>(F.fileObjection, signed), ['OBJECTION_TEXT_NOT_FOUND']);
                return { status: 201, body: { objection: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'get',
            path: '/v1/objections',
            operationId: 'listObjections',
            grants: AUDITOR,
            tags: ['objections'],
            callers: 'auditor',
            summary: 'Objections of one status (OPEN: the audit office’s work list), oldest first, paginated',
            query: ListObjectionsByStatusArgs,
            success: { status: 200, description: 'a page of objections', answer: ObjectionPageAnswer },
            ledger: { evaluates: [F.listObjectionsByStatus] },
            handle: (ctx, { query }: { query: ListObjectionsByStatusArgs }) =>
                evaluateAs(ctx, 'page', F.listObjectionsByStatus, { status: query.status, ...pageOf(query) }),
        },
        {
            method: 'get',
            path: '/v1/objections/:objectionId',
            operationId: 'getObjection',
            tags: ['objections'],
            callers: 'auditor, citizen-agent, the department the entry names and its org-auditor',
            summary: 'An objection and its finding (the text’s hash, not the text)',
            params: ObjectionIdArgs,
            success: { status: 200, description: 'the objection', answer: ObjectionAnswer },
            ledger: { evaluates: [F.getObjection] },
            handle: (ctx, { params }: { params: ObjectionIdArgs }) =>
                evaluateAs(ctx, 'objection', F.getObjection, { objectionId: params.objectionId }),
        },
        {
            method: 'get',
            path: '/v1/objections/:objectionId/text',
            operationId: 'readObjectionText',
            grants: [...AUDITOR, ...CITIZEN_AGENT],
            tags: ['objections'],
            callers: 'auditor, citizen-agent',
            summary: "An objection's text as the citizen wrote it: read from Seoul's peer (its only holder), sealed to a one-time key",
            description: 'Personal data: in this answer only, never logged or stored by the gateway.',
            params: ObjectionIdArgs,
            success: { status: 200, description: 'the text', answer: ObjectionTextAnswer },
            ledger: { evaluates: [F.readObjectionText] },
            async handle(ctx, { params }: { params: ObjectionIdArgs }) {
                const key = crypto.randomBytes(32);
                // The objection committed on this org's peer; the issuer's peer may be a block behind.
                const answer = await afterCommit(
                    () =>
                        ctx.evaluate<{ objectionId: string; sealed: SealedBox }>(
                            F.readObjectionText,
                            { objectionId: params.objectionId },
                            { targetOrgs: [ISSUER_MSP], transient: { [TRANSIENT_RESPONSE_KEY]: key } },
                        ),
                    ['OBJECTION_NOT_FOUND'],
                );
                const opened = openJson<{ objectionId: string; text: string }>(answer.sealed, key, params.objectionId);
                return { body: { objectionText: { objectionId: opened.objectionId, text: opened.text } } };
            },
        },
        {
            method: 'post',
            path: '/v1/objections/:objectionId/finding',
            operationId: 'recordFinding',
            grants: AUDITOR,
            tags: ['objections'],
            callers: 'auditor (AuditMSP)',
            summary:
                'Record the audit office’s finding on an open objection: UPHELD (the access was wrong) or REJECTED, a finding code and a public text',
            params: ObjectionIdArgs,
            body: RecordFindingBody,
            success: { status: 200, description: 'the objection with its finding', answer: ObjectionCommitted },
            ledger: { submits: [F.recordFinding] },
            handle: (ctx, { params, body }: { params: ObjectionIdArgs; body: RecordFindingBody }) =>
                submitAs(ctx, 'objection', F.recordFinding, { objectionId: params.objectionId, ...body }),
        },
        {
            method: 'get',
            path: '/v1/cards/:cardId/objections',
            operationId: 'listCardObjections',
            grants: CONSENT_READERS,
            tags: ['objections', 'citizen'],
            callers: 'citizen-agent, issuer, auditor',
            summary: "A card's objections with their findings, paginated",
            params: CardPath,
            query: PageQuery,
            success: { status: 200, description: 'a page of objections', answer: ObjectionPageAnswer },
            ledger: { evaluates: [F.listObjectionsByCard] },
            handle: (ctx, { params, query }: { params: CardPath; query: PageQuery }) =>
                evaluateAs(ctx, 'page', F.listObjectionsByCard, { cardId: params.cardId, ...pageOf(query) }),
        },
        {
            method: 'get',
            path: '/v1/audit/objections',
            operationId: 'listDepartmentObjections',
            tags: ['objections', 'audit'],
            callers: "auditor; an org's org-auditor for its org; a department app for its own dept (named)",
            summary: "The objections to an org's (and department's) entries, with their findings, paginated",
            query: ListObjectionsByCallerArgs,
            success: { status: 200, description: 'a page of objections', answer: ObjectionPageAnswer },
            ledger: { evaluates: [F.listObjectionsByCaller] },
            handle: (ctx, { query }: { query: ListObjectionsByCallerArgs }) =>
                evaluateAs(ctx, 'page', F.listObjectionsByCaller, {
                    mspId: query.mspId,
                    ...(query.dept ? { dept: query.dept } : {}),
                    ...pageOf(query),
                }),
        },
        // ---- the transparency report ----
        {
            method: 'get',
            path: '/v1/reports/transparency',
            operationId: 'transparencyReport',
            tags: ['reports'],
            callers: 'any app (and the public, at /public/transparency without a key)',
            summary:
                'One Seoul month’s aggregate counts per org, department, service and basis (accesses, denials, sealed, break-glass, objections, findings), counts below the threshold as null',
            query: ReportQuery,
            success: { status: 200, description: 'the report', answer: ReportAnswer },
            ledger: { evaluates: [F.transparencyReport] },
            handle: (ctx, { query }: { query: ReportQuery }) =>
                evaluateAs(ctx, 'report', F.transparencyReport, { month: reportMonth(query.month, ctx.now()) }),
        },
        {
            method: 'post',
            path: '/v1/reports/transparency/roll-up',
            operationId: 'rollUpReport',
            grants: [...AUDITOR, ...ISSUER],
            tags: ['reports'],
            callers: 'auditor, issuer',
            summary:
                "Fold up to 500 of a month's counted transactions into its summary (the periodic job); call again while `more` is true",
            description:
                'The roll-up is evaluated first: with nothing to fold, nothing is submitted (no transaction, no empty block) and the answer has no transactionId.',
            body: ReportMonthArgs,
            success: { status: 200, description: 'what was folded, and where it committed', answer: RollUpAnswer },
            ledger: { evaluates: [F.rollUpReport], submits: [F.rollUpReport] },
            async handle(ctx, { body }: { body: ReportMonthArgs }) {
                const arg = { month: body.month };
                if (!ctx.resuming(F.rollUpReport)) {
                    const preview = await ctx.evaluate<{ folded: number }>(F.rollUpReport, arg);
                    if (preview.folded === 0) return { body: { rollUp: preview } };
                }
                return submitAs(ctx, 'rollUp', F.rollUpReport, arg);
            },
        },
    ];
}
