// The Express application of one gateway: request ids, JSON logs and metrics, helmet, body limit,
// API-key authentication, a rate limit per key, the /v1 routes, OpenAPI and docs, health and
// readiness, and one problem+json error handler. Everything it talks to is injected.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { AppStore } from '../auth/store';
import type { Db } from '../db';
import { PROBLEM_CONTENT_TYPE, ProblemError, toProblem, unauthorized } from '../errors';
import type { EventStream, FabricLayer } from '../fabric/types';
import type { IdempotencyStore } from '../idempotency/store';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { buildOpenApi } from './openapi';
import { dispatcher, type RouteSpec } from './route';
import { v1Routes } from './routes';
import { accessStream, STREAM_PATH } from './sse';

export interface AppDeps {
    mspId: string;
    fabric: FabricLayer;
    apps: AppStore;
    idempotency: IdempotencyStore;
    db: Db;
    log: Logger;
    metrics: Metrics;
    bodyLimit?: string;
    rateLimit?: { windowMs: number; max: number };
    version?: string;
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

export function createApp(deps: AppDeps): GatewayApp {
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
    app.set('query parser', 'simple');
    const routes = v1Routes();
    const openapi = buildOpenApi(routes, { mspId: deps.mspId, version: deps.version ?? '1.0.0' });
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

    // ---- operations (no API key) ----
    app.get('/healthz', (_req, res) => {
        res.locals.route = '/healthz';
        res.json({ status: 'OK' });
    });
    app.get('/readyz', async (req, res) => {
        res.locals.route = '/readyz';
        if (await deps.fabric.ready()) res.json({ status: 'READY', mspId: deps.mspId });
        else
            sendProblem(
                res,
                req,
                new ProblemError({
                    status: 503,
                    code: 'FABRIC_UNAVAILABLE',
                    title: 'Not ready',
                    detail: 'the peer does not answer',
                    retryAfterSeconds: 2,
                }),
            );
    });
    app.get('/metrics', async (_req, res) => {
        res.locals.route = '/metrics';
        res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
    app.get('/openapi.json', (_req, res) => {
        res.locals.route = '/openapi.json';
        res.json(openapi);
    });
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
    v1.use((req, res, next) => {
        const header = req.get('Authorization');
        const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.get('X-API-Key');
        if (!key) return next(unauthorized('send the API key as Authorization: Bearer <key> or X-API-Key'));
        const found = deps.apps.authenticate(key);
        if (!found || found.mspId !== deps.mspId) return next(unauthorized('the API key is not valid for this gateway'));
        res.locals.app = found;
        next();
    });
    v1.use(
        rateLimit({
            windowMs: deps.rateLimit?.windowMs ?? 60_000,
            limit: deps.rateLimit?.max ?? 600,
            standardHeaders: 'draft-7',
            legacyHeaders: false,
            keyGenerator: (_req, res) => String((res.locals.app as { appId: string }).appId),
            handler: (req, res) => {
                const retry = Math.ceil((deps.rateLimit?.windowMs ?? 60_000) / 1000);
                sendProblem(
                    res,
                    req,
                    new ProblemError({
                        status: 429,
                        code: 'RATE_LIMITED',
                        title: 'Too many requests',
                        detail: 'the rate limit of this API key is exceeded',
                        retryAfterSeconds: retry,
                    }),
                );
            },
        }),
    );
    v1.use(express.json({ limit: deps.bodyLimit ?? '64kb', strict: true, type: ['application/json', 'application/*+json'] }));
    const dispatchDeps = { fabric: deps.fabric, idempotency: deps.idempotency, log: deps.log };
    for (const r of routes) {
        const route = r.path;
        v1[r.method](
            r.path.replace(/^\/v1/, ''),
            (_req: Request, res: Response, next: NextFunction) => {
                res.locals.route = route;
                next();
            },
            dispatcher(r, dispatchDeps),
        );
    }
    v1.get(
        STREAM_PATH.replace(/^\/v1/, ''),
        (_req: Request, res: Response, next: NextFunction) => {
            res.locals.route = STREAM_PATH;
            next();
        },
        accessStream({ fabric: deps.fabric, db: deps.db, log: deps.log, streams }),
    );
    app.use('/v1', v1);

    // ---- not found, method not allowed, errors ----
    app.use((req, _res, next) =>
        next(new ProblemError({ status: 404, code: 'ROUTE_NOT_FOUND', title: 'Not found', detail: `no route ${req.method} ${req.path}` })),
    );
    app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
        let problem: ProblemError;
        const e = err as { type?: string; status?: number; expose?: boolean };
        if (!(err instanceof ProblemError) && typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.type) {
            // body-parser: malformed JSON, too large, wrong charset, aborted
            const code =
                e.type === 'entity.too.large' ? 'BODY_TOO_LARGE' : e.type === 'entity.parse.failed' ? 'MALFORMED_JSON' : 'BAD_BODY';
            problem = new ProblemError({
                status: e.status,
                code,
                title: 'Invalid request body',
                detail: code === 'MALFORMED_JSON' ? 'the body is not valid JSON' : `the body was refused (${e.type})`,
            });
        } else {
            problem = toProblem(err);
        }
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
