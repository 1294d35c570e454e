// Prometheus metrics of one gateway process: HTTP requests by route and status, their latency,
// and the time spent in each phase of a Fabric call. One registry per app so tests stay isolated.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type FabricPhase = 'evaluate' | 'endorse' | 'submit' | 'commit';

export interface Metrics {
    registry: Registry;
    httpRequests: Counter<'method' | 'route' | 'status'>;
    httpDuration: Histogram<'method' | 'route' | 'status'>;
    fabricDuration: Histogram<'phase' | 'outcome'>;
    fabricRetries: Counter<'reason'>;
    /** When each certificate the gateway uses expires (Unix seconds): its apps' identities, its HTTPS certificate. */
    certificateExpiry: Gauge<'holder' | 'use' | 'serial'>;
    observeFabric(phase: FabricPhase, seconds: number, ok: boolean): void;
}

/** The period of the event-loop delay histogram's timer (nodejs_eventloop_lag_*). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
    const registry = new Registry();
    // The event-loop delay histogram samples with a timer of this period: prom-client's 10 ms woke
    // an idle gateway 100 times a second (docs/benchmarks.md, "One client"); at 100 ms a stall of
    // 100 ms or more is still always seen.
    if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    const httpRequests = new Counter({
        name: 'gateway_http_requests_total',
        help: 'HTTP requests by route template and status code',
        labelNames: ['method', 'route', 'status'] as const,
        registers: [registry],
    });
    const httpDuration = new Histogram({
        name: 'gateway_http_request_duration_seconds',
        help: 'HTTP request latency by route template and status code',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
    });
    const fabricDuration = new Histogram({
        name: 'gateway_fabric_call_duration_seconds',
        help: 'Time spent in Fabric calls by phase (evaluate, endorse, submit, commit)',
        labelNames: ['phase', 'outcome'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
    });
    const fabricRetries = new Counter({
        name: 'gateway_fabric_retries_total',
        help: 'Fabric retries by reason (conflict: new proposal; submit: same signed transaction; commit_status: re-query)',
        labelNames: ['reason'] as const,
        registers: [registry],
    });
    const certificateExpiry = new Gauge({
        name: 'gateway_certificate_expiry_timestamp_seconds',
        help: 'When each certificate the gateway signs or serves with expires (Unix time): the identities it has loaded (use enrollment), its HTTPS certificate (use tls), by serial number',
        labelNames: ['holder', 'use', 'serial'] as const,
        registers: [registry],
    });
    return {
        registry,
        certificateExpiry,
        httpRequests,
        httpDuration,
        fabricDuration,
        fabricRetries,
        observeFabric(phase, seconds, ok) {
            fabricDuration.observe({ phase, outcome: ok ? 'ok' : 'error' }, seconds);
        },
    };
}
