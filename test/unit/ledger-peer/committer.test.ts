// The committer against an in-process orderer Deliver service (common/deliver's serveDeliver over TLS, blocks
// signed by the orderer's BlockWriter with the orderer's identity): it catches up from the ledger height,
// follows new blocks, reconnects after the orderer restarts, and refuses badly signed blocks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { BlockStore } from '../../../network/devnet/common/ledger/blkstorage';
import { BlockWriter } from '../../../network/devnet/orderer/blockwriter';
import { serveDeliver } from '../../../network/devnet/common/deliver';
import { paths } from '../../../network/client/topology';
import { SigningIdentity } from '../../../network/devnet/msp/identity';
import { startCommitter } from '../../../network/devnet/peer/committer';
import { CC, committedDefinition, definition, ledgerFixture, LedgerFixture, putDefinition, simulateTx } from './fixture';

const C = peer.TxValidationCode;

interface TestOrderer {
    store: BlockStore;
    writer: BlockWriter;
    port: number;
    start(): Promise<void>;
    stop(): void;
}

async function testOrderer(f: LedgerFixture, signer: SigningIdentity, port = 0): Promise<TestOrderer> {
    const store = await BlockStore.open(path.join(f.tmp(), 'orderer'));
    await store.append(f.genesis);
    const writer = new BlockWriter(store, signer, f.genesis);
    const tlsDir = path.join(paths.ordererDir(f.topology), 'tls');
    let server: grpc.Server | undefined;
    const o: TestOrderer = {
        store,
        writer,
        port,
        async start() {
            server = new grpc.Server();
            server.addService(orderer.AtomicBroadcastService, {
                broadcast: (call: grpc.ServerDuplexStream<common.Envelope, orderer.BroadcastResponse>) => call.end(),
                deliver: (call: grpc.ServerDuplexStream<common.Envelope, orderer.DeliverResponse>) =>
                    serveDeliver(
                        call,
                        { channelId: f.channelConfig.channelId, blocks: store, authorize: () => undefined, configSequence: () => 0 },
                        {
                            block: (b) => {
                                const r = new orderer.DeliverResponse();
                                r.setBlock(b);
                                return r;
                            },
                            status: (s) => {
                                const r = new orderer.DeliverResponse();
                                r.setStatus(s as common.StatusMap[keyof common.StatusMap]);
                                return r;
                            },
                        },
                    ),
            });
            const creds = grpc.ServerCredentials.createSsl(
                null,
                [
                    {
                        private_key: fs.readFileSync(path.join(tlsDir, 'server.key')),
                        cert_chain: fs.readFileSync(path.join(tlsDir, 'server.crt')),
                    },
                ],
                false,
            );
            o.port = await new Promise<number>((resolve, reject) =>
                server!.bindAsync(`127.0.0.1:${o.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
            );
        },
        stop() {
            server?.forceShutdown();
            server = undefined;
        },
    };
    await o.start();
    return o;
}

describe('peer committer', function () {
    this.timeout(60000);
    let f: LedgerFixture;
    before(async () => {
        f = await ledgerFixture();
    });

    function committerFor(o: TestOrderer, l: Awaited<ReturnType<LedgerFixture['open']>>, mspId: string, logs: string[] = []) {
        return startCommitter({
            ledger: l,
            signer: f.peer(mspId),
            ordererEndpoint: `127.0.0.1:${o.port}`,
            ordererTlsRootCert: fs.readFileSync(paths.tlsRootCert(f.topology, f.topology.orderer.nodes[0].operatedBy)),
            ordererServerName: paths.ordererName(f.topology),
            channelId: f.channelConfig.channelId,
            log: (msg, fields) => logs.push(`${msg} ${JSON.stringify(fields ?? {})}`),
        });
    }

    it('Given an orderer with blocks, Then the committer catches up, follows new blocks, and resumes after an orderer restart', async () => {
        const o = await testOrderer(f, f.orderer());
        const l = await f.open(f.tmp(), 'SeoulMSP');
        const majority = ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((m) => f.peer(m));
        const def = await simulateTx(l, f.user('SeoulMSP', 'Admin'), majority, (sim) => putDefinition(sim, definition), {
            ccName: '_lifecycle',
        });
        await o.writer.commit(o.writer.createNextBlock([def.env]));
        const committer = committerFor(o, l, 'SeoulMSP');
        try {
            await committer.waitForHeight(2, 10000);
            expect(await l.chaincodeDefinition(CC)).to.deep.equal(committedDefinition);
            expect(committer.health()).to.equal(undefined);

            const t1 = await simulateTx(l, f.user('SeoulMSP', 'User1'), majority, (sim) => sim.putState(CC, 'k', Buffer.from('1')));
            await o.writer.commit(o.writer.createNextBlock([t1.env]));
            await committer.waitForHeight(3, 10000);
            expect((await l.blocks.getTxLocation(t1.txId))!.validationCode).to.equal(C.VALID);

            o.stop();
            const t2 = await simulateTx(l, f.user('SeoulMSP', 'User1'), majority, (sim) => sim.putState(CC, 'k', Buffer.from('2')));
            await o.writer.commit(o.writer.createNextBlock([t2.env]));
            await new Promise((r) => setTimeout(r, 300));
            expect(committer.health()).to.be.a('string');
            await o.start();
            await committer.waitForHeight(4, 15000);
            expect(Buffer.from((await l.newQueryExecutor().getState(CC, 'k'))!).toString()).to.equal('2');
        } finally {
            await committer.stop();
            o.stop();
            await l.close();
            await o.store.close();
        }
        let err: { code?: string } = {};
        await committer.waitForHeight(100).catch((e) => (err = e));
        expect(err.code).to.equal('COMMITTER_STOPPED');
    });

    it('Given many blocks waiting, Then the committer catches up through its backpressure', async () => {
        const o = await testOrderer(f, f.orderer());
        const l = await f.open(f.tmp(), 'MOISMSP');
        for (let i = 0; i < 60; i++) await o.writer.commit(o.writer.createNextBlock([]));
        const committer = committerFor(o, l, 'MOISMSP');
        try {
            await committer.waitForHeight(61, 30000);
            expect(l.height).to.equal(61);
            for (let i = 0; i < 5; i++) await o.writer.commit(o.writer.createNextBlock([]));
            await committer.waitForHeight(66, 10000);
        } finally {
            await committer.stop();
            o.stop();
            await l.close();
            await o.store.close();
        }
    });

    it('Given a block not signed by the orderer org, Then it is not committed and health says why', async () => {
        const o = await testOrderer(f, f.peer('MOISMSP'));
        const l = await f.open(f.tmp(), 'SeoulMSP');
        await o.writer.commit(o.writer.createNextBlock([]));
        const logs: string[] = [];
        const committer = committerFor(o, l, 'SeoulMSP', logs);
        try {
            await committer.waitForHeight(1, 10000);
            await new Promise((r) => setTimeout(r, 500));
            expect(l.height).to.equal(1);
            expect(committer.health()).to.match(/BLOCK_SIGNATURE_INVALID/);
            expect(logs.some((line) => line.startsWith('commit_failed'))).to.equal(true);
        } finally {
            await committer.stop();
            o.stop();
            await l.close();
            await o.store.close();
        }
    });
});
