// The OpenAPI 3 document, generated from the route declarations and their class-validator DTOs
// (class-validator-jsonschema): it cannot drift from what the gateway validates.
import 'reflect-metadata';
import type { ClassConstructor } from 'class-transformer';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- class-transformer ships no types for its storage entry
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
    defaultMetadataStorage: import('class-transformer/types/MetadataStorage').MetadataStorage;
};
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { RouteSpec } from './route';
import { STREAM_OPERATION_ID, STREAM_PATH } from './sse';
import { AUDITOR_MSP, ISSUER_MSP } from '../../chaincode/model/vocabulary';
import {
    SESSION_API_ERRORS,
    SESSION_COOKIE,
    SESSION_ROUTES,
    SESSION_V1_ERRORS,
    type SessionRouteSpec,
    UI_OPERATIONS,
    type WebUi,
    webUisOf,
} from './web';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema objects are built and patched freely here
type Schema = Record<string, any>;

const PROBLEM_SCHEMA: Schema = {
    type: 'object',
    description: 'RFC 9457 problem document',
    required: ['type', 'title', 'status', 'code', 'requestId'],
    properties: {
        type: { type: 'string', format: 'uri' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        code: {
            type: 'string',
            description: 'stable code: a chaincode code (e.g. CONSENT_REQUIRED) or a gateway code (VALIDATION_FAILED, ...)',
        },
        requestId: { type: 'string' },
        transactionId: { type: 'string' },
        errors: {
            type: 'array',
            items: {
                type: 'object',
                properties: { field: { type: 'string' }, constraints: { type: 'object', additionalProperties: { type: 'string' } } },
            },
        },
    },
};

const STATUS_TEXT: Record<number, string> = {
    400: 'invalid request (failing fields in `errors`)',
    401: 'missing or invalid API key (or, under /tracker/api and /console/api, no session)',
    403: 'refused by a role or ownership rule',
    404: 'not found',
    409: 'state conflict, or a request with this Idempotency-Key is in progress',
    410: 'gone (e.g. the grant to read data expired)',
    413: 'body too large',
    415: 'body is not application/json',
    422: 'refused by a ledger rule, or Idempotency-Key reused with another body',
    429: 'rate limit of this API key exceeded',
    503: 'the ledger is unreachable; retry after Retry-After seconds',
    504: 'the transaction outcome is unknown; retry with the same Idempotency-Key',
};

function classSchemaProps(
    schemas: Record<string, Schema>,
    cls: ClassConstructor<object>,
): { props: Record<string, Schema>; required: string[] } {
    const s = schemas[cls.name] ?? { properties: {}, required: [] };
    return { props: (s.properties ?? {}) as Record<string, Schema>, required: (s.required ?? []) as string[] };
}

/** The schemas `roots` refer to, directly or through other schemas' $refs. */
function reachableSchemas(all: Record<string, Schema>, roots: string[]): Record<string, Schema> {
    const kept: Record<string, Schema> = {};
    const visit = (name: string) => {
        if (kept[name] || !all[name]) return;
        kept[name] = all[name];
        for (const m of JSON.stringify(all[name]).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) visit(m[1]);
    };
    for (const name of roots) visit(name);
    return kept;
}

/** True if an app of this org may call the route (the chaincode's grants), or no org is named. */
function offeredTo(r: RouteSpec, mspId?: string): boolean {
    return !mspId || !r.grants || r.grants.some((g) => g.mspId === undefined || g.mspId === mspId);
}

const problemResponse = (status: number, codes?: string[]): Schema => ({
    description: codes?.length ? `${STATUS_TEXT[status] ?? 'error'} (code ${codes.join(', ')})` : (STATUS_TEXT[status] ?? 'error'),
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    ...(codes?.length ? { 'x-problem-codes': codes } : {}),
});

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z]+)/g, '{$1}');

/** The operation of one /v1 route; `used` collects the schemas its body refers to. */
function routeOperation(r: RouteSpec, all: Record<string, Schema>, used: Set<string>): Schema {
    const parameters: Schema[] = [];
    if (r.params) {
        const { props } = classSchemaProps(all, r.params);
        for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: 'path', required: true, schema });
    }
    if (r.query) {
        const { props, required } = classSchemaProps(all, r.query);
        for (const [name, schema] of Object.entries(props))
            parameters.push({ name, in: 'query', required: required.includes(name), schema });
    }
    if (r.method !== 'get') {
        parameters.push({
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
                'Same key + same body: the first answer, never a second transaction (also after a restart). Same key + another body: 422.',
            schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' },
        });
    }
    const op: Schema = {
        operationId: r.operationId,
        summary: r.summary,
        description: [r.description, `Callers: ${r.callers}.`].filter(Boolean).join('\n\n'),
        tags: r.tags.slice(-1),
        parameters,
        responses: {
            [String(r.success.status)]: {
                description: r.success.description,
                content: { 'application/json': { schema: { type: 'object' } } },
            },
        },
    };
    const bodyClasses = r.bodyAlternatives?.classes ?? (r.body ? [r.body] : []);
    if (bodyClasses.length) {
        for (const c of bodyClasses) used.add(c.name);
        const refs = bodyClasses.map((c) => ({ $ref: `#/components/schemas/${c.name}` }));
        op.requestBody = { required: true, content: { 'application/json': { schema: refs.length === 1 ? refs[0] : { oneOf: refs } } } };
    }
    for (const status of [400, 401, 429, 503, ...(r.errors ?? []), ...(r.method === 'post' ? [409, 422, 504] : [])])
        op.responses[String(status)] = problemResponse(status);
    return op;
}

