// The HTTP/2 guard of the devnet's gRPC servers: it reads the frame headers of one connection in
// both directions, between TLS and Node's HTTP/2 session (nghttp2), and applies the stream reset
// and ping policies of Fabric's Go servers (docs/devnet.md, "gRPC servers").
//
// Why it exists: Node 20's nghttp2 (1.61) counts every RST_STREAM a client sends, including those
// for streams that are already finished, in a token bucket of 1,000 resets, refilled at 33 a
// second, and when the bucket is empty sends GOAWAY INTERNAL_ERROR by itself, unseen by any
// JavaScript. grpc-js before 1.10.4 ends every call it made with such a reset, so above about 33
// calls a second its connections were dropped every few seconds. Node 20 has no option for that
// bucket (streamResetBurst/streamResetRate came with later Node versions). Fabric's Go servers
// ignore a reset of a finished stream: so does this guard, which takes it out of the byte stream
// before nghttp2 sees it. A reset of a stream still in progress is the rapid-reset attack's
// (CVE-2023-44487) tool: it passes, and counts in the guard's own bucket, smaller than nghttp2's,
// so that the guard (which logs and counts it) cuts a flood off before nghttp2 would.
//
// The guard keeps only what it needs: the client's streams still in progress (opened and not yet
// ended by both sides, nor reset), the last stream id the client opened, the ping strikes, and the
// GOAWAY frames the server writes (nghttp2's and grpc-js's included), so every one can be logged.

/** HTTP/2 frame types (RFC 9113 §6). */
export const FRAME = {
    DATA: 0x0,
    HEADERS: 0x1,
    PRIORITY: 0x2,
    RST_STREAM: 0x3,
    SETTINGS: 0x4,
    PUSH_PROMISE: 0x5,
    PING: 0x6,
    GOAWAY: 0x7,
    WINDOW_UPDATE: 0x8,
    CONTINUATION: 0x9,
} as const;

const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FRAME_HEADER_BYTES = 9;
/** The client connection preface (RFC 9113 §3.4), before the client's first frame. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** HTTP/2 error codes by value (RFC 9113 §7). */
export const H2_ERRORS = [
    'NO_ERROR',
    'PROTOCOL_ERROR',
    'INTERNAL_ERROR',
    'FLOW_CONTROL_ERROR',
    'SETTINGS_TIMEOUT',
    'STREAM_CLOSED',
    'FRAME_SIZE_ERROR',
    'REFUSED_STREAM',
    'CANCEL',
    'COMPRESSION_ERROR',
    'CONNECT_ERROR',
    'ENHANCE_YOUR_CALM',
    'INADEQUATE_SECURITY',
    'HTTP_1_1_REQUIRED',
] as const;

export const ENHANCE_YOUR_CALM = 0xb;

export const h2ErrorName = (code: number): string => H2_ERRORS[code] ?? `0x${code.toString(16)}`;

/** The policies the guard applies to one connection. */
export interface GuardPolicy {
    /** Resets of streams still in progress the client may send at once (the bucket's size). */
    inProgressResetBurst: number;
    /** ...and then per second (the bucket's refill). */
    inProgressResetsPerSecond: number;
    /** The least time between two client pings that is no strike (Fabric's keepalive minInterval). */
    pingMinIntervalMs: number;
    /** Strikes allowed: one more and the connection is closed with GOAWAY ENHANCE_YOUR_CALM (grpc-go's 2). */
    maxPingStrikes: number;
}

/** A GOAWAY frame, as written by the server (or the guard). */
export interface GoawayFrame {
    lastStreamId: number;
    code: number;
    /** Its debug data, as text (at most 256 bytes). */
    debug: string;
}

/** Why the guard closes a connection. */
export type CutReason = 'rapid_reset' | 'too_many_pings';

export interface GuardCounters {
    /** Client resets of streams already finished, taken out before nghttp2 (grpc-js < 1.10.4 sends one per call). */
    finishedResetsDropped: number;
    /** Client resets of streams still in progress, passed on (and counted in the bucket). */
    inProgressResets: number;
    /** Client pings (not acks) and those that were strikes. */
    pings: number;
    pingStrikes: number;
    /** Streams the client opened. */
    streamsOpened: number;
}

/** What a frame reader's caller says of a frame: pass it, take it out, or read the start of its payload. */
type FrameDecision = boolean | { capture: number; done: (payload: Buffer) => void };

