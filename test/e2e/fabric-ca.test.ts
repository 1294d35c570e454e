// The test network's CAs (the devnet's, or real Fabric CA servers) through Fabric CA's protocol: each answers cainfo with its org's CA; the
// product's gateway:admin registers and enrolls an app's identity there and revokes it on
// disable-app; Fabric's own fabric-ca-client (when FABRIC_BIN or PATH has it) enrolls, registers
// with ecert attributes, reenrolls, lists and revokes, and the peers accept what it wrote.
import type { ExecFileOptions } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { disableApp, provisionApp } from '../../gateway/admin';
import { loadConfig } from '../../gateway/config';
import { findFabricTool } from '../../network/fabric/binaries';
import { caClient, registrar } from '../../network/client/ca-identities';
import { FabricCaError } from '../../network/client/fabric-ca-client';
import { pemsIn, readMspIdentity } from '../../network/client/msp-folder';
import { caOf, findOrg, gatewayOf, paths, REPO_ROOT, type Topology } from '../../network/client/topology';
import { execFileWithin } from '../deadline';
import { notRun } from '../not-run';
import { driver, NETWORK, NETWORK_LABEL, testNetwork } from './network';

/** A command of the test (fabric-ca-client, the devnet's), killed and failed with TIMEOUT after 2 minutes. */
const run = (file: string, args: string[], options: ExecFileOptions = {}) => execFileWithin(120_000, file, args, options);

