// The gateways' OpenAPI documents are exact: valid OpenAPI 3.0.3 with every $ref resolved, objects
// closed (additionalProperties: false), a declared answer for every operation; every status an
// operation can produce declared with its codes, checked three ways: against the codes the
// contracts' source can throw, against the codes the gateway's source can answer, and against what
// the gateway answers to refusals of every kind (a fake Fabric layer scripted to refuse).
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { CommitError, GatewayError } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import request from 'supertest';
import { DeviceKey, newNonce } from '../../../gateway/citizen/device';
import { basicPensionServiceBody, cardIssueBody } from '../../../scripts/demo';
import { sealJson } from '../../../chaincode/model';
import { OutcomeUnknownError } from '../../../gateway/errors';
import type { EvaluateRequest } from '../../../gateway/fabric/types';
import { HISTORY_KINDS } from '../../../chaincode/model';
import { CHAINCODE_ERRORS, CHAINCODE_FN, type ChaincodeFn } from '../../../chaincode/surface';
import { Problem, strictErrors } from '../../../gateway/http/answers';
import { listen, serverRefusal } from '../../../gateway/http/listen';
import { buildOpenApi } from '../../../gateway/http/openapi';
import { OPS_ROUTES } from '../../../gateway/http/ops';
import { v1Routes } from '../../../gateway/http/routes';
import { STREAM_ROUTE } from '../../../gateway/http/sse';
import { webUisOf } from '../../../gateway/http/web';
import { CHAINCODE_HTTP_STATUS } from '../../../gateway/status-table';
import { chaincodeRefusals } from './chaincode-codes';
import { buildFixture, chaincodeEndorseError, chaincodeEvaluateError, type Fixture, unavailableError, validAccessRequest } from './fixture';
import { DocumentCheck, type Doc, operationsOf, openApiMetaValidator, ROOT } from './openapi-check';

const ORGS = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'];
const docOf = (mspId?: string): Doc =>
    buildOpenApi(v1Routes(), { mspId, version: '1.0.0', webUis: webUisOf(mspId === undefined || mspId === 'SeoulMSP') });
/** Every operation, every org's, both UIs. */
const everything = docOf();

// biome-ignore lint/suspicious/noExplicitAny: JSON walked freely
type Json = any;

function walk(node: Json, at: string, visit: (n: Json, at: string) => void): void {
    if (!node || typeof node !== 'object') return;
    visit(node, at);
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`, visit);
}

const pointer = (doc: Doc, ref: string): Json =>
    ref
        .replace(/^#\//, '')
        .split('/')
        .reduce((n: Json, k) => (n === undefined ? undefined : n[k.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);

/** The schema objects of a document: components' and inline (parameters, bodies, answers). */
function schemasOf(doc: Doc): { at: string; schema: Json }[] {
    const out: { at: string; schema: Json }[] = [];
    const collect = (s: Json, at: string) =>
        walk(s, at, (n, where) => {
            if (typeof n.type === 'string' || n.properties || n.$ref || n.oneOf || n.anyOf || n.allOf) out.push({ at: where, schema: n });
        });
    for (const [name, s] of Object.entries(doc.components.schemas)) collect(s, `#/components/schemas/${name}`);
    walk(doc.paths, '#/paths', (n, at) => {
        if (n.schema && typeof n.schema === 'object') collect(n.schema, `${at}/schema`);
    });
    for (const [name, p] of Object.entries(doc.components.parameters as Record<string, Json>))
        collect(p.schema, `#/components/parameters/${name}`);
    return out;
}

