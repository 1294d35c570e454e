// The block cutter: cuts by message count and preferred size; an oversized message goes alone.
import { expect } from 'chai';
import { BlockCutter } from '../../../network/devnet/orderer/blockcutter';

describe('BlockCutter (orderer/common/blockcutter)', () => {
    it('keeps messages pending below the limits', () => {
        const cutter = new BlockCutter<string>({ maxMessageCount: 3, preferredMaxBytes: 100 });
        expect(cutter.ordered('a', 10)).to.deep.equal({ batches: [], pending: true });
        expect(cutter.ordered('b', 10)).to.deep.equal({ batches: [], pending: true });
        expect(cutter.pendingCount).to.equal(2);
    });

    it('cuts when maxMessageCount is reached', () => {
        const cutter = new BlockCutter<string>({ maxMessageCount: 2, preferredMaxBytes: 100 });
        cutter.ordered('a', 1);
        expect(cutter.ordered('b', 1)).to.deep.equal({ batches: [['a', 'b']], pending: false });
    });

    it('cuts the pending batch before a message that would overflow preferredMaxBytes', () => {
        const cutter = new BlockCutter<string>({ maxMessageCount: 10, preferredMaxBytes: 100 });
        cutter.ordered('a', 60);
        expect(cutter.ordered('b', 50)).to.deep.equal({ batches: [['a']], pending: true });
        expect(cutter.cut()).to.deep.equal(['b']);
    });

    it('puts a message larger than preferredMaxBytes alone in its own batch, after the pending ones', () => {
        const cutter = new BlockCutter<string>({ maxMessageCount: 10, preferredMaxBytes: 100 });
        cutter.ordered('a', 10);
        expect(cutter.ordered('big', 150)).to.deep.equal({ batches: [['a'], ['big']], pending: false });
        expect(cutter.ordered('big2', 150)).to.deep.equal({ batches: [['big2']], pending: false });
    });

    it('with maxMessageCount 1 every message is its own batch', () => {
        const cutter = new BlockCutter<number>({ maxMessageCount: 1, preferredMaxBytes: 100 });
        expect(cutter.ordered(1, 5).batches).to.deep.equal([[1]]);
        expect(cutter.ordered(2, 5).batches).to.deep.equal([[2]]);
    });

    it('cut() on an empty cutter returns an empty batch; bad settings are refused', () => {
        expect(new BlockCutter<string>({ maxMessageCount: 1, preferredMaxBytes: 1 }).cut()).to.deep.equal([]);
        expect(() => new BlockCutter<string>({ maxMessageCount: 0, preferredMaxBytes: 1 })).to.throw(RangeError);
    });
});
