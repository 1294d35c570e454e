// Issue 27: clients on grpc-js before 1.10.4 (fabric-gateway 1.5.0 over grpc-js 1.10.3, as widely
// used benchmark tools pin them) end every call with an RST_STREAM; Node's HTTP/2 server (nghttp2)
// used to drop their connections after 1,000 such resets, then 33 a second. On the test network
// they send 300 evaluations a second for 20 s and 100 submits a second for 20 s: no call fails and
// no node sends a GOAWAY. A real rapid-reset flood (streams opened and reset before they finish) is
// cut off, logged and counted, and the peer goes on serving the other clients.
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import { expect } from 'chai';
import { findOrg, paths, primaryOrderer, type Topology } from '../../network/client/topology';
import { onlyOn } from '../not-run';
import { withDeadline } from '../deadline';
import { NETWORK, NETWORK_LABEL, testNetwork } from './network';
import { OLD_CLIENT_VERSIONS, oldClient, oldClientCalls, type OldClient, paced, type PacedResult } from './old-client';

const SECONDS = 20;
const EVALUATE_RATE = 300;
const SUBMIT_RATE = 100;

/** The operations endpoints of the devnet's gRPC servers (peers and the orderer). */
function grpcNodes(t: Topology): { name: string; operations: string }[] {
    const orderer = primaryOrderer(t);
    return [
        ...t.orgs.map((o) => ({ name: paths.peerName(t, o.mspId), operations: `http://${o.peer.host}:${o.peer.operationsPort}` })),
        { name: paths.ordererName(t), operations: `http://${orderer.host}:${orderer.operationsPort}` },
    ];
}

/** The sum of a metric's samples (all label sets) at a node's /metrics. */
async function metricSum(operations: string, name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`${operations}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n'))
        if (line.startsWith(`${name}${labels}`) && /^[^{ ]+(\{[^}]*\})? /.test(line)) sum += Number(line.split(' ').pop());
    return sum;
}

/** Each node's GOAWAYs sent so far. */
async function goaways(t: Topology): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const node of grpcNodes(t)) out.set(node.name, await metricSum(node.operations, 'grpc_comm_goaway_sent'));
    return out;
}

/** A node's JSON log lines with a given message, written since `since` (ISO time). */
function logLines(t: Topology, node: string, msg: string, since: string): Record<string, unknown>[] {
    return fs
        .readFileSync(paths.log(t, node), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{') && l.includes(`"${msg}"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.msg === msg && String(e.time) >= since);
}

const summary = (r: PacedResult) =>
    `${r.ok} ok, ${r.failed} failed of ${r.sent} in ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(0)}/s, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms)${
        r.errors.size ? `: ${[...r.errors].map(([e, n]) => `${n} × ${e}`).join('; ')}` : ''
    }`;

