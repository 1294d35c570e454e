// The HTTP/2 guard of the devnet's gRPC servers: the stream reset and ping policies of Fabric's Go
// servers (docs/devnet.md, "gRPC servers"), applied to one connection from the events of its
// HTTP/2 session (grpc.ts feeds them), so that the connection stays Node's native TLS-to-nghttp2
// path and no byte of it passes through JavaScript.
//
// Why it exists: nghttp2 (1.61 in Node 20, 1.70 in Node 24) counts every RST_STREAM a client
// sends, also those for streams already finished, in one bucket (Node's streamResetBurst and
// streamResetRate, 1,000 then 33 a second by default) and when it is empty sends GOAWAY
// INTERNAL_ERROR by itself, unseen by any JavaScript. grpc-js before 1.10.4 running on Node 20 or
// older ends every call with such a reset, so above about 33 calls a second its connections were
// dropped every few seconds; Fabric's Go servers ignore a reset of a finished stream. So the
// devnet's listener opens nghttp2's bucket wide (grpc.ts), nghttp2 then ignores a reset of a
// finished stream as grpc-go does, and this guard keeps the bucket for resets of streams still in
// progress, the rapid-reset attack's (CVE-2023-44487) tool: past it the connection is cut, logged
// and counted.
//
// A stream is in progress from the client's HEADERS that open it until the server ends it (its
// trailers) or either side resets it, whether the client has half-closed it or not: grpc-go forgets
// a stream once it has written its trailers, and a reset after that costs the server nothing. A
// client's reset of a stream in progress is what Node reports as the stream's `aborted`.

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

/**
 * The GOAWAY code nghttp2 writes when it ends a session for an error of its own (nghttp2's
 * get_error_code_from_lib_error_code), from the error number Node reports it with (ERR_HTTP2_ERROR).
 */
export function nghttp2GoawayCode(libErrno: number): number {
    switch (libErrno) {
        case -505: // NGHTTP2_ERR_PROTO
        case -531: // NGHTTP2_ERR_HTTP_HEADER
        case -532: // NGHTTP2_ERR_HTTP_MESSAGING
            return 0x1;
        case -510: // NGHTTP2_ERR_STREAM_CLOSED
            return 0x5;
        case -522: // NGHTTP2_ERR_FRAME_SIZE_ERROR
            return 0x6;
        case -523: // NGHTTP2_ERR_HEADER_COMP
            return 0x9;
        case -524: // NGHTTP2_ERR_FLOW_CONTROL
            return 0x3;
        case -533: // NGHTTP2_ERR_REFUSED_STREAM
            return 0x7;
        default:
            return 0x2;
    }
}

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

/** Why the guard closes a connection. */
export type CutReason = 'rapid_reset' | 'too_many_pings';

export interface GuardCounters {
    /** Client resets of streams still in progress (counted in the bucket). */
    inProgressResets: number;
    /** Client pings (not acks) and those that were strikes. */
    pings: number;
    pingStrikes: number;
    /** Streams the client opened. */
    streamsOpened: number;
}

/** The guard of one connection: tell it what the session reports; it returns the reason when the connection is to be cut. */
export class ConnectionGuard {
    readonly counters: GuardCounters = { inProgressResets: 0, pings: 0, pingStrikes: 0, streamsOpened: 0 };
    readonly #policy: GuardPolicy;
    readonly #now: () => number;
    #inProgress = 0;
    #lastClientStreamId = 0;
    #tokens: number;
    #refilledAt: number;
    #lastPingAt = Number.NEGATIVE_INFINITY;
    #strikes = 0;
    #resetStrikes = false;
    #cut?: { reason: CutReason; detail: string };

    constructor(policy: GuardPolicy, now: () => number = () => performance.now()) {
        this.#policy = policy;
        this.#now = now;
        this.#tokens = policy.inProgressResetBurst;
        this.#refilledAt = now();
    }

    /** Client streams opened and not yet ended by the server (nor reset). */
    get streamsInProgress(): number {
        return this.#inProgress;
    }

    get lastClientStreamId(): number {
        return this.#lastClientStreamId;
    }

    /** Why the guard cut the connection, once it has. */
    get cut(): { reason: CutReason; detail: string } | undefined {
        return this.#cut;
    }

    /** The client opened stream `id` (the server answers it: as grpc-go, that clears the ping strikes). */
    streamOpened(id: number): void {
        this.counters.streamsOpened++;
        this.#inProgress++;
        if (id > this.#lastClientStreamId) this.#lastClientStreamId = id;
        this.#resetStrikes = true;
    }

    /** A stream the client opened is over: `resetInProgress` when the client reset it before the server ended it. */
    streamEnded(resetInProgress: boolean): CutReason | undefined {
        this.#inProgress--;
        this.#resetStrikes = true;
        if (!resetInProgress || this.#cut) return undefined;
        this.counters.inProgressResets++;
        if (this.#take()) return undefined;
        const { inProgressResetBurst: burst, inProgressResetsPerSecond: rate } = this.#policy;
        return this.#cutHere('rapid_reset', `more than ${burst} resets of streams in progress, then ${rate}/s`);
    }

    /** The client sent a PING (not an ack): grpc-go's keepalive enforcement, permitWithoutStream true as Fabric sets it. */
    ping(): CutReason | undefined {
        if (this.#cut) return undefined;
        const now = this.#now();
        this.counters.pings++;
        const previous = this.#lastPingAt;
        this.#lastPingAt = now;
        if (this.#resetStrikes) {
            this.#resetStrikes = false;
            this.#strikes = 0;
            return undefined;
        }
        if (now - previous < this.#policy.pingMinIntervalMs) {
            this.#strikes++;
            this.counters.pingStrikes++;
        }
        if (this.#strikes <= this.#policy.maxPingStrikes) return undefined;
        return this.#cutHere('too_many_pings', `${this.#strikes} pings less than ${this.#policy.pingMinIntervalMs} ms apart`);
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

    #cutHere(reason: CutReason, detail: string): CutReason {
        this.#cut = { reason, detail };
        return reason;
    }
}
