// Preloaded (`node --require`) into the chaincode servers the tooling starts: fabric-shim's logger
// (winston's colorize, which forces colours on even when stdout is a file and FORCE_COLOR=0) writes
// ANSI colour codes; this drops them before they reach the node's log file. It also drops one
// warning (below) that fabric-shim's own code causes at every start, and skips the lines its
// logger's level turns off before winston formats them (at the end).
import { createRequire } from 'node:module';

const COLOUR = /\u001b\[[0-9;]*m/g;

export function withoutColour(chunk: unknown): unknown {
    if (typeof chunk === 'string') return chunk.replace(COLOUR, '');
    if (Buffer.isBuffer(chunk) && chunk.includes(0x1b)) return chunk.toString('utf8').replace(COLOUR, '');
    return chunk;
}

for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(withoutColour(chunk), ...rest)) as typeof stream.write;
}

/**
 * fabric-shim 2.5.8 (the newest 2.5) starts its ChaincodeServer with @grpc/grpc-js's bindAsync()
 * and then calls server.start(), which grpc-js deprecated in 1.10: bindAsync() starts serving, and
 * start() only sets a flag. So every chaincode server printed "(node:PID) DeprecationWarning:
 * Calling start() is no longer necessary. It can be safely omitted." once at start, on every Node.
 * Only that warning is dropped; any other goes on as before.
 */
export const GRPC_START_DEPRECATION = 'Calling start() is no longer necessary. It can be safely omitted.';

const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const message = typeof warning === 'string' ? warning : (warning as Error | undefined)?.message;
    if (message === GRPC_START_DEPRECATION) return;
    emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

/**
 * winston 3 (fabric-shim's logger) formats every line (timestamp, metadata, colours, padding,
 * printf) before its transport drops the lines below its level: fabric-shim's debug lines of every
 * message it handles were formatted and thrown away, 14 % of a chaincode server's busy time during
 * evaluations. A line whose level no transport writes now stops at the logger; what is written is
 * unchanged, and so is CORE_CHAINCODE_LOGGING_LEVEL (or fabric-shim's setLevel) at any time.
 */
const SKIPS = Symbol('skipsDisabledLevels');
/** triple-beam's LEVEL: the level winston keeps on each line. */
const LEVEL = Symbol.for('level');

export function skipDisabledLevels(Logger: { prototype: object }): void {
    const proto = Logger.prototype as {
        write(chunk: unknown, ...rest: unknown[]): boolean;
        isLevelEnabled(level: string): boolean;
        [SKIPS]?: true;
    };
    if (proto[SKIPS]) return;
    const write = proto.write;
    proto.write = function (this: typeof proto, info: unknown, ...rest: unknown[]): boolean {
        const level =
            info && typeof info === 'object'
                ? ((info as Record<symbol | string, unknown>)[LEVEL] ?? (info as { level?: unknown }).level)
                : undefined;
        if (typeof level === 'string' && !this.isLevelEnabled(level)) return true;
        return write.call(this, info, ...rest);
    };
    proto[SKIPS] = true;
}
try {
    // The winston fabric-shim itself loads, wherever npm put it.
    const fromShim = createRequire(require.resolve('fabric-shim/package.json'));
    skipDisabledLevels(fromShim('winston').Logger);
} catch {
    // Not a fabric-shim server (a `command` chaincode server, or fabric-shim not installed): nothing to skip.
}
