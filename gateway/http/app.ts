// The Express application of one gateway: request ids, JSON logs and metrics, helmet, limits per
// client address and per API key (weighted by route), authentication (API key or a client
// certificate of the org's CA), body limit, the /v1 routes, OpenAPI and docs, health and
// readiness, and one problem+json error handler. Everything it talks to is injected.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { clientCertificateDer, clientCertificateName } from '../auth/certificate';
import type { ClientRevocations } from '../auth/revocation';
import type { AppStore } from '../auth/store';
import { PROBLEM_CONTENT_TYPE, ProblemError, toProblem, unauthorized } from '../errors';
import type { EventStream, FabricLayer } from '../fabric/types';
import type { IdempotencyStore } from '../idempotency/store';
import type { Logger } from '../../network/client/logger';
import type { Metrics } from '../metrics';
import { MinoritySecret } from '../minority';
import type { GatewayStore } from '../store/store';
import { buildOpenApi } from './openapi';
import { dispatcher, type RouteSpec } from './route';
import { v1Routes } from './routes';
import { clientAddress, DEFAULT_LIMITS, perKeyLimit, rateLimited, type RequestLimits, routeWeight, StreamQuota } from './limits';
import { OPS_ROUTES } from './ops';
import { accessStream, STREAM_OPERATION_ID, STREAM_PATH } from './sse';
import { BODY_REFUSALS } from './statuses';
import { mountWebUis, webUisOf } from './web';

export interface AppDeps {
    mspId: string;
    fabric: FabricLayer;
    apps: AppStore;
    idempotency: IdempotencyStore;
    /** The gateway's state: apps, idempotency records, checkpoints, rate limits, sessions (gateway/store). */
    store: GatewayStore;
    /** The org's CRLs for client certificates (HTTPS with client certificates only). */
    revocations?: ClientRevocations;
    /** How often a tracker session re-reads its card's device key (default DEVICE_CHECK_MS). */
    deviceCheckMs?: number;
    log: Logger;
    metrics: Metrics;
    bodyLimit?: string;
    /** Defaults: DEFAULT_LIMITS (limits.ts). */
    limits?: Partial<RequestLimits>;
    version?: string;
    /** Every org of the channel (the console lists them). */
    orgs?: string[];
    /** The issuer org's gateway serves the citizen's tracker (/tracker/). */
    issuer?: boolean;
    /** The Fabric identity the tracker acts with (role citizen-agent). */
    trackerIdentity?: string;
    /** The web UIs' build (default dist/web). */
    webDir?: string;
    /** The gateway's own identity for the public report (default User1, a client of the org without a role). */
    publicIdentity?: string;
    /** The clock (default the system's): the day of a minority's tokens, the default month of a report. */
    now?: () => Date;
}

