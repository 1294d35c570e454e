// The orderer as a process, on shifted ports with its own state: Broadcast answers and refusals,
// Deliver (chained, signed blocks; waiting; refusals), no acknowledged transaction lost after
// kill -9, and the pending batch flushed on SIGTERM.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { buildGenesisBlock } from '../../../network/devnet/common/configtx';
import {
    blockDataHash,
    blockHeaderBytes,
    blockHeaderHash,
    createSignedEnvelope,
    parseEnvelope,
} from '../../../network/devnet/common/protoutil';
import { issueTestIdentity } from '../../../network/devnet/msp/ca';
import { deserializeIdentity, loadSigningIdentity, newSigningIdentity, SigningIdentity } from '../../../network/devnet/msp/identity';
import { paths, Topology } from '../../../network/client/topology';
import { spawnSyncWithin, withDeadline } from '../../deadline';
import { httpGet, ORDERER_MAIN, OrdererProcess, shiftedTopology } from './fixture';

const Status = common.Status;

function client(t: Topology): orderer.AtomicBroadcastClient {
    const root = fs.readFileSync(paths.tlsRootCert(t, t.orderer.nodes[0].operatedBy));
    // The orderer's name, not the address, as TLS server name: Node 26 refuses an IP address there
    // (grpc-js would send the target's host), and Fabric's clients name the node too.
    return new orderer.AtomicBroadcastClient(`127.0.0.1:${t.orderer.nodes[0].port}`, grpc.credentials.createSsl(root), {
        'grpc.max_send_message_length': 100 * 1024 * 1024,
        'grpc.ssl_target_name_override': paths.ordererName(t),
    });
}

function txEnvelope(
    t: Topology,
    signer: SigningIdentity,
    size = 100,
    channel = t.channel,
    type: number = common.HeaderType.ENDORSER_TRANSACTION,
): common.Envelope {
    return createSignedEnvelope(type, channel, signer, crypto.randomBytes(size));
}

/**
 * Broadcasts envelopes on one stream; resolves with one response per envelope (or fewer if the
 * stream ended), fails with TIMEOUT when the orderer neither answers nor ends the stream in time.
 */
function broadcast(
    c: orderer.AtomicBroadcastClient,
    envelopes: common.Envelope[],
    timeoutMs = 20_000,
): Promise<orderer.BroadcastResponse[]> {
    const call = c.broadcast();
    const responses: orderer.BroadcastResponse[] = [];
    const answered = new Promise<orderer.BroadcastResponse[]>((resolve, reject) => {
        call.on('data', (r: orderer.BroadcastResponse) => {
            responses.push(r);
            if (responses.length === envelopes.length) call.end();
        });
        call.on('end', () => resolve(responses));
        call.on('error', (err) => (responses.length > 0 ? resolve(responses) : reject(err)));
        for (const e of envelopes) call.write(e);
    });
    return withDeadline(
        () => `the orderer's Broadcast answers to ${envelopes.length} envelope(s) (${responses.length} so far)`,
        timeoutMs,
        answered,
        () => call.cancel(),
    );
}

function seekPosition(p: 'oldest' | 'newest' | number): orderer.SeekPosition {
    const pos = new orderer.SeekPosition();
    if (p === 'oldest') pos.setOldest(new orderer.SeekOldest());
    else if (p === 'newest') pos.setNewest(new orderer.SeekNewest());
    else {
        const s = new orderer.SeekSpecified();
        s.setNumber(p);
        pos.setSpecified(s);
    }
    return pos;
}

function seekEnvelope(
    t: Topology,
    signer: SigningIdentity,
    start: 'oldest' | 'newest' | number,
    stop: 'oldest' | 'newest' | number,
    behavior: number = orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY,
    channel = t.channel,
): common.Envelope {
    const seek = new orderer.SeekInfo();
    seek.setStart(seekPosition(start));
    seek.setStop(seekPosition(stop));
    seek.setBehavior(behavior as orderer.SeekInfo.SeekBehaviorMap[keyof orderer.SeekInfo.SeekBehaviorMap]);
    return createSignedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, channel, signer, seek.serializeBinary());
}

