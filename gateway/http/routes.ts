// Every /v1 route: a declaration and a thin handler over the chaincode. The chaincode decides
// (roles, consent, state); the gateway validates shapes, picks the identity and shapes answers.
import * as crypto from 'node:crypto';
import {
    canonicalBytes,
    AccessIdArgs,
    ISSUER_MSP,
    ListMyAccessArgs,
    RegisterServiceArgs,
    RequestAccessArgs,
    SignedAuthChallenge,
    SignedCardSuspension,
    SignedConsentReceipt,
    SignedConsentWithdrawal,
    SignedKeyRotation,
    TRANSIENT_PERSONAL,
    TRANSIENT_SALT_SEED,
    type AccessDecision,
} from '../../chaincode/model';
import { CHAINCODE_FN as F } from '../../chaincode/surface';
import { afterCommit, badRequest, ProblemError } from '../errors';
import {
    type AccessOutcome,
    eligibilityOf,
    evaluateAs,
    pageOf,
    replayAccess,
    requestAndRead,
    stripData,
    submitAs,
    txInfo,
    withData,
} from './handlers';
import { oversightRoutes } from './routes-oversight';
import {
    AuditAccessQuery,
    BlockPath,
    BlocksQuery,
    AuditCountsQuery,
    CardPath,
    ConsentPath,
    ConsentsQuery,
    EligibilityBody,
    EmptyBody,
    HistoryPath,
    IssueCardBody,
    IssuerRotateKeyBody,
    MAX_BLOCK_RANGE,
    PageQuery,
    ReasonBody,
    RenewBody,
    ServicePath,
    ServicesQuery,
    TransactionPath,
    UpdateServiceBody,
} from './dto';
import type { RouteSpec } from './route';
import {
    AccessAnswer,
    AccessEntryAnswer,
    AccessLogPageAnswer,
    BlockAnswer,
    BlocksAnswer,
    CardAnswer,
    CardLogPageAnswer,
    CardCommitted,
    ChainAnswer,
    ConsentAnswer,
    ConsentCommitted,
    ConsentPageAnswer,
    CountsAnswer,
    EligibilityAnswer,
    HistoryAnswer,
    ProofAnswer,
    ServiceAnswer,
    ServiceCommitted,
    ServicePageAnswer,
    VerificationAnswer,
} from './answers';
import { AUDITOR, CITIZEN_AGENT, CONSENT_READERS, ISSUER, SERVICE_ADMINS } from '../../chaincode/model/grants';
import { requireSame } from './validate';

