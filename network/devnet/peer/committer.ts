// The peer's committer: a Deliver client of the orderer (Fabric's blocksprovider + the
// committer of core/committer). It asks for every block from the ledger height on, with a signed
// SeekInfo (BLOCK_UNTIL_READY), checks each block (its number, its hash chain, its data hash and
// the orderer's signature under /Channel/Orderer/BlockValidation) and commits blocks strictly in
// order. It reconnects with backoff after any error and stops cleanly.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { createSignedEnvelope } from '../common/protoutil';
import { SigningIdentity } from '../msp/identity';
import { address, paths, primaryOrderer, Topology } from '../../client/topology';
import { PeerLedger } from './ledger/types';
import { KvLedger } from './ledger/kvledger';
import { NODE_GRPC_OPTIONS } from '../common/grpc';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** Blocks buffered before the stream is paused (backpressure while the ledger commits). */
const MAX_PENDING = 20;

export type CommitterLog = (msg: string, fields?: Record<string, unknown>) => void;

export interface CommitterOptions {
    ledger: PeerLedger;
    signer: SigningIdentity;
    log?: CommitterLog;
    /** Either the topology (orderer address, its TLS root CA and host name, the channel)... */
    topology?: Topology;
    /** ...or each of these. */
    ordererEndpoint?: string;
    ordererTlsRootCert?: Uint8Array | string;
    /** TLS server name of the orderer (default: the endpoint's host). */
    ordererServerName?: string;
    channelId?: string;
    /**
     * Checks a block's orderer signature; throws when it does not verify. Defaults to the
     * ledger's /Channel/Orderer/BlockValidation policy when the ledger is a KvLedger.
     */
    verifyBlock?: (block: common.Block) => void;
}

export interface Committer {
    stop(): Promise<void>;
    /** Resolves once the ledger holds `height` blocks; rejects when the committer stops first. */
    waitForHeight(height: number, timeoutMs?: number): Promise<void>;
    /** Undefined while connected and healthy; otherwise why not (for /healthz). */
    health(): string | undefined;
}

export class CommitterError extends Error {
    constructor(
        readonly code: 'COMMITTER_CONFIG' | 'COMMITTER_STOPPED' | 'COMMITTER_TIMEOUT',
        message: string,
    ) {
        super(`${code}: ${message}`);
    }
}

export { blockSignedData, verifyBlockSignature, BlockSignatureError } from './ledger/blockverifier';

function seekEnvelope(channelId: string, signer: SigningIdentity, start: number): common.Envelope {
    const specified = new orderer.SeekSpecified();
    specified.setNumber(start);
    const startPos = new orderer.SeekPosition();
    startPos.setSpecified(specified);
    const max = new orderer.SeekSpecified();
    // Fabric seeks to math.MaxUint64; the largest number a JS protobuf field carries exactly.
    max.setNumber(Number.MAX_SAFE_INTEGER);
    const stopPos = new orderer.SeekPosition();
    stopPos.setSpecified(max);
    const seek = new orderer.SeekInfo();
    seek.setStart(startPos);
    seek.setStop(stopPos);
    seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
    return createSignedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, channelId, signer, seek.serializeBinary());
}

