// A devnet CA server in this process for the CA tests: the MOHW org's CA key (from the msp
// fixture's generated crypto), a fresh database, HTTPS on a free port, and the shared client.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from '../../../network/devnet/ca/registry';
import { CaService, createCaServer, type CaServer } from '../../../network/devnet/ca/server';
import { silentLogger } from '../../../network/client/logger';
import { caFiles, loadCa, orgInfo } from '../../../network/devnet/msp/ca';
import { type CaCredential, FabricCaClient, FabricCaError } from '../../../network/client/fabric-ca-client';
import { paths, type Topology } from '../../../network/client/topology';
import { withDeadline } from '../../deadline';
import { mspFixture } from '../msp/fixture';

export const ORG = 'MOHWMSP';
export const REGISTRAR_SECRET = 'registrar-secret';

export interface CaFixture {
    topology: Topology;
    server: CaServer;
    registry: Registry;
    dbFile: string;
    client: FabricCaClient;
    tlsRoot: Buffer;
    /** The bootstrap registrar, enrolled. */
    admin: CaCredential;
    close(): Promise<void>;
}

/** A CA server on a fresh database (or on `dbFile`, to test restarts). */
export async function startCa(
    dbFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ca-test-')), 'fabric-ca-server.db'),
    maxEnrollments = -1,
): Promise<CaFixture> {
    const { topology } = await mspFixture();
    const ca = await loadCa(caFiles(orgInfo(topology, ORG)));
    const registry = new Registry(dbFile);
    const service = new CaService({ caName: '', ca, registry, maxEnrollments, passwordAttempts: 10, logger: silentLogger });
    service.bootstrap('admin', REGISTRAR_SECRET);
    const tlsDir = paths.caTlsDir(topology, ORG);
    const server = createCaServer(
        service,
        { cert: fs.readFileSync(path.join(tlsDir, 'server.crt')), key: fs.readFileSync(path.join(tlsDir, 'server.key')) },
        silentLogger,
    );
    const port = await server.listen(0, '127.0.0.1');
    const tlsRoot = fs.readFileSync(paths.caTlsRootCert(topology, ORG));
    const client = new FabricCaClient({ url: `https://127.0.0.1:${port}`, tlsRootCertPem: tlsRoot });
    const admin = await client.enroll({ enrollmentId: 'admin', secret: REGISTRAR_SECRET });
    return {
        topology,
        server,
        registry,
        dbFile,
        client,
        tlsRoot,
        admin,
        close: async () => {
            await server.close();
            registry.close();
        },
    };
}

/** Fabric CA's response envelope, as the tests read it. */
export interface CaEnvelope {
    result: { CAChain?: string; [k: string]: unknown } | string | null;
    errors: { code: number; message: string }[];
    messages: unknown[];
    success: boolean;
}

/** A raw HTTPS request to the CA: status, headers and the body text exactly as sent. */
export function rawRequest(
    f: CaFixture,
    method: string,
    uri: string,
    body?: string,
    headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: CaEnvelope }> {
    let req: ReturnType<typeof https.request> | undefined;
    const answered = new Promise<{ status: number; text: string; json: CaEnvelope }>((resolve, reject) => {
        const port = (f.server.server.address() as { port: number }).port;
        req = https.request({ host: '127.0.0.1', port, method, path: uri, headers, ca: f.tlsRoot }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json: CaEnvelope;
                try {
                    json = JSON.parse(text) as CaEnvelope;
                } catch {
                    json = { result: null, errors: [], messages: [], success: false };
                }
                resolve({ status: res.statusCode ?? 0, text, json });
            });
        });
        req.on('error', reject);
        req.end(body);
    });
    return withDeadline(`the CA's answer to ${method} ${uri}`, 15_000, answered, () => req?.destroy());
}

/** The FabricCaError a promise rejects with (fails when it resolves). */
export async function refusal(p: Promise<unknown>): Promise<FabricCaError> {
    try {
        await p;
    } catch (e) {
        if (e instanceof FabricCaError) return e;
        throw e;
    }
    throw new Error('expected Fabric CA to refuse the request');
}
