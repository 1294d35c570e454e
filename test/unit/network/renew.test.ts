// network:renew on one org's folder, with the org's CA server in this process: what it renews and
// how (reenrolled at the CA for what the CA issued, reissued from the CA key for the devnet's
// cryptogen-made material), what the new certificates keep (subject, SANs, attributes, the ordering
// node's TLS key), the MSP still validating them, a second run renewing nothing, an interrupted
// swap finished by the next run, the refusals, and network:status's expiry lines. Node restarts
// are the e2e test's (renewal.test.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthorityKeyIdentifierExtension, X509Certificate as X509 } from '@peculiar/x509';
import { expect } from 'chai';
import { caClient, registerAndEnroll, registrar } from '../../../network/client/ca-identities';
import { DAY_MS, expiryReport, heldCertificates, parseDays } from '../../../network/client/certificates';
import { silentLogger } from '../../../network/client/logger';
import { findOrg, loadTopology, paths, type Topology } from '../../../network/client/topology';
import { renew, type RenewRequest } from '../../../network/commands/renew';
import { Registry } from '../../../network/devnet/ca/registry';
import { type CaServer, CaService, createCaServer } from '../../../network/devnet/ca/server';
import { caFiles, generateCrypto, loadCa, mspConfigFromDir, orgInfo } from '../../../network/devnet/msp/ca';
import { loadSigningIdentity } from '../../../network/devnet/msp/identity';
import { MspManager } from '../../../network/devnet/msp/msp';
import { rejected } from '../msp/fixture';

const ORG = 'MOHWMSP';
const SECRET = 'renew-registrar-secret';
const D = findOrg(loadTopology(), ORG).domain;

const x509 = (file: string) => new crypto.X509Certificate(fs.readFileSync(file));

