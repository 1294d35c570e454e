// State kept in the gateway process, for the SQLite backend (one process per database file): the
// rate limits' token buckets and the web UIs' sessions. A restart forgets them (a full bucket, a
// sign-in again); with PostgreSQL replicas share them in the database instead (postgres.ts).
import * as crypto from 'node:crypto';
import { type Bucket, type RateLimiter, type SessionMap, takeTokens } from './store';

/** Token buckets by key, refilled continuously; full buckets are forgotten when the map grows. */
export class TokenBuckets implements RateLimiter {
    readonly #buckets = new Map<string, Bucket>();
    constructor(
        readonly capacity: number,
        readonly windowMs: number,
        readonly now: () => number = Date.now,
        readonly maxEntries = 100_000,
    ) {}

    /** Takes `cost` tokens of `key`: 0 when granted, else the whole seconds until they would be there. */
    takeNow(key: string, cost: number): number {
        const at = this.now();
        const { bucket, wait } = takeTokens(this.#buckets.get(key), cost, this.capacity, this.windowMs, at);
        if (!wait && !this.#buckets.has(key) && this.#buckets.size >= this.maxEntries) this.#forgetFull(at);
        this.#buckets.set(key, bucket);
        return wait;
    }

    async take(key: string, cost: number): Promise<number> {
        return this.takeNow(key, cost);
    }

    #forgetFull(at: number): void {
        for (const [key, b] of [...this.#buckets]) {
            if (takeTokens(b, 0, this.capacity, this.windowMs, at).bucket.tokens >= this.capacity) this.#buckets.delete(key);
        }
    }
}

/** Values with an idle timeout and a size bound (sessions and pending challenges). */
export class ExpiringMap<T> implements SessionMap<T> {
    readonly #entries = new Map<string, { value: T; expiresAt: number }>();
    constructor(
        readonly ttlMs: number,
        readonly max = 10_000,
        readonly now: () => number = Date.now,
    ) {}

    addNow(value: T): string {
        if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value as string);
        const id = newSessionId();
        this.#entries.set(id, { value, expiresAt: this.now() + this.ttlMs });
        return id;
    }

    touchNow(id: string): T | undefined {
        const e = this.#entries.get(id);
        if (!e) return undefined;
        if (e.expiresAt <= this.now()) {
            this.#entries.delete(id);
            return undefined;
        }
        e.expiresAt = this.now() + this.ttlMs;
        return e.value;
    }

    takeNow(id: string): T | undefined {
        const value = this.touchNow(id);
        this.#entries.delete(id);
        return value;
    }

    async add(value: T): Promise<string> {
        return this.addNow(value);
    }
    async touch(id: string): Promise<T | undefined> {
        return this.touchNow(id);
    }
    async take(id: string): Promise<T | undefined> {
        return this.takeNow(id);
    }
}

/** 24 random bytes, url-safe: a session's or a challenge's id. */
export const newSessionId = (): string => crypto.randomBytes(24).toString('base64url');
