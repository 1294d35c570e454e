// Property: whatever malformed body, parameter, header or encoding reaches any route, the answer
// is a 4xx problem document (never a 2xx, never a 5xx), and the Fabric layer is not called.
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import { malformedRequest, modeArb } from './malformed';
import { STREAM_PATH } from '../../../gateway/http/sse';
import { buildFixture, type Fixture } from './fixture';

describe('gateway property: malformed input on every route', function () {
    this.timeout(120_000);
    let f: Fixture;
    before(() => (f = buildFixture({ script: () => ({ decision: 'DENIED', accessId: 'c'.repeat(64), reason: 'X' }) })));
    after(() => f.close());

    it('answers 4xx problem+json, never 5xx, and never calls Fabric', async () => {
        const routes = [
            ...f.gw.routes.map((r) => ({ method: r.method, path: r.path, hasBody: r.method !== 'get' })),
            { method: 'get' as const, path: STREAM_PATH, hasBody: false },
        ];
        const routeArb = fc.constantFrom(...routes);
        await fc.assert(
            fc.asyncProperty(routeArb, modeArb, async (route, mode) => {
                const m = malformedRequest(route, mode, f.auth('welfare-app').Authorization);
                let req = request(f.gw.app)[m.method](m.url).set(m.headers);
                if (m.body !== undefined) req = req.send(m.body);
                const res = await req;
                expect(res.status, `${route.method} ${m.url} ${JSON.stringify(mode)}`).to.be.within(400, 499);
                expect(res.headers['content-type']).to.match(/application\/problem\+json/);
                const body = JSON.parse(res.text) as { status: number; code: string };
                expect(body.status).to.equal(res.status);
                expect(body.code).to.be.a('string');
                expect(f.fabric.submits, 'no transaction').to.have.length(0);
                expect(f.fabric.evaluates, 'no read').to.have.length(0);
            }),
            { numRuns: 1000 },
        );
    });
});
