// The web UIs' gateway side with the Fabric layer faked: sign-in by a signed challenge (tracker)
// or an API key (console), sessions bound to one card, the operations each UI may call, the
// strict CSP, and the block explorer's routes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { DeviceKey } from '../../../gateway/citizen/device';
import { AppStore } from '../../../gateway/auth/store';
import { openDb, SqliteStore } from '../../../gateway/store/sqlite';
import { createApp } from '../../../gateway/http/app';
import { IdempotencyStore } from '../../../gateway/idempotency/store';
import { silentLogger } from '../../../network/client/logger';
import { createMetrics } from '../../../gateway/metrics';
import { buildOpenApi } from '../../../gateway/http/openapi';
import { STREAM_PATH } from '../../../gateway/http/sse';
import { DEVICE_CHECK_MS, SESSION_ROUTES, webUisOf } from '../../../gateway/http/web';
import { validateInto } from '../../../gateway/http/validate';
import { FakeFabric, seedApp, tmpDbFile } from './fixture';

type Operation = { operationId: string; security?: object[]; responses: Record<string, { 'x-problem-codes'?: string[] }> };
type OpenApi = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, object> } };

/** Routes served outside the API, on purpose not in the OpenAPI document: the pages (the probes and the document itself are in it). */
const NOT_API = new Set(['/docs', '/docs/', '/docs/init.js', '/tracker', '/console', '/transparency']);

/** Every method and path the Express app mounts, read from its router (Express 5 / router 2 layers). */
function mountedRoutes(app: ReturnType<typeof build>['app']): { method: string; path: string }[] {
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; rawPath?: unknown };
    const out: { method: string; path: string }[] = [];
    const walk = (stack: Layer[], prefix: string) => {
        for (const layer of stack) {
            if (layer.route) {
                for (const method of Object.keys(layer.route.methods)) out.push({ method, path: prefix + layer.route.path });
            } else if (layer.handle?.stack && typeof layer.rawPath === 'string') {
                walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath));
            }
        }
    };
    walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
    return out;
}

const docPath = (expressPath: string) => expressPath.replace(/:([A-Za-z]+)/g, '{$1}');

/** The answer is one the document describes: its status is listed and a problem's code is among the documented ones. */
function expectDocumented(doc: OpenApi, method: string, path: string, res: request.Response): void {
    const op = doc.paths[path]?.[method];
    expect(op, `${method} ${path} documented`).not.to.equal(undefined);
    const documented = op.responses[String(res.status)];
    expect(documented, `${method} ${path} documents status ${res.status}`).not.to.equal(undefined);
    if (res.status >= 400) expect(documented['x-problem-codes'], `${method} ${path} ${res.status}`).to.include(res.body.code);
}

function build(opts: { issuer?: boolean; mspId?: string; deviceCheckMs?: number } = {}) {
    const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-ui-'));
    for (const ui of ['tracker', 'console', 'transparency']) {
        fs.mkdirSync(path.join(webDir, ui));
        fs.writeFileSync(path.join(webDir, ui, 'index.html'), `<!doctype html><title>${ui}</title>`);
    }
    const db = openDb(tmpDbFile());
    const store = new SqliteStore(db);
    const apps = new AppStore(store);
    const auditorKey = seedApp(db, { name: 'audit-office', mspId: opts.mspId ?? 'SeoulMSP', identity: 'auditor1', role: 'auditor' });
    const otherOrgKey = seedApp(db, { name: 'elsewhere', mspId: 'MOHWMSP', identity: 'x', role: 'department', dept: 'welfare' });
    // Signed documents arrive as { document, signature }: their card is document.cardId.
    const cardOf = (arg: Record<string, unknown>): unknown => (arg.document as { cardId: string } | undefined)?.cardId ?? arg.cardId;
    // The device key the fake ledger's cards are bound to (a test re-binds them).
    const boundKey = { value: 'device-key-1' };
    const fabric = new FakeFabric((fn, arg) => {
        // AuthenticateCard's answer, member for member (chaincode/contracts/card.ts).
        if (fn === 'CardContract:AuthenticateCard')
            return { authenticated: true, cardId: cardOf(arg), expiresAt: '2031-01-01T00:00:00.000Z', status: 'ACTIVE', subjectId: 's-1' };
        if (fn === 'CardContract:GetCard') return { cardId: arg.cardId, status: 'ACTIVE', devicePublicKey: boundKey.value };
        if (fn === 'ConsentContract:GrantConsent') return { consentId: 'c-1', cardId: cardOf(arg) };
        return {};
    });
    const gw = createApp({
        mspId: opts.mspId ?? 'SeoulMSP',
        orgs: ['SeoulMSP', 'MOHWMSP'],
        issuer: opts.issuer ?? true,
        fabric,
        apps,
        store,
        log: silentLogger,
        metrics: createMetrics(),
        idempotency: new IdempotencyStore(store, { ttlMs: 3600_000 }),
        webDir,
        deviceCheckMs: opts.deviceCheckMs,
    });
    return {
        app: gw.app,
        openapi: gw.openapi as OpenApi,
        routes: gw.routes,
        fabric,
        boundKey,
        auditorKey,
        otherOrgKey,
        close: () => db.close(),
    };
}

