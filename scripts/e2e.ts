// Every gateway endpoint at least once, through the four gateways, with CA-issued identities:
// the end-to-end check the devnet tests (and a real-Fabric run, given its topology) call.
// `node dist/scripts/e2e.js [--topology FILE]` prints one line per call and exits 1 on a failure.
import * as crypto from 'node:crypto';
import { findOrg, gatewayOf, loadTopology } from '../network/client/topology';
import { DeviceKey, encodeStreamRequest } from '../gateway/citizen/device';
import {
    basicPensionServiceBody,
    birthDateAged,
    cardIssueBody,
    childPersonal,
    ensureApp,
    serviceBody,
    type Call,
    type GatewayClient,
} from './demo';

export interface CheckResult {
    who: string;
    call: string;
    status: number;
    expected: number;
    ok: boolean;
}

export async function checkEveryEndpoint(topologyFile?: string): Promise<CheckResult[]> {
    const t = loadTopology(topologyFile);
    const results: CheckResult[] = [];
    const quiet = (c: GatewayClient) => {
        c.verbose = false;
        return c;
    };
    const issuer = quiet(await ensureApp(t, 'SeoulMSP', 'e2e-issuer', { identity: 'issuer1', role: 'issuer' }));
    const citizen = quiet(await ensureApp(t, 'SeoulMSP', 'e2e-citizen-app', { identity: 'citizen-agent', role: 'citizen-agent' }));
    const sadmin = quiet(await ensureApp(t, 'MOISMSP', 'e2e-service-admin', { identity: 'service-admin1', role: 'service-admin' }));
    const welfare = quiet(await ensureApp(t, 'MOHWMSP', 'e2e-welfare', { role: 'department', dept: 'welfare' }));
    const auditor = quiet(await ensureApp(t, 'AuditMSP', 'e2e-auditor', { identity: 'auditor1', role: 'auditor' }));
    const call = async <T = unknown>(c: GatewayClient, req: Call, expected: number): Promise<T> => {
        let body: T;
        try {
            body = await c.call<T>(req);
        } catch (err) {
            results.push({ who: c.label, call: `${req.method} ${req.path}`, status: 0, expected, ok: false });
            throw err;
        }
        results.push({ who: c.label, call: `${req.method} ${req.path}`, status: c.lastStatus, expected, ok: c.lastStatus === expected });
        return body;
    };
    const run = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    const device = DeviceKey.generate();
    const cardId = `card-e2e-${run}`;
    const serviceId = `svc-e2e-${run}`;
    const purpose = 'Basic pension eligibility check';
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const personal = {
        name: 'Kim Minji',
        birthDate: '1950-01-01',
        address: '1 Jongno',
        district: 'Jongno-gu',
        residentNumber: '500101-2234567',
        disability: true,
        lowIncome: false,
        multiChildFamily: false,
        seoulResident: true,
    };

    await call(issuer, { method: 'POST', path: '/v1/cards', body: cardIssueBody(cardId, device.publicKeyBase64(), personal) }, 201);
    await call(welfare, { method: 'GET', path: `/v1/cards/${cardId}` }, 200);
    await call(
        welfare,
        {
            method: 'POST',
            path: '/v1/cards',
            body: cardIssueBody(`${cardId}-x`, device.publicKeyBase64(), personal),
        },
        403,
    );
    await call(
        sadmin,
        {
            method: 'POST',
            path: '/v1/services',
            body: basicPensionServiceBody(serviceId, purpose, {
                legalBasis: 'Basic Pension Act',
                items: ['name', 'birthDate'],
                predicates: ['ageAtLeast', 'disability'],
            }),
        },
        201,
    );
    await call(welfare, { method: 'GET', path: '/v1/services?ownerMspId=MOHWMSP&pageSize=5' }, 200);
    await call(welfare, { method: 'GET', path: `/v1/services/${serviceId}` }, 200);
    await call(
        sadmin,
        {
            method: 'PUT',
            path: `/v1/services/${serviceId}`,
            body: { name: 'Basic pension', purpose, items: ['name', 'birthDate'], predicates: ['ageAtLeast', 'disability'] },
        },
        200,
    );
    const challenge = device.signChallenge(cardId, `challenge-${run}-0123456789`, 'MOHWMSP');
    await call(welfare, { method: 'POST', path: `/v1/cards/${cardId}/verify`, body: challenge }, 200);
    await call(
        welfare,
        {
            method: 'POST',
            path: `/v1/cards/${cardId}/eligibility`,
            body: { serviceId, purpose, predicates: [{ name: 'ageAtLeast', value: 65 }] },
        },
        201,
    );
    const denied = await call<{ decision: string }>(
        welfare,
        { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name'], predicates: [] } },
        201,
    );
    results.push({
        who: welfare.label,
        call: 'without consent the decision is DENIED',
        status: 0,
        expected: 0,
        ok: denied.decision === 'DENIED',
    });
    const consent = await call<{ consent: { consentId: string } }>(
        citizen,
        {
            method: 'POST',
            path: '/v1/consents',
            body: device.consent({ cardId, serviceId, recipientMspId: 'MOHWMSP', purpose, items: ['name'], retentionDays: 7 }),
        },
        201,
    );
    const consentId = consent.consent.consentId;
    await call(citizen, { method: 'GET', path: `/v1/cards/${cardId}/consents` }, 200);
    await call(welfare, { method: 'GET', path: '/v1/consents?recipientMspId=MOHWMSP&pageSize=5' }, 200);
    await call(welfare, { method: 'GET', path: `/v1/consents/${consentId}` }, 200);
    const granted = await call<{ decision: string; accessId: string; transactionId: string; data?: { items: Record<string, unknown> } }>(
        welfare,
        {
            method: 'POST',
            path: '/v1/access-requests',
            body: { cardId, serviceId, purpose, items: ['name'], predicates: [], consentId },
        },
        201,
    );
    results.push({
        who: welfare.label,
        call: 'with consent GRANTED, only the consented item',
        status: 0,
        expected: 0,
        ok: granted.decision === 'GRANTED' && JSON.stringify(Object.keys(granted.data?.items ?? {})) === '["name"]',
    });
    await call(welfare, { method: 'GET', path: `/v1/access/${granted.accessId}` }, 200);
    // Idempotency on the ledger: the same key and body twice make one transaction.
    const idem = {
        method: 'POST' as const,
        path: '/v1/access-requests',
        body: { cardId, serviceId, purpose, items: ['name'], predicates: [], consentId },
        idempotencyKey: `e2e-${run}`,
    };
    const once = await call<{ transactionId: string }>(welfare, idem, 201);
    const twice = await call<{ transactionId: string; data?: unknown }>(welfare, idem, 201);
    results.push({
        who: welfare.label,
        call: 'same Idempotency-Key twice: one transaction, data read again',
        status: 0,
        expected: 0,
        ok: once.transactionId === twice.transactionId && twice.data !== undefined,
    });
    await call(welfare, { ...idem, body: { ...idem.body, items: ['birthDate'] } }, 422);
    await call(
        citizen,
        { method: 'POST', path: `/v1/cards/${cardId}/access-log/query`, body: { request: device.accessLogRequest(cardId) } },
        200,
    );
    await call(auditor, { method: 'GET', path: `/v1/cards/${cardId}/access-log` }, 200);
    await call(auditor, { method: 'GET', path: `/v1/audit/access?mspId=MOHWMSP&dept=welfare&from=${from}&to=${to}` }, 200);
    await call(auditor, { method: 'GET', path: `/v1/audit/access/counts?mspId=MOHWMSP&from=${from}&to=${to}` }, 200);
    await call(auditor, { method: 'GET', path: `/v1/audit/history/card/${cardId}` }, 200);
    await call(auditor, { method: 'GET', path: `/v1/transactions/${granted.transactionId}` }, 200);
    await call(auditor, { method: 'GET', path: `/v1/transactions/${'0'.repeat(64)}` }, 404);
    // The SSE stream: open it as the citizen, make one access, read its event.
    const seoul = gatewayOf(findOrg(t, 'SeoulMSP'));
    const ac = new AbortController();
    const stream = await fetch(
        `http://${seoul.host}:${seoul.port}/v1/cards/${cardId}/access-log/stream?request=${encodeStreamRequest(device.accessLogRequest(cardId))}`,
        {
            headers: { Authorization: `Bearer ${citizen.apiKey}` },
            signal: ac.signal,
        },
    );
    results.push({
        who: citizen.label,
        call: `GET /v1/cards/${cardId}/access-log/stream`,
        status: stream.status,
        expected: 200,
        ok: stream.status === 200,
    });
    const reader = stream.body!.getReader();
    const third = call<{ accessId: string }>(
        welfare,
        { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name'], predicates: [], consentId } },
        201,
    );
    let text = '';
    const deadline = Date.now() + 15_000;
    const { accessId } = await third;
    while (!text.includes(accessId) && Date.now() < deadline) {
        const r = await Promise.race([
            reader.read(),
            new Promise<{ value?: Uint8Array; done: boolean }>((res) => setTimeout(() => res({ done: false }), 1000)),
        ]);
        if (r.value) text += Buffer.from(r.value).toString();
        if (r.done) break;
    }
    ac.abort();
    results.push({
        who: citizen.label,
        call: 'the stream delivers the new access entry',
        status: 0,
        expected: 0,
        ok: text.includes(`event: access`) && text.includes(accessId),
    });
    // Issue 24: a child's minority and representative, sealed and break-glass accesses, the audit office, objections, the report.
    const police = quiet(await ensureApp(t, 'MOISMSP', 'e2e-police', { role: 'department', dept: 'investigation' }));
    const er = quiet(await ensureApp(t, 'MOHWMSP', 'e2e-emergency', { role: 'department', dept: 'emergency-care' }));
    const child = DeviceKey.generate();
    const parent = DeviceKey.generate();
    const childCard = `${cardId}-child`;
    const parentCard = `${cardId}-parent`;
    await call(
        issuer,
        {
            method: 'POST',
            path: '/v1/cards',
            body: cardIssueBody(childCard, child.publicKeyBase64(), childPersonal('Kim Haneul', birthDateAged(10))),
        },
        201,
    );
    await call(issuer, { method: 'POST', path: '/v1/cards', body: cardIssueBody(parentCard, parent.publicKeyBase64(), personal) }, 201);
    await call(issuer, { method: 'POST', path: `/v1/cards/${childCard}/minority`, body: {} }, 201);
    await call(issuer, { method: 'GET', path: `/v1/cards/${childCard}/minority` }, 200);
    const representationId = `rep-${run}`;
    await call(
        issuer,
        {
            method: 'POST',
            path: '/v1/representations',
            body: {
                representationId,
                representedCardId: childCard,
                representativeCardId: parentCard,
                basis: 'MINOR_UNDER_14',
                scope: ['consent', 'withdraw', 'viewLog', 'object'],
            },
        },
        201,
    );
    await call(citizen, { method: 'GET', path: `/v1/representations/${representationId}` }, 200);
    await call(auditor, { method: 'GET', path: `/v1/cards/${childCard}/representations?side=represented` }, 200);
    const mine = await call<{ minorityTokens: Record<string, string> }>(
        citizen,
        {
            method: 'POST',
            path: `/v1/cards/${parentCard}/representations/query`,
            body: { request: parent.representationListRequest(parentCard) },
        },
        200,
    );
    const acting = { representationId, representedCardId: childCard, minorityToken: mine.minorityTokens[representationId] };
    const asParent = parent.asRepresentative(parentCard);
    const childConsent = await call<{ consent: { consentId: string } }>(
        citizen,
        {
            method: 'POST',
            path: `/v1/representations/${representationId}/consents`,
            body: asParent.consent(acting, { serviceId, recipientMspId: 'MOHWMSP', purpose, items: ['name'], retentionDays: 7 }),
        },
        201,
    );
    await call(
        citizen,
        {
            method: 'POST',
            path: `/v1/representations/${representationId}/access-log/query`,
            body: { request: asParent.accessLogRequest(acting) },
        },
        200,
    );
    await call(
        citizen,
        {
            method: 'POST',
            path: `/v1/representations/${representationId}/consents/${childConsent.consent.consentId}/withdraw`,
            body: asParent.withdraw(acting, childConsent.consent.consentId),
        },
        200,
    );
    await call(
        citizen,
        { method: 'POST', path: `/v1/cards/${childCard}/minority/query`, body: { request: child.representationListRequest(childCard) } },
        200,
    );
    await call(
        citizen,
        { method: 'POST', path: `/v1/cards/${childCard}/minority/end`, body: child.endMinority(childCard, 'e'.repeat(64)) },
        403,
    );
    await call(
        issuer,
        { method: 'POST', path: `/v1/representations/${representationId}/revoke`, body: { reason: 'RECORDED_IN_ERROR' } },
        200,
    );
    const special = (dept: string, basis: 'investigation' | 'emergency', law: string) =>
        call(
            sadmin,
            {
                method: 'POST',
                path: '/v1/services',
                body: serviceBody(
                    { ownerMspId: dept === 'investigation' ? 'MOISMSP' : 'MOHWMSP', dept, name: basis },
                    `${serviceId}-${basis}`,
                    basis,
                    {
                        items: ['name'],
                        predicates: [],
                        legalBasis: law,
                        basis,
                    },
                ),
            },
            201,
        );
    await special('investigation', 'investigation', 'Criminal Procedure Act art. 199');
    await special('emergency-care', 'emergency', 'Emergency Medical Service Act art. 8');
    const sealed = await call<{ accessId: string }>(
        police,
        {
            method: 'POST',
            path: '/v1/access-requests/sealed',
            body: {
                cardId,
                serviceId: `${serviceId}-investigation`,
                purpose: 'investigation',
                items: ['name'],
                predicates: [],
                sealedUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
            },
        },
        201,
    );
    await call(auditor, { method: 'GET', path: `/v1/seals/${sealed.accessId}` }, 200);
    await call(
        auditor,
        {
            method: 'POST',
            path: `/v1/seals/${sealed.accessId}/extend`,
            body: { sealedUntil: new Date(Date.now() + 40 * 86_400_000).toISOString(), decisionRef: 'AUD-E2E-0001' },
        },
        200,
    );
    const glass = await call<{ accessId: string; decision: string }>(
        er,
        {
            method: 'POST',
            path: '/v1/access-requests/emergency',
            body: {
                cardId,
                serviceId: `${serviceId}-emergency`,
                purpose: 'emergency',
                items: ['name'],
                predicates: [],
                reasonCode: 'UNCONSCIOUS_PATIENT',
                incidentRef: `ER-${run.toUpperCase()}`,
            },
        },
        201,
    );
    await call(auditor, { method: 'GET', path: '/v1/reviews?status=OPEN&pageSize=5' }, 200);
    if (glass.decision === 'GRANTED') {
        await call(er, { method: 'GET', path: `/v1/reviews/${glass.accessId}` }, 200);
        await call(
            auditor,
            { method: 'POST', path: `/v1/reviews/${glass.accessId}/decision`, body: { outcome: 'CLEARED', findingCode: 'LAWFUL' } },
            200,
        );
    }
    await call(er, { method: 'GET', path: '/v1/break-glass/MOHWMSP/emergency-care' }, 200);
    await call(auditor, { method: 'POST', path: '/v1/break-glass/MOHWMSP/welfare/clear', body: { decisionRef: 'AUD-E2E-0002' } }, 409);
    await call(welfare, { method: 'GET', path: '/v1/policy' }, 200);
    const objection = await call<{ objection: { objectionId: string } }>(
        citizen,
        { method: 'POST', path: '/v1/objections', body: device.objection(cardId, granted.accessId, 'I did not ask for this.') },
        201,
    );
    const objectionId = objection.objection.objectionId;
    await call(auditor, { method: 'GET', path: '/v1/objections?status=OPEN&pageSize=5' }, 200);
    await call(auditor, { method: 'GET', path: `/v1/objections/${objectionId}/text` }, 200);
    await call(
        auditor,
        {
            method: 'POST',
            path: `/v1/objections/${objectionId}/finding`,
            body: { outcome: 'REJECTED', findingCode: 'LAWFUL', text: 'Consented.' },
        },
        200,
    );
    await call(welfare, { method: 'GET', path: `/v1/objections/${objectionId}` }, 200);
    await call(welfare, { method: 'GET', path: '/v1/audit/objections?mspId=MOHWMSP&dept=welfare' }, 200);
    await call(citizen, { method: 'GET', path: `/v1/cards/${cardId}/objections` }, 200);
    const month = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 7);
    await call(auditor, { method: 'POST', path: '/v1/reports/transparency/roll-up', body: { month } }, 200);
    await call(welfare, { method: 'GET', path: `/v1/reports/transparency?month=${month}` }, 200);
    const report = await fetch(`http://${seoul.host}:${seoul.port}/public/transparency?month=${month}`);
    results.push({ who: '[public]', call: 'GET /public/transparency', status: report.status, expected: 200, ok: report.status === 200 });
    await call(citizen, { method: 'POST', path: `/v1/consents/${consentId}/withdraw`, body: device.withdraw(cardId, consentId) }, 200);
    await call(citizen, { method: 'POST', path: `/v1/cards/${cardId}/report-lost`, body: device.reportLost(cardId) }, 200);
    await call(issuer, { method: 'POST', path: `/v1/cards/${cardId}/reinstate`, body: { reason: 'RECOVERED' } }, 200);
    await call(issuer, { method: 'POST', path: `/v1/cards/${cardId}/renew`, body: { validityYears: 3 } }, 200);
    const next = DeviceKey.generate();
    await call(
        citizen,
        { method: 'POST', path: `/v1/cards/${cardId}/rotate-key`, body: device.rotateTo(cardId, next.publicKeyBase64()) },
        200,
    );
    await call(
        issuer,
        {
            method: 'POST',
            path: `/v1/cards/${cardId}/rotate-key`,
            body: { newDevicePublicKey: DeviceKey.generate().publicKeyBase64(), reason: 'DEVICE_REPLACED' },
        },
        200,
    );
    await call(issuer, { method: 'POST', path: `/v1/cards/${cardId}/suspend`, body: { reason: 'ADMINISTRATIVE' } }, 200);
    await call(sadmin, { method: 'POST', path: `/v1/services/${serviceId}/deactivate`, body: {} }, 200);
    await call(issuer, { method: 'POST', path: `/v1/cards/${cardId}/revoke`, body: { reason: 'CITIZEN_REQUEST' } }, 200);
    await call(issuer, { method: 'POST', path: `/v1/cards/${cardId}/erase`, body: {} }, 200);
    return results;
}

if (require.main === module) {
    const i = process.argv.indexOf('--topology');
    checkEveryEndpoint(i > 0 ? process.argv[i + 1] : undefined).then(
        (results) => {
            for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.who} ${r.call}${r.expected ? ` -> ${r.status}` : ''}`);
            process.exit(results.every((r) => r.ok) ? 0 : 1);
        },
        (err) => {
            console.error((err as Error).message);
            process.exit(1);
        },
    );
}
