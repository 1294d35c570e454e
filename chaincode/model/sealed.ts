// The answer of ReadGrantedData is sealed (AES-256-GCM) to a one-time key the caller sends in the
// transient map. An evaluation's response travels over TLS anyway; the seal is for the misuse case:
// if a caller *submits* ReadGrantedData, its proposal response lands in a block, and only
// ciphertext must be there (rule 1). The IV is derived from the tx id: deterministic, and unique
// as long as a key is not reused within one transaction.

import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import type { GrantedData } from './assets.js';

export const SEAL_ALGORITHM = 'A256GCM';

export interface SealedBox {
    alg: typeof SEAL_ALGORITHM;
    iv: string;
    ciphertext: string;
    tag: string;
}

/** What ReadGrantedData returns. */
export interface SealedGrantedData {
    accessId: string;
    cardId: string;
    sealed: SealedBox;
}

export function sealJson(value: unknown, key: Uint8Array, txId: string, aad: string): SealedBox {
    if (key.length !== 32) throw new RangeError('seal key must be 32 bytes');
    const iv = createHash('sha256').update(`iv|${txId}|${aad}`).digest().subarray(0, 12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(canonicalBytes(value)), cipher.final()]);
    return {
        alg: SEAL_ALGORITHM,
        iv: iv.toString('base64'),
        ciphertext: ciphertext.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
    };
}

export function openJson<T>(box: SealedBox, key: Uint8Array, aad: string): T {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
}

/** The caller's side: opens a ReadGrantedData answer with the key it put in the transient map. */
export function openGrantedData(answer: SealedGrantedData, key: Uint8Array): GrantedData {
    return openJson<GrantedData>(answer.sealed, key, answer.accessId);
}
