// One round of the old client (test/e2e/old-client.ts) in a process of its own, so that it can run
// under an older Node than the product's: grpc-js 1.10.3 resets every finished stream only on Node
// 20 and older, as on the machines of the users who still run it. Reads a RoundRequest as JSON on
// stdin, prints a RoundReply as JSON on stdout. Started by oldClientRunner(); not a command.
import { oldClient, oldClientCalls, paced, type RoundReply, type RoundRequest } from './old-client';

/**
 * Counts the resets of finished streams the old grpc-js writes: its http2Stream.close() after a
 * call's status came, on a stream Node has not closed yet, is an RST_STREAM on the wire under Node
 * 20 and older. The server cannot count them (nghttp2 ignores them, as grpc-go does). Only this
 * process's HTTP/2 is the old client's, so Node's http2.connect (the same module object grpc-js
 * 1.10.3 requires) is wrapped here.
 */
function countResets(): { written: number } {
    const count = { written: 0 };
    const http2 = require('node:http2') as typeof import('node:http2');
    const connect = http2.connect;
    (http2 as { connect: unknown }).connect = (...args: Parameters<typeof connect>) => {
        const session = connect(...args);
        const request = session.request.bind(session);
        session.request = (...requestArgs: Parameters<typeof request>) => {
            const stream = request(...requestArgs);
            const close = stream.close.bind(stream);
            stream.close = (code?: number, callback?: () => void) => {
                if (!stream.closed && !stream.destroyed) count.written++;
                close(code, callback);
            };
            return stream;
        };
        return session;
    };
    return count;
}

async function main(): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RoundRequest;
    const resets = countResets();
    const client = oldClient(request.topology, request.mspId);
    try {
        const calls = oldClientCalls(client, request.run);
        if (request.what === 'prepare') await calls.prepare();
        for (let i = 0; i < request.warmup; i++) await calls.evaluate();
        const resetsBefore = resets.written;
        const once = request.what === 'submit' ? (i: number) => calls.submit(i) : () => calls.evaluate();
        const result = request.what === 'prepare' ? undefined : await paced(request.rate, request.seconds, once);
        const reply: RoundReply = {
            node: process.version,
            result: result && { ...result, errors: [...result.errors], resetsWritten: resets.written - resetsBefore },
        };
        process.stdout.write(`${JSON.stringify(reply)}\n`);
    } finally {
        client.close();
    }
}

main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
});
