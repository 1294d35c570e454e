// Preloaded (`node --require`) into the chaincode servers the tooling starts: fabric-shim's logger
// (winston's colorize, which forces colours on even when stdout is a file and FORCE_COLOR=0) writes
// ANSI colour codes; this drops them before they reach the node's log file. It also drops one
// warning (below) that fabric-shim's own code causes at every start.
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
