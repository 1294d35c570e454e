// The one deterministic serializer for state, events, return values and signed documents:
// JSON with object keys sorted by UTF-16 code unit order, no whitespace, no undefined members.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function normalize(value: unknown, path: string): Json | undefined {
    if (value === null) return null;
    switch (typeof value) {
        case 'boolean':
        case 'string':
            return value;
        case 'number':
            if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path}`);
            return value;
        case 'undefined':
        case 'function':
        case 'symbol':
            return undefined;
        case 'bigint':
            throw new TypeError(`canonicalJson: bigint at ${path}`);
        default:
            break;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => {
            const n = normalize(v, `${path}[${i}]`);
            return n === undefined ? null : n;
        });
    }
    if (value instanceof Date) return value.toISOString();
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
        throw new TypeError(`canonicalJson: bytes at ${path}; encode them as base64 first`);
    }
    const out: { [key: string]: Json } = {};
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj).sort()) {
        const n = normalize(obj[key], `${path}.${key}`);
        if (n !== undefined) out[key] = n;
    }
    return out;
}

/** Canonical JSON text: sorted keys at every depth, undefined members dropped. */
export function canonicalJson(value: unknown): string {
    const n = normalize(value, '$');
    // JSON.stringify keeps insertion order, which normalize made sorted.
    return JSON.stringify(n === undefined ? null : n);
}

/** UTF-8 bytes of canonicalJson(value): what is stored, emitted and signed. */
export function canonicalBytes(value: unknown): Buffer {
    return Buffer.from(canonicalJson(value), 'utf8');
}
