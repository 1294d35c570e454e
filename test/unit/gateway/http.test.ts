// HTTP behaviour of the gateway with its Fabric layer replaced: validation, error mapping,
// authentication, idempotency (with restarts), rate limiting, operations endpoints.
import { expect } from 'chai';
import request from 'supertest';
import { sealJson } from '../../../chaincode/model';
import { OutcomeUnknownError } from '../../../gateway/errors';
import type { EvaluateRequest } from '../../../gateway/fabric/types';
import { createLogger } from '../../../network/client/logger';
import { buildOpenApi } from '../../../gateway/http/openapi';
import { v1Routes } from '../../../gateway/http/routes';
import { parseApiKey } from '../../../gateway/auth/keys';
import {
    buildFixture,
    chaincodeEndorseError,
    chaincodeEvaluateError,
    FakeFabric,
    tmpDbFile,
    unavailableError,
    validAccessRequest,
    type Fixture,
} from './fixture';

const PROBLEM = /application\/problem\+json/;

function accessScript(decision = 'GRANTED') {
    return (qualified: string, arg: Record<string, string>, req?: EvaluateRequest) => {
        const fn = qualified.split(':').pop();
        if (fn === 'RequestAccess')
            return { accessId: 'f'.repeat(64), decision, reason: decision === 'GRANTED' ? 'CONSENT' : 'CONSENT_REQUIRED' };
        if (fn === 'ReadGrantedData') {
            // As the chaincode does: sealed to the one-time key of the transient map.
            const granted = {
                accessId: arg.accessId,
                cardId: 'card-0001',
                items: { name: 'Hong Gildong' },
                predicates: { 'ageAtLeast:65': true },
            };
            return {
                accessId: arg.accessId,
                cardId: 'card-0001',
                sealed: sealJson(granted, req!.transient!.responseKey, 'tx', arg.accessId),
            };
        }
        if (fn === 'GetCard') return { cardId: arg.cardId, status: 'ACTIVE' };
        return {};
    };
}

