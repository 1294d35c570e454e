// gRPC options shared by the devnet's nodes, as servers and as clients of each other, and the one
// way every devnet gRPC server (peer, orderer) listens: its settings, each with Fabric's value
// beside it, are in docs/devnet.md ("gRPC servers"); change both together.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '../../client/logger';
import { ConnectionGuard, type CutReason, ENHANCE_YOUR_CALM, type GuardPolicy, h2ErrorName, nghttp2GoawayCode } from './h2guard';

const http2Constants = http2.constants;
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
 * The HTTP/2 server grpc-js made for a connection injector: the one it added to its servers.
 * grpc-js (1.14) keeps them in `http2Servers`; this fails at start-up, not silently, if a release
 * drops it.
 */
function injectorHttp2Server(server: grpc.Server, make: () => void): http2.Http2Server {
    const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
    if (!(servers instanceof Map))
        throw new Error('GRPC_SERVER_OPTIONS: this grpc-js has no http2Servers; the HTTP/2 guard cannot see sessions');
    const before = new Set(servers.keys());
    make();
    const added = [...servers.keys()].filter((s) => !before.has(s));
    if (added.length !== 1) throw new Error('GRPC_SERVER_OPTIONS: the connection injector added no HTTP/2 server of its own');
    return added[0];
}

/** How long a GOAWAY of the guard's has to leave before the connection is closed under it. */
const CUT_GRACE_MS = 200;

/**
 * Listens for the server's gRPC clients: TLS here (Node's native TLS, TCP_NODELAY as Go sets it),
 * each connection handed to grpc-js's HTTP/2 server (its connection injector) as it is, so that
 * nghttp2 reads it straight from TLS, and the HTTP/2 guard fed from that session's events. Every
 * GOAWAY the node writes and every connection it closes for a protocol reason is logged at warn,
 * with the client's address, the reason and the streams it ended, and counted in `metrics`.
 */
