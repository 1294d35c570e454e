// One round of the old client (test/e2e/old-client.ts) in a process of its own, so that it can run
// under an older Node than the product's: grpc-js 1.10.3 resets every finished stream only on Node
// 20 and older, as on the machines of the users who still run it. Reads a RoundRequest as JSON on
// stdin, prints a RoundReply as JSON on stdout. Started by oldClientRunner(); not a command.
import { oldClient, oldClientCalls, paced, type RoundReply, type RoundRequest } from './old-client';

async function main(): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RoundRequest;
    const client = oldClient(request.topology, request.mspId);
    try {
        const calls = oldClientCalls(client, request.run);
        if (request.what === 'prepare') await calls.prepare();
        for (let i = 0; i < request.warmup; i++) await calls.evaluate();
        const once = request.what === 'submit' ? (i: number) => calls.submit(i) : () => calls.evaluate();
        const result = request.what === 'prepare' ? undefined : await paced(request.rate, request.seconds, once);
        const reply: RoundReply = { node: process.version, result: result && { ...result, errors: [...result.errors] } };
        process.stdout.write(`${JSON.stringify(reply)}\n`);
    } finally {
        client.close();
    }
}

main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
});
