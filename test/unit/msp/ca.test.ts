// The devnet's CAs: idempotent generation, enrollment with attributes and its refusals, and the
// MSP config configtx reads from an org folder.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { loadTopology, paths, Topology } from '../../../network/client/topology';
import { CaError, enroll, generateCrypto, mspConfigFromDir } from '../../../network/devnet/msp/ca';
import { loadSigningIdentity, serializeIdentity } from '../../../network/devnet/msp/identity';
import { MspManager } from '../../../network/devnet/msp/msp';
import { mspFixture, MspFixture, rejected, thrown } from './fixture';

/** Every file under a folder with the SHA-256 of its content and its mtime. */
function snapshot(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else
                out.set(
                    path.relative(dir, p),
                    `${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${fs.statSync(p).mtimeMs}`,
                );
        }
    };
    walk(dir);
    return out;
}

describe('msp/ca', () => {
    let f: MspFixture;
    before(async () => {
        f = await mspFixture();
    });

    describe('Given crypto material generated once', () => {
        it('When generateCrypto runs again, Then no file is added, removed or rewritten', async () => {
            const before = snapshot(paths.organizations(f.topology));
            await generateCrypto(f.topology);
            expect(snapshot(paths.organizations(f.topology))).to.deep.equal(before);
        });

        it('When a user folder is deleted, Then the next run recreates only that user', async () => {
            const t: Topology = { ...loadTopology(), stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ca-test-')) };
            try {
                await generateCrypto(t);
                const welfare = paths.userDir(t, 'MOHWMSP', 'welfare');
                fs.rmSync(welfare, { recursive: true });
                const before = snapshot(paths.organizations(t));
                await generateCrypto(t);
                const after = snapshot(paths.organizations(t));
                const added = [...after.keys()].filter((k) => !before.has(k));
                expect(added.every((k) => k.includes('welfare@mohw.example.gov'))).to.equal(true);
                expect(added).to.have.length(5);
                for (const [k, v] of before) expect(after.get(k), k).to.equal(v);
            } finally {
                fs.rmSync(t.stateDir, { recursive: true, force: true });
            }
        });

        it('When two runs generate a fresh network at once, Then every key matches its certificate and every identity chains to the CA on disk', async () => {
            const t: Topology = { ...loadTopology(), stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ca-race-')) };
            try {
                await Promise.all([generateCrypto(t), generateCrypto(t)]);
                const msps = new MspManager(t.orgs.map((o) => mspConfigFromDir(paths.orgMsp(t, o.mspId), o.mspId)));
                for (const org of t.orgs) {
                    const caDir = path.join(paths.orgDir(t, org.mspId), 'ca');
                    const caCert = new crypto.X509Certificate(fs.readFileSync(path.join(caDir, 'ca-cert.pem')));
                    expect(caCert.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(caDir, 'priv_sk'))))).to.equal(true);
                    for (const user of ['Admin', 'User1']) {
                        const id = loadSigningIdentity(path.join(paths.userDir(t, org.mspId, user), 'msp'), org.mspId);
                        expect(msps.verify(id.serialize(), Buffer.from('x'), id.sign(Buffer.from('x'))).mspId).to.equal(org.mspId);
                    }
                    const peer = loadSigningIdentity(path.join(paths.peerDir(t, org.mspId), 'msp'), org.mspId);
                    expect(msps.deserialize(peer.serialize()).role).to.equal('peer');
                }
                expect(fs.readdirSync(paths.orgDir(t, 'SeoulMSP')).filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
            } finally {
                fs.rmSync(t.stateDir, { recursive: true, force: true });
            }
        });

        it('Then the layout is the one Fabric tools write', () => {
            const org = paths.orgDir(f.topology, 'SeoulMSP');
            for (const rel of [
                'ca/ca-cert.pem',
                'ca/priv_sk',
                'tlsca/tlsca-cert.pem',
                'msp/cacerts/ca-cert.pem',
                'msp/tlscacerts/tlsca-cert.pem',
                'msp/config.yaml',
                'peers/peer0.seoul.example.gov/msp/signcerts/cert.pem',
                'peers/peer0.seoul.example.gov/msp/keystore/priv_sk',
                'peers/peer0.seoul.example.gov/tls/server.crt',
                'peers/peer0.seoul.example.gov/tls/server.key',
                'peers/peer0.seoul.example.gov/tls/ca.crt',
                'users/issuer1@seoul.example.gov/msp/signcerts/cert.pem',
                'users/citizen-agent@seoul.example.gov/msp/keystore/priv_sk',
            ]) {
                expect(fs.existsSync(path.join(org, rel)), rel).to.equal(true);
            }
            expect(fs.existsSync(path.join(paths.ordererDir(f.topology), 'tls', 'server.crt'))).to.equal(true);
            expect(fs.readFileSync(path.join(org, 'msp', 'config.yaml'), 'utf8')).to.contain('OrganizationalUnitIdentifier: peer');
        });

        it('Then the TLS server certificates name localhost, 127.0.0.1 and the node and chain to the TLS CA', () => {
            const dir = path.join(paths.peerDir(f.topology, 'MOISMSP'), 'tls');
            const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'server.crt')));
            const ca = new crypto.X509Certificate(fs.readFileSync(paths.tlsRootCert(f.topology, 'MOISMSP')));
            expect(cert.checkHost('localhost')).to.equal('localhost');
            expect(cert.checkHost('peer0.mois.example.gov')).to.equal('peer0.mois.example.gov');
            expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
            expect(cert.verify(ca.publicKey)).to.equal(true);
            expect(cert.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dir, 'server.key'))))).to.equal(true);
        });

        it("Then each chaincode server has a TLS server certificate of its name and the peer a client certificate, both of the org's TLS CA", () => {
            const ca = new crypto.X509Certificate(fs.readFileSync(paths.tlsRootCert(f.topology, 'MOHWMSP')));
            for (const cc of f.topology.chaincodes) {
                const dir = paths.chaincodeServerTlsDir(f.topology, 'MOHWMSP', cc.name);
                const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'server.crt')));
                expect(cert.checkHost(`chaincode-${cc.name}.mohw.example.gov`)).to.equal(`chaincode-${cc.name}.mohw.example.gov`);
                expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
                expect(cert.verify(ca.publicKey)).to.equal(true);
                // The server trusts the org's TLS CA for the peer's client certificate.
                expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).to.equal(
                    fs.readFileSync(paths.tlsRootCert(f.topology, 'MOHWMSP'), 'utf8'),
                );
                expect(fs.statSync(path.join(dir, 'server.key')).mode & 0o077).to.equal(0);
            }
            const dir = paths.peerChaincodeTlsDir(f.topology, 'MOHWMSP');
            const client = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'client.crt')));
            expect(client.verify(ca.publicKey)).to.equal(true);
            expect(client.keyUsage).to.include('1.3.6.1.5.5.7.3.2');
            expect(client.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dir, 'client.key'))))).to.equal(true);
            expect(f.topology.chaincodes.length).to.be.greaterThan(0);
        });

        it('Then mspConfigFromDir gives configtx the root and TLS root certificates and NodeOUs', () => {
            const config = mspConfigFromDir(paths.orgMsp(f.topology, 'AuditMSP'), 'AuditMSP');
            expect(config.getName()).to.equal('AuditMSP');
            expect(config.getRootCertsList_asU8()).to.have.length(1);
            expect(config.getTlsRootCertsList_asU8()).to.have.length(1);
            const ous = config.getFabricNodeOus()!;
            expect(ous.getEnable()).to.equal(true);
            expect(ous.getAdminOuIdentifier()!.getOrganizationalUnitIdentifier()).to.equal('admin');
            expect(Buffer.from(ous.getClientOuIdentifier()!.getCertificate_asU8())).to.deep.equal(
                Buffer.from(config.getRootCertsList_asU8()[0]),
            );
            expect(thrown(() => mspConfigFromDir('/nonexistent', 'X')).code).to.equal('MSP_DIR_INVALID');
        });
    });

    describe('Given enrollment at run time', () => {
        it('When a department app is enrolled, Then its identity is valid in the channel with its attributes', async () => {
            const e = await enroll(f.topology, { mspId: 'MOHWMSP', name: 'pension-app', attrs: { role: 'department', dept: 'pension' } });
            expect(e.mspDir).to.equal(path.join(paths.userDir(f.topology, 'MOHWMSP', 'pension-app'), 'msp'));
            const id = f.msps.deserialize(serializeIdentity('MOHWMSP', e.certificatePem));
            expect(id.role).to.equal('client');
            expect(id.attrs).to.include({ role: 'department', dept: 'pension', 'hf.EnrollmentID': 'pension-app', 'hf.Type': 'client' });
            const loaded = loadSigningIdentity(e.mspDir, 'MOHWMSP');
            expect(loaded.certificatePem).to.equal(e.certificatePem);
        });

        it('When an admin is enrolled, Then its NodeOU role is admin', async () => {
            const e = await enroll(f.topology, { mspId: 'MOISMSP', name: 'ops-admin', nodeOu: 'admin' });
            expect(f.msps.deserialize(serializeIdentity('MOISMSP', e.certificatePem)).role).to.equal('admin');
        });

        it('When the same name is enrolled twice, Then IDENTITY_EXISTS; with reuse the existing identity comes back', async () => {
            const first = await enroll(f.topology, { mspId: 'SeoulMSP', name: 'desk-7', attrs: { role: 'issuer' } });
            const e = await rejected(() => enroll(f.topology, { mspId: 'SeoulMSP', name: 'desk-7', attrs: { role: 'issuer' } }));
            expect(e).to.be.instanceOf(CaError);
            expect(e.code).to.equal('IDENTITY_EXISTS');
            const again = await enroll(f.topology, { mspId: 'SeoulMSP', name: 'desk-7', reuse: true });
            expect(again.certificatePem).to.equal(first.certificatePem);
            expect(again.privateKeyPem).to.equal(first.privateKeyPem);
            // Names generated at network creation are taken too.
            expect((await rejected(() => enroll(f.topology, { mspId: 'MOHWMSP', name: 'welfare' }))).code).to.equal('IDENTITY_EXISTS');
        });

        it('When a user folder exists without a certificate, Then IDENTITY_INCOMPLETE says to remove it', async () => {
            fs.mkdirSync(path.join(paths.userDir(f.topology, 'SeoulMSP', 'half'), 'msp', 'keystore'), { recursive: true });
            expect((await rejected(() => enroll(f.topology, { mspId: 'SeoulMSP', name: 'half' }))).code).to.equal('IDENTITY_INCOMPLETE');
        });

        it('When two enrollments of one name race, Then exactly one wins', async () => {
            const results = await Promise.allSettled([1, 2, 3].map(() => enroll(f.topology, { mspId: 'AuditMSP', name: 'racer' })));
            expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
            for (const r of results) if (r.status === 'rejected') expect((r.reason as CaError).code).to.equal('IDENTITY_EXISTS');
        });

        const refusals: [string, Parameters<typeof enroll>[1], string][] = [
            ['an unknown org', { mspId: 'BusanMSP', name: 'x' }, 'ORG_UNKNOWN'],
            ['an empty name', { mspId: 'SeoulMSP', name: '' }, 'ENROLL_NAME_INVALID'],
            ['a name with a slash', { mspId: 'SeoulMSP', name: '../etc' }, 'ENROLL_NAME_INVALID'],
            ['a name with @', { mspId: 'SeoulMSP', name: 'a@b' }, 'ENROLL_NAME_INVALID'],
            ['a name of 65 characters', { mspId: 'SeoulMSP', name: 'a'.repeat(65) }, 'ENROLL_NAME_INVALID'],
            ['a reserved hf. attribute', { mspId: 'SeoulMSP', name: 'y', attrs: { 'hf.Type': 'admin' } }, 'ENROLL_ATTR_INVALID'],
            ['an attribute name with a space', { mspId: 'SeoulMSP', name: 'y', attrs: { 'my role': 'x' } }, 'ENROLL_ATTR_INVALID'],
            ['a non-string attribute', { mspId: 'SeoulMSP', name: 'y', attrs: { role: 5 as unknown as string } }, 'ENROLL_ATTR_INVALID'],
            ['a control character in a value', { mspId: 'SeoulMSP', name: 'y', attrs: { role: 'a\nb' } }, 'ENROLL_ATTR_INVALID'],
            [
                'attrs that are an array',
                { mspId: 'SeoulMSP', name: 'y', attrs: [] as unknown as Record<string, string> },
                'ENROLL_ATTR_INVALID',
            ],
            ['a peer NodeOU', { mspId: 'SeoulMSP', name: 'y', nodeOu: 'peer' as 'client' }, 'ENROLL_NODEOU_INVALID'],
        ];
        for (const [what, req, code] of refusals) {
            it(`When the request has ${what}, Then it is refused with ${code} and nothing is written`, async () => {
                const e = await rejected(() => enroll(f.topology, req));
                expect(e.code).to.equal(code);
                if (code !== 'ORG_UNKNOWN' && code !== 'ENROLL_NAME_INVALID')
                    expect(fs.existsSync(paths.userDir(f.topology, req.mspId, req.name))).to.equal(false);
            });
        }
    });
});
