// The peer's shim stream to a chaincode server (protos.Chaincode/Connect), gRPC framing written
// straight onto one HTTP/2 stream of node:http2. grpc-js's client stream hands the transport one
// message at a time, each after the previous one's write completed: over a stream that carries
// every transaction of a chaincode, the peer's TRANSACTION and RESPONSE messages queued behind one
// another (measured: 10 ms from the peer's TRANSACTION to the shim, 13 ms per GET_STATE round trip,
// at 32 evaluations in flight, with both event loops mostly idle). Here every message goes to the
// HTTP/2 stream as it is written, and messages written in the same turn leave in one write, as
// grpc-go's transport sends Fabric's peer's. Errors read as grpc-js's ("14 UNAVAILABLE: ...").
import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { peer } from '@hyperledger/fabric-protos';
import { MAX_MESSAGE_BYTES } from '../../common/grpc';

/** Where and how to dial: plain TCP, or TLS with the root to trust, the client pair and the server name to check. */
export interface ShimStreamTarget {
    address: string;
    tls?: { rootCert: string; clientCert?: string; clientKey?: string; serverName?: string };
    /** Give up connecting after this long (connection.json dial_timeout). */
    dialTimeoutMs?: number;
}

/** What the peer's handler needs of its stream: ChaincodeMessages in and out, and its end. */
export interface ShimStream {
    write(message: peer.ChaincodeMessage): void;
    /** Half-closes the stream (the peer is done sending). */
    end(): void;
    /** Cancels the stream and closes its connection. */
    cancel(): void;
    on(event: 'data', listener: (message: peer.ChaincodeMessage) => void): this;
    on(event: 'error', listener: (err: ShimStreamError) => void): this;
    on(event: 'end' | 'close', listener: () => void): this;
}

/** gRPC status codes the stream reports (grpc's codes.proto). */
const STATUS_NAMES: Record<number, string> = {
    1: 'CANCELLED',
    2: 'UNKNOWN',
    8: 'RESOURCE_EXHAUSTED',
    12: 'UNIMPLEMENTED',
    13: 'INTERNAL',
    14: 'UNAVAILABLE',
};

export class ShimStreamError extends Error {
    constructor(
        readonly code: number,
        readonly details: string,
    ) {
        super(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`);
    }
}

const CONNECT_PATH = '/protos.Chaincode/Connect';

/** Opens the shim stream; connection failures arrive as an 'error' (14 UNAVAILABLE), then 'close'. */
export function openShimStream(target: ShimStreamTarget): ShimStream {
    return new Http2ShimStream(target);
}

class Http2ShimStream extends EventEmitter implements ShimStream {
    readonly #session: http2.ClientHttp2Session;
    readonly #stream: http2.ClientHttp2Stream;
    #pending: Buffer[] = [];
    #pendingBytes = 0;
    #failed = false;
    #ended = false;

    constructor(target: ShimStreamTarget) {
        super();
        const [host, portText] = splitAddress(target.address);
        const port = Number(portText);
        const secure = target.tls !== undefined;
        // TCP_NODELAY, as Go sets it on every connection (grpc-go, and so Fabric's peer).
        const createConnection = (): net.Socket =>
            target.tls
                ? tls
                      .connect({
                          host,
                          port,
                          ca: target.tls.rootCert,
                          cert: target.tls.clientCert,
                          key: target.tls.clientKey,
                          servername: target.tls.serverName ?? (net.isIP(host) ? undefined : host),
                          ALPNProtocols: ['h2'],
                          minVersion: 'TLSv1.2',
                      })
                      .setNoDelay(true)
                : net.connect({ host, port, noDelay: true });
        this.#session = http2.connect(`${secure ? 'https' : 'http'}://${target.address}`, {
            createConnection,
            maxSessionMemory: Number.MAX_SAFE_INTEGER,
            settings: { enablePush: false },
        });
        this.#session.on('error', (err: Error) => this.#fail(14, connectionFailure(err)));
        const dialTimer = setTimeout(
            () => this.#fail(14, `no connection to ${target.address} within ${target.dialTimeoutMs} ms`),
            target.dialTimeoutMs ?? 10_000,
        );
        dialTimer.unref();
        this.#session.once('connect', () => clearTimeout(dialTimer));
        this.#session.once('close', () => clearTimeout(dialTimer));

