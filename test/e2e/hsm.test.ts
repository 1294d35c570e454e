// Keys in an HSM: a department app whose private key is made in a PKCS#11 token (SoftHSM2, a token
// of its own in a temporary folder) and never written to disk; its CSR is signed in the token and
// enrolled at the org's CA (`gateway:admin create-app --hsm`), and a gateway configured with the
// token (GATEWAY_HSM_*) signs its proposals and transactions there through fabric-gateway's HSM
// signer, which every peer accepts. Without softhsm2 (or when pkcs11js cannot be built) the tests
// say they did not run.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect, hash } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import { provisionApp } from '../../gateway/admin';
import { hsmEnv, loadConfig } from '../../gateway/config';
import { hsmSignerFactory, mspDirOf } from '../../gateway/fabric/identities';
import { type RunningGateway, startGateway } from '../../gateway/server';
import { newPeerClient } from '../../network/client/connection';
import { type HsmConfig, requestInToken, tokenHoldsKey } from '../../network/client/hsm';
import { subjectKeyIdentifier } from '../../network/client/msp-folder';
import type { Topology } from '../../network/client/topology';
import { ensurePkcs11js } from '../../scripts/hsm-build';
import { notRun } from '../not-run';
import { NETWORK_LABEL, testNetwork } from './network';

const SOFTHSM_LIBRARY = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find((f) =>
    fs.existsSync(f),
);
const ORG = 'MOHWMSP';

describe(`keys in an HSM (SoftHSM2) on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    let dir: string;
    let hsm: HsmConfig;
    let gateway: RunningGateway | undefined;
    let apiKey: string;
    const name = `hsm-app-${Date.now().toString(36)}`;
    const previousConf = process.env.SOFTHSM2_CONF;

    before(async function () {
        if (!SOFTHSM_LIBRARY) notRun(this, 'softhsm2 is not installed (apt-get install -y softhsm2)');
        const built = ensurePkcs11js();
        if (!built.ok) notRun(this, built.reason);
        if (built.built) process.stdout.write(`      (built pkcs11js in ${built.ms} ms)\n`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softhsm-'));
        fs.mkdirSync(path.join(dir, 'tokens'));
        fs.writeFileSync(
            path.join(dir, 'softhsm2.conf'),
            `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`,
        );
        // The library reads its configuration when it is initialized, in this process (the gateway runs here).
        process.env.SOFTHSM2_CONF = path.join(dir, 'softhsm2.conf');
        hsm = { library: SOFTHSM_LIBRARY as string, label: 'citizencard-test', pin: '98765432' };
        execFileSync('softhsm2-util', ['--init-token', '--free', '--label', hsm.label, '--pin', hsm.pin, '--so-pin', '12345678'], {
            stdio: 'ignore',
        });
        t = (await testNetwork()).topology;
        const databaseFile = loadConfig({ org: ORG, topologyFile: t.file }).databaseFile;
        apiKey = (await provisionApp({ topology: t, databaseFile, mspId: ORG, name, role: 'department', dept: 'welfare', hsm })).apiKey;
    });
    after(async () => {
        await gateway?.stop();
        if (previousConf === undefined) delete process.env.SOFTHSM2_CONF;
        else process.env.SOFTHSM2_CONF = previousConf;
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('Given an app created with its key in the token, Then its MSP folder holds its certificate and no key, and the token holds the key under its SKI', () => {
        const msp = mspDirOf(t, ORG, name);
        expect(fs.readdirSync(path.join(msp, 'keystore'))).to.deep.equal([]);
        const cert = fs.readFileSync(path.join(msp, 'signcerts', fs.readdirSync(path.join(msp, 'signcerts'))[0]), 'utf8');
        expect(tokenHoldsKey(hsm, Buffer.from(subjectKeyIdentifier(cert), 'hex'))).to.equal(true);
        // Another key's SKI is not there.
        expect(tokenHoldsKey(hsm, Buffer.alloc(32, 7))).to.equal(false);
    });

    it('Before any signer logged in, refuses a wrong PIN (HSM_LOGIN_FAILED), an unknown token (HSM_TOKEN_NOT_FOUND), and a partial GATEWAY_HSM_* configuration', () => {
        expect(() => requestInToken({ ...hsm, pin: '00000000' }, 'CN=x')).to.throw(/^HSM_LOGIN_FAILED: /);
        expect(() => requestInToken({ ...hsm, label: 'no-such-token' }, 'CN=x')).to.throw(/^HSM_TOKEN_NOT_FOUND: /);
        expect(() => hsmEnv({ GATEWAY_HSM_LIBRARY: hsm.library })).to.throw(
            /GATEWAY_HSM_LIBRARY, GATEWAY_HSM_LABEL and GATEWAY_HSM_PIN go together/,
        );
        expect(() => hsmEnv({ GATEWAY_HSM_LIBRARY: '/nope.so', GATEWAY_HSM_LABEL: 'a', GATEWAY_HSM_PIN: 'b' })).to.throw(/not found/);
        expect(hsmEnv({})).to.equal(undefined);
    });

    it('Given a gateway with the token (GATEWAY_HSM_*), Then it serves the app, signing its proposals in the token; a transaction signed there commits VALID', async () => {
        const cfg = loadConfig(
            { org: ORG, topologyFile: t.file, port: 0 },
            { ...process.env, GATEWAY_HSM_LIBRARY: hsm.library, GATEWAY_HSM_LABEL: hsm.label, GATEWAY_HSM_PIN: hsm.pin, LOG_LEVEL: 'warn' },
        );
        gateway = await startGateway(cfg);
        const r = await fetch(`${gateway.url}/v1/services?ownerMspId=MOHWMSP&pageSize=5`, {
            headers: { Authorization: `Bearer ${apiKey}` },
        });
        expect(r.status, await r.text()).to.equal(200);

        // The same identity straight to the peer with fabric-gateway's HSM signer: endorsed, ordered and validated.
        const msp = mspDirOf(t, ORG, name);
        const cert = fs.readFileSync(path.join(msp, 'signcerts', fs.readdirSync(path.join(msp, 'signcerts'))[0]));
        const factory = hsmSignerFactory(hsm.library); // the gateway's, in this process
        const { signer, close } = factory.newSigner({
            label: hsm.label,
            pin: hsm.pin,
            identifier: Buffer.from(subjectKeyIdentifier(cert.toString()), 'hex'),
        });
        const client = newPeerClient(t, ORG);
        const connection = connect({ client, identity: { mspId: ORG, credentials: cert }, signer, hash: hash.sha256 });
        try {
            const contract = connection.getNetwork(t.channel).getContract('fixture');
            const status = await (await contract.submitAsync('Put', { arguments: [`hsm-${name}`, 'signed in the token'] })).getStatus();
            expect(status.successful, `validation code ${status.code}`).to.equal(true);
        } finally {
            connection.close();
            client.close();
            close();
        }
    });
});