export interface GatewayApp {
    app: express.Express;
    routes: RouteSpec[];
    openapi: Record<string, unknown>;
    /** Streams and in-flight requests, for graceful shutdown. */
    streams: { open: Set<EventStream> };
    inflight: { count: number };
    /** Once set, new requests are answered 503 (the process is stopping). */
    draining: { value: boolean };
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{8,128}$/;

export function sendProblem(res: Response, req: Request, problem: ProblemError): void {
    if (problem.retryAfterSeconds !== undefined) res.set('Retry-After', String(problem.retryAfterSeconds));
    if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer realm="citizencards"');
    res.status(problem.status)
        .type(PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(problem.toProblem(req.originalUrl.split('?')[0], String(res.locals.requestId ?? ''))));
}

/** A request the HTTP layer could not even read (path escapes, body encoding), as a 4xx problem. */
function requestProblem(err: unknown): ProblemError | undefined {
    if (err instanceof ProblemError) return undefined;
    // Express decodes :params with decodeURIComponent and passes its URIError on (status 400).
    if (err instanceof URIError) {
        return new ProblemError({
            status: 400,
            code: 'MALFORMED_PATH',
            title: 'Invalid request path',
            detail: 'a path segment has a broken percent escape (each % must start a %XX UTF-8 escape)',
        });
    }
    const e = err as { type?: unknown; status?: unknown };
    if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
    const known = typeof e.type === 'string' ? BODY_REFUSALS[e.type] : undefined;
    return new ProblemError({
        status: known?.status ?? e.status,
        code: known?.code ?? 'BAD_BODY',
        title: 'Invalid request body',
        detail: known?.detail ?? `the body was refused (${String(e.type ?? 'unreadable')})`,
    });
}

export function createApp(deps: AppDeps): GatewayApp {
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
    app.set('query parser', 'simple');
    // No ETag on answers: Express would hash every JSON body (SHA-1) for a header that no client of
    // a ledger API uses for caching (each answer is read at one block height). Static files keep theirs.
    app.set('etag', false);
    const routes = v1Routes();
    const openapi = buildOpenApi(routes, { mspId: deps.mspId, version: deps.version ?? '1.0.0', webUis: webUisOf(deps.issuer ?? false) });
    const streams = { open: new Set<EventStream>() };
    const inflight = { count: 0 };
    const draining = { value: false };

    // Request id, access log and metrics first, so that every answer (errors included) is counted.
    app.use((req, res, next) => {
        const given = req.get('X-Request-Id');
        const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
        res.locals.requestId = requestId;
        res.set('X-Request-Id', requestId);
        const start = process.hrtime.bigint();
        inflight.count++;
        let done = false;
        const finish = () => {
            if (done) return;
            done = true;
            inflight.count--;
            const route = (res.locals.route as string | undefined) ?? (req.route?.path ? String(req.route.path) : 'unmatched');
            const labels = { method: req.method, route, status: String(res.statusCode) };
            const seconds = Number(process.hrtime.bigint() - start) / 1e9;
            deps.metrics.httpRequests.inc(labels);
            deps.metrics.httpDuration.observe(labels, seconds);
            // No query string, body or headers: they may hold keys, signatures or personal data.
            deps.log.info('request', {
                requestId,
                method: req.method,
                route,
                status: res.statusCode,
                ms: Math.round(seconds * 1000),
                app: (res.locals.app as { name?: string } | undefined)?.name,
            });
        };
        res.on('finish', finish);
        res.on('close', finish);
        if (draining.value) {
            res.set('Connection', 'close');
            return sendProblem(
                res,
                req,
                new ProblemError({
                    status: 503,
                    code: 'SHUTTING_DOWN',
                    title: 'Shutting down',
                    detail: 'the gateway is stopping; retry on another instance or later',
                    retryAfterSeconds: 2,
                }),
            );
        }
        next();
    });
    app.use(helmet());
    const limits: RequestLimits = { ...DEFAULT_LIMITS, ...deps.limits };
    const known = new Set([...routes.map((r) => r.operationId), STREAM_OPERATION_ID]);
    const unknown = Object.keys(limits.weights).filter((id) => !known.has(id));
    if (unknown.length) throw new Error(`GATEWAY_CONFIG_INVALID: rate weights name unknown operations: ${unknown.join(', ')}`);
    const perKey = deps.store.rateLimiter('key', limits.max, limits.windowMs);
    const anonymous = deps.store.rateLimiter('address', limits.anonymousMax, limits.windowMs);
    const anonymousRefusal = async (req: Request): Promise<ProblemError | undefined> => {
        const wait = await anonymous.take(clientAddress(req), 1);
        return wait ? rateLimited('too many requests without a valid API key from this address', wait) : undefined;
    };
    // Everything outside /v1 is served without a key: count it per client address (health probes excepted;
    // the web UIs' APIs count signed-in sessions per app and the rest per address themselves, see web.ts).
    const unlimited = new Set(OPS_ROUTES.filter((r) => r.unlimited).map((r) => r.path));
    app.use(async (req, _res, next) => {
        if (unlimited.has(req.path) || /^\/(v1|tracker\/api|console\/api)(\/|$)/i.test(req.path)) return next();
        next(await anonymousRefusal(req));
    });

    // ---- operations and the front page (no API key): ops.ts ----
    const now = deps.now ?? (() => new Date());
    const opsContext = {
        mspId: deps.mspId,
        fabric: deps.fabric,
        store: deps.store,
        metrics: deps.metrics,
        openapi,
        sendProblem,
        publicIdentity: deps.publicIdentity ?? 'User1',
        now,
    };
    for (const r of OPS_ROUTES) {
        app.get(r.path, async (req, res) => {
            res.locals.route = r.path;
            await r.handle(opsContext, req, res);
        });
    }
    // Swagger UI from the installed swagger-ui-dist: served locally, no CDN, helmet's CSP intact.
    const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
    app.get('/docs', (req, res, next) => {
        if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, '/docs/');
        next();
    });
    app.get('/docs/', (_req, res) => {
        res.locals.route = '/docs';
        res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Citizen-card gateway ${deps.mspId}</title>
<link rel="stylesheet" href="swagger-ui.css"></head><body><div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script><script src="init.js"></script></body></html>`);
    });
    app.get('/docs/init.js', (_req, res) => {
        res.locals.route = '/docs';
        res.type('application/javascript').send("window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n");
    });
    app.use('/docs', express.static(swaggerDir, { index: false, fallthrough: true }));

    // ---- /v1: API key, rate limit, JSON body ----
    const v1 = express.Router();
    v1.use(async (req, res, next) => {
        const header = req.get('Authorization');
        const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.get('X-API-Key');
        const byKey = key ? await deps.apps.authenticate(key) : undefined;
        const certName = clientCertificateName(req);
        if (certName && deps.revocations) {
            // A certificate the org revoked names no app (the channel config's CRL, read every few seconds).
            if (!deps.revocations.ready)
                return next(unauthorized("the gateway has not read its org's CRLs yet: use the API key, or retry"));
            if (deps.revocations.isRevoked(clientCertificateDer(req) as Buffer))
                return next(unauthorized(`the client certificate is revoked: ${deps.mspId}'s CRL in the channel config lists it`));
        }
        const byCert = certName ? await deps.apps.byName(certName) : undefined;
        if (byCert && key && byKey?.appId !== byCert.appId) {
            return next(unauthorized('the API key and the client certificate name different apps'));
        }
        const found = byCert ?? byKey;
        if (found && found.mspId === deps.mspId) {
            res.locals.app = found;
            return next();
        }
        // Failed authentications count against the client's address, so guessing keys is slow too.
        next(
            (await anonymousRefusal(req)) ??
                unauthorized(
                    key || certName
                        ? 'neither the API key nor the client certificate is valid for this gateway'
                        : 'send the API key as Authorization: Bearer <key> or X-API-Key, or a client certificate of the org',
                ),
        );
    });
    // After authentication and routing, so that a refused request costs no body parsing.
    // Compressed bodies are refused (415), not inflated: bodies are small, and inflating invites zip bombs.
    const jsonBody = express.json({
        limit: deps.bodyLimit ?? '64kb',
        strict: true,
        inflate: false,
        type: ['application/json', 'application/*+json'],
    });
    const routeName = (route: string) => (_req: Request, res: Response, next: NextFunction) => {
        res.locals.route = route;
        next();
    };
    const dispatchDeps = { fabric: deps.fabric, idempotency: deps.idempotency, log: deps.log, now, seeds: new MinoritySecret(deps.store) };
    for (const r of routes) {
        v1[r.method](
            r.path.replace(/^\/v1/, ''),
            routeName(r.path),
            perKeyLimit(perKey, routeWeight(limits, r.operationId, r.method)),
            // A GET's body is not read (nothing in it would be used), so it cannot be refused either.
            ...(r.method === 'get' ? [] : [jsonBody]),
            dispatcher(r, dispatchDeps),
        );
    }
    const stream = accessStream({
        fabric: deps.fabric,
        store: deps.store,
        log: deps.log,
        streams,
        quota: new StreamQuota(limits.streamsPerKey),
    });
    const streamLimit = perKeyLimit(perKey, routeWeight(limits, STREAM_OPERATION_ID, 'post'));
    v1.get(STREAM_PATH.replace(/^\/v1/, ''), routeName(STREAM_PATH), streamLimit, stream);
    app.use('/v1', v1);

    // ---- the browser UIs: /tracker/ (issuer org) and /console/, with their own session APIs ----
    mountWebUis(app, {
        mspId: deps.mspId,
        orgs: deps.orgs ?? [deps.mspId],
        issuer: deps.issuer ?? false,
        trackerIdentity: deps.trackerIdentity ?? 'citizen-agent',
        fabric: deps.fabric,
        apps: deps.apps,
        dispatch: dispatchDeps,
        routes,
        stream: [streamLimit, stream],
        limit: (r) => perKeyLimit(perKey, routeWeight(limits, r.operationId, r.method)),
        anonymousRefusal,
        store: deps.store,
        jsonBody,
        webDir: deps.webDir,
        deviceCheckMs: deps.deviceCheckMs,
    });

    // ---- not found, method not allowed, errors ----
    app.use((req, _res, next) =>
        next(new ProblemError({ status: 404, code: 'ROUTE_NOT_FOUND', title: 'Not found', detail: `no route ${req.method} ${req.path}` })),
    );
    app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
        const problem = requestProblem(err) ?? toProblem(err);
        if (problem.status >= 500) {
            const cause = (problem as { cause?: unknown }).cause ?? err;
            deps.log.error('request failed', {
                requestId: res.locals.requestId,
                code: problem.code,
                error: cause instanceof Error ? { type: cause.name, message: cause.message } : String(cause),
            });
        }
        if (res.headersSent) {
            res.end();
            return;
        }
        sendProblem(res, req, problem);
    });
    return { app, routes, openapi, streams, inflight, draining };
}
