// OWNER: helper H2 (orderer). The Deliver service logic shared by the orderer and the peers
// (common/deliver): parses a signed SeekInfo envelope, checks the channel's Readers policy,
// then streams blocks from start to stop (oldest, newest, a number), waiting for blocks not yet
// cut when the seek behaviour is BLOCK_UNTIL_READY, and ends with a status message.
import * as grpc from '@grpc/grpc-js';
import { common } from '@hyperledger/fabric-protos';
import { BlockStore } from '../ledger/blkstorage';
import { ParsedEnvelope } from './protoutil';

export interface DeliverSource {
    channelId: string;
    blocks: BlockStore;
    /** Throws an Error whose message says why the requester may not read (status FORBIDDEN). */
    authorize(seek: ParsedEnvelope): void;
}

/** How one stored block becomes one response message; the status message ends each request. */
export interface DeliverResponder<R> {
    block(block: common.Block): R | Promise<R>;
    status(status: number): R;
}

export declare function serveDeliver<R>(
    call: grpc.ServerDuplexStream<common.Envelope, R>,
    source: DeliverSource,
    responder: DeliverResponder<R>,
): void;
