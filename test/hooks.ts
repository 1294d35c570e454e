// Root hooks for the whole mocha run: the end-to-end devnet is started lazily by the first test
// that needs it and stopped once after the last test.
import './protos-guard';
import { stopTestNetwork } from './e2e/network';

export const mochaHooks = {
    async afterAll(this: Mocha.Context) {
        this.timeout(60_000);
        await stopTestNetwork();
    },
};