export function listenNodeServer(server: grpc.Server, options: ListenOptions): Promise<GrpcListener> {
    const log = options.logger.child({ component: 'grpc' });
    const metrics = options.metrics;
    const policy = options.policy ?? GUARD_POLICY;
    openResetBucket(server);
    let injector!: ReturnType<grpc.Server['createConnectionInjector']>;
    const sessions = injectorHttp2Server(server, () => {
        injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    });
    const open = new Set<tls.TLSSocket>();
    let closing = false;
    /** The connection whose session Node makes now (injectConnection makes it synchronously). */
    let injecting: ((session: http2.ServerHttp2Session) => void) | undefined;
    // Before grpc-js's own listener, so the guard sees each stream first.
    sessions.prependListener('session', (session: http2.ServerHttp2Session) => {
        const attach = injecting;
        injecting = undefined;
        attach?.(session);
    });

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
        const guard = new ConnectionGuard(policy);
        /** The code of the GOAWAY that closes the connection: the first one, or a later error's. */
        let goawayCode: number | undefined;
        let clientGoaway = false;
        let socketError: Error | undefined;
        let countedResets = 0;
        let countedStrikes = 0;

        const goawaySent = (frame: { code: number; lastStreamId: number; debug: string }, by: 'server' | 'guard') => {
            if (!(frame.code === 0 && clientGoaway) && (goawayCode === undefined || frame.code !== 0)) goawayCode = frame.code;
            const code = h2ErrorName(frame.code);
            const reason = frame.debug || code;
            metrics?.goawaySent.inc({ code, reason });
            const fields = { remote, code, reason, lastStreamId: frame.lastStreamId, streamsInProgress: guard.streamsInProgress, by };
            // A GOAWAY NO_ERROR is routine when it answers the client's own (Node closes the session
            // so) or belongs to the node's shutdown; every other one is a connection the node drops.
            if (frame.code === 0 && clientGoaway) log.debug('grpc_goaway_sent', { ...fields, answering: 'client_goaway' });
            else if (frame.code === 0 && closing) log.info('grpc_goaway_sent', { ...fields, shutdown: true });
            else log.warn('grpc_goaway_sent', fields);
        };

        const countSeen = () => {
            const c = guard.counters;
            if (c.inProgressResets !== countedResets) {
                metrics?.streamResets.inc({ stream: 'in_progress' }, c.inProgressResets - countedResets);
                countedResets = c.inProgressResets;
            }
            if (c.pingStrikes !== countedStrikes) {
                metrics?.pingStrikes.inc(c.pingStrikes - countedStrikes);
                countedStrikes = c.pingStrikes;
            }
        };

        const attach = (session: http2.ServerHttp2Session) => {
            const goawayOf = session.goaway.bind(session);
            const destroyOf = session.destroy.bind(session);
            /** The guard's cut: its GOAWAY, then the connection closes under it once the frame has left. */
            const cutNow = (reason: CutReason | undefined) => {
                countSeen();
                if (!reason || session.destroyed) return;
                const debug = Buffer.from(reason, 'latin1');
                goawaySent({ code: ENHANCE_YOUR_CALM, lastStreamId: guard.lastClientStreamId, debug: reason }, 'guard');
                goawayOf(ENHANCE_YOUR_CALM, guard.lastClientStreamId, debug);
                setTimeout(() => socket.destroy(), CUT_GRACE_MS).unref();
            };
            // Every GOAWAY the session writes goes through one of these two (Node's close() calls goaway()).
            session.goaway = (code = 0, lastStreamId = 0, opaqueData?: NodeJS.ArrayBufferView) => {
                if (!session.destroyed && !guard.cut) {
                    const debug = opaqueData
                        ? Buffer.from(opaqueData.buffer, opaqueData.byteOffset, opaqueData.byteLength).toString('latin1')
                        : '';
                    goawaySent({ code, lastStreamId: lastStreamId || guard.lastClientStreamId, debug }, 'server');
                }
                goawayOf(code, lastStreamId, opaqueData);
            };
            session.destroy = (error?: Error | number, code?: number) => {
                // Node writes a GOAWAY when it destroys a session whose socket is open (nghttp2's own,
                // for an error of nghttp2's, left first); none after the guard's.
                if (!session.destroyed && !socket.destroyed && !guard.cut) {
                    const errno = error instanceof Error ? (error as Error & { errno?: number }).errno : undefined;
                    const nghttp2 = error instanceof Error && (error as Error & { code?: string }).code === 'ERR_HTTP2_ERROR';
                    const sent = nghttp2
                        ? nghttp2GoawayCode(errno ?? 0)
                        : typeof error === 'number'
                          ? error
                          : (code ?? (error ? http2Constants.NGHTTP2_INTERNAL_ERROR : 0));
                    goawaySent(
                        {
                            code: sent,
                            lastStreamId: guard.lastClientStreamId,
                            debug: nghttp2 ? `nghttp2: ${(error as Error).message}` : '',
                        },
                        'server',
                    );
                }
                destroyOf(error as Error, code as number);
            };
            session.on('goaway', () => {
                clientGoaway = true;
            });
            session.on('ping', () => cutNow(guard.ping()));
            session.on('stream', (stream: http2.ServerHttp2Stream) => {
                guard.streamOpened(stream.id ?? 0);
                let ended = false;
                const end = () => {
                    if (ended) return;
                    ended = true;
                    // `aborted`: closed before the server ended its side; not a reset when the whole session goes.
                    cutNow(guard.streamEnded(stream.aborted && !session.destroyed));
                };
                if (stream.closed) end();
                else stream.once('close', end);
            });
        };

        socket.on('error', (err) => {
            socketError = err;
        });
        socket.on('close', () => {
            metrics?.connectionsOpen.dec();
            countSeen();
            const cut = guard.cut;
            const streamsEnded = guard.streamsInProgress;
            const reason = cut
                ? cut.reason
                : goawayCode !== undefined && goawayCode !== 0
                  ? `goaway_${h2ErrorName(goawayCode)}`
                  : socketError
                    ? 'socket_error'
                    : goawayCode !== undefined
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
            };
            const protocolReason = Boolean(cut) || (goawayCode !== undefined && goawayCode !== 0);
            if (protocolReason || (streamsEnded > 0 && !closing)) log.warn('grpc_connection_closed', fields);
            else log.debug('grpc_connection_closed', fields);
        });
        injecting = attach;
        injector.injectConnection(socket);
        if (injecting) {
            injecting = undefined;
            log.error('grpc_connection_unguarded', { remote, reason: 'no HTTP/2 session was made for the connection' });
            socket.destroy();
        }
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
