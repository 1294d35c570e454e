// Structured JSON logs, one object per line. Callers pass fields; `redact` drops anything that
// could carry a key, a signature or personal data, whatever the caller passed by mistake.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names never written, at any depth. */
const SECRET_FIELDS =
    /^(authorization|x-api-key|api[-_]?key|key|secret|password|signature|signed.*|private.*|personal|transient|name|birth.*|address|resident.*|body|data|challenge|publickey|devicepublickey|token|cookie)$/i;

export interface Logger {
    debug(msg: string, fields?: Record<string, unknown>): void;
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
    child(fields: Record<string, unknown>): Logger;
}

export function redact(value: unknown, depth = 0): unknown {
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) return { type: value.name, message: value.message };
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
}

export function createLogger(
    level: Level = 'info',
    base: Record<string, unknown> = {},
    write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
    const emit = (l: Level, msg: string, fields?: Record<string, unknown>) => {
        if (ORDER[l] < ORDER[level]) return;
        write(JSON.stringify({ time: new Date().toISOString(), level: l, msg, ...(redact({ ...base, ...fields }) as object) }));
    };
    return {
        debug: (m, f) => emit('debug', m, f),
        info: (m, f) => emit('info', m, f),
        warn: (m, f) => emit('warn', m, f),
        error: (m, f) => emit('error', m, f),
        child: (f) => createLogger(level, { ...base, ...f }, write),
    };
}

export const silentLogger: Logger = createLogger('error', {}, () => undefined);
