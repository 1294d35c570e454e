// Property: whatever malformed body, parameter or header reaches any route, the answer is a 4xx
// problem document, never a 5xx, and the Fabric layer is not called (no transaction, no read).
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import { STREAM_PATH } from '../../../gateway/http/sse';
import { buildFixture, type Fixture } from './fixture';

const VALID_PARAMS: Record<string, string> = {
    cardId: 'card-0001',
    serviceId: 'svc-welfare-1',
    consentId: 'consent-0001',
    txId: 'a'.repeat(64),
    accessId: 'b'.repeat(64),
    kind: 'card',
    id: 'card-0001',
};

type Mode =
    | { kind: 'path'; junk: string }
    | { kind: 'body-not-object'; value: unknown }
    | { kind: 'body-unknown-member'; key: string; value: unknown }
    | { kind: 'body-malformed-json'; text: string }
    | { kind: 'query'; key: string; value: string }
    | { kind: 'idempotency-key'; value: string }
    | { kind: 'auth'; value: string };

const jsonValue = fc.jsonValue({ maxDepth: 2 });
const modeArb: fc.Arbitrary<Mode> = fc.oneof(
    // '!' is in no identifier pattern, so the parameter is always invalid (a '/' may also change the route: 404).
    fc.string({ maxLength: 40 }).map((s) => ({ kind: 'path' as const, junk: `${s}!` })),
    fc
        .oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(jsonValue, { maxLength: 3 }))
        .map((value) => ({ kind: 'body-not-object' as const, value })),
    fc
        .tuple(
            fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['__proto__', 'constructor'].includes(k)),
            jsonValue,
        )
        .map(([key, value]) => ({ kind: 'body-unknown-member' as const, key: `zz${key}`, value })),
    fc.string({ maxLength: 30 }).map((s) => ({ kind: 'body-malformed-json' as const, text: `{${s}` })),
    fc
        .tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 20 }))
        .map(([k, v]) => ({ kind: 'query' as const, key: `zz${k}`, value: v })),
    fc.string({ maxLength: 20 }).map((s) => ({ kind: 'idempotency-key' as const, value: `bad key ${s}` })),
    fc
        .string({ maxLength: 60 })
        .filter((s) => /^[\x20-\x7e]*$/.test(s))
        .map((s) => ({ kind: 'auth' as const, value: `ck_${s}` })),
);

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
                // Modes that need a body or params only apply where they make sense; otherwise fall back to a bad auth header.
                let m = mode;
                if (
                    (m.kind.startsWith('body') && !route.hasBody) ||
                    (m.kind === 'path' && !route.path.includes(':')) ||
                    (m.kind === 'idempotency-key' && route.method === 'get')
                ) {
                    m = { kind: 'query', key: 'zzunknown', value: 'x' };
                }
                let url = route.path.replace(/:([A-Za-z]+)/g, (_x, name: string) => encodeURIComponent(VALID_PARAMS[name]));
                if (m.kind === 'path') {
                    const firstParam = /:([A-Za-z]+)/.exec(route.path)![1];
                    url = route.path.replace(/:([A-Za-z]+)/g, (_x, name: string) =>
                        encodeURIComponent(name === firstParam ? m.junk : VALID_PARAMS[name]),
                    );
                }
                if (m.kind === 'query') url += `?${encodeURIComponent(m.key)}=${encodeURIComponent(m.value)}`;
                let req = request(f.gw.app)[route.method](url);
                req = m.kind === 'auth' ? req.set('Authorization', `Bearer ${m.value}`) : req.set(f.auth('welfare-app'));
                if (m.kind === 'idempotency-key') req = req.set('Idempotency-Key', m.value);
                if (route.hasBody) {
                    req = req.set('Content-Type', 'application/json');
                    if (m.kind === 'body-not-object') req = req.send(JSON.stringify(m.value));
                    else if (m.kind === 'body-unknown-member') req = req.send(JSON.stringify({ [m.key]: m.value }));
                    else if (m.kind === 'body-malformed-json') req = req.send(m.text);
                    else req = req.send('{}');
                }
                const res = await req;
                expect(res.status, `${route.method} ${url} ${JSON.stringify(m)}`).to.be.within(400, 499);
                expect(res.headers['content-type']).to.match(/application\/problem\+json/);
                const body = JSON.parse(res.text) as { status: number; code: string };
                expect(body.status).to.equal(res.status);
                expect(body.code).to.be.a('string');
                expect(f.fabric.submits, 'no transaction').to.have.length(0);
                expect(f.fabric.evaluates, 'no read').to.have.length(0);
            }),
            { numRuns: 400 },
        );
    });
});
