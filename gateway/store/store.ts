// The gateway's state behind one asynchronous interface, with two backends: the embedded SQLite
// file (node:sqlite, the default: one gateway process per file) and a PostgreSQL database that
// several replicas of one org's gateway share (GATEWAY_DATABASE_URL). What the backends share is
// here: the rows, the idempotency claim's decision and the token bucket's arithmetic, so both
// decide alike; each backend only makes the decision atomic its own way.
import type { PreparedTransaction } from '../fabric/types';

export interface AppRow {
    app_id: string;
    name: string;
    msp_id: string;
    identity: string;
    role: string;
    dept: string | null;
    key_id: string;
    key_hash: Uint8Array;
    created_at: string;
    disabled_at: string | null;
}

export interface StoredResponse {
    status: number;
    body: unknown;
}

export type BeginResult =
    | { kind: 'new' }
    | { kind: 'replay'; response: StoredResponse }
    | { kind: 'resume'; identity: string; fn: string; prepared: PreparedTransaction }
    | { kind: 'in-flight' }
    | { kind: 'mismatch' };

/** One request's claim of an Idempotency-Key. */
export interface Claim {
    appId: string;
    key: string;
    hash: string;
    identity: string;
    /** The claiming process (IdempotencyStore.owner). */
    owner: string;
    /** Finished records older than this are forgotten (the key may be used anew). */
    ttlMs: number;
    /** A replica whose heartbeat is older than this is taken for dead. */
    leaseMs: number;
}

/** An idempotency record as a claim reads it, with what is known of its owner's liveness. */
export interface ClaimedRow {
    request_hash: string;
    state: 'pending' | 'done';
    owner: string;
    identity: string;
    tx_fn: string | null;
    tx_id: string | null;
    tx_bytes: Uint8Array | null;
    tx_result: Uint8Array | null;
    status: number | null;
    response: string | null;
    updated_at: number;
    /** The owner's replica row (null: never registered, or stopped cleanly). */
    heartbeat_at: number | null;
    host: string | null;
    pid: number | null;
}

/** What a claim writes: nothing, a fresh pending record, or the existing record taken over. */
export type ClaimWrite = 'none' | 'insert' | 'replace' | 'take-over';

/** Replica of this host and pid: the process is known dead at once when its pid is gone. */
export interface Liveness {
    host: string;
    pidAlive(pid: number): boolean;
}

/**
 * The rule of an Idempotency-Key, whatever the backend: the same request gets the first answer,
 * another request under the same key is refused, a request still running (its owner alive) is
 * refused; a pending record whose owner died is taken over, resuming its signed transaction if
 * it has one. `now` is the clock the owner's heartbeat was written with.
 */
export function decideClaim(
    row: ClaimedRow | undefined,
    c: Claim,
    now: number,
    live: Liveness,
): { result: BeginResult; write: ClaimWrite } {
    if (!row) return { result: { kind: 'new' }, write: 'insert' };
    if (row.state === 'done' && now - row.updated_at > c.ttlMs) return { result: { kind: 'new' }, write: 'replace' };
    if (row.request_hash !== c.hash) return { result: { kind: 'mismatch' }, write: 'none' };
    if (row.state === 'done') {
        return {
            result: { kind: 'replay', response: { status: row.status ?? 200, body: JSON.parse(row.response ?? 'null') } },
            write: 'none',
        };
    }
    if (row.owner === c.owner || ownerAlive(row, now, c.leaseMs, live)) return { result: { kind: 'in-flight' }, write: 'none' };
    // Pending and orphaned (its process is gone, or it gave up on an unknown outcome).
    if (row.tx_id && row.tx_bytes) {
        return {
            result: {
                kind: 'resume',
                identity: row.identity,
                fn: row.tx_fn ?? '',
                prepared: {
                    transactionId: row.tx_id,
                    bytes: new Uint8Array(row.tx_bytes),
                    result: new Uint8Array(row.tx_result ?? Buffer.alloc(0)),
                },
            },
            write: 'take-over',
        };
    }
    // Nothing was endorsed: nothing can have reached the ledger; start afresh.
    return { result: { kind: 'new' }, write: 'take-over' };
}

/** Whether a process of this host with this pid exists (signal 0 checks without sending). */
export function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
}

function ownerAlive(row: ClaimedRow, now: number, leaseMs: number, live: Liveness): boolean {
    if (row.owner === '' || row.heartbeat_at === null) return false;
    if (now - row.heartbeat_at > leaseMs) return false;
    // A process of this host whose pid is gone died: no need to wait for its lease to run out.
    if (row.host === live.host && row.pid !== null && !live.pidAlive(row.pid)) return false;
    return true;
}

