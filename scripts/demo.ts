// `npm run demo`: the whole journey through the four gateways that `npm start` runs, printing each
// step's request and answer: issue a card, register a service, a refused request, consent, a
// granted request with only the consented items, the citizen's access log, withdrawal, an
// auditor's query and a transaction proof. Apps and their API keys are provisioned on the way
// (the same command an operator runs: gateway/admin.ts create-app).
// Usage: node dist/scripts/demo.js [--topology FILE]
import * as crypto from 'node:crypto';
import { loadTopology, findOrg, type Topology } from '../network/client/topology';
import { AppStore } from '../gateway/auth/store';
import { provisionApp } from '../gateway/admin';
import { DeviceKey } from '../gateway/citizen/device';
import { loadConfig } from '../gateway/config';
import { openDb } from '../gateway/db';

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
                Authorization: `Bearer ${this.apiKey}`,
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
    const db = openDb(cfg.databaseFile);
    let apiKey: string;
    try {
        const store = new AppStore(db);
        apiKey = store.list().some((a) => a.name === name) ? store.rotateKey(name) : '';
    } finally {
        db.close();
    }
    if (!apiKey) apiKey = (await provisionApp({ topology: t, databaseFile: cfg.databaseFile, mspId, name, ...opts })).apiKey;
    const org = findOrg(t, mspId);
    return new GatewayClient(`[${mspId} ${name}]`, `http://${org.gateway.host}:${org.gateway.port}`, apiKey);
}

function step(n: number, title: string): void {
    console.log(`\n${bold(`${n}. ${title}`)}`);
}

export async function demo(topologyFile?: string): Promise<void> {
    const t = loadTopology(topologyFile);
    const run = Date.now().toString(36);
    console.log(bold(`Seoul citizen-card ledger: the journey (run ${run}, channel ${t.channel})`));
    for (const org of t.orgs) {
        const r = await fetch(`http://${org.gateway.host}:${org.gateway.port}/readyz`).catch(() => undefined);
        if (r?.status !== 200)
            throw new Error(
                `DEMO_NOT_READY: the ${org.mspId} gateway at ${org.gateway.host}:${org.gateway.port} is not ready; run npm start first`,
            );
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
    const access = await welfare.call<{ transactionId: string }>(
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

    console.log(`\n${bold('Done.')} API docs: http://${findOrg(t, 'SeoulMSP').gateway.host}:${findOrg(t, 'SeoulMSP').gateway.port}/docs/`);
}

if (require.main === module) {
    const i = process.argv.indexOf('--topology');
    demo(i > 0 ? process.argv[i + 1] : undefined).catch((err) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
    });
}
