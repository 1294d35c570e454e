// The malformed requests an attacker's probe found answered 5xx (or accepted): each is a 4xx
// problem with a stable code, and none reaches the Fabric layer; and the limits a production
// gateway needs (rate per key and per address, open streams, slow clients), with tiny limits.
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { expect } from 'chai';
import request from 'supertest';
import { TokenBuckets } from '../../../gateway/store/memory';
import { listen } from '../../../gateway/http/listen';
import { buildFixture, validAccessRequest, type Fixture } from './fixture';

const PROBLEM = /application\/problem\+json/;

const SIGNATURE = 'MEUCIQDu7kR0bWFsZm9ybWVkc2lnbmF0dXJlZm9ydGVzdA==';

function expectRefused(res: request.Response, status: number, code: string, f: Fixture): void {
    expect(res.status, res.text).to.equal(status);
    expect(res.headers['content-type']).to.match(PROBLEM);
    expect(res.body.code).to.equal(code);
    expect(res.body.status).to.equal(status);
    expect(f.fabric.submits, 'no transaction').to.have.length(0);
    expect(f.fabric.evaluates, 'no read').to.have.length(0);
}

/** POST /v1/access-requests with this exact JSON text (no re-serialization that would drop members). */
const postJsonText = (f: Fixture, text: string) =>
    request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).set('Content-Type', 'application/json').send(text);

