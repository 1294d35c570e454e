// Every answer the gateways give is the one their OpenAPI documents declare: a citizen's journey
// through every /v1 route, the stream and the probes, at the four orgs' gateways over one ledger
// that runs the real chaincode (ledger-fabric.ts). Each answer is checked against the operation's
// declared schema (ajv, with the document's components: additionalProperties false everywhere) and
// against its answer class (class-validator, strictly); each route's calls to the chaincode against
// the functions it declares (the source of its documented problems).
import { expect } from 'chai';
import request from 'supertest';
import { AppStore } from '../../../gateway/auth/store';
import { DeviceKey, newNonce } from '../../../gateway/citizen/device';
import { openDb, type Db, SqliteStore } from '../../../gateway/store/sqlite';
import { basicPensionServiceBody, cardIssueBody, SAMPLE_PERSONAL, serviceBody } from '../../../scripts/demo';
import { registerChaincodeCodes } from '../../../gateway/errors';
import { CardCommitted, strictErrors } from '../../../gateway/http/answers';
import { createApp, type GatewayApp } from '../../../gateway/http/app';
import { buildOpenApi } from '../../../gateway/http/openapi';
import { OPS_ROUTES } from '../../../gateway/http/ops';
import type { RouteSpec } from '../../../gateway/http/route';
import { v1Routes } from '../../../gateway/http/routes';
import { STREAM_ROUTE } from '../../../gateway/http/sse';
import { IdempotencyStore } from '../../../gateway/idempotency/store';
import { createMetrics } from '../../../gateway/metrics';
import { CHAINCODE_HTTP_STATUS } from '../../../gateway/status-table';
import { silentLogger } from '../../../network/client/logger';
import { TestNet } from '../chaincode/harness';
import { tmpDbFile } from './fixture';
import { LedgerFabric } from './ledger-fabric';
import { DocumentCheck } from './openapi-check';

interface Gateway {
    gw: GatewayApp;
    db: Db;
    check: DocumentCheck;
    keys: Record<string, string>;
}

