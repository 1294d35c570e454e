// The peer's shim stream (network/devnet/peer/chaincode/stream.ts) against a bare HTTP/2 server
// that writes gRPC frames by hand: how messages are cut, what ends the stream, and each refusal
// with the gRPC status a grpc-js client would report. The stream against fabric-shim's own server,
// over TLS and without, is in chaincode.test.ts and chaincode-tls.test.ts.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { openShimStream, type ShimStream, type ShimStreamError } from '../../../network/devnet/peer/chaincode/stream';
import { withDeadline } from '../../deadline';

const MsgType = peer.ChaincodeMessage.Type;

const message = (txid: string, payload = 'p'): peer.ChaincodeMessage => {
    const m = new peer.ChaincodeMessage();
    m.setType(MsgType.RESPONSE);
    m.setTxid(txid);
    m.setPayload(Buffer.from(payload));
    return m;
};

const frame = (m: peer.ChaincodeMessage, flag = 0): Buffer => {
    const bytes = m.serializeBinary();
    const out = Buffer.alloc(5 + bytes.length);
    out[0] = flag;
    out.writeUInt32BE(bytes.length, 1);
    out.set(bytes, 5);
    return out;
};

type Outcome = { messages: string[]; error?: string; ended: boolean; closed: boolean; events: string[] };

/** Everything the stream reports until it closes. */
function watch(stream: ShimStream): Promise<Outcome> {
    const out: Outcome = { messages: [], ended: false, closed: false, events: [] };
    return withDeadline(
        'the shim stream to close',
        10_000,
        new Promise<Outcome>((resolve) => {
            stream.on('data', (m) => {
                out.messages.push(m.getTxid());
                out.events.push('data');
            });
            stream.on('error', (e: ShimStreamError) => {
                out.error = e.message;
                out.events.push('error');
            });
            stream.on('end', () => {
                out.ended = true;
                out.events.push('end');
            });
            stream.on('close', () => {
                out.closed = true;
                out.events.push('close');
                resolve(out);
            });
        }),
    );
}