const cookieOf = (res: request.Response): string => String(res.headers['set-cookie']).split(';')[0];

async function signIn(app: ReturnType<typeof build>['app'], device: DeviceKey, cardId: string): Promise<string> {
    const c = await request(app).post('/tracker/api/session/challenge').send({ cardId }).expect(201);
    expect(c.body.verifierMspId).to.equal('SeoulMSP');
    const res = await request(app)
        .post('/tracker/api/session')
        .send(device.signChallenge(cardId, c.body.challenge, 'SeoulMSP'))
        .expect(201);
    expect(res.headers['set-cookie'][0]).to.match(/HttpOnly; SameSite=Strict/);
    return cookieOf(res);
}

describe('gateway web UIs', () => {
    let f: ReturnType<typeof build>;
    afterEach(() => f?.close());

    describe('pages', () => {
        it('Given the issuer org, When /tracker/, /console/ and /transparency/ are asked, Then each is served under a strict CSP with no inline code', async () => {
            f = build();
            for (const ui of ['tracker', 'console', 'transparency']) {
                const res = await request(f.app).get(`/${ui}/`).expect(200);
                const csp = res.headers['content-security-policy'];
                expect(csp).to.contain("default-src 'none'");
                expect(csp).to.contain("script-src 'self'");
                expect(csp).to.contain("frame-ancestors 'none'");
                expect(csp).not.to.contain('unsafe');
                await request(f.app).get(`/${ui}`).expect(301).expect('Location', `/${ui}/`);
            }
        });

        it('Given an org that is not the issuer, When /tracker/ is asked, Then 404: only the issuer serves the tracker', async () => {
            f = build({ issuer: false, mspId: 'MOHWMSP' });
            await request(f.app).get('/tracker/').expect(404);
            await request(f.app).get('/console/').expect(200);
            // The public report's page is every gateway's: no session, no key.
            await request(f.app).get('/transparency/').expect(200);
        });
    });

    describe('tracker sign-in', () => {
        it("Given the gateway's challenge signed by the device key, When posted, Then the chaincode verifies it and a session starts", async () => {
            f = build();
            const device = DeviceKey.generate();
            const cookie = await signIn(f.app, device, 'card-0001');
            // The signature checked by the chaincode, then the card's device key read for the session.
            expect(f.fabric.evaluates.map((e) => e.fn)).to.deep.equal(['CardContract:AuthenticateCard', 'CardContract:GetCard']);
            const s = await request(f.app).get('/tracker/api/session').set('Cookie', cookie).expect(200);
            expect(s.body.session).to.include({ ui: 'tracker', cardId: 'card-0001' });
            await request(f.app).get('/tracker/api/v1/cards/card-0001').set('Cookie', cookie).expect(200);
        });

        it('Given a challenge already used, or one the gateway never issued, When posted, Then 401 and the chaincode is not asked', async () => {
            f = build();
            const device = DeviceKey.generate();
            const c = await request(f.app).post('/tracker/api/session/challenge').send({ cardId: 'card-0001' }).expect(201);
            const signed = device.signChallenge('card-0001', c.body.challenge, 'SeoulMSP');
            await request(f.app).post('/tracker/api/session').send(signed).expect(201);
            const again = await request(f.app).post('/tracker/api/session').send(signed).expect(401);
            expect(again.body.code).to.equal('UNAUTHENTICATED');
            const forged = device.signChallenge('card-0001', 'not-issued-by-the-gateway-0123', 'SeoulMSP');
            await request(f.app).post('/tracker/api/session').send(forged).expect(401);
            expect(f.fabric.evaluates.map((e) => e.fn)).to.deep.equal(['CardContract:AuthenticateCard', 'CardContract:GetCard']);
        });

        it('Given a session, When the desk re-binds its card to another device, Then its next request is 401 and the session is over', async () => {
            f = build({ deviceCheckMs: 100 });
            const cookie = await signIn(f.app, DeviceKey.generate(), 'card-0001');
            await request(f.app).get('/tracker/api/v1/cards/card-0001').set('Cookie', cookie).expect(200);
            f.boundKey.value = 'device-key-2';
            // The session looks at its card at most every deviceCheckMs (here 100 ms; DEVICE_CHECK_MS by default).
            await new Promise((r) => setTimeout(r, 150));
            const evaluatesBefore = f.fabric.evaluates.length;
            const refused = await request(f.app).get('/tracker/api/v1/cards/card-0001').set('Cookie', cookie).expect(401);
            expect(refused.body.detail).to.equal('the card is bound to another device now: this session ended; sign in with that device');
            // One card read decided it; the route itself was not called.
            expect(f.fabric.evaluates.slice(evaluatesBefore).map((e) => e.fn)).to.deep.equal(['CardContract:GetCard']);
            expect(DEVICE_CHECK_MS).to.equal(10_000);
            f.boundKey.value = 'device-key-1';
            await request(f.app).get('/tracker/api/v1/cards/card-0001').set('Cookie', cookie).expect(401);
        });

        it('Given a session whose card keeps its device, Then its device key is not read again within DEVICE_CHECK_MS', async () => {
            f = build();
            const cookie = await signIn(f.app, DeviceKey.generate(), 'card-0001');
            const before = f.fabric.evaluates.length;
            for (let i = 0; i < 3; i++) await request(f.app).get('/tracker/api/v1/cards/card-0001').set('Cookie', cookie).expect(200);
            // Sign-in read the device key: only the three GetCard calls of the route itself.
            expect(f.fabric.evaluates.slice(before).map((e) => e.fn)).to.deep.equal(Array(3).fill('CardContract:GetCard'));
        });

        it('Given a challenge issued for another card, When signed for this card, Then 401', async () => {
            f = build();
            const c = await request(f.app).post('/tracker/api/session/challenge').send({ cardId: 'card-0002' }).expect(201);
            await request(f.app)
                .post('/tracker/api/session')
                .send(DeviceKey.generate().signChallenge('card-0001', c.body.challenge, 'SeoulMSP'))
                .expect(401);
            expect(f.fabric.evaluates).to.have.length(0);
        });

        it('Given no session, When a card route is called, Then 401; and the session answer is null, not an error', async () => {
            f = build();
            await request(f.app).get('/tracker/api/v1/cards/card-0001').expect(401);
            expect((await request(f.app).get('/tracker/api/session').expect(200)).body.session).to.equal(null);
        });
    });

    describe('tracker session scope', () => {
        it('Given a session for card-0001, When another card is named in the path or in a signed document, Then 403 SESSION_CARD_MISMATCH and nothing is sent to Fabric', async () => {
            f = build();
            const device = DeviceKey.generate();
            const cookie = await signIn(f.app, device, 'card-0001');
            const before = f.fabric.evaluates.length;
            const path403 = await request(f.app).get('/tracker/api/v1/cards/card-0002').set('Cookie', cookie).expect(403);
            expect(path403.body.code).to.equal('SESSION_CARD_MISMATCH');
            const consent = device.consent({
                cardId: 'card-0002',
                serviceId: 'svc-1',
                recipientMspId: 'MOHWMSP',
                purpose: 'p',
                items: ['name'],
                retentionDays: 30,
            });
            const body403 = await request(f.app).post('/tracker/api/v1/consents').set('Cookie', cookie).send(consent).expect(403);
            expect(body403.body.code).to.equal('SESSION_CARD_MISMATCH');
            expect(f.fabric.evaluates.length).to.equal(before);
            expect(f.fabric.submits).to.have.length(0);
            const own = device.consent({ ...consent.document, cardId: 'card-0001' });
            await request(f.app).post('/tracker/api/v1/consents').set('Cookie', cookie).send(own).expect(201);
            expect(f.fabric.submits.map((s) => s.fn)).to.deep.equal(['ConsentContract:GrantConsent']);
        });

        it("Given a representative's session, When acting for the represented card, Then documents signed for the session's own card pass and another card's are refused; the represented card's own routes stay closed", async () => {
            f = build();
            const parent = DeviceKey.generate();
            const cookie = await signIn(f.app, parent, 'card-0002');
            const acting = { representationId: 'rep-0001', representedCardId: 'card-0001', minorityToken: 'e'.repeat(64) };
            const terms = { serviceId: 'svc-1', recipientMspId: 'MOHWMSP', purpose: 'p', items: ['name' as const], retentionDays: 30 };
            await request(f.app)
                .post('/tracker/api/v1/representations/rep-0001/consents')
                .set('Cookie', cookie)
                .send(parent.asRepresentative('card-0002').consent(acting, terms))
                .expect(201);
            await request(f.app)
                .post('/tracker/api/v1/representations/rep-0001/access-log/query')
                .set('Cookie', cookie)
                .send({ request: parent.asRepresentative('card-0002').accessLogRequest(acting) })
                .expect(200);
            await request(f.app)
                .post('/tracker/api/v1/cards/card-0002/representations/query')
                .set('Cookie', cookie)
                .send({ request: parent.representationListRequest('card-0002') })
                .expect(200);
            expect(f.fabric.submits.map((s) => s.fn)).to.deep.equal(['ConsentContract:GrantConsentAsRepresentative']);
            // Signed as if by another card, or naming the represented card's own routes: refused before the ledger.
            const before = f.fabric.evaluates.length;
            for (const [method, url, body] of [
                ['post', '/tracker/api/v1/representations/rep-0001/consents', parent.asRepresentative('card-0003').consent(acting, terms)],
                ['post', '/tracker/api/v1/objections', parent.objection('card-0001', 'b'.repeat(64), 'not mine')],
                [
                    'post',
                    '/tracker/api/v1/cards/card-0001/representations/query',
                    { request: parent.representationListRequest('card-0001') },
                ],
                ['get', '/tracker/api/v1/cards/card-0001/objections', undefined],
                ['post', '/tracker/api/v1/cards/card-0001/minority/end', parent.endMinority('card-0001', 'e'.repeat(64))],
            ] as const) {
                const req = request(f.app)[method](url).set('Cookie', cookie);
                const res = await (body === undefined ? req : req.send(body));
                expect([res.status, res.body.code], url).to.deep.equal([403, 'SESSION_CARD_MISMATCH']);
            }
            expect(f.fabric.evaluates.length).to.equal(before);
            expect(f.fabric.submits).to.have.length(1);
            // The audit office's routes are the console's, not the tracker's.
            await request(f.app).get('/tracker/api/v1/objections?status=OPEN').set('Cookie', cookie).expect(404);
            await request(f.app)
                .get(`/tracker/api/v1/objections/${'b'.repeat(64)}/text`)
                .set('Cookie', cookie)
                .expect(404);
        });

        it('Given a tracker session, When a department route is called, Then 404: a session reaches the citizen routes only', async () => {
            f = build();
            const cookie = await signIn(f.app, DeviceKey.generate(), 'card-0001');
            await request(f.app).post('/tracker/api/v1/access-requests').set('Cookie', cookie).send({}).expect(404);
            await request(f.app).get('/tracker/api/v1/audit/access').set('Cookie', cookie).expect(404);
        });

        it('Given a request from another origin, When it carries the session, Then 403 CROSS_ORIGIN', async () => {
            f = build();
            const cookie = await signIn(f.app, DeviceKey.generate(), 'card-0001');
            const res = await request(f.app)
                .get('/tracker/api/v1/cards/card-0001')
                .set('Cookie', cookie)
                .set('Origin', 'https://evil.example')
                .expect(403);
            expect(res.body.code).to.equal('CROSS_ORIGIN');
        });
    });

    describe('console', () => {
        it("Given the org's own API key, When signing in, Then a session starts and ends on sign-out; another org's key or a bad one is 401", async () => {
            f = build();
            await request(f.app).post('/console/api/session').send({ apiKey: 'ck_nothing_here' }).expect(401);
            await request(f.app).post('/console/api/session').send({ apiKey: f.otherOrgKey }).expect(401);
            await request(f.app).post('/console/api/session').send({ key: f.auditorKey }).expect(400);
            const res = await request(f.app).post('/console/api/session').send({ apiKey: f.auditorKey }).expect(201);
            expect(res.body.session).to.deep.include({ ui: 'console', mspId: 'SeoulMSP', orgs: ['SeoulMSP', 'MOHWMSP'] });
            expect(JSON.stringify(res.body)).not.to.contain(f.auditorKey);
            const cookie = cookieOf(res);
            await request(f.app).get('/console/api/v1/chain').set('Cookie', cookie).expect(200);
            await request(f.app).delete('/console/api/session').set('Cookie', cookie).expect(204);
            await request(f.app).get('/console/api/v1/chain').set('Cookie', cookie).expect(401);
        });

        it('Given a console session, When a route that changes the ledger is called, Then 404', async () => {
            f = build();
            const cookie = cookieOf(await request(f.app).post('/console/api/session').send({ apiKey: f.auditorKey }).expect(201));
            await request(f.app).post('/console/api/v1/consents').set('Cookie', cookie).send({}).expect(404);
        });
    });

    describe('block explorer routes', () => {
        const block = (n: number) => ({
            number: String(n),
            previousHash: n ? 'ab'.repeat(32) : '',
            dataHash: 'cd'.repeat(32),
            transactions: [
                {
                    index: 0,
                    transactionId: 'ef'.repeat(32),
                    type: 'ENDORSER_TRANSACTION',
                    channel: 'citizencards',
                    chaincode: 'citizencard',
                    creatorMspId: 'MOHWMSP',
                    endorsingOrgs: ['MOHWMSP', 'SeoulMSP'],
                    timestamp: '2026-01-01T00:00:00.000Z',
                    validationCode: 'VALID',
                    valid: true,
                    envelope: 'AAAA',
                },
            ],
        });

        it('Given a range, When listed, Then the blocks up to the height come without envelopes; a block past the height is 404', async () => {
            f = build();
            f.fabric.blocks = [block(0), block(1)];
            const auth = { Authorization: `Bearer ${f.auditorKey}` };
            const list = await request(f.app).get('/v1/blocks?from=0&to=10').set(auth).expect(200);
            expect(list.body.blocks.map((b: { number: string }) => b.number)).to.deep.equal(['0', '1']);
            expect(list.body.blocks[1].transactions[0]).not.to.have.property('envelope');
            const one = await request(f.app).get('/v1/blocks/1').set(auth).expect(200);
            expect(one.body.block.transactions[0].envelope).to.equal('AAAA');
            const missing = await request(f.app).get('/v1/blocks/2').set(auth).expect(404);
            expect(missing.body.code).to.equal('BLOCK_NOT_FOUND');
        });

        it('Given a range too wide, empty, or not numbers, When listed, Then 400 and no block is read', async () => {
            f = build();
            const auth = { Authorization: `Bearer ${f.auditorKey}` };
            for (const q of ['from=0&to=51', 'from=5&to=5', 'from=x&to=2', 'from=-1&to=2', 'to=2']) {
                const res = await request(f.app).get(`/v1/blocks?${q}`).set(auth).expect(400);
                expect(res.body.code, q).to.equal('VALIDATION_FAILED');
            }
            await request(f.app).get('/v1/blocks/01').set(auth).expect(400);
        });
    });

    describe('OpenAPI', () => {
        for (const [mspId, issuer] of [
            ['SeoulMSP', true],
            ['MOHWMSP', false],
        ] as const) {
            it(`Given every route ${mspId}'s gateway mounts (issuer ${issuer}), Then each API route is documented, and the document it serves lists only mounted routes, leaving out only those its apps may not call`, () => {
                f = build({ issuer, mspId });
                const everything = buildOpenApi(f.routes, { version: '1.0.0', webUis: webUisOf(issuer) }) as OpenApi;
                const mounted = mountedRoutes(f.app).filter((r) => !NOT_API.has(r.path));
                expect(mounted.length).to.be.greaterThan(f.routes.length);
                const served = new Set<string>();
                for (const r of mounted) {
                    const op = everything.paths[docPath(r.path)]?.[r.method];
                    expect(op, `${r.method.toUpperCase()} ${r.path} is mounted but not in the OpenAPI document`).not.to.equal(undefined);
                    served.add(`${r.method} ${docPath(r.path)}`);
                    if (f.openapi.paths[docPath(r.path)]?.[r.method]) continue;
                    // Left out of the org's document: only a /v1 route whose grants exclude the org's apps
                    // (the access-log stream: citizens through the issuer, and auditors).
                    if (r.path === STREAM_PATH) {
                        expect(['SeoulMSP', 'AuditMSP']).not.to.include(mspId);
                        continue;
                    }
                    const route = f.routes.find((x) => r.path.endsWith(x.path) && x.method === r.method);
                    expect(
                        route?.grants?.some((g) => !g.mspId || g.mspId === mspId),
                        `${r.method} ${r.path}`,
                    ).to.equal(false);
                }
                for (const [p, ops] of Object.entries(f.openapi.paths))
                    for (const method of Object.keys(ops))
                        expect(served, `${method} ${p} is documented but not mounted`).to.include(`${method} ${p}`);
                expect(Object.keys(f.openapi.paths).some((p) => p.startsWith('/tracker/'))).to.equal(issuer);
            });
        }

        it('Given the session routes, Then each is documented with its body, its answer, the cookie it uses and its problem codes', () => {
            f = build();
            const doc = f.openapi;
            expect(doc.components.securitySchemes.trackerSession).to.deep.include({ type: 'apiKey', in: 'cookie', name: 'cc_tracker' });
            expect(doc.components.securitySchemes.consoleSession).to.deep.include({ type: 'apiKey', in: 'cookie', name: 'cc_console' });
            for (const s of SESSION_ROUTES) {
                const op = doc.paths[`/${s.ui}/api${s.path}`][s.method] as Operation & { requestBody?: unknown };
                expect(op.operationId).to.equal(s.operationId);
                expect(op.security).to.deep.equal(s.session === 'none' ? [] : [{}, { [`${s.ui}Session`]: [] }]);
                expect(op.responses['403']['x-problem-codes']).to.include('CROSS_ORIGIN');
                expect(Boolean(op.requestBody)).to.equal(Boolean(s.body));
            }
            const card = doc.paths['/tracker/api/v1/cards/{cardId}'].get;
            expect(card.operationId).to.equal('trackerGetCard');
            expect(card.security).to.deep.equal([{ trackerSession: [] }]);
            expect(card.responses['403']['x-problem-codes']).to.include.members(['CROSS_ORIGIN', 'SESSION_CARD_MISMATCH']);
            expect(doc.paths['/tracker/api/v1/cards/{cardId}/access-log/stream'].get.security).to.deep.equal([{ trackerSession: [] }]);
            expect(doc.paths['/console/api/v1/chain'].get.security).to.deep.equal([{ consoleSession: [] }]);
            expect(doc.paths['/v1/chain'].get).not.to.have.property('security');
            const schemas = (
                doc.components as unknown as { schemas: Record<string, { required?: string[]; properties: Record<string, object> }> }
            ).schemas;
            expect(schemas.SessionAnswer.required).to.deep.equal(['session']);
            expect(schemas.SessionAnswer.properties.session).to.deep.equal({
                oneOf: [{ $ref: '#/components/schemas/SessionView' }, { type: 'object', nullable: true, enum: [null] }],
            });
            expect(schemas.TrackerSignInAnswer.required).to.have.members(['session', 'verification']);
        });

        it('Given real session answers and refusals, Then each matches what the document says: the answer class and the problem codes', async () => {
            f = build();
            const doc = f.openapi;
            const answerOf = (ui: string, method: string, path: string) =>
                SESSION_ROUTES.find((s) => s.ui === ui && s.method === method && s.path === path);
            const check = (ui: string, method: string, path: string, res: request.Response) => {
                expectDocumented(doc, method, `/${ui}/api${path}`, res);
                const answer = answerOf(ui, method, path)?.answer;
                if (answer && res.status < 300) validateInto(answer, res.body, 'body');
            };
            check('tracker', 'get', '/session', await request(f.app).get('/tracker/api/session').expect(200));
            check(
                'tracker',
                'post',
                '/session/challenge',
                await request(f.app).post('/tracker/api/session/challenge').send({ card: 'x' }).expect(400),
            );
            const c = await request(f.app).post('/tracker/api/session/challenge').send({ cardId: 'card-0001' }).expect(201);
            check('tracker', 'post', '/session/challenge', c);
            const device = DeviceKey.generate();
            const forged = device.signChallenge('card-0001', 'not-issued-by-the-gateway-0123', 'SeoulMSP');
            check('tracker', 'post', '/session', await request(f.app).post('/tracker/api/session').send(forged).expect(401));
            const signedIn = await request(f.app)
                .post('/tracker/api/session')
                .send(device.signChallenge('card-0001', c.body.challenge, 'SeoulMSP'))
                .expect(201);
            check('tracker', 'post', '/session', signedIn);
            const cookie = cookieOf(signedIn);
            check('tracker', 'get', '/session', await request(f.app).get('/tracker/api/session').set('Cookie', cookie).expect(200));
            const cross = await request(f.app).get('/tracker/api/session').set('Origin', 'https://evil.example').expect(403);
            check('tracker', 'get', '/session', cross);
            expectDocumented(
                doc,
                'get',
                '/tracker/api/v1/cards/{cardId}',
                await request(f.app).get('/tracker/api/v1/cards/card-0002').set('Cookie', cookie).expect(403),
            );
            expectDocumented(
                doc,
                'get',
                '/tracker/api/v1/cards/{cardId}',
                await request(f.app).get('/tracker/api/v1/cards/card-0001').expect(401),
            );
            check('tracker', 'delete', '/session', await request(f.app).delete('/tracker/api/session').set('Cookie', cookie).expect(204));
            check(
                'console',
                'post',
                '/session',
                await request(f.app).post('/console/api/session').send({ apiKey: f.otherOrgKey }).expect(401),
            );
            const console = await request(f.app).post('/console/api/session').send({ apiKey: f.auditorKey }).expect(201);
            check('console', 'post', '/session', console);
            check(
                'console',
                'get',
                '/session',
                await request(f.app).get('/console/api/session').set('Cookie', cookieOf(console)).expect(200),
            );
            // The classes are strict: an answer with a member the document does not describe would fail above.
            expect(() => validateInto(answerOf('console', 'get', '/session')!.answer!, { session: null, extra: 1 }, 'body')).to.throw();
        });
    });
});
