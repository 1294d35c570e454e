// The citizen's device key in the browser: WebCrypto ECDSA P-256, generated non-extractable and
// kept in IndexedDB (only the key handle and the card id it was registered for; nothing else
// stays in the browser). Documents are signed as the chaincode verifies them
// (chaincode/model/signed.ts): canonical JSON (sorted keys), ECDSA-SHA256, DER, base64.
import { toBase64, toBase64Url } from '../shared/bytes';

export interface Device {
    cardId: string;
    keys: CryptoKeyPair;
    /** base64 DER SubjectPublicKeyInfo: what the card registers as devicePublicKey. */
    publicKey: string;
}

const DB = 'citizen-tracker';
const STORE = 'device';

function open(): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
        const req = indexedDB.open(DB, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
    });
}

async function tx<T>(mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await open();
    try {
        return await new Promise<T>((resolve, reject) => {
            const r = work(db.transaction(STORE, mode).objectStore(STORE));
            r.onsuccess = () => resolve(r.result as T);
            r.onerror = () => reject(r.error);
        });
    } finally {
        db.close();
    }
}

export const loadDevice = (): Promise<Device | undefined> => tx<Device | undefined>('readonly', (s) => s.get('device'));
export const forgetDevice = (): Promise<void> => tx<void>('readwrite', (s) => s.delete('device'));

/** A new key pair for the card; the private key can sign but never be read by any script. */
export async function registerDevice(cardId: string): Promise<Device> {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const publicKey = toBase64(new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)));
    const device: Device = { cardId, keys, publicKey };
    await tx('readwrite', (s) => s.put(device, 'device'));
    return device;
}

/** JSON with object keys sorted at every depth (chaincode/model/canonical.ts). */
export function canonicalJson(value: unknown): string {
    const normalize = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : normalize(x)));
        if (v && typeof v === 'object') {
            const out: Record<string, unknown> = {};
            for (const k of Object.keys(v).sort()) {
                const x = (v as Record<string, unknown>)[k];
                if (x !== undefined) out[k] = normalize(x);
            }
            return out;
        }
        return v;
    };
    return JSON.stringify(normalize(value));
}

// P-256 group order n, for the low-S form (s <= n/2) that ECDSA verifiers such as Fabric's prefer.
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

const bytesToBig = (b: Uint8Array): bigint => BigInt(`0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') || '0'}`);

function derInteger(v: bigint): number[] {
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    const bytes = hex.match(/../g)!.map((h) => Number.parseInt(h, 16));
    if (bytes[0] & 0x80) bytes.unshift(0);
    return [0x02, bytes.length, ...bytes];
}

/** WebCrypto's IEEE P1363 signature (r ‖ s) as DER SEQUENCE { r, s }, with s in low-S form. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
    const r = bytesToBig(sig.slice(0, 32));
    let s = bytesToBig(sig.slice(32));
    if (s > N / 2n) s = N - s;
    const body = [...derInteger(r), ...derInteger(s)];
    return Uint8Array.from([0x30, body.length, ...body]);
}

export const newNonce = (): string => toBase64Url(crypto.getRandomValues(new Uint8Array(24)));

export interface Signed<T> {
    document: T;
    signature: string;
}

export async function sign<T extends object>(device: Device, document: T): Promise<Signed<T>> {
    const bytes = new TextEncoder().encode(canonicalJson(document));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, device.keys.privateKey, bytes));
    return { document, signature: toBase64(p1363ToDer(raw)) };
}

const base = (device: Device) => ({ cardId: device.cardId, nonce: newNonce(), issuedAt: new Date().toISOString() });

export const signChallenge = (device: Device, challenge: string, verifierMspId: string) =>
    sign(device, { ...base(device), nonce: challenge, type: 'AuthChallenge', verifierMspId });

export const signAccessLogRequest = (device: Device) => sign(device, { ...base(device), type: 'AccessLogListRequest' });

export const signWithdrawal = (device: Device, consentId: string) =>
    sign(device, { ...base(device), type: 'ConsentWithdrawal', consentId });

export const signLostDevice = (device: Device) => sign(device, { ...base(device), type: 'CardSuspension', reason: 'LOST_DEVICE' });

export const signConsent = (
    device: Device,
    p: { serviceId: string; recipientMspId: string; purpose: string; items: string[]; predicates: string[]; retentionDays: number },
) => sign(device, { ...base(device), type: 'ConsentReceipt', ...p });

/** Which representation a representative acts under (and, for a child, today's in-force token the gateway gave). */
export interface ActingFor {
    representationId: string;
    representedCardId: string;
    minorityToken?: string;
}

const acting = (f: ActingFor) => ({
    representationId: f.representationId,
    representedCardId: f.representedCardId,
    ...(f.minorityToken ? { minorityToken: f.minorityToken } : {}),
});

export const signRepresentationListRequest = (device: Device) => sign(device, { ...base(device), type: 'RepresentationListRequest' });

/** A representative's documents: signed by this device's key (its card is the representative's), for the represented card. */
export const signRepresentativeConsent = (
    device: Device,
    f: ActingFor,
    p: { serviceId: string; recipientMspId: string; purpose: string; items: string[]; predicates: string[]; retentionDays: number },
) => sign(device, { ...base(device), ...acting(f), type: 'RepresentativeConsentReceipt', ...p });

export const signRepresentativeWithdrawal = (device: Device, f: ActingFor, consentId: string) =>
    sign(device, { ...base(device), ...acting(f), type: 'RepresentativeConsentWithdrawal', consentId });

export const signRepresentativeAccessLogRequest = (device: Device, f: ActingFor) =>
    sign(device, { ...base(device), ...acting(f), type: 'RepresentativeAccessLogListRequest' });

export const signMinorityEnd = (device: Device, ownToken: string) => sign(device, { ...base(device), type: 'MinorityEnd', ownToken });

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * An objection to an entry: the device signs the salted hash of the text (sha256 of canonical
 * {salt, text}, chaincode/model/commitments.ts textCommitment); the text and its fresh salt go
 * beside the signed document to the gateway, which sends them to Seoul's peers only.
 */
export async function signObjection(device: Device, accessId: string, text: string, f?: ActingFor) {
    const salt = toBase64Url(crypto.getRandomValues(new Uint8Array(24)));
    const textHash = hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson({ salt, text }))));
    const signed = await sign(device, { ...base(device), type: 'Objection', accessId, textHash, ...(f ? acting(f) : {}) });
    return { ...signed, objectionText: { text, salt } };
}