/** The access-log stream (sse.ts): its parameters are read by the stream handler, not by a DTO. */
function streamOperation(): Schema {
    return {
        operationId: STREAM_OPERATION_ID,
        summary: 'Server-Sent Events: new access-log entries of a card (event `access`, id `<block>:<txId>`)',
        description:
            'Citizens pass `request` (base64url of a signed AccessLogListRequest); auditors need none. ' +
            'Reconnect with Last-Event-ID, or name a `subscriber` to keep a durable server-side checkpoint.',
        tags: ['access'],
        parameters: [
            { name: 'cardId', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'request', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'subscriber', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
        ],
        responses: {
            '200': { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            '400': problemResponse(400),
            '403': problemResponse(403),
        },
    };
}

/** The operation of one session-API route (web.ts), with its cookie and its problem codes. */
function sessionOperation(s: SessionRouteSpec, used: Set<string>): Schema {
    const scheme = { [`${s.ui}Session`]: [] };
    const op: Schema = {
        operationId: s.operationId,
        summary: s.summary,
        description: s.description,
        tags: [s.ui],
        // Signing in needs no credential; reading or ending a session uses the cookie when there is one.
        security: s.session === 'none' ? [] : [{}, scheme],
        parameters: [],
        responses: {
            [String(s.success.status)]: s.answer
                ? {
                      description: s.success.description,
                      content: { 'application/json': { schema: { $ref: `#/components/schemas/${s.answer.name}` } } },
                  }
                : { description: s.success.description },
        },
    };
    if (s.answer) used.add(s.answer.name);
    if (s.body) {
        used.add(s.body.name);
        op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${s.body.name}` } } } };
    }
    for (const [status, codes] of mergeCodes(SESSION_API_ERRORS, s.errors)) op.responses[status] = problemResponse(Number(status), codes);
    return op;
}

/** A /v1 operation as a UI's session calls it under /{ui}/api: the session cookie instead of an API key. */
function underSession(ui: WebUi, op: Schema): Schema {
    const responses = { ...op.responses };
    for (const [status, codes] of Object.entries(SESSION_V1_ERRORS[ui])) responses[status] = problemResponse(Number(status), codes);
    return {
        ...op,
        operationId: `${ui}${op.operationId[0].toUpperCase()}${op.operationId.slice(1)}`,
        tags: [ui],
        security: [{ [`${ui}Session`]: [] }],
        responses,
    };
}

function mergeCodes(...tables: Record<number, string[]>[]): [string, string[]][] {
    const merged: Record<string, string[]> = {};
    for (const t of tables) for (const [status, codes] of Object.entries(t)) merged[status] = [...(merged[status] ?? []), ...codes];
    return Object.entries(merged);
}

/**
 * The OpenAPI document of one org's gateway (or of every route, without `mspId`): only the routes
 * its apps may call, one tag each (the last, most specific, of the route's tags), and only the
 * schemas of its requests and answers; then the web UIs' session APIs (`webUis`, default both),
 * their sign-in routes and the /v1 routes each session may call under /{ui}/api.
 */
export function buildOpenApi(routes: RouteSpec[], info: { mspId?: string; version: string; webUis?: WebUi[] }): Schema {
    const all = validationMetadatasToSchemas({
        classTransformerMetadataStorage: defaultMetadataStorage,
        refPointerPrefix: '#/components/schemas/',
    }) as Record<string, Schema>;
    all.Problem = PROBLEM_SCHEMA;
    const used = new Set<string>(['Problem']);
    const paths: Record<string, Record<string, Schema>> = {};
    const add = (path: string, method: string, op: Schema) => {
        paths[toOpenApiPath(path)] ??= {};
        paths[toOpenApiPath(path)][method] = op;
    };
    const offered = routes.filter((route) => offeredTo(route, info.mspId));
    for (const r of offered) add(r.path, r.method, routeOperation(r, all, used));
    // Citizens (through Seoul's citizen app) and auditors follow a card's access log.
    const streamOffered = !info.mspId || ([ISSUER_MSP, AUDITOR_MSP] as string[]).includes(info.mspId);
    if (streamOffered) add(STREAM_PATH, 'get', streamOperation());
    const webUis = info.webUis ?? webUisOf(true);
    for (const s of SESSION_ROUTES.filter((x) => webUis.includes(x.ui))) add(`/${s.ui}/api${s.path}`, s.method, sessionOperation(s, used));
    for (const ui of webUis) {
        for (const r of offered.filter((x) => UI_OPERATIONS[ui].includes(x.operationId)))
            add(`/${ui}/api${r.path}`, r.method, underSession(ui, routeOperation(r, all, used)));
        if (ui === 'tracker' && streamOffered) add(`/tracker/api${STREAM_PATH}`, 'get', underSession(ui, streamOperation()));
    }
    return {
        openapi: '3.0.3',
        info: {
            title: `Seoul citizen-card gateway (${info.mspId ?? 'every org'})`,
            version: info.version,
            description:
                'REST gateway of one org to the citizen-card ledger (Hyperledger Fabric). Errors are application/problem+json (RFC 9457) with stable codes. ' +
                'The web UIs call the same routes under /tracker/api and /console/api with a session cookie (same origin only).',
        },
        servers: [{ url: '/' }],
        security: [{ apiKey: [] }, { bearer: [] }],
        components: {
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
            schemas: reachableSchemas(all, [...used]),
        },
        paths,
    };
}

// `node dist/gateway/http/openapi.js > openapi.json`: the document without running a gateway.
if (require.main === module) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: routes import the chaincode model
    const { v1Routes } = require('./routes') as typeof import('./routes');
    process.stdout.write(JSON.stringify(buildOpenApi(v1Routes(), { mspId: process.argv[2], version: '1.0.0' }), null, 2) + '\n');
}
