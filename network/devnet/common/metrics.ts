// The Prometheus metrics of one devnet node, served at GET /metrics by its operations server (as
// Fabric's operations service serves its own). One registry per node (and per test).
import { Counter, Gauge, Registry } from 'prom-client';

export interface GrpcServerMetrics {
    /** Connections accepted (TLS done, HTTP/2 agreed): Fabric's grpc_comm_conn_opened. */
    connectionsOpened: Counter;
    /** Connections closed, by reason (client_closed, client_goaway, server_goaway, goaway_<CODE>, rapid_reset, too_many_pings, socket_error, refused_alpn): Fabric's grpc_comm_conn_closed, with a reason. */
    connectionsClosed: Counter<'reason'>;
    /** Connections open now. */
    connectionsOpen: Gauge;
    /** GOAWAY frames the node wrote, by HTTP/2 error code and reason (the frame's debug data, or the code). */
    goawaySent: Counter<'code' | 'reason'>;
    /** Streams in progress when their connection closed on the node's side (a GOAWAY with an error, a cut) or was lost. */
    streamsEndedByClose: Counter;
    /** Client resets of streams in progress (stream="in_progress"); nghttp2 ignores those of finished streams, as Fabric does, unseen. */
    streamResets: Counter<'stream'>;
    /** Client pings that broke the ping policy (Fabric's keepalive minInterval). */
    pingStrikes: Counter;
    /** TLS handshakes that failed or timed out. */
    tlsHandshakeFailures: Counter;
}

export interface NodeMetrics {
    registry: Registry;
    grpc: GrpcServerMetrics;
}

export function createNodeMetrics(): NodeMetrics {
    const registry = new Registry();
    const registers = [registry];
    return {
        registry,
        grpc: {
            connectionsOpened: new Counter({ name: 'grpc_comm_conn_opened', help: 'gRPC connections opened', registers }),
            connectionsClosed: new Counter({
                name: 'grpc_comm_conn_closed',
                help: 'gRPC connections closed, by reason',
                labelNames: ['reason'] as const,
                registers,
            }),
            connectionsOpen: new Gauge({ name: 'grpc_comm_conn_open', help: 'gRPC connections open', registers }),
            goawaySent: new Counter({
                name: 'grpc_comm_goaway_sent',
                help: 'HTTP/2 GOAWAY frames sent by this node, by error code and reason',
                labelNames: ['code', 'reason'] as const,
                registers,
            }),
            streamsEndedByClose: new Counter({
                name: 'grpc_comm_streams_ended_by_close',
                help: 'gRPC streams in progress when their connection was closed by this node or lost',
                registers,
            }),
            streamResets: new Counter({
                name: 'grpc_comm_stream_resets',
                help: 'RST_STREAM frames received from clients for streams in progress (resets of finished streams are ignored, unseen)',
                labelNames: ['stream'] as const,
                registers,
            }),
            pingStrikes: new Counter({
                name: 'grpc_comm_ping_strikes',
                help: 'client pings sooner than the keepalive policy permits',
                registers,
            }),
            tlsHandshakeFailures: new Counter({
                name: 'grpc_comm_tls_handshake_failures',
                help: 'TLS handshakes of gRPC clients that failed or timed out',
                registers,
            }),
        },
    };
}
