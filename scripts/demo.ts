// `npm run demo`: the whole journey through the four gateways that `npm start` runs, printing each
// step's request and answer: issue a card, register a service, a refused request, consent, a
// granted request with only the consented items, the citizen's access log, withdrawal, an
// auditor's query and a transaction proof; then issue 24's: a parent's consent for a 13-year-old
// child (the minority recorded without its birth date on the ledger), a sealed investigation entry
// the citizen does not see and the auditor does, an objection and the audit office's finding, and
// the public transparency report. Apps and their API keys are provisioned on the way (the same
// command an operator runs: gateway/admin.ts create-app), departments enrolled at their org's CA.
// Usage: node dist/scripts/demo.js [--topology FILE]
import * as crypto from 'node:crypto';
import { address, findOrg, gatewayOf, loadTopology, type Topology } from '../network/client/topology';
import { AppStore } from '../gateway/auth/store';
import { provisionApp } from '../gateway/admin';
import { DeviceKey } from '../gateway/citizen/device';
import { seoulDate, seoulMonth } from '../chaincode/model';
import { databaseOf, loadConfig } from '../gateway/config';
import { openStore } from '../gateway/store/open';

export interface Call {
    method: 'GET' | 'POST' | 'PUT';
    path: string;
    body?: unknown;
    /** Default: a fresh key per POST. */
    idempotencyKey?: string;
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

export class GatewayClient {
    /** Set to false to call without printing (the end-to-end checks). */
    verbose = true;
    /** Status of the last call. */
    lastStatus = 0;
    constructor(
        readonly label: string,
        readonly baseUrl: string,
        readonly apiKey: string,
    ) {}

