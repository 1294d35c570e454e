// A devnet CA process: `node dist/network/devnet/ca/main.js --org <MSP> [--topology FILE]`, as
// `fabric-ca-server start -b admin:<secret>` for one org (or the ordering org). It signs with the
// org's CA key (ca/priv_sk), answers Fabric CA's REST API over TLS on the topology's CA port
// (certificate in ca/tls/), keeps its identities and certificates in ca/fabric-ca-server.db, and
// serves GET /healthz on the CA's operations port. The bootstrap registrar's secret is created on
// first start in ca/registrar.secret (mode 0600) and never printed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OperationsServer } from '../common/operations';
import { caFiles, loadCa, orgInfo } from '../msp/ca';
import { createLogger } from '../../client/logger';
import { CA_REGISTRAR_ID, caOf, loadTopology, paths } from '../../client/topology';
import { Registry } from './registry';
import { CaService, createCaServer } from './server';

const USAGE = 'usage: node dist/network/devnet/ca/main.js --org <MSP id> [--topology FILE]';

function parseArgs(argv: string[]): { org?: string; topology?: string } {
    const out: { org?: string; topology?: string } = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--help' || a === '-h') {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (a === '--org' || a === '--topology') {
            const v = argv[++i];
            if (!v) throw new Error(`USAGE: ${a} needs a value`);
            out[a.slice(2) as 'org' | 'topology'] = v;
        } else {
            throw new Error(`USAGE: unknown argument ${a}\n${USAGE}`);
        }
    }
    if (!out.org) throw new Error(`USAGE: --org is required\n${USAGE}`);
    return out;
}

/** The bootstrap registrar's secret: read, or created once with mode 0600. */
export function registrarSecret(file: string): string {
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        try {
            fs.writeFileSync(file, `${crypto.randomBytes(18).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
    }
    return fs.readFileSync(file, 'utf8').trim();
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const t = loadTopology(args.topology);
    const mspId = args.org as string;
    const endpoint = caOf(t, mspId);
    const logger = createLogger({ node: `ca.${orgInfo(t, mspId).domain}` });
    const ca = await loadCa(caFiles(orgInfo(t, mspId)));
    const registry = new Registry(path.join(paths.caDir(t, mspId), 'fabric-ca-server.db'));
    const service = new CaService({ caName: '', ca, registry, maxEnrollments: -1, passwordAttempts: 10, logger });
    service.bootstrap(CA_REGISTRAR_ID, registrarSecret(paths.caRegistrarSecret(t, mspId)));
    const tlsDir = paths.caTlsDir(t, mspId);
    const server = createCaServer(
        service,
        { cert: fs.readFileSync(path.join(tlsDir, 'server.crt')), key: fs.readFileSync(path.join(tlsDir, 'server.key')) },
        logger,
    );
    await server.listen(endpoint.port, endpoint.host).catch((e: Error) => {
        throw new Error(`PORT_IN_USE: CA ${endpoint.host}:${endpoint.port}: ${e.message}`);
    });
    let stopping = false;
    const operations = new OperationsServer({
        host: endpoint.host,
        port: endpoint.operationsPort,
        logger,
        checks: {
            ca: () => {
                if (stopping) throw new Error('shutting down');
            },
        },
    });
    await operations.listen().catch((e: Error) => {
        throw new Error(`PORT_IN_USE: CA operations ${endpoint.host}:${endpoint.operationsPort}: ${e.message}`);
    });
    logger.info('ca_started', {
        org: mspId,
        address: `${endpoint.host}:${endpoint.port}`,
        operations: `${endpoint.host}:${endpoint.operationsPort}`,
    });
    const shutdown = async (reason: string) => {
        if (stopping) return;
        stopping = true;
        logger.info('ca_stopping', { reason });
        await server.close();
        await operations.close();
        registry.close();
        process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (require.main === module) {
    main().catch((err: Error) => {
        createLogger({ node: 'ca' }).error('ca_failed', { reason: err.message });
        process.exit(1);
    });
}
