// The in-memory stub must behave like the peer, or the chaincode tests prove nothing.
import './quiet.js';
import { expect } from 'chai';
import { MemoryLedger, MemoryStub } from './memstub.js';
import { identities } from './harness.js';

describe('in-memory ChaincodeStub', () => {
    let ledger: MemoryLedger;
    let pem: string;
    const at = new Date('2026-06-01T00:00:00Z');

    before(async () => {
        pem = (await identities()).issuer.certPem;
    });
    beforeEach(() => {
        ledger = new MemoryLedger();
    });

    const stub = (mspId = 'SeoulMSP', peerMspId = 'SeoulMSP') =>
        new MemoryStub(ledger, { timestamp: at, mspId, certPem: pem, peerMspId, fcn: 'f', params: [] });

    it('does not read its own uncommitted writes; commits with history newest first; empty value deletes', async () => {
        const s = stub();
        await s.putState('k', Buffer.from('v1'));
        expect((await s.getState('k')).length).to.equal(0);
        ledger.commit(s);
        const s2 = stub();
        expect(Buffer.from(await s2.getState('k')).toString()).to.equal('v1');
        await s2.putState('k', Buffer.from('v2'));
        ledger.commit(s2);
        const s3 = stub();
        await s3.deleteState('k');
        ledger.commit(s3);
        const it = await stub().getHistoryForKey('k');
        const seen: string[] = [];
        for (let r = await it.next(); !r.done; r = await it.next())
            seen.push(r.value.isDelete ? '<del>' : Buffer.from(r.value.value).toString());
        expect(seen).to.deep.equal(['<del>', 'v2', 'v1']);
        const s4 = stub();
        await s4.putState('e', Buffer.alloc(0));
        expect(s4.writes.get('e')).to.equal(null);
        let err: unknown;
        try {
            await s4.getState('');
        } catch (e) {
            err = e;
        }
        expect(String(err)).to.match(/empty string/);
    });

    it('paginates with Fabric bookmarks and refuses writes after a paginated query, and paginated queries after writes', async () => {
        const s = stub();
        for (const k of ['a', 'b', 'c', 'd', 'e']) await s.putState(s.createCompositeKey('t', [k]), Buffer.from(k));
        ledger.commit(s);
        const q = stub();
        const p1 = await q.getStateByPartialCompositeKeyWithPagination('t', [], 2, '');
        expect(p1.metadata).to.deep.equal({ fetchedRecordsCount: 2, bookmark: q.createCompositeKey('t', ['c']) });
        const p3 = await q.getStateByPartialCompositeKeyWithPagination('t', [], 2, q.createCompositeKey('t', ['e']));
        expect(p3.metadata).to.deep.equal({ fetchedRecordsCount: 1, bookmark: '' });
        let err: unknown;
        try {
            await q.putState('x', Buffer.from('1'));
        } catch (e) {
            err = e;
        }
        expect(String(err)).to.match(/paginated query. Writes are not allowed/);
        const w = stub();
        await w.putState('x', Buffer.from('1'));
        err = undefined;
        try {
            await w.getStateByRangeWithPagination('a', 'z', 1, '');
        } catch (e) {
            err = e;
        }
        expect(String(err)).to.match(/supported only in a read-only transaction/);
        const r = stub();
        const kvs: string[] = [];
        for await (const kv of r.getStateByPartialCompositeKey('t', [])) kvs.push(Buffer.from(kv.value).toString());
        expect(kvs).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
        expect(() => r.getStateByRange('\u0000t', '')).to.throw(/null character/);
        expect(() => r.getQueryResult()).to.throw(/not supported for leveldb/);
    });

    it('keeps private values on member peers only, hashes everywhere, and enforces memberOnlyWrite', async () => {
        const s = stub();
        await s.putPrivateData('personalData', 'r', Buffer.from('secret'));
        ledger.commit(s);
        expect(Buffer.from(await stub().getPrivateData('personalData', 'r')).toString()).to.equal('secret');
        expect((await stub('MOHWMSP', 'MOHWMSP').getPrivateData('personalData', 'r')).length).to.equal(0);
        expect((await stub('MOHWMSP', 'MOHWMSP').getPrivateDataHash('personalData', 'r')).length).to.equal(32);
        let err: unknown;
        try {
            await stub('MOHWMSP', 'SeoulMSP').putPrivateData('personalData', 'r', Buffer.from('x'));
        } catch (e) {
            err = e;
        }
        expect(String(err)).to.match(/does not have write access/);
        err = undefined;
        try {
            await stub().getPrivateData('nope', 'r');
        } catch (e) {
            err = e;
        }
        expect(String(err)).to.match(/collection nope not found/);
        const d = stub();
        await d.deletePrivateData('personalData', 'r');
        ledger.commit(d);
        expect((await stub().getPrivateDataHash('personalData', 'r')).length).to.equal(0);
    });

    it('exposes the proposal: args, tx id, channel, creator, time, transient', () => {
        const s = stub();
        expect(s.getArgs()).to.deep.equal(['f']);
        expect(s.getStringArgs()).to.deep.equal(['f']);
        expect(s.getTxID()).to.match(/^[0-9a-f]{64}$/);
        expect(s.getChannelID()).to.equal('citizencards');
        expect(s.getCreator().mspid).to.equal('SeoulMSP');
        expect(s.getTxTimestamp().seconds.toNumber()).to.equal(at.getTime() / 1000);
        expect(s.getTransient().size).to.equal(0);
        expect(s.getSignedProposal()).to.equal(undefined);
        expect(s.getBinding()).to.equal('');
        expect(() => s.setEvent('', Buffer.alloc(0))).to.throw();
        expect(() => s.getQueryResultWithPagination()).to.throw();
    });
});
