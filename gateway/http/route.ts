// A route is a declaration (method, path, DTO classes, summary) plus a thin handler. The one
// dispatcher here validates every part, applies the Idempotency-Key rules, gives the handler a
// Fabric context bound to the calling app's identity, and turns failures into problem documents.
// The same declarations generate the OpenAPI document, so the two cannot drift.
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ClassConstructor } from 'class-transformer';
import type { Request, RequestHandler, Response } from 'express';
import type { App } from '../auth/store';
import { badRequest, isConflict, OutcomeUnknownError, ProblemError, toProblem } from '../errors';
import { GatewayError } from '@hyperledger/fabric-gateway';
import type { BlockView, ChainInfo, FabricLayer, SubmitRequest, TransactionProof } from '../fabric/types';
import type { ChaincodeFn } from '../../chaincode/surface';
import { IDEMPOTENCY_KEY_PATTERN, requestHash, type IdempotencyStore } from '../idempotency/store';
import type { Logger } from '../../network/client/logger';
import { EmptyBody } from './dto';
import { validateInto } from './validate';
import type { Grant } from '../../chaincode/model/grants';

/** Status -> stable codes. */
export type Problems = Record<number, string[]>;

export interface SubmitOutcome<T> {
    result: T;
    transactionId: string;
    blockNumber: string;
}

/** What a handler may do: Fabric calls as the calling app's own identity, nothing else. */
export interface CallContext {
    app: App;
    requestId: string;
    log: Logger;
    evaluate<T>(fn: string, arg: object, opts?: { targetOrgs?: string[]; transient?: Record<string, Uint8Array> }): Promise<T>;
    submit<T>(
        fn: string,
        arg: object,
        opts?: { transient?: Record<string, Uint8Array>; endorsingOrgs?: string[] },
    ): Promise<SubmitOutcome<T>>;
    /** True when this request resumes a transaction of `fn` prepared by an earlier attempt (multi-step flows skip done steps). */
    resuming(fn: string): boolean;
    /** Where and how a transaction committed (qscc). */
    proof(transactionId: string): Promise<TransactionProof>;
    /** The channel's height and last block hash (qscc). */
    chainInfo(): Promise<ChainInfo>;
    /** One block with its transactions (qscc). */
    block(blockNumber: bigint): Promise<BlockView>;
    /** The MSP ids of the channel's application orgs (cscc), as the calling app reads them. */
    channelOrgs(): Promise<string[]>;
    /** The gateway's clock (the proposals it sends carry the same time). */
    now(): Date;
    /** The seed of a card's minority chains (issuer gateway only): derived from the gateway's own secret, never sent to the ledger or stored. */
    chainSeed(cardId: string): Promise<Uint8Array>;
}

/** Where the seeds of the minority chains come from (gateway/minority.ts). */
export interface ChainSeeds {
    chainSeed(cardId: string): Promise<Uint8Array>;
}