        this.#stream = this.#session.request(
            {
                ':method': 'POST',
                ':path': CONNECT_PATH,
                ':authority': target.tls?.serverName ?? target.address,
                'content-type': 'application/grpc',
                te: 'trailers',
                'grpc-accept-encoding': 'identity',
                'user-agent': 'citizencards-devnet-peer',
            },
            { endStream: false },
        );
        this.#stream.on('response', (headers) => {
            const status = Number(headers[':status']);
            const type = String(headers['content-type'] ?? '');
            if (headers['grpc-status'] !== undefined) return this.#trailers(headers); // trailers-only: refused at once
            if (status !== 200)
                return this.#fail(status === 503 || status === 429 ? 14 : 12, `HTTP status ${status} from the chaincode server`);
            if (!type.startsWith('application/grpc')) this.#fail(13, `content-type ${JSON.stringify(type)} is not gRPC`);
        });
        this.#stream.on('trailers', (headers) => this.#trailers(headers));
        this.#stream.on('data', (chunk: Buffer) => this.#read(chunk));
        this.#stream.on('end', () => {
            if (!this.#failed) this.emit('end');
        });
        this.#stream.on('error', (err: Error) => this.#fail(14, connectionFailure(err)));
        this.#stream.on('close', () => {
            // A stream reset without trailers (the server went away): as grpc-js, UNAVAILABLE.
            if (!this.#ended && !this.#failed) this.#fail(14, `stream closed (HTTP/2 code ${this.#stream.rstCode})`);
            this.#session.close();
            this.emit('close');
        });
    }

    write(message: peer.ChaincodeMessage): void {
        if (this.#failed || this.#stream.destroyed) return;
        const bytes = message.serializeBinary();
        if (bytes.length > MAX_MESSAGE_BYTES)
            throw new ShimStreamError(8, `message of ${bytes.length} bytes is over the limit of ${MAX_MESSAGE_BYTES}`);
        const frame = Buffer.allocUnsafe(5 + bytes.length);
        frame[0] = 0; // not compressed
        frame.writeUInt32BE(bytes.length, 1);
        frame.set(bytes, 5);
        this.#stream.write(frame);
    }

    end(): void {
        if (!this.#stream.destroyed) this.#stream.end();
    }

    cancel(): void {
        this.#ended = true;
        if (!this.#stream.destroyed) this.#stream.close(http2.constants.NGHTTP2_CANCEL);
        this.#session.close();
    }

    /** Length-prefixed messages out of the DATA frames, however they were cut (joined once per message). */
    #read(chunk: Buffer): void {
        this.#pending.push(chunk);
        this.#pendingBytes += chunk.length;
        while (this.#pendingBytes >= 5) {
            if (this.#pending[0].length < 5) this.#pending = [Buffer.concat(this.#pending)];
            const head = this.#pending[0];
            if (head[0] !== 0) {
                this.#fail(13, 'compressed message, and no compression was offered');
                return;
            }
            const length = head.readUInt32BE(1);
            if (length > MAX_MESSAGE_BYTES) {
                this.#fail(8, `received message of ${length} bytes is over the limit of ${MAX_MESSAGE_BYTES}`);
                return;
            }
            if (this.#pendingBytes < 5 + length) return;
            const all = this.#pending.length === 1 ? head : Buffer.concat(this.#pending);
            const body = all.subarray(5, 5 + length);
            const rest = all.subarray(5 + length);
            this.#pending = rest.length > 0 ? [rest] : [];
            this.#pendingBytes = rest.length;
            let message: peer.ChaincodeMessage;
            try {
                message = peer.ChaincodeMessage.deserializeBinary(body);
            } catch (err) {
                this.#fail(13, `could not parse a ChaincodeMessage: ${(err as Error).message}`);
                return;
            }
            this.emit('data', message);
            if (this.#failed) return;
        }
    }

    #trailers(headers: http2.IncomingHttpHeaders): void {
        const code = Number(headers['grpc-status']);
        this.#ended = true;
        if (code === 0) {
            // The call is over (the server said so): close this side too, as grpc-js ends its call.
            if (!this.#stream.destroyed) this.#stream.end();
            return;
        }
        const details = decodeURIComponent(String(headers['grpc-message'] ?? ''));
        this.#fail(Number.isInteger(code) ? code : 2, details || 'no details');
    }

    #fail(code: number, details: string): void {
        if (this.#failed) return;
        this.#failed = true;
        this.emit('error', new ShimStreamError(code, details));
        if (!this.#stream.destroyed) this.#stream.close(http2.constants.NGHTTP2_CANCEL);
        this.#session.destroy();
    }
}

function splitAddress(address: string): [string, string] {
    const i = address.lastIndexOf(':');
    if (i <= 0) throw new ShimStreamError(14, `chaincode address ${address} is not host:port`);
    return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}

/** A socket or TLS failure, named as grpc-js names its connection failures. */
function connectionFailure(err: Error): string {
    const code = (err as NodeJS.ErrnoException).code;
    return `No connection established: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`;
}
