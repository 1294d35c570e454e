// The devnet CA's state on disk, as Fabric CA keeps it in its database (lib/server/user,
// lib/certdbaccessor): registered identities (secret hash, type, affiliation, attributes, max
// enrollments, state = enrollments so far or -1 when revoked) and every certificate it issued
// (serial, AKI, owner, status, revocation). SQLite (Node's built-in node:sqlite), like fabric-ca-server's
// default.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface Attribute {
    name: string;
    value: string;
    ecert?: boolean;
}

export interface User {
    id: string;
    type: string;
    affiliation: string;
    attrs: Attribute[];
    maxEnrollments: number;
    /** Enrollments so far; -1 once revoked (Fabric CA's users.state). */
    state: number;
    incorrectPasswordAttempts: number;
}

export interface CertRecord {
    serial: string;
    aki: string;
    id: string;
    status: 'good' | 'revoked';
    reason: number;
    revokedAt?: string;
    notAfter: string;
    pem: string;
}

/** Fabric CA's password hash is bcrypt; scrypt (node:crypto) serves the same purpose here. */
function hashSecret(secret: string): string {
    const salt = crypto.randomBytes(16);
    return `scrypt$${salt.toString('base64')}$${crypto.scryptSync(secret, salt, 32).toString('base64')}`;
}

function secretMatches(secret: string, stored: string): boolean {
    const [, salt, hash] = stored.split('$');
    const expected = Buffer.from(hash, 'base64');
    const actual = crypto.scryptSync(secret, Buffer.from(salt, 'base64'), expected.length);
    return crypto.timingSafeEqual(expected, actual);
}

export class Registry {
    private readonly db: DatabaseSync;

    constructor(file: string) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        // Waits up to 5 s for a lock held by another connection, as better-sqlite3 did by default.
        this.db = new DatabaseSync(file, { timeout: 5000 });
        fs.chmodSync(file, 0o600);
        this.db.exec('PRAGMA journal_mode = WAL');
        this.db.exec(`CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, type TEXT NOT NULL, affiliation TEXT NOT NULL,
            attributes TEXT NOT NULL, max_enrollments INTEGER NOT NULL, state INTEGER NOT NULL,
            incorrect_password_attempts INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL)`);
        this.db.exec(`CREATE TABLE IF NOT EXISTS certificates (
            serial TEXT NOT NULL, aki TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, reason INTEGER NOT NULL DEFAULT 0,
            revoked_at TEXT, not_after TEXT NOT NULL, pem TEXT NOT NULL, PRIMARY KEY (serial, aki))`);
    }

    close(): void {
        if (this.db.isOpen) this.db.close();
    }

    getUser(id: string): User | undefined {
        const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Record<string, unknown> | undefined;
        if (!row) return undefined;
        return {
            id: row.id as string,
            type: row.type as string,
            affiliation: row.affiliation as string,
            attrs: JSON.parse(row.attributes as string) as Attribute[],
            maxEnrollments: row.max_enrollments as number,
            state: row.state as number,
            incorrectPasswordAttempts: row.incorrect_password_attempts as number,
        };
    }

    /** Every identity, in registration order. */
    listUsers(): User[] {
        const ids = this.db.prepare('SELECT id FROM users ORDER BY seq').all() as { id: string }[];
        return ids.map((r) => this.getUser(r.id) as User);
    }

    insertUser(user: Omit<User, 'state' | 'incorrectPasswordAttempts'>, secret: string): void {
        this.db
            .prepare(
                'INSERT INTO users (id, secret_hash, type, affiliation, attributes, max_enrollments, state, seq) VALUES (?, ?, ?, ?, ?, ?, 0, (SELECT COALESCE(MAX(seq), 0) + 1 FROM users))',
            )
            .run(user.id, hashSecret(secret), user.type, user.affiliation, JSON.stringify(user.attrs), user.maxEnrollments);
    }

    updateUser(user: User, secret?: string): void {
        this.db
            .prepare('UPDATE users SET type = ?, affiliation = ?, attributes = ?, max_enrollments = ? WHERE id = ?')
            .run(user.type, user.affiliation, JSON.stringify(user.attrs), user.maxEnrollments, user.id);
        if (secret) this.db.prepare('UPDATE users SET secret_hash = ? WHERE id = ?').run(hashSecret(secret), user.id);
    }

    /** Checks the secret; a wrong one counts as an incorrect attempt, a right one resets the count. */
    checkSecret(id: string, secret: string): boolean {
        const row = this.db.prepare('SELECT secret_hash FROM users WHERE id = ?').get(id) as { secret_hash: string } | undefined;
        if (!row) return false;
        const ok = secretMatches(secret, row.secret_hash);
        this.db
            .prepare(`UPDATE users SET incorrect_password_attempts = ${ok ? '0' : 'incorrect_password_attempts + 1'} WHERE id = ?`)
            .run(id);
        return ok;
    }

    /** One more enrollment (Fabric CA's LoginComplete). */
    countEnrollment(id: string): void {
        this.db.prepare('UPDATE users SET state = state + 1 WHERE id = ? AND state >= 0').run(id);
    }

    revokeUser(id: string): void {
        this.db.prepare('UPDATE users SET state = -1 WHERE id = ?').run(id);
    }

    insertCertificate(rec: Omit<CertRecord, 'status' | 'reason'>): void {
        this.db
            .prepare("INSERT INTO certificates (serial, aki, id, status, not_after, pem) VALUES (?, ?, ?, 'good', ?, ?)")
            .run(rec.serial, rec.aki, rec.id, rec.notAfter, rec.pem);
    }

    private toRecord(row: Record<string, unknown>): CertRecord {
        return {
            serial: row.serial as string,
            aki: row.aki as string,
            id: row.id as string,
            status: row.status as 'good' | 'revoked',
            reason: row.reason as number,
            revokedAt: (row.revoked_at as string | null) ?? undefined,
            notAfter: row.not_after as string,
            pem: row.pem as string,
        };
    }

    getCertificate(serial: string, aki: string): CertRecord | undefined {
        const row = this.db.prepare('SELECT * FROM certificates WHERE serial = ? AND aki = ?').get(serial, aki) as
            | Record<string, unknown>
            | undefined;
        return row ? this.toRecord(row) : undefined;
    }

    revokeCertificate(serial: string, aki: string, reason: number): void {
        this.db
            .prepare("UPDATE certificates SET status = 'revoked', reason = ?, revoked_at = ? WHERE serial = ? AND aki = ?")
            .run(reason, new Date().toISOString(), serial, aki);
    }

    /** Revokes every good certificate of an identity; answers those it revoked. */
    revokeCertificatesOf(id: string, reason: number): CertRecord[] {
        const rows = (
            this.db.prepare("SELECT * FROM certificates WHERE id = ? AND status = 'good'").all(id) as Record<string, unknown>[]
        ).map((r) => this.toRecord(r));
        for (const r of rows) this.revokeCertificate(r.serial, r.aki, reason);
        return rows;
    }

    /** Every revoked certificate: what gencrl lists when given no time bounds (Fabric CA's GetRevokedCertificates). */
    revokedCertificates(): CertRecord[] {
        return (this.db.prepare("SELECT * FROM certificates WHERE status = 'revoked'").all() as Record<string, unknown>[]).map((r) =>
            this.toRecord(r),
        );
    }
}
