// The channel MspManager: trust chains, validity dates, NodeOU roles, Fabric CA attributes, and
// what fabric-shim's ClientIdentity reads from the same creator.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as x509 from '@peculiar/x509';
import { expect } from 'chai';
import { ClientIdentity } from 'fabric-shim';
import { msp } from '@hyperledger/fabric-protos';
import { issueTestIdentity, LoadedCa, mspConfigFromDir, signCertificate } from '../../../network/devnet/msp/ca';
import { identityExpiresAt, newSigningIdentity, serializeIdentity } from '../../../network/devnet/msp/identity';
import { MspError, MspManager } from '../../../network/devnet/msp/msp';
import { paths } from '../../../network/client/topology';
import { mspFixture, MspFixture, thrown } from './fixture';

describe('msp/msp MspManager', () => {
    let f: MspFixture;
    before(async () => {
        f = await mspFixture();
    });

    describe('Given identities generated for the network', () => {
        it('When deserialized, Then each carries its NodeOU role', () => {
            expect(f.msps.deserialize(f.user('SeoulMSP', 'Admin').serialize()).role).to.equal('admin');
            expect(f.msps.deserialize(f.user('SeoulMSP', 'User1').serialize()).role).to.equal('client');
            expect(f.msps.deserialize(f.peer('MOHWMSP').serialize()).role).to.equal('peer');
            const orderer = f.msps.deserialize(f.orderer().serialize());
            expect(orderer.role).to.equal('orderer');
            // The ordering node is its operator's: Seoul's MSP, role orderer.
            expect(orderer.mspId).to.equal('SeoulMSP');
        });

        it('When deserialized, Then the subject reads as Go prints it and attributes come from extension 1.2.3.4.5.6.7.8.1', () => {
            const welfare = f.msps.deserialize(f.user('MOHWMSP', 'welfare').serialize());
            expect(welfare.subject).to.equal('CN=welfare@mohw.example.gov,OU=client,L=Seoul,ST=Seoul,C=KR');
            expect(welfare.attrs).to.include({ role: 'department', dept: 'welfare', 'hf.EnrollmentID': 'welfare' });
            expect(f.msps.deserialize(f.user('SeoulMSP', 'issuer1').serialize()).attrs.role).to.equal('issuer');
            expect(f.msps.deserialize(f.user('AuditMSP', 'auditor1').serialize()).attrs.role).to.equal('auditor');
            expect(f.msps.deserialize(f.user('MOISMSP', 'service-admin1').serialize()).attrs.role).to.equal('service-admin');
            expect(f.msps.deserialize(f.user('SeoulMSP', 'User1').serialize()).attrs).to.not.have.property('role');
        });

        it("When fabric-shim's ClientIdentity reads the same creator, Then it sees the same MSP id and attributes", () => {
            const user = f.user('MOISMSP', 'resident-registration');
            const sid = msp.SerializedIdentity.deserializeBinary(user.serialize());
            const stub = {
                getChannelID: () => 'citizencards',
                getTxID: () => 'tx1',
                getCreator: () => ({ mspid: sid.getMspid(), idBytes: sid.getIdBytes_asU8() }),
            };
            const cid = new ClientIdentity(stub as never);
            expect(cid.getMSPID()).to.equal('MOISMSP');
            expect(cid.getAttributeValue('role')).to.equal('department');
            expect(cid.getAttributeValue('dept')).to.equal('resident-registration');
            expect(cid.assertAttributeValue('role', 'department')).to.equal(true);
            expect(cid.getID()).to.contain('/OU=client/CN=resident-registration@mois.example.gov');
            expect(f.msps.deserialize(user.serialize()).attrs.dept).to.equal(cid.getAttributeValue('dept'));
        });

        it('When the same creator is deserialized twice, Then the cached identity is returned', () => {
            const bytes = f.user('SeoulMSP', 'citizen-agent').serialize();
            expect(f.msps.deserialize(bytes)).to.equal(f.msps.deserialize(Uint8Array.from(bytes)));
        });
    });

    describe('Given identities the channel must refuse', () => {
        it('When the MSP is not in the channel, Then MSP_UNKNOWN', () => {
            const pem = f.user('SeoulMSP', 'User1').certificatePem;
            const e = thrown(() => f.msps.deserialize(serializeIdentity('BusanMSP', pem)));
            expect(e).to.be.instanceOf(MspError);
            expect(e.code).to.equal('MSP_UNKNOWN');
        });

        it('When a certificate claims the wrong MSP, Then CERT_UNTRUSTED', () => {
            const pem = f.user('SeoulMSP', 'User1').certificatePem;
            expect(thrown(() => f.msps.deserialize(serializeIdentity('MOISMSP', pem))).code).to.equal('CERT_UNTRUSTED');
        });

        it('When the certificate comes from a CA unknown to the channel (same name as the real CA), Then CERT_UNTRUSTED', async () => {
            const test = await issueTestIdentity({ topology: f.topology, mspId: 'SeoulMSP', untrusted: true });
            expect(thrown(() => f.msps.deserialize(serializeIdentity('SeoulMSP', test.certificatePem))).code).to.equal('CERT_UNTRUSTED');
        });

        it("When the certificate of the real CA has expired, Then it is valid as Fabric's MSP sees it, and CERT_EXPIRED when asked at a time", async () => {
            const test = await issueTestIdentity({ topology: f.topology, mspId: 'SeoulMSP', expired: true });
            const creator = serializeIdentity('SeoulMSP', test.certificatePem);
            // Fabric's MSP validates the chain as of the certificate's NotBefore: expiry is the orderer's to refuse.
            expect(f.msps.deserialize(creator).role).to.equal('client');
            expect(identityExpiresAt(creator)?.getTime()).to.be.below(Date.now());
            expect(thrown(() => f.msps.deserialize(creator, new Date())).code).to.equal('CERT_EXPIRED');
            const identity = newSigningIdentity('SeoulMSP', test.certificatePem, test.privateKeyPem);
            expect(thrown(() => f.msps.verify(creator, Buffer.from('x'), identity.sign(Buffer.from('x')), new Date())).code).to.equal(
                'CERT_EXPIRED',
            );
            const issued = Date.parse(new crypto.X509Certificate(test.certificatePem).validFrom);
            expect(f.msps.deserialize(creator, new Date(issued + 30_000)).role).to.equal('client');
        });

        describe("Given a CA that was valid for one day, two days ago (Fabric's MSP checks the chain one second after the identity's NotBefore)", () => {
            const day = 86_400_000;
            let ca: LoadedCa;
            let msps: MspManager;
            let creatorAfter: Uint8Array;
            let creatorBefore: Uint8Array;
            let creatorBrief: Uint8Array;
            const issue = async (notBefore: number, notAfter: number) => {
                const keys = (await crypto.webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
                    'sign',
                    'verify',
                ])) as crypto.webcrypto.CryptoKeyPair;
                const cert = await signCertificate(ca, keys.publicKey, {
                    subject: 'CN=someone, OU=client, O=OldMSP',
                    notBefore: new Date(notBefore),
                    notAfter: new Date(notAfter),
                });
                return serializeIdentity('OldMSP', cert.toString('pem'));
            };
            before(async () => {
                const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
                const keys = (await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as crypto.webcrypto.CryptoKeyPair;
                const cert = await x509.X509CertificateGenerator.createSelfSigned({
                    serialNumber: '01',
                    name: 'CN=ca.old.example.gov, O=old.example.gov',
                    notBefore: new Date(Date.now() - 2 * day),
                    notAfter: new Date(Date.now() - day),
                    keys,
                    signingAlgorithm: alg,
                    extensions: [
                        new x509.BasicConstraintsExtension(true, undefined, true),
                        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
                        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
                    ],
                });
                ca = { cert, pem: cert.toString('pem'), key: keys.privateKey };
                const config = new msp.FabricMSPConfig();
                config.setName('OldMSP');
                config.setRootCertsList([Buffer.from(ca.pem)]);
                msps = new MspManager([config]);
                creatorAfter = await issue(Date.now() - 3600_000, Date.now() + day);
                creatorBefore = await issue(Date.now() - 3 * day, Date.now() - 1.5 * day);
                const from = Math.floor((Date.now() - 1.5 * day) / 1000) * 1000;
                creatorBrief = await issue(from, from);
            });

            it('When an identity was issued within the CA’s validity and both have expired since, Then it is still valid (a block it signed validates)', async () => {
                const creator = await issue(Date.now() - 2 * day + 3600_000, Date.now() - day - 3600_000);
                expect(msps.deserialize(creator).mspId).to.equal('OldMSP');
                expect(identityExpiresAt(creator)?.getTime()).to.be.below(Date.now());
            });

            it('When an identity was issued after the CA expired, Then CERT_UNTRUSTED: x509 certificate has expired or is not yet valid (the CA)', async () => {
                const error = thrown(() => msps.deserialize(creatorAfter));
                expect(error.code).to.equal('CERT_UNTRUSTED');
                expect(error.message).to.match(
                    /could not obtain certification chain: the supplied identity is not valid: x509: certificate has expired or is not yet valid: current time \S+Z is after \S+Z \(the CA [^)]*CN=ca\.old\.example\.gov[^)]*\)$/,
                );
            });

            it('When an identity claims a NotBefore before the CA existed, Then CERT_UNTRUSTED: current time is before the CA’s NotBefore', async () => {
                const error = thrown(() => msps.deserialize(creatorBefore));
                expect(error.code).to.equal('CERT_UNTRUSTED');
                expect(error.message).to.match(
                    /x509: certificate has expired or is not yet valid: current time \S+Z is before \S+Z \(the CA /,
                );
            });

            it('When an identity was valid for less than a second, Then CERT_UNTRUSTED: it is not valid one second after its NotBefore', async () => {
                const error = thrown(() => msps.deserialize(creatorBrief));
                expect(error.code).to.equal('CERT_UNTRUSTED');
                expect(error.message).to.match(/current time \S+Z is after \S+Z$/);
            });
        });

        it('When a test identity is fresh from the real CA, Then it is accepted with its attributes', async () => {
            const test = await issueTestIdentity({ topology: f.topology, mspId: 'MOHWMSP', attrs: { role: 'department', dept: 'care' } });
            expect(f.msps.deserialize(serializeIdentity('MOHWMSP', test.certificatePem)).attrs.dept).to.equal('care');
        });

        it('When the CA certificate itself is presented as an identity, Then IDENTITY_INVALID', () => {
            const caPem = fs.readFileSync(`${paths.orgDir(f.topology, 'SeoulMSP')}/ca/ca-cert.pem`, 'utf8');
            expect(thrown(() => f.msps.deserialize(serializeIdentity('SeoulMSP', caPem))).code).to.equal('IDENTITY_INVALID');
        });

        it('When id_bytes are not a certificate, Then IDENTITY_INVALID', () => {
            expect(thrown(() => f.msps.deserialize(serializeIdentity('SeoulMSP', 'hello'))).code).to.equal('IDENTITY_INVALID');
            const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
            expect(thrown(() => f.msps.deserialize(serializeIdentity('SeoulMSP', broken))).code).to.equal('IDENTITY_INVALID');
            expect(thrown(() => f.msps.deserialize(Buffer.from([1, 2, 3]))).code).to.equal('IDENTITY_INVALID');
        });

        it('When the certificate has no NodeOU role the MSP knows, Then IDENTITY_INVALID', async () => {
            const test = await issueTestIdentity({ topology: f.topology, mspId: 'SeoulMSP', nodeOu: 'peer' });
            expect(f.msps.deserialize(serializeIdentity('SeoulMSP', test.certificatePem)).role).to.equal('peer');
            // An MSP whose NodeOUs name other OUs does not recognise "peer".
            const config = mspConfigFromDir(paths.orgMsp(f.topology, 'SeoulMSP'), 'SeoulMSP');
            const ous = config.getFabricNodeOus()!;
            for (const id of [
                ous.getClientOuIdentifier(),
                ous.getPeerOuIdentifier(),
                ous.getAdminOuIdentifier(),
                ous.getOrdererOuIdentifier(),
            ]) {
                id!.setOrganizationalUnitIdentifier(`x-${id!.getOrganizationalUnitIdentifier()}`);
            }
            const strict = new MspManager([config]);
            expect(thrown(() => strict.deserialize(serializeIdentity('SeoulMSP', test.certificatePem))).code).to.equal('IDENTITY_INVALID');
        });
    });

    describe('Given MSP configurations', () => {
        it('When one has no root certificate or is defined twice, Then MSP_CONFIG_INVALID', () => {
            const empty = new msp.FabricMSPConfig();
            empty.setName('EmptyMSP');
            expect(thrown(() => new MspManager([empty])).code).to.equal('MSP_CONFIG_INVALID');
            const seoul = mspConfigFromDir(paths.orgMsp(f.topology, 'SeoulMSP'), 'SeoulMSP');
            expect(thrown(() => new MspManager([seoul, seoul])).code).to.equal('MSP_CONFIG_INVALID');
        });

        it('When built from the org folders, Then it lists the MSP ids and their TLS root certificates', () => {
            expect(f.msps.mspIds).to.have.members(['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP']);
            const tls = fs.readFileSync(paths.tlsRootCert(f.topology, 'AuditMSP'), 'utf8');
            expect(f.msps.tlsRootCerts('AuditMSP')).to.deep.equal([tls]);
        });
    });

    describe('Given a validator verifying many signatures', () => {
        it('When one identity verifies 2000 signatures, Then it takes well under a millisecond each', () => {
            const user = f.user('SeoulMSP', 'User1');
            const creator = user.serialize();
            const data = Buffer.alloc(2048, 7);
            const sig = user.sign(data);
            f.msps.verify(creator, data, sig);
            const t0 = process.hrtime.bigint();
            for (let i = 0; i < 2000; i++) f.msps.verify(creator, data, sig);
            const us = Number(process.hrtime.bigint() - t0) / 2000 / 1000;
            expect(us, `MspManager.verify: ${us.toFixed(0)} µs/signature`).to.be.lessThan(1000);
        });
    });
});
