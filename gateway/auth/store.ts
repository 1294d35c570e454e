// Apps known to this gateway: each maps an API key to its own Fabric identity of the org.
import * as crypto from 'node:crypto';
import { prepared, type Db } from '../db';
import { generateApiKey, parseApiKey, secretMatches } from './keys';

export interface App {
    appId: string;
    name: string;
    mspId: string;
    /** Name of the Fabric identity (users/<identity>@<domain>/msp) the app's transactions are signed with. */
    identity: string;
    /** The `role` attribute of that identity (informational: the chaincode checks the certificate). */
    role: string;
    dept?: string;
    createdAt: string;
}

interface AppRow {
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

const toApp = (r: AppRow): App => ({
    appId: r.app_id,
    name: r.name,
    mspId: r.msp_id,
    identity: r.identity,
    role: r.role,
    ...(r.dept ? { dept: r.dept } : {}),
    createdAt: r.created_at,
});

export const APP_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export class AppStore {
    readonly #db: Db;
    constructor(db: Db) {
        this.#db = db;
    }

    /** Stores a new app and returns its API key, which is not stored and cannot be shown again. */
    create(p: { name: string; mspId: string; identity: string; role: string; dept?: string }): { app: App; apiKey: string } {
        if (!APP_NAME_PATTERN.test(p.name)) throw new Error(`APP_NAME_INVALID: ${p.name} must match ${APP_NAME_PATTERN.source}`);
        if (prepared(this.#db, 'SELECT 1 FROM apps WHERE name = ?').get(p.name))
            throw new Error(`APP_EXISTS: an app named ${p.name} exists`);
        const key = generateApiKey();
        const row: AppRow = {
            app_id: crypto.randomUUID(),
            name: p.name,
            msp_id: p.mspId,
            identity: p.identity,
            role: p.role,
            dept: p.dept ?? null,
            key_id: key.keyId,
            key_hash: key.hash,
            created_at: new Date().toISOString(),
            disabled_at: null,
        };
        prepared(
            this.#db,
            `INSERT INTO apps (app_id, name, msp_id, identity, role, dept, key_id, key_hash, created_at, disabled_at)
                      VALUES (@app_id, @name, @msp_id, @identity, @role, @dept, @key_id, @key_hash, @created_at, @disabled_at)`,
        ).run({ ...row });
        return { app: toApp(row), apiKey: key.apiKey };
    }

    /** Replaces an app's key (the old one stops working at once). */
    rotateKey(name: string): string {
        const key = generateApiKey();
        const r = prepared(this.#db, 'UPDATE apps SET key_id = ?, key_hash = ? WHERE name = ? AND disabled_at IS NULL').run(
            key.keyId,
            key.hash,
            name,
        );
        if (r.changes !== 1) throw new Error(`APP_NOT_FOUND: no active app named ${name}`);
        return key.apiKey;
    }

    disable(name: string): void {
        const r = prepared(this.#db, 'UPDATE apps SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL').run(
            new Date().toISOString(),
            name,
        );
        if (r.changes !== 1) throw new Error(`APP_NOT_FOUND: no active app named ${name}`);
    }

    list(): App[] {
        return (prepared(this.#db, 'SELECT * FROM apps WHERE disabled_at IS NULL ORDER BY name').all() as unknown as AppRow[]).map(toApp);
    }

    /** The active app of this name (a client certificate names its app by its subject CN). */
    byName(name: string): App | undefined {
        const row = prepared(this.#db, 'SELECT * FROM apps WHERE name = ? AND disabled_at IS NULL').get(name) as AppRow | undefined;
        return row ? toApp(row) : undefined;
    }

    /** The app of a presented API key, or undefined; the secret is compared in constant time. */
    authenticate(apiKey: string): App | undefined {
        const parsed = parseApiKey(apiKey);
        if (!parsed) return undefined;
        const row = prepared(this.#db, 'SELECT * FROM apps WHERE key_id = ? AND disabled_at IS NULL').get(parsed.keyId) as
            | AppRow
            | undefined;
        if (!row) {
            // Same work as a hit, so the answer time does not reveal which key ids exist.
            secretMatches(parsed.secret, Buffer.alloc(32));
            return undefined;
        }
        return secretMatches(parsed.secret, row.key_hash) ? toApp(row) : undefined;
    }
}
