// The OpenAPI 3.0.3 document of one gateway, generated from the declarations the gateway runs:
// the /v1 routes (routes.ts) with their DTOs and answer classes, the access-log stream (sse.ts),
// the web UIs' session routes (web.ts) and the operations routes (ops.ts). Schemas come from the
// same class-validator decorators the gateway validates with (schemas.ts); the statuses and codes
// of each operation from what it is (statuses.ts). So the document cannot drift from the gateway.
//
// OpenAPI 3.0.3 rather than 3.1: what clients and fuzzers generate requests from (bodies, queries,
// paths, headers) needs nothing 3.0 lacks; class-validator-jsonschema emits the 3.0 dialect
// (nullable); and 3.0 tooling is the widest (Swagger UI, Schemathesis, ajv 6 in the tests). The
// one loss is the key pattern of three answer maps, stated in `x-key-pattern` instead.
import 'reflect-metadata';
import type { ClassConstructor } from 'class-transformer';
import { AUDITOR_MSP, ISSUER_MSP } from '../../chaincode/model/vocabulary';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency/store';
import { Problem } from './answers';
import { EmptyBody } from './dto';
import { OPS_ROUTES, type OpsRouteSpec } from './ops';
import type { RouteSpec } from './route';
import { classSchemas, reachableSchemas, type Schema, schemaRef } from './schemas';
import { LAST_EVENT_ID, STREAM_ROUTE } from './sse';
import type { Problems } from './route';
import { type Operation, problemsOf } from './statuses';
import { SESSION_COOKIE, SESSION_ROUTES, type SessionRouteSpec, UI_OPERATIONS, type WebUi, webUisOf } from './web';

const STATUS_TEXT: Record<number, string> = {
    400: 'invalid request (failing fields in `errors`)',
    401: 'missing or invalid credentials',
    403: 'refused by a role, ownership or origin rule',
    404: 'not found',
    408: 'the request did not arrive in time',
    409: 'state conflict, or a request with this Idempotency-Key is in progress',
    410: 'gone (e.g. the grant to read data expired)',
    413: 'body too large',
    415: 'body is not uncompressed UTF-8 application/json',
    422: 'refused by a ledger rule, or Idempotency-Key reused with another body',
    429: 'rate limit exceeded, or too many open streams; retry after Retry-After seconds',
    431: 'request line or headers too large (answered by the HTTP server: no `instance`)',
    502: 'the ledger failed for a reason that is not a chaincode rule',
    503: 'the ledger is unreachable, or the gateway is stopping; retry after Retry-After seconds',
    504: 'the transaction outcome is unknown; retry with the same Idempotency-Key',
};

/** Statuses whose answers may carry Retry-After. */
const RETRY_AFTER = new Set([409, 429, 503, 504]);

const PARAMETERS: Record<string, Schema> = {
    IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
            'Same key + same body: the first answer, never a second transaction (also after a restart). Same key + another body: 422. ' +
            'Scoped to the app, kept 24 h.',
        schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
    },
    RequestId: {
        name: 'X-Request-Id',
        in: 'header',
        required: false,
        description:
            'Echoed in the X-Request-Id answer header, the problem document and the gateway log when it matches ^[A-Za-z0-9_.:-]{8,128}$; any other value is replaced by a new id (never refused).',
        schema: { type: 'string' },
    },
    LastEventId: {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description: 'Resume right after this event: `<block>:<transaction id>` of the last event received (the block a uint64).',
        schema: { type: 'string', pattern: LAST_EVENT_ID.source },
    },
};

