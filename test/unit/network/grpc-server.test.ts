// The devnet's gRPC server listener over real TLS sockets: a client that resets every finished
// stream (hand-built frames, as grpc-js 1.10.3 on Node 20 sends them, whatever Node runs the test)
// is served well past nghttp2's reset bucket, which drops it on a bare grpc-js server; a rapid-reset flood and a ping flood are
// cut off with GOAWAY ENHANCE_YOUR_CALM, logged at warn with the client's address, the reason and
// the streams ended, and counted; other clients go on.
import 'reflect-metadata';
import * as http2 from 'node:http2';
import * as crypto from 'node:crypto';
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { createLogger } from '../../../network/client/logger';
import { GrpcListener, listenNodeServer, newNodeServer } from '../../../network/devnet/common/grpc';
import { createNodeMetrics, NodeMetrics } from '../../../network/devnet/common/metrics';
import { withDeadline } from '../../deadline';
import { rapidResetFlood } from '../../rapid-reset';
import { ResettingClient } from '../../resetting-client';

const ECHO = {
    echo: {
        path: '/test.Echo/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
    },
};

/** A self-signed TLS server certificate for localhost (P-256). */
async function selfSignedTls(): Promise<{ key: Buffer; cert: Buffer }> {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as crypto.webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=localhost',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        keys,
        signingAlgorithm: alg,
        extensions: [
            new x509.SubjectAlternativeNameExtension([
                { type: 'dns', value: 'localhost' },
                { type: 'ip', value: '127.0.0.1' },
            ]),
        ],
    });
    const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    const key = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' });
    return { key: Buffer.from(key), cert: Buffer.from(cert.toString('pem')) };
}

const call = (client: grpc.Client): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) =>
        client.makeUnaryRequest(
            ECHO.echo.path,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from('x'),
            (err) => resolve(err),
        ),
    );

async function metric(metrics: NodeMetrics, name: string): Promise<number> {
    const text = await metrics.registry.metrics();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
    return sum;
}

