// Malformed requests for any gateway route, as fast-check arbitraries: used against the app with
// a fake Fabric layer (unit) and against the running gateways of the devnet (end to end). Every
// mode is malformed by itself, whatever the route, so no request may succeed (no 2xx) or fail
// inside the gateway (no 5xx); the classes are those an attacker's probe found, plus raw bytes,
// raw path segments, headers and content encodings that keep finding new ones.
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { FORBIDDEN_MEMBERS } from '../../../chaincode/model';

function isJson(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}

export const VALID_PARAMS: Record<string, string> = {
    cardId: 'card-0001',
    serviceId: 'svc-welfare-1',
    consentId: 'consent-0001',
    txId: 'a'.repeat(64),
    accessId: 'b'.repeat(64),
    kind: 'card',
    id: 'card-0001',
};

export const STREAM_ROUTE_SUFFIX = '/access-log/stream';

export type Mode =
    | { kind: 'path'; junk: string }
    | { kind: 'path-escape'; raw: string }
    | { kind: 'body-not-object'; value: unknown }
    | { kind: 'body-unknown-member'; key: string; value: unknown }
    | { kind: 'body-malformed-json'; text: string }
    | { kind: 'body-deep'; depth: number; array: boolean }
    | { kind: 'body-forbidden-member'; key: string; nested: boolean }
    | { kind: 'body-signed-without-document'; member: 'document' | 'request'; value: unknown }
    | { kind: 'body-raw-bytes'; bytes: Uint8Array }
    | { kind: 'content-encoding'; encoding: string; compressed: boolean }
    | { kind: 'content-type'; value: string }
    | { kind: 'last-event-id'; value: string }
    | { kind: 'header'; name: string; value: string }
    | { kind: 'query'; key: string; value: string }
    | { kind: 'idempotency-key'; value: string }
    | { kind: 'auth'; value: string };

export interface Route {
    method: 'get' | 'post' | 'put' | 'delete' | 'patch';
    /** Express form: /v1/cards/:cardId */
    path: string;
    hasBody: boolean;
}

/** Every /v1 operation of an OpenAPI document, in Express form. */
export function routesOfOpenApi(openapi: { paths: Record<string, Record<string, unknown>> }): Route[] {
    return Object.entries(openapi.paths)
        .filter(([p]) => p.startsWith('/v1/'))
        .flatMap(([p, ops]) =>
            Object.keys(ops)
                .filter((m): m is Route['method'] => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
                .map((method) => ({ method, path: p.replace(/\{([A-Za-z]+)\}/g, ':$1'), hasBody: method !== 'get' })),
        );
}

export interface MalformedRequest {
    method: Route['method'];
    url: string;
    headers: Record<string, string>;
    body?: string | Uint8Array;
}

const printable = (maxLength: number) =>
    fc.string({ maxLength, unit: fc.constantFrom(...' !#$%&()*+,-./0123456789:;<=>?@AZaz[]^_`{|}~"\'') });
const BROKEN_ESCAPES = ['%', '%Z', '%ZZ', '%E0%A4%A', '%C0', '%ED%A0%80', '%F4%90%80%80', '%%41', '%u0041'];

/** A JSON text that is an empty object once parsed, or nothing at all: the one valid body of an EmptyBody route. */
function emptyObjectOrBlank(bytes: Uint8Array): boolean {
    const text = Buffer.from(bytes).toString('utf8');
    if (text.trim() === '') return true;
    try {
        const v = JSON.parse(text) as unknown;
        return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
    } catch {
        return false;
    }
}

const jsonValue = fc.jsonValue({ maxDepth: 2 });
export const modeArb: fc.Arbitrary<Mode> = fc.oneof(
    // '!' is in no identifier pattern, so the parameter is always invalid (a '/' may also change the route: 404).
    fc.string({ maxLength: 40 }).map((s) => ({ kind: 'path' as const, junk: `${s}!` })),
    // Raw (not re-encoded) segments that always hold a broken percent escape somewhere.
    fc
        .tuple(
            fc.stringMatching(/^[A-Za-z0-9%._~-]{0,12}$/),
            fc.constantFrom(...BROKEN_ESCAPES),
            fc.stringMatching(/^[A-Za-z0-9._~-]{0,6}$/),
        )
        .map(([a, broken, b]) => ({ kind: 'path-escape' as const, raw: `${a}${broken}${b}` })),
    fc
        .oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(jsonValue, { maxLength: 3 }))
        .map((value) => ({ kind: 'body-not-object' as const, value })),
    fc
        .tuple(
            fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !FORBIDDEN_MEMBERS.includes(k)),
            jsonValue,
        )
        .map(([key, value]) => ({ kind: 'body-unknown-member' as const, key: `zz${key}`, value })),
    fc
        .string({ maxLength: 30 })
        .map((s) => `{${s}`)
        // '{' + '}' is JSON: an empty body, which a route taking none (EmptyBody) rightly accepts.
        .filter((text) => !isJson(text))
        .map((text) => ({ kind: 'body-malformed-json' as const, text })),
    fc
        .record({ depth: fc.oneof(fc.integer({ min: 9, max: 40 }), fc.integer({ min: 1000, max: 6000 })), array: fc.boolean() })
        .map((r) => ({ kind: 'body-deep' as const, ...r })),
    fc
        .record({ key: fc.constantFrom(...FORBIDDEN_MEMBERS), nested: fc.boolean() })
        .map((r) => ({ kind: 'body-forbidden-member' as const, ...r })),
    fc
        .record({
            member: fc.constantFrom('document' as const, 'request' as const),
            value: fc.constantFrom(undefined, null, 'text', 7, [], [{}], true),
        })
        .map((r) => ({ kind: 'body-signed-without-document' as const, ...r })),
    fc
        .uint8Array({ minLength: 1, maxLength: 200 })
        .filter((b) => !emptyObjectOrBlank(b))
        .map((bytes) => ({ kind: 'body-raw-bytes' as const, bytes })),
    fc
        .record({
            encoding: fc.constantFrom('gzip', 'br', 'deflate', 'x-gzip', 'identity, gzip', 'GZIP', 'compress', 'zstd'),
            compressed: fc.boolean(),
        })
        .map((r) => ({ kind: 'content-encoding' as const, ...r })),
    fc
        .constantFrom(
            'application/json; charset=utf-16',
            'application/json; charset=latin1',
            'application/json; charset=koi8-r',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/octet-stream',
        )
        .map((value) => ({ kind: 'content-type' as const, value })),
    fc
        .oneof(
            fc.bigInt({ min: 2n ** 64n, max: 10n ** 20n - 1n }).map((n) => `${n}:${'a'.repeat(64)}`),
            fc.bigInt({ min: 10n ** 20n, max: 10n ** 40n }).map((n) => `${n}:${'a'.repeat(64)}`),
            printable(80).map((s) => `${s}!`),
            fc.nat().map((n) => `${n}:${'A'.repeat(64)}`),
            fc.nat().map((n) => `-${n}:${'a'.repeat(64)}`),
        )
        .map((value) => ({ kind: 'last-event-id' as const, value })),
    fc
        .record({
            name: fc.constantFrom('Accept', 'Accept-Encoding', 'Range', 'If-None-Match', 'X-Forwarded-For', 'X-Request-Id', 'Origin'),
            value: printable(60),
        })
        .map((r) => ({ kind: 'header' as const, ...r })),
    fc
        .tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 20 }))
        .map(([k, v]) => ({ kind: 'query' as const, key: `zz${k}`, value: v })),
    fc.string({ maxLength: 20 }).map((s) => ({ kind: 'idempotency-key' as const, value: `bad key ${s}` })),
    fc
        .string({ maxLength: 60 })
        .filter((s) => /^[\x20-\x7e]*$/.test(s))
        .map((s) => ({ kind: 'auth' as const, value: `ck_${s}` })),
);

