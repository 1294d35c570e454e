// The HTTP/2 guard of the devnet's gRPC servers, on frames built by hand: resets of finished streams
// are told from resets of streams in progress (whatever the chunking) and pass unlimited, resets of
// streams in progress pass until the bucket is empty, pings follow grpc-go's keepalive enforcement,
// the server's GOAWAYs are seen, and no byte is changed.
import { expect } from 'chai';
import { CLIENT_PREFACE, ConnectionGuard, CutReason, FRAME, GoawayFrame, GuardPolicy } from '../../../network/devnet/common/h2guard';

const POLICY: GuardPolicy = { inProgressResetBurst: 3, inProgressResetsPerSecond: 1, pingMinIntervalMs: 60_000, maxPingStrikes: 2 };
const END_STREAM = 0x1;

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(streamId, 5);
    return Buffer.concat([head, payload]);
}
const rst = (id: number, code = 0) => frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, code]));
const headers = (id: number, flags = 0) => frame(FRAME.HEADERS, flags | 0x4, id, Buffer.from('hpack-bytes'));
const data = (id: number, flags = 0) => frame(FRAME.DATA, flags, id, Buffer.from([0, 0, 0, 0, 1, 120]));
const ping = () => frame(FRAME.PING, 0, 0, Buffer.alloc(8));
const goaway = (last: number, code: number, debug = '') => {
    const p = Buffer.alloc(8 + debug.length);
    p.writeUInt32BE(last, 0);
    p.writeUInt32BE(code, 4);
    p.write(debug, 8, 'latin1');
    return frame(FRAME.GOAWAY, 0, 0, p);
};
const settings = () => frame(FRAME.SETTINGS, 0, 0);

/** A guard with a clock the test moves, and what it reported. */
function guarded(policy = POLICY) {
    let now = 0;
    const cuts: CutReason[] = [];
    const sent: { frame: GoawayFrame; streams: number }[] = [];
    const guard = new ConnectionGuard(
        policy,
        { cut: (reason) => cuts.push(reason), goawaySent: (f, streams) => sent.push({ frame: f, streams }) },
        () => now,
    );
    return {
        guard,
        cuts,
        sent,
        advance: (ms: number) => {
            now += ms;
        },
        /** Feeds the client's bytes in chunks of `size` (all at once when 0) and returns what reaches the session. */
        client: (bytes: Buffer, size = 0) => {
            const out: Buffer[] = [];
            for (let i = 0; i < bytes.length; i += size || bytes.length)
                out.push(guard.inbound(bytes.subarray(i, i + (size || bytes.length))));
            return Buffer.concat(out);
        },
        server: (bytes: Buffer) => guard.outbound(bytes),
    };
}

/** One unary call, as grpc-js before 1.10.4 on Node ≤ 20 makes it: request, answer with trailers, then a reset of the finished stream. */
function unaryCall(g: ReturnType<typeof guarded>, id: number, size = 0): { sent: Buffer; passed: Buffer } {
    const request = Buffer.concat([headers(id), data(id, END_STREAM)]);
    const passed = [g.client(request, size)];
    g.server(Buffer.concat([headers(id), data(id), headers(id, END_STREAM)]));
    passed.push(g.client(rst(id), size));
    return { sent: Buffer.concat([request, rst(id)]), passed: Buffer.concat(passed) };
}