describe('devnet gRPC server listener (TLS, HTTP/2 guard)', function () {
    this.timeout(60_000);
    let tls: { key: Buffer; cert: Buffer };
    let server: grpc.Server;
    let listener: GrpcListener;
    let metrics: NodeMetrics;
    let lines: Record<string, unknown>[];

    before(async () => {
        tls = await selfSignedTls();
    });

    beforeEach(async () => {
        lines = [];
        metrics = createNodeMetrics();
        server = newNodeServer();
        server.addService(ECHO, { echo: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, c.request) });
        const logger = createLogger({ node: 'test' }, 'debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
        listener = await listenNodeServer(server, { host: '127.0.0.1', port: 0, tls, logger, metrics: metrics.grpc });
    });

    afterEach(() => {
        listener.close();
        server.forceShutdown();
        listener.destroy();
    });

    const warnings = (msg: string) => lines.filter((l) => l.level === 'warn' && l.msg === msg);

    /** 2,500 calls one after another from a client that resets every finished stream (as grpc-js 1.10.3 on Node ≤ 20). */
    async function resettingCalls(port: number): Promise<{ ok: number; failures: string[]; client: ResettingClient }> {
        const client = await ResettingClient.connect(port, tls.cert);
        const failures: string[] = [];
        let ok = 0;
        await withDeadline(
            'the resetting client’s calls',
            50_000,
            (async () => {
                for (let i = 0; i < 2500 && failures.length === 0; i++) {
                    const reply = await client
                        .call(ECHO.echo.path, Buffer.from(`call ${i}`))
                        .catch((err: Error) => ({ error: err.message }));
                    if ('reply' in reply && reply.reply?.toString() === `call ${i}`) ok++;
                    else failures.push(`${i}: ${JSON.stringify(reply)}`);
                }
            })(),
        );
        client.close();
        return { ok, failures, client };
    }

    it('Given a client that resets every finished stream (grpc-js 1.10.3 on Node ≤ 20), When it makes 2,500 calls one after another (past nghttp2’s 1,000 resets), Then every call succeeds and no GOAWAY is sent', async () => {
        const { ok, failures, client } = await resettingCalls(listener.port);
        expect(failures).to.deep.equal([]);
        expect(ok).to.equal(2500);
        expect(client.resetsSent).to.equal(2500);
        expect(client.goaway).to.equal(undefined);
        // nghttp2 ignores a reset of a finished stream, as grpc-go does: none reaches the guard's bucket.
        expect(await metric(metrics, 'grpc_comm_stream_resets{stream="in_progress"}')).to.equal(0);
        expect(await metric(metrics, 'grpc_comm_goaway_sent')).to.equal(0);
        expect(warnings('grpc_goaway_sent')).to.deep.equal([]);
    });

    it('Given the same client and a grpc-js server on Node’s own HTTP/2 defaults (no devnet listener), Then nghttp2 drops it after about 1,000 resets with GOAWAY INTERNAL_ERROR (what issue 27 saw)', async () => {
        const bare = new grpc.Server();
        bare.addService(ECHO, { echo: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, c.request) });
        const port = await new Promise<number>((resolve, reject) =>
            bare.bindAsync(
                '127.0.0.1:0',
                grpc.ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }]),
                (err, p) => (err ? reject(err) : resolve(p)),
            ),
        );
        try {
            const { ok, failures, client } = await resettingCalls(port);
            expect(failures).to.have.length(1);
            expect(ok).to.be.within(1000, 1200);
            expect(client.goaway).to.include({ code: http2.constants.NGHTTP2_INTERNAL_ERROR });
        } finally {
            bare.forceShutdown();
        }
    });

    it("Given a protocol error (a reset of a stream never opened), Then nghttp2's own GOAWAY PROTOCOL_ERROR is logged at warn with the client's address and counted, and the connection's close too", async () => {
        const client = await ResettingClient.connect(listener.port, tls.cert);
        expect(await client.call(ECHO.echo.path, Buffer.from('before'))).to.deep.equal({ reply: Buffer.from('before') });
        client.resetIdleStream();
        await withDeadline(
            'the GOAWAY and the closed connection',
            5000,
            (async () => {
                while (!client.goaway || warnings('grpc_connection_closed').length === 0) await new Promise((r) => setTimeout(r, 20));
            })(),
        );
        client.close();
        expect(client.goaway).to.include({ code: http2.constants.NGHTTP2_PROTOCOL_ERROR });
        const [sent] = warnings('grpc_goaway_sent');
        expect(sent).to.include({ code: 'PROTOCOL_ERROR', by: 'server', lastStreamId: 1 });
        expect(sent.reason).to.match(/^nghttp2: /);
        expect(sent.remote).to.match(/^127\.0\.0\.1:\d+$/);
        const [closed] = warnings('grpc_connection_closed');
        expect(closed).to.include({ reason: 'goaway_PROTOCOL_ERROR', remote: sent.remote, streamsOpened: 1, streamsEnded: 0 });
        expect(await metric(metrics, 'grpc_comm_goaway_sent{code="PROTOCOL_ERROR"')).to.equal(1);
        expect(await metric(metrics, 'grpc_comm_conn_closed{reason="goaway_PROTOCOL_ERROR"}')).to.equal(1);
    });

    it('Given a rapid-reset flood (streams opened and reset at once), Then the connection is cut with GOAWAY ENHANCE_YOUR_CALM rapid_reset, logged and counted, and another client goes on', async () => {
        const other = new grpc.Client(`localhost:${listener.port}`, grpc.credentials.createSsl(tls.cert));
        expect(await call(other)).to.equal(null);
        const { goaway, opened } = await rapidResetFlood({ host: '127.0.0.1', port: listener.port }, { ca: tls.cert }, ECHO.echo.path);
        expect(goaway).to.deep.equal({ code: http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, data: 'rapid_reset' });
        expect(opened).to.be.greaterThan(900);
        // The other client's connection is untouched.
        for (let i = 0; i < 20; i++) expect(await call(other)).to.equal(null);
        other.close();
        await withDeadline(
            'the closed connection’s log line',
            5000,
            (async () => {
                while (warnings('grpc_connection_closed').length === 0) await new Promise((r) => setTimeout(r, 50));
            })(),
        );
        const [sent] = warnings('grpc_goaway_sent');
        expect(sent).to.include({ code: 'ENHANCE_YOUR_CALM', reason: 'rapid_reset', by: 'guard' });
        expect(sent.remote).to.match(/^127\.0\.0\.1:\d+$/);
        const [closed] = warnings('grpc_connection_closed');
        expect(closed).to.include({ reason: 'rapid_reset' });
        expect(closed.streamsEnded).to.be.a('number');
        expect(closed.remote).to.equal(sent.remote);
        expect(await metric(metrics, 'grpc_comm_conn_closed{reason="rapid_reset"}')).to.equal(1);
        expect(await metric(metrics, 'grpc_comm_goaway_sent{code="ENHANCE_YOUR_CALM",reason="rapid_reset"}')).to.equal(1);
        expect(await metric(metrics, 'grpc_comm_stream_resets{stream="in_progress"}')).to.be.at.least(900);
    });

    it('Given a client that pings every few milliseconds, Then it is closed with GOAWAY ENHANCE_YOUR_CALM too_many_pings (Fabric’s 60 s minInterval), logged and counted', async () => {
        const session = http2.connect(`https://localhost:${listener.port}`, { ca: tls.cert });
        session.on('error', () => undefined);
        const goaway = await withDeadline(
            'the GOAWAY of the pings',
            10_000,
            new Promise<{ code: number; data: string }>((resolve) => {
                session.once('goaway', (code, _last, data) => resolve({ code, data: data?.toString() ?? '' }));
                session.once('connect', () => {
                    const again = () => {
                        if (session.destroyed || session.closed) return;
                        session.ping(() => setTimeout(again, 5));
                    };
                    again();
                });
            }),
        );
        session.destroy();
        expect(goaway).to.deep.equal({ code: http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, data: 'too_many_pings' });
        expect(warnings('grpc_goaway_sent')[0]).to.include({ code: 'ENHANCE_YOUR_CALM', reason: 'too_many_pings' });
        expect(await metric(metrics, 'grpc_comm_ping_strikes')).to.equal(3);
    });
});
