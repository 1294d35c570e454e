// gRPC options shared by the devnet's nodes, as servers and as clients of each other, and the one
// way every devnet gRPC server (peer, orderer) listens: its settings, each with Fabric's value
// beside it, are in docs/devnet.md ("gRPC servers"); change both together.
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '../../client/logger';
import { ConnectionGuard, CutReason, GoawayFrame, GuardPolicy, h2ErrorName } from './h2guard';
import type { GrpcServerMetrics } from './metrics';

/** Fabric's default gRPC message limit (peer.maxRecvMsgSize / General.MaxRecvMsgSize: 100 MiB). */
export const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/**
 * Message limits, and no channelz: grpc-js otherwise keeps channelz statistics and traces for
 * every call (a measurable part of an evaluation's CPU), which nothing here reads.
 */
export const NODE_GRPC_OPTIONS = {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.enable_channelz': 0,
} as const;

/** Fabric's keepalive settings of its servers (core.yaml peer.keepalive, orderer.yaml General.Keepalive). */
export const FABRIC_SERVER_KEEPALIVE = {
    /** peer.keepalive.interval / General.Keepalive.ServerInterval: 7200 s. */
    intervalMs: 7_200_000,
    /** peer.keepalive.timeout / General.Keepalive.ServerTimeout: 20 s. */
    timeoutMs: 20_000,
    /** peer.keepalive.minInterval / General.Keepalive.ServerMinInterval: 60 s. */
    minIntervalMs: 60_000,
} as const;

/** Fabric's comm.DefaultConnectionTimeout (grpc.ConnectionTimeout of its servers): 5 s for TLS and the HTTP/2 handshake. */
export const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Streams a client may have open at once on one connection. Fabric's Go servers advertise no
 * limit (grpc-go's default) and cap work with peer.limits.concurrency instead (endorser and deliver
 * 2,500, gateway 500, across connections); the guard cuts a connection after 1,000 resets of
 * streams in progress whatever this says, so a bound at that size costs an honest client nothing.
 */
export const MAX_CONCURRENT_STREAMS = 1000;

/**
 * nghttp2's own reset bucket (Node's streamResetBurst/streamResetRate, 1,000 then 33/s by default)
 * counts resets of finished streams too, which grpc-js before 1.10.4 on Node ≤ 20 sends after every
 * call and grpc-go ignores: opened so wide it never acts (the most Node takes, 2^32 - 1). The guard
 * applies the same bucket to resets of streams in progress only (GUARD_POLICY).
 */
export const NGHTTP2_RESET_LIMITS: Pick<http2.ServerOptions, 'streamResetBurst' | 'streamResetRate'> = {
    streamResetBurst: 0xffff_ffff,
    streamResetRate: 0xffff_ffff,
};

/**
 * The HTTP/2 guard's policy (network/devnet/common/h2guard.ts): resets of streams in progress are
 * limited with nghttp2's default bucket (1,000, then 33 a second), which the guard logs and counts
 * when it cuts; resets of finished streams are not limited, as grpc-go does; pings as grpc-go's
 * keepalive enforcement with Fabric's minInterval (permitWithoutStream: true).
 */
export const GUARD_POLICY: GuardPolicy = {
    inProgressResetBurst: 1000,
    inProgressResetsPerSecond: 33,
    pingMinIntervalMs: FABRIC_SERVER_KEEPALIVE.minIntervalMs,
    maxPingStrikes: 2,
};

/** The grpc-js server options of every devnet node. */
export const NODE_SERVER_OPTIONS: grpc.ServerOptions = {
    ...NODE_GRPC_OPTIONS,
    // The server's own pings to an idle client, and how long it waits for the answer.
    'grpc.keepalive_time_ms': FABRIC_SERVER_KEEPALIVE.intervalMs,
    'grpc.keepalive_timeout_ms': FABRIC_SERVER_KEEPALIVE.timeoutMs,
    'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
    // No session memory limit (grpc-js's own default): flow control bounds a session's buffers, and
    // Node's 10 MB default would refuse streams of Fabric's 100 MiB messages.
    'grpc-node.max_session_memory': Number.MAX_SAFE_INTEGER,
};

/** A new grpc-js server with the devnet's options. */
export function newNodeServer(): grpc.Server {
    return new grpc.Server(NODE_SERVER_OPTIONS);
}

export interface ListenOptions {
    host: string;
    port: number;
    /** The node's TLS server key and certificate chain (PEM). Client certificates are not requested (Fabric's clientAuthRequired: false). */
    tls: { key: Buffer; cert: Buffer };
    logger: Logger;
    metrics?: GrpcServerMetrics;
    policy?: GuardPolicy;
}