describe('gateway hardening: malformed requests', () => {
    let f: Fixture;
    beforeEach(() => (f = buildFixture({ script: () => ({}) })));
    afterEach(() => f.close());

    for (const bad of ['%E0%A4%A', '%', '%ZZ', 'card%']) {
        it(`Given a path parameter with a broken percent escape (${bad}), Then 400 MALFORMED_PATH`, async () => {
            const res = await request(f.gw.app).get(`/v1/cards/${bad}`).set(f.auth('welfare-app'));
            expectRefused(res, 400, 'MALFORMED_PATH', f);
            expect(res.body.detail).to.match(/percent/);
        });
    }

    it('Given a broken escape on a POST route and on the SSE stream, Then 400 MALFORMED_PATH too', async () => {
        const post = await request(f.gw.app).post('/v1/cards/%ZZ/suspend').set(f.auth('welfare-app')).send({ reason: 'FRAUD' });
        expectRefused(post, 400, 'MALFORMED_PATH', f);
        const sse = await request(f.gw.app).get('/v1/cards/%E0%A4%A/access-log/stream').set(f.auth('welfare-app'));
        expectRefused(sse, 400, 'MALFORMED_PATH', f);
    });

    it('Given JSON nested 3,000 deep, Then 400 JSON_TOO_DEEP before validation', async () => {
        const res = await postJsonText(f, `{"items":${'['.repeat(3000)}${']'.repeat(3000)}}`);
        expectRefused(res, 400, 'JSON_TOO_DEEP', f);
    });

    it('Given a body with more members than the limit, Then 400 JSON_TOO_MANY_MEMBERS', async () => {
        const items = Array.from({ length: 5000 }, () => 0);
        const res = await request(f.gw.app)
            .post('/v1/access-requests')
            .set(f.auth('welfare-app'))
            .send({ ...validAccessRequest(), items });
        expectRefused(res, 400, 'JSON_TOO_MANY_MEMBERS', f);
    });

    for (const encoding of ['gzip', 'br', 'deflate', 'identity, gzip', 'x-unknown']) {
        it(`Given Content-Encoding: ${encoding} (compressed or not), Then 415 CONTENT_ENCODING_UNSUPPORTED`, async () => {
            const res = await request(f.gw.app)
                .post('/v1/access-requests')
                .set(f.auth('welfare-app'))
                .set('Content-Type', 'application/json')
                .set('Content-Encoding', encoding)
                .send(JSON.stringify(validAccessRequest()));
            expectRefused(res, 415, 'CONTENT_ENCODING_UNSUPPORTED', f);
        });
    }

    it('Given a really gzip-compressed valid body, Then 415 too (compressed bodies are refused, not inflated)', async () => {
        const res = await request(f.gw.app)
            .post('/v1/access-requests')
            .set(f.auth('welfare-app'))
            .set('Content-Type', 'application/json')
            .set('Content-Encoding', 'gzip')
            .send(zlib.gzipSync(JSON.stringify(validAccessRequest())));
        expectRefused(res, 415, 'CONTENT_ENCODING_UNSUPPORTED', f);
    });

    const signedRoutes: [string, string][] = [
        ['/v1/cards/card-0001/report-lost', 'document'],
        ['/v1/cards/card-0001/verify', 'document'],
        ['/v1/consents', 'document'],
        ['/v1/consents/consent-0001/withdraw', 'document'],
        ['/v1/cards/card-0001/rotate-key', 'document'],
        ['/v1/cards/card-0001/access-log/query', 'request'],
    ];
    for (const [url, member] of signedRoutes) {
        for (const value of [undefined, null, 'text', 7, []]) {
            it(`Given POST ${url} with ${member} = ${JSON.stringify(value)}, Then 400 naming body.${member} and no Fabric call`, async () => {
                const body: Record<string, unknown> = { signature: SIGNATURE };
                if (member === 'request') body.signature = undefined;
                if (value !== undefined) body[member] = value;
                const res = await request(f.gw.app).post(url).set(f.auth('welfare-app')).send(body);
                expectRefused(res, 400, 'VALIDATION_FAILED', f);
                expect(res.body.errors.map((e: { field: string }) => e.field)).to.include(`body.${member}`);
            });
        }
    }

    for (const key of ['__proto__', 'constructor', 'prototype']) {
        it(`Given an extra ${key} member beside a valid body, Then 400 like any unknown member`, async () => {
            const res = await postJsonText(f, JSON.stringify(validAccessRequest()).replace(/^\{/, `{"${key}":{"role":"issuer"},`));
            expectRefused(res, 400, 'VALIDATION_FAILED', f);
            expect(res.body.errors.map((e: { field: string }) => e.field)).to.include(`body.${key}`);
        });
    }

    it('Given a nested __proto__ member, Then 400 naming its path', async () => {
        const body = { ...validAccessRequest(), predicates: [{ name: 'ageAtLeast', value: 65 }] };
        const res = await postJsonText(f, JSON.stringify(body).replace('{"name":"ageAtLeast"', '{"__proto__":{"x":1},"name":"ageAtLeast"'));
        expectRefused(res, 400, 'VALIDATION_FAILED', f);
        expect(res.body.errors.map((e: { field: string }) => e.field)).to.include('body.predicates.0.__proto__');
    });

    for (const id of [`${2n ** 64n}:${'a'.repeat(64)}`, `99999999999999999999:${'a'.repeat(64)}`]) {
        it(`Given Last-Event-ID ${id.split(':')[0]} (beyond a uint64 block number), Then 400 on the header`, async () => {
            const res = await request(f.gw.app)
                .get('/v1/cards/card-0001/access-log/stream')
                .set(f.auth('welfare-app'))
                .set('Last-Event-ID', id);
            expectRefused(res, 400, 'VALIDATION_FAILED', f);
            expect(res.body.errors[0].field).to.equal('header.Last-Event-ID');
        });
    }

    it('Given the largest uint64 block number, Then it is accepted as a position', async () => {
        const res = await request(f.gw.app)
            .get('/v1/cards/card-0001/access-log/stream')
            .set(f.auth('welfare-app'))
            .set('Last-Event-ID', `${2n ** 64n - 1n}:${'a'.repeat(64)}`);
        expect(res.status).to.equal(200);
    });
});

describe('gateway hardening: limits', () => {
    let f: Fixture;
    afterEach(() => f.close());

    it('Given a key of 10 tokens, When it posts (weight 5) twice, Then it is out of tokens for posts and reads; another key is not', async () => {
        f = buildFixture({ script: () => ({ decision: 'DENIED', accessId: 'c'.repeat(64), reason: 'X' }), limits: { max: 10 } });
        for (let i = 0; i < 2; i++) {
            const res = await request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).send(validAccessRequest());
            expect(res.status).to.equal(201);
        }
        const post = await request(f.gw.app).post('/v1/access-requests').set(f.auth('welfare-app')).send(validAccessRequest());
        const get = await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'));
        for (const res of [post, get]) {
            expect(res.status).to.equal(429);
            expect(res.headers['content-type']).to.match(PROBLEM);
            expect(res.body.code).to.equal('RATE_LIMITED');
            expect(Number(res.headers['retry-after'])).to.be.at.least(1);
        }
        expect(f.fabric.submits).to.have.length(2);
        expect((await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('other-app'))).status).to.equal(200);
    });

    it('Given a configured weight for a route, Then one request of it may use the whole bucket', async () => {
        f = buildFixture({ limits: { max: 4, weights: { getCard: 4 } } });
        expect((await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'))).status).to.equal(200);
        expect((await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'))).status).to.equal(429);
    });

    it('Given a weight for an operation that does not exist, Then the app refuses to start', () => {
        expect(() => buildFixture({ limits: { weights: { nope: 2 } } })).to.throw(/GATEWAY_CONFIG_INVALID: .*nope/);
    });

    it('Given 3 requests without a valid key per address, Then the 4th (and /openapi.json) is 429, a valid key and /healthz still pass', async () => {
        f = buildFixture({ limits: { anonymousMax: 3 } });
        expect((await request(f.gw.app).get('/v1/cards/card-0001')).status).to.equal(401);
        expect((await request(f.gw.app).get('/v1/cards/card-0001').set('Authorization', 'Bearer ck_nope')).status).to.equal(401);
        expect((await request(f.gw.app).get('/openapi.json')).status).to.equal(200);
        for (const url of ['/v1/cards/card-0001', '/openapi.json', '/metrics', '/nowhere']) {
            const res = await request(f.gw.app).get(url);
            expect(res.status, url).to.equal(429);
            expect(res.body.code).to.equal('RATE_LIMITED');
        }
        expect((await request(f.gw.app).get('/healthz')).status).to.equal(200);
        expect((await request(f.gw.app).get('/readyz')).status).to.equal(200);
        expect((await request(f.gw.app).get('/v1/cards/card-0001').set(f.auth('welfare-app'))).status).to.equal(200);
    });

    it('Given a cap of one open stream per key, Then a second stream is 429 TOO_MANY_STREAMS until the first is closed', async () => {
        f = buildFixture({ limits: { streamsPerKey: 1 } });
        // A stream that stays open until it is closed.
        f.fabric.chaincodeEvents = async () => {
            let close: () => void = () => undefined;
            const closed = new Promise<void>((r) => {
                close = r;
            });
            return {
                close,
                [Symbol.asyncIterator]: () => ({
                    next: async () => {
                        await closed;
                        return { done: true as const, value: undefined };
                    },
                }),
            };
        };
        const server = await listen(f.gw.app, { host: '127.0.0.1', port: 0, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
        const port = (server.address() as AddressInfo).port;
        const open = (name: string) =>
            new Promise<http.IncomingMessage>((resolve, reject) =>
                http
                    .get({ host: '127.0.0.1', port, path: '/v1/cards/card-0001/access-log/stream', headers: f.auth(name) }, resolve)
                    .on('error', reject),
            );
        try {
            const first = await open('welfare-app');
            expect(first.statusCode).to.equal(200);
            const second = await open('welfare-app');
            expect(second.statusCode).to.equal(429);
            expect(JSON.parse(await text(second)).code).to.equal('TOO_MANY_STREAMS');
            const otherKey = await open('other-app');
            expect(otherKey.statusCode, 'another key has its own quota').to.equal(200);
            otherKey.destroy();
            first.destroy();
            let again: http.IncomingMessage | undefined;
            for (let i = 0; i < 200 && again?.statusCode !== 200; i++) {
                again?.destroy();
                await new Promise((r) => setTimeout(r, 20));
                again = await open('welfare-app');
            }
            expect(again?.statusCode, 'the quota is given back when a stream closes').to.equal(200);
            again?.destroy();
        } finally {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        }
    });

    describe('slow and broken clients (tiny timeouts)', () => {
        let server: http.Server;
        let port: number;
        beforeEach(async () => {
            f = buildFixture();
            server = await listen(f.gw.app, { host: '127.0.0.1', port: 0, headersTimeoutMs: 150, requestTimeoutMs: 300 });
            port = (server.address() as AddressInfo).port;
        });
        afterEach(async () => {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        });

        /** Writes `chunks` and never more; resolves with everything the server sent before it closed. */
        const rawExchange = (chunks: string[]) =>
            new Promise<string>((resolve, reject) => {
                const socket = net.connect(port, '127.0.0.1', () => {
                    for (const c of chunks) socket.write(c);
                });
                let got = '';
                socket.on('data', (d) => (got += d.toString('latin1')));
                socket.on('close', () => resolve(got));
                socket.on('error', reject);
            });

        const problemOf = (raw: string) => {
            const [head, body] = raw.split('\r\n\r\n');
            return { statusLine: head.split('\r\n')[0], head, body: JSON.parse(body) as { code: string; status: number } };
        };

        it('Given headers that never end (slowloris), Then 408 REQUEST_TIMEOUT problem and the connection is closed', async () => {
            const p = problemOf(await rawExchange(['GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n']));
            expect(p.statusLine).to.equal('HTTP/1.1 408 Request Timeout');
            expect(p.head).to.match(/Content-Type: application\/problem\+json/);
            expect(p.body).to.include({ status: 408, code: 'REQUEST_TIMEOUT' });
        });

        it('Given a body that never completes, Then 408 and nothing reaches Fabric', async () => {
            const head = `POST /v1/access-requests HTTP/1.1\r\nHost: x\r\nAuthorization: ${f.auth('welfare-app').Authorization}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n`;
            const p = problemOf(await rawExchange([head, '{"cardId":']));
            expect(p.statusLine).to.equal('HTTP/1.1 408 Request Timeout');
            expect(p.body.code).to.equal('REQUEST_TIMEOUT');
            expect(f.fabric.submits).to.have.length(0);
        });

        it('Given bytes that are not HTTP, Then 400 MALFORMED_HTTP problem', async () => {
            const p = problemOf(await rawExchange(['GET / HTTP/1.1\r\nBad Header Name\r\n\r\n']));
            expect(p.statusLine).to.equal('HTTP/1.1 400 Bad Request');
            expect(p.body.code).to.equal('MALFORMED_HTTP');
        });
    });
});

const text = (res: http.IncomingMessage) =>
    new Promise<string>((resolve) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
    });

describe('gateway hardening: token buckets', () => {
    it('refill evenly over the window and never above capacity; a refusal says when to retry', () => {
        let now = 0;
        const b = new TokenBuckets(10, 1000, () => now);
        expect(b.takeNow('a', 10)).to.equal(0);
        expect(b.takeNow('a', 1)).to.equal(1);
        now = 500;
        expect(b.takeNow('a', 5)).to.equal(0);
        expect(b.takeNow('a', 1)).to.be.greaterThan(0);
        now = 100_000;
        expect(b.takeNow('a', 10)).to.equal(0);
        expect(b.takeNow('a', 1)).to.be.greaterThan(0);
        expect(b.takeNow('b', 10), 'keys are independent').to.equal(0);
    });

    it('forget full buckets when the map reaches its size bound', () => {
        let now = 0;
        const b = new TokenBuckets(2, 1000, () => now, 3);
        for (const k of ['a', 'b', 'c']) b.takeNow(k, 1);
        now = 10_000;
        expect(b.takeNow('d', 2)).to.equal(0);
        expect(b.takeNow('a', 2), 'a was forgotten, so it is full again').to.equal(0);
    });
});
