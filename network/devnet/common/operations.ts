// The operations service of the orderer and the peers, as Fabric's (core/operations): GET /healthz
// answers 200 {"status":"OK"} when every registered check passes, else 503 with the failed checks
// ({"status":"Service Unavailable","failed_checks":[{"component","reason"}]}). Extra fields
// (the ledger height) help `network:status`; GET /ledger gives the height and state digest;
// GET /metrics the node's Prometheus metrics (its gRPC connections: network/devnet/common/metrics.ts).
import * as http from 'node:http';
import type { Registry } from 'prom-client';
import { Logger, silentLogger } from '../../client/logger';

/** A health check: resolves when healthy, throws (or rejects) with the reason otherwise. */
export type HealthCheck = () => void | Promise<void>;

export interface OperationsOptions {
    host: string;
    port: number;
    checks: Record<string, HealthCheck>;
    /** Extra fields of the /healthz body, e.g. { height }. */
    info?: () => Record<string, unknown>;
    /** GET /ledger (a devnet extension): the node's height and, for peers, its state digest. */
    ledger?: () => Promise<Record<string, unknown>>;
    logger?: Logger;
    /** GET /metrics (Prometheus text), as Fabric's operations service: the node's registry. */
    metrics?: Registry;
    /** Per check (a check that hangs counts as failed). */
    checkTimeoutMs?: number;
}

export interface HealthReport {
    ok: boolean;
    body: Record<string, unknown>;
}

export async function runChecks(checks: Record<string, HealthCheck>, timeoutMs = 2000): Promise<{ component: string; reason: string }[]> {
    const failed: { component: string; reason: string }[] = [];
    await Promise.all(
        Object.entries(checks).map(async ([component, check]) => {
            let timer: NodeJS.Timeout | undefined;
            try {
                await Promise.race([
                    Promise.resolve().then(check),
                    new Promise<never>((_, reject) => {
                        timer = setTimeout(() => reject(new Error(`check did not answer within ${timeoutMs} ms`)), timeoutMs);
                    }),
                ]);
            } catch (err) {
                failed.push({ component, reason: err instanceof Error ? err.message : String(err) });
            } finally {
                if (timer) clearTimeout(timer);
            }
        }),
    );
    return failed.sort((a, b) => a.component.localeCompare(b.component));
}

export async function healthReport(options: Pick<OperationsOptions, 'checks' | 'info' | 'checkTimeoutMs'>): Promise<HealthReport> {
    const failed = await runChecks(options.checks, options.checkTimeoutMs);
    const time = new Date().toISOString();
    const info = options.info?.() ?? {};
    if (failed.length === 0) return { ok: true, body: { status: 'OK', time, ...info } };
    return { ok: false, body: { status: 'Service Unavailable', time, failed_checks: failed, ...info } };
}

export class OperationsServer {
    readonly #server: http.Server;
    readonly #options: OperationsOptions;
    readonly #log: Logger;

    constructor(options: OperationsOptions) {
        this.#options = options;
        this.#log = (options.logger ?? silentLogger).child({ component: 'operations' });
        this.#server = http.createServer((req, res) => {
            void this.#handle(req, res);
        });
    }

    async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const send = (code: number, body: unknown) => {
            res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
            res.end(JSON.stringify(body));
        };
        const url = (req.url ?? '/').split('?')[0];
        const ledger = this.#options.ledger;
        const metrics = this.#options.metrics;
        if (url !== '/healthz' && !(url === '/ledger' && ledger) && !(url === '/metrics' && metrics))
            return send(404, { error: 'NOT_FOUND', message: `no route ${url}` });
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'METHOD_NOT_ALLOWED', message: 'use GET' });
        if (url === '/metrics' && metrics) {
            const text = await metrics.metrics();
            res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
            res.end(text);
            return;
        }
        if (url === '/ledger' && ledger) {
            try {
                return send(200, await ledger());
            } catch (err) {
                return send(503, { error: 'LEDGER_UNAVAILABLE', message: err instanceof Error ? err.message : String(err) });
            }
        }
        try {
            const report = await healthReport(this.#options);
            if (!report.ok) this.#log.warn('health check failed', { failed: report.body.failed_checks });
            send(report.ok ? 200 : 503, report.body);
        } catch (err) {
            send(503, { status: 'Service Unavailable', failed_checks: [{ component: 'operations', reason: String(err) }] });
        }
    }

    listen(): Promise<void> {
        return new Promise((resolve, reject) => {
            this.#server.once('error', reject);
            this.#server.listen(this.#options.port, this.#options.host, () => {
                this.#server.off('error', reject);
                resolve();
            });
        });
    }

    get port(): number {
        const a = this.#server.address();
        return typeof a === 'object' && a ? a.port : this.#options.port;
    }

    close(): Promise<void> {
        return new Promise((resolve) => {
            this.#server.close(() => resolve());
            this.#server.closeAllConnections();
        });
    }
}