/** One Deliver request: the blocks and the final status; TIMEOUT when no final status comes in time. */
function deliver(
    c: orderer.AtomicBroadcastClient,
    envelope: common.Envelope,
    onBlock?: (b: common.Block) => void,
    timeoutMs = 20_000,
): Promise<{ blocks: common.Block[]; status: number }> {
    const call = c.deliver();
    const blocks: common.Block[] = [];
    const answered = new Promise<{ blocks: common.Block[]; status: number }>((resolve, reject) => {
        call.on('data', (r: orderer.DeliverResponse) => {
            if (r.getTypeCase() === orderer.DeliverResponse.TypeCase.BLOCK) {
                blocks.push(r.getBlock()!);
                onBlock?.(r.getBlock()!);
            } else {
                call.end();
                resolve({ blocks, status: r.getStatus() });
            }
        });
        call.on('error', reject);
        call.write(envelope);
    });
    return withDeadline(
        () => `the orderer's Deliver status (${blocks.length} block(s) so far)`,
        timeoutMs,
        answered,
        () => call.cancel(),
    );
}

/** Checks numbering, previous hashes, data hashes and the orderer's signature on every block. */
function verifyChain(blocks: common.Block[], ordererCertPem: string): void {
    const key = crypto.createPublicKey(ordererCertPem);
    blocks.forEach((b, i) => {
        const h = b.getHeader()!;
        expect(h.getNumber()).to.equal(i);
        expect(Buffer.from(h.getDataHash_asU8())).to.deep.equal(Buffer.from(blockDataHash(b.getData()!)));
        if (i === 0) return;
        expect(Buffer.from(h.getPreviousHash_asU8())).to.deep.equal(Buffer.from(blockHeaderHash(blocks[i - 1].getHeader()!)));
        const md = b.getMetadata()!.getMetadataList_asU8();
        expect(md).to.have.length(5);
        const sigs = common.Metadata.deserializeBinary(md[common.BlockMetadataIndex.SIGNATURES]);
        const obm = common.OrdererBlockMetadata.deserializeBinary(sigs.getValue_asU8());
        expect(obm.getLastConfig()!.getIndex()).to.equal(0);
        const [sig] = sigs.getSignaturesList();
        const creator = deserializeIdentity(common.SignatureHeader.deserializeBinary(sig.getSignatureHeader_asU8()).getCreator_asU8());
        // Signed as its operating org's ordering node.
        expect(creator.getMspid()).to.equal('SeoulMSP');
        const signed = Buffer.concat([sigs.getValue_asU8(), sig.getSignatureHeader_asU8(), blockHeaderBytes(h)]);
        expect(crypto.verify('sha256', signed, key, sig.getSignature_asU8()), `signature of block ${i}`).to.equal(true);
        expect(
            common.LastConfig.deserializeBinary(
                common.Metadata.deserializeBinary(md[common.BlockMetadataIndex.LAST_CONFIG]).getValue_asU8(),
            ).getIndex(),
        ).to.equal(0);
        expect(md[common.BlockMetadataIndex.TRANSACTIONS_FILTER].length).to.equal(0);
    });
}

/** A running orderer on a fresh shifted topology, its client and identities. */
function ordererSuite(options: { batchTimeout?: string } = {}) {
    const s = {} as {
        dir: string;
        t: Topology;
        proc: OrdererProcess;
        c: orderer.AtomicBroadcastClient;
        user: SigningIdentity;
        ordererCert: string;
    };
    before(async () => {
        const fx = await shiftedTopology(options);
        s.dir = fx.dir;
        s.t = fx.topology;
        fs.mkdirSync(path.dirname(paths.genesisBlock(s.t)), { recursive: true });
        fs.writeFileSync(paths.genesisBlock(s.t), buildGenesisBlock(s.t).serializeBinary());
        s.user = loadSigningIdentity(path.join(paths.userDir(s.t, 'SeoulMSP', 'User1'), 'msp'), 'SeoulMSP');
        s.ordererCert = loadSigningIdentity(path.join(paths.ordererDir(s.t), 'msp'), s.t.orderer.nodes[0].operatedBy).certificatePem;
        s.proc = new OrdererProcess(s.t, fx.file);
        await s.proc.start();
        s.c = client(s.t);
    });
    after(async () => {
        s.c?.close();
        await s.proc?.stop('SIGKILL');
        if (s.dir) fs.rmSync(s.dir, { recursive: true, force: true });
    });
    return s;
}

