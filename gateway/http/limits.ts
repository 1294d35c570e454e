// Request limits of one gateway: a weighted token bucket per API key (a submit costs more than a
// read), a bucket per client address for requests without a valid key, and a cap on the event
// streams one key holds open. The buckets are the store's (gateway/store): in the process on SQLite,
// in the database on PostgreSQL, so that replicas behind a load balancer share one limit per key.
// The stream cap stays per process (a stream is a connection to one replica).
import type { Request, RequestHandler, Response } from 'express';
import { ProblemError } from '../errors';
import type { RateLimiter } from '../store/store';

export interface RequestLimits {
    /** Each API key has `max` tokens, refilled evenly over `windowMs`; a request costs its route's weight. */
    windowMs: number;
    max: number;
    /** Weights by operationId; routes not named cost 1 (GET) or 5 (POST, PUT, the event stream). */
    weights: Record<string, number>;
    /** Requests without a valid API key per client address per window (/healthz and /readyz are free). */
    anonymousMax: number;
    /** Event streams one API key may hold open at once. */
    streamsPerKey: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
    windowMs: 60_000,
    // 50 reads or 10 transactions a second per app, sustained; a minute's worth as a burst.
    max: 3_000,
    // Two transactions each (private record then public card; purge then confirmation).
    weights: { issueCard: 10, eraseCard: 10 },
    anonymousMax: 300,
    streamsPerKey: 4,
};

/** The cost of one request of a route under these limits. */
export function routeWeight(limits: RequestLimits, operationId: string, method: string): number {
    return limits.weights[operationId] ?? (method === 'get' ? 1 : 5);
}

export const rateLimited = (detail: string, retryAfterSeconds: number): ProblemError =>
    new ProblemError({ status: 429, code: 'RATE_LIMITED', title: 'Too many requests', detail, retryAfterSeconds });

/** Charges the calling app (res.locals.app) the route's weight. */
export function perKeyLimit(buckets: RateLimiter, weight: number): RequestHandler {
    return async (_req: Request, res: Response, next) => {
        const appId = (res.locals.app as { appId: string }).appId;
        const wait = await buckets.take(appId, weight);
        if (wait) return next(rateLimited('the rate limit of this API key is exceeded', wait));
        next();
    };
}

/** The client address of a request without a valid key (no proxy is trusted: the socket's peer). */
export const clientAddress = (req: Request): string => req.socket.remoteAddress ?? 'unknown';

/** Open event streams per app; a reservation is taken before the stream is authorized and given back when it ends. */
export class StreamQuota {
    readonly #open = new Map<string, number>();
    constructor(readonly perKey: number) {}

    /** A release function, or a 429 problem when the app holds `perKey` streams already. */
    reserve(appId: string): () => void {
        const n = this.#open.get(appId) ?? 0;
        if (n >= this.perKey) {
            throw new ProblemError({
                status: 429,
                code: 'TOO_MANY_STREAMS',
                title: 'Too many open streams',
                detail: `this API key holds ${n} open event streams, the most allowed; close one first`,
                retryAfterSeconds: 5,
            });
        }
        this.#open.set(appId, n + 1);
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const left = (this.#open.get(appId) ?? 1) - 1;
            if (left > 0) this.#open.set(appId, left);
            else this.#open.delete(appId);
        };
    }
}