export function startCommitter(opts: CommitterOptions): Committer {
    const log: CommitterLog = opts.log ?? (() => undefined);
    const t = opts.topology;
    const node = t ? primaryOrderer(t) : undefined;
    const endpoint = opts.ordererEndpoint ?? (t && node ? address(node) : undefined);
    // The node's TLS certificate comes from its operating org's TLS CA.
    const tlsRoot = opts.ordererTlsRootCert ?? (t && node ? fs.readFileSync(paths.tlsRootCert(t, node.operatedBy)) : undefined);
    const channelId = opts.channelId ?? t?.channel ?? opts.ledger.channelId;
    const serverName = opts.ordererServerName ?? (t && node ? paths.ordererName(t, node) : undefined);
    if (!endpoint || !tlsRoot)
        throw new CommitterError('COMMITTER_CONFIG', 'the orderer endpoint and its TLS root certificate are required (or a topology)');
    const ledger = opts.ledger;
    const verify = opts.verifyBlock ?? (ledger instanceof KvLedger ? (b: common.Block) => ledger.verifyBlockSignature(b) : undefined);

    const channelOptions: grpc.ChannelOptions = {
        ...NODE_GRPC_OPTIONS,
        'grpc.keepalive_time_ms': 60_000,
    };
    if (serverName) {
        channelOptions['grpc.ssl_target_name_override'] = serverName;
        channelOptions['grpc.default_authority'] = serverName;
    }
    const client = new orderer.AtomicBroadcastClient(endpoint, grpc.credentials.createSsl(Buffer.from(tlsRoot)), channelOptions);

    let stopped = false;
    let stream: grpc.ClientDuplexStream<common.Envelope, orderer.DeliverResponse> | undefined;
    let problem: string | undefined = 'not connected to the orderer yet';
    let backoff = BACKOFF_MIN_MS;
    let retryTimer: NodeJS.Timeout | undefined;
    let chain: Promise<void> = Promise.resolve();
    let pending = 0;
    const waiters = new Set<{ height: number; resolve: () => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();

    const settleWaiters = () => {
        for (const w of waiters) {
            if (ledger.height >= w.height) {
                waiters.delete(w);
                if (w.timer) clearTimeout(w.timer);
                w.resolve();
            }
        }
    };
    const unsubscribe = ledger.onCommit(() => settleWaiters());

    const scheduleReconnect = (reason: string) => {
        if (stopped || retryTimer) return;
        problem = reason;
        const delay = backoff;
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
        log('deliver_reconnect', { reason, delayMs: delay, height: ledger.height });
        retryTimer = setTimeout(() => {
            retryTimer = undefined;
            connect();
        }, delay);
    };

    const dropStream = () => {
        const s = stream;
        stream = undefined;
        if (s) {
            s.removeAllListeners();
            s.on('error', () => undefined);
            s.cancel();
        }
    };

    const connect = () => {
        if (stopped) return;
        // Wait for blocks already received to commit: the seek starts at the ledger height.
        chain.then(() => {
            if (stopped) return;
            const start = ledger.height;
            let s: grpc.ClientDuplexStream<common.Envelope, orderer.DeliverResponse>;
            try {
                s = client.deliver();
            } catch (e) {
                scheduleReconnect(`deliver failed: ${(e as Error).message}`);
                return;
            }
            stream = s;
            let expected = start;
            s.on('data', (resp: orderer.DeliverResponse) => {
                if (stream !== s) return;
                if (resp.getTypeCase() === orderer.DeliverResponse.TypeCase.STATUS) {
                    const status = resp.getStatus();
                    dropStream();
                    scheduleReconnect(`orderer ended the deliver stream with status ${status}`);
                    return;
                }
                const block = resp.getBlock();
                if (!block) return;
                const number = block.getHeader()?.getNumber();
                if (number !== expected) {
                    dropStream();
                    scheduleReconnect(`BLOCK_UNEXPECTED: expected block ${expected}, got ${number}`);
                    return;
                }
                expected++;
                problem = undefined;
                pending++;
                if (pending >= MAX_PENDING) s.pause();
                chain = chain.then(async () => {
                    try {
                        if (stopped || stream !== s) return; // a dropped stream's blocks come again on the next one
                        if (ledger.height > number) return; // already committed (a previous stream)
                        const began = Date.now();
                        verify?.(block);
                        const { validationCodes, phases } = await ledger.commit(block);
                        // As Fabric's kvledger: "Committed block [n] with k transaction(s) in t ms
                        // (state_validation=… block_and_pvtdata_commit=… state_commit=…)".
                        const valid = validationCodes.filter((code) => code === peer.TxValidationCode.VALID).length;
                        const ms = (x: number) => Math.round(x * 10) / 10;
                        log('block_committed', {
                            block: number,
                            transactions: validationCodes.length,
                            valid,
                            invalid: validationCodes.length - valid,
                            ms: Date.now() - began,
                            ...(phases && {
                                stateValidationMs: ms(phases.stateValidationMs),
                                blockAndPvtdataCommitMs: ms(phases.blockAndPvtdataCommitMs),
                                stateCommitMs: ms(phases.stateCommitMs),
                            }),
                        });
                        backoff = BACKOFF_MIN_MS;
                    } catch (e) {
                        if (stopped) return;
                        log('commit_failed', { block: number, reason: (e as Error).message });
                        dropStream();
                        scheduleReconnect(`block ${number}: ${(e as Error).message}`);
                    } finally {
                        pending--;
                        if (pending < MAX_PENDING / 2 && stream === s) s.resume();
                    }
                });
            });
            s.on('error', (err: grpc.ServiceError) => {
                if (stream !== s) return;
                dropStream();
                scheduleReconnect(`deliver stream error: ${err.details || err.message}`);
            });
            s.on('end', () => {
                if (stream !== s) return;
                dropStream();
                scheduleReconnect('orderer closed the deliver stream');
            });
            try {
                s.write(seekEnvelope(channelId, opts.signer, start));
            } catch (e) {
                dropStream();
                scheduleReconnect(`seek request failed: ${(e as Error).message}`);
                return;
            }
            // Healthy once the channel to the orderer is up (blocks may not come for a while).
            client.waitForReady(Date.now() + 10_000, (err) => {
                if (stream !== s) return;
                if (err) {
                    dropStream();
                    scheduleReconnect(`orderer unreachable: ${err.message}`);
                    return;
                }
                problem = undefined;
            });
            log('deliver_connected', { orderer: endpoint, channel: channelId, start });
        });
    };

    connect();

    return {
        async stop() {
            if (stopped) return;
            stopped = true;
            if (retryTimer) clearTimeout(retryTimer);
            dropStream();
            await chain.catch(() => undefined);
            unsubscribe();
            client.close();
            for (const w of waiters) {
                if (w.timer) clearTimeout(w.timer);
                w.reject(new CommitterError('COMMITTER_STOPPED', `stopped at height ${ledger.height}`));
            }
            waiters.clear();
        },
        waitForHeight(height: number, timeoutMs?: number) {
            if (ledger.height >= height) return Promise.resolve();
            if (stopped) return Promise.reject(new CommitterError('COMMITTER_STOPPED', `stopped at height ${ledger.height}`));
            return new Promise<void>((resolve, reject) => {
                const w: { height: number; resolve: () => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } = {
                    height,
                    resolve,
                    reject,
                };
                if (timeoutMs !== undefined) {
                    w.timer = setTimeout(() => {
                        waiters.delete(w);
                        reject(
                            new CommitterError(
                                'COMMITTER_TIMEOUT',
                                `height ${ledger.height} did not reach ${height} within ${timeoutMs} ms`,
                            ),
                        );
                    }, timeoutMs);
                }
                waiters.add(w);
            });
        },
        health() {
            return stopped ? 'committer stopped' : problem;
        },
    };
}