describe('gateway HTTP', () => {
    let f: Fixture;
    afterEach(() => f?.close());

    describe('validation', () => {
        beforeEach(() => (f = buildFixture({ script: accessScript() })));

        it('Given a body missing required fields, When posted, Then 400 problem+json names every failing field and nothing is submitted', async () => {
            const res = await request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).send({ cardId: 'card-0001' });
            expect(res.status).to.equal(400);
            expect(res.headers['content-type']).to.match(PROBLEM);
            expect(res.body.code).to.equal('VALIDATION_FAILED');
            const fields = res.body.errors.map((e: { field: string }) => e.field);
            expect(fields).to.include.members(['body.serviceId', 'body.purpose', 'body.items', 'body.predicates']);
            expect(f.fabric.submits).to.have.length(0);
        });

        it('Given an unknown member, Then 400 whitelist error and the value is not echoed', async () => {
            const res = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .send({ ...validAccessRequest(), residentNumber: '900101-1234567' });
            expect(res.status).to.equal(400);
            expect(res.body.errors[0].field).to.equal('body.residentNumber');
            expect(JSON.stringify(res.body)).not.to.contain('900101');
        });

        it('Given a malformed path parameter, a bad query and a non-JSON body, Then 400, 400 and 415', async () => {
            const a = await request(f.gw.app).get('/v1/cards/%20bad!').set(f.auth('welfare-app'));
            expect(a.status).to.equal(400);
            expect(a.body.errors[0].field).to.equal('path.cardId');
            const b = await request(f.gw.app).get('/v1/services?pageSize=abc').set(f.auth('welfare-app'));
            expect(b.status).to.equal(400);
            expect(b.body.errors[0].field).to.equal('query.pageSize');
            const c = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Content-Type', 'text/plain')
                .send('hello');
            expect(c.status).to.equal(415);
        });

        it('Given malformed JSON or an oversized body, Then 400 MALFORMED_JSON and 413', async () => {
            const a = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Content-Type', 'application/json')
                .send('{"cardId":');
            expect(a.status).to.equal(400);
            expect(a.body.code).to.equal('MALFORMED_JSON');
            const b = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .send({ ...validAccessRequest(), purpose: 'x'.repeat(20_000) });
            expect(b.status).to.equal(413);
            expect(b.headers['content-type']).to.match(PROBLEM);
        });

        it('Given a signed document for another card than the path, Then 400 and nothing is submitted', async () => {
            const res = await request(f.gw.app)
                .post('/v1/cards/card-0002/report-lost')
                .set(f.auth('welfare-app'))
                .send({
                    document: {
                        type: 'CardSuspension',
                        cardId: 'card-0001',
                        nonce: 'n'.repeat(20),
                        issuedAt: '2026-01-01T00:00:00Z',
                        reason: 'LOST_DEVICE',
                    },
                    signature: 'MEUCIQ==',
                });
            expect(res.status).to.equal(400);
            expect(res.body.errors[0].field).to.equal('body.document.cardId');
            expect(f.fabric.submits).to.have.length(0);
        });

        it('Given GET / without a key, Then 200 naming the org, the API docs and how to get an API key', async () => {
            const res = await request(f.gw.app).get('/');
            expect(res.status).to.equal(200);
            expect(res.body).to.include({ docs: '/docs/', openapi: '/openapi.json' });
            expect(res.body.gateway).to.match(/MSP$/);
            expect(res.body.apiKey).to.match(/^npm run -s gateway:admin -- create-app --org \w+MSP /);
        });

        it('Given an unknown route, Then 404 problem', async () => {
            const res = await request(f.gw.app).get('/v1/nothing').set(f.auth('welfare-app'));
            expect(res.status).to.equal(404);
            expect(res.headers['content-type']).to.match(PROBLEM);
        });
    });

    describe('authentication', () => {
        beforeEach(() => (f = buildFixture({ script: accessScript() })));

        it('Given no key, a wrong key, or a key of another org, Then 401 with WWW-Authenticate and no Fabric call', async () => {
            const none = await request(f.gw.app).get('/v1/cards/card-0001');
            expect(none.status).to.equal(401);
            expect(none.headers['www-authenticate']).to.match(/Bearer/);
            const wrong = await request(f.gw.app)
                .get('/v1/cards/card-0001')
                .set('X-API-Key', f.keys['welfare-app'].slice(0, -2) + 'AA');
            expect(wrong.status).to.equal(401);
            const otherOrg = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('seoul-app'));
            expect(otherOrg.status).to.equal(401);
            expect(f.fabric.evaluates).to.have.length(0);
        });

        it('Given a valid key (Bearer or X-API-Key), Then the call is made', async () => {
            const a = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
            expect(a.status).to.equal(200);
            expect(a.body.card.cardId).to.equal('card-0001');
            const b = await request(f.gw.app).get('/v1/cards/card-0001').set('X-API-Key', f.keys['welfare-app']);
            expect(b.status).to.equal(200);
        });

        it('Then only a hash of the key is stored', () => {
            const rows = f.db.prepare('SELECT * FROM apps').all() as Record<string, unknown>[];
            const dump = JSON.stringify(rows.map((r) => ({ ...r, key_hash: (r.key_hash as Buffer).toString('hex') })));
            for (const key of Object.values(f.keys)) expect(dump).not.to.contain(parseApiKey(key)!.secret);
        });
    });

    describe('error mapping', () => {
        const cases: [string, number][] = [
            ['UNAUTHORIZED_ROLE', 403],
            ['CARD_NOT_FOUND', 404],
            ['CARD_REVOKED', 409],
            ['ITEMS_NOT_ALLOWED', 422],
            ['SIGNATURE_INVALID', 422],
            ['SERVICE_NOT_OWNED', 403],
        ];
        for (const [code, status] of cases) {
            it(`Given the chaincode refuses endorsement with ${code}, Then ${status} with that code`, async () => {
                f = buildFixture({
                    script: () => {
                        throw chaincodeEndorseError(code, 'no');
                    },
                });
                const res = await request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).send(validAccessRequest());
                expect(res.status).to.equal(status);
                expect(res.headers['content-type']).to.match(PROBLEM);
                expect(res.body.code).to.equal(code);
                expect(res.body.detail).to.equal('no');
            });
        }

        it('Given an evaluate refused by the chaincode, Then its code maps too', async () => {
            f = buildFixture({
                script: () => {
                    throw chaincodeEvaluateError('CONSENT_NOT_FOUND');
                },
            });
            const res = await request(f.gw.app).get('/v1/consents/consent-1').set(f.auth('welfare-app'));
            expect(res.status).to.equal(404);
            expect(res.body.code).to.equal('CONSENT_NOT_FOUND');
        });

        it('Given the peer is unreachable, Then 503 with Retry-After', async () => {
            f = buildFixture({
                script: () => {
                    throw unavailableError();
                },
            });
            const res = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
            expect(res.status).to.equal(503);
            expect(res.headers['retry-after']).to.equal('2');
            expect(res.body.code).to.equal('FABRIC_UNAVAILABLE');
        });

        it('Given an unexpected error, Then 500 INTERNAL without its message', async () => {
            f = buildFixture({
                script: () => {
                    throw new Error('secret internals');
                },
            });
            const res = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
            expect(res.status).to.equal(500);
            expect(JSON.stringify(res.body)).not.to.contain('secret internals');
        });
    });

    describe('access request', () => {
        it('Given a GRANTED decision, Then the answer carries the decision, the transaction and the data read from the issuer peer', async () => {
            f = buildFixture({ script: accessScript('GRANTED') });
            const res = await request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).send(validAccessRequest());
            expect(res.status).to.equal(201);
            expect(res.body).to.include({ decision: 'GRANTED', blockNumber: '7' });
            expect(res.body.data.items.name).to.equal('Hong Gildong');
            expect(f.fabric.evaluates[0]).to.deep.include({ fn: 'AccessContract:ReadGrantedData', targetOrgs: ['SeoulMSP'] });
        });

        it('Given a DENIED decision, Then 201 with the reason and no data read', async () => {
            f = buildFixture({ script: accessScript('DENIED') });
            const res = await request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).send(validAccessRequest());
            expect(res.status).to.equal(201);
            expect(res.body).to.include({ decision: 'DENIED', reason: 'CONSENT_REQUIRED' });
            expect(res.body).not.to.have.property('data');
            expect(f.fabric.evaluates).to.have.length(0);
        });
    });

    describe('idempotency', () => {
        it('Given the same key and body twice, Then the first answer is replayed and only one transaction is made', async () => {
            f = buildFixture({ script: accessScript('DENIED') });
            const send = () =>
                request(f.gw.app)
                    .post('/v1/access-requests')
                    .set(f.auth('welfare-app'))
                    .set('Idempotency-Key', 'key-00000001')
                    .send(validAccessRequest());
            const a = await send();
            const b = await send();
            expect(a.status).to.equal(201);
            expect(b.status).to.equal(201);
            expect(b.body).to.deep.equal(a.body);
            expect(b.headers['idempotent-replayed']).to.equal('true');
            expect(f.fabric.submits).to.have.length(1);
        });

        it('Given the same key with another body, Then 422 IDEMPOTENCY_KEY_REUSED and no transaction', async () => {
            f = buildFixture({ script: accessScript('DENIED') });
            await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000002')
                .send(validAccessRequest());
            const res = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000002')
                .send({ ...validAccessRequest(), purpose: 'other' });
            expect(res.status).to.equal(422);
            expect(res.body.code).to.equal('IDEMPOTENCY_KEY_REUSED');
            expect(f.fabric.submits).to.have.length(1);
        });

        it('Given keys are per app, Then another app may use the same key', async () => {
            f = buildFixture({ script: accessScript('DENIED') });
            await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000003')
                .send(validAccessRequest());
            const res = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('other-app'))
                .set('Idempotency-Key', 'key-00000003')
                .send({ ...validAccessRequest(), purpose: 'other' });
            expect(res.status).to.equal(201);
            expect(f.fabric.submits).to.have.length(2);
        });

        it('Given a request still in flight, When the same key arrives, Then 409 IDEMPOTENCY_IN_FLIGHT', async () => {
            let release!: () => void;
            const gate = new Promise<void>((r) => (release = r));
            f = buildFixture({
                script: async (fn, arg) => {
                    if (fn.endsWith(':RequestAccess')) await gate;
                    return accessScript('DENIED')(fn, arg);
                },
            });
            const first = request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000004')
                .send(validAccessRequest())
                .then((r) => r);
            // Wait until the first one holds the key (it is inside the Fabric call).
            for (let i = 0; i < 200 && f.fabric.submits.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
            const second = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000004')
                .send(validAccessRequest());
            expect(second.status).to.equal(409);
            expect(second.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
            release();
            expect((await first).status).to.equal(201);
            expect(f.fabric.submits).to.have.length(1);
        });

        it('Given a gateway restart (SQLite reopened), Then the key still returns the first answer without a transaction', async () => {
            const dbFile = tmpDbFile();
            f = buildFixture({ script: accessScript('DENIED'), dbFile });
            const a = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000005')
                .send(validAccessRequest());
            f.close();
            f = buildFixture({ script: accessScript('DENIED'), dbFile });
            const b = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000005')
                .send(validAccessRequest());
            expect(b.status).to.equal(201);
            expect(b.body).to.deep.equal(a.body);
            expect(f.fabric.submits).to.have.length(0);
        });

        it('Given a crash after endorsement (outcome unknown), When retried after a restart, Then the SAME signed transaction is resumed, never a new one', async () => {
            const dbFile = tmpDbFile();
            const crashing = new FakeFabric(accessScript('DENIED'));
            (crashing as unknown as { afterPrepared: () => Promise<void> }).afterPrepared = async () => {
                throw new OutcomeUnknownError('1'.padStart(64, '0'), new Error('deadline'));
            };
            f = buildFixture({ fabric: crashing, dbFile });
            const a = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000006')
                .send(validAccessRequest());
            expect(a.status).to.equal(504);
            expect(a.body.code).to.equal('COMMIT_STATUS_UNKNOWN');
            f.close();
            f = buildFixture({ script: accessScript('DENIED'), dbFile });
            const b = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'key-00000006')
                .send(validAccessRequest());
            expect(b.status).to.equal(201);
            expect(b.body).to.include({ decision: 'DENIED', transactionId: '1'.padStart(64, '0') });
            expect(f.fabric.submits).to.have.length(0);
            expect(f.fabric.resumes).to.have.length(1);
            expect(Buffer.from(f.fabric.resumes[0].bytes).toString()).to.equal(`signed-${'1'.padStart(64, '0')}`);
        });

        it('Given a GRANTED answer, Then the stored record holds no personal data and a replay reads the data again', async () => {
            f = buildFixture({ script: accessScript('GRANTED') });
            const send = () =>
                request(f.gw.app)
                    .post('/v1/access-requests')
                    .set(f.auth('welfare-app'))
                    .set('Idempotency-Key', 'key-00000007')
                    .send(validAccessRequest());
            await send();
            const stored = JSON.stringify(f.db.prepare('SELECT response FROM idempotency').all());
            expect(stored).not.to.contain('Hong Gildong');
            const b = await send();
            expect(b.body.data.items.name).to.equal('Hong Gildong');
            expect(f.fabric.submits).to.have.length(1);
        });

        it('Given a malformed Idempotency-Key, Then 400 on the header', async () => {
            f = buildFixture({ script: accessScript('DENIED') });
            const res = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Idempotency-Key', 'bad key!')
                .send(validAccessRequest());
            expect(res.status).to.equal(400);
            expect(res.body.errors[0].field).to.equal('header.Idempotency-Key');
            expect(f.fabric.submits).to.have.length(0);
        });

        it('Given a chaincode refusal, Then the refusal is the stored answer (no second attempt)', async () => {
            let calls = 0;
            f = buildFixture({
                script: () => {
                    calls++;
                    throw chaincodeEndorseError('SERVICE_NOT_OWNED');
                },
            });
            const send = () =>
                request(f.gw.app)
                    .post('/v1/access-requests')
                    .set(f.auth('welfare-app'))
                    .set('Idempotency-Key', 'key-00000008')
                    .send(validAccessRequest());
            expect((await send()).status).to.equal(403);
            const again = await send();
            expect(again.status).to.equal(403);
            expect(again.headers['content-type']).to.match(PROBLEM);
            expect(calls).to.equal(1);
        });

        it('Given Fabric was unreachable before endorsement, Then the key is released and a retry makes the transaction', async () => {
            let down = true;
            f = buildFixture({
                script: (fn, arg) => {
                    if (down) throw unavailableError();
                    return accessScript('DENIED')(fn, arg);
                },
            });
            const send = () =>
                request(f.gw.app)
                    .post('/v1/access-requests')
                    .set(f.auth('welfare-app'))
                    .set('Idempotency-Key', 'key-00000009')
                    .send(validAccessRequest());
            expect((await send()).status).to.equal(503);
            down = false;
            expect((await send()).status).to.equal(201);
        });
    });

    describe('multi-step flows', () => {
        it('Given erase with an empty body, Then the private purge is endorsed by the issuer only, then the public confirmation', async () => {
            f = buildFixture({ script: (fn, arg) => ({ cardId: arg.cardId, fn }) });
            const res = await request(f.gw.app).post('/v1/cards/card-0001/erase').set(f.auth('welfare-app')).send({});
            expect(res.status).to.equal(200);
            expect(f.fabric.submits.map((s) => [s.fn, s.endorsingOrgs])).to.deep.equal([
                ['CardContract:ErasePersonalRecord', ['SeoulMSP']],
                ['CardContract:ConfirmErasure', undefined],
            ]);
        });

        it('Given an issue, Then personal data travels as transient data to the issuer only, never as an argument', async () => {
            f = buildFixture({
                script: (fn, arg) =>
                    fn.endsWith('IssuePersonalRecord') ? { commitments: { name: 'c'.repeat(64) } } : { cardId: arg.cardId },
            });
            const res = await request(f.gw.app)
                .post('/v1/cards')
                .set(f.auth('welfare-app'))
                .send({
                    cardId: 'card-0001',
                    devicePublicKey: 'A'.repeat(60),
                    validityYears: 5,
                    personal: {
                        name: 'Hong Gildong',
                        birthDate: '1955-03-01',
                        address: 'Jung-gu',
                        district: 'Jung-gu',
                        residentNumber: '550301-1234567',
                        disability: false,
                        lowIncome: true,
                        multiChildFamily: false,
                        seoulResident: true,
                    },
                });
            expect(res.status).to.equal(201);
            const [step1, step2] = f.fabric.submits;
            expect(step1.endorsingOrgs).to.deep.equal(['SeoulMSP']);
            expect(Buffer.from(step1.transient!.personal).toString()).to.contain('Hong Gildong');
            expect(step1.transient!.saltSeed.length).to.equal(32);
            for (const s of f.fabric.submits) expect(s.args.join()).not.to.contain('Hong Gildong');
            expect(JSON.parse(step2.args[0]).commitments).to.deep.equal({ name: 'c'.repeat(64) });
        });
    });

    describe('access-log stream (SSE)', () => {
        it("Given access events, Then only the card's entries are sent with <block>:<tx> ids, and a named subscriber's checkpoint is stored", async () => {
            f = buildFixture({ script: () => ({ records: [], bookmark: '' }) });
            const tx = (n: number) => String(n).padStart(64, '0');
            const payload = (cardId: string) => Buffer.from(JSON.stringify({ accessId: 'a'.repeat(64), cardId, decision: 'GRANTED' }));
            f.fabric.events = [
                { blockNumber: 9n, transactionId: tx(1), eventName: 'AccessLogged', payload: payload('card-0001') },
                { blockNumber: 9n, transactionId: tx(2), eventName: 'AccessLogged', payload: payload('card-0002') },
                { blockNumber: 10n, transactionId: tx(3), eventName: 'ConsentGranted', payload: payload('card-0001') },
            ];
            const res = await request(f.gw.app).get('/v1/cards/card-0001/access-log/stream?subscriber=phone-1').set(f.auth('welfare-app'));
            expect(res.status).to.equal(200);
            expect(res.headers['content-type']).to.match(/text\/event-stream/);
            expect(res.text).to.contain(`id: 9:${tx(1)}\nevent: access\n`);
            expect(res.text).not.to.contain('card-0002');
            expect(res.text).not.to.contain(tx(3));
            expect(f.fabric.evaluates[0].fn).to.equal('AccessContract:ListAccessLogByCard');
            const row = f.db.prepare('SELECT block_number, transaction_id FROM checkpoints').get() as {
                block_number: string;
                transaction_id: string;
            };
            expect(row).to.deep.equal({ block_number: '10', transaction_id: tx(3) });
            // Reconnecting with the same subscriber resumes from the stored checkpoint.
            f.fabric.events = [];
            await request(f.gw.app).get('/v1/cards/card-0001/access-log/stream?subscriber=phone-1').set(f.auth('welfare-app'));
            expect(f.fabric.subscriptions[1].checkpoint!.getBlockNumber()).to.equal(10n);
            expect(f.fabric.subscriptions[1].checkpoint!.getTransactionId()).to.equal(tx(3));
        });

        it('Given Last-Event-ID, Then the stream resumes right after it; a malformed one is 400', async () => {
            f = buildFixture({ script: () => ({ records: [], bookmark: '' }) });
            await request(f.gw.app)
                .get('/v1/cards/card-0001/access-log/stream')
                .set(f.auth('welfare-app'))
                .set('Last-Event-ID', `5:${'e'.repeat(64)}`);
            expect(f.fabric.subscriptions[0].checkpoint!.getBlockNumber()).to.equal(5n);
            const bad = await request(f.gw.app)
                .get('/v1/cards/card-0001/access-log/stream')
                .set(f.auth('welfare-app'))
                .set('Last-Event-ID', 'nonsense');
            expect(bad.status).to.equal(400);
        });

        it('Given the chaincode refuses the listing, Then no stream is opened', async () => {
            f = buildFixture({
                script: () => {
                    throw chaincodeEvaluateError('UNAUTHORIZED_ROLE');
                },
            });
            const res = await request(f.gw.app).get('/v1/cards/card-0001/access-log/stream').set(f.auth('welfare-app'));
            expect(res.status).to.equal(403);
            expect(f.fabric.subscriptions).to.have.length(0);
        });
    });

    describe('rate limiting', () => {
        it('Given a limit of 3 per window, Then the 4th request of one key is 429 problem and another key is unaffected', async () => {
            f = buildFixture({ script: accessScript(), limits: { windowMs: 60_000, max: 3 } });
            for (let i = 0; i < 3; i++)
                expect((await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'))).status).to.equal(200);
            const limited = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
            expect(limited.status).to.equal(429);
            expect(limited.headers['content-type']).to.match(PROBLEM);
            expect(limited.headers['retry-after'], 'a token refills every 60 s / 3').to.equal('20');
            expect((await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('other-app'))).status).to.equal(200);
        });
    });

    describe('operations', () => {
        beforeEach(() => (f = buildFixture({ script: accessScript() })));

        it('serves /healthz, /readyz (503 when the peer does not answer) and /metrics', async () => {
            expect((await request(f.gw.app).get('/healthz')).body).to.deep.equal({ status: 'OK' });
            expect((await request(f.gw.app).get('/readyz')).status).to.equal(200);
            f.fabric.readyValue = false;
            const notReady = await request(f.gw.app).get('/readyz');
            expect(notReady.status).to.equal(503);
            expect(notReady.headers['retry-after']).to.equal('2');
            await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
            const m = await request(f.gw.app).get('/metrics');
            expect(m.text).to.contain('gateway_http_requests_total{method="GET",route="/v1/cards/:cardId",status="200"} 1');
            expect(m.text).to.contain('gateway_fabric_call_duration_seconds');
        });

        it('serves an OpenAPI 3 document generated from the DTOs, and the docs page from local files', async () => {
            const doc = (await request(f.gw.app).get('/openapi.json')).body;
            expect(doc.openapi).to.match(/^3\./);
            expect(doc.paths['/v1/access-requests'].post.requestBody.content['application/json'].schema.$ref).to.equal(
                '#/components/schemas/RequestAccessArgs',
            );
            expect(doc.components.schemas.RequestAccessArgs.required).to.include.members(['cardId', 'serviceId', 'purpose', 'items']);
            for (const r of f.gw.routes.filter((route) => !route.grants || route.grants.some((g) => !g.mspId || g.mspId === 'MOHWMSP')))
                expect(doc.paths[r.path.replace(/:([A-Za-z]+)/g, '{$1}')][r.method].operationId).to.equal(r.operationId);
            const page = await request(f.gw.app).get('/docs/');
            expect(page.status).to.equal(200);
            expect(page.text).to.contain('swagger-ui-bundle.js');
            expect(page.text).not.to.match(/https?:\/\/(cdn|unpkg)/);
            expect((await request(f.gw.app).get('/docs/swagger-ui-bundle.js')).status).to.equal(200);
        });

        it("Given each org's gateway, Then its OpenAPI document offers only what its apps may call, one tag per route, and only the schemas its requests use", () => {
            const docOf = (mspId: string) => buildOpenApi(v1Routes(), { mspId, version: '1.0.0' });
            const [seoul, mohw, audit] = ['SeoulMSP', 'MOHWMSP', 'AuditMSP'].map(docOf);
            expect(audit.paths['/v1/cards']?.post, 'Audit may not issue cards').to.equal(undefined);
            expect(mohw.paths['/v1/cards']?.post).to.equal(undefined);
            expect(seoul.paths['/v1/cards'].post.operationId).to.equal('issueCard');
            expect(audit.paths['/v1/audit/history/{kind}/{id}'].get.operationId).to.equal('auditHistory');
            expect(seoul.paths['/v1/audit/history/{kind}/{id}']).to.equal(undefined);
            expect(mohw.paths['/v1/access-requests'].post.operationId).to.equal('requestAccess');
            expect(audit.components.schemas).not.to.have.property('IssueCardBody');
            for (const doc of [seoul, mohw, audit]) {
                for (const op of Object.values(doc.paths).flatMap((p) => Object.values(p as object))) {
                    expect((op as { tags: string[] }).tags, (op as { operationId: string }).operationId).to.have.length(1);
                }
                const text = JSON.stringify({ paths: doc.paths, schemas: doc.components.schemas });
                for (const name of Object.keys(doc.components.schemas)) expect(text, name).to.contain(`"#/components/schemas/${name}"`);
            }
        });

        it('logs one JSON line per request with its id, and never keys, bodies, signatures or personal data', async () => {
            f.close();
            const lines: string[] = [];
            f = buildFixture({
                script: () => {
                    throw new Error('boom');
                },
                log: createLogger({}, 'debug', (l) => lines.push(l)),
            });
            await request(f.gw.app)
                .post('/v1/cards')
                .set(f.auth('welfare-app'))
                .set('X-Request-Id', 'req-abcdefgh')
                .send({
                    cardId: 'card-0001',
                    devicePublicKey: 'A'.repeat(60),
                    validityYears: 5,
                    personal: {
                        name: 'Hong Gildong',
                        birthDate: '1955-03-01',
                        address: 'Jung-gu',
                        district: 'Jung-gu',
                        residentNumber: '550301-1234567',
                        disability: false,
                        lowIncome: true,
                        multiChildFamily: false,
                        seoulResident: true,
                    },
                });
            await request(f.gw.app)
                .post('/v1/consents/c-0001/withdraw?signature=MEUCIQSECRET')
                .set(f.auth('welfare-app'))
                .send({ signature: 'MEUCIQSECRET' });
            const all = lines.join('\n');
            expect(lines.some((l) => JSON.parse(l).requestId === 'req-abcdefgh' && JSON.parse(l).route === '/v1/cards')).to.equal(true);
            for (const secret of ['Hong Gildong', '550301', '1955-03-01', 'MEUCIQSECRET', parseApiKey(f.keys['welfare-app'])!.secret])
                expect(all).not.to.contain(secret);
        });

        it('answers with a request id and helmet headers', async () => {
            const res = await request(f.gw.app).get('/healthz').set('X-Request-Id', 'req-12345678');
            expect(res.headers['x-request-id']).to.equal('req-12345678');
            expect(res.headers['x-content-type-options']).to.equal('nosniff');
            expect(res.headers).not.to.have.property('x-powered-by');
        });

        it('answers JSON without an ETag (no body hashed for a header no client caches by)', async () => {
            f.fabric.script = () => ({ cardId: 'card-0001', status: 'ACTIVE' });
            const res = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
            expect(res.status, JSON.stringify(res.body)).to.equal(200);
            expect(res.headers).not.to.have.property('etag');
            const health = await request(f.gw.app).get('/healthz');
            expect(health.headers).not.to.have.property('etag');
        });
    });
});