describe('gateway answers are the documented ones (the real chaincode, every route)', () => {
    let net: TestNet;
    let fabric: LedgerFabric;
    let everything: DocumentCheck;
    const gateways: Record<string, Gateway> = {};
    /** The chaincode functions each operation called, over the journey. */
    const called: Record<string, Set<string>> = {};
    /** Statuses answered per operation. */
    const answered: Record<string, Set<number>> = {};

    before(async () => {
        registerChaincodeCodes(CHAINCODE_HTTP_STATUS);
        everything = new DocumentCheck(buildOpenApi(v1Routes(), { version: '1.0.0' }));
        net = await TestNet.create();
        const ids = net.ids;
        fabric = new LedgerFabric(net, {
            issuer1: ids.issuer,
            'citizen-agent': ids.citizen,
            'service-admin1': ids.serviceAdmin,
            welfare: ids.welfare,
            'mohw-org-auditor': ids.mohwOrgAuditor,
            auditor1: ids.auditor,
            // An investigation department (MOIS) and an emergency department (MOHW), and the gateways' own identity.
            investigator: ids.resReg,
            emergency: ids.pension,
            User1: ids.seoulUser,
        });
        const apps: Record<string, { name: string; identity: string; role: string; dept?: string }[]> = {
            SeoulMSP: [
                { name: 'issuer-desk', identity: 'issuer1', role: 'issuer' },
                { name: 'citizen-app', identity: 'citizen-agent', role: 'citizen-agent' },
            ],
            MOISMSP: [
                { name: 'services', identity: 'service-admin1', role: 'service-admin' },
                { name: 'police', identity: 'investigator', role: 'department', dept: 'resident-registration' },
            ],
            MOHWMSP: [
                { name: 'welfare-portal', identity: 'welfare', role: 'department', dept: 'welfare' },
                { name: 'mohw-audit', identity: 'mohw-org-auditor', role: 'org-auditor' },
                { name: 'emergency-room', identity: 'emergency', role: 'department', dept: 'pension' },
            ],
            AuditMSP: [{ name: 'audit-office', identity: 'auditor1', role: 'auditor' }],
        };
        for (const [mspId, list] of Object.entries(apps)) {
            const db = openDb(tmpDbFile());
            const store = new SqliteStore(db);
            const keys: Record<string, string> = {};
            for (const a of list) keys[a.name] = await new AppStore(store).create({ ...a, mspId }).then((c) => c.apiKey);
            const gw = createApp({
                mspId,
                fabric,
                apps: new AppStore(store),
                store,
                log: silentLogger,
                metrics: createMetrics(),
                idempotency: new IdempotencyStore(store, { ttlMs: 3600_000 }),
                orgs: Object.keys(apps),
                issuer: mspId === 'SeoulMSP',
                now: () => new Date(net.now),
            });
            gateways[mspId] = { gw, db, check: new DocumentCheck(gw.openapi), keys };
        }
    });
    after(() => {
        for (const g of Object.values(gateways)) g.db.close();
    });

    const routeOf = (gw: GatewayApp, operationId: string): RouteSpec => {
        const r = gw.routes.find((x) => x.operationId === operationId);
        if (!r) throw new Error(`no route ${operationId}`);
        return r;
    };

    /** Calls an operation as an app of an org's gateway and checks the answer against that gateway's document. */
    async function call(
        mspId: string,
        app: string,
        operationId: string,
        url: string,
        body?: object,
        opts: { status?: number; headers?: Record<string, string> } = {},
    ): Promise<request.Response> {
        const g = gateways[mspId] as Gateway;
        // A route the org's apps may not call is left out of its document, but still answers (a refusal): the full document says how.
        const check = g.check.has(operationId) ? g.check : everything;
        const { method } = check.operation(operationId);
        const before = fabric.calls.length;
        let req = request(g.gw.app)[method as 'get' | 'post' | 'put'](url).set('Authorization', `Bearer ${g.keys[app]}`);
        for (const [k, v] of Object.entries(opts.headers ?? {})) req = req.set(k, v);
        const res = await (body === undefined ? req : req.send(body));
        const route = g.gw.routes.find((r) => r.operationId === operationId);
        expect(res.status, `${operationId}: ${JSON.stringify(res.body)}`).to.equal(opts.status ?? route?.success.status ?? 200);
        check.expectAnswer(operationId, res, route && res.status < 300 ? route.success.answer : undefined);
        const fns = called[operationId] ?? new Set<string>();
        for (const c of fabric.calls.slice(before)) fns.add(c.fn);
        called[operationId] = fns;
        answered[operationId] = new Set([...(answered[operationId] ?? []), res.status]);
        return res;
    }

    it('Given the journey of a card, Then every answer matches its declared schema and class, and each route calls exactly the functions it declares', async () => {
        const device = DeviceKey.generate();
        const replacement = DeviceKey.generate();
        const third = DeviceKey.generate();
        const childDevice = DeviceKey.generate();
        const parentDevice = DeviceKey.generate();
        for (const d of [device, replacement, third, childDevice, parentDevice]) d.now = () => new Date(net.now);
        const card = 'card-0001';
        const range = 'from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00%2B09:00';

        // Cards and services.
        await call('SeoulMSP', 'issuer-desk', 'issueCard', '/v1/cards', cardIssueBody(card, device.publicKeyBase64()));
        await call('MOHWMSP', 'welfare-portal', 'getCard', `/v1/cards/${card}`);
        const pensionPurpose = 'Basic pension eligibility check';
        await call(
            'MOISMSP',
            'services',
            'registerService',
            '/v1/services',
            basicPensionServiceBody('svc-pension', pensionPurpose, {
                items: ['name', 'birthDate'],
                predicates: ['ageAtLeast', 'lowIncome'],
            }),
        );
        const housing = { items: ['address'], predicates: ['lowIncome'], legalBasis: 'Housing Benefit Act' };
        await call(
            'MOISMSP',
            'services',
            'registerService',
            '/v1/services',
            serviceBody({ ownerMspId: 'MOHWMSP', dept: 'welfare', name: 'Housing benefit' }, 'svc-housing', 'Housing benefit', housing),
        );
        await call('MOHWMSP', 'welfare-portal', 'listServices', '/v1/services?pageSize=1');
        await call('MOHWMSP', 'welfare-portal', 'listServices', '/v1/services?ownerMspId=MOHWMSP');
        await call('MOHWMSP', 'welfare-portal', 'getService', '/v1/services/svc-pension');
        await call('MOISMSP', 'services', 'updateService', '/v1/services/svc-housing', {
            name: 'Housing benefit',
            purpose: 'Housing benefit',
            ...housing,
            items: ['address', 'district'],
        });

        // Consent and access.
        const consent = await call(
            'SeoulMSP',
            'citizen-app',
            'grantConsent',
            '/v1/consents',
            device.consent({
                cardId: card,
                serviceId: 'svc-pension',
                recipientMspId: 'MOHWMSP',
                purpose: pensionPurpose,
                items: ['name', 'birthDate'],
                predicates: ['ageAtLeast'],
                retentionDays: 30,
            }),
        );
        const consentId = consent.body.consent.consentId as string;
        await call('SeoulMSP', 'citizen-app', 'listCardConsents', `/v1/cards/${card}/consents`);
        await call('MOHWMSP', 'welfare-portal', 'listConsentsByRecipient', '/v1/consents?recipientMspId=MOHWMSP');
        await call('MOHWMSP', 'welfare-portal', 'getConsent', `/v1/consents/${consentId}`);
        const ask = {
            cardId: card,
            serviceId: 'svc-pension',
            purpose: pensionPurpose,
            items: ['name', 'birthDate'],
            predicates: [{ name: 'ageAtLeast', value: 65 }],
        };
        const granted = await call(
            'MOHWMSP',
            'welfare-portal',
            'requestAccess',
            '/v1/access-requests',
            { ...ask, consentId },
            { headers: { 'Idempotency-Key': 'pension-0001' } },
        );
        expect(granted.body).to.deep.include({ decision: 'GRANTED', reason: 'CONSENT' });
        expect(granted.body.data.items).to.deep.equal({ name: 'Hong Gildong', birthDate: '1955-03-01' });
        expect(granted.body.data.predicates).to.deep.equal({ 'ageAtLeast:65': true });
        // A replay reads the granted data again (the store kept none).
        const replay = await call(
            'MOHWMSP',
            'welfare-portal',
            'requestAccess',
            '/v1/access-requests',
            { ...ask, consentId },
            { headers: { 'Idempotency-Key': 'pension-0001' } },
        );
        expect(replay.headers['idempotent-replayed']).to.equal('true');
        expect(replay.body.data).to.deep.equal(granted.body.data);
        const denied = await call('MOHWMSP', 'welfare-portal', 'requestAccess', '/v1/access-requests', ask);
        expect(denied.body).to.deep.include({ decision: 'DENIED', reason: 'CONSENT_REQUIRED' });
        expect(denied.body).not.to.have.any.keys('data', 'dataError');
        const eligibility = await call(
            'MOHWMSP',
            'welfare-portal',
            'askEligibility',
            `/v1/cards/${card}/eligibility`,
            { serviceId: 'svc-housing', purpose: 'Housing benefit', predicates: [{ name: 'lowIncome' }] },
            { headers: { 'Idempotency-Key': 'housing-0001' } },
        );
        expect(eligibility.body).to.deep.include({ decision: 'GRANTED', reason: 'LEGAL_BASIS', answers: { lowIncome: true } });
        // The predicates' answers are not kept either: a replay asks them again.
        const again = await call(
            'MOHWMSP',
            'welfare-portal',
            'askEligibility',
            `/v1/cards/${card}/eligibility`,
            { serviceId: 'svc-housing', purpose: 'Housing benefit', predicates: [{ name: 'lowIncome' }] },
            { headers: { 'Idempotency-Key': 'housing-0001' } },
        );
        expect(again.body).to.deep.equal(eligibility.body);
        const stored = gateways.MOHWMSP?.db.prepare('SELECT response FROM idempotency').all() as { response: string }[];
        expect(stored.map((r) => r.response).join('\n')).not.to.match(/Hong Gildong|lowIncome|1955-03-01/);
        await call(
            'MOHWMSP',
            'welfare-portal',
            'verifyChallenge',
            `/v1/cards/${card}/verify`,
            device.signChallenge(card, newNonce(), 'MOHWMSP'),
        );
        await call('MOHWMSP', 'welfare-portal', 'getAccessEntry', `/v1/access/${granted.body.accessId}`);
        await call('MOHWMSP', 'mohw-audit', 'auditAccess', `/v1/audit/access?mspId=MOHWMSP&${range}`);

        // Audit, proofs and blocks.
        await call('AuditMSP', 'audit-office', 'listCardAccessLog', `/v1/cards/${card}/access-log?pageSize=2`);
        await call('AuditMSP', 'audit-office', 'auditAccess', `/v1/audit/access?mspId=MOHWMSP&dept=welfare&decision=GRANTED&${range}`);
        const counts = await call('AuditMSP', 'audit-office', 'auditAccessCounts', `/v1/audit/access/counts?mspId=MOHWMSP&${range}`);
        expect(counts.body.counts).to.deep.include({ granted: 2, denied: 1, byDept: { welfare: { granted: 2, denied: 1 } } });
        for (const [kind, id] of [
            ['card', card],
            ['service', 'svc-housing'],
            ['consent', consentId],
            ['access', granted.body.accessId],
        ])
            await call('AuditMSP', 'audit-office', 'auditHistory', `/v1/audit/history/${kind}/${id}`);
        await call('AuditMSP', 'audit-office', 'transactionProof', `/v1/transactions/${granted.body.transactionId}`);
        const chain = await call('AuditMSP', 'audit-office', 'chainInfo', '/v1/chain');
        await call('AuditMSP', 'audit-office', 'listBlocks', `/v1/blocks?from=0&to=${Number(chain.body.chain.height) + 5}`);
        await call('AuditMSP', 'audit-office', 'getBlock', '/v1/blocks/0');
        await call('AuditMSP', 'audit-office', 'getBlock', '/v1/blocks/1');
        const stream = await request(gateways.AuditMSP?.gw.app)
            .get(`/v1/cards/${card}/access-log/stream`)
            .set('Authorization', `Bearer ${gateways.AuditMSP?.keys['audit-office']}`);
        expect(stream.status).to.equal(200);
        gateways.AuditMSP?.check.expectAnswer(STREAM_ROUTE.operationId, stream);

        // Issue 24. A child's minority and its legal representative (the parent's own card and key).
        const child = 'card-child';
        const parentCard = 'card-parent';
        const childPersonal = { ...SAMPLE_PERSONAL, name: 'Hong Gilsun', birthDate: '2015-03-01', residentNumber: '150301-4234567' };
        await call('SeoulMSP', 'issuer-desk', 'issueCard', '/v1/cards', cardIssueBody(child, childDevice.publicKeyBase64(), childPersonal));
        await call('SeoulMSP', 'issuer-desk', 'issueCard', '/v1/cards', cardIssueBody(parentCard, parentDevice.publicKeyBase64()));
        const minority = await call('SeoulMSP', 'issuer-desk', 'recordMinority', `/v1/cards/${child}/minority`, {});
        expect(JSON.stringify(minority.body)).not.to.contain('2015-03-01');
        await call('SeoulMSP', 'issuer-desk', 'getMinority', `/v1/cards/${child}/minority`);
        const representationId = 'rep-child-0001';
        await call('SeoulMSP', 'issuer-desk', 'recordRepresentation', '/v1/representations', {
            representationId,
            representedCardId: child,
            representativeCardId: parentCard,
            basis: 'MINOR_UNDER_14',
            scope: ['consent', 'withdraw', 'viewLog', 'object'],
        });
        await call('SeoulMSP', 'citizen-app', 'getRepresentation', `/v1/representations/${representationId}`);
        await call('SeoulMSP', 'issuer-desk', 'listCardRepresentations', `/v1/cards/${child}/representations?side=represented`);
        const mine = await call('SeoulMSP', 'citizen-app', 'listMyRepresentations', `/v1/cards/${parentCard}/representations/query`, {
            request: parentDevice.representationListRequest(parentCard),
        });
        expect(mine.body.page.records.map((r: { representationId: string }) => r.representationId)).to.deep.equal([representationId]);
        const acting = { representationId, representedCardId: child, minorityToken: mine.body.minorityTokens[representationId] };
        expect(acting.minorityToken).to.match(/^[0-9a-f]{64}$/);
        const parent = parentDevice.asRepresentative(parentCard);
        const childConsent = await call(
            'SeoulMSP',
            'citizen-app',
            'grantConsentAsRepresentative',
            `/v1/representations/${representationId}/consents`,
            parent.consent(acting, {
                serviceId: 'svc-pension',
                recipientMspId: 'MOHWMSP',
                purpose: pensionPurpose,
                items: ['name'],
                retentionDays: 30,
            }),
        );
        expect(childConsent.body.consent.representation).to.deep.equal({ representationId, representativeCardId: parentCard });
        const childConsentId = childConsent.body.consent.consentId as string;
        await call('MOHWMSP', 'welfare-portal', 'getConsent', `/v1/consents/${childConsentId}`);
        await call('MOHWMSP', 'welfare-portal', 'requestAccess', '/v1/access-requests', {
            cardId: child,
            serviceId: 'svc-pension',
            purpose: pensionPurpose,
            items: ['name'],
            predicates: [],
            consentId: childConsentId,
        });
        const childLog = await call(
            'SeoulMSP',
            'citizen-app',
            'listAccessLogAsRepresentative',
            `/v1/representations/${representationId}/access-log/query`,
            { request: parent.accessLogRequest(acting), pageSize: 10 },
        );
        expect(childLog.body.page.records.map((r: { docType: string }) => r.docType)).to.deep.equal(['representativeAct', 'access']);
        await call(
            'SeoulMSP',
            'citizen-app',
            'withdrawConsentAsRepresentative',
            `/v1/representations/${representationId}/consents/${childConsentId}/withdraw`,
            parent.withdraw(acting, childConsentId),
        );
        await call('MOHWMSP', 'welfare-portal', 'getConsent', `/v1/consents/${childConsentId}`);
        const own = await call('SeoulMSP', 'citizen-app', 'myMinority', `/v1/cards/${child}/minority/query`, {
            request: childDevice.representationListRequest(child),
        });
        expect(own.body).not.to.have.property('endMinorityToken');
        await call(
            'SeoulMSP',
            'citizen-app',
            'endMinority',
            `/v1/cards/${child}/minority/end`,
            childDevice.endMinority(child, 'e'.repeat(64)),
            { status: 403 },
        );
        await call('SeoulMSP', 'issuer-desk', 'revokeRepresentation', `/v1/representations/${representationId}/revoke`, {
            reason: 'RECORDED_IN_ERROR',
        });
        await call('SeoulMSP', 'issuer-desk', 'listCardRepresentations', `/v1/cards/${parentCard}/representations?side=representative`);

        // A sealed (investigation) access: hidden from the citizen, seen by the auditor at once; the seal extended.
        const legalBasis = 'Criminal Procedure Act art. 199';
        await call(
            'MOISMSP',
            'services',
            'registerService',
            '/v1/services',
            serviceBody(
                { ownerMspId: 'MOISMSP', dept: 'resident-registration', name: 'Investigation' },
                'svc-investigation',
                'Criminal investigation',
                {
                    items: ['name', 'address'],
                    predicates: [],
                    legalBasis,
                    basis: 'investigation',
                },
            ),
        );
        const sealed = await call(
            'MOISMSP',
            'police',
            'requestSealedAccess',
            '/v1/access-requests/sealed',
            {
                cardId: card,
                serviceId: 'svc-investigation',
                purpose: 'Criminal investigation',
                items: ['address'],
                predicates: [],
                sealedUntil: new Date(net.now + 30 * 86_400_000).toISOString(),
            },
            { headers: { 'Idempotency-Key': 'sealed-0001' } },
        );
        expect(sealed.body).to.deep.include({ decision: 'GRANTED', reason: 'LEGAL_BASIS' });
        expect(sealed.body.data.items).to.deep.equal({ address: SAMPLE_PERSONAL.address });
        const sealedId = sealed.body.accessId as string;
        await call('AuditMSP', 'audit-office', 'getSeal', `/v1/seals/${sealedId}`);
        await call('AuditMSP', 'audit-office', 'extendSeal', `/v1/seals/${sealedId}/extend`, {
            sealedUntil: new Date(net.now + 60 * 86_400_000).toISOString(),
            decisionRef: 'AUD-2026-0042',
        });
        const citizenView = await call('SeoulMSP', 'citizen-app', 'listMyAccessLog', `/v1/cards/${card}/access-log/query`, {
            request: device.accessLogRequest(card),
            pageSize: 100,
        });
        expect(citizenView.body.page.records.map((r: { accessId: string }) => r.accessId)).not.to.include(sealedId);
        const auditorView = await call('AuditMSP', 'audit-office', 'listCardAccessLog', `/v1/cards/${card}/access-log?pageSize=100`);
        expect(auditorView.body.page.records.find((r: { accessId: string }) => r.accessId === sealedId)).to.include({ sealed: true });

        // Break-glass: an emergency service's access without consent, flagged, with a review case the auditor decides.
        await call(
            'MOISMSP',
            'services',
            'registerService',
            '/v1/services',
            serviceBody({ ownerMspId: 'MOHWMSP', dept: 'pension', name: 'Emergency care' }, 'svc-emergency', 'Emergency care', {
                items: ['name', 'birthDate'],
                predicates: [],
                legalBasis: 'Emergency Medical Service Act art. 8',
                basis: 'emergency',
            }),
        );
        const emergencyAsk = { cardId: card, serviceId: 'svc-emergency', purpose: 'Emergency care', items: ['name'], predicates: [] };
        const noReason = await call('MOHWMSP', 'emergency-room', 'requestEmergencyAccess', '/v1/access-requests/emergency', emergencyAsk);
        expect(noReason.body).to.deep.include({ decision: 'DENIED', reason: 'BREAK_GLASS_REASON_REQUIRED' });
        const glass = await call('MOHWMSP', 'emergency-room', 'requestEmergencyAccess', '/v1/access-requests/emergency', {
            ...emergencyAsk,
            reasonCode: 'UNCONSCIOUS_PATIENT',
            incidentRef: 'ER-2026-000123',
        });
        expect(glass.body).to.deep.include({ decision: 'GRANTED', reason: 'BREAK_GLASS' });
        const reviewId = glass.body.accessId as string;
        await call('AuditMSP', 'audit-office', 'listReviews', '/v1/reviews?status=OPEN');
        await call('MOHWMSP', 'emergency-room', 'getReview', `/v1/reviews/${reviewId}`);
        await call('AuditMSP', 'audit-office', 'decideReview', `/v1/reviews/${reviewId}/decision`, {
            outcome: 'CLEARED',
            findingCode: 'LAWFUL',
            text: 'The patient was brought in unconscious; the access was lawful.',
        });
        await call('MOHWMSP', 'emergency-room', 'getBreakGlassStatus', '/v1/break-glass/MOHWMSP/pension');
        await call(
            'AuditMSP',
            'audit-office',
            'clearBreakGlassBlock',
            '/v1/break-glass/MOHWMSP/pension/clear',
            { decisionRef: 'AUD-2026-0043' },
            { status: 409 },
        );
        await call('MOHWMSP', 'welfare-portal', 'getPolicy', '/v1/policy');

        // An objection: the text to Seoul's peers only; the finding seen by the citizen, the department and the auditor.
        const objectionText = 'I never applied for a basic pension; who asked for my birth date?';
        const objected = await call(
            'SeoulMSP',
            'citizen-app',
            'fileObjection',
            '/v1/objections',
            device.objection(card, granted.body.accessId, objectionText),
            { headers: { 'Idempotency-Key': 'objection-0001' } },
        );
        const objectionId = objected.body.objection.objectionId as string;
        expect(JSON.stringify(objected.body)).not.to.contain(objectionText);
        await call('AuditMSP', 'audit-office', 'listObjections', '/v1/objections?status=OPEN');
        const read = await call('AuditMSP', 'audit-office', 'readObjectionText', `/v1/objections/${objectionId}/text`);
        expect(read.body.objectionText.text).to.equal(objectionText);
        await call('AuditMSP', 'audit-office', 'recordFinding', `/v1/objections/${objectionId}/finding`, {
            outcome: 'UPHELD',
            findingCode: 'NO_VALID_BASIS',
            text: 'The department had no consent for this access.',
        });
        const seenByCitizen = await call('SeoulMSP', 'citizen-app', 'listCardObjections', `/v1/cards/${card}/objections`);
        expect(seenByCitizen.body.page.records[0].finding).to.include({ outcome: 'UPHELD', findingCode: 'NO_VALID_BASIS' });
        await call('MOHWMSP', 'welfare-portal', 'getObjection', `/v1/objections/${objectionId}`);
        await call('MOHWMSP', 'welfare-portal', 'listDepartmentObjections', '/v1/audit/objections?mspId=MOHWMSP&dept=welfare');
        const seoulStored = gateways.SeoulMSP?.db.prepare('SELECT response FROM idempotency').all() as { response: string }[];
        expect(seoulStored.map((r) => r.response).join('\n')).not.to.contain(objectionText);

        // The transparency report: rolled up by the auditor, read by any app (and by the public, below).
        const month = new Date(net.now + 9 * 3_600_000).toISOString().slice(0, 7);
        await call('AuditMSP', 'audit-office', 'rollUpReport', '/v1/reports/transparency/roll-up', { month });
        const report = await call('MOHWMSP', 'welfare-portal', 'transparencyReport', `/v1/reports/transparency?month=${month}`);
        expect(report.body.report.rows.length).to.be.greaterThan(0);

        // The citizen's own log, withdrawal, lost device, the card's lifecycle, erasure.
        await call('SeoulMSP', 'citizen-app', 'listMyAccessLog', `/v1/cards/${card}/access-log/query`, {
            request: device.accessLogRequest(card),
            pageSize: 10,
        });
        await call('SeoulMSP', 'citizen-app', 'withdrawConsent', `/v1/consents/${consentId}/withdraw`, device.withdraw(card, consentId));
        await call('MOHWMSP', 'welfare-portal', 'getConsent', `/v1/consents/${consentId}`);
        await call('SeoulMSP', 'citizen-app', 'reportLostDevice', `/v1/cards/${card}/report-lost`, device.reportLost(card));
        await call('SeoulMSP', 'issuer-desk', 'reinstateCard', `/v1/cards/${card}/reinstate`, { reason: 'RECOVERED' });
        await call('SeoulMSP', 'issuer-desk', 'suspendCard', `/v1/cards/${card}/suspend`, { reason: 'ADMINISTRATIVE' });
        await call('SeoulMSP', 'issuer-desk', 'reinstateCard', `/v1/cards/${card}/reinstate`, { reason: 'RECOVERED' });
        await call('SeoulMSP', 'issuer-desk', 'renewCard', `/v1/cards/${card}/renew`, { validityYears: 3 });
        await call('SeoulMSP', 'issuer-desk', 'rotateDeviceKey', `/v1/cards/${card}/rotate-key`, {
            newDevicePublicKey: replacement.publicKeyBase64(),
            reason: 'DEVICE_REPLACED',
        });
        await call(
            'SeoulMSP',
            'citizen-app',
            'rotateDeviceKey',
            `/v1/cards/${card}/rotate-key`,
            replacement.rotateTo(card, third.publicKeyBase64()),
        );
        await call('MOISMSP', 'services', 'deactivateService', '/v1/services/svc-housing/deactivate', {});
        await call('SeoulMSP', 'issuer-desk', 'revokeCard', `/v1/cards/${card}/revoke`, { reason: 'DECEASED' });
        const erased = await call('SeoulMSP', 'issuer-desk', 'eraseCard', `/v1/cards/${card}/erase`);
        expect(erased.body.card.erasedAt).to.be.a('string');
        await call('AuditMSP', 'audit-office', 'auditHistory', `/v1/audit/history/card/${card}`);

        // A few refusals of the real chaincode, as declared.
        await call('MOHWMSP', 'welfare-portal', 'getCard', '/v1/cards/card-9999', undefined, { status: 404 });
        await call('MOHWMSP', 'welfare-portal', 'listCardAccessLog', `/v1/cards/${card}/access-log`, undefined, { status: 403 });
        await call('MOHWMSP', 'welfare-portal', 'auditAccess', `/v1/audit/access?mspId=MOHWMSP&${range}`, undefined, { status: 403 });
        await call('MOHWMSP', 'welfare-portal', 'listServices', '/v1/services?bookmark=%00card%00', undefined, { status: 400 });
        await call('AuditMSP', 'audit-office', 'auditHistory', '/v1/audit/history/consent/no-such-consent', undefined, { status: 404 });
        await call('SeoulMSP', 'issuer-desk', 'suspendCard', `/v1/cards/${card}/suspend`, { reason: 'FRAUD' }, { status: 409 });
        await call(
            'MOISMSP',
            'services',
            'registerService',
            '/v1/services',
            serviceBody({ ownerMspId: 'MOLEMSP', dept: 'jobs', name: 'Jobs' }, 'svc-jobs', 'Jobs', housing),
            { status: 422 },
        );
        await call('AuditMSP', 'audit-office', 'transactionProof', `/v1/transactions/${'0'.repeat(64)}`, undefined, { status: 404 });

        // The probes and the documents of every gateway.
        for (const [mspId, g] of Object.entries(gateways))
            for (const o of OPS_ROUTES) {
                const res = await request(g.gw.app).get(o.path);
                expect(res.status, `${mspId} ${o.path}`).to.equal(200);
                g.check.expectAnswer(o.operationId, res, o.answer === 'text/plain' ? undefined : o.answer);
            }

        // The checks are strict: a member the answer class and the schema do not name fails both.
        const extra = { ...erased.body, card: { ...erased.body.card, personal: { name: 'x' } } };
        expect(strictErrors(CardCommitted, extra)).not.to.deep.equal([]);
        expect(everything.schemaErrors({ $ref: '#/components/schemas/CardCommitted' }, extra)).not.to.deep.equal([]);
        expect(everything.schemaErrors({ $ref: '#/components/schemas/CardCommitted' }, erased.body)).to.deep.equal([]);

        // Every route was called, and called exactly the functions it declares (and no other).
        const gw = gateways.SeoulMSP?.gw as GatewayApp;
        for (const r of gw.routes) {
            const declared = [...new Set([...(r.ledger.submits ?? []), ...(r.ledger.evaluates ?? []), ...(r.ledger.readsForAnswer ?? [])])];
            expect(answered[r.operationId], `${r.operationId} was called`).not.to.equal(undefined);
            expect([...(called[r.operationId] ?? [])].sort(), r.operationId).to.deep.equal(declared.sort());
            expect(routeOf(gw, r.operationId).success.answer, r.operationId).to.be.a('function');
        }
    });
});
