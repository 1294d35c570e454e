// The gateway's side of issue 24 over a scripted Fabric layer: what travels where (a minority's
// chain seed and an objection's text as transient data to Seoul's peers only, never an argument,
// an answer, a log line or an idempotency record), the tokens it hands a representative or a child
// (today's only, checked against the anchors as every endorser checks them), the two-step flows'
// retries, the identifiers of the path against the signed documents, sealed and break-glass grants
// kept out of the store, and the public report without a key.
import { expect } from 'chai';
import request from 'supertest';
import { DeviceKey } from '../../../gateway/citizen/device';
import {
    CHANNEL_POLICY,
    minorityAnchors,
    minoritySeeds,
    sealJson,
    seoulDate,
    textCommitment,
    verifyOwnToken,
    verifyPowerToken,
} from '../../../chaincode/model';
import { CHAINCODE_FN as F } from '../../../chaincode/surface';
import { OutcomeUnknownError } from '../../../gateway/errors';
import type { Logger } from '../../../network/client/logger';
import { buildFixture, chaincodeEndorseError, chaincodeEvaluateError, FakeFabric, type Fixture, type Script, tmpDbFile } from './fixture';

const card = 'card-0001';
const parentCard = 'card-0002';
const NOW = new Date('2026-06-10T03:00:00.000Z');
const DAY = 86_400_000;

/** A child's minority as the chaincode keeps it, its chains derived from the chain seed the gateway sent, counted from `startDate`. */
function childLedger(lastMinorDay: number, startDate = seoulDate(NOW)) {
    const state: { seed?: Uint8Array; anchors?: { powerAnchor: string; ownAnchor: string } } = {};
    const script: Script = (fn, arg, req) => {
        if (fn === F.prepareMinority) {
            state.seed = req.transient?.chainSeed;
            state.anchors = minorityAnchors(minoritySeeds(state.seed as Uint8Array, arg.cardId as string), lastMinorDay);
            return { cardId: arg.cardId, startDate, ...state.anchors, anchorHash: 'a'.repeat(64) };
        }
        if (fn === F.recordMinority) return { docType: 'minority', ...arg, status: 'ACTIVE' };
        if (fn === F.getMinority) return { cardId: arg.cardId, startDate, status: 'ACTIVE', ...state.anchors };
        if (fn === F.listMyRepresentations)
            return {
                records: [
                    { representationId: 'rep-0001', representedCardId: card, basis: 'MINOR_UNDER_14', status: 'ACTIVE' },
                    { representationId: 'rep-0002', representedCardId: 'card-0003', basis: 'GUARDIANSHIP', status: 'ACTIVE' },
                ],
                bookmark: '',
                fetchedRecordsCount: 2,
            };
        return {};
    };
    return { state, script };
}

