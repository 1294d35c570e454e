// A sample suite for not-run.test.ts (not a test itself: the name does not end in .test.ts).
import { notRun, onlyOn } from '../../not-run';

describe('sample', () => {
    it('runs', () => undefined);
    it('cannot run here', function () {
        notRun(this, 'reason A');
    });
    describe('a Fabric-only suite', () => {
        before(function () {
            onlyOn(this, 'fabric', 'reason B');
        });
        it('first', () => undefined);
        it('second', () => undefined);
    });
});
