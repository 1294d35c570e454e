// The Deliver service logic shared by the orderer and the peers
// (common/deliver): parses a signed SeekInfo envelope, checks the channel's Readers policy,
// then streams blocks from start to stop (oldest, newest, a number), waiting for blocks not yet
// cut when the seek behaviour is BLOCK_UNTIL_READY, and ends with a status message.
//
// As Fabric's handler: requests on one stream are served one after the other; a request that
// ends with SUCCESS lets the client send the next one, any other status ends the stream.
import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import { BlockStore } from './ledger/blkstorage';
import { identityExpiresAt } from '../msp/identity';
import { isConfigBlock, ParsedEnvelope, parseEnvelopeMessage } from './protoutil';

export interface DeliverSource {
    channelId: string;
    blocks: BlockStore;
    /** Throws an Error whose message says why the requester may not read (status FORBIDDEN). */
    authorize(seek: ParsedEnvelope): void;
    /** The sequence of the channel config in force: a request is authorized again when it advances. */
    configSequence(): number;
}

/** How one stored block becomes one response message; the status message ends each request. */
export interface DeliverResponder<R> {
    block(block: common.Block): R | Promise<R>;
    status(status: number): R;
}

export interface DeliverOptions {
    /** One structured event per request outcome (never block contents). */
    log?: (event: string, fields: Record<string, unknown>) => void;
    /** Allowed clock skew of the request's timestamp (Fabric: 15 minutes). */
    timeWindowMs?: number;
}

const Status = common.Status;
const DEFAULT_TIME_WINDOW_MS = 15 * 60 * 1000;

/** A request refused before or while streaming: the status that ends it and why. */
class SeekRefusal extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

/** Resolves a seek position to a block number, given the current height. */
function startNumber(position: orderer.SeekPosition, height: number): number {
    switch (position.getTypeCase()) {
        case orderer.SeekPosition.TypeCase.OLDEST:
            return 0;
        case orderer.SeekPosition.TypeCase.NEWEST:
            return Math.max(height - 1, 0);
        case orderer.SeekPosition.TypeCase.NEXT_COMMIT:
            return height;
        case orderer.SeekPosition.TypeCase.SPECIFIED: {
            const n = position.getSpecified()!.getNumber();
            // As Fabric's ledger iterator: a start beyond the next block to be written is not found.
            if (n > height) throw new SeekRefusal(Status.NOT_FOUND, `start block ${n} is beyond the next block ${height}`);
            return n;
        }
        default:
            throw new SeekRefusal(Status.BAD_REQUEST, 'seek start position has no type');
    }
}

function stopNumber(seek: orderer.SeekInfo, start: number, height: number): number {
    const stop = seek.getStop()!;
    switch (stop.getTypeCase()) {
        case orderer.SeekPosition.TypeCase.OLDEST:
            return start;
        case orderer.SeekPosition.TypeCase.NEWEST:
            // Start and stop both newest: exactly one block, even if another is cut meanwhile.
            if (seek.getStart()!.getTypeCase() === orderer.SeekPosition.TypeCase.NEWEST) return start;
            return Math.max(height - 1, 0);
        case orderer.SeekPosition.TypeCase.SPECIFIED: {
            const n = stop.getSpecified()!.getNumber();
            if (n < start) throw new SeekRefusal(Status.BAD_REQUEST, `start block ${start} is after stop block ${n}`);
            return n;
        }
        case orderer.SeekPosition.TypeCase.NEXT_COMMIT:
            return Math.max(start, height);
        default:
            throw new SeekRefusal(Status.BAD_REQUEST, 'seek stop position has no type');
    }
}

