// Salted attribute commitments: what the public card holds instead of personal data.
// salt(attr) = HMAC-SHA256(key = saltSeed, "salt|" + cardId + "|" + attr)   (seed: transient, >= 16 bytes, random per issue)
// commitment(attr) = sha256(canonicalJson({ attr, salt, value }))            (hex)

import { createHash, createHmac } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import type { PersonalData } from './assets.js';
import { DATA_ITEMS } from './vocabulary.js';

export function deriveSalt(saltSeed: Uint8Array, cardId: string, attr: string): string {
    return createHmac('sha256', saltSeed).update(`salt|${cardId}|${attr}`).digest('hex');
}

export function commitment(attr: string, salt: string, value: string | boolean): string {
    return createHash('sha256').update(canonicalBytes({ attr, salt, value })).digest('hex');
}

export function computeCommitments(data: PersonalData, salts: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const attr of DATA_ITEMS) out[attr] = commitment(attr, salts[attr] as string, data[attr]);
    return out;
}

/** The salted hash of a citizen's objection text that the device signs and the public ledger keeps. */
export function textCommitment(text: string, salt: string): string {
    return createHash('sha256').update(canonicalBytes({ salt, text })).digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
}
