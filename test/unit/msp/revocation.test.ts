// CRLs in the MSP as Fabric's msp package reads them (mspimplsetup.go setupCRLs,
// mspimplvalidate.go validateCertAgainstChain): the channel config's revocation_list and a local
// MSP's crls/ folder; a certificate named by a CRL of its issuer, signed by that issuer, is refused;
// a CRL of anyone else revokes nothing; a CRL that does not parse refuses the MSP itself.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import type { msp } from '@hyperledger/fabric-protos';
import { caFiles, type LoadedCa, loadCa, mspConfigFromDir, orgInfo } from '../../../network/devnet/msp/ca';
import { createCrlDer, crlToPem } from '../../../network/devnet/msp/crl';
import { MspManager } from '../../../network/devnet/msp/msp';
import { paths } from '../../../network/client/topology';
import { mspFixture, type MspFixture, thrown } from './fixture';

const serialOf = (pem: string) => new crypto.X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '');

describe('msp/msp: certificate revocation lists, as Fabric', () => {
    let f: MspFixture;
    let mohwCa: LoadedCa;
    let seoulCa: LoadedCa;
    const ids = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'];
    const configs = (mohwCrls: Uint8Array[]): msp.FabricMSPConfig[] =>
        ids.map((id) => {
            const c = mspConfigFromDir(paths.orgMsp(f.topology, id), id);
            if (id === 'MOHWMSP') c.setRevocationListList(mohwCrls);
            return c;
        });
    const crlOf = async (ca: LoadedCa, signer: LoadedCa, serials: string[]) =>
        Buffer.from(
            crlToPem(
                await createCrlDer({
                    caCert: new crypto.X509Certificate(ca.pem),
                    caKey: signer.key,
                    revoked: serials.map((serial) => ({ serial, revokedAt: new Date() })),
                    thisUpdate: new Date(),
                    nextUpdate: new Date(Date.now() + 86_400_000),
                }),
            ),
        );

    before(async () => {
        f = await mspFixture();
        mohwCa = await loadCa(caFiles(orgInfo(f.topology, 'MOHWMSP')));
        seoulCa = await loadCa(caFiles(orgInfo(f.topology, 'SeoulMSP')));
    });

    it("Given MOHW's CRL naming welfare, When welfare's creator is validated or verified, Then CERT_REVOKED; MOHW's others and other orgs still validate", async () => {
        const welfare = f.user('MOHWMSP', 'welfare');
        const msps = new MspManager(configs([await crlOf(mohwCa, mohwCa, [serialOf(welfare.certificatePem)])]));
        const err = thrown(() => msps.deserialize(welfare.serialize()));
        expect(err.code).to.equal('CERT_REVOKED');
        expect(err.message).to.match(/^CERT_REVOKED: The certificate has been revoked: CN=welfare@mohw\.example\.gov/);
        const data = Buffer.from('proposal');
        expect(thrown(() => msps.verify(welfare.serialize(), data, welfare.sign(data))).code).to.equal('CERT_REVOKED');
        expect(msps.deserialize(f.user('MOHWMSP', 'Admin').serialize()).role).to.equal('admin');
        expect(msps.deserialize(f.peer('MOHWMSP').serialize()).role).to.equal('peer');
        expect(msps.deserialize(f.user('SeoulMSP', 'issuer1').serialize()).mspId).to.equal('SeoulMSP');
        // The same identity under the channel MSPs without the CRL: valid (the MSPs are rebuilt per config).
        expect(f.msps.deserialize(welfare.serialize()).mspId).to.equal('MOHWMSP');
    });

    it("Given a CRL of Seoul's CA naming MOHW's welfare serial, When welfare is validated, Then it is valid: the CRL's AKI is not its issuer's SKI", async () => {
        const welfare = f.user('MOHWMSP', 'welfare');
        const msps = new MspManager(configs([await crlOf(seoulCa, seoulCa, [serialOf(welfare.certificatePem)])]));
        expect(msps.deserialize(welfare.serialize()).mspId).to.equal('MOHWMSP');
    });

    it("Given a CRL claiming MOHW's CA (its AKI) but signed with Seoul's CA key, When welfare is validated, Then it is valid: Fabric skips a CRL its issuer did not sign", async () => {
        const welfare = f.user('MOHWMSP', 'welfare');
        const msps = new MspManager(configs([await crlOf(mohwCa, seoulCa, [serialOf(welfare.certificatePem)])]));
        expect(msps.deserialize(welfare.serialize()).mspId).to.equal('MOHWMSP');
    });

    it('Given a CRL that Go x509.ParseCRL cannot read (PEM label "CRL"), When the MSPs are set up, Then MSP_CONFIG_INVALID: could not parse RevocationList', async () => {
        const relabelled = Buffer.from((await crlOf(mohwCa, mohwCa, ['1'])).toString().replace(/X509 CRL/g, 'CRL'));
        const err = thrown(() => new MspManager(configs([relabelled])));
        expect(err.code).to.equal('MSP_CONFIG_INVALID');
        expect(err.message).to.contain('MOHWMSP: could not parse RevocationList 0: CRL_INVALID: asn1: structure error');
    });

    it('Given an MSP folder with crls/crl.pem, When it is read as configtxgen reads it, Then its revocation_list holds the file and the certificate is refused', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msp-crls-'));
        try {
            fs.cpSync(paths.orgMsp(f.topology, 'MOHWMSP'), dir, { recursive: true });
            const welfare = f.user('MOHWMSP', 'welfare');
            const crl = await crlOf(mohwCa, mohwCa, [serialOf(welfare.certificatePem)]);
            fs.mkdirSync(path.join(dir, 'crls'));
            fs.writeFileSync(path.join(dir, 'crls', 'crl.pem'), crl);
            const config = mspConfigFromDir(dir, 'MOHWMSP');
            expect(config.getRevocationListList_asU8().map((b) => Buffer.from(b).toString())).to.deep.equal([crl.toString()]);
            const local = new MspManager([config]);
            expect(thrown(() => local.deserialize(welfare.serialize())).code).to.equal('CERT_REVOKED');
            expect(local.deserialize(f.peer('MOHWMSP').serialize()).role).to.equal('peer');
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