export function serveDeliver<R>(
    call: grpc.ServerDuplexStream<common.Envelope, R>,
    source: DeliverSource,
    responder: DeliverResponder<R>,
    options: DeliverOptions = {},
): void {
    const log = options.log ?? (() => undefined);
    const timeWindowMs = options.timeWindowMs ?? DEFAULT_TIME_WINDOW_MS;
    const aborter = new AbortController();
    const pending: common.Envelope[] = [];
    let serving = false;
    let clientDone = false;
    let finished = false;

    const finish = () => {
        if (finished) return;
        finished = true;
        aborter.abort();
        call.end();
    };

    /** Writes one message, waiting for the stream to drain when its buffer is full. */
    const send = async (message: R): Promise<void> => {
        if (aborter.signal.aborted) throw new SeekRefusal(Status.INTERNAL_SERVER_ERROR, 'stream closed');
        if (call.write(message)) return;
        await new Promise<void>((resolve, reject) => {
            const onDrain = () => {
                aborter.signal.removeEventListener('abort', onAbort);
                resolve();
            };
            const onAbort = () => {
                call.removeListener('drain', onDrain);
                reject(new SeekRefusal(Status.INTERNAL_SERVER_ERROR, 'stream closed'));
            };
            call.once('drain', onDrain);
            aborter.signal.addEventListener('abort', onAbort, { once: true });
        });
    };

    const serveOne = async (envelope: common.Envelope): Promise<number> => {
        let parsed: ParsedEnvelope;
        try {
            parsed = parseEnvelopeMessage(envelope);
        } catch (err) {
            throw new SeekRefusal(Status.BAD_REQUEST, (err as Error).message);
        }
        const ch = parsed.channelHeader;
        const ts = ch.getTimestamp();
        if (!ts) throw new SeekRefusal(Status.BAD_REQUEST, 'channel header in envelope must contain timestamp');
        const skew = Math.abs(Date.now() - (ts.getSeconds() * 1000 + ts.getNanos() / 1e6));
        if (skew > timeWindowMs)
            throw new SeekRefusal(Status.BAD_REQUEST, `envelope timestamp is ${Math.round(skew / 1000)} s apart from the server time`);
        if (ch.getChannelId() !== source.channelId) throw new SeekRefusal(Status.NOT_FOUND, `channel ${ch.getChannelId()} not found`);
        let seek: orderer.SeekInfo;
        try {
            seek = orderer.SeekInfo.deserializeBinary(parsed.payload.getData_asU8());
        } catch (err) {
            throw new SeekRefusal(Status.BAD_REQUEST, `malformed SeekInfo payload: ${(err as Error).message}`);
        }
        // Fabric's SessionAccessControl: the policy is checked at the start and again before each
        // block once the channel config has changed (an org removed stops receiving blocks from
        // the config block that removed it on), and the stream ends when the requester's
        // certificate expires.
        const expiresAt = identityExpiresAt(parsed.signatureHeader.getCreator_asU8())?.getTime();
        let checkedSequence = -1;
        const authorize = () => {
            if (expiresAt !== undefined && Date.now() > expiresAt)
                throw new SeekRefusal(
                    Status.FORBIDDEN,
                    `deliver client identity expired ${Math.round((Date.now() - expiresAt) / 1000)} s before`,
                );
            const sequence = source.configSequence();
            if (sequence === checkedSequence) return;
            try {
                source.authorize(parsed);
            } catch (err) {
                throw new SeekRefusal(Status.FORBIDDEN, (err as Error).message);
            }
            checkedSequence = sequence;
        };
        authorize();
        if (!seek.getStart() || !seek.getStop()) throw new SeekRefusal(Status.BAD_REQUEST, 'SeekInfo lacks a start or a stop position');
        const blocks = source.blocks;
        let number = startNumber(seek.getStart()!, blocks.height);
        const stop = stopNumber(seek, number, blocks.height);
        const failIfNotReady = seek.getBehavior() === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
        const headersOnly = seek.getContentType() === orderer.SeekInfo.SeekContentType.HEADER_WITH_SIG;
        for (;;) {
            if (number >= blocks.height) {
                if (failIfNotReady)
                    throw new SeekRefusal(Status.NOT_FOUND, `block ${number} not found, the ledger height is ${blocks.height}`);
                try {
                    await blocks.waitForBlock(number, aborter.signal);
                } catch (err) {
                    throw new SeekRefusal(Status.SERVICE_UNAVAILABLE, (err as Error).message);
                }
            }
            let block = await blocks.getBlock(number);
            if (!block) throw new SeekRefusal(Status.NOT_FOUND, `block ${number} not found`);
            authorize();
            if (headersOnly && number > 0 && (block.getData()?.getDataList().length ?? 0) > 0) {
                // HEADER_WITH_SIG: header and metadata only (config blocks are sent whole, as Fabric does).
                if (!isConfigBlock(block)) {
                    const stripped = new common.Block();
                    stripped.setHeader(block.getHeader());
                    stripped.setMetadata(block.getMetadata());
                    block = stripped;
                }
            }
            await send(await responder.block(block));
            if (number === stop) return Status.SUCCESS;
            number++;
        }
    };

    const pump = async () => {
        if (serving) return;
        serving = true;
        try {
            while (pending.length > 0 && !finished) {
                const envelope = pending.shift()!;
                let status: number;
                let reason: string | undefined;
                try {
                    status = await serveOne(envelope);
                } catch (err) {
                    status = err instanceof SeekRefusal ? err.status : Status.INTERNAL_SERVER_ERROR;
                    reason = (err as Error).message;
                }
                if (aborter.signal.aborted) return;
                log(status === Status.SUCCESS ? 'deliver_request_done' : 'deliver_request_refused', {
                    channel: source.channelId,
                    status,
                    reason,
                });
                await send(responder.status(status)).catch(() => undefined);
                if (status !== Status.SUCCESS) {
                    finish();
                    return;
                }
            }
            if (clientDone) finish();
        } finally {
            serving = false;
        }
    };

    call.on('data', (envelope: common.Envelope) => {
        if (finished) return;
        pending.push(envelope);
        void pump();
    });
    call.on('end', () => {
        clientDone = true;
        if (!serving && pending.length === 0) finish();
    });
    const stop = () => {
        finished = true;
        aborter.abort();
    };
    call.on('cancelled', stop);
    call.on('error', stop);
    call.on('close', stop);
}