describe(`a grpc-js 1.10.3 + fabric-gateway 1.5.0 client under load on ${NETWORK_LABEL} (issue 27)`, function () {
    this.timeout(240_000);
    let t: Topology;
    let client: OldClient;
    let calls: ReturnType<typeof oldClientCalls>;
    let goawaysBefore: Map<string, number>;
    let since: string;

    before(async () => {
        t = (await testNetwork()).topology;
        since = new Date().toISOString();
        expect(OLD_CLIENT_VERSIONS).to.deep.equal({ grpcJs: '1.10.3', fabricGateway: '1.5.0' });
        client = oldClient(t, t.orgs[0].mspId);
        calls = oldClientCalls(client, `old-client-${Date.now()}`);
        await calls.prepare();
        if (NETWORK === 'devnet') goawaysBefore = await goaways(t);
    });

    after(() => client?.close());

    it(`Given ${EVALUATE_RATE} evaluations a second for ${SECONDS} s, Then every one succeeds`, async () => {
        const result = await withDeadline(
            'the evaluations',
            120_000,
            paced(EVALUATE_RATE, SECONDS, () => calls.evaluate()),
        );
        console.log(`      evaluate at ${EVALUATE_RATE}/s: ${summary(result)}`);
        expect(result.failed, summary(result)).to.equal(0);
        expect(result.ok).to.equal(EVALUATE_RATE * SECONDS);
    });

    it(`Given ${SUBMIT_RATE} submits a second for ${SECONDS} s, Then every one commits as valid`, async () => {
        const result = await withDeadline(
            'the submits',
            150_000,
            paced(SUBMIT_RATE, SECONDS, (i) => calls.submit(i)),
        );
        console.log(`      submit at ${SUBMIT_RATE}/s: ${summary(result)}`);
        expect(result.failed, summary(result)).to.equal(0);
        expect(result.ok).to.equal(SUBMIT_RATE * SECONDS);
    });

    it('Then no node sent a GOAWAY nor logged one, and the peer ignored the resets of finished streams', async function () {
        onlyOn(this, 'devnet', "the devnet's metrics and logs");
        expect(await goaways(t)).to.deep.equal(goawaysBefore);
        for (const node of grpcNodes(t)) expect(logLines(t, node.name, 'grpc_goaway_sent', since), node.name).to.deep.equal([]);
        const peer = grpcNodes(t)[0];
        expect(await metricSum(peer.operations, 'grpc_comm_stream_resets', '{stream="finished"}')).to.be.at.least(
            (EVALUATE_RATE + SUBMIT_RATE) * SECONDS,
        );
    });

    it('Given a rapid-reset flood at the peer, Then it is cut off with GOAWAY ENHANCE_YOUR_CALM, logged at warn and counted, and the old client goes on', async function () {
        onlyOn(this, 'devnet', 'grpc-go bounds such a flood otherwise (its handler quota), without a GOAWAY');
        const org = findOrg(t, t.orgs[0].mspId);
        const peerName = paths.peerName(t, org.mspId);
        const operations = grpcNodes(t)[0].operations;
        const cutBefore = await metricSum(operations, 'grpc_comm_conn_closed', '{reason="rapid_reset"}');
        const floodStart = new Date().toISOString();
        // The old client keeps evaluating through the flood, on its own connection.
        const alongside = paced(50, 4, () => calls.evaluate());
        const flood = http2.connect(`https://${org.peer.host}:${org.peer.port}`, {
            ca: fs.readFileSync(paths.tlsRootCert(t, org.mspId)),
            servername: peerName,
        });
        flood.on('error', () => undefined);
        let opened = 0;
        const goaway = await withDeadline(
            'the GOAWAY of the flood',
            20_000,
            new Promise<{ code: number; data: string }>((resolve) => {
                flood.once('goaway', (code, _last, data) => resolve({ code, data: data?.toString() ?? '' }));
                const burst = () => {
                    if (flood.destroyed || flood.closed) return;
                    // Each stream is opened (its request headers sent) and reset at once: thousands a second.
                    for (let k = 0; k < 100; k++) {
                        const stream = flood.request({
                            ':method': 'POST',
                            ':path': '/gateway.Gateway/Evaluate',
                            'content-type': 'application/grpc',
                            te: 'trailers',
                        });
                        stream.on('error', () => undefined);
                        stream.close(http2.constants.NGHTTP2_CANCEL);
                        opened++;
                    }
                    setTimeout(burst, 0);
                };
                flood.once('connect', burst);
            }),
        );
        flood.destroy();
        expect(goaway).to.deep.equal({ code: http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, data: 'rapid_reset' });
        expect(opened).to.be.greaterThan(900);
        const meanwhile = await alongside;
        expect(meanwhile.failed, summary(meanwhile)).to.equal(0);
        await calls.evaluate(); // and after it
        await withDeadline(
            'the peer’s log line of the cut',
            10_000,
            (async () => {
                while (logLines(t, peerName, 'grpc_connection_closed', floodStart).length === 0)
                    await new Promise((r) => setTimeout(r, 100));
            })(),
        );
        const [closed] = logLines(t, peerName, 'grpc_connection_closed', floodStart);
        expect(closed).to.include({ level: 'warn', reason: 'rapid_reset' });
        expect(closed.remote).to.match(/^127\.0\.0\.1:\d+$/);
        expect(closed.streamsEnded).to.be.a('number');
        const [sent] = logLines(t, peerName, 'grpc_goaway_sent', floodStart);
        expect(sent).to.include({ level: 'warn', code: 'ENHANCE_YOUR_CALM', reason: 'rapid_reset', remote: closed.remote });
        expect(await metricSum(operations, 'grpc_comm_conn_closed', '{reason="rapid_reset"}')).to.equal(cutBefore + 1);
    });
});