describe('devnet HTTP/2 guard (h2guard)', () => {
    it('Given an old grpc-js client, When it resets each finished stream, Then the resets count as finished (none in progress, far past the bucket of 3) and every byte passes unchanged', () => {
        const g = guarded();
        expect(g.client(Buffer.concat([CLIENT_PREFACE, settings()]))).to.deep.equal(Buffer.concat([CLIENT_PREFACE, settings()]));
        for (let id = 1; id < 2000; id += 2) {
            const { sent, passed } = unaryCall(g, id);
            expect(passed).to.deep.equal(sent);
        }
        expect(g.guard.counters.finishedResets).to.equal(1000);
        expect(g.guard.counters.inProgressResets).to.equal(0);
        expect(g.guard.streamsInProgress).to.equal(0);
        expect(g.cuts).to.deep.equal([]);
    });

    for (const size of [1, 2, 5, 9, 10, 13, 17]) {
        it(`Given the client's bytes in chunks of ${size}, When frames are split across them, Then each reset is told finished or in progress as whole, and a cut passes nothing after the frame it came at`, () => {
            const g = guarded();
            const preface = Buffer.concat([CLIENT_PREFACE, settings()]);
            expect(g.client(preface, size)).to.deep.equal(preface);
            for (let id = 1; id < 40; id += 2) {
                const { sent, passed } = unaryCall(g, id, size);
                expect(passed).to.deep.equal(sent);
            }
            // A reset of a finished stream between two other frames.
            const mixed = Buffer.concat([ping(), rst(39), headers(41), data(41, END_STREAM)]);
            expect(g.client(mixed, size)).to.deep.equal(mixed);
            expect(g.guard.counters.finishedResets).to.equal(21);
            expect(g.guard.counters.inProgressResets).to.equal(0);
            // Resets of streams in progress until the bucket (3) is empty: at the 4th the guard cuts.
            const flood = Buffer.concat([43, 45, 47, 49, 51].flatMap((id) => [headers(id), rst(id, 8)]));
            const passed = g.client(flood, size);
            const cutFrameAt = 3 * (20 + 13) + 20; // the 4th reset (a HEADERS frame is 20 bytes, a RST_STREAM 13)
            expect(passed).to.deep.equal(flood.subarray(0, passed.length));
            // The frame it cut at never passes whole (a split header's first bytes may have passed before it was read).
            expect(passed.length).to.be.within(cutFrameAt, cutFrameAt + 8);
            expect(g.cuts).to.deep.equal(['rapid_reset']);
            expect(g.guard.counters.inProgressResets).to.equal(4);
        });
    }

    it('Given resets of streams still in progress, When they pass the bucket (burst, then its rate), Then the guard cuts before the frame that empties it and passes nothing after', () => {
        const g = guarded();
        g.client(Buffer.concat([CLIENT_PREFACE, settings()]));
        const open = (id: number) => g.client(headers(id));
        for (const id of [1, 3, 5]) {
            open(id);
            expect(g.client(rst(id, 8))).to.deep.equal(rst(id, 8));
        }
        g.advance(1000); // one token back
        open(7);
        expect(g.client(rst(7, 8))).to.deep.equal(rst(7, 8));
        expect(g.cuts).to.deep.equal([]);
        // The rapid reset: a new stream and its reset in one chunk, then more.
        const flood = Buffer.concat([headers(9), rst(9, 8), headers(11), rst(11, 8)]);
        expect(g.client(flood)).to.deep.equal(headers(9));
        expect(g.cuts).to.deep.equal(['rapid_reset']);
        expect(g.guard.cutReason).to.equal('rapid_reset');
        expect(g.client(headers(13))).to.have.length(0);
        // The guard's GOAWAY: ENHANCE_YOUR_CALM, the last stream the client opened before the cut, the reason as debug data.
        const away = g.guard.goawayFrame('rapid_reset');
        expect(away[3]).to.equal(FRAME.GOAWAY);
        expect(away.readUInt32BE(9)).to.equal(9); // the last stream the session was given
        expect(away.readUInt32BE(13)).to.equal(0xb);
        expect(away.subarray(17).toString()).to.equal('rapid_reset');
    });

    it('Given a reset of a stream the server ended before the client half-closed it (grpc-js 1.10.3 racing its own END_STREAM, a bidi stream), Then it counts as finished, as grpc-go forgets a stream once its trailers are written', () => {
        const g = guarded();
        g.client(Buffer.concat([CLIENT_PREFACE, headers(1), data(1)]));
        expect(g.guard.streamsInProgress).to.equal(1);
        g.server(Buffer.concat([headers(1), data(1), headers(1, END_STREAM)]));
        expect(g.guard.streamsInProgress).to.equal(0);
        expect(g.client(rst(1, 0))).to.deep.equal(rst(1, 0));
        expect(g.guard.counters).to.include({ finishedResets: 1, inProgressResets: 0 });
        // A stream the client ended and the server has not: in progress (the rapid reset's case).
        g.client(Buffer.concat([headers(3), data(3, END_STREAM)]));
        expect(g.client(rst(3, 8))).to.deep.equal(rst(3, 8));
        expect(g.guard.counters).to.include({ finishedResets: 1, inProgressResets: 1 });
    });

    it('Given a reset of a stream the server reset first, Then it counts as finished; a reset of an idle stream is neither (nghttp2 answers its protocol error); both pass', () => {
        const g = guarded();
        g.client(Buffer.concat([CLIENT_PREFACE, headers(1)]));
        g.server(rst(1, 7));
        expect(g.client(rst(1, 8))).to.deep.equal(rst(1, 8));
        expect(g.client(rst(99, 8))).to.deep.equal(rst(99, 8));
        expect(g.guard.counters).to.include({ finishedResets: 1, inProgressResets: 0 });
    });

    it('Given pings closer than the minimum interval, When a third strike follows, Then the guard cuts with too_many_pings; server data in between resets the strikes', () => {
        const g = guarded();
        g.client(CLIENT_PREFACE);
        for (let i = 0; i < 3; i++) {
            g.client(ping()); // the first is no strike, then 1, 2
            g.advance(1000);
        }
        g.server(data(1)); // as grpc-go: the server writing data resets the strikes
        for (let i = 0; i < 3; i++) {
            g.client(ping());
            g.advance(1000);
        }
        expect(g.cuts).to.deep.equal([]);
        g.client(ping());
        expect(g.cuts).to.deep.equal(['too_many_pings']);
        // Pings at the minimum interval are never strikes.
        const h = guarded();
        h.client(CLIENT_PREFACE);
        for (let i = 0; i < 10; i++) {
            h.client(ping());
            h.advance(60_000);
        }
        expect(h.cuts).to.deep.equal([]);
        expect(h.guard.counters.pingStrikes).to.equal(0);
    });

    it("Given the server's GOAWAY frames (nghttp2's own among them), Then each is reported with its code, last stream and debug data, however the writes split it", () => {
        const g = guarded();
        g.client(Buffer.concat([CLIENT_PREFACE, headers(1)]));
        const bytes = Buffer.concat([settings(), goaway(1, 2), goaway(1, 0xb, 'too_many_pings')]);
        for (let i = 0; i < bytes.length; i += 3) g.server(bytes.subarray(i, i + 3));
        expect(g.sent).to.deep.equal([
            { frame: { lastStreamId: 1, code: 2, debug: '' }, streams: 1 },
            { frame: { lastStreamId: 1, code: 0xb, debug: 'too_many_pings' }, streams: 1 },
        ]);
    });
});