const nest = (depth: number, array: boolean) =>
    array ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** One malformed request to a route; `auth` is the valid Authorization header of an app. */
export function malformedRequest(route: Route, mode: Mode, auth: string): MalformedRequest {
    // Modes that need a body or params only apply where they make sense; otherwise an unknown query member.
    let m = mode;
    const bodyMode = m.kind.startsWith('body') || m.kind === 'content-encoding' || m.kind === 'content-type';
    if (
        (bodyMode && !route.hasBody) ||
        ((m.kind === 'path' || m.kind === 'path-escape') && !route.path.includes(':')) ||
        (m.kind === 'idempotency-key' && route.method === 'get') ||
        (m.kind === 'last-event-id' && !route.path.endsWith(STREAM_ROUTE_SUFFIX))
    ) {
        m = { kind: 'query', key: 'zzunknown', value: 'x' };
    }
    const firstParam = /:([A-Za-z]+)/.exec(route.path)?.[1];
    let url = route.path.replace(/:([A-Za-z]+)/g, (_x, name: string) => {
        if (name !== firstParam) return encodeURIComponent(VALID_PARAMS[name]);
        if (m.kind === 'path') return encodeURIComponent(m.junk);
        if (m.kind === 'path-escape') return m.raw;
        return encodeURIComponent(VALID_PARAMS[name]);
    });
    // A header alone is not malformed: it rides on a request that is (an unknown query member).
    if (m.kind === 'query' || m.kind === 'header') {
        const [key, value] = m.kind === 'query' ? [m.key, m.value] : ['zzheader', 'x'];
        url += `?${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
    }
    const headers: Record<string, string> = { Authorization: m.kind === 'auth' ? `Bearer ${m.value}` : auth };
    if (m.kind === 'idempotency-key') headers['Idempotency-Key'] = m.value;
    if (m.kind === 'last-event-id') headers['Last-Event-ID'] = m.value;
    if (m.kind === 'header') headers[m.name] = m.value;
    let body: string | Uint8Array | undefined;
    if (route.hasBody) {
        headers['Content-Type'] = 'application/json';
        switch (m.kind) {
            case 'body-not-object':
                body = JSON.stringify(m.value);
                break;
            case 'body-unknown-member':
                body = JSON.stringify({ [m.key]: m.value });
                break;
            case 'body-malformed-json':
                body = m.text;
                break;
            case 'body-deep':
                body = `{"items":${nest(m.depth, m.array)}}`;
                break;
            case 'body-forbidden-member':
                body = m.nested ? `{"document":{"${m.key}":{"role":"issuer"}}}` : `{"${m.key}":{"role":"issuer"}}`;
                break;
            case 'body-signed-without-document':
                body = JSON.stringify({ signature: 'MEUCIQDu7kR0bWFsZm9ybWVk', [m.member]: m.value });
                break;
            case 'body-raw-bytes':
                body = m.bytes;
                break;
            case 'content-encoding':
                headers['Content-Encoding'] = m.encoding;
                body = m.compressed ? zlib.gzipSync('{}') : '{}';
                break;
            case 'content-type':
                headers['Content-Type'] = m.value;
                body = '{}';
                break;
            default:
                body = '{}';
        }
    }
    return { method: route.method, url, headers, body };
}
