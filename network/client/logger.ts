// The one logger of the devnet's nodes and the gateways: one JSON object per line on stdout with the
// same fields everywhere (`time`, `level`, `node`, `msg`, then the event's own fields), so that
// `npm run network:logs` can merge every process's log in time order. Callers pass identifiers
// (tx ids, orgs, block numbers), never payloads; `redact` drops any field that could carry a key,
// a signature or personal data, whatever a caller passed by mistake.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
    debug(msg: string, fields?: Record<string, unknown>): void;
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
    child(fields: Record<string, unknown>): Logger;
}

/** Field names never written, at any depth. */
const SECRET_FIELDS =
    /^(authorization|x-api-key|api[-_]?key|key|secret|password|signature|signed.*|private.*|personal|transient|name|birth.*|address|resident.*|body|data|challenge|publickey|devicepublickey|token|cookie)$/i;

export function redact(value: unknown, depth = 0): unknown {
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) return { type: value.name, message: value.message };
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
}

export function isLogLevel(level: unknown): level is LogLevel {
    return typeof level === 'string' && level in LOG_LEVELS;
}

/**
 * Debug and info lines wait for the end of this turn of the event loop and go out in one write
 * (a gateway logs one line per request, a peer one per transaction: a write system call each cost
 * a gateway about 0.05 ms of CPU per request); warnings and errors are written at once, after what
 * waits, so that nothing is reordered and what a crash says is on disk. What waits is written when
 * the process exits too (process.exit, a fatal exception); only a SIGKILL can lose it, at most one
 * turn's info lines.
 */
let waiting: string[] = [];
let scheduled = false;
function flushStdout(): void {
    scheduled = false;
    if (waiting.length === 0) return;
    const text = waiting.join('');
    waiting = [];
    process.stdout.write(text);
}
function toStdout(line: string, level: LogLevel): void {
    waiting.push(`${line}\n`);
    if (LOG_LEVELS[level] >= LOG_LEVELS.warn) {
        flushStdout();
        return;
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(flushStdout);
}
process.on('exit', flushStdout);

/**
 * A logger for one process. `base` names it (`node`: the name its log file has) and may add fields
 * every line carries; the level defaults to $LOG_LEVEL, else info.
 */
export function createLogger(
    base: Record<string, unknown> = {},
    level: LogLevel = isLogLevel(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : 'info',
    write: (line: string, level: LogLevel) => void = toStdout,
): Logger {
    const emit = (l: LogLevel, msg: string, fields?: Record<string, unknown>) => {
        if (LOG_LEVELS[l] < LOG_LEVELS[level]) return;
        const rest = redact({ ...base, ...fields }) as Record<string, unknown>;
        write(JSON.stringify({ time: new Date().toISOString(), level: l, node: rest.node, msg, ...rest }), l);
    };
    return {
        debug: (m, f) => emit('debug', m, f),
        info: (m, f) => emit('info', m, f),
        warn: (m, f) => emit('warn', m, f),
        error: (m, f) => emit('error', m, f),
        child: (f) => createLogger({ ...base, ...f }, level, write),
    };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({}, 'error', () => undefined);
