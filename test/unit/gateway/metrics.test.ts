// The gateway's own Prometheus registry: Node's default metrics without a timer that wakes an
// idle gateway 100 times a second.
import { expect } from 'chai';
import { EVENT_LOOP_SAMPLE_MS, createMetrics } from '../../../gateway/metrics';

// The module object itself (an ES namespace import is read-only): prom-client calls its monitorEventLoopDelay.
import perfHooks = require('node:perf_hooks');

describe('gateway metrics', () => {
    it("samples the event-loop delay every 100 ms, not prom-client's 10 ms, and still reports it", async () => {
        const original = perfHooks.monitorEventLoopDelay;
        const resolutions: (number | undefined)[] = [];
        perfHooks.monitorEventLoopDelay = (options) => {
            resolutions.push(options?.resolution);
            return original(options);
        };
        let metrics: ReturnType<typeof createMetrics>;
        try {
            metrics = createMetrics({ defaultMetrics: true });
        } finally {
            perfHooks.monitorEventLoopDelay = original;
        }
        expect(EVENT_LOOP_SAMPLE_MS).to.equal(100);
        expect(resolutions).to.deep.equal([100]);
        expect(await metrics.registry.metrics()).to.match(/^nodejs_eventloop_lag_p99_seconds /m);
    });
});