describe('the peer’s shim stream (gRPC over node:http2)', () => {
    let server: http2.Http2Server;
    let address: string;
    let answer: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
    const received: { headers: http2.IncomingHttpHeaders; frames: Buffer[] }[] = [];

    before(async () => {
        server = http2.createServer();
        server.on('stream', (stream, headers) => {
            const entry = { headers, frames: [] as Buffer[] };
            received.push(entry);
            stream.on('error', () => {}); // the resets some cases make
            stream.on('data', (chunk: Buffer) => entry.frames.push(chunk));
            answer(stream, headers);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());
    beforeEach(() => {
        received.length = 0;
    });

    it('sends a gRPC request for protos.Chaincode/Connect, and messages written in one turn arrive in order, framed', async () => {
        answer = (stream) => {
            stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
            stream.on('end', () => stream.end());
            stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        };
        const stream = openShimStream({ address });
        const outcome = watch(stream);
        for (let i = 0; i < 100; i++) stream.write(message(`tx${i}`));
        stream.end();
        const o = await outcome;
        expect(o.error).to.equal(undefined);
        expect(o).to.include({ ended: true, closed: true });
        const [request] = received;
        expect(request.headers).to.include({
            ':method': 'POST',
            ':path': '/protos.Chaincode/Connect',
            'content-type': 'application/grpc',
            te: 'trailers',
        });
        // The server read the 100 frames back to back, whatever the chunks.
        let bytes = Buffer.concat(request.frames);
        const txids: string[] = [];
        while (bytes.length > 0) {
            expect(bytes[0]).to.equal(0);
            const length = bytes.readUInt32BE(1);
            txids.push(peer.ChaincodeMessage.deserializeBinary(bytes.subarray(5, 5 + length)).getTxid());
            bytes = bytes.subarray(5 + length);
        }
        expect(txids).to.deep.equal(Array.from({ length: 100 }, (_, i) => `tx${i}`));
    });

    it('reads messages however the server cuts them: two in one DATA frame, one across three, a header split', async () => {
        answer = (stream) => {
            stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
            const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => frame(message(id, id.repeat(70_000))));
            stream.write(Buffer.concat([a, b]));
            stream.write(c.subarray(0, 3));
            stream.write(c.subarray(3, 40_000));
            stream.write(Buffer.concat([c.subarray(40_000), d.subarray(0, 2)]));
            stream.end(d.subarray(2));
            stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        };
        const o = await watch(openShimStream({ address }));
        expect(o.messages).to.deep.equal(['a', 'b', 'c', 'd']);
        expect(o.error).to.equal(undefined);
        expect(o.ended).to.equal(true);
    });

    const refusals: [string, (stream: http2.ServerHttp2Stream) => void, RegExp][] = [
        [
            'a trailers-only answer (the server does not serve the method)',
            (s) =>
                s.respond(
                    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown%20service' },
                    { endStream: true },
                ),
            /^12 UNIMPLEMENTED: unknown service$/,
        ],
        [
            'an error status in the trailers after messages',
            (s) => {
                s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
                s.end(frame(message('x')));
                s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '13', 'grpc-message': 'boom' }));
            },
            /^13 INTERNAL: boom$/,
        ],
        ['an HTTP status other than 200', (s) => s.respond({ ':status': 404 }, { endStream: true }), /^12 UNIMPLEMENTED: HTTP status 404/],
        [
            'a content type that is not gRPC',
            (s) => {
                s.respond({ ':status': 200, 'content-type': 'text/html' });
                s.end('<html>');
            },
            /^13 INTERNAL: content-type "text\/html" is not gRPC/,
        ],
        [
            'a compressed message (no compression was offered)',
            (s) => {
                s.respond({ ':status': 200, 'content-type': 'application/grpc' });
                s.write(frame(message('x'), 1));
            },
            /^13 INTERNAL: compressed message/,
        ],
        [
            'a message announced over Fabric’s 100 MiB limit',
            (s) => {
                s.respond({ ':status': 200, 'content-type': 'application/grpc' });
                const head = Buffer.alloc(5);
                head.writeUInt32BE(100 * 1024 * 1024 + 1, 1);
                s.write(head);
            },
            /^8 RESOURCE_EXHAUSTED: received message of 104857601 bytes is over the limit/,
        ],
        [
            'bytes that are not a ChaincodeMessage',
            (s) => {
                s.respond({ ':status': 200, 'content-type': 'application/grpc' });
                s.write(Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]));
            },
            /^13 INTERNAL: could not parse a ChaincodeMessage/,
        ],
        [
            'a stream reset without trailers (the server went away)',
            (s) => s.close(http2.constants.NGHTTP2_INTERNAL_ERROR),
            /^14 UNAVAILABLE: /,
        ],
    ];
    for (const [what, serve, expected] of refusals) {
        it(`reports ${what} as one error, then closes, and delivers nothing after it`, async () => {
            answer = serve;
            const stream = openShimStream({ address });
            const o = await watch(stream);
            expect(o.error).to.match(expected);
            expect(o.events.slice(o.events.indexOf('error'))).to.deep.equal(['error', 'close']);
            expect(() => stream.write(message('after'))).not.to.throw();
        });
    }

    it('reports a server that is not there as 14 UNAVAILABLE (connection refused), then closes', async () => {
        const probe = http2.createServer();
        await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
        const port = (probe.address() as AddressInfo).port;
        await new Promise((resolve) => probe.close(resolve));
        const o = await watch(openShimStream({ address: `127.0.0.1:${port}` }));
        expect(o.error).to.match(/^14 UNAVAILABLE: No connection established: .*ECONNREFUSED/);
        expect(o.messages).to.deep.equal([]);
    });

    it('gives up on a server that accepts TCP but never speaks HTTP/2 after the dial timeout', async () => {
        const net = await import('node:net');
        const silent = net.createServer(() => {});
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        try {
            const started = Date.now();
            const o = await watch(
                openShimStream({
                    address: `127.0.0.1:${(silent.address() as AddressInfo).port}`,
                    tls: { rootCert: 'x' },
                    dialTimeoutMs: 300,
                }),
            );
            expect(o.error).to.match(/^14 UNAVAILABLE: /);
            expect(Date.now() - started).to.be.below(5000);
        } finally {
            silent.close();
        }
    });
});
