// The HTTP/2 guard of the devnet's gRPC servers: it reads the frame headers of one connection in
// both directions, between TLS and Node's HTTP/2 session (nghttp2), and applies the stream reset
// and ping policies of Fabric's Go servers (docs/devnet.md, "gRPC servers").
//
// Why it exists: nghttp2 (1.61 in Node 20, 1.70 in Node 24) counts every RST_STREAM a client
// sends, also those for streams already finished, in one bucket (Node's streamResetBurst and
// streamResetRate, 1,000 then 33 a second by default) and when it is empty sends GOAWAY
// INTERNAL_ERROR by itself, unseen by any JavaScript. grpc-js before 1.10.4 running on Node 20 or
// older ends every call with such a reset, so above about 33 calls a second its connections were
// dropped every few seconds; Fabric's Go servers ignore a reset of a finished stream. So the
// devnet's listener opens nghttp2's bucket wide (grpc.ts) and this guard, which tells a finished
// stream from one in progress, keeps the bucket for resets of streams still in progress, the
// rapid-reset attack's (CVE-2023-44487) tool: past it the guard cuts the connection, logged and
// counted. It never changes the bytes it reads; after a cut it passes no more of them.
//
// A stream is in progress from the client's HEADERS that open it until the server ends it (its
// trailers) or either side resets it, whether the client has half-closed it or not: grpc-go forgets
// a stream once it has written its trailers, and a reset after that costs the server nothing.
//
// The guard keeps only what it needs: the client's streams still in progress, the last stream id the client opened, the ping strikes, and the
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
const EMPTY = Buffer.alloc(0);
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
    /** Client resets of streams already finished (grpc-js < 1.10.4 on Node ≤ 20 sends one per call): harmless, not limited. */
    finishedResets: number;
    /** Client resets of streams still in progress (counted in the bucket). */
    inProgressResets: number;
    /** Client pings (not acks) and those that were strikes. */
    pings: number;
    pingStrikes: number;
    /** Streams the client opened. */
    streamsOpened: number;
}

/** What a frame reader's caller asks of a frame: nothing more, or the start of its payload. */
type FrameRequest = undefined | { capture: number; done: (payload: Buffer) => void };

/** Reads frame headers from a byte stream that may split them anywhere (a split header is kept until its end comes). */
class FrameReader {
    #prefaceLeft: number;
    readonly #head = Buffer.alloc(FRAME_HEADER_BYTES);
    #headLength = 0;
    #payloadLeft = 0;
    #capture?: { buffer: Buffer; filled: number; done: (payload: Buffer) => void };

    constructor(expectPreface: boolean) {
        this.#prefaceLeft = expectPreface ? CLIENT_PREFACE.length : 0;
    }

    /** True between frames. */
    get atBoundary(): boolean {
        return this.#prefaceLeft === 0 && this.#headLength === 0 && this.#payloadLeft === 0;
    }

    /** Reads `chunk`: `frame(type, flags, streamId, at)` at each frame header (`at`: where it starts in the chunk, negative when it began in an earlier one). */
    read(chunk: Buffer, frame: (type: number, flags: number, streamId: number, at: number) => FrameRequest): void {
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
                const step = Math.min(FRAME_HEADER_BYTES - this.#headLength, n - i);
                chunk.copy(this.#head, this.#headLength, i, i + step);
                at = i - this.#headLength;
                this.#headLength += step;
                i += step;
                if (this.#headLength < FRAME_HEADER_BYTES) return;
                this.#headLength = 0;
                header = this.#head;
                o = 0;
            }
            const length = header.readUIntBE(o, 3);
            const type = header[o + 3];
            const flags = header[o + 4];
            const streamId = header.readUInt32BE(o + 5) & 0x7fffffff;
            const request = frame(type, flags, streamId, at);
            this.#payloadLeft = length;
            if (request) {
                const size = Math.min(request.capture, length);
                if (size === 0) request.done(Buffer.alloc(0));
                else this.#capture = { buffer: Buffer.alloc(size), filled: 0, done: request.done };
            }
        }
    }
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
    readonly counters: GuardCounters = { finishedResets: 0, inProgressResets: 0, pings: 0, pingStrikes: 0, streamsOpened: 0 };
    readonly #policy: GuardPolicy;
    readonly #events: GuardEvents;
    readonly #now: () => number;
    readonly #inbound = new FrameReader(true);
    readonly #outbound = new FrameReader(false);
    /** The client's streams the server has not ended yet (grpc-go's activeStreams). */
    readonly #open = new Set<number>();
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

    /** Client streams opened and not yet ended by the server (nor reset). */
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
     * What the client sent: returns the bytes to pass to the HTTP/2 session, the chunk itself, or
     * its part before the frame at which the guard cut the connection (nothing once it has).
     */
    inbound(chunk: Buffer): Buffer {
        if (this.#cut) return EMPTY;
        let stopAt = -1;
        this.#inbound.read(chunk, (type, flags, streamId, at) => {
            if (this.#cut) return undefined;
            return this.#clientFrame(type, flags, streamId, () => {
                stopAt = Math.max(0, at);
            });
        });
        return stopAt < 0 ? chunk : chunk.subarray(0, stopAt);
    }

    /** What the server writes (observed only; always written as it is). */
    outbound(chunk: Buffer): void {
        this.#outbound.read(chunk, (type, flags, streamId) => this.#serverFrame(type, flags, streamId));
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

    /** Calls `stop` when the guard cuts the connection at this frame. */
    #clientFrame(type: number, flags: number, streamId: number, stop: () => void): FrameRequest {
        switch (type) {
            case FRAME.HEADERS: {
                if (streamId % 2 === 1 && streamId > this.#lastClientStreamId) {
                    this.#lastClientStreamId = streamId;
                    this.counters.streamsOpened++;
                    this.#open.add(streamId);
                }
                return undefined;
            }
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
                    return undefined;
                }
                // A stream the client opened and that is over: nothing to reset (grpc-js < 1.10.4 on Node ≤ 20 resets every one).
                // nghttp2 ignores it, as grpc-go does; a reset of an idle stream is nghttp2's protocol error.
                if (streamId !== 0 && streamId <= this.#lastClientStreamId) this.counters.finishedResets++;
                return undefined;
            }
            case FRAME.PING:
                if (!(flags & FLAG_ACK)) this.#ping(stop);
                return undefined;
            case FRAME.GOAWAY:
                return { capture: 8 + 256, done: (payload) => this.#events.goawayReceived?.(parseGoaway(payload)) };
            default:
                return undefined;
        }
    }

    #serverFrame(type: number, flags: number, streamId: number): FrameRequest {
        switch (type) {
            case FRAME.HEADERS:
            case FRAME.DATA:
                // As grpc-go: the server sending headers or data resets the client's ping strikes.
                this.#resetStrikes = true;
                if (flags & FLAG_END_STREAM) this.#open.delete(streamId);
                return undefined;
            case FRAME.RST_STREAM:
                this.#open.delete(streamId);
                return undefined;
            case FRAME.GOAWAY:
                return { capture: 8 + 256, done: (payload) => this.#events.goawaySent?.(parseGoaway(payload), this.#open.size) };
            default:
                return undefined;
        }
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
