// The transient store: in memory, bounded in entries, expired by block height.
import { expect } from 'chai';
import { ledger } from '@hyperledger/fabric-protos';
import { TransientStore } from '../../../network/devnet/peer/ledger/transientstore';

const pvt = () => new ledger.rwset.TxPvtReadWriteSet();

describe('transient store', () => {
    it('Given candidates for a tx, Then all are kept until its block commits', () => {
        const t = new TransientStore({ maxBlockRetention: 10, maxEntries: 100 });
        t.persist('a', pvt(), 1);
        t.persist('a', pvt(), 1);
        t.persist('b', pvt(), 1);
        expect(t.get('a')).to.have.length(2);
        t.purgeAfterCommit(['a'], 2);
        expect(t.get('a')).to.deep.equal([]);
        expect(t.size).to.equal(1);
    });

    it('Given more entries than the bound, Then the oldest go first', () => {
        const t = new TransientStore({ maxBlockRetention: 10, maxEntries: 3 });
        for (const id of ['a', 'b', 'c', 'd']) t.persist(id, pvt(), 1);
        expect(t.size).to.equal(3);
        expect(t.get('a')).to.deep.equal([]);
        expect(t.get('d')).to.have.length(1);
    });

    it('Given entries older than the retention, Then a commit drops them', () => {
        const t = new TransientStore({ maxBlockRetention: 5, maxEntries: 100 });
        t.persist('old', pvt(), 1);
        t.persist('new', pvt(), 8);
        t.purgeAfterCommit([], 9);
        expect(t.get('old')).to.deep.equal([]);
        expect(t.get('new')).to.have.length(1);
    });
});