    async call<T = unknown>(c: Call, expectStatus?: number): Promise<T> {
        const log = (s: string) => this.verbose && console.log(s);
        log(`\n  ${this.label}  ${c.method} ${c.path}`);
        if (c.body !== undefined) log(indent(JSON.stringify(c.body, null, 2), '    > '));
        const res = await fetch(this.baseUrl + c.path, {
            method: c.method,
            headers: {
                // No key: a public route (the transparency report).
                ...(this.apiKey ? { Authorization: `Bearer ${this.apiKey}` } : {}),
                ...(c.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
                ...(c.method === 'POST' ? { 'Idempotency-Key': c.idempotencyKey ?? crypto.randomUUID() } : {}),
            },
            body: c.body !== undefined ? JSON.stringify(c.body) : undefined,
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
            parsed = JSON.parse(text);
        } catch {
            // not JSON: print as is
        }
        this.lastStatus = res.status;
        log(`    < ${res.status} ${res.headers.get('content-type') ?? ''}`);
        log(indent(typeof parsed === 'string' ? parsed : JSON.stringify(parsed, null, 2), '    < '));
        if (expectStatus !== undefined && res.status !== expectStatus) {
            throw new Error(`DEMO_FAILED: ${c.method} ${c.path} answered ${res.status}, expected ${expectStatus}: ${text.slice(0, 400)}`);
        }
        return parsed as T;
    }
}

const indent = (s: string, p: string) =>
    s
        .split('\n')
        .map((l) => p + l)
        .join('\n');

/** The fictional resident of the demo and the benchmarks (never a real person's data). */
export const SAMPLE_PERSONAL = {
    name: 'Hong Gildong',
    birthDate: '1955-03-01',
    address: '110 Sejong-daero, Jung-gu',
    district: 'Jung-gu',
    residentNumber: '550301-1234567',
    disability: false,
    lowIncome: true,
    multiChildFamily: false,
    seoulResident: true,
};

/** The birth date of someone `years` old and `days` more today (the Seoul calendar): the demo's and the tests' children. */
export function birthDateAged(years: number, days = 0): string {
    const d = new Date(`${seoulDate(new Date())}T00:00:00.000Z`);
    d.setUTCDate(d.getUTCDate() - days);
    d.setUTCFullYear(d.getUTCFullYear() - years);
    return d.toISOString().slice(0, 10);
}

/** A fictional child of the sample family, born on `birthDate` (a resident number of the right shape, never a real one). */
export const childPersonal = (name: string, birthDate: string) => ({
    ...SAMPLE_PERSONAL,
    name,
    birthDate,
    residentNumber: `${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthDate.slice(8, 10)}-${Number(birthDate.slice(0, 4)) >= 2000 ? 3 : 1}234567`,
});

/** The body of POST /v1/cards: a five-year card for the sample resident, bound to a device key. */
export const cardIssueBody = (cardId: string, devicePublicKey: string, personal: object = SAMPLE_PERSONAL) => ({
    cardId,
    devicePublicKey,
    validityYears: 5,
    personal,
});

/** The body of POST /v1/services: a department's service and what it may ask. */
export const serviceBody = (
    owner: { ownerMspId: string; dept: string; name: string },
    serviceId: string,
    purpose: string,
    asks: { items: string[]; predicates: string[]; legalBasis?: string; basis?: 'investigation' | 'emergency' },
) => ({ serviceId, ...owner, purpose, ...asks });

/**
 * The body of POST /v1/services for the welfare department's Basic pension service (MOHW's), as
 * the demo, the endpoint check, the benchmark and the tests register it, with what it may ask.
 */
export const basicPensionServiceBody = (
    serviceId: string,
    purpose: string,
    asks: { items: string[]; predicates: string[]; legalBasis?: string },
) => serviceBody({ ownerMspId: 'MOHWMSP', dept: 'welfare', name: 'Basic pension' }, serviceId, purpose, asks);

/** An app bound to an existing identity, or a freshly enrolled one; a re-run gets a new key for the same app. */

export async function ensureApp(
    t: Topology,
    mspId: string,
    name: string,
    opts: { identity?: string; role: string; dept?: string },
): Promise<GatewayClient> {
    const cfg = loadConfig({ org: mspId, topologyFile: t.file });
    const db = await openStore(databaseOf(cfg));
    let apiKey: string;
    try {
        const store = new AppStore(db);
        apiKey = (await store.list()).some((a) => a.name === name) ? await store.rotateKey(name) : '';
    } finally {
        await db.close();
    }
    if (!apiKey) apiKey = (await provisionApp({ topology: t, databaseFile: databaseOf(cfg), mspId, name, ...opts })).apiKey;
    const org = findOrg(t, mspId);
    return new GatewayClient(`[${mspId} ${name}]`, `http://${address(gatewayOf(org))}`, apiKey);
}

function step(n: number, title: string): void {
    console.log(`\n${bold(`${n}. ${title}`)}`);
}

export async function demo(topologyFile?: string): Promise<void> {
    const t = loadTopology(topologyFile);
    const run = Date.now().toString(36);
    console.log(bold(`Seoul citizen-card ledger: the journey (run ${run}, channel ${t.channel})`));
    for (const org of t.orgs) {
        const r = await fetch(`http://${address(gatewayOf(org))}/readyz`).catch(() => undefined);
        if (r?.status !== 200)
            throw new Error(`DEMO_NOT_READY: the ${org.mspId} gateway at ${address(gatewayOf(org))} is not ready; run npm start first`);
    }
    const issuer = await ensureApp(t, 'SeoulMSP', 'demo-issuer', { identity: 'issuer1', role: 'issuer' });
    const citizenApp = await ensureApp(t, 'SeoulMSP', 'demo-citizen-app', { identity: 'citizen-agent', role: 'citizen-agent' });
    const serviceAdmin = await ensureApp(t, 'MOISMSP', 'demo-service-admin', { identity: 'service-admin1', role: 'service-admin' });
    const welfare = await ensureApp(t, 'MOHWMSP', 'demo-welfare-portal', { role: 'department', dept: 'welfare' });
    const auditor = await ensureApp(t, 'AuditMSP', 'demo-auditor', { identity: 'auditor1', role: 'auditor' });
    const started = new Date(Date.now() - 60_000).toISOString();

    const device = DeviceKey.generate();
    const cardId = `card-${run}`;
    const serviceId = `svc-basic-pension-${run}`;
    const purpose = 'Basic pension eligibility check';

    step(1, "Seoul issues a card; the personal data goes to Seoul's peer only (transient), the ledger gets salted commitments");
    await issuer.call(
        {
            method: 'POST',
            path: '/v1/cards',
            body: cardIssueBody(cardId, device.publicKeyBase64()),
        },
        201,
    );

    step(2, "MOIS registers the welfare department's service: what it may ask for and why");
    await serviceAdmin.call(
        {
            method: 'POST',
            path: '/v1/services',
            body: basicPensionServiceBody(serviceId, purpose, {
                items: ['name', 'birthDate', 'address'],
                predicates: ['ageAtLeast', 'lowIncome'],
            }),
        },
        201,
    );

    step(3, 'The welfare app asks without consent: refused, and the refusal is logged on the ledger');
    await welfare.call(
        { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name', 'birthDate'], predicates: [] } },
        201,
    );

    step(4, "The citizen consents on their device (signed with the device key), through Seoul's citizen app");
    const receipt = device.consent({
        cardId,
        serviceId,
        recipientMspId: 'MOHWMSP',
        purpose,
        items: ['name', 'birthDate'],
        predicates: ['ageAtLeast'],
        retentionDays: 30,
    });
    const granted = await citizenApp.call<{ consent: { consentId: string } }>({ method: 'POST', path: '/v1/consents', body: receipt }, 201);
    const consentId = granted.consent.consentId;

    step(5, 'The welfare app asks again: GRANTED, and it reads only the consented items (and a yes/no age answer)');
    const access = await welfare.call<{ transactionId: string; accessId: string }>(
        {
            method: 'POST',
            path: '/v1/access-requests',
            body: { cardId, serviceId, purpose, items: ['name', 'birthDate'], predicates: [{ name: 'ageAtLeast', value: 65 }], consentId },
        },
        201,
    );

    step(6, 'Asking for more than the consent (the address) is refused and logged');
    await welfare.call(
        {
            method: 'POST',
            path: '/v1/access-requests',
            body: { cardId, serviceId, purpose, items: ['address'], predicates: [], consentId },
        },
        201,
    );

    step(7, 'The citizen reads their own access log (request signed by the device)');
    await citizenApp.call(
        { method: 'POST', path: `/v1/cards/${cardId}/access-log/query`, body: { request: device.accessLogRequest(cardId), pageSize: 20 } },
        200,
    );

    step(8, 'The citizen withdraws the consent; the next request is refused');
    await citizenApp.call({ method: 'POST', path: `/v1/consents/${consentId}/withdraw`, body: device.withdraw(cardId, consentId) }, 200);
    await welfare.call(
        { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name'], predicates: [], consentId } },
        201,
    );

    step(9, "An auditor lists the welfare department's accesses and the card's access log");
    const to = new Date(Date.now() + 60_000).toISOString();
    await auditor.call(
        {
            method: 'GET',
            path: `/v1/audit/access?mspId=MOHWMSP&dept=welfare&from=${encodeURIComponent(started)}&to=${encodeURIComponent(to)}`,
        },
        200,
    );
    await auditor.call({ method: 'GET', path: `/v1/cards/${cardId}/access-log` }, 200);

    step(10, 'The auditor fetches the proof of the granted access: block, validation code, endorsing orgs');
    await auditor.call({ method: 'GET', path: `/v1/transactions/${access.transactionId}` }, 200);

    // ---- issue 24: a legal representative, a sealed entry, an objection, the transparency report ----
    const police = await ensureApp(t, 'MOISMSP', 'demo-police', { role: 'department', dept: 'investigation' });
    const childDevice = DeviceKey.generate();
    const parentDevice = DeviceKey.generate();
    const childCard = `card-child-${run}`;
    const parentCard = `card-parent-${run}`;

    step(11, "A child of 13 and a parent get their cards; Seoul's peer turns the child's birth date into two hash-chain anchors");
    await issuer.call(
        {
            method: 'POST',
            path: '/v1/cards',
            body: cardIssueBody(childCard, childDevice.publicKeyBase64(), childPersonal('Hong Sarang', birthDateAged(13, 30))),
        },
        201,
    );
    await issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(parentCard, parentDevice.publicKeyBase64()) }, 201);
    await issuer.call({ method: 'POST', path: `/v1/cards/${childCard}/minority`, body: {} }, 201);

    step(12, "The card desk records the parent as the child's legal representative (card ids only, no date)");
    const representationId = `rep-${run}`;
    await issuer.call(
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

    step(13, "The parent's app lists whom the parent represents (signed by the parent's own key), with today's token");
    const mine = await citizenApp.call<{ minorityTokens: Record<string, string> }>(
        {
            method: 'POST',
            path: `/v1/cards/${parentCard}/representations/query`,
            body: { request: parentDevice.representationListRequest(parentCard) },
        },
        200,
    );
    const acting = { representationId, representedCardId: childCard, minorityToken: mine.minorityTokens[representationId] };

    step(14, "The parent consents for the child with their own key; every org's endorser checks the power; the welfare app reads");
    const childConsent = await citizenApp.call<{ consent: { consentId: string } }>(
        {
            method: 'POST',
            path: `/v1/representations/${representationId}/consents`,
            body: parentDevice.asRepresentative(parentCard).consent(acting, {
                serviceId,
                recipientMspId: 'MOHWMSP',
                purpose,
                items: ['name'],
                retentionDays: 30,
            }),
        },
        201,
    );
    await welfare.call(
        {
            method: 'POST',
            path: '/v1/access-requests',
            body: { cardId: childCard, serviceId, purpose, items: ['name'], predicates: [], consentId: childConsent.consent.consentId },
        },
        201,
    );
    await citizenApp.call(
        {
            method: 'POST',
            path: `/v1/representations/${representationId}/access-log/query`,
            body: { request: parentDevice.asRepresentative(parentCard).accessLogRequest(acting), pageSize: 20 },
        },
        200,
    );

    step(15, "An investigation reads the citizen's address under seal: the citizen's log does not show it for now, the auditor's does");
    const investigationId = `svc-investigation-${run}`;
    await serviceAdmin.call(
        {
            method: 'POST',
            path: '/v1/services',
            body: serviceBody(
                { ownerMspId: 'MOISMSP', dept: 'investigation', name: 'Criminal investigation' },
                investigationId,
                'Criminal investigation',
                {
                    items: ['name', 'address'],
                    predicates: [],
                    legalBasis: 'Criminal Procedure Act art. 199',
                    basis: 'investigation',
                },
            ),
        },
        201,
    );
    const sealed = await police.call<{ accessId: string }>(
        {
            method: 'POST',
            path: '/v1/access-requests/sealed',
            body: {
                cardId,
                serviceId: investigationId,
                purpose: 'Criminal investigation',
                items: ['address'],
                predicates: [],
                sealedUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
            },
        },
        201,
    );
    const ownLog = await citizenApp.call<{ page: { records: { accessId?: string }[] } }>(
        { method: 'POST', path: `/v1/cards/${cardId}/access-log/query`, body: { request: device.accessLogRequest(cardId), pageSize: 100 } },
        200,
    );
    console.log(`    the citizen's log lists the sealed entry: ${ownLog.page.records.some((r) => r.accessId === sealed.accessId)}`);
    await auditor.call({ method: 'GET', path: `/v1/seals/${sealed.accessId}` }, 200);

    step(16, "The citizen objects to the welfare app's access: the text goes to Seoul's peer only, the ledger keeps its salted hash");
    const objected = await citizenApp.call<{ objection: { objectionId: string } }>(
        {
            method: 'POST',
            path: '/v1/objections',
            body: device.objection(cardId, access.accessId, 'I did not apply for a basic pension this year.'),
        },
        201,
    );
    const objectionId = objected.objection.objectionId;

    step(
        17,
        'The audit office reads the text (sealed to it, from Seoul’s peer) and records its finding; the citizen and the department see it',
    );
    await auditor.call({ method: 'GET', path: `/v1/objections/${objectionId}/text` }, 200);
    await auditor.call(
        {
            method: 'POST',
            path: `/v1/objections/${objectionId}/finding`,
            body: { outcome: 'REJECTED', findingCode: 'LAWFUL', text: 'The access was made under a valid consent of the citizen.' },
        },
        200,
    );
    await citizenApp.call({ method: 'GET', path: `/v1/cards/${cardId}/objections` }, 200);
    await welfare.call({ method: 'GET', path: `/v1/objections/${objectionId}` }, 200);

    step(18, 'The monthly roll-up, then the public transparency report: no API key, counts below 5 suppressed');
    const month = seoulMonth(new Date());
    for (let i = 0; i < 50; i++) {
        const r = await auditor.call<{ rollUp: { more: boolean } }>(
            { method: 'POST', path: '/v1/reports/transparency/roll-up', body: { month } },
            200,
        );
        if (!r.rollUp.more) break;
    }
    const seoul = gatewayOf(findOrg(t, 'SeoulMSP'));
    await new GatewayClient('[public]', `http://${seoul.host}:${seoul.port}`, '').call(
        { method: 'GET', path: `/public/transparency?month=${month}` },
        200,
    );

    console.log(
        `\n${bold('Done.')} API docs: http://${seoul.host}:${seoul.port}/docs/, the public report: http://${seoul.host}:${seoul.port}/transparency/`,
    );
}

if (require.main === module) {
    const i = process.argv.indexOf('--topology');
    demo(i > 0 ? process.argv[i + 1] : undefined).catch((err) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
    });
}
