// Query strings and referential checks (issue 26): integers in decimal digits only, a forged
// bookmark refused by the chaincode answered as a 400 problem, a service owner that must be an org
// of the channel, and the history of an unknown id as 404. None of them reaches a 5xx.
import { expect } from 'chai';
import request from 'supertest';
import { buildFixture, chaincodeEvaluateError, type Fixture } from './fixture';

const PROBLEM = /application\/problem\+json/;

function expectProblem(res: request.Response, status: number, code: string): void {
    expect(res.status, res.text).to.equal(status);
    expect(res.headers['content-type']).to.match(PROBLEM);
    expect(res.body.code).to.equal(code);
}

const service = (ownerMspId: string) => ({
    serviceId: 'svc-new-1',
    ownerMspId,
    dept: 'welfare',
    name: 'New service',
    purpose: 'a purpose',
    items: ['name'],
    predicates: [],
});

describe('gateway query strings and referential checks', () => {
    let f: Fixture;
    beforeEach(() => (f = buildFixture({ script: () => ({ records: [], bookmark: '' }) })));
    afterEach(() => f.close());

    for (const [name, query, field] of [
        ['hex', 'from=0x0&to=1', 'query.from'],
        ['an exponent', 'from=1e0&to=2', 'query.from'],
        ['a leading space', 'from=%201&to=2', 'query.from'],
        ['a trailing space', 'from=1&to=2%20', 'query.to'],
        ['an empty value', 'from=&to=1', 'query.from'],
        ['a sign', 'from=%2B1&to=2', 'query.from'],
        ['a negative number', 'from=-1&to=2', 'query.from'],
        ['a fraction', 'from=0.5&to=2', 'query.from'],
        ['a repeated parameter', 'from=0&from=1&to=2', 'query.from'],
        ['sixteen digits', 'from=1000000000000000&to=2', 'query.from'],
    ]) {
        it(`Given a block range with ${name} (${query}), Then 400 VALIDATION_FAILED naming ${field}, and no ledger read`, async () => {
            const res = await request(f.gw.app).get(`/v1/blocks?${query}`).set(f.auth('welfare-app'));
            expectProblem(res, 400, 'VALIDATION_FAILED');
            expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal([field]);
            expect(f.fabric.evaluates).to.have.length(0);
        });
    }

    for (const pageSize of ['0x5', '5e0', ' 5', '', '05.0']) {
        it(`Given pageSize=${JSON.stringify(pageSize)}, Then 400 naming query.pageSize`, async () => {
            const res = await request(f.gw.app)
                .get(`/v1/services?pageSize=${encodeURIComponent(pageSize)}`)
                .set(f.auth('welfare-app'));
            expectProblem(res, 400, 'VALIDATION_FAILED');
            expect(res.body.errors).to.deep.equal([
                {
                    field: 'query.pageSize',
                    constraints: { isDecimal: 'pageSize must be an integer written in decimal digits (at most 15)' },
                },
            ]);
            expect(f.fabric.evaluates).to.have.length(0);
        });
    }

    it('Given decimal integers, Then they are read as numbers (leading zeros included)', async () => {
        const res = await request(f.gw.app).get('/v1/services?pageSize=007').set(f.auth('welfare-app'));
        expect(res.status, res.text).to.equal(200);
        expect(JSON.parse(f.fabric.evaluates[0].args[0])).to.deep.equal({ pageSize: 7, bookmark: '' });
    });

    it('Given a bookmark the chaincode refuses, Then 400 INVALID_BOOKMARK (not a 5xx) and the records stay unread', async () => {
        f.fabric.script = () => {
            throw chaincodeEvaluateError('INVALID_BOOKMARK', 'bookmark is not one this query returned');
        };
        for (const bookmark of ['\u0000access\u0000', '\u0000card\u0000', '\u0000consent\u0000', '\u0000']) {
            const res = await request(f.gw.app)
                .get(`/v1/services?ownerMspId=AuditMSP&pageSize=3&bookmark=${encodeURIComponent(bookmark)}`)
                .set(f.auth('welfare-app'));
            expectProblem(res, 400, 'INVALID_BOOKMARK');
            expect(res.body).to.not.have.property('records');
        }
    });

    it('Given a service owner org that is not on the channel, Then 422 ORG_NOT_ON_CHANNEL and nothing is submitted', async () => {
        const res = await request(f.gw.app).post('/v1/services').set(f.auth('welfare-app')).send(service('NOSUCHMSP'));
        expectProblem(res, 422, 'ORG_NOT_ON_CHANNEL');
        expect(res.body.detail).to.include('NOSUCHMSP');
        expect(f.fabric.submits).to.have.length(0);
    });

    it('Given an org that joined the channel since the gateway started, Then its service is registered (the config is read per request)', async () => {
        f.fabric.orgs = [...f.fabric.orgs, 'MOLEMSP'];
        const res = await request(f.gw.app).post('/v1/services').set(f.auth('welfare-app')).send(service('MOLEMSP'));
        expect(res.status, res.text).to.equal(201);
        expect(f.fabric.submits.map((s) => s.fn)).to.deep.equal(['ServiceContract:RegisterService']);
    });

    it('Given the history of an id the ledger never held, Then 404 with the code of its kind', async () => {
        f.fabric.script = () => {
            throw chaincodeEvaluateError('CARD_NOT_FOUND', 'no history for card card-9999');
        };
        const res = await request(f.gw.app).get('/v1/audit/history/card/card-9999').set(f.auth('welfare-app'));
        expectProblem(res, 404, 'CARD_NOT_FOUND');
    });
});
