// An MSP with an intermediate CA, as Fabric CA deployments often have: identities must be issued
// by a leaf of the MSP's certification tree, and NodeOU certifiers are honoured.
import 'reflect-metadata';
import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { expect } from 'chai';
import { msp } from '@hyperledger/fabric-protos';
import { serializeIdentity } from '../../../network/devnet/msp/identity';
import { MspManager } from '../../../network/devnet/msp/msp';
import { thrown } from './fixture';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface Ca {
    cert: x509.X509Certificate;
    keys: crypto.webcrypto.CryptoKeyPair;
}

async function keys(): Promise<crypto.webcrypto.CryptoKeyPair> {
    return (await crypto.webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as crypto.webcrypto.CryptoKeyPair;
}

async function issue(subject: string, issuer: Ca | undefined, isCa: boolean): Promise<Ca> {
    const k = await keys();
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: crypto
            .randomBytes(8)
            .toString('hex')
            .replace(/^[89a-f]/, '1'),
        subject,
        issuer: issuer ? issuer.cert.subject : subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        publicKey: k.publicKey,
        signingKey: (issuer ?? { keys: k }).keys.privateKey,
        signingAlgorithm: ALG,
        extensions: [new x509.BasicConstraintsExtension(isCa, undefined, true)],
    });
    return { cert, keys: k };
}

function ou(cert: x509.X509Certificate | undefined, id: string): msp.FabricOUIdentifier {
    const o = new msp.FabricOUIdentifier();
    o.setOrganizationalUnitIdentifier(id);
    if (cert) o.setCertificate(Buffer.from(cert.toString('pem')));
    return o;
}

describe('msp/msp with an intermediate CA', () => {
    let root: Ca;
    let intermediate: Ca;
    let manager: MspManager;

    before(async () => {
        root = await issue('CN=root.example.gov', undefined, true);
        intermediate = await issue('CN=ica.example.gov', root, true);
        const config = new msp.FabricMSPConfig();
        config.setName('IcaMSP');
        config.setRootCertsList([Buffer.from(root.cert.toString('pem'))]);
        config.setIntermediateCertsList([Buffer.from(intermediate.cert.toString('pem'))]);
        const nodeOUs = new msp.FabricNodeOUs();
        nodeOUs.setEnable(true);
        nodeOUs.setClientOuIdentifier(ou(intermediate.cert, 'client'));
        nodeOUs.setPeerOuIdentifier(ou(root.cert, 'peer'));
        nodeOUs.setAdminOuIdentifier(ou(undefined, 'admin'));
        config.setFabricNodeOus(nodeOUs);
        manager = new MspManager([config]);
    });

    const creator = (c: Ca) => serializeIdentity('IcaMSP', c.cert.toString('pem'));

    it('When a client is issued by the intermediate, Then it is valid', async () => {
        expect(manager.deserialize(creator(await issue('OU=client, CN=app', intermediate, false))).role).to.equal('client');
        expect(manager.deserialize(creator(await issue('OU=admin, CN=boss', intermediate, false))).role).to.equal('admin');
    });

    it('When an identity is issued directly by the root above the intermediate, Then CERT_UNTRUSTED', async () => {
        const direct = await issue('OU=client, CN=direct', root, false);
        expect(thrown(() => manager.deserialize(creator(direct))).code).to.equal('CERT_UNTRUSTED');
    });

    it('When a NodeOU names a certifier that did not issue the identity, Then IDENTITY_INVALID', async () => {
        // The peer OU must be certified by the root, but only the intermediate may issue identities.
        const peer = await issue('OU=peer, CN=peer0', intermediate, false);
        expect(thrown(() => manager.deserialize(creator(peer))).code).to.equal('IDENTITY_INVALID');
    });

    it('When an intermediate does not chain to a root, Then MSP_CONFIG_INVALID', async () => {
        const stranger = await issue('CN=stranger', undefined, true);
        const orphan = await issue('CN=orphan-ica', stranger, true);
        const config = new msp.FabricMSPConfig();
        config.setName('BadMSP');
        config.setRootCertsList([Buffer.from(root.cert.toString('pem'))]);
        config.setIntermediateCertsList([Buffer.from(orphan.cert.toString('pem'))]);
        expect(thrown(() => new MspManager([config])).code).to.equal('MSP_CONFIG_INVALID');
    });
});