describe('gateway OpenAPI documents', () => {
    describe('structure', () => {
        it("Given each org's document and the full one, Then each is valid OpenAPI 3.0.3 (the OAI's schema) and every $ref resolves", () => {
            const meta = openApiMetaValidator();
            expect(meta({ ...everything, openapi: '4.0.0' }), 'the meta-schema does check').not.to.deep.equal([]);
            for (const doc of [everything, ...ORGS.map(docOf)]) {
                expect(doc.openapi).to.equal('3.0.3');
                expect(meta(doc), doc.info.title).to.deep.equal([]);
                walk(doc, '#', (n, at) => {
                    if (typeof n.$ref === 'string') expect(pointer(doc, n.$ref), `${at}: ${n.$ref}`).not.to.equal(undefined);
                });
                // And every schema it carries is used by it (only the schemas of its own operations).
                const text = JSON.stringify({ paths: doc.paths, schemas: doc.components.schemas });
                for (const name of Object.keys(doc.components.schemas)) expect(text, name).to.contain(`"#/components/schemas/${name}"`);
            }
        });

        it('Given every schema (components, parameters, bodies, answers), Then each object with properties refuses other members, and a $ref stands alone', () => {
            const schemas = schemasOf(everything);
            expect(schemas.length).to.be.greaterThan(300);
            for (const { at, schema } of schemas) {
                if (schema.type === 'object' && schema.properties) expect(schema.additionalProperties, at).to.equal(false);
                if (schema.$ref) expect(Object.keys(schema), at).to.deep.equal(['$ref']);
                // An open object is one on purpose: a map with its value schema, or the OpenAPI document's own members.
                if (schema.type === 'object' && !schema.properties && schema.additionalProperties !== false && !schema.enum)
                    expect(schema.additionalProperties, `${at}: an open object must state its members' schema`).to.be.an('object');
            }
            expect(everything.components.schemas.EmptyBody).to.deep.include({
                type: 'object',
                properties: {},
                additionalProperties: false,
            });
        });

        it('Given every operation, Then its success answer is declared: a $ref to its answer class, or a text (event stream, metrics), never a bare object', () => {
            for (const { method, path: p, op } of operationsOf(everything)) {
                const [status, answer] = Object.entries(op.responses as Record<string, Json>).find(([s]) => Number(s) < 300) ?? [];
                expect(status, `${method} ${p}`).not.to.equal(undefined);
                if (!answer.content) {
                    expect(status, `${method} ${p}: only a 204 has no body`).to.equal('204');
                    continue;
                }
                for (const [type, { schema }] of Object.entries(answer.content as Record<string, Json>)) {
                    if (type === 'application/json') {
                        expect(schema.$ref, `${method} ${p}`).to.match(/^#\/components\/schemas\/\w+$/);
                    } else {
                        expect(type, `${method} ${p}`).to.match(/^text\//);
                        expect(schema, `${method} ${p}`).to.deep.equal({ type: 'string' });
                    }
                }
            }
        });

        it('Given the parameters the gateway checks, Then each has its pattern, bounds or enum; integers are integers with their bounds', () => {
            const params = (id: string) =>
                Object.fromEntries(
                    (new DocumentCheck(everything).operation(id).op.parameters as Json[]).map((p: Json) => {
                        const q = p.$ref ? pointer(everything, p.$ref) : p;
                        return [q.name, q.schema];
                    }),
                );
            expect(params('listBlocks').from).to.deep.equal({ type: 'integer', minimum: 0, maximum: 999_999_999_999_999 });
            expect(params('listBlocks').to).to.deep.include({ type: 'integer', minimum: 1 });
            expect(params('listServices').pageSize).to.deep.equal({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
            expect(params('auditAccess').from).to.deep.include({ type: 'string', format: 'date-time' });
            expect(new RegExp(params('auditAccess').from.pattern).test('0000-01-01T00:00:00Z'), 'year 0000 is refused').to.equal(false);
            expect(params('auditHistory').kind).to.deep.include({ enum: [...HISTORY_KINDS] });
            expect(params('getBlock').blockNumber.pattern).to.be.a('string');
            expect(params('transactionProof').txId.pattern).to.equal('^[0-9a-f]{64}$');
            expect(params('updateService')['Idempotency-Key'].pattern).to.equal('^[A-Za-z0-9_.:-]{8,128}$');
            const stream = params(STREAM_ROUTE.operationId);
            expect(stream.subscriber.pattern).to.equal('^[A-Za-z0-9_.-]{1,64}$');
            expect(stream.request).to.deep.include({ minLength: 16, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+$' });
            const lastEventId = new RegExp(stream['Last-Event-ID'].pattern);
            for (const ok of ['0', '18446744073709551615', '00000000000000000007'])
                expect(lastEventId.test(`${ok}:${'a'.repeat(64)}`), ok).to.equal(true);
            for (const bad of ['18446744073709551616', '99999999999999999999', '-1', '1e3'])
                expect(lastEventId.test(`${bad}:${'a'.repeat(64)}`), bad).to.equal(false);
        });
    });

    describe('statuses', () => {
        it('Given the contracts, Then CHAINCODE_ERRORS lists what each transaction can refuse with (read from their source), but for the reasons it states', () => {
            const scanned = chaincodeRefusals();
            // Codes the contracts can throw that no gateway call can meet (see CHAINCODE_ERRORS).
            const unreachable: Record<string, string[]> = {
                [CHAINCODE_FN.issuePersonalRecord]: ['TRANSIENT_MISSING'],
                [CHAINCODE_FN.readGrantedData]: ['TRANSIENT_MISSING'],
                [CHAINCODE_FN.verifyChallenge]: ['SIGNED_REQUEST_REPLAYED'],
                [CHAINCODE_FN.listMyAccess]: ['SIGNED_REQUEST_REPLAYED'],
                [CHAINCODE_FN.prepareMinority]: ['TRANSIENT_MISSING'],
                [CHAINCODE_FN.prepareObjection]: ['TRANSIENT_MISSING'],
                [CHAINCODE_FN.readObjectionText]: ['TRANSIENT_MISSING'],
                [CHAINCODE_FN.listAccessLogAsRepresentative]: ['SIGNED_REQUEST_REPLAYED'],
                [CHAINCODE_FN.listMyRepresentations]: ['SIGNED_REQUEST_REPLAYED'],
            };
            expect([...scanned.keys()].sort()).to.deep.equal(Object.values(CHAINCODE_FN).sort());
            for (const [fn, codes] of scanned) {
                const expected = [...codes].filter((c) => !unreachable[fn]?.includes(c)).sort();
                expect([...CHAINCODE_ERRORS[fn as ChaincodeFn]].sort(), fn).to.deep.equal(expected);
            }
        });

        it("Given each route, Then it declares every code its chaincode functions throw, at the gateway's status, and the codes of its kind", () => {
            const check = new DocumentCheck(everything);
            const declared = (operationId: string, status: number) =>
                (check.operation(operationId).op.responses[String(status)]?.['x-problem-codes'] as string[] | undefined) ?? [];
            const expectCodes = (operationId: string, status: number, codes: string[]) =>
                expect(declared(operationId, status), `${operationId} ${status}`).to.include.members(codes);
            for (const r of v1Routes()) {
                const paged = [r.query, r.body, ...(r.bodyAlternatives?.classes ?? [])].some((c) => c && 'bookmark' in new c());
                for (const fn of [...(r.ledger.submits ?? []), ...(r.ledger.evaluates ?? [])])
                    for (const code of CHAINCODE_ERRORS[fn])
                        if (code !== 'INVALID_BOOKMARK' || paged) expectCodes(r.operationId, CHAINCODE_HTTP_STATUS[code] as number, [code]);
                // A refusal of the read that completes the answer is in the answer (dataError), unless another call answers it.
                const problems = new Set(
                    [...(r.ledger.submits ?? []), ...(r.ledger.evaluates ?? [])].flatMap((fn) => CHAINCODE_ERRORS[fn]),
                );
                for (const fn of r.ledger.readsForAnswer ?? [])
                    for (const code of CHAINCODE_ERRORS[fn]) {
                        const status = CHAINCODE_HTTP_STATUS[code] as number;
                        if (status >= 500) expectCodes(r.operationId, status, [code]);
                        else if (!problems.has(code))
                            expect(
                                declared(r.operationId, status),
                                `${r.operationId}: ${code} is in the answer's dataError`,
                            ).not.to.include(code);
                    }
                // Every route: the server, the app, the API key, the Fabric layer.
                expectCodes(r.operationId, 431, ['HEADERS_TOO_LARGE']);
                expectCodes(r.operationId, 401, ['UNAUTHENTICATED']);
                expectCodes(r.operationId, 429, ['RATE_LIMITED']);
                expectCodes(r.operationId, 503, ['FABRIC_UNAVAILABLE', 'SHUTTING_DOWN']);
                expectCodes(r.operationId, 502, ['FABRIC_ERROR']);
                expectCodes(r.operationId, 400, ['VALIDATION_FAILED']);
                if (r.params) expectCodes(r.operationId, 400, ['MALFORMED_PATH']);
                if (paged) expectCodes(r.operationId, 400, ['INVALID_BOOKMARK']);
                if (r.method !== 'get') {
                    expectCodes(r.operationId, 400, ['MALFORMED_JSON', 'BODY_LENGTH_MISMATCH']);
                    expectCodes(r.operationId, 408, ['REQUEST_TIMEOUT']);
                    expectCodes(r.operationId, 413, ['BODY_TOO_LARGE']);
                    expectCodes(r.operationId, 415, ['UNSUPPORTED_MEDIA_TYPE', 'CONTENT_ENCODING_UNSUPPORTED', 'CHARSET_UNSUPPORTED']);
                    expectCodes(r.operationId, 409, ['IDEMPOTENCY_IN_FLIGHT']);
                    expectCodes(r.operationId, 422, ['IDEMPOTENCY_KEY_REUSED']);
                } else {
                    expect(check.operation(r.operationId).op.responses, `${r.operationId}: a GET's body is not read`).not.to.have.any.keys(
                        '413',
                        '415',
                    );
                }
                if (r.ledger.submits?.length) {
                    expectCodes(r.operationId, 409, ['LEDGER_CONFLICT', 'TX_INVALIDATED']);
                    expectCodes(r.operationId, 504, ['COMMIT_STATUS_UNKNOWN']);
                } else expect(check.operation(r.operationId).op.responses, r.operationId).not.to.have.property('504');
            }
            expectCodes('updateService', 504, ['COMMIT_STATUS_UNKNOWN']);
            expectCodes('updateService', 422, ['IDEMPOTENCY_KEY_REUSED']);
            expectCodes('registerService', 422, ['ORG_NOT_ON_CHANNEL']);
            expectCodes('auditHistory', 404, ['CARD_NOT_FOUND', 'SERVICE_NOT_FOUND', 'CONSENT_NOT_FOUND', 'ACCESS_NOT_FOUND']);
            expectCodes('transactionProof', 404, ['TX_NOT_FOUND']);
            expectCodes('getBlock', 404, ['BLOCK_NOT_FOUND']);
            expectCodes('requestAccess', 503, ['PEER_NOT_MEMBER']);
            expectCodes(STREAM_ROUTE.operationId, 401, ['UNAUTHENTICATED']);
            expectCodes(STREAM_ROUTE.operationId, 429, ['RATE_LIMITED', 'TOO_MANY_STREAMS']);
            expectCodes(STREAM_ROUTE.operationId, 503, ['FABRIC_UNAVAILABLE', 'SHUTTING_DOWN']);
            expectCodes(STREAM_ROUTE.operationId, 403, ['UNAUTHORIZED_ROLE']);
            expectCodes(STREAM_ROUTE.operationId, 422, ['SIGNATURE_INVALID', 'SIGNED_REQUEST_EXPIRED']);
            expect(declared(STREAM_ROUTE.operationId, 400)).not.to.include('INVALID_BOOKMARK');
            expectCodes('trackerSignIn', 422, ['SIGNATURE_INVALID']);
            expectCodes('trackerSignIn', 404, ['CARD_NOT_FOUND']);
            expectCodes('trackerGetCard', 403, ['CROSS_ORIGIN', 'SESSION_CARD_MISMATCH', 'FABRIC_ACCESS_DENIED']);
            expectCodes('consoleAuditAccess', 403, ['CROSS_ORIGIN', 'UNAUTHORIZED_ROLE', 'UNAUTHORIZED_DEPT']);
            for (const o of OPS_ROUTES) {
                expectCodes(o.operationId, 503, ['SHUTTING_DOWN']);
                expect(Boolean(declared(o.operationId, 429).length), `${o.operationId} rate-limited`).to.equal(!o.unlimited);
            }
            expectCodes('readyz', 503, ['FABRIC_UNAVAILABLE']);
        });

        it("Given every stable code in the gateway's source, Then each is declared by some operation, or answers none on purpose", () => {
            const sources: string[] = [];
            const collect = (dir: string) => {
                for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                    const p = path.join(dir, e.name);
                    if (e.isDirectory()) collect(p);
                    else if (e.name.endsWith('.ts')) sources.push(fs.readFileSync(p, 'utf8'));
                }
            };
            collect(path.join(ROOT, 'gateway'));
            const codes = new Set<string>();
            for (const text of sources) for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1] as string);
            for (const text of sources)
                for (const m of text.matchAll(/\b(?:forbidden|rateLimited)\('([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1] as string);
            const declared = new Set(
                operationsOf(everything).flatMap(({ op }) =>
                    Object.values(op.responses as Record<string, Json>).flatMap((r) => r['x-problem-codes'] ?? []),
                ),
            );
            /** Codes that answer no operation, and why. */
            const undeclared: Record<string, string> = {
                INTERNAL: 'a fault of the gateway, never the answer to a request (the info says so)',
                ROUTE_NOT_FOUND: 'no operation: an unknown path or method',
                MALFORMED_HTTP: 'no operation: the bytes are not an HTTP request',
                UI_NOT_BUILT: 'the web pages, not the API',
                BAD_BODY: "body-parser's refusals are all in BODY_REFUSALS; this is the fallback for a new one",
                NOT_FOUND: 'errors.ts notFound(), a helper no route uses',
            };
            expect(codes.size).to.be.greaterThan(30);
            for (const code of codes) {
                if (code in undeclared) expect(declared, code).not.to.include(code);
                else expect(declared, `${code} is produced by the gateway but declared nowhere`).to.include(code);
            }
        });
    });

    describe('answers to refusals (fake Fabric)', () => {
        let f: Fixture;
        afterEach(() => f?.close());
        const check = new DocumentCheck(everything);
        const device = DeviceKey.generate();
        const other = DeviceKey.generate();
        const card = 'card-0001';
        const parent = DeviceKey.generate().asRepresentative('card-0002');
        const acting = { representationId: 'rep-0001', representedCardId: card, minorityToken: 'e'.repeat(64) };
        /** Ids of the hex kind, with digits (a path segment of letters only would read as a path word). */
        const hexId = '0123456789abcdef'.repeat(4);
        /**
         * The fake's answers: an access GRANTED, its data sealed as ReadGrantedData seals it; a child's
         * representation and minority (so that the tokens are looked up); an objection's text not yet on
         * Seoul's peer when FileObjection is only evaluated, and sealed as ReadObjectionText seals it; {} otherwise.
         */
        const defaults = (fn: string, arg: Record<string, string>, req: EvaluateRequest): unknown => {
            if ([CHAINCODE_FN.requestAccess, CHAINCODE_FN.requestSealedAccess, CHAINCODE_FN.requestEmergencyAccess].includes(fn as never))
                return { accessId: 'f'.repeat(64), decision: 'GRANTED', reason: 'CONSENT' };
            if (fn === CHAINCODE_FN.listMyRepresentations)
                return {
                    records: [{ representationId: 'rep-0001', representedCardId: card, basis: 'MINOR_UNDER_14', status: 'ACTIVE' }],
                    bookmark: '',
                    fetchedRecordsCount: 1,
                };
            if (fn === CHAINCODE_FN.getMinority)
                return {
                    cardId: arg.cardId,
                    status: 'ACTIVE',
                    startDate: '2026-01-01',
                    powerAnchor: 'a'.repeat(64),
                    ownAnchor: 'b'.repeat(64),
                };
            if (fn === CHAINCODE_FN.fileObjection && !('endorsingOrgs' in req)) throw chaincodeEvaluateError('OBJECTION_TEXT_NOT_FOUND');
            if (fn === CHAINCODE_FN.readObjectionText)
                return {
                    objectionId: arg.objectionId,
                    sealed: sealJson(
                        { objectionId: arg.objectionId, text: 'x' },
                        req.transient?.responseKey as Uint8Array,
                        'tx',
                        arg.objectionId as string,
                    ),
                };
            if (fn !== CHAINCODE_FN.readGrantedData) return {};
            const granted = { accessId: arg.accessId, cardId: card, items: {}, predicates: { 'ageAtLeast:65': true } };
            return {
                accessId: arg.accessId,
                cardId: card,
                sealed: sealJson(granted, req.transient?.responseKey as Uint8Array, 'tx', arg.accessId as string),
            };
        };

        /** A request each route accepts, with the fake's default answers (they pass the gateway's validation, nothing more). */
        const samples: Record<string, { method: 'get' | 'post' | 'put'; url: string; body?: object }[]> = {
            issueCard: [{ method: 'post', url: '/v1/cards', body: cardIssueBody(card, device.publicKeyBase64()) }],
            getCard: [{ method: 'get', url: `/v1/cards/${card}` }],
            suspendCard: [{ method: 'post', url: `/v1/cards/${card}/suspend`, body: { reason: 'LOST_DEVICE' } }],
            reportLostDevice: [{ method: 'post', url: `/v1/cards/${card}/report-lost`, body: device.reportLost(card) }],
            reinstateCard: [{ method: 'post', url: `/v1/cards/${card}/reinstate`, body: { reason: 'RECOVERED' } }],
            revokeCard: [{ method: 'post', url: `/v1/cards/${card}/revoke`, body: { reason: 'DECEASED' } }],
            renewCard: [{ method: 'post', url: `/v1/cards/${card}/renew`, body: { validityYears: 5 } }],
            rotateDeviceKey: [
                { method: 'post', url: `/v1/cards/${card}/rotate-key`, body: device.rotateTo(card, other.publicKeyBase64()) },
                {
                    method: 'post',
                    url: `/v1/cards/${card}/rotate-key`,
                    body: { newDevicePublicKey: other.publicKeyBase64(), reason: 'DEVICE_REPLACED' },
                },
            ],
            eraseCard: [{ method: 'post', url: `/v1/cards/${card}/erase`, body: {} }],
            listCardConsents: [{ method: 'get', url: `/v1/cards/${card}/consents?pageSize=5` }],
            verifyChallenge: [{ method: 'post', url: `/v1/cards/${card}/verify`, body: device.signChallenge(card, newNonce(), 'MOHWMSP') }],
            askEligibility: [
                {
                    method: 'post',
                    url: `/v1/cards/${card}/eligibility`,
                    body: { serviceId: 'svc-welfare-1', purpose: 'p', predicates: [{ name: 'ageAtLeast', value: 65 }] },
                },
            ],
            registerService: [
                {
                    method: 'post',
                    url: '/v1/services',
                    body: basicPensionServiceBody('svc-pension', 'p', { items: ['name'], predicates: [] }),
                },
            ],
            listServices: [{ method: 'get', url: '/v1/services?ownerMspId=MOHWMSP' }],
            getService: [{ method: 'get', url: '/v1/services/svc-pension' }],
            updateService: [
                { method: 'put', url: '/v1/services/svc-pension', body: { name: 'n', purpose: 'p', items: ['name'], predicates: [] } },
            ],
            deactivateService: [{ method: 'post', url: '/v1/services/svc-pension/deactivate', body: {} }],
            grantConsent: [
                {
                    method: 'post',
                    url: '/v1/consents',
                    body: device.consent({
                        cardId: card,
                        serviceId: 'svc-pension',
                        recipientMspId: 'MOHWMSP',
                        purpose: 'p',
                        items: ['name'],
                        retentionDays: 30,
                    }),
                },
            ],
            listConsentsByRecipient: [{ method: 'get', url: '/v1/consents?recipientMspId=MOHWMSP' }],
            getConsent: [{ method: 'get', url: '/v1/consents/consent-0001' }],
            withdrawConsent: [{ method: 'post', url: '/v1/consents/consent-0001/withdraw', body: device.withdraw(card, 'consent-0001') }],
            requestAccess: [{ method: 'post', url: '/v1/access-requests', body: validAccessRequest() }],
            getAccessEntry: [{ method: 'get', url: `/v1/access/${'b'.repeat(64)}` }],
            listCardAccessLog: [{ method: 'get', url: `/v1/cards/${card}/access-log` }],
            listMyAccessLog: [
                {
                    method: 'post',
                    url: `/v1/cards/${card}/access-log/query`,
                    body: { request: device.accessLogRequest(card), pageSize: 5 },
                },
            ],
            auditAccess: [
                { method: 'get', url: '/v1/audit/access?mspId=MOHWMSP&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00%2B09:00' },
            ],
            auditAccessCounts: [
                {
                    method: 'get',
                    url: '/v1/audit/access/counts?mspId=MOHWMSP&dept=welfare&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z',
                },
            ],
            auditHistory: [{ method: 'get', url: `/v1/audit/history/card/${card}` }],
            transactionProof: [{ method: 'get', url: `/v1/transactions/${'a'.repeat(64)}` }],
            chainInfo: [{ method: 'get', url: '/v1/chain' }],
            listBlocks: [{ method: 'get', url: '/v1/blocks?from=0&to=2' }],
            getBlock: [{ method: 'get', url: '/v1/blocks/0' }],
            // Issue 24.
            recordMinority: [{ method: 'post', url: `/v1/cards/${card}/minority`, body: {} }],
            getMinority: [{ method: 'get', url: `/v1/cards/${card}/minority` }],
            myMinority: [
                { method: 'post', url: `/v1/cards/${card}/minority/query`, body: { request: device.representationListRequest(card) } },
            ],
            endMinority: [{ method: 'post', url: `/v1/cards/${card}/minority/end`, body: device.endMinority(card, 'e'.repeat(64)) }],
            recordRepresentation: [
                {
                    method: 'post',
                    url: '/v1/representations',
                    body: {
                        representationId: 'rep-0001',
                        representedCardId: card,
                        representativeCardId: 'card-0002',
                        basis: 'MINOR_UNDER_14',
                        scope: ['consent'],
                    },
                },
            ],
            getRepresentation: [{ method: 'get', url: '/v1/representations/rep-0001' }],
            revokeRepresentation: [{ method: 'post', url: '/v1/representations/rep-0001/revoke', body: { reason: 'COURT_ORDER' } }],
            listCardRepresentations: [{ method: 'get', url: `/v1/cards/${card}/representations?side=represented` }],
            listMyRepresentations: [
                {
                    method: 'post',
                    url: '/v1/cards/card-0002/representations/query',
                    body: { request: parent.device.representationListRequest('card-0002') },
                },
            ],
            grantConsentAsRepresentative: [
                {
                    method: 'post',
                    url: '/v1/representations/rep-0001/consents',
                    body: parent.consent(acting, {
                        serviceId: 'svc-pension',
                        recipientMspId: 'MOHWMSP',
                        purpose: 'p',
                        items: ['name'],
                        retentionDays: 30,
                    }),
                },
            ],
            withdrawConsentAsRepresentative: [
                {
                    method: 'post',
                    url: '/v1/representations/rep-0001/consents/consent-0001/withdraw',
                    body: parent.withdraw(acting, 'consent-0001'),
                },
            ],
            listAccessLogAsRepresentative: [
                {
                    method: 'post',
                    url: '/v1/representations/rep-0001/access-log/query',
                    body: { request: parent.accessLogRequest(acting), pageSize: 5 },
                },
            ],
            requestSealedAccess: [
                {
                    method: 'post',
                    url: '/v1/access-requests/sealed',
                    body: { ...validAccessRequest(), sealedUntil: new Date(Date.now() + 30 * 86_400_000).toISOString() },
                },
            ],
            requestEmergencyAccess: [
                {
                    method: 'post',
                    url: '/v1/access-requests/emergency',
                    body: { ...validAccessRequest(), reasonCode: 'UNCONSCIOUS_PATIENT', incidentRef: 'ER-2026-000123' },
                },
            ],
            getPolicy: [{ method: 'get', url: '/v1/policy' }],
            getSeal: [{ method: 'get', url: `/v1/seals/${hexId}` }],
            extendSeal: [
                {
                    method: 'post',
                    url: `/v1/seals/${hexId}/extend`,
                    body: { sealedUntil: '2026-09-01T00:00:00Z', decisionRef: 'AUD-2026-0042' },
                },
            ],
            listReviews: [{ method: 'get', url: '/v1/reviews?status=OPEN' }],
            getReview: [{ method: 'get', url: `/v1/reviews/${hexId}` }],
            decideReview: [
                {
                    method: 'post',
                    url: `/v1/reviews/${hexId}/decision`,
                    body: { outcome: 'CLEARED', findingCode: 'LAWFUL', text: 'Lawful.' },
                },
            ],
            getBreakGlassStatus: [{ method: 'get', url: '/v1/break-glass/MOHWMSP/welfare' }],
            clearBreakGlassBlock: [
                { method: 'post', url: '/v1/break-glass/MOHWMSP/welfare/clear', body: { decisionRef: 'AUD-2026-0043' } },
            ],
            fileObjection: [
                { method: 'post', url: '/v1/objections', body: device.objection(card, 'b'.repeat(64), 'I never asked for this.') },
            ],
            listObjections: [{ method: 'get', url: '/v1/objections?status=OPEN' }],
            getObjection: [{ method: 'get', url: `/v1/objections/${hexId}` }],
            readObjectionText: [{ method: 'get', url: `/v1/objections/${hexId}/text` }],
            recordFinding: [
                {
                    method: 'post',
                    url: `/v1/objections/${hexId}/finding`,
                    body: { outcome: 'UPHELD', findingCode: 'NO_VALID_BASIS', text: 'Upheld.' },
                },
            ],
            listCardObjections: [{ method: 'get', url: `/v1/cards/${card}/objections` }],
            listDepartmentObjections: [{ method: 'get', url: '/v1/audit/objections?mspId=MOHWMSP&dept=welfare' }],
            transparencyReport: [{ method: 'get', url: '/v1/reports/transparency?month=2026-06' }],
            rollUpReport: [{ method: 'post', url: '/v1/reports/transparency/roll-up', body: { month: '2026-06' } }],
        };
        /** Another valid body of the routes without an identifier in their path. */
        const variants: Record<string, object> = {
            issueCard: cardIssueBody('card-0002', device.publicKeyBase64()),
            registerService: basicPensionServiceBody('svc-other', 'p', { items: ['name'], predicates: [] }),
            grantConsent: device.consent({
                cardId: card,
                serviceId: 'svc-other',
                recipientMspId: 'MOHWMSP',
                purpose: 'p',
                items: [],
                retentionDays: 9,
            }),
            requestAccess: { ...validAccessRequest(), purpose: 'another purpose' },
            recordRepresentation: {
                representationId: 'rep-0002',
                representedCardId: card,
                representativeCardId: 'card-0003',
                basis: 'GUARDIANSHIP',
                scope: ['viewLog'],
                endsAt: '2030-01-01T00:00:00Z',
            },
            requestSealedAccess: { ...validAccessRequest(), sealedUntil: new Date(Date.now() + 60 * 86_400_000).toISOString() },
            requestEmergencyAccess: { ...validAccessRequest(), reasonCode: 'MISSING_PERSON', incidentRef: 'ER-2026-000124' },
            extendSeal: { sealedUntil: '2026-09-02T00:00:00Z', decisionRef: 'AUD-2026-0044' },
            decideReview: { outcome: 'UPHELD', findingCode: 'NOT_AN_EMERGENCY' },
            clearBreakGlassBlock: { decisionRef: 'AUD-2026-0045' },
            fileObjection: device.objection(card, 'c'.repeat(64), 'Not me.'),
            recordFinding: { outcome: 'REJECTED', findingCode: 'LAWFUL', text: 'Rejected.' },
            rollUpReport: { month: '2026-05' },
            listMyRepresentations: { request: parent.device.representationListRequest('card-0002'), side: 'represented' },
        };
        const routes = v1Routes();
        it('Given a sample for every route, Then each is a request the route accepts', async () => {
            expect(Object.keys(samples).sort()).to.deep.equal(routes.map((r) => r.operationId).sort());
            f = buildFixture({ script: (fn, arg, req) => defaults(fn, arg, req) });
            f.fabric.blocks = [{ number: '0', previousHash: '', dataHash: 'd'.repeat(64), transactions: [] }];
            for (const [operationId, list] of Object.entries(samples))
                for (const sample of list) {
                    const res = await send(sample);
                    expect([operationId, res.status], JSON.stringify(res.body)).to.deep.equal([
                        operationId,
                        routes.find((r) => r.operationId === operationId)?.success.status,
                    ]);
                }
        });

        const send = (
            sample: { method: 'get' | 'post' | 'put'; url: string; body?: object },
            headers: Record<string, string> = {},
            on: Fixture = f,
        ) => {
            const req = request(on.gw.app)[sample.method](sample.url).set(on.auth('welfare-app')).set(headers);
            return sample.body === undefined ? req : req.send(sample.body);
        };
        const answered: Record<string, Set<string>> = {};
        const expectDeclared = (operationId: string, res: request.Response) => {
            // The fake's successes are not real answers: only their status is checked here (answers.test.ts checks real ones).
            check.expectAnswer(operationId, res, undefined, false);
            answered[operationId] = new Set([...(answered[operationId] ?? []), `${res.status} ${res.body?.code ?? ''}`]);
        };

        it("Given each chaincode function's every refusal, When each route calls it, Then the route answers a declared status and code, as a Problem", async () => {
            // One fixture per route, the routes run together: a few cases wait for a peer to catch up
            // (afterCommit retries RECORD_NOT_FOUND and ACCESS_NOT_FOUND for about 3 s).
            let cases = 0;
            await Promise.all(
                routes.map(async (r) => {
                    let refusing: { fn: string; code: string; called: boolean } | undefined;
                    const own = buildFixture({
                        script: (calledFn, arg, req) => {
                            if (refusing && calledFn === refusing.fn) {
                                refusing.called = true;
                                const { code } = refusing;
                                throw r.ledger.submits?.includes(calledFn as ChaincodeFn)
                                    ? chaincodeEndorseError(code)
                                    : chaincodeEvaluateError(code);
                            }
                            return defaults(calledFn, arg, req);
                        },
                    });
                    const paged = [r.query, r.body].some((c) => c && 'bookmark' in new c());
                    try {
                        for (const fn of [...(r.ledger.submits ?? []), ...(r.ledger.evaluates ?? []), ...(r.ledger.readsForAnswer ?? [])])
                            for (const code of CHAINCODE_ERRORS[fn]) {
                                if (code === 'INVALID_BOOKMARK' && !paged) continue;
                                cases++;
                                refusing = { fn, code, called: false };
                                for (const sample of samples[r.operationId] ?? []) {
                                    const res = await send(sample, {}, own);
                                    if (!refusing.called) continue;
                                    expectDeclared(r.operationId, res);
                                    const status = CHAINCODE_HTTP_STATUS[code] as number;
                                    if (r.ledger.readsForAnswer?.includes(fn) && status < 500) {
                                        expect([res.status, res.body.dataError?.code], `${r.operationId} ${fn} ${code}`).to.deep.equal([
                                            201,
                                            code,
                                        ]);
                                    } else
                                        expect([res.status, res.body.code], `${r.operationId} ${fn} ${code}`).to.deep.equal([status, code]);
                                    break;
                                }
                                expect(refusing.called, `${r.operationId} calls ${fn}`).to.equal(true);
                            }
                    } finally {
                        own.close();
                    }
                }),
            );
            expect(cases).to.be.greaterThan(150);
        });

        it('Given refusals by the HTTP layer, the dispatcher, the Idempotency-Key rules and the Fabric layer, Then every route answers each with a declared status and code', async () => {
            const fabricErrors: [string, () => Error][] = [
                ['FABRIC_UNAVAILABLE', unavailableError],
                [
                    'FABRIC_ERROR',
                    () =>
                        new GatewayError({
                            code: 13,
                            details: [],
                            cause: Object.assign(new Error('x'), { code: 13, details: 'x', metadata: undefined as never }),
                            message: '13 INTERNAL',
                        }),
                ],
                [
                    'FABRIC_ACCESS_DENIED',
                    () =>
                        new GatewayError({
                            code: 7,
                            details: [],
                            cause: Object.assign(new Error('x'), { code: 7, details: 'x', metadata: undefined as never }),
                            message: '7 PERMISSION_DENIED',
                        }),
                ],
                [
                    'FABRIC_NOT_FOUND',
                    () =>
                        new GatewayError({
                            code: 5,
                            details: [],
                            cause: Object.assign(new Error('x'), { code: 5, details: 'x', metadata: undefined as never }),
                            message: '5 NOT_FOUND',
                        }),
                ],
            ];
            for (const r of routes) {
                const sample = samples[r.operationId]?.[0];
                if (!sample) throw new Error(`no sample for ${r.operationId}`);
                f?.close();
                let fail: (() => Error) | undefined;
                let fabricCalled = false;
                f = buildFixture({
                    script: (calledFn, arg, req) => {
                        fabricCalled = true;
                        if (fail) throw fail();
                        return defaults(calledFn, arg, req);
                    },
                });
                const expectCode = async (res: request.Response | Promise<request.Response>, status: number, code: string) => {
                    const answer = await res;
                    expectDeclared(r.operationId, answer);
                    expect([answer.status, answer.body.code], `${r.operationId}`).to.deep.equal([status, code]);
                };
                await expectCode(request(f.gw.app)[sample.method](sample.url).send(sample.body), 401, 'UNAUTHENTICATED');
                const sep = sample.url.includes('?') ? '&' : '?';
                await expectCode(send({ ...sample, url: `${sample.url}${sep}unknown=1` }), 400, 'VALIDATION_FAILED');
                if (r.params) {
                    const broken = sample.url.replace(/^(\/v1\/[a-z-]+(?:\/[a-z]+)?\/)[^/?]+/, '$1%ZZ');
                    await expectCode(send({ ...sample, url: broken }), 400, 'MALFORMED_PATH');
                }
                for (const [code, error] of fabricErrors) {
                    fail = error;
                    fabricCalled = false;
                    const res = await send(sample);
                    fail = undefined;
                    if (fabricCalled)
                        await expectCode(
                            res,
                            Number(
                                code === 'FABRIC_UNAVAILABLE'
                                    ? 503
                                    : code === 'FABRIC_ERROR'
                                      ? 502
                                      : code === 'FABRIC_ACCESS_DENIED'
                                        ? 403
                                        : 404,
                            ),
                            code,
                        );
                    else
                        expect(['chainInfo', 'listBlocks', 'getBlock', 'transactionProof'], `${r.operationId} calls the ledger`).to.include(
                            r.operationId,
                        );
                }
                if (r.method === 'get') {
                    await expectCode(send(sample, { 'Idempotency-Key': 'key-00000001' }), 400, 'VALIDATION_FAILED');
                    // The body of a GET is not read: it changes nothing in the answer.
                    const without = await send(sample);
                    const withBody = await request(f.gw.app)
                        .get(sample.url)
                        .set(f.auth('welfare-app'))
                        .set('Content-Type', 'application/json')
                        .send('{');
                    expect(withBody.status, `${r.operationId} with a body`).to.equal(without.status);
                } else {
                    const post = () => request(f.gw.app)[sample.method](sample.url).set(f.auth('welfare-app'));
                    const json = JSON.stringify(sample.body);
                    await expectCode(post().set('Content-Type', 'text/plain').send(json), 415, 'UNSUPPORTED_MEDIA_TYPE');
                    await expectCode(post().set('Content-Type', 'application/json; charset=latin1').send(json), 415, 'CHARSET_UNSUPPORTED');
                    await expectCode(
                        post().set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(zlib.gzipSync(json)),
                        415,
                        'CONTENT_ENCODING_UNSUPPORTED',
                    );
                    await expectCode(
                        post()
                            .set('Content-Type', 'application/json')
                            .send(`{"x":"${'a'.repeat(20_000)}"}`),
                        413,
                        'BODY_TOO_LARGE',
                    );
                    await expectCode(post().set('Content-Type', 'application/json').send('{"cardId":'), 400, 'MALFORMED_JSON');
                    await expectCode(post().send({ ...sample.body, unknownMember: 1 }), 400, 'VALIDATION_FAILED');
                    if (Object.keys(sample.body ?? {}).length)
                        await expectCode(post().send({ ...sample.body, deep: [[[[[[[[[1]]]]]]]]] }), 400, 'JSON_TOO_DEEP');
                    // The same key with another request of the route: another resource in the path, or another body.
                    const key = `key-${r.operationId}`;
                    const first = await send(sample, { 'Idempotency-Key': key });
                    expectDeclared(r.operationId, first);
                    const otherUrl = sample.url.replace(/card-0001|svc-pension|consent-0001|rep-0001/, (id) => `${id}-b`);
                    const otherBody = otherUrl === sample.url ? variants[r.operationId] : sample.body;
                    expect(otherBody, `${r.operationId}: another request`).not.to.equal(undefined);
                    const reused = request(f.gw.app)[sample.method](otherUrl).set(f.auth('welfare-app')).set('Idempotency-Key', key);
                    await expectCode(reused.send(otherBody as object), 422, 'IDEMPOTENCY_KEY_REUSED');
                    if (r.ledger.submits?.length) {
                        fail = () => new OutcomeUnknownError('1'.padStart(64, '0'), new Error('deadline'));
                        await expectCode(send(sample), 504, 'COMMIT_STATUS_UNKNOWN');
                        fail = () => new CommitError({ code: 11, transactionId: '2'.padStart(64, '0') });
                        await expectCode(send(sample), 409, 'LEDGER_CONFLICT');
                        fail = () => new CommitError({ code: 10, transactionId: '3'.padStart(64, '0') });
                        await expectCode(send(sample), 409, 'TX_INVALIDATED');
                        fail = undefined;
                    }
                }
                f.gw.draining.value = true;
                await expectCode(send(sample), 503, 'SHUTTING_DOWN');
            }
            // A route's own refusals.
            f?.close();
            f = buildFixture();
            const foreign = basicPensionServiceBody('svc-x', 'p', { items: [], predicates: [] });
            await expectDeclaredCode(
                'registerService',
                send({ method: 'post', url: '/v1/services', body: { ...foreign, ownerMspId: 'MOLEMSP' } }),
                422,
                'ORG_NOT_ON_CHANNEL',
            );
            await expectDeclaredCode('getBlock', send({ method: 'get', url: '/v1/blocks/5' }), 404, 'BLOCK_NOT_FOUND');
            await expectDeclaredCode('listBlocks', send({ method: 'get', url: '/v1/blocks?from=5&to=2' }), 400, 'VALIDATION_FAILED');
            await expectDeclaredCode('listBlocks', send({ method: 'get', url: '/v1/blocks?from=0x1&to=2' }), 400, 'VALIDATION_FAILED');
            await expectDeclaredCode(
                'listServices',
                send({ method: 'get', url: `/v1/services?${Array.from({ length: 600 }, (_, i) => `k${i}=`).join('&')}` }),
                400,
                'JSON_TOO_MANY_MEMBERS',
            );
            // Rate limits: per key (a POST costs 5 of 1), and per address without a key.
            f.close();
            f = buildFixture({ limits: { max: 1, anonymousMax: 1 } });
            await expectDeclaredCode('requestAccess', send(samples.requestAccess?.[0] as never), 429, 'RATE_LIMITED');
            await request(f.gw.app).get('/metrics');
            await expectDeclaredCode('metrics', request(f.gw.app).get('/metrics'), 429, 'RATE_LIMITED');
        });

        async function expectDeclaredCode(
            operationId: string,
            res: Promise<request.Response> | request.Response,
            status: number,
            code: string,
        ) {
            const answer = await res;
            expectDeclared(operationId, answer);
            expect([answer.status, answer.body.code], operationId).to.deep.equal([status, code]);
        }

        it('Given the access-log stream, Then no key (401), the quota of streams (429), the ledger unreachable (503), a bad Last-Event-ID (400) and a chaincode refusal are declared answers', async () => {
            const url = `/v1/cards/${card}/access-log/stream`;
            const id = STREAM_ROUTE.operationId;
            f = buildFixture({ limits: { streamsPerKey: 0 } });
            await expectDeclaredCode(id, request(f.gw.app).get(url), 401, 'UNAUTHENTICATED');
            await expectDeclaredCode(id, request(f.gw.app).get(url).set(f.auth('welfare-app')), 429, 'TOO_MANY_STREAMS');
            f.close();
            f = buildFixture({
                script: () => {
                    throw unavailableError();
                },
            });
            await expectDeclaredCode(id, request(f.gw.app).get(url).set(f.auth('welfare-app')), 503, 'FABRIC_UNAVAILABLE');
            await expectDeclaredCode(
                id,
                request(f.gw.app)
                    .get(url)
                    .set(f.auth('welfare-app'))
                    .set('Last-Event-ID', `18446744073709551616:${'a'.repeat(64)}`),
                400,
                'VALIDATION_FAILED',
            );
            await expectDeclaredCode(
                id,
                request(f.gw.app)
                    .get(`${url}?request=${'A'.repeat(20)}`)
                    .set(f.auth('welfare-app')),
                400,
                'VALIDATION_FAILED',
            );
            f.close();
            f = buildFixture({
                script: () => {
                    throw chaincodeEvaluateError('UNAUTHORIZED_ROLE');
                },
            });
            await expectDeclaredCode(id, request(f.gw.app).get(url).set(f.auth('welfare-app')), 403, 'UNAUTHORIZED_ROLE');
            f.close();
            f = buildFixture();
            const ok = await request(f.gw.app).get(url).set(f.auth('welfare-app'));
            expectDeclared(id, ok);
            expect(ok.status).to.equal(200);
        });

        it('Given the probes, the front page and the document, Then each answer matches its declared class; not ready and stopping are declared', async () => {
            const report = { month: '2026-06', complete: true, minCount: 5, rows: [] };
            f = buildFixture({ script: (fn) => (fn === CHAINCODE_FN.transparencyReport ? report : {}) });
            for (const o of OPS_ROUTES) {
                const res = await request(f.gw.app).get(o.path);
                expect(res.status, o.path).to.equal(200);
                check.expectAnswer(o.operationId, res, o.answer === 'text/plain' ? undefined : o.answer);
            }
            f.fabric.readyValue = false;
            await expectDeclaredCode('readyz', request(f.gw.app).get('/readyz'), 503, 'FABRIC_UNAVAILABLE');
            f.gw.draining.value = true;
            await expectDeclaredCode('healthz', request(f.gw.app).get('/healthz'), 503, 'SHUTTING_DOWN');
        });

        it('Given headers too large for the HTTP server, Then 431 is a Problem with a request id (no instance: the path was not read), as declared', async () => {
            f = buildFixture();
            const server = await listen(f.gw.app, { host: '127.0.0.1', port: 0, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
            try {
                const raw = await new Promise<string>((resolve, reject) => {
                    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () =>
                        socket.write(`GET /v1/services?bookmark=${'a'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
                    );
                    let got = '';
                    socket.on('data', (d) => (got += d.toString('latin1')));
                    socket.on('close', () => resolve(got));
                    socket.on('error', reject);
                });
                const [head, body] = raw.split('\r\n\r\n') as [string, string];
                expect(head.split('\r\n')[0]).to.equal('HTTP/1.1 431 Request Header Fields Too Large');
                const problem = JSON.parse(body);
                expect(head).to.match(new RegExp(`X-Request-Id: ${problem.requestId}`));
                expect(strictErrors(Problem, problem)).to.deep.equal([]);
                expect(problem).to.include({ status: 431, code: 'HEADERS_TOO_LARGE' });
                expect(check.schemaErrors({ $ref: '#/components/schemas/Problem' }, problem)).to.deep.equal([]);
                expect(check.operation('listServices').op.responses['431']['x-problem-codes']).to.deep.equal(['HEADERS_TOO_LARGE']);
                const timeout = serverRefusal(Object.assign(new Error('t'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), 'req-00000001');
                expect(strictErrors(Problem, JSON.parse(timeout.text.split('\r\n\r\n')[1] as string))).to.deep.equal([]);
            } finally {
                server.closeAllConnections();
                await new Promise((r) => server.close(r));
            }
        });

        after(() => {
            // What the refusals above reached, for whoever reads the run (and a floor so that the loop does run).
            const pairs = Object.values(answered).reduce((n, s) => n + s.size, 0);
            expect(pairs).to.be.greaterThan(400);
        });
    });
});
