// Apps known to this gateway: each maps an API key to its own Fabric identity of the org. Kept in
// the gateway's store, so every replica sharing a PostgreSQL database knows the same apps and keys.
import * as crypto from 'node:crypto';
import type { AppRow, GatewayStore } from '../store/store';
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
    readonly #store: GatewayStore;
    constructor(store: GatewayStore) {
        this.#store = store;
    }

    /** Stores a new app and returns its API key, which is not stored and cannot be shown again. */
    async create(p: { name: string; mspId: string; identity: string; role: string; dept?: string }): Promise<{ app: App; apiKey: string }> {
        if (!APP_NAME_PATTERN.test(p.name)) throw new Error(`APP_NAME_INVALID: ${p.name} must match ${APP_NAME_PATTERN.source}`);
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
        // APP_EXISTS from the name's unique key: two admins creating the same name at once get one app.
        await this.#store.insertApp(row);
        return { app: toApp(row), apiKey: key.apiKey };
    }

    /** Replaces an app's key (the old one stops working at once). */
    async rotateKey(name: string): Promise<string> {
        const key = generateApiKey();
        if (!(await this.#store.setAppKey(name, key.keyId, key.hash))) throw new Error(`APP_NOT_FOUND: no active app named ${name}`);
        return key.apiKey;
    }

    async disable(name: string): Promise<void> {
        if (!(await this.#store.disableApp(name, new Date().toISOString()))) throw new Error(`APP_NOT_FOUND: no active app named ${name}`);
    }

    async list(): Promise<App[]> {
        return (await this.#store.listApps()).map(toApp);
    }

    /** The active app of this name (a client certificate names its app by its subject CN). */
    async byName(name: string): Promise<App | undefined> {
        const row = await this.#store.activeApp('name', name);
        return row ? toApp(row) : undefined;
    }

    /** The app of a presented API key, or undefined; the secret is compared in constant time. */
    async authenticate(apiKey: string): Promise<App | undefined> {
        const parsed = parseApiKey(apiKey);
        if (!parsed) return undefined;
        const row = await this.#store.activeApp('key_id', parsed.keyId);
        if (!row) {
            // Same work as a hit, so the answer time does not reveal which key ids exist.
            secretMatches(parsed.secret, Buffer.alloc(32));
            return undefined;
        }
        return secretMatches(parsed.secret, row.key_hash) ? toApp(row) : undefined;
    }
}
