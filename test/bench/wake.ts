// Benchmark of this machine (not a test, no network): the CPU one operation costs right after
// the process wakes from a sleep of 0 to 40 ms, against the same operation in a run. At one client
// the devnet makes one block per transaction (batch timeout 20 ms), so every process on a
// transaction's path (client, four peers, the orderer, three chaincode servers) sleeps between
// its few operations and pays this on each; at saturation they run back to back. The operations
// are those of a transaction's path: an ECDSA P-256 verification and signature (node:crypto), and
// the decoding of a 4 KB transaction envelope (google-protobuf, as every node does). Printed, side
// by side in one run: CPU µs of the first operation after each wake, of the ones after it in the
// same wake, and the ratio.
// Run: npm run bench:wake [-- --wakes 100 --gaps 0,1,5,20,40]
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { common } from '@hyperledger/fabric-protos';
import { flag } from './measure';

const wakes = Number(flag('wakes', '100'));
const gaps = flag('gaps', '0,1,5,20,40').split(',').map(Number);
if (!Number.isInteger(wakes) || wakes < 10 || gaps.some((g) => !Number.isInteger(g) || g < 0)) {
    console.error('usage: npm run bench:wake -- [--wakes N (>= 10)] [--gaps 0,1,5,20,40 (whole ms >= 0)]');
    process.exit(2);
}
/** Operations per wake: the first is measured alone, the others together. */
const PER_WAKE = 10;

const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const payload = new common.Payload();
payload.setHeader(new common.Header());
payload.setData(crypto.randomBytes(4096));
const envelope = new common.Envelope();
envelope.setPayload(payload.serializeBinary());
envelope.setSignature(crypto.sign('sha256', envelope.getPayload_asU8(), privateKey));
const envelopeBytes = envelope.serializeBinary();

const operations: [string, () => unknown][] = [
    ['ECDSA P-256 verify', () => crypto.verify('sha256', envelope.getPayload_asU8(), publicKey, envelope.getSignature_asU8())],
    ['ECDSA P-256 sign', () => crypto.sign('sha256', envelopeBytes, privateKey)],
    ['decode a 4 KB envelope', () => common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelopeBytes).getPayload_asU8())],
];

const cpuUs = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mean CPU µs of the first operation after a sleep of `gap` ms, and of the ones after it. */
async function measure(op: () => unknown, gap: number): Promise<{ first: number; after: number }> {
    let first = 0;
    let after = 0;
    for (let i = 0; i < wakes; i++) {
        await (gap === 0 ? new Promise((r) => setImmediate(r)) : sleep(gap));
        const t0 = cpuUs();
        op();
        const t1 = cpuUs();
        for (let k = 1; k < PER_WAKE; k++) op();
        const t2 = cpuUs();
        first += t1 - t0;
        after += (t2 - t1) / (PER_WAKE - 1);
    }
    return { first: first / wakes, after: after / wakes };
}

async function main() {
    for (const [, op] of operations) for (let i = 0; i < 500; i++) op(); // compiled and warm
    const rows: string[] = [];
    for (const [name, op] of operations) {
        for (const gap of gaps) {
            const { first, after } = await measure(op, gap);
            rows.push(
                `${name.padEnd(24)} ${String(gap).padStart(6)}  ${first.toFixed(0).padStart(9)}  ${after.toFixed(0).padStart(9)}  ${(first / after).toFixed(2).padStart(5)}`,
            );
        }
    }
    console.log(
        `Wake-up cost, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}, ${wakes} wakes per row`,
    );
    console.log(`${'operation'.padEnd(24)} ${'gap ms'.padStart(6)}  ${'first µs'.padStart(9)}  ${'next µs'.padStart(9)}  ratio`);
    for (const row of rows) console.log(row);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