describe('orderer process', function () {
    this.timeout(60000);
    let dir: string;
    let t: Topology;
    let proc: OrdererProcess;
    let c: orderer.AtomicBroadcastClient;
    let user: SigningIdentity;
    let ordererCert: string;

    before(async () => {
        const fx = await shiftedTopology();
        dir = fx.dir;
        t = fx.topology;
        fs.mkdirSync(path.dirname(paths.genesisBlock(t)), { recursive: true });
        fs.writeFileSync(paths.genesisBlock(t), buildGenesisBlock(t).serializeBinary());
        user = loadSigningIdentity(path.join(paths.userDir(t, 'SeoulMSP', 'User1'), 'msp'), 'SeoulMSP');
        ordererCert = loadSigningIdentity(path.join(paths.ordererDir(t), 'msp'), t.orderer.nodes[0].operatedBy).certificatePem;
        proc = new OrdererProcess(t, fx.file);
        await proc.start();
        c = client(t);
    });
    after(async () => {
        c?.close();
        await proc?.stop('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('answers GET /healthz with {"status":"OK"}', async () => {
        const res = await httpGet(`http://127.0.0.1:${t.orderer.nodes[0].operationsPort}/healthz`);
        expect(res.status).to.equal(200);
        expect(JSON.parse(res.body).status).to.equal('OK');
    });

    it('given signed transactions from a channel member, when broadcast, then each is answered SUCCESS and Deliver returns them in signed, chained blocks', async () => {
        const envelopes = Array.from({ length: 25 }, () => txEnvelope(t, user));
        const responses = await broadcast(c, envelopes);
        expect(responses.map((r) => r.getStatus())).to.deep.equal(envelopes.map(() => Status.SUCCESS));
        const { blocks, status } = await deliver(c, seekEnvelope(t, user, 'oldest', 'newest'));
        expect(status).to.equal(Status.SUCCESS);
        verifyChain(blocks, ordererCert);
        const txIds = new Set(
            blocks.slice(1).flatMap((b) =>
                b
                    .getData()!
                    .getDataList_asU8()
                    .map((e) => parseEnvelope(e).channelHeader.getTxId()),
            ),
        );
        for (const e of envelopes) expect(txIds.has(parseEnvelope(e.serializeBinary()).channelHeader.getTxId())).to.equal(true);
    });

    it('refuses a config update that holds no ConfigUpdate of this channel with BAD_REQUEST, as Fabric words it', async () => {
        const [r] = await broadcast(c, [txEnvelope(t, user, 10, t.channel, common.HeaderType.CONFIG_UPDATE)]);
        expect(r.getStatus()).to.equal(Status.BAD_REQUEST);
        expect(r.getInfo()).to.match(new RegExp(`^error applying config update to existing channel '${t.channel}': `));
    });

    it('refuses a CONFIG envelope sent by a client with BAD_REQUEST', async () => {
        const [r] = await broadcast(c, [txEnvelope(t, user, 10, t.channel, common.HeaderType.CONFIG)]);
        expect(r.getStatus()).to.equal(Status.BAD_REQUEST);
        expect(r.getInfo()).to.equal('message is of type that cannot be processed directly');
    });

    it('refuses an unknown channel with NOT_FOUND', async () => {
        const [r] = await broadcast(c, [txEnvelope(t, user, 10, 'otherchannel')]);
        expect(r.getStatus()).to.equal(Status.NOT_FOUND);
    });

    it('refuses a message over absoluteMaxBytes with BAD_REQUEST', async () => {
        const [r] = await broadcast(c, [txEnvelope(t, user, t.orderer.batch.absoluteMaxBytes + 1)]);
        expect(r.getStatus()).to.equal(Status.BAD_REQUEST);
        expect(r.getInfo()).to.match(/^MESSAGE_TOO_LARGE/);
    });

    it('refuses a bad signature and an unknown CA with FORBIDDEN, an expired certificate with BAD_REQUEST (ExpirationRejectRule)', async () => {
        const forged = txEnvelope(t, user);
        const sig = Buffer.from(forged.getSignature_asU8());
        sig[sig.length - 1] ^= 0xff;
        forged.setSignature(sig);
        const untrusted = await issueTestIdentity({ topology: t, mspId: 'SeoulMSP', untrusted: true });
        const expired = await issueTestIdentity({ topology: t, mspId: 'SeoulMSP', expired: true });
        for (const [what, env] of [
            ['forged signature', forged],
            ['unknown CA', txEnvelope(t, newSigningIdentity('SeoulMSP', untrusted.certificatePem, untrusted.privateKeyPem))],
        ] as const) {
            const [r] = await broadcast(c, [env]);
            expect(r.getStatus(), what).to.equal(Status.FORBIDDEN);
        }
        const [r] = await broadcast(c, [txEnvelope(t, newSigningIdentity('SeoulMSP', expired.certificatePem, expired.privateKeyPem))]);
        expect(r.getStatus()).to.equal(Status.BAD_REQUEST);
        expect(r.getInfo()).to.match(/^IDENTITY_EXPIRED: broadcast client identity expired/);
    });

    it('refuses garbage with BAD_REQUEST and ends the stream after a refusal, as Fabric does', async () => {
        const junk = new common.Envelope();
        junk.setPayload(Buffer.from([0xff, 0xff]));
        const responses = await broadcast(c, [junk, txEnvelope(t, user)]);
        expect(responses.map((r) => r.getStatus())).to.deep.equal([Status.BAD_REQUEST]);
    });

    it('Deliver: FAIL_IF_NOT_READY beyond the height is NOT_FOUND; wrong channel NOT_FOUND; start after stop BAD_REQUEST; unknown CA FORBIDDEN', async () => {
        const far = await deliver(c, seekEnvelope(t, user, 1000, 1000, orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY));
        expect(far.status).to.equal(Status.NOT_FOUND);
        const { blocks } = await deliver(c, seekEnvelope(t, user, 'newest', 'newest'));
        const next = blocks[0].getHeader()!.getNumber() + 1;
        expect((await deliver(c, seekEnvelope(t, user, next, next, orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY))).status).to.equal(
            Status.NOT_FOUND,
        );
        expect((await deliver(c, seekEnvelope(t, user, 'oldest', 'oldest', undefined, 'otherchannel'))).status).to.equal(Status.NOT_FOUND);
        expect((await deliver(c, seekEnvelope(t, user, 1, 0))).status).to.equal(Status.BAD_REQUEST);
        const untrusted = await issueTestIdentity({ topology: t, mspId: 'MOISMSP', untrusted: true });
        const stranger = newSigningIdentity('MOISMSP', untrusted.certificatePem, untrusted.privateKeyPem);
        expect((await deliver(c, seekEnvelope(t, stranger, 'oldest', 'newest'))).status).to.equal(Status.FORBIDDEN);
    });

    it('Deliver with BLOCK_UNTIL_READY waits for the next block and serves it once cut', async () => {
        const { blocks } = await deliver(c, seekEnvelope(t, user, 'newest', 'newest'));
        const next = blocks[0].getHeader()!.getNumber() + 1;
        const waiting = deliver(c, seekEnvelope(t, user, next, next));
        await new Promise((r) => setTimeout(r, 100));
        const env = txEnvelope(t, user);
        await broadcast(c, [env]);
        const got = await waiting;
        expect(got.status).to.equal(Status.SUCCESS);
        expect(got.blocks.map((b) => b.getHeader()!.getNumber())).to.deep.equal([next]);
        expect(parseEnvelope(got.blocks[0].getData()!.getDataList_asU8()[0]).channelHeader.getTxId()).to.equal(
            parseEnvelope(env.serializeBinary()).channelHeader.getTxId(),
        );
    });

    it('given transactions flowing, when the orderer is killed with SIGKILL and restarted, then no acknowledged transaction and no block is lost', async () => {
        const acknowledged: string[] = [];
        let running = true;
        const flood = (async () => {
            while (running) {
                const batch = Array.from({ length: 20 }, () => txEnvelope(t, user));
                try {
                    const responses = await broadcast(c, batch);
                    responses.forEach((r, i) => {
                        if (r.getStatus() === Status.SUCCESS)
                            acknowledged.push(parseEnvelope(batch[i].serializeBinary()).channelHeader.getTxId());
                    });
                } catch {
                    return; // the orderer is gone
                }
            }
        })();
        await new Promise((r) => setTimeout(r, 700));
        const { blocks: before } = await deliver(c, seekEnvelope(t, user, 'newest', 'newest'));
        const heightBefore = before[0].getHeader()!.getNumber() + 1;
        await proc.stop('SIGKILL');
        running = false;
        await flood;
        expect(acknowledged.length).to.be.greaterThan(0);
        await proc.start();
        // The old channel may sit in its reconnect backoff: dial afresh, as a peer's deliver client retries.
        c.close();
        c = client(t);
        const { blocks, status } = await deliver(c, seekEnvelope(t, user, 'oldest', 'newest'));
        expect(status).to.equal(Status.SUCCESS);
        expect(blocks.length).to.be.at.least(heightBefore);
        verifyChain(blocks, ordererCert);
        const stored = new Set(
            blocks.flatMap((b) =>
                b
                    .getData()!
                    .getDataList_asU8()
                    .map((e) => parseEnvelope(e).channelHeader.getTxId()),
            ),
        );
        const lost = acknowledged.filter((id) => !stored.has(id));
        expect(lost, 'acknowledged but not in any block').to.deep.equal([]);
        // And the chain goes on after the restart.
        const [r] = await broadcast(c, [txEnvelope(t, user)]);
        expect(r.getStatus()).to.equal(Status.SUCCESS);
    });
});

describe('orderer process shutdown', function () {
    this.timeout(60000);
    // A long batch timeout, so that only the SIGTERM flush can write the pending batch.
    const s = ordererSuite({ batchTimeout: '5s' });

    it('on SIGTERM flushes the pending batch before exiting, and restarts at the same height', async () => {
        const env = txEnvelope(s.t, s.user);
        const call = s.c.broadcast();
        const answered = new Promise<number>((resolve, reject) => {
            call.on('data', (r: orderer.BroadcastResponse) => resolve(r.getStatus()));
            call.on('error', reject);
        });
        call.write(env);
        await new Promise((r) => setTimeout(r, 300)); // received and pending: the batch timer has 5 s to go
        const stoppedAt = Date.now();
        const code = await s.proc.stop('SIGTERM');
        expect(Date.now() - stoppedAt).to.be.below(4000);
        expect(code).to.equal(0);
        // The flushed batch is answered before the streams are closed.
        expect(await withDeadline("the orderer's answer to the pending broadcast", 10_000, answered, () => call.cancel())).to.equal(
            Status.SUCCESS,
        );
        expect(s.proc.output).to.match(/"msg":"block_written".*"txs":1/);
        expect(s.proc.output).to.contain('"msg":"orderer_stopped"');
        await s.proc.start();
        s.c.close();
        s.c = client(s.t);
        const { blocks } = await deliver(s.c, seekEnvelope(s.t, s.user, 'oldest', 'newest'));
        const stored = new Set(
            blocks.flatMap((b) =>
                b
                    .getData()!
                    .getDataList_asU8()
                    .map((e) => parseEnvelope(e).channelHeader.getTxId()),
            ),
        );
        expect(stored.has(parseEnvelope(env.serializeBinary()).channelHeader.getTxId())).to.equal(true);
        for (const line of s.proc.output.trim().split('\n')) expect(() => JSON.parse(line), line).to.not.throw();
    });

    it('refuses to start on a ledger made from another genesis block, and on an unknown argument', async () => {
        await s.proc.stop('SIGTERM');
        const saved = fs.readFileSync(paths.genesisBlock(s.t));
        fs.writeFileSync(paths.genesisBlock(s.t), buildGenesisBlock(s.t).serializeBinary());
        try {
            let failed: Error | undefined;
            await s.proc.start().catch((err: Error) => (failed = err));
            expect(failed?.message).to.contain('GENESIS_MISMATCH');
        } finally {
            fs.writeFileSync(paths.genesisBlock(s.t), saved);
        }
        const bad = spawnSyncWithin(15_000, process.execPath, [ORDERER_MAIN, '--bogus']);
        expect(bad.status).to.equal(1);
        expect(bad.stdout).to.contain('unknown argument --bogus');
    });
});
