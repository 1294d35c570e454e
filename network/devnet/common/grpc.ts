// gRPC options shared by the devnet's nodes, as servers and as clients of each other.

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
