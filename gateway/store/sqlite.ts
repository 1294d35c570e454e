// The gateway's embedded database, the default backend: Node's built-in SQLite (node:sqlite) in
// one file, WAL mode so the admin CLI can add apps while the gateway runs. Its statements are
// synchronous; the request path's writes (idempotency records, checkpoints, secrets, the sweep) are
// group-committed: those of one turn of the event loop run in one BEGIN IMMEDIATE transaction, each
// in its own savepoint, and each write's promise settles once that transaction is durable, so
// concurrent requests share one fsync instead of paying one each. Rate limits and sessions stay in
// the process (memory.ts): one gateway process serves one file.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { PreparedTransaction } from '../fabric/types';
import { ExpiringMap, TokenBuckets } from './memory';
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
} from './store';

/** node:sqlite's database, closed at most once: a second close() does nothing, as better-sqlite3's. */
export class Database extends DatabaseSync {
    override close(): void {
        if (this.isOpen) super.close();
    }
}

export type Db = Database;

const MIGRATIONS: string[] = [
    `CREATE TABLE IF NOT EXISTS apps (
        app_id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        msp_id TEXT NOT NULL,
        identity TEXT NOT NULL,
        role TEXT NOT NULL,
        dept TEXT,
        key_id TEXT NOT NULL UNIQUE,
        key_hash BLOB NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT
    )`,
    `CREATE TABLE IF NOT EXISTS idempotency (
        app_id TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
        owner TEXT NOT NULL,
        identity TEXT NOT NULL,
        tx_fn TEXT,
        tx_id TEXT,
        tx_bytes BLOB,
        tx_result BLOB,
        status INTEGER,
        response TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, idem_key)
    )`,
    // The gateway's own secrets (e.g. the key the minority chains' seeds derive from): made once, shared by replicas.
    `CREATE TABLE IF NOT EXISTS secrets (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS checkpoints (
        name TEXT PRIMARY KEY,
        block_number TEXT,
        transaction_id TEXT,
        updated_at INTEGER NOT NULL
    )`,
];

export function openDb(file: string): Db {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.exec('PRAGMA journal_mode = WAL');
    // Durable on power loss: an idempotency record must never be lost once its answer was sent.
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA busy_timeout = 5000');
    for (const sql of MIGRATIONS) db.exec(sql);
    if (file !== ':memory:') {
        try {
            fs.chmodSync(file, 0o600);
        } catch {
            // best effort: the file may be on a file system without modes
        }
    }
    return db;
}

const statements = new WeakMap<Db, Map<string, StatementSync>>();

/** A prepared statement, compiled once per database: every request asks for the same few. */
export function prepared(db: Db, sql: string): StatementSync {
    let cache = statements.get(db);
    if (!cache) {
        cache = new Map();
        statements.set(db, cache);
    }
    let statement = cache.get(sql);
    if (!statement) {
        statement = db.prepare(sql);
        cache.set(sql, statement);
    }
    return statement;
}

export type TransactionMode = 'DEFERRED' | 'IMMEDIATE' | 'EXCLUSIVE';

let savepoints = 0;

/**
 * Runs `fn` in one transaction (node:sqlite has no transaction helper): BEGIN `mode`, COMMIT when
 * `fn` returns, ROLLBACK when it throws (unless SQLite already rolled back), and the error goes on.
 * Inside another transaction it is a savepoint, rolled back alone. `fn` must be synchronous: a
 * promise would commit before its work.
 */
export function transaction<T>(db: Db, fn: () => T, mode: TransactionMode = 'DEFERRED'): T {
    if (db.isTransaction) {
        const name = `nested_${++savepoints}`;
        db.exec(`SAVEPOINT ${name}`);
        try {
            const result = fn();
            db.exec(`RELEASE ${name}`);
            return result;
        } catch (err) {
            if (db.isTransaction) db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
            throw err;
        }
    }
    db.exec(`BEGIN ${mode}`);
    try {
        const result = fn();
        db.exec('COMMIT');
        return result;
    } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw err;
    }
}

const isUniqueViolation = (err: unknown): boolean => /UNIQUE constraint failed/.test((err as Error).message ?? '');

interface QueuedWrite {
    run(): unknown;
    resolve(value: unknown): void;
    reject(err: unknown): void;
}

export class SqliteStore implements GatewayStore {
    readonly kind = 'sqlite';
    readonly where: string;
    readonly #live = { host: os.hostname(), pidAlive };
    /** Writes waiting for the next group commit (at the end of this turn of the event loop). */
    #queued: QueuedWrite[] = [];
    /** Group commits made: each one transaction and, with synchronous = FULL, one fsync. */
    commits = 0;

