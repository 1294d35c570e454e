// Idempotency-Key records, per app, in the gateway's store (SQLite, or PostgreSQL shared by
// replicas): the same key with the same request returns the first answer and never makes a second
// transaction, also after a restart and on another replica; the same key with another request is
// refused (422); the same key while the first is still running on a live process is refused (409).
// Once a transaction is endorsed its signed bytes are stored, so a request whose process died
// before the answer is completed with THE SAME transaction (resume), never a new one.
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import type { PreparedTransaction } from '../fabric/types';
import type { BeginResult, GatewayStore, StoredResponse } from '../store/store';

export type { BeginResult, StoredResponse } from '../store/store';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;

/** sha-256 of the method, the route and the canonical body: "the same request". */
export function requestHash(method: string, path: string, body: unknown): string {
    return crypto
        .createHash('sha256')
        .update(`${method} ${path}\n${stableJson(body)}`)
        .digest('hex');
}

function stableJson(v: unknown): string {
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
        .join(',')}}`;
}

export class IdempotencyStore {
    readonly #store: GatewayStore;
    /** This process: a pending record owned by another, dead process is resumed, not refused. */
    readonly owner: string;
    readonly #ttlMs: number;
    readonly #leaseMs: number;
    readonly #onError: (what: string, err: Error) => void;
    readonly #retryMs: number;
    #heartbeat?: NodeJS.Timeout;
    /** Writes that failed (the database did not answer) and are being tried again. */
    readonly unsettled = new Set<string>();

    constructor(
        store: GatewayStore,
        opts: { ttlMs: number; owner?: string; leaseMs?: number; onError?: (what: string, err: Error) => void; retryMs?: number },
    ) {
        this.#store = store;
        this.#ttlMs = opts.ttlMs;
        this.#leaseMs = opts.leaseMs ?? 15_000;
        this.#onError = opts.onError ?? (() => undefined);
        this.#retryMs = opts.retryMs ?? 1_000;
        this.owner = opts.owner ?? `${process.pid}-${crypto.randomUUID()}`;
    }

    /**
     * Writes the end of a request's record. When the store fails, the write is tried again in the
     * background (after retryMs, 1 s, doubling to 30 s) instead of failing the request: meanwhile the record stays
     * pending under this live process, so a retry is told 409 and then gets the answer, never a
     * second transaction.
     */
    async #settle(what: string, appId: string, key: string, write: () => Promise<void>): Promise<void> {
        try {
            await write();
            return;
        } catch (err) {
            this.#onError(`idempotency ${what}`, err as Error);
        }
        const id = `${appId}\u0000${key}`;
        this.unsettled.add(id);
        const again = (delayMs: number) => {
            setTimeout(() => {
                write().then(
                    () => this.unsettled.delete(id),
                    (err) => {
                        this.#onError(`idempotency ${what} (again)`, err as Error);
                        again(Math.min(delayMs * 2, Math.max(30_000, this.#retryMs)));
                    },
                );
            }, delayMs).unref();
        };
        again(this.#retryMs);
    }

    /** Announces this process to the other replicas, again every third of the lease (a no-op on SQLite). */
    async start(onError: (err: Error) => void = () => undefined): Promise<void> {
        const beat = () => this.#store.heartbeat(this.owner, os.hostname(), process.pid);
        await beat();
        this.#heartbeat = setInterval(() => beat().catch(onError), Math.max(100, Math.floor(this.#leaseMs / 3)));
        this.#heartbeat.unref();
    }

    /** Stops the heartbeat and leaves: this process's records still pending are taken over at once. */
    async stop(): Promise<void> {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
        await this.#store.forgetReplica(this.owner);
    }

    /** Claims the key for this request, atomically (one winner among the processes sharing the store). */
    begin(appId: string, key: string, hash: string, identity: string): Promise<BeginResult> {
        return this.#store.claim({ appId, key, hash, identity, owner: this.owner, ttlMs: this.#ttlMs, leaseMs: this.#leaseMs });
    }

    /**
     * Records the endorsed, signed transaction before it is sent: a crash after this point resumes it.
     * False when this process no longer holds the key (another replica took it over): send nothing.
     */
    prepared(appId: string, key: string, fn: string, tx: PreparedTransaction): Promise<boolean> {
        return this.#store.recordPrepared(appId, key, this.owner, fn, tx);
    }

    /** Stores the final answer (success or a definitive refusal). */
    complete(appId: string, key: string, response: StoredResponse): Promise<void> {
        return this.#settle('complete', appId, key, () => this.#store.complete(appId, key, this.owner, response));
    }

    /** Forgets the key: nothing reached the ledger (validation refused, Fabric unavailable before endorsement). */
    release(appId: string, key: string): Promise<void> {
        return this.#settle('release', appId, key, () => this.#store.release(appId, key, this.owner));
    }

    /** Leaves the record pending with its transaction but unowned, so the next retry resumes it. */
    abandon(appId: string, key: string): Promise<void> {
        return this.#settle('abandon', appId, key, () => this.#store.abandon(appId, key, this.owner));
    }

    /** Drops finished records older than the TTL (and the store's expired sessions and idle buckets). */
    sweep(): Promise<number> {
        return this.#store.sweep(this.#ttlMs);
    }
}
