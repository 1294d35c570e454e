// API keys: `ck_<keyId>_<secret>`, where the secret is 256 random bits. Only sha-256(secret) is
// stored (a 256-bit random secret needs no slow hash); the keyId finds the row, and the hash is
// compared in constant time.
import * as crypto from 'node:crypto';

export const KEY_PREFIX = 'ck_';
const KEY_PATTERN = /^ck_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewKey {
    keyId: string;
    /** Shown once to the operator, never stored. */
    apiKey: string;
    hash: Buffer;
}

export function hashSecret(secret: string): Buffer {
    return crypto.createHash('sha256').update(secret, 'utf8').digest();
}

export function generateApiKey(): NewKey {
    const keyId = crypto.randomBytes(8).toString('hex');
    const secret = crypto.randomBytes(32).toString('base64url');
    return { keyId, apiKey: `${KEY_PREFIX}${keyId}_${secret}`, hash: hashSecret(secret) };
}

export function parseApiKey(apiKey: string): { keyId: string; secret: string } | undefined {
    const m = KEY_PATTERN.exec(apiKey);
    return m ? { keyId: m[1], secret: m[2] } : undefined;
}

/** Constant-time comparison of the presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
    const presented = hashSecret(secret);
    return presented.length === storedHash.length && crypto.timingSafeEqual(presented, storedHash);
}
