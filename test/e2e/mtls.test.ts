// Mutual TLS on the test network: a department app authenticates with the enrollment certificate its
// org's CA issued (no API key), and the chaincode sees that app's identity (its dept decides what
// it reads). A gateway with HTTPS runs in this process beside the network's own.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../gateway/config';
import { ensureApp } from '../../scripts/demo';
import { mspDirOf } from '../../gateway/fabric/identities';
import { CRL_REFRESH_MS, type RunningGateway, startGateway } from '../../gateway/server';
import { paths, type Topology } from '../../network/client/topology';
import { withDeadline } from '../deadline';
import { networkCommand } from './helpers';
import { NETWORK_LABEL, testNetwork } from './network';

/** The one file of an MSP subfolder (signcerts/, keystore/), whatever its name. */
function onlyFile(dir: string): Buffer {
    const files = fs.readdirSync(dir).sort();
    if (files.length === 0) throw new Error(`nothing in ${dir}`);
    return fs.readFileSync(path.join(dir, files[0]));
}

describe(`mutual TLS at a gateway on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    let gateway: RunningGateway;
    let port: number;
    const welfare: { name: string; cert?: Buffer; key?: Buffer } = { name: 'e2e-mtls-welfare' };

    before(async () => {
        t = (await testNetwork()).topology;
        await ensureApp(t, 'MOHWMSP', welfare.name, { role: 'department', dept: 'welfare' });
        const msp = mspDirOf(t, 'MOHWMSP', welfare.name);
        welfare.cert = onlyFile(path.join(msp, 'signcerts'));
        welfare.key = onlyFile(path.join(msp, 'keystore'));
        // The peer's TLS pair serves here (its SANs hold 127.0.0.1); clients trust the org's TLS CA.
        const tls = path.join(paths.peerDir(t, 'MOHWMSP'), 'tls');
        const cfg = loadConfig(
            { org: 'MOHWMSP', topologyFile: t.file, port: 0 },
            {
                ...process.env,
                GATEWAY_TLS_CERT: path.join(tls, 'server.crt'),
                GATEWAY_TLS_KEY: path.join(tls, 'server.key'),
                LOG_LEVEL: 'warn',
            },
        );
        gateway = await startGateway(cfg);
        port = Number(new URL(gateway.url).port);
        expect(gateway.url).to.match(/^https:/);
    });
    after(async () => gateway?.stop());

    const get = (url: string, client?: { cert?: Buffer; key?: Buffer }) => {
        let request: ReturnType<typeof https.get> | undefined;
        const answered = new Promise<{ status: number; body: { code?: string } }>((resolve, reject) => {
            request = https
                .get(
                    { host: '127.0.0.1', port, path: url, ca: fs.readFileSync(paths.tlsRootCert(t, 'MOHWMSP')), ...client, agent: false },
                    (res) => {
                        let text = '';
                        res.on('data', (d) => (text += d));
                        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
                    },
                )
                .on('error', reject);
        });
        return withDeadline(`the gateway's answer to GET ${url}`, 30_000, answered, () => request?.destroy());
    };
    const window = `from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`;

    it("Given the app's enrollment certificate from MOHW's CA and no API key, Then it reads as that app: its own dept yes, another dept 403", async () => {
        expect((await get(`/v1/audit/access?mspId=MOHWMSP&dept=welfare&${window}`, welfare)).status).to.equal(200);
        const other = await get(`/v1/audit/access?mspId=MOHWMSP&dept=pension&${window}`, welfare);
        expect(other.status).to.equal(403);
        expect(other.body.code, 'refused by the chaincode from the certificate dept').to.equal('UNAUTHORIZED_DEPT');
    });

    it("Given an app's certificate revoked by network:revoke, Then within the gateway's CRL refresh its certificate is refused before any Fabric call (401, naming the CRL; the peers refuse it meanwhile) while another app's works", async () => {
        const name = `e2e-mtls-revoked-${Date.now().toString(36)}`;
        await ensureApp(t, 'MOHWMSP', name, { role: 'department', dept: 'welfare' });
        const msp = mspDirOf(t, 'MOHWMSP', name);
        const revoked = { cert: onlyFile(path.join(msp, 'signcerts')), key: onlyFile(path.join(msp, 'keystore')) };
        expect((await get('/v1/services', revoked)).status).to.equal(200);
        await networkCommand(t, 'revoke', '--org', 'MOHWMSP', '--name', name);
        const applied = Date.now();
        let answer = await get('/v1/services', revoked);
        while (answer.status !== 401 && Date.now() - applied < CRL_REFRESH_MS + 10_000) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            answer = await get('/v1/services', revoked);
        }
        process.stdout.write(`      (refused at the gateway's HTTPS port ${Date.now() - applied} ms after every peer had the CRL)\n`);
        expect(answer.status).to.equal(401);
        expect((answer.body as { detail?: string }).detail).to.equal(
            "the client certificate is revoked: MOHWMSP's CRL in the channel config lists it",
        );
        expect((await get(`/v1/audit/access?mspId=MOHWMSP&dept=welfare&${window}`, welfare)).status).to.equal(200);
    });

    it("Given a certificate of another org's CA, or none and no key, Then 401", async () => {
        const seoulUser = path.join(paths.userDir(t, 'SeoulMSP', 'User1'), 'msp');
        const foreign = { cert: onlyFile(path.join(seoulUser, 'signcerts')), key: onlyFile(path.join(seoulUser, 'keystore')) };
        expect((await get('/v1/services', foreign)).status).to.equal(401);
        expect((await get('/v1/services')).status).to.equal(401);
    });
});
