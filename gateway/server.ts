// Main of one org's gateway: `node dist/gateway/server.js --org SeoulMSP [--topology FILE] [--port N] [--db FILE]`.
// Reads the topology, opens the store (the SQLite file, or the PostgreSQL database replicas share
// when GATEWAY_DATABASE_URL is set) and one gRPC client to the org's peer, serves HTTP, and on
// SIGTERM/SIGINT stops accepting, lets in-flight requests finish, then closes Fabric and the store.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import { registerChaincodeCodes } from './errors';
import { assertConfigFiles, databaseOf, loadConfig, parseArgs, type GatewayConfig } from './config';
import { openStore } from './store/open';
import type { GatewayStore } from './store/store';
import { AppStore } from './auth/store';
import { FabricGatewayLayer, SERVICE_IDENTITY } from './fabric/client';
import { ClientRevocations } from './auth/revocation';
import type { FabricLayer } from './fabric/types';
import { createApp, type GatewayApp } from './http/app';
import { listen } from './http/listen';
import { IdempotencyStore } from './idempotency/store';
import { createLogger, type Logger } from '../network/client/logger';
import { paths } from '../network/client/topology';
import { createMetrics } from './metrics';
import { CHAINCODE_HTTP_STATUS } from './status-table';

/** How often the gateway reads its org's CRLs from the channel config (the bound for a revoked client certificate). */
export const CRL_REFRESH_MS = 10_000;

export interface RunningGateway {
    server: Server;
    gateway: GatewayApp;
    url: string;
    /** Graceful stop: refuse new requests, wait for in-flight ones (up to the grace period), close everything. */
    stop(): Promise<void>;
}

export async function startGateway(
    cfg: GatewayConfig,
    opts: { fabric?: FabricLayer; store?: GatewayStore; log?: Logger } = {},
): Promise<RunningGateway> {
    registerChaincodeCodes(CHAINCODE_HTTP_STATUS);
    const log = opts.log ?? createLogger({ node: paths.gatewayName(cfg.topology, cfg.mspId), mspId: cfg.mspId }, cfg.logLevel);
    const metrics = createMetrics({ defaultMetrics: true });
    const store = opts.store ?? (await openStore(databaseOf(cfg)));
    const fabric = opts.fabric ?? new FabricGatewayLayer(cfg, { metrics, log });
    const storeFailed = (what: string) => (err: Error) => log.warn(`${what} failed`, { store: store.where, error: err.message });
    const idempotency = new IdempotencyStore(store, {
        ttlMs: cfg.idempotencyTtlMs,
        leaseMs: cfg.replicaLeaseMs,
        onError: (what, err) => storeFailed(what)(err),
    });
    await idempotency.start(storeFailed('replica heartbeat'));
    await idempotency.sweep();
    const sweeper = setInterval(() => idempotency.sweep().catch(storeFailed('sweep')), 3600_000);
    sweeper.unref();
    // Client certificates are checked against the org's CRLs in the channel config, read again every CRL_REFRESH_MS.
    const revocations = cfg.tls ? new ClientRevocations() : undefined;
    const refreshCrls = async () => {
        if (!revocations) return;
        try {
            const before = revocations.size;
            await revocations.update(await fabric.orgRevocations(SERVICE_IDENTITY));
            if (revocations.size !== before) log.info("the org's CRLs changed", { revokedCertificates: revocations.size });
        } catch (err) {
            log.warn("reading the org's CRLs from the channel config failed", { error: (err as Error).message });
        }
    };
    await refreshCrls();
    const crlRefresher = setInterval(refreshCrls, CRL_REFRESH_MS);
    crlRefresher.unref();
    const gateway = createApp({
        revocations,
        mspId: cfg.mspId,
        fabric,
        apps: new AppStore(store),
        idempotency,
        store,
        log,
        metrics,
        bodyLimit: cfg.bodyLimit,
        limits: cfg.limits,
        orgs: cfg.topology.orgs.map((o) => o.mspId),
        issuer: cfg.issuer,
        trackerIdentity: cfg.trackerIdentity,
    });
    const server = await listen(gateway.app, {
        host: cfg.host,
        port: cfg.port,
        headersTimeoutMs: cfg.timeouts.headersMs,
        requestTimeoutMs: cfg.timeouts.requestMs,
        log,
        tls: cfg.tls && {
            cert: fs.readFileSync(cfg.tls.certPath),
            key: fs.readFileSync(cfg.tls.keyPath),
            clientCa: cfg.tls.clientCaPaths.map((f) => fs.readFileSync(f)),
        },
    });
    if (cfg.tls) {
        const served = new crypto.X509Certificate(fs.readFileSync(cfg.tls.certPath));
        metrics.certificateExpiry.set(
            { holder: served.subject.match(/CN=([^\n]+)/)?.[1] ?? 'gateway', use: 'tls', serial: served.serialNumber.toLowerCase() },
            Date.parse(served.validTo) / 1000,
        );
    }
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
    const url = `${cfg.tls ? 'https' : 'http'}://${cfg.host}:${port}`;
    let stopping: Promise<void> | undefined;
    const stop = () =>
        (stopping ??= (async () => {
            gateway.draining.value = true;
            log.info('stopping: no new requests, finishing in-flight ones', { inflight: gateway.inflight.count });
            const closed = new Promise<void>((resolve) => server.close(() => resolve()));
            server.closeIdleConnections();
            for (const s of gateway.streams.open) s.close();
            const deadline = Date.now() + cfg.shutdownGraceMs;
            while (gateway.inflight.count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
            server.closeAllConnections();
            await closed;
            clearInterval(sweeper);
            clearInterval(crlRefresher);
            await fabric.close();
            await idempotency.stop().catch(storeFailed('leaving the replicas'));
            await store.close();
            log.info('stopped');
        })());
    log.info('listening', { url, peer: cfg.peerEndpoint, channel: cfg.channel, chaincode: cfg.chaincode, store: store.where });
    return { server, gateway, url, stop };
}

async function main(): Promise<void> {
    const cfg = loadConfig(parseArgs(process.argv.slice(2)));
    assertConfigFiles(cfg);
    const running = await startGateway(cfg);
    // One line on stdout that scripts (npm start) can read.
    process.stdout.write(`gateway ${cfg.mspId} ${running.url}\n`);
    const onSignal = (signal: string) => {
        running.stop().then(
            () => process.exit(0),
            (err) => {
                process.stderr.write(`shutdown after ${signal} failed: ${(err as Error).message}\n`);
                process.exit(1);
            },
        );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
    });
}