const HEADERS: Record<string, Schema> = {
    RequestId: { description: 'the request id (also in problem documents and the log)', schema: { type: 'string' } },
    RetryAfter: { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
    IdempotentReplayed: {
        description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key',
        schema: { type: 'string', enum: ['true'] },
    },
    WwwAuthenticate: { description: 'Bearer realm="citizencards"', schema: { type: 'string' } },
};

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
const paramRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

function problemResponse(status: number, codes: string[]): Schema {
    return {
        description: `${STATUS_TEXT[status] ?? 'error'} (code ${codes.join(', ')})`,
        headers: {
            'X-Request-Id': headerRef('RequestId'),
            ...(RETRY_AFTER.has(status) ? { 'Retry-After': headerRef('RetryAfter') } : {}),
            ...(status === 401 ? { 'WWW-Authenticate': headerRef('WwwAuthenticate') } : {}),
        },
        content: { 'application/problem+json': { schema: schemaRef(Problem) } },
        'x-problem-codes': codes,
    };
}

function responses(success: Schema & { status: number }, problems: Problems): Schema {
    const { status, ...answer } = success;
    const out: Schema = { [String(status)]: answer };
    for (const [s, codes] of Object.entries(problems)) out[s] = problemResponse(Number(s), codes);
    return out;
}

function jsonAnswer(description: string, answer: ClassConstructor<object>, used: Set<string>, extraHeaders: Schema = {}): Schema {
    used.add(answer.name);
    return {
        description,
        headers: { 'X-Request-Id': headerRef('RequestId'), ...extraHeaders },
        content: { 'application/json': { schema: schemaRef(answer) } },
    };
}

/** A class's schema, or its nearest ancestor's (a subclass that adds no member has none of its own). */
function schemaOfClass(all: Record<string, Schema>, cls: ClassConstructor<object>): Schema {
    for (let c: unknown = cls; typeof c === 'function' && c.name; c = Object.getPrototypeOf(c)) {
        const s = all[(c as { name: string }).name];
        if (s) return s;
    }
    return { properties: {}, required: [] };
}

/** The path or query parameters of a DTO; query members' initial values are their defaults. */
function parametersOf(all: Record<string, Schema>, cls: ClassConstructor<object>, where: 'path' | 'query'): Schema[] {
    const s = schemaOfClass(all, cls);
    const defaults = new cls() as Record<string, unknown>;
    return Object.entries((s.properties ?? {}) as Record<string, Schema>).map(([name, schema]) => ({
        name,
        in: where,
        required: where === 'path' || ((s.required ?? []) as string[]).includes(name),
        schema: defaults[name] === undefined ? schema : { ...schema, default: defaults[name] },
    }));
}

const hasBookmark = (all: Record<string, Schema>, classes: (ClassConstructor<object> | undefined)[]) =>
    classes.some((c) => c && 'bookmark' in (schemaOfClass(all, c).properties ?? {}));

/** What a /v1 route is, for its statuses. */
function v1Traits(r: RouteSpec, all: Record<string, Schema>, ui?: WebUi): Operation {
    const bodyClasses = r.bodyAlternatives?.classes ?? (r.body ? [r.body] : []);
    return {
        kind: 'v1',
        ui,
        pathParams: Boolean(r.params),
        query: Boolean(r.query),
        body: r.method === 'get' ? undefined : bodyClasses.some((c) => c !== EmptyBody) ? 'dto' : 'empty',
        idempotent: r.method !== 'get',
        paged: hasBookmark(all, [r.query, ...bodyClasses]),
        ledger: true,
        submits: r.ledger.submits,
        evaluates: r.ledger.evaluates,
        readsForAnswer: r.ledger.readsForAnswer,
        own: r.problems,
    };
}

/** The operation of one /v1 route, called with an API key or, under /{ui}/api, with a UI's session. */
function routeOperation(r: RouteSpec, all: Record<string, Schema>, used: Set<string>, ui?: WebUi): Schema {
    const parameters: Schema[] = [
        ...(r.params ? parametersOf(all, r.params, 'path') : []),
        ...(r.query ? parametersOf(all, r.query, 'query') : []),
        ...(r.method === 'get' ? [] : [paramRef('IdempotencyKey')]),
        paramRef('RequestId'),
    ];
    const op: Schema = {
        operationId: ui ? `${ui}${r.operationId[0]?.toUpperCase()}${r.operationId.slice(1)}` : r.operationId,
        summary: r.summary,
        description: [r.description, `Callers: ${r.callers}.`].filter(Boolean).join('\n\n'),
        tags: ui ? [ui] : r.tags.slice(-1),
        ...(ui ? { security: [{ [`${ui}Session`]: [] }] } : {}),
        parameters,
        responses: responses(
            {
                status: r.success.status,
                ...jsonAnswer(
                    r.success.description,
                    r.success.answer,
                    used,
                    r.method === 'get' ? {} : { 'Idempotent-Replayed': headerRef('IdempotentReplayed') },
                ),
            },
            problemsOf(v1Traits(r, all, ui)),
        ),
    };
    const bodyClasses = r.bodyAlternatives?.classes ?? (r.body ? [r.body] : []);
    if (r.method !== 'get') {
        const classes = bodyClasses.length ? bodyClasses : [EmptyBody];
        for (const c of classes) used.add(c.name);
        const refs = classes.map((c) => schemaRef(c));
        op.requestBody = {
            // A route without members to send takes no body at all, or {}.
            required: !classes.every((c) => c === EmptyBody),
            content: { 'application/json': { schema: refs.length === 1 ? refs[0] : { oneOf: refs } } },
        };
    }
    return op;
}

/** The access-log stream (sse.ts), with an API key or under /tracker/api with the tracker's session. */
function streamOperation(all: Record<string, Schema>, ui?: WebUi): Schema {
    const s = STREAM_ROUTE;
    const traits: Operation = {
        kind: 'v1',
        ui,
        pathParams: true,
        query: true,
        stream: true,
        ledger: true,
        evaluates: s.evaluates,
        // The signed request in `request` is decoded and validated as a body is.
        own: { 400: ['JSON_TOO_DEEP', 'JSON_TOO_MANY_MEMBERS'] },
    };
    return {
        operationId: ui ? `${ui}${s.operationId[0]?.toUpperCase()}${s.operationId.slice(1)}` : s.operationId,
        summary: s.summary,
        description: s.description,
        tags: ui ? [ui] : ['access'],
        ...(ui ? { security: [{ [`${ui}Session`]: [] }] } : {}),
        parameters: [
            ...parametersOf(all, s.params, 'path'),
            ...parametersOf(all, s.query, 'query'),
            paramRef('LastEventId'),
            paramRef('RequestId'),
        ],
        responses: responses(
            {
                status: 200,
                description: 'an event stream (events `access`, `: keep-alive` comments)',
                headers: { 'X-Request-Id': headerRef('RequestId') },
                content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            problemsOf(traits),
        ),
    };
}

/** The operation of one session-API route (web.ts), with its cookie and its problem codes. */
function sessionOperation(s: SessionRouteSpec, used: Set<string>): Schema {
    const op: Schema = {
        operationId: s.operationId,
        summary: s.summary,
        description: s.description,
        tags: [s.ui],
        // Signing in needs no credential; reading or ending a session uses the cookie when there is one.
        security: s.session === 'none' ? [] : [{}, { [`${s.ui}Session`]: [] }],
        parameters: [paramRef('RequestId')],
        responses: responses(
            s.answer
                ? { status: s.success.status, ...jsonAnswer(s.success.description, s.answer, used) }
                : { status: s.success.status, description: s.success.description, headers: { 'X-Request-Id': headerRef('RequestId') } },
            problemsOf({
                kind: 'session',
                ui: s.ui,
                body: s.body ? 'dto' : undefined,
                ledger: Boolean(s.evaluates?.length),
                evaluates: s.evaluates,
                own: s.errors,
            }),
        ),
    };
    if (s.body) {
        used.add(s.body.name);
        op.requestBody = { required: true, content: { 'application/json': { schema: schemaRef(s.body) } } };
    }
    return op;
}

/** A probe, the front page or this document (ops.ts): no credentials. */
function opsOperation(o: OpsRouteSpec, all: Record<string, Schema>, used: Set<string>): Schema {
    const success =
        o.answer === 'text/plain'
            ? {
                  status: 200,
                  description: 'the metrics',
                  headers: { 'X-Request-Id': headerRef('RequestId') },
                  content: { 'text/plain': { schema: { type: 'string' } } },
              }
            : { status: 200, ...jsonAnswer(o.summary, o.answer, used) };
    return {
        operationId: o.operationId,
        summary: o.summary,
        tags: [o.evaluates?.length ? 'public' : 'operations'],
        security: [],
        parameters: [...(o.query ? parametersOf(all, o.query, 'query') : []), paramRef('RequestId')],
        responses: responses(
            success,
            problemsOf({
                kind: 'ops',
                unlimited: o.unlimited,
                query: Boolean(o.query),
                ledger: Boolean(o.evaluates?.length),
                evaluates: o.evaluates,
                own: o.errors,
            }),
        ),
    };
}

/** True if an app of this org may call the route (the chaincode's grants), or no org is named. */
function offeredTo(r: RouteSpec, mspId?: string): boolean {
    return !mspId || !r.grants || r.grants.some((g) => g.mspId === undefined || g.mspId === mspId);
}

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z]+)/g, '{$1}');

