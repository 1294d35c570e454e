// The gateway's state in a PostgreSQL database that several replicas of one org's gateway share
// (GATEWAY_DATABASE_URL), through `pg`, the pure-JavaScript client (no native binding). Every
// decision two replicas could race on is one statement or one transaction holding the row's lock:
// an Idempotency-Key is claimed by an insert that a unique key lets only one replica win (the
// others read the winner's row under FOR UPDATE), a token bucket is one upsert, a session is
// touched or taken by one UPDATE/DELETE ... RETURNING. Times are the database's clock, so replicas
// whose clocks differ still agree on leases, TTLs and refills.
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import pg from 'pg';
import { ProblemError } from '../errors';
import type { PreparedTransaction } from '../fabric/types';
import { newSessionId } from './memory';
import {
    type AppRow,
    type BeginResult,
    type Checkpoint,
    type Claim,
    type ClaimedRow,
    decideClaim,
    type GatewayStore,
    pidAlive,
    type RateLimiter,
    type SessionMap,
    type StoredResponse,
    waitSeconds,
} from './store';

/** The database's clock in milliseconds since the epoch. */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

// One lock id for the schema: replicas starting at once create it one after the other.
const SCHEMA_LOCK = 0x6761_7465;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS apps (
    app_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    msp_id TEXT NOT NULL,
    identity TEXT NOT NULL,
    role TEXT NOT NULL,
    dept TEXT,
    key_id TEXT NOT NULL UNIQUE,
    key_hash BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    app_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    owner TEXT NOT NULL,
    identity TEXT NOT NULL,
    tx_fn TEXT,
    tx_id TEXT,
    tx_bytes BYTEA,
    tx_result BYTEA,
    status INTEGER,
    response TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, idem_key)
);
CREATE TABLE IF NOT EXISTS replicas (
    owner TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    name TEXT PRIMARY KEY,
    block_number TEXT,
    transaction_id TEXT,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_buckets (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    tokens DOUBLE PRECISION NOT NULL,
    at BIGINT NOT NULL,
    window_ms BIGINT NOT NULL,
    granted BOOLEAN NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (name, id)
);
`;

// BIGINT columns come back as numbers (milliseconds and pids fit in a double), not strings.
const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The host and database of a URL, for logs: never its user or password. */
export function describeUrl(url: string): string {
    try {
        const u = new URL(url);
        return `postgres://${u.host}${u.pathname}`;
    } catch {
        return 'postgres://(unparsable url)';
    }
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/**
 * The database is out of reach, not the statement wrong: no SQLSTATE (the socket failed, the pool
 * timed out), connection exceptions (08), insufficient resources (53), operator intervention (57:
 * shutdown, restart). The request is answered 503 with Retry-After, as when the peer does not answer.
 */
export function unreachable(err: unknown): ProblemError | undefined {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57)/.test(code)) return undefined;
    return new ProblemError({
        status: 503,
        code: 'DATABASE_UNAVAILABLE',
        title: 'Service unavailable',
        detail: "the gateway's database does not answer; retry (with the same Idempotency-Key)",
        retryAfterSeconds: 2,
    });
}

export class PostgresStore implements GatewayStore {
    readonly kind = 'postgres';
    readonly where: string;
    readonly #pool: pg.Pool;
    readonly #live = { host: os.hostname(), pidAlive };

    private constructor(url: string, max: number) {
        this.where = describeUrl(url);
        this.#pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000 });
        // An idle client's error (the server restarted) must not end the process; the next query reconnects.
        this.#pool.on('error', () => undefined);
    }