/** A token bucket's state: `tokens` at time `at` (ms), refilled by `capacity` per `windowMs`. */
export interface Bucket {
    tokens: number;
    at: number;
}

/**
 * Takes `cost` tokens from a bucket at `now`: the bucket afterwards, and 0 when granted, else the
 * whole seconds until the tokens would be there (at least 1).
 */
export function takeTokens(
    b: Bucket | undefined,
    cost: number,
    capacity: number,
    windowMs: number,
    now: number,
): { bucket: Bucket; wait: number } {
    const perMs = capacity / windowMs;
    const tokens = b ? Math.min(capacity, b.tokens + Math.max(0, now - b.at) * perMs) : capacity;
    if (tokens < cost) return { bucket: { tokens, at: now }, wait: waitSeconds(tokens, cost, capacity, perMs) };
    return { bucket: { tokens: tokens - cost, at: now }, wait: 0 };
}

export const waitSeconds = (tokens: number, cost: number, capacity: number, perMs: number): number =>
    Math.max(1, Math.ceil((Math.min(cost, capacity) - tokens) / perMs / 1000));

/** Token buckets by key (per API key, per client address): take() answers 0 when granted, else seconds to wait. */
export interface RateLimiter {
    take(key: string, cost: number): Promise<number>;
}

/** Values under random ids with an idle timeout (the web UIs' sessions and sign-in challenges). */
export interface SessionMap<T> {
    /** Stores value under a new random id and returns the id. */
    add(value: T): Promise<string>;
    /** The value, its idle time restarted; undefined when unknown or expired. */
    touch(id: string): Promise<T | undefined>;
    /** The value, removed (one use); undefined when unknown or expired. */
    take(id: string): Promise<T | undefined>;
}

export interface Checkpoint {
    blockNumber: string | null;
    transactionId: string | null;
}

/** Everything the gateway keeps: both backends implement it. */
export interface GatewayStore {
    readonly kind: 'sqlite' | 'postgres';
    /** Where the state is, for logs (a file, or the database's host and name: never a password). */
    readonly where: string;

    // ---- apps and their API key hashes ----
    /** Stores an app; APP_EXISTS when the name is taken. */
    insertApp(row: AppRow): Promise<void>;
    /** Replaces an active app's key; false when there is no such app. */
    setAppKey(name: string, keyId: string, keyHash: Uint8Array): Promise<boolean>;
    disableApp(name: string, at: string): Promise<boolean>;
    /** Active apps by name. */
    listApps(): Promise<AppRow[]>;
    activeApp(by: 'name' | 'key_id', value: string): Promise<AppRow | undefined>;

    // ---- idempotency records (idempotency/store.ts says what they mean) ----
    /** Reads and, by decideClaim, writes the key's record atomically: one winner among replicas. */
    claim(c: Claim): Promise<BeginResult>;
    /** Records the endorsed, signed transaction; false when `owner` no longer holds the claim (nothing may be submitted). */
    recordPrepared(appId: string, key: string, owner: string, fn: string, tx: PreparedTransaction): Promise<boolean>;
    complete(appId: string, key: string, owner: string, response: StoredResponse): Promise<void>;
    /** Forgets a pending record of `owner` that has no transaction. */
    release(appId: string, key: string, owner: string): Promise<void>;
    /** Leaves a pending record of `owner` unowned, so the next retry resumes it. */
    abandon(appId: string, key: string, owner: string): Promise<void>;

    // ---- replicas: a pending record of a live replica is not taken over ----
    heartbeat(owner: string, host: string, pid: number): Promise<void>;
    forgetReplica(owner: string): Promise<void>;

    // ---- secrets, event checkpoints ----
    /** A 32-byte secret made at first use; every replica sharing the database reads the same. */
    secret(name: string): Promise<Buffer>;
    loadCheckpoint(name: string): Promise<Checkpoint | undefined>;
    saveCheckpoint(name: string, cp: Checkpoint): Promise<void>;

    // ---- rate limits and sessions: in the process on SQLite, shared by replicas on PostgreSQL ----
    rateLimiter(name: string, capacity: number, windowMs: number): RateLimiter;
    sessions<T>(name: string, ttlMs: number, max?: number): SessionMap<T>;

    /** Drops finished idempotency records older than ttlMs, expired sessions, idle buckets, replicas gone a day; the records dropped. */
    sweep(ttlMs: number): Promise<number>;
    /** Throws unless the database answers (readiness). */
    ping(): Promise<void>;
    close(): Promise<void>;
}