/**
 * Reads frame headers from a byte stream that may split them anywhere. In `hold` mode (the
 * client's side, where frames may be taken out) a frame header split between two chunks is not
 * consumed: read() returns where it begins and the caller gives those bytes again with the next
 * chunk; otherwise (the server's side, only observed) the reader keeps the part itself.
 */
class FrameReader {
    #prefaceLeft: number;
    readonly #hold: boolean;
    readonly #head = Buffer.alloc(FRAME_HEADER_BYTES);
    #headLength = 0;
    #payloadLeft = 0;
    #skipping = false;
    #capture?: { buffer: Buffer; filled: number; done: (payload: Buffer) => void };

    constructor(expectPreface: boolean, hold: boolean) {
        this.#prefaceLeft = expectPreface ? CLIENT_PREFACE.length : 0;
        this.#hold = hold;
    }

    /** True between frames. */
    get atBoundary(): boolean {
        return this.#prefaceLeft === 0 && this.#headLength === 0 && this.#payloadLeft === 0;
    }

    /**
     * Reads `chunk`: `frame(type, flags, streamId, length, at)` at each frame header (`at`: where it
     * starts in the chunk; in observe mode negative when it began in an earlier one); `skip(from,
     * to)` for the byte ranges of frames taken out. Returns how many bytes were consumed (all but a
     * held partial header).
     */
    read(
        chunk: Buffer,
        frame: (type: number, flags: number, streamId: number, length: number, at: number) => FrameDecision,
        skip: (from: number, to: number) => void,
    ): number {
        let i = 0;
        const n = chunk.length;
        while (i < n) {
            if (this.#prefaceLeft > 0) {
                const step = Math.min(this.#prefaceLeft, n - i);
                this.#prefaceLeft -= step;
                i += step;
                continue;
            }
            if (this.#payloadLeft > 0) {
                const step = Math.min(this.#payloadLeft, n - i);
                if (this.#skipping) skip(i, i + step);
                const capture = this.#capture;
                if (capture) {
                    const take = Math.min(step, capture.buffer.length - capture.filled);
                    chunk.copy(capture.buffer, capture.filled, i, i + take);
                    capture.filled += take;
                    if (capture.filled === capture.buffer.length) {
                        this.#capture = undefined;
                        capture.done(capture.buffer);
                    }
                }
                this.#payloadLeft -= step;
                i += step;
                continue;
            }
            let header: Buffer;
            let o: number;
            let at: number;
            if (this.#headLength === 0 && n - i >= FRAME_HEADER_BYTES) {
                header = chunk;
                o = i;
                at = i;
                i += FRAME_HEADER_BYTES;
            } else {
                if (this.#hold) return i;
                const step = Math.min(FRAME_HEADER_BYTES - this.#headLength, n - i);
                chunk.copy(this.#head, this.#headLength, i, i + step);
                at = i - this.#headLength;
                this.#headLength += step;
                i += step;
                if (this.#headLength < FRAME_HEADER_BYTES) return i;
                this.#headLength = 0;
                header = this.#head;
                o = 0;
            }
            const length = header.readUIntBE(o, 3);
            const type = header[o + 3];
            const flags = header[o + 4];
            const streamId = header.readUInt32BE(o + 5) & 0x7fffffff;
            const decision = frame(type, flags, streamId, length, at);
            this.#skipping = decision === false;
            if (this.#skipping) skip(Math.max(0, at), i);
            this.#payloadLeft = length;
            if (typeof decision === 'object') {
                const size = Math.min(decision.capture, length);
                if (size === 0) decision.done(Buffer.alloc(0));
                else this.#capture = { buffer: Buffer.alloc(size), filled: 0, done: decision.done };
            }
        }
        return n;
    }
}

/** One client stream still in progress: which sides have ended it. */
interface OpenStream {
    clientEnded: boolean;
    serverEnded: boolean;
}

/** What the guard saw that its owner logs, counts or acts on. */
export interface GuardEvents {
    /** The server wrote a GOAWAY (whoever made it: nghttp2, Node, grpc-js). */
    goawaySent?(frame: GoawayFrame, streamsInProgress: number): void;
    /** The client sent a GOAWAY. */
    goawayReceived?(frame: GoawayFrame): void;
    /** The guard decided to close the connection (its owner writes the GOAWAY: goawayFrame()). */
    cut?(reason: CutReason, detail: string): void;
}

/** The guard of one connection: feed it what the client sent and what the server writes. */
export class ConnectionGuard {
    readonly counters: GuardCounters = { finishedResetsDropped: 0, inProgressResets: 0, pings: 0, pingStrikes: 0, streamsOpened: 0 };
    readonly #policy: GuardPolicy;
    readonly #events: GuardEvents;
    readonly #now: () => number;
    readonly #inbound = new FrameReader(true, true);
    readonly #outbound = new FrameReader(false, false);
    /** The start of a frame header the last chunk ended in, given to the session with the next chunk. */
    #held?: Buffer;
    readonly #open = new Map<number, OpenStream>();
    #lastClientStreamId = 0;
    #tokens: number;
    #refilledAt: number;
    #lastPingAt = Number.NEGATIVE_INFINITY;
    #strikes = 0;
    #resetStrikes = false;
    #cut?: CutReason;

    constructor(policy: GuardPolicy, events: GuardEvents = {}, now: () => number = () => performance.now()) {
        this.#policy = policy;
        this.#events = events;
        this.#now = now;
        this.#tokens = policy.inProgressResetBurst;
        this.#refilledAt = now();
    }

    /** Client streams opened and not yet ended by both sides (nor reset). */
    get streamsInProgress(): number {
        return this.#open.size;
    }

    get lastClientStreamId(): number {
        return this.#lastClientStreamId;
    }

    /** Why the guard cut the connection, once it has. */
    get cutReason(): CutReason | undefined {
        return this.#cut;
    }

    /** True between two frames the server writes (a GOAWAY of the guard's may be written then). */
    get outboundAtBoundary(): boolean {
        return this.#outbound.atBoundary;
    }

    /**
     * What the client sent: returns the bytes to pass to the HTTP/2 session (the chunk itself when
     * nothing is taken out; nothing once the guard has cut the connection).
     */
    inbound(data: Buffer): Buffer[] {
        if (this.#cut) return [];
        let chunk = data;
        if (this.#held) {
            chunk = Buffer.concat([this.#held, data]);
            this.#held = undefined;
        }
        const cuts: [number, number][] = [];
        let stopAt = -1;
        const consumed = this.#inbound.read(
            chunk,
            (type, flags, streamId, _length, at) => {
                if (this.#cut) {
                    if (stopAt < 0) stopAt = at;
                    return true;
                }
                return this.#clientFrame(type, flags, streamId, () => {
                    stopAt = at;
                });
            },
            (from, to) => {
                const last = cuts[cuts.length - 1];
                if (last && last[1] === from) last[1] = to;
                else cuts.push([from, to]);
            },
        );
        if (consumed < chunk.length) this.#held = Buffer.from(chunk.subarray(consumed));
        const end = stopAt >= 0 ? stopAt : consumed;
        if (cuts.length === 0) return end === chunk.length ? [chunk] : end > 0 ? [chunk.subarray(0, end)] : [];
        const out: Buffer[] = [];
        let from = 0;
        for (const [a, b] of cuts) {
            if (a >= end) break;
            if (a > from) out.push(chunk.subarray(from, a));
            from = b;
        }
        if (from < end) out.push(chunk.subarray(from, end));
        return out;
    }

    /** What the server writes (observed only; always written as it is). */
    outbound(chunk: Buffer): void {
        this.#outbound.read(
            chunk,
            (type, flags, streamId) => this.#serverFrame(type, flags, streamId),
            () => undefined,
        );
    }

    /** The GOAWAY frame the guard's owner writes when the guard cuts the connection. */
    goawayFrame(reason: CutReason): Buffer {
        const debug = Buffer.from(reason, 'latin1');
        const frame = Buffer.alloc(FRAME_HEADER_BYTES + 8 + debug.length);
        frame.writeUIntBE(8 + debug.length, 0, 3);
        frame[3] = FRAME.GOAWAY;
        frame.writeUInt32BE(this.#lastClientStreamId, 9);
        frame.writeUInt32BE(ENHANCE_YOUR_CALM, 13);
        debug.copy(frame, 17);
        return frame;
    }

    /** Returns false to take the frame out; calls `stop` (and returns true) when the guard cuts here. */
    #clientFrame(type: number, flags: number, streamId: number, stop: () => void): FrameDecision {
        switch (type) {
            case FRAME.HEADERS: {
                if (streamId % 2 === 1 && streamId > this.#lastClientStreamId) {
                    this.#lastClientStreamId = streamId;
                    this.counters.streamsOpened++;
                    this.#open.set(streamId, { clientEnded: (flags & FLAG_END_STREAM) !== 0, serverEnded: false });
                } else if (flags & FLAG_END_STREAM) this.#ended(streamId, 'client');
                return true;
            }
            case FRAME.DATA:
                if (flags & FLAG_END_STREAM) this.#ended(streamId, 'client');
                return true;
            case FRAME.RST_STREAM: {
                if (this.#open.delete(streamId)) {
                    this.counters.inProgressResets++;
                    if (!this.#take()) {
                        this.#cutHere(
                            'rapid_reset',
                            `more than ${this.#policy.inProgressResetBurst} resets of streams in progress, then ${this.#policy.inProgressResetsPerSecond}/s`,
                        );
                        stop();
                    }
                    return true;
                }
                // A stream the client opened and that is over: nothing to reset (grpc-js < 1.10.4 resets every one).
                if (streamId !== 0 && streamId <= this.#lastClientStreamId) {
                    this.counters.finishedResetsDropped++;
                    return false;
                }
                return true; // an idle stream: nghttp2 answers the protocol error
            }
            case FRAME.PING:
                if (!(flags & FLAG_ACK)) this.#ping(stop);
                return true;
            case FRAME.GOAWAY:
                return { capture: 8 + 256, done: (payload) => this.#events.goawayReceived?.(parseGoaway(payload)) };
            default:
                return true;
        }
    }

    #serverFrame(type: number, flags: number, streamId: number): FrameDecision {
        switch (type) {
            case FRAME.HEADERS:
            case FRAME.DATA:
                // As grpc-go: the server sending headers or data resets the client's ping strikes.
                this.#resetStrikes = true;
                if (flags & FLAG_END_STREAM) this.#ended(streamId, 'server');
                return true;
            case FRAME.RST_STREAM:
                this.#open.delete(streamId);
                return true;
            case FRAME.GOAWAY:
                return { capture: 8 + 256, done: (payload) => this.#events.goawaySent?.(parseGoaway(payload), this.#open.size) };
            default:
                return true;
        }
    }

    #ended(streamId: number, side: 'client' | 'server'): void {
        const stream = this.#open.get(streamId);
        if (!stream) return;
        if (side === 'client') stream.clientEnded = true;
        else stream.serverEnded = true;
        if (stream.clientEnded && stream.serverEnded) this.#open.delete(streamId);
    }

    /** Takes one token of the in-progress reset bucket; false when it is empty. */
    #take(): boolean {
        const now = this.#now();
        const { inProgressResetBurst: burst, inProgressResetsPerSecond: rate } = this.#policy;
        this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) / 1000) * rate);
        this.#refilledAt = now;
        if (this.#tokens < 1) return false;
        this.#tokens -= 1;
        return true;
    }

    /** grpc-go's keepalive enforcement (permitWithoutStream true, as Fabric sets it). */
    #ping(stop: () => void): void {
        const now = this.#now();
        this.counters.pings++;
        const previous = this.#lastPingAt;
        this.#lastPingAt = now;
        if (this.#resetStrikes) {
            this.#resetStrikes = false;
            this.#strikes = 0;
            return;
        }
        if (now - previous < this.#policy.pingMinIntervalMs) {
            this.#strikes++;
            this.counters.pingStrikes++;
        }
        if (this.#strikes > this.#policy.maxPingStrikes) {
            this.#cutHere('too_many_pings', `${this.#strikes} pings less than ${this.#policy.pingMinIntervalMs} ms apart`);
            stop();
        }
    }

    #cutHere(reason: CutReason, detail: string): void {
        this.#cut = reason;
        this.#events.cut?.(reason, detail);
    }
}

function parseGoaway(payload: Buffer): GoawayFrame {
    if (payload.length < 8) return { lastStreamId: 0, code: -1, debug: '(short GOAWAY frame)' };
    return {
        lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
        code: payload.readUInt32BE(4),
        debug: payload.subarray(8).toString('latin1'),
    };
}
