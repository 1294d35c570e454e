// Chaincode support against a real fabric-shim 2.5 chaincode server (chaincode as a service):
// every shim request kind, pagination, private data rules, multiplexing, timeouts, reconnection.
import { ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { INVOKE_CHAINCODE_UNSUPPORTED } from '../../../network/devnet/peer/chaincode/handler';
import { ChaincodeSupport, ExecutionResult, RICH_QUERY_UNSUPPORTED } from '../../../network/devnet/peer/chaincode/support';
import {
    CHANNEL,
    freePort,
    MemoryLedger,
    MemorySimulator,
    makeIdentity,
    memberOfPolicy,
    signedProposal,
    startChaincodeServer,
    stopChaincodeServer,
    TestIdentity,
    CC,
    COLLECTIONS,
} from './helpers';

describe('chaincode support (shim protocol against fabric-shim 2.5)', function () {
    this.timeout(30000);
    let port: number;
    let server: ChildProcess | undefined;
    let support: ChaincodeSupport;
    let seoul: TestIdentity;
    let mois: TestIdentity;
    let ledger: MemoryLedger;

    before(async () => {
        seoul = await makeIdentity('SeoulMSP', 'client', { role: 'issuer' });
        mois = await makeIdentity('MOISMSP', 'client');
        port = await freePort();
        server = startChaincodeServer(port, `${CC}:1.0`);
        support = new ChaincodeSupport([{ name: CC, address: `127.0.0.1:${port}` }], {
            connectWaitMs: 15000,
            executeTimeoutMs: 10000,
            minBackoffMs: 100,
            maxBackoffMs: 500,
        });
        support.start();
        expect(await support.waitReady(20000)).to.equal(true);
    });

    after(async () => {
        support?.close();
        await stopChaincodeServer(server);
    });

    beforeEach(() => {
        ledger = new MemoryLedger();
    });

    async function run(
        fn: string,
        args: string[],
        opts: { as?: TestIdentity; transient?: Record<string, string>; via?: ChaincodeSupport } = {},
    ) {
        const id = opts.as ?? seoul;
        const { sp, txId, proposal, input } = signedProposal({
            signer: id.signer,
            chaincode: CC,
            args: [fn, ...args],
            transient: opts.transient,
        });
        const sim = ledger.newTxSimulator(txId) as MemorySimulator;
        const result: ExecutionResult = await (opts.via ?? support).execute({
            chaincodeName: CC,
            txId,
            channelId: CHANNEL,
            signedProposal: sp,
            proposal,
            input,
            simulator: sim,
            isEvaluate: false,
            collections: COLLECTIONS,
            isCollectionMember: (c) => memberOfPolicy(c.policy, id.verified),
        });
        return {
            result,
            sim,
            txId,
            status: result.response.getStatus(),
            message: result.response.getMessage(),
            payload: Buffer.from(result.response.getPayload_asU8()).toString(),
        };
    }

    const seed = (key: string, value: string) => ledger.state.public.set(`${CC}\u0000${key}`, { value: Buffer.from(value) });

    it('Given a chaincode server, when the peer dials it, then it registers under its package id and is ready', () => {
        const [status] = support.status();
        expect(status).to.include({ name: CC, ready: true, chaincodeId: `${CC}:1.0` });
        expect(support.isReady(CC)).to.equal(true);
    });

    it('PUT_STATE records the write, and the COMPLETED event carries chaincode id and tx id', async () => {
        const { status, sim, result, txId } = await run('Put', ['a', 'one']);
        expect(status).to.equal(200);
        expect(Buffer.from(sim.writes.get(`${CC}\u0000a`)!).toString()).to.equal('one');
        expect(result.event?.getEventName()).to.equal('Put');
        expect(result.event?.getChaincodeId()).to.equal(CC);
        expect(result.event?.getTxId()).to.equal(txId);
    });

    it('GET_STATE returns committed state, and nothing for a missing key', async () => {
        seed('a', 'committed');
        expect((await run('Get', ['a'])).payload).to.equal('committed');
        expect((await run('Get', ['missing'])).payload).to.equal('');
    });

    it('DEL_STATE records a delete', async () => {
        const { sim } = await run('Del', ['a']);
        expect(sim.writes.get(`${CC}\u0000a`)).to.equal(null);
    });

    it('GET_STATE_BY_RANGE over 250 keys is served in batches of 100 through QUERY_STATE_NEXT', async () => {
        for (let i = 0; i < 250; i++) seed(`r${String(i).padStart(3, '0')}`, String(i));
        seed('s', 'outside');
        const { payload } = await run('Range', ['r', 's']);
        const keys = JSON.parse(payload) as string[];
        expect(keys).to.have.length(250);
        expect(keys[0]).to.equal('r000');
        expect(keys[249]).to.equal('r249');
        expect(ledger.state.rangeCalls[0]).to.deep.equal({ ns: CC, startKey: 'r', endKey: 's', pageSize: 0, bookmark: '' });
    });

    it('QUERY_STATE_CLOSE ends an iterator early', async () => {
        for (let i = 0; i < 150; i++) seed(`c${String(i).padStart(3, '0')}`, String(i));
        expect((await run('FirstOfRange', ['c', 'd'])).payload).to.equal('c000');
    });

    it('paginated ranges return one page with QueryResponseMetadata (bookmark, fetched count)', async () => {
        for (let i = 0; i < 25; i++) seed(`p${String(i).padStart(2, '0')}`, String(i));
        const first = JSON.parse((await run('Page', ['p', 'q', '10', ''])).payload);
        expect(first.keys).to.deep.equal(Array.from({ length: 10 }, (_, i) => `p${String(i).padStart(2, '0')}`));
        expect(first.bookmark).to.equal('p10');
        expect(first.fetchedRecordsCount).to.equal(10);
        const third = JSON.parse((await run('Page', ['p', 'q', '10', 'p20'])).payload);
        expect(third.keys).to.deep.equal(['p20', 'p21', 'p22', 'p23', 'p24']);
        expect(third.bookmark).to.equal('');
        expect(ledger.state.rangeCalls.at(-1)).to.deep.include({ pageSize: 10, bookmark: 'p20' });
    });

    it('partial composite keys are served as ranges', async () => {
        const ck = (...parts: string[]) => `\u0000${parts.join('\u0000')}\u0000`;
        seed(ck('card', 'alice', '1'), 'A1');
        seed(ck('card', 'alice', '2'), 'A2');
        seed(ck('card', 'bob', '1'), 'B1');
        seed(ck('other', 'alice', '1'), 'X');
        expect(JSON.parse((await run('ByPartial', ['card', 'alice'])).payload)).to.deep.equal(['alice/1=A1', 'alice/2=A2']);
        expect(JSON.parse((await run('ByPartial', ['card', ''])).payload)).to.have.length(3);
    });

    it('GET_HISTORY_FOR_KEY returns KeyModifications with timestamps', async () => {
        ledger.state.history.set(`${CC}\u0000h`, [
            { txId: 'tx2', value: Buffer.from('v2'), isDelete: false, timestamp: { seconds: 200, nanos: 0 } },
            { txId: 'tx1', value: Buffer.from(''), isDelete: true, timestamp: { seconds: 100, nanos: 5 } },
        ]);
        expect(JSON.parse((await run('History', ['h'])).payload)).to.deep.equal([
            { txId: 'tx2', value: 'v2', isDelete: false, seconds: 200 },
            { txId: 'tx1', value: '', isDelete: true, seconds: 100 },
        ]);
    });

    describe('private data', () => {
        it('a member writes a private value taken from the transient map', async () => {
            const { status, sim } = await run('PutPrivate', ['seoulOnly', 'k'], { transient: { value: 'secret' } });
            expect(status).to.equal(200);
            expect(Buffer.from(sim.privateWrites.get(`${CC}\u0000seoulOnly\u0000k`)!).toString()).to.equal('secret');
            expect(sim.writes.size).to.equal(0);
        });

        it('a non-member may not write a memberOnlyWrite collection', async () => {
            const { status, message, sim } = await run('PutPrivate', ['seoulOnly', 'k'], { as: mois, transient: { value: 'x' } });
            expect(status).to.equal(500);
            expect(message).to.contain(
                `tx creator does not have write access permission on privatedata in chaincodeName:${CC} collectionName: seoulOnly`,
            );
            expect(sim.privateWrites.size).to.equal(0);
        });

        it('a non-member may not read a memberOnlyRead collection, but may read an open one', async () => {
            ledger.state.private.set(`${CC}\u0000seoulOnly\u0000k`, Buffer.from('secret'));
            ledger.state.private.set(`${CC}\u0000open\u0000k`, Buffer.from('shared'));
            const refused = await run('GetPrivate', ['seoulOnly', 'k'], { as: mois });
            expect(refused.status).to.equal(500);
            expect(refused.message).to.contain('tx creator does not have read access permission on privatedata');
            expect((await run('GetPrivate', ['open', 'k'], { as: mois })).payload).to.equal('shared');
            const member = await run('GetPrivate', ['seoulOnly', 'k']);
            expect(member.payload).to.equal('secret');
            expect([...member.result.privateReads]).to.deep.equal(['seoulOnly']);
        });

        it('a collection outside the definition is refused', async () => {
            const { status, message } = await run('GetPrivate', ['nope', 'k']);
            expect(status).to.equal(500);
            expect(message).to.contain(`collection ${CHANNEL}/${CC}/nope could not be found`);
        });

        it('GET_PRIVATE_DATA_HASH answers SHA-256 of the value, even to non-members', async () => {
            ledger.state.private.set(`${CC}\u0000seoulOnly\u0000k`, Buffer.from('secret'));
            const { payload } = await run('HashPrivate', ['seoulOnly', 'k'], { as: mois });
            expect(payload).to.equal(crypto.createHash('sha256').update('secret').digest('hex'));
        });

        it('DEL and PURGE of private data are recorded; a non-member may not purge', async () => {
            expect((await run('DelPrivate', ['seoulOnly', 'k'])).sim.privateWrites.get(`${CC}\u0000seoulOnly\u0000k`)).to.equal(null);
            expect((await run('PurgePrivate', ['seoulOnly', 'k'])).sim.purges).to.deep.equal([`${CC}\u0000seoulOnly\u0000k`]);
            const refused = await run('PurgePrivate', ['seoulOnly', 'k'], { as: mois });
            expect(refused.status).to.equal(500);
            expect(refused.sim.purges).to.deep.equal([]);
        });

        it('private ranges (never paginated)', async () => {
            for (const key of ['a', 'b', 'c']) ledger.state.private.set(`${CC}\u0000seoulOnly\u0000${key}`, Buffer.from(key.toUpperCase()));
            expect(JSON.parse((await run('PrivateRange', ['seoulOnly', 'a', 'c'])).payload)).to.deep.equal(['a=A', 'b=B']);
            expect((await run('PrivateRange', ['seoulOnly', 'a', 'c'], { as: mois })).status).to.equal(500);
        });
    });

    it('PUT_STATE_METADATA and GET_STATE_METADATA (key-level endorsement parameter)', async () => {
        const { sim } = await run('SetValidation', ['m', 'cafe']);
        expect(Buffer.from(sim.metadataWrites.get(`${CC}\u0000m`)!.VALIDATION_PARAMETER).toString('hex')).to.equal('cafe');
        ledger.state.public.set(`${CC}\u0000m`, {
            value: Buffer.from('x'),
            metadata: { VALIDATION_PARAMETER: Buffer.from('beef', 'hex') },
        });
        expect((await run('GetValidation', ['m'])).payload).to.equal('beef');
    });

    it('GET_QUERY_RESULT is refused: no rich queries on LevelDB', async () => {
        const { status, message } = await run('Rich', ['{"selector":{}}']);
        expect(status).to.equal(500);
        expect(message).to.contain(RICH_QUERY_UNSUPPORTED);
        expect(message).to.contain('GET_QUERY_RESULT failed: transaction ID:');
    });

    it('INVOKE_CHAINCODE is refused with a clear error when the caller allows no callee', async () => {
        const { status, message } = await run('Call', ['other', 'Get', 'k', '']);
        expect(status).to.equal(500);
        expect(message).to.contain(INVOKE_CHAINCODE_UNSUPPORTED);
    });

    describe('chaincode-to-chaincode invocation', () => {
        let both: ChaincodeSupport;
        before(async () => {
            // A second chaincode name served by the same server: it registers with the package id.
            both = new ChaincodeSupport([
                { name: CC, address: `127.0.0.1:${port}` },
                { name: 'other', address: `127.0.0.1:${port}`, packageId: `${CC}:1.0` },
            ]);
            both.start();
            expect(await both.waitReady(10000)).to.equal(true);
        });
        after(() => both?.close());

        const call = async (args: string[]) => {
            const { sp, txId, proposal, input } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['Call', ...args] });
            const sim = ledger.newTxSimulator(txId) as MemorySimulator;
            const result = await both.execute({
                chaincodeName: CC,
                txId,
                channelId: CHANNEL,
                signedProposal: sp,
                proposal,
                input,
                simulator: sim,
                isEvaluate: false,
                collections: [],
                calleeCollections: async (name) => (name === 'other' || name === CC ? [] : undefined),
            });
            return {
                sim,
                result,
                status: result.response.getStatus(),
                message: result.response.getMessage(),
                payload: Buffer.from(result.response.getPayload_asU8()).toString(),
            };
        };

        it('the callee runs in the same transaction, in its own namespace, and its event is dropped', async () => {
            const { status, payload, sim, result } = await call(['other', 'Put', 'k', 'from-callee']);
            expect(status).to.equal(200);
            expect(JSON.parse(payload)).to.deep.equal({ status: 200, message: '', payload: '' });
            expect(Buffer.from(sim.writes.get('other\u0000k')!).toString()).to.equal('from-callee');
            expect(result.event).to.equal(undefined);
            ledger.state.public.set('other\u0000k', { value: Buffer.from('callee state') });
            expect(JSON.parse((await call(['other', 'Get', 'k', ''])).payload).payload).to.equal('callee state');
        });

        it("the callee's error response reaches the caller as a response", async () => {
            expect(JSON.parse((await call(['other', 'Fail', 'NOPE: callee', ''])).payload)).to.deep.include({
                status: 500,
                message: 'NOPE: callee',
            });
        });

        it('refuses an undefined callee, another channel, and a call back into the calling chaincode', async () => {
            expect((await call(['nope', 'Get', 'k', ''])).message).to.contain('INVOKE_CHAINCODE failed: transaction ID:');
            expect((await call(['nope', 'Get', 'k', ''])).message).to.contain('execute failed: chaincode nope not found');
            expect((await call(['other/elsewhere', 'Get', 'k', ''])).message).to.contain('on another channel is not supported');
            expect((await call([CC, 'Get', 'k', ''])).message).to.match(/execute failed: txid: [0-9a-f]{64}\(testchannel\) exists/);
        });
    });

    it('a chaincode error comes back as a 500 response, not an execution error', async () => {
        const { status, message } = await run('Fail', ['CARD_REVOKED: no']);
        expect(status).to.equal(500);
        expect(message).to.contain('CARD_REVOKED: no');
    });

    it('the shim sees the creator (ClientIdentity parses the proposal creator and its attributes)', async () => {
        expect((await run('Creator', [])).payload).to.equal('SeoulMSP issuer');
    });

    it('many transactions run concurrently on one stream, each answered to its own tx id', async () => {
        const runs = await Promise.all(
            Array.from({ length: 40 }, (_, i) => run('Slow', [`s${i}`, String(Math.floor(Math.random() * 50))])),
        );
        for (const r of runs) {
            expect(r.payload).to.equal(r.txId);
            expect(r.sim.writes.size).to.equal(1);
        }
    });

    it("a transaction that outlives the timeout fails with Fabric's message", async () => {
        const impatient = new ChaincodeSupport([{ name: CC, address: `127.0.0.1:${port}` }], { executeTimeoutMs: 300 });
        impatient.start();
        try {
            expect(await impatient.waitReady(10000)).to.equal(true);
            let error: Error | undefined;
            await run('Slow', ['t', '1500'], { via: impatient }).catch((e: Error) => (error = e));
            expect(error?.message).to.equal('timeout expired while executing transaction');
        } finally {
            impatient.close();
        }
    });

    it('a server registering under another chaincode name is refused', async () => {
        const wrong = new ChaincodeSupport([{ name: 'citizencard', address: `127.0.0.1:${port}` }], { minBackoffMs: 5000 });
        wrong.start();
        try {
            expect(await wrong.waitReady(1500)).to.equal(false);
            expect(wrong.status()[0].lastError).to.be.a('string');
        } finally {
            wrong.close();
        }
    });

    it('an unknown chaincode is refused', async () => {
        const { sp, txId, proposal, input } = signedProposal({ signer: seoul.signer, chaincode: 'nope', args: ['x'] });
        let error: Error | undefined;
        await support
            .execute({
                chaincodeName: 'nope',
                txId,
                channelId: CHANNEL,
                signedProposal: sp,
                proposal,
                input,
                simulator: ledger.newTxSimulator(txId),
                isEvaluate: false,
            })
            .catch((e: Error) => (error = e));
        expect(error?.message).to.contain('no chaincode server is configured for chaincode nope');
    });

    it('when the chaincode server restarts, the peer reconnects and executes again', async () => {
        await stopChaincodeServer(server);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(support.isReady(CC)).to.equal(false);
        server = startChaincodeServer(port, `${CC}:1.0`);
        const { status } = await run('Put', ['after', 'restart']);
        expect(status).to.equal(200);
        expect(support.isReady(CC)).to.equal(true);
    });

    it('ChaincodeMessage types used by the handler exist in the protos', () => {
        expect(peer.ChaincodeMessage.Type.PURGE_PRIVATE_DATA).to.equal(23);
    });
});
