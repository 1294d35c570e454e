// The gateway's HTTP server: Node's timeouts for slow clients (slowloris), and a problem+json
// answer for what Node refuses before Express sees it (a timeout, headers too large, bytes that
// are not HTTP), with a request id as every problem has, logged.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { PROBLEM_BASE, PROBLEM_CONTENT_TYPE } from '../errors';
import type { Logger } from '../../network/client/logger';

export interface ListenOptions {
    host: string;
    port: number;
    /** The request line and headers must arrive within this. */
    headersTimeoutMs: number;
    /** The whole request (headers and body) must arrive within this; responses (event streams) are not bounded. */
    requestTimeoutMs: number;
    /**
     * HTTPS. A client certificate is asked for but not required (API keys still work); one that
     * chains to `clientCa` is marked authorized on the socket, and its CN names the app (app.ts).
     */
    tls?: { cert: Buffer; key: Buffer; clientCa: Buffer[] };
    /** Where the server's own refusals are logged (with their request id). */
    log?: Logger;
}

/** Node's own client errors, with the status and stable code each is answered with. */
function refusalOf(err: NodeJS.ErrnoException): { status: number; code: string; title: string; detail: string } {
    switch (err.code) {
        case 'ERR_HTTP_REQUEST_TIMEOUT':
            return { status: 408, code: 'REQUEST_TIMEOUT', title: 'Request timeout', detail: 'the request did not arrive in time' };
        case 'HPE_HEADER_OVERFLOW':
            return { status: 431, code: 'HEADERS_TOO_LARGE', title: 'Headers too large', detail: 'the request headers are too large' };
        default:
            return { status: 400, code: 'MALFORMED_HTTP', title: 'Malformed request', detail: 'the request is not valid HTTP/1.1' };
    }
}

/** The problem document of a request the server refused before reading it: no `instance` (its path was not read). */
export function serverRefusal(err: NodeJS.ErrnoException, requestId: string): { status: number; code: string; text: string } {
    const r = refusalOf(err);
    const body = JSON.stringify({
        type: PROBLEM_BASE + r.code.toLowerCase().replace(/_/g, '-'),
        title: r.title,
        status: r.status,
        detail: r.detail,
        code: r.code,
        requestId,
    });
    return {
        status: r.status,
        code: r.code,
        text:
            `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
            `X-Request-Id: ${requestId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    };
}

function onClientError(err: NodeJS.ErrnoException, socket: Socket, log?: Logger): void {
    const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || started) {
        socket.destroy();
        return;
    }
    const requestId = crypto.randomUUID();
    const refusal = serverRefusal(err, requestId);
    log?.info('refused by the HTTP server', { requestId, status: refusal.status, code: refusal.code, error: err.code });
    socket.end(refusal.text);
}

export function listen(app: Express, opts: ListenOptions): Promise<http.Server> {
    const limits: http.ServerOptions = {
        headersTimeout: opts.headersTimeoutMs,
        requestTimeout: opts.requestTimeoutMs,
        // How often Node looks for expired requests: often enough for the smallest timeout.
        connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(Math.min(opts.headersTimeoutMs, opts.requestTimeoutMs) / 4))),
    };
    const server: http.Server = opts.tls
        ? https.createServer(
              { ...limits, cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: false },
              app,
          )
        : http.createServer(limits, app);
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(err, socket, opts.log));
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
            server.off('error', reject);
            resolve(server);
        });
    });
}
