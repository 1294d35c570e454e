// The routes outside the API, for operators and a person's first request: liveness, readiness,
// Prometheus metrics, the front page and the OpenAPI document itself. Declared once: app.ts mounts
// them and openapi.ts documents them. No API key; all but the health probes count against the
// client address's rate limit.
import type { ClassConstructor } from 'class-transformer';
import type { Request, Response } from 'express';
import { CHAINCODE_FN as F, type ChaincodeFn } from '../../chaincode/surface';
import { ProblemError } from '../errors';
import type { FabricLayer } from '../fabric/types';
import type { Metrics } from '../metrics';
import type { GatewayStore } from '../store/store';
import { FrontPage, HealthAnswer, OpenApiDocument, ReadyAnswer, ReportAnswer } from './answers';
import { ReportQuery } from './dto';
import { reportMonth } from './handlers';
import type { Problems } from './route';
import { validateInto } from './validate';

export interface OpsContext {
    mspId: string;
    fabric: FabricLayer;
    /** The gateway's store: readiness asks it too. */
    store: GatewayStore;
    metrics: Metrics;
    openapi: Record<string, unknown>;
    /** The gateway's own Fabric identity (a client of its org without a role) for what the public may read. */
    publicIdentity: string;
    now(): Date;
    /** Answers a problem without logging it as a failure (a peer that is not ready is a state, not an error). */
    sendProblem(res: Response, req: Request, problem: ProblemError): void;
}

export interface OpsRouteSpec {
    path: string;
    operationId: string;
    summary: string;
    /** The answer's class (JSON), or its media type when it is text. */
    answer: ClassConstructor<object> | 'text/plain';
    /** Not rate-limited: probes must answer whatever else the address sends. */
    unlimited?: boolean;
    /** Problems of its own, besides those every operation answers (statuses.ts). */
    errors?: Problems;
    /** Its query string's DTO (else it takes none, and ignores any). */
    query?: ClassConstructor<object>;
    /** The chaincode functions it evaluates, as the gateway's own identity (their refusals are its problems too). */
    evaluates?: ChaincodeFn[];
    handle(ctx: OpsContext, req: Request, res: Response): void | Promise<void>;
}

export const OPS_ROUTES: readonly OpsRouteSpec[] = [
    {
        path: '/healthz',
        operationId: 'healthz',
        summary: 'Liveness: the process answers',
        answer: HealthAnswer,
        unlimited: true,
        handle: (_ctx, _req, res) => void res.json({ status: 'OK' }),
    },
    {
        path: '/readyz',
        operationId: 'readyz',
        summary:
            "Readiness: the org's peer and the gateway's database answer (503 FABRIC_UNAVAILABLE or DATABASE_UNAVAILABLE, Retry-After, when not)",
        answer: ReadyAnswer,
        unlimited: true,
        errors: { 503: ['FABRIC_UNAVAILABLE', 'DATABASE_UNAVAILABLE'] },
        async handle(ctx, req, res) {
            // A replica whose database is gone leaves the load balancer's pool until it is back.
            const stored = await ctx.store.ping().then(
                () => true,
                () => false,
            );
            if (!stored) {
                return ctx.sendProblem(
                    res,
                    req,
                    new ProblemError({
                        status: 503,
                        code: 'DATABASE_UNAVAILABLE',
                        title: 'Not ready',
                        detail: "the gateway's database does not answer",
                        retryAfterSeconds: 2,
                    }),
                );
            }
            if (await ctx.fabric.ready()) return void res.json({ status: 'READY', mspId: ctx.mspId });
            ctx.sendProblem(
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
        },
    },
    {
        path: '/metrics',
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4): HTTP requests and durations, Fabric calls, the process',
        answer: 'text/plain',
        async handle(ctx, _req, res) {
            res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
        },
    },
    {
        path: '/',
        operationId: 'frontPage',
        summary: 'What this gateway is and where to go next: the docs, this document, the probes, how to get an API key',
        answer: FrontPage,
        handle(ctx, _req, res) {
            res.json({
                gateway: `citizen-card REST gateway of ${ctx.mspId}`,
                docs: '/docs/',
                openapi: '/openapi.json',
                health: { live: '/healthz', ready: '/readyz', metrics: '/metrics' },
                api: '/v1 (send Authorization: Bearer <API key>)',
                apiKey: `npm run -s gateway:admin -- create-app --org ${ctx.mspId} --name NAME [--role ROLE] [--dept DEPT] --key-only`,
            });
        },
    },
    {
        path: '/public/transparency',
        operationId: 'publicTransparencyReport',
        summary:
            "The public transparency report, without an API key: one Seoul month's counts per org, department, service and basis " +
            '(accesses, denials, sealed, break-glass, objections, findings); a count from 1 to minCount - 1 is null (suppressed). ' +
            'Default month: the current one. Rate-limited per client address.',
        answer: ReportAnswer,
        query: ReportQuery,
        evaluates: [F.transparencyReport],
        async handle(ctx, req, res) {
            const q = validateInto(ReportQuery, { ...(req.query as Record<string, unknown>) }, 'query');
            const bytes = await ctx.fabric.evaluate(ctx.publicIdentity, {
                fn: F.transparencyReport,
                args: [JSON.stringify({ month: reportMonth(q.month, ctx.now()) })],
            });
            res.set('Cache-Control', 'public, max-age=60');
            res.json({ report: JSON.parse(Buffer.from(bytes).toString('utf8')) });
        },
    },
    {
        path: '/openapi.json',
        operationId: 'openapi',
        summary: "This document: the gateway's operations, those its org's apps may call",
        answer: OpenApiDocument,
        handle: (ctx, _req, res) => void res.json(ctx.openapi),
    },
];