    constructor(
        readonly db: Db,
        file = ':memory:',
    ) {
        this.where = file;
    }

    static open(file: string): SqliteStore {
        return new SqliteStore(openDb(file), file);
    }

    #run(sql: string, ...params: (string | number | bigint | null | Uint8Array)[]): number {
        return Number(prepared(this.db, sql).run(...params).changes);
    }

    /** Runs `fn` in the next group commit; settles once that commit is durable (or `fn` threw). */
    #write<T>(fn: () => T): Promise<T> {
        return new Promise<T>((resolve, reject) => {
            if (this.#queued.length === 0) setImmediate(() => this.#commit());
            this.#queued.push({ run: fn, resolve: resolve as (value: unknown) => void, reject });
        });
    }

    /**
     * One transaction for every queued write, each in a savepoint: a write that throws is undone
     * alone and rejects alone. When the transaction itself is lost (SQLite rolled it back, or the
     * COMMIT failed), every write of the batch rejects: none of them is durable.
     */
    #commit(): void {
        const batch = this.#queued;
        this.#queued = [];
        if (batch.length === 0) return;
        // Each write's answer, given only once the commit is durable.
        const settle: (() => void)[] = [];
        try {
            if (!this.db.isOpen) throw new Error('the gateway database is closed');
            transaction(
                this.db,
                () => {
                    for (const w of batch) {
                        try {
                            const value = transaction(this.db, () => w.run());
                            settle.push(() => w.resolve(value));
                        } catch (err) {
                            if (!this.db.isTransaction) throw err;
                            settle.push(() => w.reject(err));
                        }
                    }
                },
                'IMMEDIATE',
            );
            this.commits++;
        } catch (err) {
            for (const w of batch) w.reject(err);
            return;
        }
        for (const answer of settle) answer();
    }

    // ---- apps ----
    async insertApp(row: AppRow): Promise<void> {
        try {
            prepared(
                this.db,
                `INSERT INTO apps (app_id, name, msp_id, identity, role, dept, key_id, key_hash, created_at, disabled_at)
                          VALUES (@app_id, @name, @msp_id, @identity, @role, @dept, @key_id, @key_hash, @created_at, @disabled_at)`,
            ).run({ ...row });
        } catch (err) {
            if (isUniqueViolation(err)) throw new Error(`APP_EXISTS: an app named ${row.name} exists`);
            throw err;
        }
    }

    async setAppKey(name: string, keyId: string, keyHash: Uint8Array): Promise<boolean> {
        return this.#run('UPDATE apps SET key_id = ?, key_hash = ? WHERE name = ? AND disabled_at IS NULL', keyId, keyHash, name) === 1;
    }

    async disableApp(name: string, at: string): Promise<boolean> {
        return this.#run('UPDATE apps SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL', at, name) === 1;
    }

    async listApps(): Promise<AppRow[]> {
        return prepared(this.db, 'SELECT * FROM apps WHERE disabled_at IS NULL ORDER BY name').all() as unknown as AppRow[];
    }

    async activeApp(by: 'name' | 'key_id', value: string): Promise<AppRow | undefined> {
        const sql =
            by === 'name'
                ? 'SELECT * FROM apps WHERE name = ? AND disabled_at IS NULL'
                : 'SELECT * FROM apps WHERE key_id = ? AND disabled_at IS NULL';
        return prepared(this.db, sql).get(value) as AppRow | undefined;
    }

    // ---- idempotency ----
    /** One BEGIN IMMEDIATE transaction (the group commit's), so one process at a time decides. */
    claim(c: Claim): Promise<BeginResult> {
        return this.#write(() => {
            const now = Date.now();
            // One process per file: a pending record of another owner is an earlier, dead process's.
            const found = prepared(this.db, 'SELECT * FROM idempotency WHERE app_id = ? AND idem_key = ?').get(c.appId, c.key) as
                | Omit<ClaimedRow, 'heartbeat_at' | 'host' | 'pid'>
                | undefined;
            const row: ClaimedRow | undefined = found && { ...found, heartbeat_at: null, host: null, pid: null };
            const { result, write } = decideClaim(row, c, now, this.#live);
            if (write === 'insert') {
                this.#run(
                    `INSERT INTO idempotency (app_id, idem_key, request_hash, state, owner, identity, created_at, updated_at)
                              VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
                    c.appId,
                    c.key,
                    c.hash,
                    c.owner,
                    c.identity,
                    now,
                    now,
                );
            } else if (write === 'replace') {
                this.#run(
                    `UPDATE idempotency SET request_hash = ?, state = 'pending', owner = ?, identity = ?, tx_fn = NULL, tx_id = NULL,
                                tx_bytes = NULL, tx_result = NULL, status = NULL, response = NULL, created_at = ?, updated_at = ?
                          WHERE app_id = ? AND idem_key = ?`,
                    c.hash,
                    c.owner,
                    c.identity,
                    now,
                    now,
                    c.appId,
                    c.key,
                );
            } else if (write === 'take-over') {
                this.#run(
                    'UPDATE idempotency SET owner = ?, updated_at = ? WHERE app_id = ? AND idem_key = ?',
                    c.owner,
                    now,
                    c.appId,
                    c.key,
                );
            }
            return result;
        });
    }

    recordPrepared(appId: string, key: string, owner: string, fn: string, tx: PreparedTransaction): Promise<boolean> {
        return this.#write(
            () =>
                this.#run(
                    `UPDATE idempotency SET tx_fn = ?, tx_id = ?, tx_bytes = ?, tx_result = ?, updated_at = ?
                  WHERE app_id = ? AND idem_key = ? AND owner = ? AND state = 'pending'`,
                    fn,
                    tx.transactionId,
                    tx.bytes,
                    tx.result,
                    Date.now(),
                    appId,
                    key,
                    owner,
                ) === 1,
        );
    }

    async complete(appId: string, key: string, owner: string, response: StoredResponse): Promise<void> {
        await this.#write(() =>
            this.#run(
                `UPDATE idempotency SET state = 'done', status = ?, response = ?, tx_bytes = NULL, updated_at = ?
              WHERE app_id = ? AND idem_key = ? AND owner = ? AND state = 'pending'`,
                response.status,
                JSON.stringify(response.body),
                Date.now(),
                appId,
                key,
                owner,
            ),
        );
    }

    async release(appId: string, key: string, owner: string): Promise<void> {
        await this.#write(() =>
            this.#run(
                `DELETE FROM idempotency WHERE app_id = ? AND idem_key = ? AND owner = ? AND state = 'pending' AND tx_id IS NULL`,
                appId,
                key,
                owner,
            ),
        );
    }

    async abandon(appId: string, key: string, owner: string): Promise<void> {
        await this.#write(() =>
            this.#run(
                `UPDATE idempotency SET owner = '', updated_at = ? WHERE app_id = ? AND idem_key = ? AND owner = ? AND state = 'pending'`,
                Date.now(),
                appId,
                key,
                owner,
            ),
        );
    }

    // ---- replicas: one process per file, none to tell apart ----
    async heartbeat(): Promise<void> {}
    async forgetReplica(): Promise<void> {}

    // ---- secrets, checkpoints ----
    secret(name: string): Promise<Buffer> {
        return this.#write(() => {
            this.#run('INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)', name, crypto.randomBytes(32), Date.now());
            const row = prepared(this.db, 'SELECT value FROM secrets WHERE name = ?').get(name) as { value: Uint8Array };
            return Buffer.from(row.value);
        });
    }

    async loadCheckpoint(name: string): Promise<Checkpoint | undefined> {
        const row = prepared(this.db, 'SELECT block_number, transaction_id FROM checkpoints WHERE name = ?').get(name) as
            | { block_number: string | null; transaction_id: string | null }
            | undefined;
        return row && { blockNumber: row.block_number, transactionId: row.transaction_id };
    }

    async saveCheckpoint(name: string, cp: Checkpoint): Promise<void> {
        await this.#write(() =>
            this.#run(
                `INSERT INTO checkpoints (name, block_number, transaction_id, updated_at) VALUES (?, ?, ?, ?)
              ON CONFLICT(name) DO UPDATE SET block_number = excluded.block_number, transaction_id = excluded.transaction_id, updated_at = excluded.updated_at`,
                name,
                cp.blockNumber,
                cp.transactionId,
                Date.now(),
            ),
        );
    }

    // ---- in the process ----
    rateLimiter(_name: string, capacity: number, windowMs: number): RateLimiter {
        return new TokenBuckets(capacity, windowMs);
    }

    sessions<T>(_name: string, ttlMs: number, max?: number): SessionMap<T> {
        return new ExpiringMap<T>(ttlMs, max);
    }

    sweep(ttlMs: number, now = Date.now()): Promise<number> {
        return this.#write(() => this.#run(`DELETE FROM idempotency WHERE state = 'done' AND updated_at < ?`, now - ttlMs));
    }

    async ping(): Promise<void> {
        prepared(this.db, 'SELECT 1').get();
    }

    /** Commits what is queued, then closes. */
    async close(): Promise<void> {
        this.#commit();
        this.db.close();
    }
}
