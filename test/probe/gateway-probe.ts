// A probe of the running gateways, as an attacker and a careless client would (not a test): every
// class of malformed request the hardening issue lists on every route of each gateway's OpenAPI
// document, generated malformed requests (raw bytes, path segments, headers, content encodings),
// authentication and role probes, slow clients, and requests without a key until the per-address
// limit answers. Counts what it sent and every status class it got; fails on any 5xx, on any 2xx
// to a malformed request, on a slow client that is not cut off, or when a peer's ledger moved.
// Loopback only, bounded in count and time.
//
// Run: npm run build && E2E_PORT_SHIFT=12020 node dist/test/probe/gateway-probe.js [--requests 600] [--seed 1]
//      (brings up the shifted test devnet and stops it; --topology FILE probes a running network instead)
import * as net from 'node:net';
import fc from 'fast-check';
import { DeviceKey } from '../../gateway/citizen/device';
import { cardIssueBody, ensureApp, type GatewayClient } from '../../scripts/demo';
import { DEFAULT_LIMITS } from '../../gateway/http/limits';
import { gatewayOf, loadTopology, type Topology } from '../../network/client/topology';
import { closeConnections, peerChainInfo } from '../e2e/helpers';
import { runOnTestNetwork, testNetwork } from '../e2e/network';
import {
    malformedRequest,
    type MalformedRequest,
    modeArb,
    type Route,
    routesOfOpenApi,
    STREAM_ROUTE_SUFFIX,
    VALID_PARAMS,
} from '../unit/gateway/malformed';

const USAGE = `usage: node dist/test/probe/gateway-probe.js [--requests N] [--seed S] [--concurrency C] [--topology FILE]
  --requests N     generated malformed requests per gateway (default 600, at most 20000)
  --seed S         fast-check seed of the generated requests (default 1): a run is repeatable
  --concurrency C  requests in flight per gateway (default 8)
  --topology FILE  probe a running network (every gateway on 127.0.0.1); default: the test devnet
                   of E2E_PORT_SHIFT (default +11200), brought up and stopped by the probe
Exit code 0: no 5xx, no 2xx to a malformed request, slow clients cut off, no ledger moved.`;

