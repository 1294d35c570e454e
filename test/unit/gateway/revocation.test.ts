// The gateway's CRLs for client certificates (gateway/auth/revocation.ts): from the org's MSP in the
// channel config, a CRL counts only when a CA of that MSP signed it (Fabric's MSP skips the others),
// and nothing is accepted before the first read. The CA server runs in this process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { ClientRevocations } from '../../../gateway/auth/revocation';
import { paths } from '../../../network/client/topology';
import { type CaFixture, ORG, startCa } from '../ca/fixture';

const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');

describe('gateway: client certificates against the org CRLs', () => {
    let f: CaFixture;
    let revokedPem: string;
    let keptPem: string;
    let caPem: string;
    before(async () => {
        f = await startCa();
        caPem = fs.readFileSync(path.join(paths.orgMsp(f.topology, ORG), 'cacerts', 'ca-cert.pem'), 'utf8');
        for (const id of ['revoked-app', 'kept-app']) await f.client.register(f.admin, { id, secret: `${id}-secret` });
        revokedPem = (await f.client.enroll({ enrollmentId: 'revoked-app', secret: 'revoked-app-secret' })).certificatePem;
        keptPem = (await f.client.enroll({ enrollmentId: 'kept-app', secret: 'kept-app-secret' })).certificatePem;
        await f.client.revoke(f.admin, { id: 'revoked-app', reason: 'keycompromise' });
    });
    after(() => f.close());

    it('Given no read yet, Then it is not ready and lists nothing', () => {
        const r = new ClientRevocations();
        expect([r.ready, r.size, r.isRevoked(der(revokedPem))]).to.deep.equal([false, 0, false]);
    });

    it("Given the CA's CRL in the org's MSP, Then the revoked certificate is listed and the other is not", async () => {
        const r = new ClientRevocations();
        await r.update({ caCertsPem: [caPem], crlsPem: [await f.client.generateCrl(f.admin)] });
        expect(r.ready).to.equal(true);
        expect(r.isRevoked(der(revokedPem))).to.equal(true);
        expect(r.isRevoked(der(keptPem))).to.equal(false);
    });

    it('Given a CRL no CA of the MSP signed, or one that does not parse, Then it is skipped (as Fabric skips it) and revokes nothing', async () => {
        const crl = await f.client.generateCrl(f.admin);
        // An MSP whose CA is Seoul's: MOHW's CRL is not one of its CAs'.
        const seoulCa = fs.readFileSync(path.join(paths.orgMsp(f.topology, 'SeoulMSP'), 'cacerts', 'ca-cert.pem'), 'utf8');
        const r = new ClientRevocations();
        await r.update({ caCertsPem: [seoulCa], crlsPem: [crl, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'] });
        expect(r.ready).to.equal(true);
        expect(r.size).to.equal(0);
        expect(r.isRevoked(der(revokedPem))).to.equal(false);
    });
});
