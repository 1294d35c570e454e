// The gateway's embedded database (Node's built-in SQLite, node:sqlite): apps and their API key
// hashes, idempotency records, event checkpoints. WAL mode so the admin CLI can add apps while the
// gateway runs.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

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

/** A 32-byte secret of this gateway's database, made at first use (every replica sharing the database reads the same). */
export function gatewaySecret(db: Db, name: string): Buffer {
    prepared(db, 'INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)').run(name, crypto.randomBytes(32), Date.now());
    const row = prepared(db, 'SELECT value FROM secrets WHERE name = ?').get(name) as { value: Uint8Array };
    return Buffer.from(row.value);
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
