// Server-Sent Events: new access-log entries of one card, from the chaincode events. Each event's
// SSE id is `<block>:<txId>`, so a client reconnecting with Last-Event-ID resumes right after it;
// a named `subscriber` keeps its position in SQLite (a durable checkpoint), so nothing is missed
// even across gateway restarts. The chaincode checks who may follow the card before streaming.
import { checkpointers, type Checkpointer } from '@hyperledger/fabric-gateway';
import type { Request, RequestHandler, Response } from 'express';
import { SignedAccessLogListRequest } from '../../chaincode/model';
import { badRequest } from '../errors';
import { StoreCheckpointer } from '../events/checkpointer';
import type { GatewayStore } from '../store/store';
import { ACCESS_EVENT_NAMES, CHAINCODE_FN as F, type ChaincodeFn } from '../../chaincode/surface';
import type { EventStream, FabricLayer } from '../fabric/types';
import type { Logger } from '../../network/client/logger';
import { CardPath, StreamQuery } from './dto';
import type { StreamQuota } from './limits';
import { appOf } from './route';
import { decimalAtMost, requireSame, validateInto } from './validate';

export const STREAM_PATH = '/v1/cards/:cardId/access-log/stream';
export const STREAM_OPERATION_ID = 'streamCardAccessLog';
/**
 * `<block>:<transaction id>`, the block a uint64: Fabric's protos number blocks so, and a larger
 * position cannot be encoded in a Deliver seek.
 */
export const LAST_EVENT_ID = new RegExp(`^(${decimalAtMost(2n ** 64n - 1n)}):([0-9a-f]{64})$`);

/** The stream as the OpenAPI document describes it (openapi.ts); its handler is accessStream below. */
export const STREAM_ROUTE = {
    path: STREAM_PATH,
    operationId: STREAM_OPERATION_ID,
    summary: 'Server-Sent Events: new access-log entries of a card (event `access`, id `<block>:<txId>`)',
    description:
        'Citizens pass `request` (base64url of a signed AccessLogListRequest, checked as ListMyAccessLog checks it); auditors need none ' +
        '(checked as ListAccessLogByCard). Each event is `data: {"accessId","cardId","decision","transactionId","blockNumber"}`; ' +
        'a `: keep-alive` comment comes every 15 s. Reconnect with Last-Event-ID, or name a `subscriber` to keep a durable ' +
        'server-side checkpoint.',
    params: CardPath,
    query: StreamQuery,
    /** Before streaming, the same call as the listing, with a page of 1. */
    evaluates: [F.listMyAccess, F.listAccessByCard] as ChaincodeFn[],
} as const;

export interface StreamRegistry {
    /** Open streams, closed on shutdown so the server can stop. */
    open: Set<EventStream>;
}

export function accessStream(deps: {
    fabric: FabricLayer;
    store: GatewayStore;
    log: Logger;
    streams: StreamRegistry;
    /** Open streams per app (checked before the chaincode is asked). */
    quota: StreamQuota;
    heartbeatMs?: number;
}): RequestHandler {
    return async (req: Request, res: Response) => {
        const app = appOf(res);
        const { cardId } = validateInto(CardPath, { ...req.params }, 'path');
        const query = validateInto(StreamQuery, { ...(req.query as object) }, 'query');
        const lastEventId = req.get('Last-Event-ID');
        const resumeAt = lastEventId === undefined ? undefined : LAST_EVENT_ID.exec(lastEventId);
        if (lastEventId !== undefined && !resumeAt) {
            throw badRequest([
                {
                    field: 'header.Last-Event-ID',
                    constraints: { matches: 'Last-Event-ID must be <block>:<transaction id>, the block a uint64' },
                },
            ]);
        }
        // Held until the stream ends (or its authorization fails): a key cannot pile up open streams.
        const release = deps.quota.reserve(app.appId);
        try {
            // Authorization is the chaincode's: the citizen's signed listing request, or an auditor's identity.
            if (query.request) {
                let plain: unknown;
                try {
                    plain = JSON.parse(Buffer.from(query.request, 'base64url').toString('utf8'));
                } catch {
                    throw badRequest([
                        { field: 'query.request', constraints: { isJson: 'request must be base64url of the signed request JSON' } },
                    ]);
                }
                const signed = validateInto(SignedAccessLogListRequest, plain, 'query');
                requireSame('request.document.cardId', signed.document.cardId, cardId, 'query');
                await deps.fabric.evaluate(app.identity, {
                    fn: F.listMyAccess,
                    args: [JSON.stringify({ request: signed, pageSize: 1, bookmark: '' })],
                });
            } else {
                await deps.fabric.evaluate(app.identity, {
                    fn: F.listAccessByCard,
                    args: [JSON.stringify({ cardId, pageSize: 1, bookmark: '' })],
                });
            }
            const checkpoint: Checkpointer = query.subscriber
                ? await StoreCheckpointer.load(deps.store, `sse:${app.appId}:${cardId}:${query.subscriber}`)
                : checkpointers.inMemory();
            if (resumeAt) await checkpoint.checkpointTransaction(BigInt(resumeAt[1]), resumeAt[2]);
            const fresh = checkpoint.getBlockNumber() === undefined;
            const stream = await deps.fabric.chaincodeEvents(app.identity, { checkpoint: fresh ? undefined : checkpoint });
            deps.streams.open.add(stream);
            res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
            res.flushHeaders();
            res.write(': streaming access-log entries\n\n');
            const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
            const stop = () => {
                clearInterval(heartbeat);
                stream.close();
                deps.streams.open.delete(stream);
            };
            req.on('close', stop);
            try {
                for await (const event of stream) {
                    if (ACCESS_EVENT_NAMES.includes(event.eventName)) {
                        let payload: Record<string, unknown> | undefined;
                        try {
                            payload = JSON.parse(Buffer.from(event.payload).toString('utf8')) as Record<string, unknown>;
                        } catch {
                            payload = undefined;
                        }
                        if (payload && payload.cardId === cardId) {
                            const data = { ...payload, transactionId: event.transactionId, blockNumber: event.blockNumber.toString() };
                            res.write(`id: ${event.blockNumber}:${event.transactionId}\nevent: access\ndata: ${JSON.stringify(data)}\n\n`);
                        }
                    }
                    // Checkpoint every event, delivered or not, so a restart does not rescan them.
                    await checkpoint.checkpointTransaction(event.blockNumber, event.transactionId);
                }
            } catch (err) {
                if (!res.writableEnded) deps.log.warn('access stream ended', { error: (err as Error).message, cardId });
            } finally {
                stop();
                if (!res.writableEnded) res.end();
            }
        } finally {
            release();
        }
    };
}
