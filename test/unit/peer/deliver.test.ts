import { expect } from 'chai';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { privateDataFor, toFilteredBlock } from '../../../network/devnet/peer/deliver';
import { VerifiedIdentity } from '../../../network/devnet/msp/msp';
import { PeerLedger } from '../../../network/devnet/peer/ledger/types';
import { healthReport } from '../../../network/devnet/common/operations';
import { block, citizencard } from './fakes';

function identity(mspId: string): VerifiedIdentity {
    return { mspId, certificatePem: '', role: 'client', subject: `CN=u,O=${mspId}`, attrs: {} };
}

function pvt(collections: string[]): ledger.rwset.TxPvtReadWriteSet {
    const ns = new ledger.rwset.NsPvtReadWriteSet();
    ns.setNamespace('citizencard');
    ns.setCollectionPvtRwsetList(
        collections.map((name) => {
            const c = new ledger.rwset.CollectionPvtReadWriteSet();
            c.setCollectionName(name);
            c.setRwset(Buffer.from(`secret of ${name}`));
            return c;
        }),
    );
    const tx = new ledger.rwset.TxPvtReadWriteSet();
    tx.setNsPvtRwsetList([ns]);
    return tx;
}

describe('peer Deliver', () => {
    it('filters a block down to ids, types, validation codes and event names (no event payload)', () => {
        const fb = toFilteredBlock(
            block(4, [
                { txId: 'a', event: { name: 'Issued', payload: 'personal?' } },
                { txId: 'b', code: peer.TxValidationCode.MVCC_READ_CONFLICT },
            ]),
        );
        expect(fb.getNumber()).to.equal(4);
        expect(fb.getChannelId()).to.equal('citizencards');
        const txs = fb.getFilteredTransactionsList();
        expect(txs.map((t) => [t.getTxid(), t.getType(), t.getTxValidationCode()])).to.deep.equal([
            ['a', common.HeaderType.ENDORSER_TRANSACTION, peer.TxValidationCode.VALID],
            ['b', common.HeaderType.ENDORSER_TRANSACTION, peer.TxValidationCode.MVCC_READ_CONFLICT],
        ]);
        const ev = txs[0].getTransactionActions()!.getChaincodeActionsList()[0].getChaincodeEvent()!;
        expect([ev.getChaincodeId(), ev.getEventName(), ev.getTxId()]).to.deep.equal(['citizencard', 'Issued', 'a']);
        expect(ev.getPayload_asU8()).to.have.length(0);
        expect(txs[1].getTransactionActions()!.getChaincodeActionsList()).to.have.length(0);
    });

    it('gives private data only of collections the requester is a member of', async () => {
        const fakeLedger = {
            privateDataForBlock: async () =>
                new Map([
                    [0, pvt(['personalData', 'sharedNoPolicy'])],
                    [2, pvt(['personalData'])],
                ]),
            chaincodeDefinition: async (n: string) => (n === 'citizencard' ? citizencard : undefined),
        } as unknown as PeerLedger;
        const deps = {
            ledger: fakeLedger,
            collectionAllows: (c: { policy: string }, id: VerifiedIdentity) => c.policy.includes(`'${id.mspId}.`),
        };
        const seoul = await privateDataFor(deps, 1, identity('SeoulMSP'));
        expect([...seoul.keys()]).to.deep.equal([0, 2]);
        const mohw = await privateDataFor(deps, 1, identity('MOHWMSP'));
        expect([...mohw.keys()]).to.deep.equal([0]);
        expect(
            mohw
                .get(0)!
                .getNsPvtRwsetList()[0]
                .getCollectionPvtRwsetList()
                .map((c) => c.getCollectionName()),
        ).to.deep.equal(['sharedNoPolicy']);
        expect((await privateDataFor(deps, 1, identity('AuditMSP'))).size).to.equal(0);
    });
});

describe('peer operations /healthz', () => {
    it('answers OK with extra fields, or the failed checks', async () => {
        const ok = await healthReport({ checks: { orderer: () => undefined }, info: () => ({ height: 3 }) });
        expect(ok.ok).to.equal(true);
        expect(ok.body).to.include({ status: 'OK', height: 3 });
        const bad = await healthReport({
            checks: {
                orderer: () => {
                    throw new Error('not connected');
                },
                chaincode: async () => undefined,
                slow: () => new Promise(() => undefined),
            },
            checkTimeoutMs: 50,
        });
        expect(bad.ok).to.equal(false);
        expect(bad.body.status).to.equal('Service Unavailable');
        expect(bad.body.failed_checks).to.deep.equal([
            { component: 'orderer', reason: 'not connected' },
            { component: 'slow', reason: 'check did not answer within 50 ms' },
        ]);
    });
});