/**
 * The OpenAPI document of one org's gateway (or of every route, without `mspId`): only the routes
 * its apps may call, one tag each (the last, most specific, of the route's tags), and only the
 * schemas of its requests and answers; then the web UIs' session APIs (`webUis`, default both),
 * their sign-in routes and the /v1 routes each session may call under /{ui}/api; and the probes.
 */
export function buildOpenApi(routes: RouteSpec[], info: { mspId?: string; version: string; webUis?: WebUi[] }): Schema {
    const all = classSchemas();
    const used = new Set<string>([Problem.name]);
    const paths: Record<string, Record<string, Schema>> = {};
    const add = (path: string, method: string, op: Schema) => {
        paths[toOpenApiPath(path)] ??= {};
        (paths[toOpenApiPath(path)] as Record<string, Schema>)[method] = op;
    };
    const offered = routes.filter((route) => offeredTo(route, info.mspId));
    for (const r of offered) add(r.path, r.method, routeOperation(r, all, used));
    // Citizens (through Seoul's citizen app) and auditors follow a card's access log.
    const streamOffered = !info.mspId || ([ISSUER_MSP, AUDITOR_MSP] as string[]).includes(info.mspId);
    if (streamOffered) add(STREAM_ROUTE.path, 'get', streamOperation(all));
    const webUis = info.webUis ?? webUisOf(true);
    for (const s of SESSION_ROUTES.filter((x) => webUis.includes(x.ui))) add(`/${s.ui}/api${s.path}`, s.method, sessionOperation(s, used));
    for (const ui of webUis) {
        for (const r of offered.filter((x) => UI_OPERATIONS[ui].includes(x.operationId)))
            add(`/${ui}/api${r.path}`, r.method, routeOperation(r, all, used, ui));
        if (ui === 'tracker' && streamOffered) add(`/tracker/api${STREAM_ROUTE.path}`, 'get', streamOperation(all, ui));
    }
    for (const o of OPS_ROUTES) add(o.path, 'get', opsOperation(o, all, used));
    return {
        openapi: '3.0.3',
        info: {
            title: `Seoul citizen-card gateway (${info.mspId ?? 'every org'})`,
            version: info.version,
            description:
                "REST gateway of one org to the citizen-card ledger (Hyperledger Fabric). Authenticate with the app's API key " +
                "(Authorization: Bearer or X-API-Key) or a client certificate of the org's CA (mutual TLS, when the gateway serves HTTPS). " +
                'Errors are application/problem+json (RFC 9457) with a stable `code`; each response lists its codes in `x-problem-codes`. ' +
                'Every status an operation answers is listed, but for 500 INTERNAL: a fault of the gateway, never the answer to a request, ' +
                'whatever its content (report it with its requestId). ' +
                'Objects have no members besides those listed: unknown members are refused in requests and absent from answers. ' +
                '`x-key-pattern` gives the keys of an object used as a map (OpenAPI 3.0 cannot). ' +
                'The web UIs call the same routes under /tracker/api and /console/api with a session cookie (same origin only).',
        },
        servers: [{ url: '/' }],
        security: [{ apiKey: [] }, { bearer: [] }],
        components: {
            parameters: PARAMETERS,
            headers: HEADERS,
            securitySchemes: {
                apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
                bearer: { type: 'http', scheme: 'bearer' },
                ...Object.fromEntries(
                    webUis.map((ui) => [
                        `${ui}Session`,
                        {
                            type: 'apiKey',
                            in: 'cookie',
                            name: SESSION_COOKIE[ui],
                            description: `HttpOnly, SameSite=Strict session cookie set by signing in at /${ui}/api/session; forgotten after 30 minutes idle`,
                        },
                    ]),
                ),
            },
            schemas: reachableSchemas(all, used),
        },
        paths,
    };
}

// `node dist/gateway/http/openapi.js [MSPID] > openapi.json`: the document without running a gateway.
if (require.main === module) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: routes import the chaincode model
    const { v1Routes } = require('./routes') as typeof import('./routes');
    const mspId = process.argv[2];
    process.stdout.write(
        JSON.stringify(
            buildOpenApi(v1Routes(), { mspId, version: '1.0.0', webUis: webUisOf(mspId === undefined || mspId === ISSUER_MSP) }),
            null,
            2,
        ) + '\n',
    );
}
