// Idempotency-Key records in SQLite, per app: the same key with the same request returns the first
// answer and never makes a second transaction, also after a restart; the same key with another
// request is refused (422); the same key while the first is still running is refused (409).
// Once a transaction is endorsed its signed bytes are stored, so a request whose process died
// before the answer is completed with THE SAME transaction (resume), never a new one.
import * as crypto from 'node:crypto';
import { prepared, transaction, type Db } from '../db';
import type { PreparedTransaction } from '../fabric/types';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;

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

interface Row {
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
}

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
    readonly #db: Db;
    /** This process: a pending record owned by another (dead) process is resumed, not refused. */
    readonly owner: string;
    readonly #ttlMs: number;

    constructor(db: Db, opts: { ttlMs: number; owner?: string }) {
        this.#db = db;
        this.#ttlMs = opts.ttlMs;
        this.owner = opts.owner ?? `${process.pid}-${crypto.randomUUID()}`;
    }

    /** Claims the key for this request, atomically. */
    begin(appId: string, key: string, hash: string, identity: string): BeginResult {
        const now = Date.now();
        const claim = (): BeginResult => {
            const row = prepared(this.#db, 'SELECT * FROM idempotency WHERE app_id = ? AND idem_key = ?').get(appId, key) as
                | Row
                | undefined;
            if (row && now - row.updated_at > this.#ttlMs && row.state === 'done') {
                prepared(this.#db, 'DELETE FROM idempotency WHERE app_id = ? AND idem_key = ?').run(appId, key);
            } else if (row) {
                if (row.request_hash !== hash) return { kind: 'mismatch' };
                if (row.state === 'done')
                    return { kind: 'replay', response: { status: row.status ?? 200, body: JSON.parse(row.response ?? 'null') } };
                if (row.owner === this.owner) return { kind: 'in-flight' };
                // Pending and orphaned (its process is gone, or it gave up on an unknown outcome).
                prepared(this.#db, 'UPDATE idempotency SET owner = ?, updated_at = ? WHERE app_id = ? AND idem_key = ?').run(
                    this.owner,
                    now,
                    appId,
                    key,
                );
                if (row.tx_id && row.tx_bytes) {
                    return {
                        kind: 'resume',
                        identity: row.identity,
                        fn: row.tx_fn ?? '',
                        prepared: {
                            transactionId: row.tx_id,
                            bytes: new Uint8Array(row.tx_bytes),
                            result: new Uint8Array(row.tx_result ?? Buffer.alloc(0)),
                        },
                    };
                }
                // Nothing was endorsed: nothing can have reached the ledger; start afresh.
                return { kind: 'new' };
            }
            prepared(
                this.#db,
                `INSERT INTO idempotency (app_id, idem_key, request_hash, state, owner, identity, created_at, updated_at)
                          VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
            ).run(appId, key, hash, this.owner, identity, now, now);
            return { kind: 'new' };
        };
        return transaction(this.#db, claim, 'IMMEDIATE');
    }

    /** Records the endorsed, signed transaction before it is sent: a crash after this point resumes it. */
    prepared(appId: string, key: string, fn: string, tx: PreparedTransaction): void {
        prepared(
            this.#db,
            'UPDATE idempotency SET tx_fn = ?, tx_id = ?, tx_bytes = ?, tx_result = ?, updated_at = ? WHERE app_id = ? AND idem_key = ?',
        ).run(fn, tx.transactionId, Buffer.from(tx.bytes), Buffer.from(tx.result), Date.now(), appId, key);
    }

    /** Stores the final answer (success or a definitive refusal). */
    complete(appId: string, key: string, response: StoredResponse): void {
        prepared(
            this.#db,
            `UPDATE idempotency SET state = 'done', status = ?, response = ?, tx_bytes = NULL, updated_at = ? WHERE app_id = ? AND idem_key = ?`,
        ).run(response.status, JSON.stringify(response.body), Date.now(), appId, key);
    }

    /** Forgets the key: nothing reached the ledger (validation refused, Fabric unavailable before endorsement). */
    release(appId: string, key: string): void {
        prepared(this.#db, `DELETE FROM idempotency WHERE app_id = ? AND idem_key = ? AND state = 'pending' AND tx_id IS NULL`).run(
            appId,
            key,
        );
    }

    /** Leaves the record pending with its transaction but unowned, so the next retry resumes it. */
    abandon(appId: string, key: string): void {
        prepared(this.#db, `UPDATE idempotency SET owner = '', updated_at = ? WHERE app_id = ? AND idem_key = ? AND state = 'pending'`).run(
            Date.now(),
            appId,
            key,
        );
    }

    /** Drops finished records older than the TTL. */
    sweep(now = Date.now()): number {
        return Number(prepared(this.#db, `DELETE FROM idempotency WHERE state = 'done' AND updated_at < ?`).run(now - this.#ttlMs).changes);
    }
}
