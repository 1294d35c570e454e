// One JSON line per event on stdout, so a node's log file can be read by tools and by people.
// Callers pass identifiers (tx ids, orgs, block numbers), never payloads or transient data.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
    debug(msg: string, fields?: Record<string, unknown>): void;
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
    child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function newLogger(
    base: Record<string, unknown> = {},
    minLevel: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
    write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
    const threshold = ORDER[minLevel] ?? ORDER.info;
    const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
        if (ORDER[level] < threshold) return;
        const entry: Record<string, unknown> = { ts: new Date().toISOString(), level, ...base, msg };
        if (fields) {
            for (const [k, v] of Object.entries(fields)) entry[k] = v instanceof Error ? v.message : v;
        }
        write(JSON.stringify(entry));
    };
    return {
        debug: (m, f) => emit('debug', m, f),
        info: (m, f) => emit('info', m, f),
        warn: (m, f) => emit('warn', m, f),
        error: (m, f) => emit('error', m, f),
        child: (fields) => newLogger({ ...base, ...fields }, minLevel, write),
    };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = newLogger({}, 'error', () => undefined);