describe('network:renew', () => {
    let dir: string;
    let t: Topology;
    let server: CaServer;
    let registry: Registry;
    const lines: string[] = [];
    const say = (l: string) => lines.push(l);
    const run = (req: Partial<RenewRequest>) => renew(t, { mspId: ORG, withinDays: 30, fabric: false, restart: false, ...req }, say);

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'renew-'));
        const base: Topology = { ...loadTopology(), stateDir: dir };
        await generateCrypto(base, [ORG]);
        registry = new Registry(path.join(dir, 'ca.db'));
        const service = new CaService({
            caName: '',
            ca: await loadCa(caFiles(orgInfo(base, ORG))),
            registry,
            maxEnrollments: -1,
            passwordAttempts: 10,
            logger: silentLogger,
        });
        service.bootstrap('admin', SECRET);
        fs.writeFileSync(paths.caRegistrarSecret(base, ORG), SECRET, { mode: 0o600 });
        const tlsDir = paths.caTlsDir(base, ORG);
        server = createCaServer(
            service,
            { cert: fs.readFileSync(path.join(tlsDir, 'server.crt')), key: fs.readFileSync(path.join(tlsDir, 'server.key')) },
            silentLogger,
        );
        const port = await server.listen(0, '127.0.0.1');
        t = { ...base, orgs: base.orgs.map((o) => (o.mspId === ORG ? { ...o, ca: { ...o.ca, host: '127.0.0.1', port } } : o)) };
        // An app enrolled at the CA, as gateway:admin provisions one: the CA has its certificate on record.
        await registerAndEnroll(t, { mspId: ORG, name: 'app1', attrs: { role: 'department', dept: 'welfare' } });
    });
    after(async () => {
        await server.close();
        registry.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('Given nothing expires within 30 days, Then nothing is renewed and no file changes', async () => {
        const before = heldCertificates(t, ORG).map((c) => [c.certFile, c.serial]);
        const r = await run({});
        expect(r.renewed).to.deep.equal([]);
        expect(heldCertificates(t, ORG).map((c) => [c.certFile, c.serial])).to.deep.equal(before);
    });

    it('Given every certificate within the window, Then each gets a new certificate from its issuer that keeps its subject, SANs and attributes, and the MSP validates them', async () => {
        const old = new Map(
            heldCertificates(t, ORG).map((c) => [c.folder, { c, cert: x509(c.certFile), key: fs.readFileSync(c.keyFile, 'utf8') }]),
        );
        expect(old.size).to.be.greaterThan(8);
        const r = await run({ withinDays: 36_500 });
        expect(r.renewed).to.have.length(old.size);
        const how = Object.fromEntries(r.renewed.map((x) => [`${x.holder} ${x.use}`, x.how]));
        // The CA knows app1's and its registrar's certificates: reenrolled. The rest the devnet made as cryptogen does.
        expect(how[`app1@${D} enrollment`]).to.equal('reenrolled');
        expect(how[`registrar@ca.${D} enrollment`]).to.equal('reenrolled');
        expect(how[`peer0.${D} enrollment`]).to.equal('reissued');
        expect(how[`peer0.${D} tls`]).to.equal('reissued');
        for (const now of heldCertificates(t, ORG)) {
            const before = old.get(now.folder)!;
            const cert = x509(now.certFile);
            expect(cert.serialNumber, now.holder).to.not.equal(before.cert.serialNumber);
            expect(cert.subject, now.holder).to.equal(before.cert.subject);
            expect(cert.subjectAltName, now.holder).to.equal(before.cert.subjectAltName);
            expect(cert.issuer, now.holder).to.equal(before.cert.issuer);
            expect(cert.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(now.keyFile))), now.holder).to.equal(true);
            expect(Date.parse(cert.validTo) - Date.now(), now.holder).to.be.within(364 * DAY_MS, 366 * DAY_MS);
            const keptKey = cert.publicKey
                .export({ format: 'der', type: 'spki' })
                .equals(before.cert.publicKey.export({ format: 'der', type: 'spki' }));
            // An ordering node's TLS key stays (the consenter set names it); every other key is new.
            expect(keptKey, now.holder).to.equal(now.use === 'tls' && now.folder.includes(`${path.sep}orderers${path.sep}`));
            expect(fs.existsSync(`${now.folder}.renew-previous`), now.holder).to.equal(false);
        }
        // Fabric CA attributes survive, and Fabric's MSP validates the renewed identities with their NodeOU roles.
        const msps = new MspManager([mspConfigFromDir(paths.orgMsp(t, ORG), ORG)]);
        const welfare = msps.deserialize(loadSigningIdentity(path.join(paths.userDir(t, ORG, 'welfare'), 'msp'), ORG).serialize());
        expect(welfare.attrs).to.deep.include({ role: 'department', dept: 'welfare', 'hf.EnrollmentID': 'welfare' });
        expect(welfare.role).to.equal('client');
        expect(msps.deserialize(loadSigningIdentity(path.join(paths.peerDir(t, ORG), 'msp'), ORG).serialize()).role).to.equal('peer');
        expect(msps.deserialize(loadSigningIdentity(path.join(paths.userDir(t, ORG, 'Admin'), 'msp'), ORG).serialize()).role).to.equal(
            'admin',
        );
        // The CA has the reenrolled certificate on record, so revoking app1 revokes it too.
        const app = new X509(fs.readFileSync(path.join(paths.userDir(t, ORG, 'app1'), 'msp', 'signcerts', 'cert.pem')));
        const hex = (s: string) => s.toLowerCase().replace(/^0+/, '');
        const record = registry.getCertificate(hex(app.serialNumber), hex(app.getExtension(AuthorityKeyIdentifierExtension)?.keyId ?? ''));
        expect(record).to.include({ id: 'app1', status: 'good' });
    });

    it('Given a renewal interrupted between its two renames, Then the next run puts the new folder in place', async () => {
        const user = heldCertificates(t, ORG).find((c) => c.holder === `User1@${D}`)!;
        // The state a crash leaves after the old folder went aside: old in .renew-previous, new complete in .renew-next.
        fs.cpSync(user.folder, `${user.folder}.renew-next`, { recursive: true });
        fs.writeFileSync(`${user.folder}.renew-next/.complete`, '');
        fs.renameSync(user.folder, `${user.folder}.renew-previous`);
        const r = await run({});
        expect(r.recovered).to.deep.equal([user.folder]);
        expect(fs.existsSync(path.join(user.folder, 'signcerts', 'cert.pem'))).to.equal(true);
        expect(fs.existsSync(path.join(user.folder, '.complete'))).to.equal(false);
        expect(x509(user.certFile).serialNumber).to.equal(user.serial.toUpperCase());
    });

    it('Given a staged copy that was never finished, Then the next run drops it and keeps the folder as it is', async () => {
        const user = heldCertificates(t, ORG).find((c) => c.holder === `User1@${D}`)!;
        fs.cpSync(user.folder, `${user.folder}.renew-next`, { recursive: true });
        const r = await run({});
        expect(r.recovered).to.deep.equal([]);
        expect(fs.existsSync(`${user.folder}.renew-next`)).to.equal(false);
        expect(x509(user.certFile).serialNumber).to.equal(user.serial.toUpperCase());
    });

    it('Given --holder, Then only that holder is renewed; an unknown holder is USAGE', async () => {
        const r = await run({ withinDays: 36_500, holder: `User1@${D}` });
        expect(r.renewed.map((x) => x.holder)).to.deep.equal([`User1@${D}`]);
        expect((await rejected(() => run({ holder: `nobody@${D}` }))).code).to.equal('USAGE');
    });

    it('Refuses an org the topology does not know, and one whose folder is not on this machine', async () => {
        expect((await rejected(() => run({ mspId: 'NOPEMSP' }))).code).to.equal('ORG_UNKNOWN');
        expect((await rejected(() => run({ mspId: 'SeoulMSP' }))).code).to.equal('ORG_NOT_HERE');
    });

    it('Given the CA down, Then a certificate the CA issued is RENEW_CA_UNREACHABLE and its folder is unchanged', async () => {
        const down: Topology = { ...t, orgs: t.orgs.map((o) => (o.mspId === ORG ? { ...o, ca: { ...o.ca, port: 1 } } : o)) };
        const app = heldCertificates(t, ORG).find((c) => c.holder === `app1@${D}`)!;
        const err = await rejected(() =>
            renew(down, { mspId: ORG, withinDays: 36_500, holder: `app1@${D}`, fabric: false, restart: false }, say),
        );
        expect(err.code).to.equal('RENEW_CA_UNREACHABLE');
        expect(x509(app.certFile).serialNumber).to.equal(app.serial.toUpperCase());
    });

    it('Given an identity the CA revoked, Then RENEW_REFUSED_BY_CA: it is not reissued from the CA key, which would undo the revocation', async () => {
        await registerAndEnroll(t, { mspId: ORG, name: 'app2' });
        const client = caClient(t, ORG);
        await client.revoke(await registrar(t, ORG, client), { id: 'app2', reason: 'keycompromise' });
        const app = heldCertificates(t, ORG).find((c) => c.holder === `app2@${D}`)!;
        const err = await rejected(() => run({ withinDays: 36_500, holder: `app2@${D}` }));
        expect(err.code).to.equal('RENEW_REFUSED_BY_CA');
        expect(x509(app.certFile).serialNumber).to.equal(app.serial.toUpperCase());
    });

    it('Given an identity whose key is in an HSM (empty keystore), Then it is listed (its certificate still expires) and renewing it is RENEW_KEY_IN_HSM, renewing nothing', async () => {
        const user = heldCertificates(t, ORG).find((c) => c.holder === `User1@${D}`)!;
        const hsmDir = path.join(path.dirname(path.dirname(user.folder)), `hsm-app@${D}`, 'msp');
        fs.mkdirSync(path.join(hsmDir, 'keystore'), { recursive: true });
        fs.mkdirSync(path.join(hsmDir, 'signcerts'), { recursive: true });
        fs.copyFileSync(user.certFile, path.join(hsmDir, 'signcerts', 'cert.pem'));
        try {
            const listed = heldCertificates(t, ORG).find((c) => c.holder === `hsm-app@${D}`);
            expect(listed).to.include({ use: 'enrollment', keyFile: '' });
            const before = heldCertificates(t, ORG).map((c) => c.serial);
            const err = await rejected(() => run({ withinDays: 36_500 }));
            expect(err.code).to.equal('RENEW_KEY_IN_HSM');
            expect(err.message).to.contain(`hsm-app@${D}`);
            expect(heldCertificates(t, ORG).map((c) => c.serial)).to.deep.equal(before);
        } finally {
            fs.rmSync(path.dirname(hsmDir), { recursive: true, force: true });
        }
    });

    it('network:status: a summary line, WARN for what expires within the window, EXPIRED past it; --warn-days is validated', () => {
        const quiet = expiryReport(t, 30);
        expect(quiet.expiring).to.deep.equal([]);
        expect(quiet.lines).to.have.length(1);
        expect(quiet.lines[0]).to.match(/^certificates: \d+, earliest expiry \d{4}-\d\d-\d\d \(.+, 36[45] days\); warning 30 days before$/);
        const warned = expiryReport(t, 400);
        expect(warned.lines.slice(1)).to.have.length(warned.expiring.length).and.not.be.empty;
        expect(warned.lines[1]).to.match(
            /^WARN {4}(enrollment|tls) certificate of .+ \(MOHWMSP\) expires .+ \(36\d days\): network:renew --org MOHWMSP$/,
        );
        const later = expiryReport(t, 30, Date.now() + 400 * DAY_MS);
        expect(later.lines[1]).to.match(/^EXPIRED .+ expired .+: network:renew --org MOHWMSP$/);
        expect(() => parseDays('-1', '--warn-days', 30)).to.throw(/^USAGE: --warn-days must be a whole number/);
        expect(() => parseDays('3.5', '--within', 30)).to.throw(/^USAGE/);
        expect(parseDays(undefined, '--within', 30)).to.equal(30);
    });
});
