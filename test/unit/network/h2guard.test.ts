// The HTTP/2 guard of the devnet's gRPC servers, on session events told by hand (the listener that
// feeds it from Node's sessions is tested over real TLS in grpc-server.test.ts): streams that end
// normally are never limited, resets of streams in progress pass until the bucket is empty, pings
// follow grpc-go's keepalive enforcement, and nghttp2's own errors map to the GOAWAY code it writes.
import { expect } from 'chai';
import { ConnectionGuard, type GuardPolicy, nghttp2GoawayCode } from '../../../network/devnet/common/h2guard';

const POLICY: GuardPolicy = { inProgressResetBurst: 3, inProgressResetsPerSecond: 1, pingMinIntervalMs: 60_000, maxPingStrikes: 2 };

/** A guard with a clock the test moves. */
function guarded(policy = POLICY) {
    let now = 0;
    const guard = new ConnectionGuard(policy, () => now);
    return {
        guard,
        advance: (ms: number) => {
            now += ms;
        },
    };
}

describe('devnet HTTP/2 guard (h2guard)', () => {
    it('Given streams that the server ends (whatever the client resets after: nghttp2 ignores that), When far more than the bucket of 3 end, Then nothing is counted and nothing cut', () => {
        const { guard } = guarded();
        for (let id = 1; id < 2000; id += 2) {
            guard.streamOpened(id);
            expect(guard.streamEnded(false)).to.equal(undefined);
        }
        expect(guard.counters).to.deep.equal({ inProgressResets: 0, pings: 0, pingStrikes: 0, streamsOpened: 1000 });
        expect(guard.streamsInProgress).to.equal(0);
        expect(guard.lastClientStreamId).to.equal(1999);
        expect(guard.cut).to.equal(undefined);
    });

    it('Given resets of streams still in progress, When they pass the bucket (burst, then its rate), Then the guard cuts at the one that empties it, once', () => {
        const g = guarded();
        for (const id of [1, 3, 5]) {
            g.guard.streamOpened(id);
            expect(g.guard.streamEnded(true)).to.equal(undefined);
        }
        g.advance(1000); // one token back
        g.guard.streamOpened(7);
        expect(g.guard.streamEnded(true)).to.equal(undefined);
        // A stream open while the flood goes on: in progress at the cut.
        g.guard.streamOpened(9);
        g.guard.streamOpened(11);
        expect(g.guard.streamEnded(true)).to.equal('rapid_reset');
        expect(g.guard.cut).to.deep.equal({ reason: 'rapid_reset', detail: 'more than 3 resets of streams in progress, then 1/s' });
        expect(g.guard.counters.inProgressResets).to.equal(5);
        // Once cut, it does not cut again (the connection closes) and counts no more resets.
        g.guard.streamOpened(13);
        expect(g.guard.streamEnded(true)).to.equal(undefined);
        expect(g.guard.counters.inProgressResets).to.equal(5);
        expect(g.guard.streamsInProgress).to.equal(1);
        expect(g.guard.lastClientStreamId).to.equal(13);
    });

    it('Given pings closer than the minimum interval, When a third strike follows, Then the guard cuts with too_many_pings; a stream the server answers in between clears the strikes', () => {
        const g = guarded();
        for (let i = 0; i < 3; i++) {
            expect(g.guard.ping()).to.equal(undefined); // the first is no strike, then 1, 2
            g.advance(1000);
        }
        g.guard.streamOpened(1); // as grpc-go: the server writing headers or data clears the strikes
        for (let i = 0; i < 3; i++) {
            expect(g.guard.ping()).to.equal(undefined);
            g.advance(1000);
        }
        expect(g.guard.ping()).to.equal('too_many_pings');
        expect(g.guard.counters).to.include({ pings: 7, pingStrikes: 5 });
        expect(g.guard.cut?.detail).to.equal('3 pings less than 60000 ms apart');
        // Pings at the minimum interval are never strikes.
        const h = guarded();
        for (let i = 0; i < 10; i++) {
            expect(h.guard.ping()).to.equal(undefined);
            h.advance(60_000);
        }
        expect(h.guard.counters.pingStrikes).to.equal(0);
    });

    it("Given nghttp2's own errors (Node's ERR_HTTP2_ERROR errno), Then the GOAWAY code is the one nghttp2 writes for each", () => {
        expect(nghttp2GoawayCode(-505)).to.equal(0x1); // NGHTTP2_ERR_PROTO: PROTOCOL_ERROR
        expect(nghttp2GoawayCode(-532)).to.equal(0x1); // NGHTTP2_ERR_HTTP_MESSAGING
        expect(nghttp2GoawayCode(-524)).to.equal(0x3); // NGHTTP2_ERR_FLOW_CONTROL
        expect(nghttp2GoawayCode(-522)).to.equal(0x6); // NGHTTP2_ERR_FRAME_SIZE_ERROR
        expect(nghttp2GoawayCode(-523)).to.equal(0x9); // NGHTTP2_ERR_HEADER_COMP
        expect(nghttp2GoawayCode(-904)).to.equal(0x2); // anything else: INTERNAL_ERROR
    });
});