function flag(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const v = process.argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value\n${USAGE}`);
    return v;
}
const progress = (s: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface Tally {
    sent: number;
    byStatus: Map<number, number>;
    failures: string[];
}
const tallies = new Map<string, Tally>();
function tally(cls: string): Tally {
    const known = tallies.get(cls);
    if (known) return known;
    const fresh: Tally = { sent: 0, byStatus: new Map(), failures: [] };
    tallies.set(cls, fresh);
    return fresh;
}

/** One request; `expect` says which statuses are right for this class (default: any 4xx problem). */
async function send(
    base: string,
    cls: string,
    m: MalformedRequest,
    expect: (status: number) => boolean = (s) => s >= 400 && s < 500,
): Promise<void> {
    const t = tally(cls);
    t.sent++;
    let status = 0;
    let detail = '';
    try {
        const res = await fetch(base + m.url, {
            method: m.method.toUpperCase(),
            headers: m.headers,
            body: m.body,
            signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        const text = await res.text();
        if (status >= 400 && !/application\/problem\+json/.test(res.headers.get('content-type') ?? '')) detail = 'not a problem document';
        if (!detail && status >= 400 && typeof (JSON.parse(text) as { code?: unknown }).code !== 'string') detail = 'no code';
        if (status >= 500) detail = text.slice(0, 200);
    } catch (err) {
        detail = `no answer: ${(err as Error).message}`;
    }
    t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1);
    if (!expect(status) || detail) t.failures.push(`${m.method.toUpperCase()} ${m.url} -> ${status} ${detail}`.slice(0, 300));
}

/** Runs the tasks with at most `n` in flight. */
async function pool(tasks: (() => Promise<void>)[], n: number): Promise<void> {
    let next = 0;
    await Promise.all(
        Array.from({ length: Math.min(n, tasks.length) }, async () => {
            while (next < tasks.length) await tasks[next++]();
        }),
    );
}

const fill = (route: Route, raw: Record<string, string> = {}) =>
    route.path.replace(/:([A-Za-z]+)/g, (_x, name: string) => raw[name] ?? encodeURIComponent(VALID_PARAMS[name]));

/** The hardening issue's list, on every route of one gateway. */
function issueClasses(routes: Route[], auth: string): { cls: string; m: MalformedRequest }[] {
    const out: { cls: string; m: MalformedRequest }[] = [];
    const json = { Authorization: auth, 'Content-Type': 'application/json' };
    for (const r of routes) {
        const first = /:([A-Za-z]+)/.exec(r.path)?.[1];
        const body = r.hasBody ? '{}' : undefined;
        const headers = r.hasBody ? json : { Authorization: auth };
        if (first) {
            for (const bad of ['%E0%A4%A', '%', '%ZZ', 'card-0001%', '%C0%AF'])
                out.push({ cls: 'broken percent escape', m: { method: r.method, url: fill(r, { [first]: bad }), headers, body } });
        }
        if (r.hasBody) {
            const url = fill(r);
            for (const depth of [3000, 20]) {
                out.push({
                    cls: 'deep JSON',
                    m: { method: r.method, url, headers: json, body: `{"items":${'['.repeat(depth)}${']'.repeat(depth)}}` },
                });
            }
            out.push({
                cls: 'huge member count',
                m: { method: r.method, url, headers: json, body: JSON.stringify({ items: new Array(3000).fill(0) }) },
            });
            for (const encoding of ['gzip', 'br', 'deflate', 'zstd'])
                out.push({
                    cls: 'content encoding',
                    m: { method: r.method, url, headers: { ...json, 'Content-Encoding': encoding }, body: '{"cardId":"card-0001"}' },
                });
            for (const member of ['document', 'request'])
                out.push({
                    cls: 'signed document missing',
                    m: {
                        method: r.method,
                        url,
                        headers: json,
                        body: JSON.stringify({ signature: 'MEUCIQDu7kR0bWFsZm9ybWVk', [member]: undefined }),
                    },
                });
            for (const key of ['__proto__', 'constructor', 'prototype'])
                out.push({
                    cls: 'prototype member',
                    m: { method: r.method, url, headers: json, body: `{"${key}":{"role":"issuer"},"cardId":"card-0001"}` },
                });
        }
        if (r.path.endsWith(STREAM_ROUTE_SUFFIX)) {
            for (const position of [2n ** 64n, 10n ** 20n - 1n, 10n ** 30n])
                out.push({
                    cls: 'SSE position beyond uint64',
                    m: { method: 'get', url: fill(r), headers: { Authorization: auth, 'Last-Event-ID': `${position}:${'a'.repeat(64)}` } },
                });
        }
    }
    // A valid access request with an extra __proto__: refused like any unknown member, never committed.
    const valid = { cardId: 'card-0001', serviceId: 'svc-welfare-1', purpose: 'p', items: ['name'], predicates: [] };
    out.push({
        cls: 'prototype member',
        m: {
            method: 'post',
            url: '/v1/access-requests',
            headers: json,
            body: JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"role":"issuer"},'),
        },
    });
    return out;
}

/** Sockets that send their request a byte at a time: each must be cut off with a 408 problem. */
async function slowClients(host: string, port: number, auth: string): Promise<void> {
    const t = tally('slow client');
    const byteGapMs = 1_000;
    const one = (head: string, slowPart: string) =>
        new Promise<void>((resolve) => {
            t.sent++;
            let got = '';
            let i = 0;
            const socket = net.connect(port, host, () => socket.write(head));
            const drip = setInterval(() => {
                if (i < slowPart.length && socket.writable) socket.write(slowPart[i++]);
            }, byteGapMs);
            // Bounded: the gateway's request timeout (30 s by default) plus a margin.
            const giveUp = setTimeout(() => socket.destroy(), 45_000);
            socket.on('data', (d) => (got += d.toString('latin1')));
            socket.on('close', () => {
                clearInterval(drip);
                clearTimeout(giveUp);
                const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0);
                t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1);
                if (status !== 408 || !/application\/problem\+json/.test(got))
                    t.failures.push(`slow ${head.split(' ')[0]} -> ${status || 'not cut off'}`);
                resolve();
            });
            socket.on('error', () => undefined);
        });
    await Promise.all([
        one('GET /v1/cards/card-0001 HTTP/1.1\r\nHost: probe\r\n', `X-Slow: ${'x'.repeat(100)}\r\n\r\n`),
        one(
            `POST /v1/access-requests HTTP/1.1\r\nHost: probe\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`,
            `{"cardId":"${'c'.repeat(180)}"}`,
        ),
    ]);
}

async function main(): Promise<void> {
    if (process.argv.includes('--help') || process.argv.includes('-h')) {
        console.log(USAGE);
        return;
    }
    const perGateway = Number(flag('requests', '600'));
    const seed = Number(flag('seed', '1'));
    const concurrency = Number(flag('concurrency', '8'));
    if (![perGateway, concurrency].every((n) => Number.isInteger(n) && n > 0) || perGateway > 20_000 || !Number.isInteger(seed)) {
        throw new Error(`PROBE_ARGS_INVALID: --requests 1..20000, --concurrency > 0, --seed an integer\n${USAGE}`);
    }
    const topologyFile = process.argv.includes('--topology') ? flag('topology', '') : undefined;
    progress(topologyFile ? `probing the network of ${topologyFile}` : 'bringing up the test devnet');
    const t: Topology = topologyFile ? loadTopology(topologyFile) : (await testNetwork()).topology;
    for (const o of t.orgs) {
        const g = gatewayOf(o);
        if (g.host !== '127.0.0.1' && g.host !== 'localhost') throw new Error(`PROBE_NOT_LOOPBACK: ${o.mspId}'s gateway is on ${g.host}`);
    }
    const started = Date.now();
    progress('provisioning one app per gateway');
    const apps = new Map<string, GatewayClient>([
        ['SeoulMSP', await ensureApp(t, 'SeoulMSP', 'probe-issuer', { identity: 'issuer1', role: 'issuer' })],
        ['MOISMSP', await ensureApp(t, 'MOISMSP', 'probe-service-admin', { identity: 'service-admin1', role: 'service-admin' })],
        ['MOHWMSP', await ensureApp(t, 'MOHWMSP', 'probe-welfare', { role: 'department', dept: 'welfare' })],
        ['AuditMSP', await ensureApp(t, 'AuditMSP', 'probe-auditor', { identity: 'auditor1', role: 'auditor' })],
    ]);
    const pension = await ensureApp(t, 'MOHWMSP', 'probe-pension', { role: 'department', dept: 'pension' });
    const heights = async () => Promise.all(t.orgs.map(async (o) => (await peerChainInfo(t, o.mspId)).height));
    const before = await heights();
    progress(`peer heights before: ${before.join(', ')}`);

    for (const org of t.orgs) {
        const base = `http://${gatewayOf(org).host}:${gatewayOf(org).port}`;
        const auth = `Bearer ${apps.get(org.mspId)?.apiKey}`;
        const routes = routesOfOpenApi(
            (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> },
        );
        const listed = issueClasses(routes, auth);
        const generated = fc.sample(fc.tuple(fc.constantFrom(...routes), modeArb), {
            numRuns: perGateway,
            seed: seed + t.orgs.indexOf(org),
        });
        progress(`${org.mspId}: ${routes.length} routes, ${listed.length} listed and ${generated.length} generated malformed requests`);
        await pool(
            [
                ...listed.map(
                    ({ cls, m }) =>
                        () =>
                            send(base, cls, m),
                ),
                ...generated.map(
                    ([route, mode]) =>
                        () =>
                            send(base, `generated: ${mode.kind}`, malformedRequest(route, mode, auth)),
                ),
            ],
            concurrency,
        );
    }

    progress('authentication and role probes');
    const mohw = t.orgs.find((o) => o.mspId === 'MOHWMSP');
    const seoul = t.orgs.find((o) => o.mspId === 'SeoulMSP');
    if (!mohw || !seoul) throw new Error('PROBE_TOPOLOGY: MOHWMSP and SeoulMSP are needed');
    const mohwBase = `http://${gatewayOf(mohw).host}:${gatewayOf(mohw).port}`;
    const welfareKey = `Bearer ${apps.get('MOHWMSP')?.apiKey}`;
    const pensionKey = `Bearer ${pension.apiKey}`;
    const json = { 'Content-Type': 'application/json' };
    const refusals: { cls: string; base: string; m: MalformedRequest; statuses: number[] }[] = [
        // Another org's valid key, a revoked-looking key, keys in the wrong places.
        {
            cls: 'auth: key of another org',
            base: `http://${gatewayOf(seoul).host}:${gatewayOf(seoul).port}`,
            m: { method: 'get', url: '/v1/cards/card-0001', headers: { Authorization: welfareKey } },
            statuses: [401],
        },
        {
            cls: 'auth: malformed key',
            base: mohwBase,
            m: { method: 'get', url: '/v1/cards/card-0001', headers: { Authorization: 'Bearer ck_0000000000000000_' + 'A'.repeat(43) } },
            statuses: [401],
        },
        {
            cls: 'auth: key in the query',
            base: mohwBase,
            m: { method: 'get', url: `/v1/cards/card-0001?apiKey=${encodeURIComponent(welfareKey.slice(7))}`, headers: {} },
            statuses: [401],
        },
        // Purpose limitation: a department reads its own department's entries only.
        ...['welfare', 'nothing'].map((dept) => ({
            cls: 'role: another department',
            base: mohwBase,
            m: {
                method: 'get' as const,
                url: `/v1/audit/access?mspId=MOHWMSP&dept=${dept}&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z`,
                headers: { Authorization: pensionKey },
            },
            statuses: [403],
        })),
        {
            cls: 'role: the whole org',
            base: mohwBase,
            m: {
                method: 'get',
                url: '/v1/audit/access?mspId=MOHWMSP&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z',
                headers: { Authorization: pensionKey },
            },
            statuses: [403],
        },
        {
            cls: 'role: another org',
            base: mohwBase,
            m: {
                method: 'get',
                url: '/v1/audit/access?mspId=SeoulMSP&dept=x&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z',
                headers: { Authorization: welfareKey },
            },
            statuses: [403],
        },
        {
            cls: 'role: auditor-only reads',
            base: mohwBase,
            m: { method: 'get', url: '/v1/cards/card-0001/access-log', headers: { Authorization: welfareKey } },
            statuses: [403],
        },
        {
            cls: 'role: auditor-only reads',
            base: mohwBase,
            m: { method: 'get', url: '/v1/audit/history/card/card-0001', headers: { Authorization: welfareKey } },
            statuses: [403],
        },
        {
            cls: 'role: issue a card as a department',
            base: mohwBase,
            m: {
                method: 'post',
                url: '/v1/cards',
                headers: { Authorization: welfareKey, ...json },
                body: JSON.stringify(cardIssueBody(`card-probe-${Date.now().toString(36)}`, DeviceKey.generate().publicKeyBase64())),
            },
            statuses: [403],
        },
    ];
    await pool(
        refusals.map((r) => () => send(r.base, r.cls, r.m, (s) => r.statuses.includes(s))),
        concurrency,
    );

    progress('slow clients (cut off after the request timeout, 30 s by default) and requests without a key until 429');
    const audit = t.orgs.find((o) => o.mspId === 'AuditMSP') ?? t.orgs[0];
    const auditBase = `http://${gatewayOf(audit).host}:${gatewayOf(audit).port}`;
    const anonymous = Array.from(
        { length: DEFAULT_LIMITS.anonymousMax + 20 },
        () => () =>
            send(
                auditBase,
                'no key until the per-address limit',
                { method: 'get', url: '/v1/cards/card-0001', headers: {} },
                (s) => s === 401 || s === 429,
            ),
    );
    await Promise.all([slowClients(gatewayOf(mohw).host, gatewayOf(mohw).port, welfareKey), pool(anonymous, concurrency)]);
    const noKey = tally('no key until the per-address limit');
    if (!noKey.byStatus.get(429))
        noKey.failures.push(`no 429 after ${noKey.sent} requests without a key (is GATEWAY_ANONYMOUS_RATE_MAX raised?)`);

    // Longer than a batch timeout: a block cut from these requests would have reached every peer.
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await heights();
    progress(`peer heights after: ${after.join(', ')}`);

    let sent = 0;
    let fivexx = 0;
    let twoxx = 0;
    const failures: string[] = [];
    console.log(`\n${'class'.padEnd(44)} ${'sent'.padStart(6)}  statuses`);
    for (const [cls, t] of [...tallies.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        sent += t.sent;
        const statuses = [...t.byStatus.entries()].sort(([a], [b]) => a - b);
        for (const [s, n] of statuses) {
            if (s >= 500) fivexx += n;
            if (s >= 200 && s < 300) twoxx += n;
        }
        console.log(`${cls.padEnd(44)} ${String(t.sent).padStart(6)}  ${statuses.map(([s, n]) => `${s || 'none'}:${n}`).join(' ')}`);
        failures.push(...t.failures.map((f) => `${cls}: ${f}`));
    }
    const moved = after.some((h, i) => h !== before[i]);
    console.log(
        `\nsent ${sent} requests to ${t.orgs.length} gateways in ${((Date.now() - started) / 1000).toFixed(0)} s: ${fivexx} answered 5xx, ${twoxx} answered 2xx; ledger ${moved ? `MOVED ${before.join(',')} -> ${after.join(',')}` : `unchanged at ${after.join(', ')}`}`,
    );
    for (const f of failures.slice(0, 40)) console.log(`  FAIL ${f}`);
    if (failures.length > 40) console.log(`  ... and ${failures.length - 40} more`);
    closeConnections();
    if (fivexx || failures.length || moved)
        throw new Error(`PROBE_FAILED: ${fivexx} 5xx, ${failures.length} unexpected answers${moved ? ', the ledger moved' : ''}`);
}

runOnTestNetwork(main);
