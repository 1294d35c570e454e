// The devnet CA's CRL as fabric-ca-server v1.5.21 writes it (PEM "X509 CRL", a v2 CRL with the
// CA's subject, thisUpdate/nextUpdate, serial + revocation time per entry, the AKI extension and
// no CRL number), read back by openssl and by the MSP's parser, which reads bytes as Go's
// x509.ParseCRL does.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { crlSignedBy, parseCrl, subjectKeyIdentifier } from '../../../network/devnet/msp/crl';
import { caFiles, orgInfo } from '../../../network/devnet/msp/ca';
import { spawnSyncWithin } from '../../deadline';
import { notRun } from '../../not-run';
import { type CaFixture, startCa } from '../ca/fixture';
import { thrown } from './fixture';

const hasOpenssl = spawnSyncWithin(10_000, 'openssl', ['version']).status === 0;
const fabricPeer = process.env.FABRIC_BIN ? path.join(process.env.FABRIC_BIN, 'peer') : undefined;

describe('devnet Fabric CA: the CRL, as Fabric CA writes it and Fabric reads it', function () {
    this.timeout(30_000);
    let f: CaFixture;
    let crlPem: string;
    let serial: string;
    let caCert: crypto.X509Certificate;
    let dir: string;
    let mspDir: string;
    before(async () => {
        f = await startCa();
        const { secret } = await f.client.register(f.admin, { id: 'stolen-laptop', secret: 'pw' });
        const e = await f.client.enroll({ enrollmentId: 'stolen-laptop', secret });
        serial = new crypto.X509Certificate(e.certificatePem).serialNumber.toLowerCase().replace(/^0+/, '');
        caCert = new crypto.X509Certificate(e.rootCertsPem[0]);
        crlPem = (await f.client.revoke(f.admin, { id: 'stolen-laptop', genCrl: true })).crlPem as string;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crl-test-'));
        fs.writeFileSync(path.join(dir, 'crl.pem'), crlPem);
        fs.writeFileSync(path.join(dir, 'ca.pem'), e.rootCertsPem[0]);
        // The revoked identity's own MSP folder, as fabric-ca-client writes it, with the CRL in crls/.
        mspDir = path.join(dir, 'msp');
        f.client.writeMsp(mspDir, e);
        const ca = `cacerts/${fs.readdirSync(path.join(mspDir, 'cacerts'))[0]}`;
        const ou = (name: string) =>
            `  ${name}: {Certificate: ${ca}, OrganizationalUnitIdentifier: ${name.replace('OUIdentifier', '').toLowerCase()}}`;
        fs.writeFileSync(
            path.join(mspDir, 'config.yaml'),
            [
                'NodeOUs:',
                '  Enable: true',
                ...['ClientOUIdentifier', 'PeerOUIdentifier', 'AdminOUIdentifier', 'OrdererOUIdentifier'].map(ou),
                '',
            ].join('\n'),
        );
        fs.mkdirSync(path.join(mspDir, 'crls'));
    });
    after(async () => {
        await f?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('is one PEM block of type "X509 CRL" (lib/servergencrl.go crlPemType)', () => {
        expect(crlPem.startsWith('-----BEGIN X509 CRL-----\n')).to.equal(true);
        expect(crlPem.trimEnd().endsWith('-----END X509 CRL-----')).to.equal(true);
        expect(crlPem.match(/-----BEGIN/g)).to.have.length(1);
    });

    it("openssl crl reads it: v2, the CA's subject, a day's validity, the AKI of the CA's SKI, the serial, no CRL number", function () {
        if (!hasOpenssl) notRun(this, 'openssl is not installed');
        const r = spawnSyncWithin(10_000, 'openssl', ['crl', '-inform', 'PEM', '-noout', '-text', '-in', path.join(dir, 'crl.pem')]);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.contain('Version 2 (0x1)');
        expect(r.stdout).to.contain('Signature Algorithm: ecdsa-with-SHA256');
        expect(r.stdout).to.match(/Issuer: .*CN ?= ?ca\.mohw\.example\.gov/);
        const ski = (subjectKeyIdentifier(caCert) as Buffer).toString('hex').toUpperCase().match(/../g)?.join(':');
        expect(r.stdout).to.contain('X509v3 Authority Key Identifier');
        expect(r.stdout).to.contain(ski);
        // openssl prints the serial's bytes: an even number of hex digits.
        expect(r.stdout).to.contain(`Serial Number: ${serial.toUpperCase().padStart(serial.length + (serial.length % 2), '0')}\n`);
        expect(r.stdout).to.not.contain('CRL Number');
        expect(r.stdout).to.not.contain('Reason Code');
        const last = Date.parse(/Last Update: (.*)/.exec(r.stdout)?.[1] ?? '');
        const next = Date.parse(/Next Update: (.*)/.exec(r.stdout)?.[1] ?? '');
        expect(next - last).to.equal(24 * 3600 * 1000);
    });

    it("openssl verifies its signature with the CA's certificate", function () {
        if (!hasOpenssl) notRun(this, 'openssl is not installed');
        const r = spawnSyncWithin(10_000, 'openssl', [
            'crl',
            '-in',
            path.join(dir, 'crl.pem'),
            '-CAfile',
            path.join(dir, 'ca.pem'),
            '-noout',
        ]);
        expect(r.status, r.stderr).to.equal(0);
        expect(`${r.stdout}${r.stderr}`).to.contain('verify OK');
    });

    it("the MSP's parser reads it: the serial, the AKI = the CA's SKI, signed by the CA and by no other", () => {
        const crl = parseCrl(Buffer.from(crlPem));
        expect([...crl.serials]).to.deep.equal([serial]);
        expect(crl.authorityKeyId?.equals(subjectKeyIdentifier(caCert) as Buffer)).to.equal(true);
        expect(crlSignedBy(crl, caCert)).to.equal(true);
        const other = new crypto.X509Certificate(fs.readFileSync(caFiles(orgInfo(f.topology, 'SeoulMSP')).cert));
        expect(crlSignedBy(crl, other)).to.equal(false);
    });

    it('a CRL under another PEM label is read as DER and refused, as Go x509.ParseCRL refuses it', () => {
        const relabelled = crlPem.replace(/X509 CRL/g, 'CRL');
        const err = thrown(() => parseCrl(Buffer.from(relabelled)));
        expect(err.code).to.equal('CRL_INVALID');
        expect(err.message).to.contain('asn1: structure error');
    });

    it('DER with trailing bytes is refused (x509: trailing data after CRL)', () => {
        const der = parseCrl(Buffer.from(crlPem)).der;
        const err = thrown(() => parseCrl(Buffer.concat([der, Buffer.from([0])])));
        expect(err.message).to.equal('CRL_INVALID: x509: trailing data after CRL');
        expect(parseCrl(der).serials.has(serial)).to.equal(true);
    });

    it("real Fabric's peer (its msp package) sets up a local MSP whose crls/ holds it, and refuses the same CRL under PEM 'CRL'", function () {
        if (!fabricPeer || !fs.existsSync(fabricPeer)) notRun(this, 'FABRIC_BIN with Fabric v3.1.5 peer is not set');
        // `peer channel list` sets up the local MSP before it dials: an unreachable peer shows the MSP was accepted.
        const run = () =>
            spawnSyncWithin(30_000, fabricPeer as string, ['channel', 'list'], {
                env: {
                    ...process.env,
                    FABRIC_CFG_PATH: process.env.FABRIC_CFG_PATH ?? path.join(path.dirname(process.env.FABRIC_BIN as string), 'config'),
                    CORE_PEER_MSPCONFIGPATH: mspDir,
                    CORE_PEER_LOCALMSPID: 'MOHWMSP',
                    CORE_PEER_ADDRESS: '127.0.0.1:1',
                },
            });
        fs.writeFileSync(path.join(mspDir, 'crls', 'crl.pem'), crlPem);
        const accepted = run();
        expect(accepted.stdout + accepted.stderr).to.contain('endorser client failed to connect to 127.0.0.1:1');
        expect(accepted.stdout + accepted.stderr).to.not.contain('RevocationList');
        fs.writeFileSync(path.join(mspDir, 'crls', 'crl.pem'), crlPem.replace(/X509 CRL/g, 'CRL'));
        const refused = run();
        expect(refused.status).to.not.equal(0);
        expect(refused.stdout + refused.stderr).to.contain('could not parse RevocationList: asn1: structure error');
    });
});
