// The Broadcast service (orderer/common/broadcast + msgprocessor's standard channel filters):
// each envelope is parsed, checked against the channel, its header type, the absolute size limit,
// its creator's expiry, signature and the channel's /Channel/Writers policy, then ordered. Each envelope
// gets one BroadcastResponse, in order; as in Fabric, a response other than SUCCESS ends the stream.
import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import type { PolicyResult, SignedData } from '../common/policies';
import { envelopeSignedData, ParsedEnvelope, parseEnvelopeMessage } from '../common/protoutil';
import { identityExpiresAt } from '../msp/identity';
import { Chain } from './chain';

const Status = common.Status;

export interface BroadcastSupport {
    channelId: string;
    absoluteMaxBytes: number;
    /** Evaluates /Channel/Writers over the envelope's signed data (signature checked there). */
    checkWriters(signedData: SignedData[]): PolicyResult;
    /**
     * Checks a CONFIG_UPDATE envelope against the config in force and returns the orderer-signed
     * CONFIG envelope of the new config, which is in force from then on; throws (Fabric's message) when refused.
     */
    processConfigUpdate(envelope: common.Envelope): common.Envelope;
    chain: Chain;
    log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface Verdict {
    status: number;
    info: string;
    txId?: string;
    /** Resolves with the block number once the envelope is written (SUCCESS verdicts only). */
    ordered?: Promise<number>;
}

const refuse = (status: number, info: string, txId?: string): Verdict => ({ status, info, txId });

/** Validates one envelope and, when it passes, hands it to the chain. */
export function processMessage(support: BroadcastSupport, envelope: common.Envelope): Verdict {
    let parsed: ParsedEnvelope;
    try {
        parsed = parseEnvelopeMessage(envelope);
    } catch (err) {
        return refuse(Status.BAD_REQUEST, (err as Error).message);
    }
    const ch = parsed.channelHeader;
    const txId = ch.getTxId();
    if (ch.getChannelId() !== support.channelId) {
        return refuse(
            Status.NOT_FOUND,
            `CHANNEL_NOT_FOUND: channel ${JSON.stringify(ch.getChannelId())} does not exist on this orderer`,
            txId,
        );
    }
    const type = ch.getType();
    if (type === common.HeaderType.CONFIG) {
        // As Fabric's BroadcastChannelSupport: a CONFIG envelope is the orderer's own output.
        return refuse(Status.BAD_REQUEST, 'message is of type that cannot be processed directly', txId);
    }
    if (type === common.HeaderType.CONFIG_UPDATE) return processConfigUpdate(support, envelope, parsed, txId);
    if (type !== common.HeaderType.ENDORSER_TRANSACTION) {
        return refuse(
            Status.BAD_REQUEST,
            `UNSUPPORTED_HEADER_TYPE: header type ${type} is not accepted, only ENDORSER_TRANSACTION (3) and CONFIG_UPDATE (2)`,
            txId,
        );
    }
    const refused = applyFilters(support, envelope, parsed, txId);
    if (refused) return refused;
    if (!support.chain.ready) return refuse(Status.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE: the orderer is stopping', txId);
    const ordered = support.chain.order(envelope);
    return { status: Status.SUCCESS, info: '', txId, ordered };
}

/** The standard channel's filters (size, creator, expiry, signature, /Channel/Writers); a refusal or undefined. */
function applyFilters(support: BroadcastSupport, envelope: common.Envelope, parsed: ParsedEnvelope, txId: string): Verdict | undefined {
    const size = envelope.getPayload_asU8().length + envelope.getSignature_asU8().length;
    if (size > support.absoluteMaxBytes) {
        return refuse(
            Status.BAD_REQUEST,
            `MESSAGE_TOO_LARGE: message payload is ${size} bytes and exceeds maximum allowed ${support.absoluteMaxBytes} bytes`,
            txId,
        );
    }
    if (parsed.signatureHeader.getCreator_asU8().length === 0) {
        return refuse(Status.BAD_REQUEST, 'BAD_SIGNATURE_HEADER: the signature header has no creator', txId);
    }
    // Fabric's ExpirationRejectRule (msgprocessor, before the signature filter): the MSP does not
    // check a client certificate's expiry; the peers' ExpirationCheck filter and this rule do.
    const expiresAt = identityExpiresAt(parsed.signatureHeader.getCreator_asU8());
    if (expiresAt && Date.now() >= expiresAt.getTime()) {
        return refuse(Status.BAD_REQUEST, `IDENTITY_EXPIRED: broadcast client identity expired at ${expiresAt.toISOString()}`, txId);
    }
    if (envelope.getSignature_asU8().length === 0) {
        return refuse(Status.FORBIDDEN, 'BAD_SIGNATURE: the envelope is not signed', txId);
    }
    let result: PolicyResult;
    try {
        result = support.checkWriters([envelopeSignedData(parsed)]);
    } catch (err) {
        return refuse(Status.FORBIDDEN, `POLICY_ERROR: /Channel/Writers could not be evaluated: ${(err as Error).message}`, txId);
    }
    if (!result.ok) {
        return refuse(
            Status.FORBIDDEN,
            `FORBIDDEN: implicit policy evaluation failed for /Channel/Writers: ${result.reason ?? 'no signer satisfies it'}`,
            txId,
        );
    }
    return undefined;
}

/**
 * msgprocessor's ProcessConfigUpdateMsg: the filters, then the update checked against the channel's
 * config (read set, mod_policies, signatures), then the signed CONFIG envelope ordered in a block of
 * its own. Refusals carry Fabric's status and message; a refused update changes nothing.
 */
function processConfigUpdate(support: BroadcastSupport, envelope: common.Envelope, parsed: ParsedEnvelope, txId: string): Verdict {
    const refused = applyFilters(support, envelope, parsed, txId);
    if (refused) {
        const reason = refused.info.replace(/^[A-Z_]+: /, '');
        return refuse(refused.status, `config update for existing channel did not pass initial checks: ${reason}`, txId);
    }
    if (!support.chain.ready) return refuse(Status.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE: the orderer is stopping', txId);
    let config: common.Envelope;
    try {
        config = support.processConfigUpdate(envelope);
    } catch (err) {
        return refuse(
            Status.BAD_REQUEST,
            `error applying config update to existing channel '${support.channelId}': ${(err as Error).message}`,
            txId,
        );
    }
    return { status: Status.SUCCESS, info: '', txId, ordered: support.chain.orderConfig(config) };
}

/** Above this many unanswered envelopes on one stream, stop reading from it until some are answered. */
const MAX_IN_FLIGHT = 2000;

/** Serves one Broadcast stream: answers in order, pipelining validation and ordering. */
export function handleBroadcast(
    call: grpc.ServerDuplexStream<common.Envelope, orderer.BroadcastResponse>,
    support: BroadcastSupport,
): void {
    const log = support.log ?? (() => undefined);
    let tail: Promise<void> = Promise.resolve();
    let inFlight = 0;
    let closed = false;
    let paused = false;

    const respond = (status: number, info: string) => {
        const response = new orderer.BroadcastResponse();
        response.setStatus(status as common.StatusMap[keyof common.StatusMap]);
        response.setInfo(info);
        call.write(response);
    };

    call.on('data', (envelope: common.Envelope) => {
        if (closed) return;
        const verdict = processMessage(support, envelope);
        if (verdict.status !== Status.SUCCESS)
            log('broadcast_refused', { status: verdict.status, txId: verdict.txId, reason: verdict.info });
        // Keep answers in order: each waits for the one before it.
        inFlight++;
        if (inFlight >= MAX_IN_FLIGHT && !paused) {
            paused = true;
            call.pause();
        }
        tail = tail.then(async () => {
            let { status, info } = verdict;
            if (verdict.ordered) {
                try {
                    await verdict.ordered;
                } catch (err) {
                    status = Status.SERVICE_UNAVAILABLE;
                    info = (err as Error).message;
                    log('broadcast_refused', { status, txId: verdict.txId, reason: info });
                }
            }
            inFlight--;
            if (paused && inFlight < MAX_IN_FLIGHT / 2) {
                paused = false;
                call.resume();
            }
            if (closed) return;
            respond(status, info);
            if (status !== Status.SUCCESS) {
                closed = true;
                call.end();
            }
        });
    });
    call.on('end', () => {
        void tail.then(() => {
            if (!closed) {
                closed = true;
                call.end();
            }
        });
    });
    const stop = () => {
        closed = true;
    };
    call.on('cancelled', stop);
    call.on('error', stop);
}
