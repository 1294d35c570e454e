// Benchmark of the devnet (not a test): one-write transactions submitted through fabric-gateway
// with MAJORITY endorsement. Prints committed transactions per second at a few concurrency levels
// and the latency percentiles at light load, with the batch timeout in force.
// Run: npm run bench:devnet [-- --seconds 10 --levels 1,8,32,64]
import { testNetwork, stopTestNetwork } from '../e2e/network';
import { connectAs } from '../../network/client';
import { StatusCode } from '@hyperledger/fabric-gateway';

function flag(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
    const seconds = Number(flag('seconds', '10'));
    const levels = flag('levels', '1,8,32,64,128,256').split(',').map(Number);
    const { topology } = await testNetwork();
    const connection = connectAs(topology, 'SeoulMSP', 'User1');
    const contract = connection.gateway.getNetwork(topology.channel).getContract('fixture');
    const run = `bench-${Date.now()}`;
    let n = 0;
    const once = async (): Promise<number> => {
        const started = performance.now();
        const tx = await contract.submitAsync('Put', { arguments: [`${run}-${n++}`, 'v'] });
        const status = await tx.getStatus();
        if (status.code !== StatusCode.VALID) throw new Error(`transaction ${status.transactionId} committed as ${status.code}`);
        return performance.now() - started;
    };
    for (let i = 0; i < 50; i++) await once(); // warm-up: connections, JIT

    console.log(
        `devnet benchmark: one-write transaction, MAJORITY of ${topology.orgs.length} orgs, batch timeout ${topology.orderer.batch.timeoutMs} ms, ${seconds} s per level`,
    );
    console.log('concurrency  committed tx/s  p50 ms  p95 ms  p99 ms');
    for (const level of levels) {
        const latencies: number[] = [];
        const deadline = performance.now() + seconds * 1000;
        const begin = performance.now();
        await Promise.all(
            Array.from({ length: level }, async () => {
                while (performance.now() < deadline) latencies.push(await once());
            }),
        );
        const elapsed = (performance.now() - begin) / 1000;
        latencies.sort((a, b) => a - b);
        console.log(
            `${String(level).padStart(11)}  ${(latencies.length / elapsed).toFixed(1).padStart(14)}  ${percentile(latencies, 50).toFixed(1).padStart(6)}  ${percentile(latencies, 95).toFixed(1).padStart(6)}  ${percentile(latencies, 99).toFixed(1).padStart(6)}`,
        );
    }
    connection.close();
}

main()
    .then(stopTestNetwork)
    .then(
        () => process.exit(0),
        async (e: Error) => {
            console.error(e.message);
            await stopTestNetwork();
            process.exit(1);
        },
    );
