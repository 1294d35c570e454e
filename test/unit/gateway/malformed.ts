// Malformed requests for any gateway route, as fast-check arbitraries: used against the app with
// a fake Fabric layer (unit) and against the running gateways of the devnet (end to end).
import fc from 'fast-check';

export const VALID_PARAMS: Record<string, string> = {
    cardId: 'card-0001',
    serviceId: 'svc-welfare-1',
    consentId: 'consent-0001',
    txId: 'a'.repeat(64),
    accessId: 'b'.repeat(64),
    kind: 'card',
    id: 'card-0001',
};

export type Mode =
    | { kind: 'path'; junk: string }
    | { kind: 'body-not-object'; value: unknown }
    | { kind: 'body-unknown-member'; key: string; value: unknown }
    | { kind: 'body-malformed-json'; text: string }
    | { kind: 'query'; key: string; value: string }
    | { kind: 'idempotency-key'; value: string }
    | { kind: 'auth'; value: string };

export interface Route {
    method: 'get' | 'post' | 'put' | 'delete' | 'patch';
    /** Express form: /v1/cards/:cardId */
    path: string;
    hasBody: boolean;
}

export interface MalformedRequest {
    method: Route['method'];
    url: string;
    headers: Record<string, string>;
    body?: string;
}

const jsonValue = fc.jsonValue({ maxDepth: 2 });
export const modeArb: fc.Arbitrary<Mode> = fc.oneof(
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

/** One malformed request to a route; `auth` is the valid Authorization header of an app. */
export function malformedRequest(route: Route, mode: Mode, auth: string): MalformedRequest {
    // Modes that need a body or params only apply where they make sense; otherwise an unknown query member.
    let m = mode;
    if (
        (m.kind.startsWith('body') && !route.hasBody) ||
        (m.kind === 'path' && !route.path.includes(':')) ||
        (m.kind === 'idempotency-key' && route.method === 'get')
    ) {
        m = { kind: 'query', key: 'zzunknown', value: 'x' };
    }
    const firstParam = /:([A-Za-z]+)/.exec(route.path)?.[1];
    let url = route.path.replace(/:([A-Za-z]+)/g, (_x, name: string) =>
        encodeURIComponent(m.kind === 'path' && name === firstParam ? m.junk : VALID_PARAMS[name]),
    );
    if (m.kind === 'query') url += `?${encodeURIComponent(m.key)}=${encodeURIComponent(m.value)}`;
    const headers: Record<string, string> = { Authorization: m.kind === 'auth' ? `Bearer ${m.value}` : auth };
    if (m.kind === 'idempotency-key') headers['Idempotency-Key'] = m.value;
    let body: string | undefined;
    if (route.hasBody) {
        headers['Content-Type'] = 'application/json';
        if (m.kind === 'body-not-object') body = JSON.stringify(m.value);
        else if (m.kind === 'body-unknown-member') body = JSON.stringify({ [m.key]: m.value });
        else if (m.kind === 'body-malformed-json') body = m.text;
        else body = '{}';
    }
    return { method: route.method, url, headers, body };
}
