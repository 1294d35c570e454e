// Preloaded (`node --require`) into the chaincode servers the tooling starts: fabric-shim's logger
// (winston's colorize, which forces colours on even when stdout is a file and FORCE_COLOR=0) writes
// ANSI colour codes; this drops them before they reach the node's log file.
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
