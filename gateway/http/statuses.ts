// Every status, with its stable codes, an operation can answer, derived from what the operation is:
// the layers its requests pass (the HTTP server, the app's middleware, authentication and limits,
// body parsing, the dispatcher's validation and Idempotency-Key rules, the Fabric layer) and the
// chaincode functions it calls (their codes, surface.ts CHAINCODE_ERRORS, at the gateway's status
// for each: status-table.ts). openapi.ts documents exactly these; a test checks them against the
// codes the gateway's source can produce and against what it answers.
//
// Not listed: 500 INTERNAL, a fault of the gateway whatever the request (no client input may
// produce it, the fuzz tests check that); and what answers no operation: 404 ROUTE_NOT_FOUND (an
// unknown path or method), 400 MALFORMED_HTTP (bytes that are not HTTP), 503 UI_NOT_BUILT (pages).
import type { ChaincodeFn } from '../../chaincode/surface';
import { CHAINCODE_ERRORS } from '../../chaincode/surface';
import { chaincodeCodeStatus } from '../errors';
import { CHAINCODE_HTTP_STATUS } from '../status-table';
import type { Problems } from './route';
import type { WebUi } from './web';

/** Status -> stable codes. */

/** body-parser's refusals (http-errors with a `type`), by type: status, stable code and what is wrong (app.ts). */
export const BODY_REFUSALS: Record<string, { status: number; code: string; detail: string }> = {
    'entity.parse.failed': { status: 400, code: 'MALFORMED_JSON', detail: 'the body is not valid JSON' },
    'entity.too.large': { status: 413, code: 'BODY_TOO_LARGE', detail: 'the body is larger than the limit' },
    'encoding.unsupported': {
        status: 415,
        code: 'CONTENT_ENCODING_UNSUPPORTED',
        detail: 'compressed bodies are not accepted: send the JSON without Content-Encoding',
    },
    'charset.unsupported': { status: 415, code: 'CHARSET_UNSUPPORTED', detail: 'the body must be UTF-8 JSON' },
    'request.size.invalid': { status: 400, code: 'BODY_LENGTH_MISMATCH', detail: 'the body length does not match Content-Length' },
    'request.aborted': { status: 400, code: 'BODY_ABORTED', detail: 'the client stopped sending the body' },
};

/** What an operation is, as far as its answers go. */
export interface Operation {
    /** Who answers it: a probe or page of the app, a /v1 route (API key or client certificate), a web UI's session API. */
    kind: 'ops' | 'v1' | 'session';
    /** Under /{ui}/api with the UI's session cookie (a /v1 route, or a session route). */
    ui?: WebUi;
    /** Not rate-limited (the health probes). */
    unlimited?: boolean;
    pathParams?: boolean;
    /** A query DTO validates the query (else any query parameter is refused, on /v1). */
    query?: boolean;
    /** A JSON body: read and parsed, then validated by a DTO with members ('dto') or as an empty object ('empty'). */
    body?: 'dto' | 'empty';
    /** Accepts Idempotency-Key (POST and PUT of /v1). */
    idempotent?: boolean;
    /** Takes a bookmark (INVALID_BOOKMARK is only answered where one is passed). */
    paged?: boolean;
    /** The access-log stream: a quota of open streams per app. */
    stream?: boolean;
    /** Calls the Fabric layer. */
    ledger?: boolean;
    submits?: readonly ChaincodeFn[];
    evaluates?: readonly ChaincodeFn[];
    /** Evaluated for the answer after a submit: a refusal below 500 is reported in the answer (dataError). */
    readsForAnswer?: readonly ChaincodeFn[];
    /** The operation's own problems (e.g. 422 ORG_NOT_ON_CHANNEL). */
    own?: Problems;
}

const statusOf = (code: string): number => CHAINCODE_HTTP_STATUS[code] ?? chaincodeCodeStatus(code);

/** Every status and code the operation can answer, codes sorted. */
export function problemsOf(op: Operation): Problems {
    const out = new Map<number, Set<string>>();
    const add = (status: number, ...codes: string[]) => {
        const set = out.get(status) ?? new Set<string>();
        for (const c of codes) set.add(c);
        out.set(status, set);
    };
    // The HTTP server (listen.ts) and the app's first middleware (app.ts).
    add(431, 'HEADERS_TOO_LARGE');
    add(503, 'SHUTTING_DOWN');
    // A limited request reads its bucket, a /v1 request its app, a session route its session: with PostgreSQL, from the database.
    if (!op.unlimited) add(429, 'RATE_LIMITED');
    if (!op.unlimited) add(503, 'DATABASE_UNAVAILABLE');
    if (op.ui) add(403, 'CROSS_ORIGIN');
    if (op.kind === 'v1') {
        add(401, 'UNAUTHENTICATED');
        if (op.ui === 'tracker') add(403, 'SESSION_CARD_MISMATCH');
        // The dispatcher refuses unknown query parameters and an Idempotency-Key on a GET.
        add(400, 'VALIDATION_FAILED');
    }
    if (op.pathParams) add(400, 'MALFORMED_PATH', 'VALIDATION_FAILED');
    if (op.query) add(400, 'VALIDATION_FAILED', 'JSON_TOO_MANY_MEMBERS');
    if (op.body) {
        add(408, 'REQUEST_TIMEOUT');
        for (const r of Object.values(BODY_REFUSALS)) add(r.status, r.code);
        add(400, 'VALIDATION_FAILED');
        if (op.body === 'dto') add(400, 'JSON_TOO_DEEP', 'JSON_TOO_MANY_MEMBERS');
        if (op.kind === 'v1') add(415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    if (op.idempotent) {
        add(409, 'IDEMPOTENCY_IN_FLIGHT');
        add(422, 'IDEMPOTENCY_KEY_REUSED');
    }
    if (op.stream) add(429, 'TOO_MANY_STREAMS');
    if (op.ledger) {
        // The Fabric layer (errors.ts toProblem): unreachable, a failure that is not a chaincode rule, refusals of the peer.
        add(503, 'FABRIC_UNAVAILABLE');
        add(502, 'FABRIC_ERROR');
        add(403, 'FABRIC_ACCESS_DENIED');
        add(404, 'FABRIC_NOT_FOUND');
    }
    if (op.submits?.length) {
        add(409, 'LEDGER_CONFLICT', 'TX_INVALIDATED');
        add(504, 'COMMIT_STATUS_UNKNOWN');
    }
    const chaincode = (fn: ChaincodeFn, keep: (status: number) => boolean) => {
        for (const code of CHAINCODE_ERRORS[fn]) {
            if (code === 'INVALID_BOOKMARK' && !op.paged) continue;
            if (keep(statusOf(code))) add(statusOf(code), code);
        }
    };
    for (const fn of [...(op.submits ?? []), ...(op.evaluates ?? [])]) chaincode(fn, () => true);
    for (const fn of op.readsForAnswer ?? []) chaincode(fn, (status) => status >= 500);
    for (const [status, codes] of Object.entries(op.own ?? {})) add(Number(status), ...codes);
    return Object.fromEntries([...out].sort(([a], [b]) => a - b).map(([status, codes]) => [status, [...codes].sort()]));
}