describe('gateway routes of issue 24 (representatives, seals, break-glass, objections, the report)', () => {
    let f: Fixture;
    afterEach(() => f?.close());
    const child = DeviceKey.generate();
    const parent = DeviceKey.generate();

    describe("a child's minority", () => {
        it('Given a minority recorded, Then the chain seed goes as transient data to Seoul only, the anchors to every org, and a retry derives the same seed', async () => {
            const { state, script } = childLedger(400);
            f = buildFixture({ script, now: () => NOW });
            const res = await request(f.gw.app).post(`/v1/cards/${card}/minority`).set(f.auth('welfare-app')).send({});
            expect(res.status).to.equal(201);
            const [prepare, record] = f.fabric.submits;
            expect([prepare?.fn, prepare?.endorsingOrgs]).to.deep.equal([F.prepareMinority, ['SeoulMSP']]);
            expect(prepare?.transient?.chainSeed).to.have.length(32);
            expect(JSON.parse(prepare?.args[0] as string)).to.deep.equal({ cardId: card });
            expect([record?.fn, record?.endorsingOrgs, record?.transient]).to.deep.equal([F.recordMinority, undefined, undefined]);
            expect(JSON.parse(record?.args[0] as string)).to.deep.equal({ cardId: card, startDate: '2026-06-10', ...state.anchors });
            expect(seoulDate(NOW)).to.equal('2026-06-10');
            const seed = Buffer.from(state.seed as Uint8Array).toString('hex');
            for (const s of f.fabric.submits) expect(s.args.join()).not.to.contain(seed);
            expect(JSON.stringify(res.body)).not.to.contain(seed);
            // The same card, again (a retry without a key): the same seed, so the same anchors.
            await request(f.gw.app).post(`/v1/cards/${card}/minority`).set(f.auth('welfare-app')).send({});
            expect(Buffer.from(f.fabric.submits[2]?.transient?.chainSeed as Uint8Array).toString('hex')).to.equal(seed);
            // Another card, another seed.
            await request(f.gw.app).post('/v1/cards/card-0009/minority').set(f.auth('welfare-app')).send({});
            expect(Buffer.from(f.fabric.submits[4]?.transient?.chainSeed as Uint8Array).toString('hex')).not.to.equal(seed);
        });

        it('Given step 2 crashed after endorsement, When retried with the same key, Then step 2 is resumed and step 1 not sent again', async () => {
            const dbFile = tmpDbFile();
            const crashing = new FakeFabric(childLedger(400).script);
            let n = 0;
            (crashing as unknown as { afterPrepared: () => Promise<void> }).afterPrepared = async () => {
                if (++n === 2) throw new OutcomeUnknownError('2'.padStart(64, '0'), new Error('deadline'));
            };
            f = buildFixture({ fabric: crashing, dbFile, now: () => NOW });
            const send = () =>
                request(f.gw.app)
                    .post(`/v1/cards/${card}/minority`)
                    .set(f.auth('welfare-app'))
                    .set('Idempotency-Key', 'minority-0001')
                    .send({});
            expect((await send()).status).to.equal(504);
            f.close();
            f = buildFixture({ script: childLedger(400).script, dbFile, now: () => NOW });
            expect((await send()).status).to.equal(201);
            expect(f.fabric.submits).to.have.length(0);
            expect(f.fabric.resumes).to.have.length(1);
        });

        it("Given a representative's signed listing, Then each child's representation in force comes with today's token, which the anchors accept for today only; none once the child is 14", async () => {
            const yesterday = seoulDate(new Date(NOW.getTime() - DAY));
            // [the last day under 14 (from the chains' start), the start, a token today]
            for (const [last, start, expected] of [
                [30, seoulDate(NOW), true],
                [0, seoulDate(NOW), true],
                [0, yesterday, false],
            ] as const) {
                f = buildFixture({ script: childLedger(last, start).script, now: () => NOW });
                await request(f.gw.app).post(`/v1/cards/${card}/minority`).set(f.auth('welfare-app')).send({});
                const res = await request(f.gw.app)
                    .post(`/v1/cards/${parentCard}/representations/query`)
                    .set(f.auth('welfare-app'))
                    .send({ request: parent.representationListRequest(parentCard) });
                expect(res.status).to.equal(200);
                const token = res.body.minorityTokens['rep-0001'];
                expect(Object.keys(res.body.minorityTokens)).not.to.include('rep-0002');
                const day = start === yesterday ? 1 : 0;
                if (!expected) {
                    expect(token, `${last} ${start}`).to.equal(undefined);
                } else {
                    const { powerAnchor } = minorityAnchors(
                        minoritySeeds(f.fabric.submits[0]?.transient?.chainSeed as Uint8Array, card),
                        last,
                    );
                    expect(verifyPowerToken(powerAnchor, day, token), 'today').to.equal(true);
                    expect(verifyPowerToken(powerAnchor, day + 1, token), 'tomorrow').to.equal(false);
                }
                expect(f.fabric.evaluates.map((e) => e.fn)).to.deep.equal([F.listMyRepresentations, F.getMinority]);
                f.close();
            }
        });

        it("Given the child's own signed request, Then the token that ends the minority comes only from the 14th birthday on", async () => {
            const yesterday = seoulDate(new Date(NOW.getTime() - DAY));
            // Recorded yesterday: today is day 1 of the chains. [the last day under 14, a token today]
            for (const [last, expected] of [
                [1, false],
                [0, true],
            ] as const) {
                f = buildFixture({ script: childLedger(last, yesterday).script, now: () => NOW });
                await request(f.gw.app).post(`/v1/cards/${card}/minority`).set(f.auth('welfare-app')).send({});
                const res = await request(f.gw.app)
                    .post(`/v1/cards/${card}/minority/query`)
                    .set(f.auth('welfare-app'))
                    .send({ request: child.representationListRequest(card) });
                expect(res.status).to.equal(200);
                expect(JSON.parse(f.fabric.evaluates[0]?.args[0] as string)).to.deep.include({ side: 'represented' });
                if (expected) {
                    const { ownAnchor } = minorityAnchors(
                        minoritySeeds(f.fabric.submits[0]?.transient?.chainSeed as Uint8Array, card),
                        last,
                    );
                    expect(verifyOwnToken(ownAnchor, 1, res.body.endMinorityToken)).to.equal(true);
                } else expect(res.body).not.to.have.property('endMinorityToken');
                f.close();
            }
        });

        it('Given a path naming another card than the signed document, Then 400 and nothing reaches the ledger', async () => {
            f = buildFixture({ now: () => NOW });
            for (const [url, body] of [
                [`/v1/cards/${card}/minority/query`, { request: child.representationListRequest('card-0009') }],
                [`/v1/cards/${card}/minority/end`, child.endMinority('card-0009', 'e'.repeat(64))],
                [`/v1/cards/${parentCard}/representations/query`, { request: parent.representationListRequest(card) }],
            ] as const) {
                const res = await request(f.gw.app).post(url).set(f.auth('welfare-app')).send(body);
                expect([res.status, res.body.code], url).to.deep.equal([400, 'VALIDATION_FAILED']);
            }
            expect(f.fabric.evaluates.length + f.fabric.submits.length).to.equal(0);
        });
    });

    describe("a representative's acts", () => {
        const acting = { representationId: 'rep-0001', representedCardId: card, minorityToken: 'e'.repeat(64) };
        const rep = parent.asRepresentative(parentCard);

        it("Given a representative's consent, withdrawal and log reading, Then the signed documents go as they are; another representation in the path is refused", async () => {
            const lines: unknown[] = [];
            const log = {
                info: (m: string, x: unknown) => lines.push([m, x]),
                warn() {},
                error() {},
                debug() {},
                child: () => log,
            } as unknown as Logger;
            f = buildFixture({
                log,
                script: (fn) => (fn === F.listAccessLogAsRepresentative ? { records: [], bookmark: '', fetchedRecordsCount: 0 } : {}),
            });
            const consent = rep.consent(acting, {
                serviceId: 'svc-1',
                recipientMspId: 'MOHWMSP',
                purpose: 'p',
                items: ['name'],
                retentionDays: 30,
            });
            expect(
                (await request(f.gw.app).post('/v1/representations/rep-0001/consents').set(f.auth('welfare-app')).send(consent)).status,
            ).to.equal(201);
            const withdrawal = rep.withdraw(acting, 'consent-0001');
            await request(f.gw.app)
                .post('/v1/representations/rep-0001/consents/consent-0001/withdraw')
                .set(f.auth('welfare-app'))
                .send(withdrawal)
                .expect(200);
            await request(f.gw.app)
                .post('/v1/representations/rep-0001/access-log/query')
                .set(f.auth('welfare-app'))
                .send({ request: rep.accessLogRequest(acting) })
                .expect(200);
            expect(f.fabric.submits.map((s) => [s.fn, JSON.parse(s.args[0] as string)])).to.deep.equal([
                [F.grantConsentAsRepresentative, consent],
                [F.withdrawConsentAsRepresentative, withdrawal],
            ]);
            // The reading is logged by the gateway (an evaluation leaves nothing on the ledger): ids only.
            expect(lines).to.deep.include([
                'representative read an access log',
                { representationId: 'rep-0001', representativeCardId: parentCard, representedCardId: card },
            ]);
            for (const [url, body] of [
                ['/v1/representations/rep-0009/consents', consent],
                ['/v1/representations/rep-0009/consents/consent-0001/withdraw', withdrawal],
                ['/v1/representations/rep-0001/consents/consent-0009/withdraw', withdrawal],
                ['/v1/representations/rep-0009/access-log/query', { request: rep.accessLogRequest(acting) }],
            ] as const) {
                const res = await request(f.gw.app).post(url).set(f.auth('welfare-app')).send(body);
                expect([res.status, res.body.code], url).to.deep.equal([400, 'VALIDATION_FAILED']);
            }
            expect(f.fabric.submits).to.have.length(2);
        });

        it('Given the chaincode refuses the power (ended, wrong key, scope), Then its code and status are answered', async () => {
            for (const [code, status] of [
                ['REPRESENTATION_ENDED', 403],
                ['SIGNATURE_INVALID', 422],
                ['NOT_REPRESENTATIVE', 403],
                ['REPRESENTATION_SCOPE_EXCEEDED', 403],
                ['REPRESENTATION_REVOKED', 409],
            ] as const) {
                f = buildFixture({
                    script: () => {
                        throw chaincodeEndorseError(code);
                    },
                });
                const consent = rep.consent(acting, {
                    serviceId: 'svc-1',
                    recipientMspId: 'MOHWMSP',
                    purpose: 'p',
                    items: [],
                    retentionDays: 1,
                });
                const res = await request(f.gw.app).post('/v1/representations/rep-0001/consents').set(f.auth('welfare-app')).send(consent);
                expect([res.status, res.body.code]).to.deep.equal([status, code]);
                f.close();
            }
        });
    });

    describe('sealed and break-glass accesses', () => {
        const granted = (fn: string, arg: Record<string, string>, req: { transient?: Record<string, Uint8Array> }) => {
            if (fn === F.requestSealedAccess || fn === F.requestEmergencyAccess)
                return {
                    accessId: 'f'.repeat(64),
                    decision: 'GRANTED',
                    reason: fn === F.requestSealedAccess ? 'LEGAL_BASIS' : 'BREAK_GLASS',
                };
            if (fn === F.readGrantedData) {
                const data = { accessId: arg.accessId, cardId: card, items: { address: '110 Sejong-daero' }, predicates: {} };
                return {
                    accessId: arg.accessId,
                    cardId: card,
                    sealed: sealJson(data, req.transient?.responseKey as Uint8Array, 'tx', arg.accessId as string),
                };
            }
            return {};
        };
        const ask = { cardId: card, serviceId: 'svc-1', purpose: 'p', items: ['address'], predicates: [] };

        for (const [route, body] of [
            ['sealed', { ...ask, sealedUntil: '2026-07-01T00:00:00Z' }],
            ['emergency', { ...ask, reasonCode: 'UNCONSCIOUS_PATIENT', incidentRef: 'ER-2026-000123' }],
        ] as const) {
            it(`Given a GRANTED ${route} access, Then the data is read from Seoul's peer, kept out of the idempotency store, and read again on a replay`, async () => {
                f = buildFixture({ script: granted as Script });
                const send = () =>
                    request(f.gw.app)
                        .post(`/v1/access-requests/${route}`)
                        .set(f.auth('welfare-app'))
                        .set('Idempotency-Key', `${route}-0001`)
                        .send(body);
                const a = await send();
                expect(a.status).to.equal(201);
                expect(a.body.data.items).to.deep.equal({ address: '110 Sejong-daero' });
                expect(f.fabric.evaluates.map((e) => [e.fn, e.targetOrgs])).to.deep.equal([[F.readGrantedData, ['SeoulMSP']]]);
                const stored = f.db.prepare('SELECT response FROM idempotency').all() as { response: string }[];
                expect(stored.map((r) => r.response).join()).not.to.contain('Sejong');
                const b = await send();
                expect(b.headers['idempotent-replayed']).to.equal('true');
                expect(b.body.data).to.deep.equal(a.body.data);
                expect(f.fabric.submits).to.have.length(1);
            });
        }

        it('Given a sealed request without a seal date or a break-glass one with a free-text reason, Then 400 and nothing is submitted', async () => {
            f = buildFixture();
            const bad = [
                ['sealed', ask],
                ['sealed', { ...ask, sealedUntil: 'next month' }],
                ['emergency', { ...ask, reasonCode: 'The patient is unconscious', incidentRef: 'ER-1' }],
                ['emergency', { ...ask, reasonCode: 'UNCONSCIOUS_PATIENT', incidentRef: 'patient Kim, room 3' }],
            ] as const;
            for (const [route, body] of bad) {
                const res = await request(f.gw.app).post(`/v1/access-requests/${route}`).set(f.auth('welfare-app')).send(body);
                expect([res.status, res.body.code], JSON.stringify(body)).to.deep.equal([400, 'VALIDATION_FAILED']);
            }
            // Without a reason at all the request is valid: the chaincode commits it DENIED (the attempt is on record).
            f.fabric.script = () => ({ accessId: 'f'.repeat(64), decision: 'DENIED', reason: 'BREAK_GLASS_REASON_REQUIRED' });
            const denied = await request(f.gw.app).post('/v1/access-requests/emergency').set(f.auth('welfare-app')).send(ask);
            expect([denied.status, denied.body.reason]).to.deep.equal([201, 'BREAK_GLASS_REASON_REQUIRED']);
            expect(f.fabric.submits).to.have.length(1);
        });

        it('Given the chaincode refuses a seal beyond the maximum, Then 422 SEAL_TOO_LONG', async () => {
            f = buildFixture({
                script: () => {
                    throw chaincodeEndorseError('SEAL_TOO_LONG');
                },
            });
            const until = new Date(Date.now() + (CHANNEL_POLICY.sealMaxDays + 1) * DAY).toISOString();
            const res = await request(f.gw.app)
                .post('/v1/access-requests/sealed')
                .set(f.auth('welfare-app'))
                .send({ ...ask, sealedUntil: until });
            expect([res.status, res.body.code]).to.deep.equal([422, 'SEAL_TOO_LONG']);
        });
    });

    describe('objections', () => {
        const text = 'I never asked the pension office for anything: my daughter Minji handles my mail.';
        const accessId = 'b'.repeat(64);
        /** The ledger as FileObjection sees it: the text is "not found" until PrepareObjection wrote it. */
        const objectionLedger = (refuse?: string): Script => {
            const prepared = new Set<string>();
            return (fn, arg, req) => {
                const doc = (arg as unknown as { document: { nonce: string } }).document;
                if (fn === F.prepareObjection) {
                    prepared.add(doc.nonce);
                    return { objectionId: 'c'.repeat(64), anchorHash: 'd'.repeat(64) };
                }
                if (fn === F.fileObjection) {
                    if (refuse) throw chaincodeEvaluateError(refuse);
                    if (!prepared.has(doc.nonce)) throw chaincodeEvaluateError('OBJECTION_TEXT_NOT_FOUND');
                    return {
                        docType: 'objection',
                        objectionId: 'c'.repeat(64),
                        textHash: (arg as unknown as { document: { textHash: string } }).document.textHash,
                    };
                }
                if (fn === F.readObjectionText)
                    return {
                        objectionId: arg.objectionId,
                        sealed: sealJson(
                            { objectionId: arg.objectionId, text },
                            req.transient?.responseKey as Uint8Array,
                            'tx',
                            arg.objectionId as string,
                        ),
                    };
                return {};
            };
        };

        it("Given an objection, Then it is checked first, its text goes only as transient data to Seoul's peers, the filing by every org holds the hash only, and nothing the gateway keeps holds the text", async () => {
            const lines: string[] = [];
            const log = {
                info: (m: string, x: unknown) => lines.push(`${m} ${JSON.stringify(x)}`),
                warn: (m: string, x: unknown) => lines.push(`${m} ${JSON.stringify(x)}`),
                error: (m: string, x: unknown) => lines.push(`${m} ${JSON.stringify(x)}`),
                debug() {},
                child: () => log,
            } as unknown as Logger;
            f = buildFixture({ script: objectionLedger(), log });
            const body = child.objection(card, accessId, text);
            const send = () =>
                request(f.gw.app).post('/v1/objections').set(f.auth('welfare-app')).set('Idempotency-Key', 'objection-0001').send(body);
            const res = await send();
            expect(res.status).to.equal(201);
            expect(f.fabric.evaluates.map((e) => e.fn)).to.deep.equal([F.fileObjection]);
            const [prepare, file] = f.fabric.submits;
            expect([prepare?.fn, prepare?.endorsingOrgs]).to.deep.equal([F.prepareObjection, ['SeoulMSP']]);
            expect(JSON.parse(Buffer.from(prepare?.transient?.objectionText as Uint8Array).toString())).to.deep.equal(body.objectionText);
            expect([file?.fn, file?.endorsingOrgs, file?.transient]).to.deep.equal([F.fileObjection, undefined, undefined]);
            const signed = { document: body.document, signature: body.signature };
            for (const call of [...f.fabric.submits, ...f.fabric.evaluates]) {
                expect(JSON.parse(call.args[0] as string)).to.deep.equal(signed);
                expect(call.args.join()).not.to.contain('Minji');
            }
            expect(body.document.textHash).to.equal(textCommitment(text, body.objectionText.salt));
            // A replay answers the stored objection: nothing sent again, and the store never held the text.
            const again = await send();
            expect(again.body).to.deep.equal(res.body);
            expect(f.fabric.submits).to.have.length(2);
            const rows = f.db.prepare('SELECT * FROM idempotency').all();
            expect(JSON.stringify(rows)).not.to.contain('Minji');
            expect(lines.join('\n')).not.to.contain('Minji');
        });

        it('Given an objection the ledger refuses (an entry the citizen cannot see, no power), Then it is refused before any text is written', async () => {
            for (const [code, status] of [
                ['ACCESS_NOT_FOUND', 404],
                ['REPRESENTATION_ENDED', 403],
                ['SIGNATURE_INVALID', 422],
                ['OBJECTION_EXISTS', 409],
            ] as const) {
                f = buildFixture({ script: objectionLedger(code) });
                const res = await request(f.gw.app)
                    .post('/v1/objections')
                    .set(f.auth('welfare-app'))
                    .send(child.objection(card, accessId, text));
                expect([res.status, res.body.code]).to.deep.equal([status, code]);
                expect(f.fabric.submits, code).to.have.length(0);
                f.close();
            }
        });

        it('Given the text is already on Seoul’s peers (a retry after step 1), Then it is not sent again', async () => {
            const script = objectionLedger();
            f = buildFixture({ script });
            const body = child.objection(card, accessId, text);
            // Step 1 happened in an earlier attempt.
            await script(F.prepareObjection, body as never, { fn: F.prepareObjection, args: [] });
            const res = await request(f.gw.app).post('/v1/objections').set(f.auth('welfare-app')).send(body);
            expect(res.status).to.equal(201);
            expect(f.fabric.submits.map((s) => s.fn)).to.deep.equal([F.fileObjection]);
        });

        it('Given a text that does not hash to the signed hash, or too long, Then refused (the chaincode by its code, the gateway by the schema)', async () => {
            f = buildFixture({
                script: (fn) => {
                    if (fn === F.fileObjection) throw chaincodeEvaluateError('OBJECTION_TEXT_NOT_FOUND');
                    throw chaincodeEndorseError('OBJECTION_TEXT_MISMATCH');
                },
            });
            const body = child.objection(card, accessId, text);
            const other = await request(f.gw.app)
                .post('/v1/objections')
                .set(f.auth('welfare-app'))
                .send({ ...body, objectionText: { ...body.objectionText, text: 'another text' } });
            expect([other.status, other.body.code]).to.deep.equal([409, 'OBJECTION_TEXT_MISMATCH']);
            const long = await request(f.gw.app)
                .post('/v1/objections')
                .set(f.auth('welfare-app'))
                .send({ ...body, objectionText: { ...body.objectionText, text: 'x'.repeat(1001) } });
            expect([long.status, long.body.code]).to.deep.equal([400, 'VALIDATION_FAILED']);
            expect(JSON.stringify(long.body)).not.to.contain('xxxx');
        });

        it("Given an auditor reads the text, Then it is read on Seoul's peer sealed to a one-time key, and opened", async () => {
            f = buildFixture({ script: objectionLedger() });
            const id = '0123456789abcdef'.repeat(4);
            const res = await request(f.gw.app).get(`/v1/objections/${id}/text`).set(f.auth('welfare-app'));
            expect(res.status).to.equal(200);
            expect(res.body.objectionText).to.deep.equal({ objectionId: id, text });
            const [read] = f.fabric.evaluates;
            expect(read?.targetOrgs).to.deep.equal(['SeoulMSP']);
            expect(read?.transient?.responseKey).to.have.length(32);
        });
    });

    describe('the transparency report', () => {
        const report = { month: '2026-06', complete: true, minCount: 5, rows: [] };

        it('Given no API key, Then /public/transparency answers the month asked, or the current Seoul month; another parameter is refused; it is documented without security', async () => {
            // 2026-06-30T20:00Z is already 1 July in Seoul.
            f = buildFixture({ script: (_fn, arg) => ({ ...report, month: arg.month }), now: () => new Date('2026-06-30T20:00:00.000Z') });
            const current = await request(f.gw.app).get('/public/transparency');
            expect([current.status, current.body.report.month]).to.deep.equal([200, '2026-07']);
            expect(current.headers['cache-control']).to.equal('public, max-age=60');
            const asked = await request(f.gw.app).get('/public/transparency?month=2026-05');
            expect(asked.body.report.month).to.equal('2026-05');
            expect(f.fabric.evaluates.map((e) => [e.fn, JSON.parse(e.args[0] as string)])).to.deep.equal([
                [F.transparencyReport, { month: '2026-07' }],
                [F.transparencyReport, { month: '2026-05' }],
            ]);
            for (const q of ['month=2026-13', 'month=June', 'month=2026-06&card=card-0001']) {
                const res = await request(f.gw.app).get(`/public/transparency?${q}`);
                expect([res.status, res.body.code], q).to.deep.equal([400, 'VALIDATION_FAILED']);
            }
            const op = (f.gw.openapi.paths as Record<string, Record<string, { security: unknown[]; parameters: { name?: string }[] }>>)[
                '/public/transparency'
            ]?.get;
            expect(op?.security).to.deep.equal([]);
            expect(op?.parameters.map((p) => p.name)).to.include('month');
        });

        it('Given too many requests from one address without a key, Then 429 RATE_LIMITED', async () => {
            f = buildFixture({ script: () => report, limits: { anonymousMax: 2 } });
            const codes: number[] = [];
            for (let i = 0; i < 4; i++) codes.push((await request(f.gw.app).get('/public/transparency')).status);
            expect(codes).to.deep.equal([200, 200, 429, 429]);
        });
    });
});