export interface HandlerOutput {
    status?: number;
    body: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of routes holds specs of different DTO types; each route is typed where declared
export interface RouteSpec<P = any, Q = any, B = any> {
    method: 'get' | 'post' | 'put';
    /** Express path with :params. */
    path: string;
    operationId: string;
    summary: string;
    description?: string;
    tags: string[];
    /** Who is meant to call it (documentation; the chaincode enforces roles from the certificate). */
    callers: string;
    /**
     * The chaincode's grants for it, when only some orgs' apps may call it: an org's OpenAPI document
     * offers only what its apps may call. Absent: apps of any org.
     */
    grants?: readonly Grant[];
    params?: ClassConstructor<P>;
    query?: ClassConstructor<Q>;
    /** The body DTO, or several alternatives told apart by `pick` (documented as oneOf). */
    body?: ClassConstructor<B>;
    bodyAlternatives?: { pick(raw: Record<string, unknown>): ClassConstructor<object>; classes: ClassConstructor<object>[] };
    /** The answer: its status and the class of its body (answers.ts), the document's schema and the tests' check. */
    success: { status: number; description: string; answer: ClassConstructor<object> };
    /**
     * The chaincode functions the handler submits and evaluates: their refusals are the route's
     * problems (statuses.ts). `readsForAnswer`: evaluated to complete the answer, a refusal below 500
     * is reported in it (dataError). A test checks these against the calls the handler makes.
     */
    ledger: { submits?: ChaincodeFn[]; evaluates?: ChaincodeFn[]; readsForAnswer?: ChaincodeFn[] };
    /** Problems of the route's own, by status, besides those statuses.ts derives from this declaration. */
    problems?: Problems;
    handle(ctx: CallContext, input: { params: P; query: Q; body: B }): Promise<HandlerOutput>;
    /** What the idempotency record keeps (e.g. without granted personal data). */
    toStored?(body: unknown): unknown;
    /** How a replay is answered from the stored body (e.g. re-reading granted data). */
    replay?(ctx: CallContext, stored: unknown): Promise<HandlerOutput>;
}

export interface DispatchDeps {
    fabric: FabricLayer;
    idempotency: IdempotencyStore;
    log: Logger;
    /** Default: the system clock. */
    now?: () => Date;
    /** The minority chains' seeds (the issuer org's gateway). */
    seeds?: ChainSeeds;
}

const decode = <T>(bytes: Uint8Array): T => {
    const text = Buffer.from(bytes).toString('utf8');
    return (text.length ? JSON.parse(text) : null) as T;
};

export const appOf = (res: Response): App => res.locals.app as App;
export const requestIdOf = (res: Response): string => res.locals.requestId as string;

interface ContextState {
    prepared: boolean;
    resume?: { identity: string; fn: string; prepared: import('../fabric/types').PreparedTransaction };
}

function makeContext(deps: DispatchDeps, app: App, requestId: string, idemKey: string | undefined, state: ContextState): CallContext {
    const log = deps.log.child({ requestId, app: app.name });
    return {
        app,
        requestId,
        log,
        async evaluate<T>(fn: string, arg: object, opts: { targetOrgs?: string[]; transient?: Record<string, Uint8Array> } = {}) {
            const bytes = await deps.fabric.evaluate(app.identity, {
                fn,
                args: [JSON.stringify(arg)],
                targetOrgs: opts.targetOrgs,
                transient: opts.transient,
            });
            return decode<T>(bytes);
        },
        resuming: (fn: string) => state.resume?.fn === fn,
        async proof(transactionId: string) {
            try {
                return await deps.fabric.transactionProof(app.identity, transactionId);
            } catch (err) {
                // qscc answers an unknown transaction id with an error response (gRPC UNKNOWN).
                if (err instanceof GatewayError && err.code === grpcStatus.UNKNOWN) {
                    throw new ProblemError({
                        status: 404,
                        code: 'TX_NOT_FOUND',
                        title: 'Not found',
                        detail: `no transaction ${transactionId} on channel ledger`,
                    });
                }
                throw err;
            }
        },
        chainInfo: () => deps.fabric.chainInfo(app.identity),
        channelOrgs: () => deps.fabric.channelOrgs(app.identity),
        now: () => (deps.now ? deps.now() : new Date()),
        async chainSeed(cardId: string) {
            if (!deps.seeds) throw new Error('GATEWAY_CONFIG_INVALID: this gateway holds no minority chain secret');
            return deps.seeds.chainSeed(cardId);
        },
        async block(blockNumber: bigint) {
            const info = await deps.fabric.chainInfo(app.identity);
            if (blockNumber >= BigInt(info.height)) {
                throw new ProblemError({
                    status: 404,
                    code: 'BLOCK_NOT_FOUND',
                    title: 'Not found',
                    detail: `block ${blockNumber} is not on the ledger (height ${info.height})`,
                });
            }
            return deps.fabric.block(app.identity, blockNumber);
        },
        async submit<T>(fn: string, arg: object, opts: { transient?: Record<string, Uint8Array>; endorsingOrgs?: string[] } = {}) {
            const req: SubmitRequest = { fn, args: [JSON.stringify(arg)], transient: opts.transient, endorsingOrgs: opts.endorsingOrgs };
            const resume = state.resume;
            if (resume && resume.fn === fn) {
                state.resume = undefined;
                state.prepared = true;
                try {
                    // The first attempt was endorsed before a crash or an unknown outcome: finish THAT transaction.
                    const r = await deps.fabric.resume(resume.identity, resume.prepared);
                    log.info('resumed prepared transaction', { fn, transactionId: r.transactionId });
                    return { result: decode<T>(r.result), transactionId: r.transactionId, blockNumber: r.blockNumber.toString() };
                } catch (err) {
                    // A conflict invalidated it without changing state: a new proposal is safe.
                    if (!isConflict(err)) throw err;
                }
            }
            const r = await deps.fabric.submit(app.identity, req, {
                onPrepared: async (tx) => {
                    // Another replica took the key over (this one was taken for dead): it resumes or starts anew, this one sends nothing.
                    if (idemKey && !(await deps.idempotency.prepared(app.appId, idemKey, fn, tx))) throw claimLost();
                    state.prepared = true;
                },
            });
            return { result: decode<T>(r.result), transactionId: r.transactionId, blockNumber: r.blockNumber.toString() };
        },
    };
}

const inFlight = (detail: string): ProblemError =>
    new ProblemError({ status: 409, code: 'IDEMPOTENCY_IN_FLIGHT', title: 'Request in progress', detail, retryAfterSeconds: 1 });

const claimLost = (): ProblemError =>
    inFlight('another gateway replica took this Idempotency-Key over while this one endorsed; retry: that replica answers');

function sendJson(res: Response, status: number, body: unknown): void {
    res.status(status).json(body);
}

export function dispatcher(spec: RouteSpec, deps: DispatchDeps): RequestHandler {
    return async (req: Request, res: Response) => {
        const app = appOf(res);
        const requestId = requestIdOf(res);
        const params = spec.params ? validateInto(spec.params, { ...req.params }, 'path') : {};
        const rawQuery = req.query as Record<string, unknown>;
        if (!spec.query && Object.keys(rawQuery).length > 0) {
            throw badRequest(
                Object.keys(rawQuery).map((k) => ({
                    field: `query.${k}`,
                    constraints: { whitelistValidation: `query parameter ${k} is not accepted by this route` },
                })),
            );
        }
        const query = spec.query ? validateInto(spec.query, { ...rawQuery }, 'query') : {};
        let body: unknown = {};
        if (spec.method !== 'get') {
            // A body was sent (is() is null without one; an empty one, Content-Length: 0, is none either) in another media type.
            if (req.get('Content-Length') !== '0' && req.is(['application/json', 'application/*+json']) === false) {
                throw new ProblemError({
                    status: 415,
                    code: 'UNSUPPORTED_MEDIA_TYPE',
                    title: 'Unsupported media type',
                    detail: 'send the body as application/json',
                });
            }
            const raw = req.body ?? {};
            const cls =
                spec.bodyAlternatives && raw && typeof raw === 'object' && !Array.isArray(raw)
                    ? spec.bodyAlternatives.pick(raw as Record<string, unknown>)
                    : spec.body;
            if (!cls || cls === EmptyBody) {
                // Nothing is accepted: an object without members.
                if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
                    throw badRequest([{ field: 'body', constraints: { isObject: 'body must be a JSON object' } }]);
                const extra = Object.keys(raw);
                if (extra.length)
                    throw badRequest(
                        extra.map((k) => ({ field: `body.${k}`, constraints: { whitelistValidation: `property ${k} should not exist` } })),
                    );
                body = {};
            } else {
                body = validateInto(cls, raw, 'body');
            }
        }
        const idemKey = req.get('Idempotency-Key');
        if (idemKey !== undefined && (spec.method === 'get' || !IDEMPOTENCY_KEY_PATTERN.test(idemKey))) {
            throw badRequest([
                {
                    field: 'header.Idempotency-Key',
                    constraints: {
                        matches:
                            spec.method === 'get'
                                ? 'Idempotency-Key is accepted on POST and PUT only'
                                : `Idempotency-Key must match ${IDEMPOTENCY_KEY_PATTERN.source}`,
                    },
                },
            ]);
        }
        const state: ContextState = { prepared: false };
        if (idemKey) {
            const begun = await deps.idempotency.begin(
                app.appId,
                idemKey,
                requestHash(req.method, req.path, req.body ?? null),
                app.identity,
            );
            switch (begun.kind) {
                case 'mismatch':
                    throw new ProblemError({
                        status: 422,
                        code: 'IDEMPOTENCY_KEY_REUSED',
                        title: 'Idempotency key reused',
                        detail: 'this Idempotency-Key was used with a different request',
                    });
                case 'in-flight':
                    throw inFlight('a request with this Idempotency-Key is still being processed; retry later');
                case 'replay': {
                    res.set('Idempotent-Replayed', 'true');
                    const stored = begun.response;
                    if (spec.replay && stored.status < 300) {
                        const ctx = makeContext(deps, app, requestId, undefined, { prepared: false });
                        const out = await spec.replay(ctx, stored.body);
                        sendJson(res, out.status ?? stored.status, out.body);
                    } else if (stored.status >= 400) {
                        res.status(stored.status).type('application/problem+json').send(JSON.stringify(stored.body));
                    } else {
                        sendJson(res, stored.status, stored.body);
                    }
                    return;
                }
                case 'resume':
                    state.resume = { identity: begun.identity, fn: begun.fn, prepared: begun.prepared };
                    break;
                case 'new':
                    break;
            }
        }
        const ctx = makeContext(deps, app, requestId, idemKey, state);
        try {
            const out = await spec.handle(ctx, { params, query, body });
            const status = out.status ?? spec.success.status;
            if (idemKey)
                await deps.idempotency.complete(app.appId, idemKey, { status, body: spec.toStored ? spec.toStored(out.body) : out.body });
            sendJson(res, status, out.body);
        } catch (err) {
            const problem = toProblem(err);
            if (idemKey) {
                if (problem.status < 500) {
                    await deps.idempotency.complete(app.appId, idemKey, {
                        status: problem.status,
                        body: problem.toProblem(req.originalUrl, requestId),
                    });
                } else if (state.prepared || state.resume || err instanceof OutcomeUnknownError) {
                    // A signed transaction exists and may commit: the next retry resumes it, never a new one.
                    await deps.idempotency.abandon(app.appId, idemKey);
                } else {
                    await deps.idempotency.release(app.appId, idemKey);
                }
            }
            throw problem.status >= 500 && !(err instanceof ProblemError) ? Object.assign(problem, { cause: err }) : problem;
        }
    };
}