    /** Connects and creates the tables (once, under an advisory lock, whichever replica comes first). */
    static async open(url: string, opts: { poolSize?: number } = {}): Promise<PostgresStore> {
        const store = new PostgresStore(url, opts.poolSize ?? 10);
        try {
            await store.#transaction(async (c) => {
                await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
                await c.query(SCHEMA);
            });
        } catch (err) {
            await store.#pool.end();
            throw new Error(`GATEWAY_DATABASE_UNAVAILABLE: ${store.where}: ${(err as Error).message}`);
        }
        return store;
    }

    async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
        try {
            return await this.#pool.query<R>(sql, params);
        } catch (err) {
            throw unreachable(err) ?? err;
        }
    }

    async #transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
        const c = await this.#pool.connect().catch((err) => {
            throw unreachable(err) ?? err;
        });
        try {
            await c.query('BEGIN');
            const result = await fn(c);
            await c.query('COMMIT');
            return result;
        } catch (err) {
            await c.query('ROLLBACK').catch(() => undefined);
            throw unreachable(err) ?? err;
        } finally {
            c.release();
        }
    }

    // ---- apps ----
    async insertApp(r: AppRow): Promise<void> {
        try {
            await this.#query(
                `INSERT INTO apps (app_id, name, msp_id, identity, role, dept, key_id, key_hash, created_at, disabled_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
                [r.app_id, r.name, r.msp_id, r.identity, r.role, r.dept, r.key_id, Buffer.from(r.key_hash), r.created_at, r.disabled_at],
            );
        } catch (err) {
            if (isUniqueViolation(err)) throw new Error(`APP_EXISTS: an app named ${r.name} exists`);
            throw err;
        }
    }

    async setAppKey(name: string, keyId: string, keyHash: Uint8Array): Promise<boolean> {
        const r = await this.#query('UPDATE apps SET key_id = $1, key_hash = $2 WHERE name = $3 AND disabled_at IS NULL', [
            keyId,
            Buffer.from(keyHash),
            name,
        ]);
        return r.rowCount === 1;
    }

    async disableApp(name: string, at: string): Promise<boolean> {
        const r = await this.#query('UPDATE apps SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL', [at, name]);
        return r.rowCount === 1;
    }

    async listApps(): Promise<AppRow[]> {
        return (await this.#query<AppRow>('SELECT * FROM apps WHERE disabled_at IS NULL ORDER BY name')).rows;
    }

    async activeApp(by: 'name' | 'key_id', value: string): Promise<AppRow | undefined> {
        const sql =
            by === 'name'
                ? 'SELECT * FROM apps WHERE name = $1 AND disabled_at IS NULL'
                : 'SELECT * FROM apps WHERE key_id = $1 AND disabled_at IS NULL';
        return (await this.#query<AppRow>(sql, [value])).rows[0];
    }

    // ---- idempotency ----
    async claim(c: Claim): Promise<BeginResult> {
        for (let attempt = 0; attempt < 5; attempt++) {
            // The common case, a key never seen: one statement, and the unique key lets one replica win.
            const inserted = await this.#query(
                `INSERT INTO idempotency (app_id, idem_key, request_hash, state, owner, identity, created_at, updated_at)
                      VALUES ($1, $2, $3, 'pending', $4, $5, ${NOW}, ${NOW}) ON CONFLICT (app_id, idem_key) DO NOTHING`,
                [c.appId, c.key, c.hash, c.owner, c.identity],
            );
            if (inserted.rowCount === 1) return { kind: 'new' };
            // Someone holds the key: decide on its row, locked, so that one replica at most takes it over.
            const decided = await this.#transaction(async (t) => {
                const { rows } = await t.query<ClaimedRow & { db_now: number }>(
                    `SELECT i.*, r.heartbeat_at, r.host, r.pid, ${NOW} AS db_now
                       FROM idempotency i LEFT JOIN replicas r ON r.owner = i.owner
                      WHERE i.app_id = $1 AND i.idem_key = $2 FOR UPDATE OF i`,
                    [c.appId, c.key],
                );
                const row = rows[0];
                if (!row) return undefined; // released meanwhile: insert again
                const { result, write } = decideClaim(row, c, row.db_now, this.#live);
                if (write === 'replace') {
                    await t.query(
                        `UPDATE idempotency SET request_hash = $3, state = 'pending', owner = $4, identity = $5, tx_fn = NULL, tx_id = NULL,
                                tx_bytes = NULL, tx_result = NULL, status = NULL, response = NULL, created_at = ${NOW}, updated_at = ${NOW}
                          WHERE app_id = $1 AND idem_key = $2`,
                        [c.appId, c.key, c.hash, c.owner, c.identity],
                    );
                } else if (write === 'take-over') {
                    await t.query(`UPDATE idempotency SET owner = $3, updated_at = ${NOW} WHERE app_id = $1 AND idem_key = $2`, [
                        c.appId,
                        c.key,
                        c.owner,
                    ]);
                }
                return result;
            });
            if (decided) return decided;
        }
        throw new Error(`IDEMPOTENCY_CLAIM_FAILED: the record of key ${c.key} kept changing`);
    }

    async recordPrepared(appId: string, key: string, owner: string, fn: string, tx: PreparedTransaction): Promise<boolean> {
        const r = await this.#query(
            `UPDATE idempotency SET tx_fn = $4, tx_id = $5, tx_bytes = $6, tx_result = $7, updated_at = ${NOW}
              WHERE app_id = $1 AND idem_key = $2 AND owner = $3 AND state = 'pending'`,
            [appId, key, owner, fn, tx.transactionId, Buffer.from(tx.bytes), Buffer.from(tx.result)],
        );
        return r.rowCount === 1;
    }

    async complete(appId: string, key: string, owner: string, response: StoredResponse): Promise<void> {
        await this.#query(
            `UPDATE idempotency SET state = 'done', status = $4, response = $5, tx_bytes = NULL, updated_at = ${NOW}
              WHERE app_id = $1 AND idem_key = $2 AND owner = $3 AND state = 'pending'`,
            [appId, key, owner, response.status, JSON.stringify(response.body)],
        );
    }

    async release(appId: string, key: string, owner: string): Promise<void> {
        await this.#query(
            `DELETE FROM idempotency WHERE app_id = $1 AND idem_key = $2 AND owner = $3 AND state = 'pending' AND tx_id IS NULL`,
            [appId, key, owner],
        );
    }

    async abandon(appId: string, key: string, owner: string): Promise<void> {
        await this.#query(
            `UPDATE idempotency SET owner = '', updated_at = ${NOW} WHERE app_id = $1 AND idem_key = $2 AND owner = $3 AND state = 'pending'`,
            [appId, key, owner],
        );
    }

    // ---- replicas ----
    async heartbeat(owner: string, host: string, pid: number): Promise<void> {
        await this.#query(
            `INSERT INTO replicas (owner, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, ${NOW}, ${NOW})
              ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
            [owner, host, pid],
        );
    }

    async forgetReplica(owner: string): Promise<void> {
        await this.#query('DELETE FROM replicas WHERE owner = $1', [owner]);
    }

    // ---- secrets, checkpoints ----
    async secret(name: string): Promise<Buffer> {
        await this.#query(`INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, ${NOW}) ON CONFLICT (name) DO NOTHING`, [
            name,
            crypto.randomBytes(32),
        ]);
        const { rows } = await this.#query<{ value: Buffer }>('SELECT value FROM secrets WHERE name = $1', [name]);
        return Buffer.from(rows[0].value);
    }

    async loadCheckpoint(name: string): Promise<Checkpoint | undefined> {
        const { rows } = await this.#query<{ block_number: string | null; transaction_id: string | null }>(
            'SELECT block_number, transaction_id FROM checkpoints WHERE name = $1',
            [name],
        );
        return rows[0] && { blockNumber: rows[0].block_number, transactionId: rows[0].transaction_id };
    }

    async saveCheckpoint(name: string, cp: Checkpoint): Promise<void> {
        await this.#query(
            `INSERT INTO checkpoints (name, block_number, transaction_id, updated_at) VALUES ($1, $2, $3, ${NOW})
              ON CONFLICT (name) DO UPDATE SET block_number = excluded.block_number, transaction_id = excluded.transaction_id,
                                               updated_at = excluded.updated_at`,
            [name, cp.blockNumber, cp.transactionId],
        );
    }

    // ---- shared rate limits and sessions ----
    rateLimiter(name: string, capacity: number, windowMs: number): RateLimiter {
        const perMs = capacity / windowMs;
        return {
            take: async (key: string, cost: number): Promise<number> => {
                // One upsert: the row's lock orders concurrent takes of replicas; the refill is the
                // same arithmetic as takeTokens (store.ts), on the database's clock.
                const refilled = `LEAST($3::float8, b.tokens + GREATEST(0, excluded.at - b.at) * $4::float8)`;
                const { rows } = await this.#query<{ tokens: number; granted: boolean }>(
                    `INSERT INTO rate_buckets AS b (name, key, tokens, at, window_ms, granted)
                          VALUES ($1, $2, CASE WHEN $3::float8 >= $5::float8 THEN $3::float8 - $5::float8 ELSE $3::float8 END,
                                  ${NOW}, $6, $3::float8 >= $5::float8)
                     ON CONFLICT (name, key) DO UPDATE SET
                          tokens = CASE WHEN ${refilled} >= $5::float8 THEN ${refilled} - $5::float8 ELSE ${refilled} END,
                          granted = ${refilled} >= $5::float8,
                          at = excluded.at, window_ms = excluded.window_ms
                     RETURNING tokens, granted`,
                    [name, key, capacity, perMs, cost, windowMs],
                );
                return rows[0].granted ? 0 : waitSeconds(rows[0].tokens, cost, capacity, perMs);
            },
        };
    }

    sessions<T>(name: string, ttlMs: number): SessionMap<T> {
        const parse = (rows: { value: string }[]): T | undefined => (rows[0] ? (JSON.parse(rows[0].value) as T) : undefined);
        // The database keeps a hash of each session id, as of each API key: whoever reads it cannot sign in with it.
        const idHash = (id: string) => crypto.createHash('sha256').update(id).digest('base64url');
        return {
            add: async (value: T): Promise<string> => {
                const id = newSessionId();
                await this.#query(`INSERT INTO sessions (name, id, value, expires_at) VALUES ($1, $2, $3, ${NOW} + $4)`, [
                    name,
                    idHash(id),
                    JSON.stringify(value),
                    ttlMs,
                ]);
                return id;
            },
            touch: async (id: string): Promise<T | undefined> =>
                parse(
                    (
                        await this.#query<{ value: string }>(
                            `UPDATE sessions SET expires_at = ${NOW} + $3 WHERE name = $1 AND id = $2 AND expires_at > ${NOW} RETURNING value`,
                            [name, idHash(id), ttlMs],
                        )
                    ).rows,
                ),
            take: async (id: string): Promise<T | undefined> =>
                parse(
                    (
                        await this.#query<{ value: string }>(
                            `DELETE FROM sessions WHERE name = $1 AND id = $2 AND expires_at > ${NOW} RETURNING value`,
                            [name, idHash(id)],
                        )
                    ).rows,
                ),
        };
    }

    async sweep(ttlMs: number): Promise<number> {
        await this.#query(`DELETE FROM replicas WHERE heartbeat_at < ${NOW} - 86400000`);
        await this.#query(`DELETE FROM sessions WHERE expires_at <= ${NOW}`);
        // A bucket idle for its whole window is full again: the same as no row.
        await this.#query(`DELETE FROM rate_buckets WHERE at + window_ms < ${NOW}`);
        const r = await this.#query(`DELETE FROM idempotency WHERE state = 'done' AND updated_at < ${NOW} - $1`, [ttlMs]);
        return r.rowCount ?? 0;
    }

    async ping(): Promise<void> {
        await this.#query('SELECT 1');
    }

    async close(): Promise<void> {
        await this.#pool.end();
    }
}