export function v1Routes(): RouteSpec[] {
    const routes: RouteSpec[] = [
        // ---- cards ----
        {
            method: 'post',
            path: '/v1/cards',
            operationId: 'issueCard',
            grants: ISSUER,
            tags: ['cards'],
            callers: 'issuer (SeoulMSP)',
            summary:
                'Issue a card: personal data goes to the issuer peers only, as transient data; the public card holds salted commitments',
            body: IssueCardBody,
            success: { status: 201, description: 'the card as committed', answer: CardCommitted },
            ledger: { submits: [F.issuePersonalRecord, F.createCard] },
            async handle(ctx, { body }: { body: IssueCardBody }) {
                const saltSeed = crypto.randomBytes(32);
                const subjectId = body.subjectId ?? `subj-${crypto.randomBytes(16).toString('hex')}`;
                // Step 1, private: only the issuer's peers see the personal data (transient, never an argument);
                // it answers with the salted commitments. Skipped when a retry resumes step 2 (step 1 committed).
                let commitments: Record<string, string>;
                if (ctx.resuming(F.createCard)) {
                    commitments = {};
                } else {
                    const step1 = await ctx.submit<{ commitments: Record<string, string> }>(
                        F.issuePersonalRecord,
                        { cardId: body.cardId, subjectId },
                        {
                            transient: { [TRANSIENT_PERSONAL]: canonicalBytes({ ...body.personal }), [TRANSIENT_SALT_SEED]: saltSeed },
                            endorsingOrgs: [ISSUER_MSP],
                        },
                    );
                    commitments = step1.result.commitments;
                }
                // Step 2, public: every org's endorser checks the commitments against the private record's hash
                // (committed on Seoul's peer; another org's peer may be a block behind).
                const card = await afterCommit(
                    () =>
                        ctx.submit<unknown>(F.createCard, {
                            cardId: body.cardId,
                            subjectId,
                            devicePublicKey: body.devicePublicKey,
                            validityYears: body.validityYears,
                            commitments,
                        }),
                    ['RECORD_NOT_FOUND'],
                );
                return { status: 201, body: { card: card.result, ...txInfo(card) } };
            },
        },
        {
            method: 'get',
            path: '/v1/cards/:cardId',
            operationId: 'getCard',
            tags: ['cards'],
            callers: 'any app',
            summary: 'A card: status, dates, device public key, commitments (no personal data)',
            params: CardPath,
            success: { status: 200, description: 'the card', answer: CardAnswer },
            ledger: { evaluates: [F.getCard] },
            handle: (ctx, { params }: { params: CardPath }) => evaluateAs(ctx, 'card', F.getCard, { cardId: params.cardId }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/suspend',
            operationId: 'suspendCard',
            grants: ISSUER,
            tags: ['cards'],
            callers: 'issuer',
            summary: 'Suspend a card (issuer)',
            params: CardPath,
            body: ReasonBody,
            success: { status: 200, description: 'the card after the change', answer: CardCommitted },
            ledger: { submits: [F.suspendCard] },
            handle: (ctx, { params, body }: { params: CardPath; body: ReasonBody }) =>
                submitAs(ctx, 'card', F.suspendCard, { cardId: params.cardId, reason: body.reason }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/report-lost',
            operationId: 'reportLostDevice',
            grants: CITIZEN_AGENT,
            tags: ['cards', 'citizen'],
            callers: 'citizen-agent (SeoulMSP)',
            summary: 'Suspend a card by the citizen: a CardSuspension document signed by the device key',
            params: CardPath,
            body: SignedCardSuspension,
            success: { status: 200, description: 'the card after the change', answer: CardCommitted },
            ledger: { submits: [F.suspendCardByCitizen] },
            handle: (ctx, { params, body }: { params: CardPath; body: SignedCardSuspension }) => {
                requireSame('document.cardId', body.document.cardId, params.cardId);
                return submitAs(ctx, 'card', F.suspendCardByCitizen, body);
            },
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/reinstate',
            operationId: 'reinstateCard',
            grants: ISSUER,
            tags: ['cards'],
            callers: 'issuer',
            summary: 'Reinstate a suspended card',
            params: CardPath,
            body: ReasonBody,
            success: { status: 200, description: 'the card after the change', answer: CardCommitted },
            ledger: { submits: [F.reinstateCard] },
            handle: (ctx, { params, body }: { params: CardPath; body: ReasonBody }) =>
                submitAs(ctx, 'card', F.reinstateCard, { cardId: params.cardId, reason: body.reason }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/revoke',
            operationId: 'revokeCard',
            grants: ISSUER,
            tags: ['cards'],
            callers: 'issuer',
            summary: 'Revoke a card (final)',
            params: CardPath,
            body: ReasonBody,
            success: { status: 200, description: 'the card after the change', answer: CardCommitted },
            ledger: { submits: [F.revokeCard] },
            handle: (ctx, { params, body }: { params: CardPath; body: ReasonBody }) =>
                submitAs(ctx, 'card', F.revokeCard, { cardId: params.cardId, reason: body.reason }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/renew',
            operationId: 'renewCard',
            grants: ISSUER,
            tags: ['cards'],
            callers: 'issuer',
            summary: 'Renew a card for a number of years',
            params: CardPath,
            body: RenewBody,
            success: { status: 200, description: 'the card after the change', answer: CardCommitted },
            ledger: { submits: [F.renewCard] },
            handle: (ctx, { params, body }: { params: CardPath; body: RenewBody }) =>
                submitAs(ctx, 'card', F.renewCard, { cardId: params.cardId, validityYears: body.validityYears }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/rotate-key',
            operationId: 'rotateDeviceKey',
            grants: [...CITIZEN_AGENT, ...ISSUER],
            tags: ['cards', 'citizen'],
            callers: 'citizen-agent (signed by the old key) or issuer',
            summary: 'Register a new device key: a KeyRotation signed by the old key, or an issuer decision with a reason',
            params: CardPath,
            bodyAlternatives: {
                pick: (raw) => ('document' in raw || 'signature' in raw ? SignedKeyRotation : IssuerRotateKeyBody),
                classes: [SignedKeyRotation, IssuerRotateKeyBody],
            },
            success: { status: 200, description: 'the card after the change', answer: CardCommitted },
            ledger: { submits: [F.rotateKey, F.rotateKeyByIssuer] },
            handle: (ctx, { params, body }: { params: CardPath; body: SignedKeyRotation | IssuerRotateKeyBody }) => {
                if (body instanceof SignedKeyRotation) {
                    requireSame('document.cardId', body.document.cardId, params.cardId);
                    return submitAs(ctx, 'card', F.rotateKey, body);
                }
                return submitAs(ctx, 'card', F.rotateKeyByIssuer, { cardId: params.cardId, ...body });
            },
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/erase',
            operationId: 'eraseCard',
            grants: ISSUER,
            tags: ['cards'],
            callers: 'issuer',
            summary: "Erase a revoked card's personal data (PurgePrivateData); the public commitments stay",
            params: CardPath,
            body: EmptyBody,
            success: { status: 200, description: 'the card after erasure', answer: CardCommitted },
            ledger: { submits: [F.erasePersonalRecord, F.confirmErasure] },
            async handle(ctx, { params }: { params: CardPath }) {
                // Step 1 purges the private record on the issuer's peers; step 2 records the erasure on the public card.
                if (!ctx.resuming(F.confirmErasure))
                    await ctx.submit(F.erasePersonalRecord, { cardId: params.cardId }, { endorsingOrgs: [ISSUER_MSP] });
                const o = await ctx.submit<unknown>(F.confirmErasure, { cardId: params.cardId });
                return { body: { card: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'get',
            path: '/v1/cards/:cardId/consents',
            operationId: 'listCardConsents',
            grants: CONSENT_READERS,
            tags: ['consents'],
            callers: 'citizen-agent, issuer, auditor',
            summary: "A card's consents, paginated",
            params: CardPath,
            query: PageQuery,
            success: { status: 200, description: 'a page of consents', answer: ConsentPageAnswer },
            ledger: { evaluates: [F.listConsentsByCard] },
            handle: (ctx, { params, query }: { params: CardPath; query: PageQuery }) =>
                evaluateAs(ctx, 'page', F.listConsentsByCard, { cardId: params.cardId, ...pageOf(query) }),
        },
        // ---- authentication and eligibility ----
        {
            method: 'post',
            path: '/v1/cards/:cardId/verify',
            operationId: 'verifyChallenge',
            tags: ['authentication'],
            callers: 'department apps',
            summary:
                "Check that the card is usable (active, not expired) and that its device key signed the challenge for the calling app's org (verifierMspId); nothing is logged",
            params: CardPath,
            body: SignedAuthChallenge,
            success: { status: 200, description: 'the verification result', answer: VerificationAnswer },
            ledger: { evaluates: [F.verifyChallenge] },
            handle: (ctx, { params, body }: { params: CardPath; body: SignedAuthChallenge }) => {
                requireSame('document.cardId', body.document.cardId, params.cardId);
                return evaluateAs(ctx, 'verification', F.verifyChallenge, body);
            },
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/eligibility',
            operationId: 'askEligibility',
            tags: ['authentication'],
            callers: 'department apps',
            summary:
                'Yes/no eligibility questions (age at least N, disability, ...): logged as an access, answered without the data behind them',
            params: CardPath,
            body: EligibilityBody,
            success: { status: 201, description: 'the decision and, when GRANTED, the answers', answer: EligibilityAnswer },
            ledger: { submits: [F.requestAccess], readsForAnswer: [F.readGrantedData] },
            async handle(ctx, { params, body }: { params: CardPath; body: EligibilityBody }) {
                const o = await ctx.submit<AccessDecision>(F.requestAccess, {
                    cardId: params.cardId,
                    serviceId: body.serviceId,
                    purpose: body.purpose,
                    items: [],
                    predicates: body.predicates.map((p) => ({ ...p })),
                    ...(body.consentId ? { consentId: body.consentId } : {}),
                });
                return { status: 201, body: eligibilityOf(await withData(ctx, { ...o.result, ...txInfo(o) })) };
            },
            toStored: stripData,
            replay: async (ctx, stored) => ({ status: 201, body: eligibilityOf(await withData(ctx, stored as AccessOutcome)) }),
        },
        // ---- services ----
        {
            method: 'post',
            path: '/v1/services',
            operationId: 'registerService',
            grants: SERVICE_ADMINS,
            tags: ['services'],
            callers: "issuer, service-admin (MOISMSP's for any org; another org's for its own org only)",
            summary: 'Register a department service: owner org and department, purpose, legal basis, allowed items and predicates',
            body: RegisterServiceArgs,
            success: { status: 201, description: 'the service', answer: ServiceCommitted },
            ledger: { submits: [F.registerService] },
            problems: { 422: ['ORG_NOT_ON_CHANNEL'] },
            async handle(ctx, { body }: { body: RegisterServiceArgs }) {
                // The chaincode cannot read the channel config (cscc refuses chaincode callers): the gateway checks the owner org.
                const orgs = await ctx.channelOrgs();
                if (!orgs.includes(body.ownerMspId)) {
                    throw new ProblemError({
                        status: 422,
                        code: 'ORG_NOT_ON_CHANNEL',
                        title: 'Refused by a ledger rule',
                        detail: `ownerMspId ${body.ownerMspId} is not an org of the channel (its orgs: ${orgs.join(', ')})`,
                    });
                }
                const o = await ctx.submit<unknown>(F.registerService, body);
                return { status: 201, body: { service: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'get',
            path: '/v1/services',
            operationId: 'listServices',
            tags: ['services'],
            callers: 'any app',
            summary: 'Services, optionally of one owner org, paginated',
            query: ServicesQuery,
            success: { status: 200, description: 'a page of services', answer: ServicePageAnswer },
            ledger: { evaluates: [F.listServices] },
            handle: (ctx, { query }: { query: ServicesQuery }) =>
                evaluateAs(ctx, 'page', F.listServices, {
                    ...pageOf(query),
                    ...(query.ownerMspId ? { ownerMspId: query.ownerMspId } : {}),
                }),
        },
        {
            method: 'get',
            path: '/v1/services/:serviceId',
            operationId: 'getService',
            tags: ['services'],
            callers: 'any app',
            summary: 'A service',
            params: ServicePath,
            success: { status: 200, description: 'the service', answer: ServiceAnswer },
            ledger: { evaluates: [F.getService] },
            handle: (ctx, { params }: { params: ServicePath }) => evaluateAs(ctx, 'service', F.getService, { serviceId: params.serviceId }),
        },
        {
            method: 'put',
            path: '/v1/services/:serviceId',
            operationId: 'updateService',
            grants: SERVICE_ADMINS,
            tags: ['services'],
            callers: "issuer, service-admin (MOISMSP's for any org; another org's for its own org's services only)",
            summary: 'Update a service',
            params: ServicePath,
            body: UpdateServiceBody,
            success: { status: 200, description: 'the service', answer: ServiceCommitted },
            ledger: { submits: [F.updateService] },
            handle: (ctx, { params, body }: { params: ServicePath; body: UpdateServiceBody }) =>
                submitAs(ctx, 'service', F.updateService, { serviceId: params.serviceId, ...body }),
        },
        {
            method: 'post',
            path: '/v1/services/:serviceId/deactivate',
            operationId: 'deactivateService',
            grants: SERVICE_ADMINS,
            tags: ['services'],
            callers: "issuer, service-admin (MOISMSP's for any org; another org's for its own org's services only)",
            summary: 'Deactivate a service',
            params: ServicePath,
            body: EmptyBody,
            success: { status: 200, description: 'the service', answer: ServiceCommitted },
            ledger: { submits: [F.deactivateService] },
            handle: (ctx, { params }: { params: ServicePath }) =>
                submitAs(ctx, 'service', F.deactivateService, { serviceId: params.serviceId }),
        },
        // ---- consents ----
        {
            method: 'post',
            path: '/v1/consents',
            operationId: 'grantConsent',
            grants: CITIZEN_AGENT,
            tags: ['consents', 'citizen'],
            callers: 'citizen-agent (SeoulMSP)',
            summary: 'Grant a consent: a ConsentReceipt signed by the device key, verified by the chaincode',
            body: SignedConsentReceipt,
            success: { status: 201, description: 'the consent', answer: ConsentCommitted },
            ledger: { submits: [F.grantConsent] },
            async handle(ctx, { body }: { body: SignedConsentReceipt }) {
                const o = await ctx.submit<unknown>(F.grantConsent, body);
                return { status: 201, body: { consent: o.result, ...txInfo(o) } };
            },
        },
        {
            method: 'get',
            path: '/v1/consents',
            operationId: 'listConsentsByRecipient',
            tags: ['consents'],
            callers: 'the recipient org, auditor',
            summary: 'Consents given to a recipient org, paginated',
            query: ConsentsQuery,
            success: { status: 200, description: 'a page of consents', answer: ConsentPageAnswer },
            ledger: { evaluates: [F.listConsentsByRecipient] },
            handle: (ctx, { query }: { query: ConsentsQuery }) =>
                evaluateAs(ctx, 'page', F.listConsentsByRecipient, { recipientMspId: query.recipientMspId, ...pageOf(query) }),
        },
        {
            method: 'get',
            path: '/v1/consents/:consentId',
            operationId: 'getConsent',
            tags: ['consents'],
            callers: 'citizen-agent, the recipient, auditor',
            summary: 'A consent with its signed receipt',
            params: ConsentPath,
            success: { status: 200, description: 'the consent', answer: ConsentAnswer },
            ledger: { evaluates: [F.getConsent] },
            handle: (ctx, { params }: { params: ConsentPath }) => evaluateAs(ctx, 'consent', F.getConsent, { consentId: params.consentId }),
        },
        {
            method: 'post',
            path: '/v1/consents/:consentId/withdraw',
            operationId: 'withdrawConsent',
            grants: CITIZEN_AGENT,
            tags: ['consents', 'citizen'],
            callers: 'citizen-agent',
            summary: 'Withdraw a consent: a ConsentWithdrawal signed by the device key; effective for every later request',
            params: ConsentPath,
            body: SignedConsentWithdrawal,
            success: { status: 200, description: 'the consent after withdrawal', answer: ConsentCommitted },
            ledger: { submits: [F.withdrawConsent] },
            handle: (ctx, { params, body }: { params: ConsentPath; body: SignedConsentWithdrawal }) => {
                requireSame('document.consentId', body.document.consentId, params.consentId);
                return submitAs(ctx, 'consent', F.withdrawConsent, body);
            },
        },
        // ---- access ----
        {
            method: 'post',
            path: '/v1/access-requests',
            operationId: 'requestAccess',
            tags: ['access'],
            callers: 'department apps',
            summary:
                "Request access to a card's data: commits a GRANTED or DENIED log entry, then reads the granted items once from the issuer peer",
            description:
                'A refusal is a committed DENIED entry, answered 201 with decision DENIED and its reason code. ' +
                'Granted data is returned in this answer only; a replay with the same Idempotency-Key reads it again while the grant is fresh.',
            body: RequestAccessArgs,
            success: { status: 201, description: 'the decision, and the granted data when GRANTED', answer: AccessAnswer },
            ledger: { submits: [F.requestAccess], readsForAnswer: [F.readGrantedData] },
            handle: (ctx, { body }: { body: RequestAccessArgs }) => requestAndRead(ctx, F.requestAccess, body),
            toStored: stripData,
            replay: replayAccess,
        },
        {
            method: 'get',
            path: '/v1/access/:accessId',
            operationId: 'getAccessEntry',
            tags: ['access', 'audit'],
            callers: 'the department that made the request, its org-auditor, auditor',
            summary: 'One access-log entry',
            params: AccessIdArgs,
            success: { status: 200, description: 'the entry', answer: AccessEntryAnswer },
            ledger: { evaluates: [F.getAccess] },
            handle: (ctx, { params }: { params: AccessIdArgs }) => evaluateAs(ctx, 'entry', F.getAccess, { accessId: params.accessId }),
        },
        {
            method: 'get',
            path: '/v1/cards/:cardId/access-log',
            operationId: 'listCardAccessLog',
            grants: AUDITOR,
            tags: ['access', 'audit'],
            callers: 'auditor',
            summary: "A card's access log (auditor), oldest first, paginated",
            params: CardPath,
            query: PageQuery,
            success: {
                status: 200,
                description:
                    "a page of the card's log, oldest first: its entries (a sealed one with its seal's date) and its representatives' acts",
                answer: CardLogPageAnswer,
            },
            ledger: { evaluates: [F.listAccessByCard] },
            handle: (ctx, { params, query }: { params: CardPath; query: PageQuery }) =>
                evaluateAs(ctx, 'page', F.listAccessByCard, { cardId: params.cardId, ...pageOf(query) }),
        },
        {
            method: 'post',
            path: '/v1/cards/:cardId/access-log/query',
            operationId: 'listMyAccessLog',
            grants: CITIZEN_AGENT,
            tags: ['access', 'citizen'],
            callers: 'citizen-agent',
            summary: "The citizen's own access log, oldest first: an AccessLogListRequest signed by the device key, plus paging",
            params: CardPath,
            body: ListMyAccessArgs,
            success: {
                status: 200,
                description:
                    "a page of the card's log as its citizen sees it, oldest first: sealed entries only from their seal date, and the representatives' acts",
                answer: CardLogPageAnswer,
            },
            ledger: { evaluates: [F.listMyAccess] },
            handle: (ctx, { params, body }: { params: CardPath; body: ListMyAccessArgs }) => {
                requireSame('request.document.cardId', body.request.document.cardId, params.cardId);
                return evaluateAs(ctx, 'page', F.listMyAccess, body);
            },
        },
        // ---- audit ----
        {
            method: 'get',
            path: '/v1/audit/access',
            operationId: 'auditAccess',
            tags: ['audit'],
            callers: "auditor; an org's org-auditor for its org; a department app for its own dept (named)",
            summary: 'Access-log entries of an org (and department) over a time range [from, to), optionally by decision',
            description:
                'Without `dept`, or with `decision`, a page may hold fewer than pageSize records (the others are filtered out): follow the bookmark until it is empty.',
            query: AuditAccessQuery,
            success: { status: 200, description: 'a page of access-log entries', answer: AccessLogPageAnswer },
            ledger: { evaluates: [F.listAccessByCaller] },
            handle: (ctx, { query }: { query: AuditAccessQuery }) => evaluateAs(ctx, 'page', F.listAccessByCaller, { ...query }),
        },
        {
            method: 'get',
            path: '/v1/audit/access/counts',
            operationId: 'auditAccessCounts',
            tags: ['audit'],
            callers: "auditor; an org's org-auditor for its org; a department app for its own dept (named)",
            summary: 'GRANTED and DENIED counts of an org per department over a time range [from, to)',
            query: AuditCountsQuery,
            success: { status: 200, description: 'the counts', answer: CountsAnswer },
            ledger: { evaluates: [F.countAccess] },
            handle: (ctx, { query }: { query: AuditCountsQuery }) => evaluateAs(ctx, 'counts', F.countAccess, { ...query }),
        },
        {
            method: 'get',
            path: '/v1/audit/history/:kind/:id',
            operationId: 'auditHistory',
            grants: AUDITOR,
            tags: ['audit'],
            callers: 'auditor',
            summary: 'Every committed version of a card, consent, service or access entry',
            params: HistoryPath,
            success: { status: 200, description: "the history, newest first (as Fabric returns a key's history)", answer: HistoryAnswer },
            ledger: { evaluates: [F.getHistory] },
            handle: (ctx, { params }: { params: HistoryPath }) =>
                evaluateAs(ctx, 'history', F.getHistory, { kind: params.kind, id: params.id }),
        },
        {
            method: 'get',
            path: '/v1/transactions/:txId',
            operationId: 'transactionProof',
            tags: ['audit'],
            callers: 'any app',
            summary: 'Proof of a transaction: block number, validation code, endorsing orgs, creator org and time',
            params: TransactionPath,
            success: { status: 200, description: 'the proof', answer: ProofAnswer },
            ledger: {},
            problems: { 404: ['TX_NOT_FOUND'] },
            handle: async (ctx, { params }: { params: TransactionPath }) => ({ body: { proof: await ctx.proof(params.txId) } }),
        },
        // ---- blocks (the explorer; every org's peer holds the whole chain) ----
        {
            method: 'get',
            path: '/v1/chain',
            operationId: 'chainInfo',
            tags: ['blocks'],
            callers: 'any app',
            summary: "The channel's height and the hash of its last block header",
            success: { status: 200, description: 'the chain info', answer: ChainAnswer },
            ledger: {},
            handle: async (ctx) => ({ body: { chain: await ctx.chainInfo() } }),
        },
        {
            method: 'get',
            path: '/v1/blocks',
            operationId: 'listBlocks',
            tags: ['blocks'],
            callers: 'any app',
            summary: `Blocks from..to-1 (at most ${MAX_BLOCK_RANGE}, and none past the chain's height): header hashes and transactions without their envelopes`,
            query: BlocksQuery,
            success: { status: 200, description: 'the blocks, lowest number first, up to the chain height', answer: BlocksAnswer },
            ledger: {},
            handle: async (ctx, { query }: { query: BlocksQuery }) => {
                if (query.to <= query.from || query.to - query.from > MAX_BLOCK_RANGE) {
                    throw badRequest([{ field: 'query.to', constraints: { range: `to must be in (from, from + ${MAX_BLOCK_RANGE}]` } }]);
                }
                const info = await ctx.chainInfo();
                const to = Math.min(query.to, Number(info.height));
                const blocks = [];
                for (let n = query.from; n < to; n++) {
                    const b = await ctx.block(BigInt(n));
                    blocks.push({ ...b, transactions: b.transactions.map(({ envelope: _e, ...t }) => t) });
                }
                return { body: { chain: info, blocks } };
            },
        },
        {
            method: 'get',
            path: '/v1/blocks/:blockNumber',
            operationId: 'getBlock',
            tags: ['blocks'],
            callers: 'any app',
            summary:
                'One block: header (number, previous hash, data hash), transactions with validation codes, endorsing orgs and envelopes',
            params: BlockPath,
            success: { status: 200, description: 'the block', answer: BlockAnswer },
            ledger: {},
            problems: { 404: ['BLOCK_NOT_FOUND'] },
            handle: async (ctx, { params }: { params: BlockPath }) => ({ body: { block: await ctx.block(BigInt(params.blockNumber)) } }),
        },
        ...oversightRoutes(),
    ];
    return routes;
}