async function restCall(t: Topology, mspId: string, apiKey: string, uri: string): Promise<number> {
    const g = gatewayOf(findOrg(t, mspId));
    const r = await fetch(`http://${g.host}:${g.port}${uri}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    await r.text();
    return r.status;
}

describe(`Fabric CA on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    const suffix = Date.now().toString(36);

    before(async () => {
        t = (await testNetwork()).topology;
    });

    it('Given each org, Then its CA is healthy (operations /healthz) and answers cainfo with the root of the org’s MSP', async () => {
        for (const mspId of t.orgs.map((o) => o.mspId)) {
            const ca = caOf(t, mspId);
            expect((await fetch(`http://${ca.host}:${ca.operationsPort}/healthz`)).status, mspId).to.equal(200);
            const info = await caClient(t, mspId).getCaInfo();
            // The channel trusts what the org's verifying MSP holds: the CA must serve that root.
            expect(info.caChainPem.trim(), mspId).to.equal(pemsIn(path.join(paths.orgMsp(t, mspId), 'cacerts'))[0]?.trim());
        }
        const secretFile = paths.caRegistrarSecret(t, 'SeoulMSP');
        expect(fs.statSync(secretFile).mode & 0o777).to.equal(0o600);
    });

    it('Given create-app, Then the app identity comes from the CA and calls the REST API; after disable-app its key and its certificate are refused', async () => {
        const mspId = 'MOHWMSP';
        const name = `ca-app-${suffix}`;
        const databaseFile = loadConfig({ org: mspId, topologyFile: t.file }).databaseFile;
        const { apiKey, enrolled } = await provisionApp({ topology: t, databaseFile, mspId, name, role: 'department', dept: 'welfare' });
        expect(enrolled).to.equal(true);
        const client = caClient(t, mspId);
        const admin = await registrar(t, mspId, client);
        const registered = await client.getIdentity(admin, name);
        expect(registered.attrs).to.deep.include.members([
            { name: 'role', value: 'department', ecert: true },
            { name: 'dept', value: 'welfare', ecert: true },
        ]);
        const identity = readMspIdentity(path.join(paths.userDir(t, mspId, name), 'msp'));
        expect(new crypto.X509Certificate(identity.certificatePem).subject).to.contain(`CN=${name}`);

        expect(await restCall(t, mspId, apiKey, '/v1/services?ownerMspId=MOHWMSP&pageSize=5')).to.equal(200);

        const r = await disableApp(t, databaseFile, name, { fabric: NETWORK === 'fabric' });
        expect(r).to.deep.include({ identity: name, registered: true, revoked: 1 });
        expect(await restCall(t, mspId, apiKey, '/v1/services?ownerMspId=MOHWMSP&pageSize=5')).to.equal(401);
        // The CA refuses the revoked certificate and lists it in its CRL.
        const err = await client.reenroll(identity).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(FabricCaError);
        expect([(err as FabricCaError).status, (err as FabricCaError).caCode]).to.deep.equal([401, 20]);
        const serial = new crypto.X509Certificate(identity.certificatePem).serialNumber;
        const crl = await client.generateCrl(admin);
        const { X509Crl } = await import('@peculiar/x509');
        expect(new X509Crl(crl).entries.map((e) => e.serialNumber.toUpperCase().replace(/^0+/, ''))).to.include(serial.replace(/^0+/, ''));
    });

    it('Given `network:enroll`, Then the identity is registered and enrolled at its CA with its attributes; a second run refuses with IDENTITY_EXISTS', async () => {
        const name = `enrolled-${suffix}`;
        const cli = (...args: string[]) => {
            const env = { ...process.env };
            delete env.DEVNET_STATE_DIR; // the topology file names its state folder
            return run(
                process.execPath,
                [path.join(t.root, 'dist', 'network', 'commands', 'cli.js'), ...args, '--topology', t.file, ...driver().cliArgs],
                { env },
            );
        };
        const first = await cli('enroll', '--org', 'AuditMSP', '--name', name, '--attr', 'role=auditor');
        expect(first.stdout).to.contain(`registered and enrolled ${name} of AuditMSP at its CA`);
        const cert = new crypto.X509Certificate(readMspIdentity(path.join(paths.userDir(t, 'AuditMSP', name), 'msp')).certificatePem);
        expect(cert.subject).to.contain('OU=client');
        const { X509Certificate } = await import('@peculiar/x509');
        const ext = new X509Certificate(cert.raw).getExtension('1.2.3.4.5.6.7.8.1');
        expect(JSON.parse(Buffer.from(ext?.value ?? new ArrayBuffer(0)).toString())).to.deep.equal({
            attrs: { 'hf.Affiliation': '', 'hf.EnrollmentID': name, 'hf.Type': 'client', role: 'auditor' },
        });
        const second = await cli('enroll', '--org', 'AuditMSP', '--name', name).catch((e: { code: number; stderr: string }) => e);
        expect((second as { code: number }).code).to.equal(1);
        expect((second as { stderr: string }).stderr).to.match(/^IDENTITY_EXISTS: /);
    });

    it('Given fabric-ca-client v1.5, Then getcainfo, enroll, register with ecert attributes, reenroll, identity list and revoke succeed, and the peers accept its MSP folder', async function () {
        const bin = findFabricTool('fabric-ca-client', REPO_ROOT);
        if (!bin) notRun(this, 'no fabric-ca-client binary in $FABRIC_BIN or $PATH');
        const mspId = 'MOHWMSP';
        const ca = caOf(t, mspId);
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-ca-client-'));
        const tls = ['--tls.certfiles', paths.caTlsRootCert(t, mspId)];
        const url = `https://${ca.host}:${ca.port}`;
        const secret = fs.readFileSync(paths.caRegistrarSecret(t, mspId), 'utf8').trim();
        const ca_ = (args: string[]) => run(bin as string, [...args, ...tls], { env: { ...process.env, FABRIC_CA_CLIENT_HOME: home } });
        const adminMsp = path.join(home, 'admin', 'msp');
        const name = `cli-${suffix}`;
        const userMsp = path.join(paths.userDir(t, mspId, name), 'msp');

        await ca_(['getcainfo', '-u', url, '--mspdir', path.join(home, 'info')]);
        expect(fs.readdirSync(path.join(home, 'info', 'cacerts'))).to.have.length(1);
        await ca_(['enroll', '-u', `https://admin:${secret}@${ca.host}:${ca.port}`, '--mspdir', adminMsp]);
        const reg = await ca_([
            'register',
            '-u',
            url,
            '--mspdir',
            adminMsp,
            '--id.name',
            name,
            '--id.secret',
            'cli-secret',
            '--id.type',
            'client',
            '--id.attrs',
            'role=department:ecert,dept=welfare:ecert',
        ]);
        expect(reg.stdout).to.contain('Password: cli-secret');
        await ca_(['enroll', '-u', `https://${name}:cli-secret@${ca.host}:${ca.port}`, '--mspdir', userMsp]);
        await ca_(['reenroll', '-u', url, '--mspdir', userMsp]);
        expect(fs.readdirSync(path.join(userMsp, 'keystore')).filter((f) => f.endsWith('_sk'))).to.have.length(2);
        const list = await ca_(['identity', 'list', '-u', url, '--mspdir', adminMsp, '--id', name]);
        expect(list.stdout).to.contain(`Name: ${name}, Type: client`).and.contain('{Name:role Value:department ECert:true}');

        // The peers accept the folder fabric-ca-client wrote: the app signs through the gateway.
        const databaseFile = loadConfig({ org: mspId, topologyFile: t.file }).databaseFile;
        const app = await provisionApp({
            topology: t,
            databaseFile,
            mspId,
            name: `cli-app-${suffix}`,
            role: 'department',
            dept: 'welfare',
            identity: name,
        });
        expect(await restCall(t, mspId, app.apiKey, '/v1/services?ownerMspId=MOHWMSP&pageSize=5')).to.equal(200);

        const revoke = await ca_(['revoke', '-u', url, '--mspdir', adminMsp, '-e', name, '-r', 'keycompromise', '--gencrl']);
        expect(revoke.stderr + revoke.stdout).to.match(/Successfully revoked/);
        expect(fs.readdirSync(path.join(adminMsp, 'crls'))).to.include('crl.pem');
        const again = await ca_([
            'enroll',
            '-u',
            `https://${name}:cli-secret@${ca.host}:${ca.port}`,
            '--mspdir',
            path.join(home, 'again'),
        ]).catch((e: { stderr: string }) => e);
        expect((again as { stderr: string }).stderr).to.contain('Error Code: 20 - Authentication failure');
    });
});