export interface GrpcListener {
    /** host:port it listens on. */
    readonly address: string;
    readonly port: number;
    /** Connections open now. */
    connections(): number;
    /** Stops accepting; GOAWAYs from then on belong to the node's shutdown (logged at info). */
    close(): void;
    /** Closes the connections still open (after the grpc-js server's shutdown). */
    destroy(): void;
}

/**
 * Gives NGHTTP2_RESET_LIMITS to the HTTP/2 server grpc-js makes for its connection injector.
 * grpc-js (1.14) has no option for them, only its own server options object, spread into
 * http2.createServer(); so this fails at start-up, not silently, if a grpc-js release drops it
 * (test/unit/network/grpc-server.test.ts proves the limits hold past nghttp2's 1,000).
 */
function openResetBucket(server: grpc.Server): void {
    const common = (server as unknown as { commonServerOptions?: http2.ServerOptions }).commonServerOptions;
    if (typeof common !== 'object' || common === null)
        throw new Error('GRPC_SERVER_OPTIONS: this grpc-js has no commonServerOptions; nghttp2’s reset limits cannot be set');
    Object.assign(common, NGHTTP2_RESET_LIMITS);
}

/** A socket's peer as host:port. */
const peerOf = (socket: net.Socket): string => `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;

/**
 * Listens for the server's gRPC clients: TLS here (Node's native TLS, TCP_NODELAY as Go sets it),
 * then each connection's plaintext passes the HTTP/2 guard on its way to grpc-js's session
 * (grpc-js's connection injector). Every GOAWAY the node writes and every connection it closes for
 * a protocol reason is logged at warn, with the client's address, the reason and the streams it
 * ended, and counted in `metrics`.
 */
export function listenNodeServer(server: grpc.Server, options: ListenOptions): Promise<GrpcListener> {
    const log = options.logger.child({ component: 'grpc' });
    const metrics = options.metrics;
    const policy = options.policy ?? GUARD_POLICY;
    openResetBucket(server);
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const open = new Set<tls.TLSSocket>();
    let closing = false;

    const tlsServer = tls.createServer(
        {
            key: options.tls.key,
            cert: options.tls.cert,
            ALPNProtocols: ['h2'],
            minVersion: 'TLSv1.2',
            handshakeTimeout: CONNECTION_TIMEOUT_MS,
            noDelay: true,
        },
        (socket) => {
            if (socket.alpnProtocol !== 'h2') {
                // As Node's HTTP/2 server and grpc-go: gRPC needs HTTP/2 agreed in the TLS handshake.
                log.warn('grpc_connection_refused', { remote: peerOf(socket), reason: `ALPN ${socket.alpnProtocol || 'none'}, not h2` });
                metrics?.connectionsClosed.inc({ reason: 'refused_alpn' });
                socket.destroy();
                return;
            }
            open.add(socket);
            socket.once('close', () => open.delete(socket));
            serveConnection(socket);
        },
    );
    tlsServer.on('tlsClientError', (err, socket) => {
        metrics?.tlsHandshakeFailures.inc();
        log.debug('grpc_tls_handshake_failed', { remote: peerOf(socket), reason: err.message });
    });

    function serveConnection(socket: tls.TLSSocket): void {
        const remote = peerOf(socket);
        const openedAt = Date.now();
        metrics?.connectionsOpened.inc();
        metrics?.connectionsOpen.inc();
        let goaway: { frame: GoawayFrame; by: 'server' | 'guard' } | undefined;
        let clientGoaway = false;
        let socketError: Error | undefined;
        let cut: { reason: CutReason; detail: string } | undefined;
        let goawayWritten = false;
        const seen = { finished: 0, inProgress: 0, strikes: 0 };

        const goawaySent = (frame: GoawayFrame, streamsInProgress: number, by: 'server' | 'guard') => {
            if (!(frame.code === 0 && clientGoaway)) {
                goaway ??= { frame, by };
                if (frame.code !== 0) goaway = { frame, by };
            }
            const code = h2ErrorName(frame.code);
            const reason = frame.debug || code;
            metrics?.goawaySent.inc({ code, reason });
            const fields = { remote, code, reason, lastStreamId: frame.lastStreamId, streamsInProgress, by };
            // A GOAWAY NO_ERROR is routine when it answers the client's own (Node closes the session
            // so) or belongs to the node's shutdown; every other one is a connection the node drops.
            if (frame.code === 0 && clientGoaway) log.debug('grpc_goaway_sent', { ...fields, answering: 'client_goaway' });
            else if (frame.code === 0 && closing) log.info('grpc_goaway_sent', { ...fields, shutdown: true });
            else log.warn('grpc_goaway_sent', fields);
        };

        const guard = new ConnectionGuard(policy, {
            goawaySent: (frame, streams) => goawaySent(frame, streams, 'server'),
            goawayReceived: () => {
                clientGoaway = true;
            },
            cut: (reason, detail) => {
                cut = { reason, detail };
                setImmediate(writeCutGoaway);
            },
        });

        /** After a cut: the guard's GOAWAY between two of the session's frames, then the socket closes. */
        const writeCutGoaway = () => {
            if (goawayWritten || socket.destroyed || !cut) return;
            if (!guard.outboundAtBoundary) {
                // The session is in the middle of a frame: the next write ends it (or the timer gives up).
                setTimeout(() => {
                    if (!goawayWritten) socket.destroy();
                }, 200).unref();
                return;
            }
            goawayWritten = true;
            const frame = guard.goawayFrame(cut.reason);
            goawaySent(
                { lastStreamId: guard.lastClientStreamId, code: frame.readUInt32BE(13), debug: cut.reason },
                guard.streamsInProgress,
                'guard',
            );
            socket.end(frame);
            setTimeout(() => socket.destroy(), 1000).unref();
        };

        const countSeen = () => {
            const c = guard.counters;
            if (c.finishedResets !== seen.finished) {
                metrics?.streamResets.inc({ stream: 'finished' }, c.finishedResets - seen.finished);
                seen.finished = c.finishedResets;
            }
            if (c.inProgressResets !== seen.inProgress) {
                metrics?.streamResets.inc({ stream: 'in_progress' }, c.inProgressResets - seen.inProgress);
                seen.inProgress = c.inProgressResets;
            }
            if (c.pingStrikes !== seen.strikes) {
                metrics?.pingStrikes.inc(c.pingStrikes - seen.strikes);
                seen.strikes = c.pingStrikes;
            }
        };

        const transport = new Duplex({
            read() {
                socket.resume();
            },
            writev(chunks, callback) {
                if (goawayWritten) return callback();
                socket.cork();
                let ok = true;
                for (const { chunk } of chunks) {
                    guard.outbound(chunk as Buffer);
                    ok = socket.write(chunk as Buffer);
                }
                socket.uncork();
                if (cut) writeCutGoaway();
                if (ok) callback();
                else socket.once('drain', () => callback());
            },
            final(callback) {
                if (!goawayWritten) socket.end();
                callback();
            },
            destroy(err, callback) {
                if (!socket.destroyed && !goawayWritten) socket.destroy();
                callback(err);
            },
        });
        socket.on('data', (data: Buffer) => {
            const passed = guard.inbound(data);
            countSeen();
            if (passed.length > 0 && !transport.push(passed)) socket.pause();
        });
        socket.on('end', () => transport.push(null));
        socket.on('error', (err) => {
            socketError = err;
        });
        socket.on('close', () => {
            metrics?.connectionsOpen.dec();
            countSeen();
            const streamsEnded = guard.streamsInProgress;
            const reason = cut
                ? cut.reason
                : goaway && goaway.frame.code !== 0
                  ? `goaway_${h2ErrorName(goaway.frame.code)}`
                  : socketError
                    ? 'socket_error'
                    : goaway
                      ? 'server_goaway'
                      : clientGoaway
                        ? 'client_goaway'
                        : 'client_closed';
            metrics?.connectionsClosed.inc({ reason });
            if (streamsEnded > 0) metrics?.streamsEndedByClose.inc(streamsEnded);
            const fields = {
                remote,
                reason,
                ...(cut ? { detail: cut.detail } : {}),
                ...(socketError ? { error: socketError.message } : {}),
                streamsEnded,
                seconds: Math.round((Date.now() - openedAt) / 1000),
                streamsOpened: guard.counters.streamsOpened,
                finishedResets: guard.counters.finishedResets,
            };
            const protocolReason = Boolean(cut) || (goaway !== undefined && goaway.frame.code !== 0);
            if (protocolReason || (streamsEnded > 0 && !closing)) log.warn('grpc_connection_closed', fields);
            else log.debug('grpc_connection_closed', fields);
            if (!transport.destroyed) transport.destroy();
        });
        injector.injectConnection(transport);
    }

    return new Promise((resolve, reject) => {
        tlsServer.once('error', reject);
        tlsServer.listen(options.port, options.host, () => {
            tlsServer.off('error', reject);
            tlsServer.on('error', (err) => log.error('grpc_listener_error', { reason: err.message }));
            const bound = tlsServer.address() as net.AddressInfo;
            resolve({
                address: `${options.host}:${bound.port}`,
                port: bound.port,
                connections: () => open.size,
                close: () => {
                    closing = true;
                    tlsServer.close();
                },
                destroy: () => {
                    for (const socket of open) socket.destroy();
                },
            });
        });
    });
}
