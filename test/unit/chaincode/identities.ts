// Real X.509 client certificates for the stub's creator, issued per org by a test CA, with Fabric
// CA attributes in extension 1.2.3.4.5.6.7.8.1 so that fabric-shim's ClientIdentity parses them.

import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const FABRIC_ATTR_OID = '1.2.3.4.5.6.7.8.1';

export interface TestIdentity {
    name: string;
    mspId: string;
    certPem: string;
    attrs: Record<string, string>;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const cas = new Map<string, { cert: x509.X509Certificate; keys: CryptoKeyPair }>();
let serial = 1;

async function orgCa(mspId: string) {
    let ca = cas.get(mspId);
    if (!ca) {
        const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
        const cert = await x509.X509CertificateGenerator.createSelfSigned({
            serialNumber: (serial++).toString(16).padStart(2, '0'),
            name: `CN=ca.${mspId.toLowerCase()}.example.com, O=${mspId}`,
            notBefore: new Date('2020-01-01T00:00:00Z'),
            notAfter: new Date('2040-01-01T00:00:00Z'),
            signingAlgorithm: ALG,
            keys,
            extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
        });
        ca = { cert, keys };
        cas.set(mspId, ca);
    }
    return ca;
}

export async function makeIdentity(mspId: string, name: string, attrs: Record<string, string> = {}): Promise<TestIdentity> {
    const ca = await orgCa(mspId);
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const extensions: x509.Extension[] = [];
    if (Object.keys(attrs).length > 0) {
        const json = JSON.stringify({ attrs: { ...attrs, 'hf.EnrollmentID': name } });
        extensions.push(new x509.Extension(FABRIC_ATTR_OID, false, Buffer.from(json, 'utf8')));
    }
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        subject: `CN=${name}, OU=client, O=${mspId}`,
        issuer: ca.cert.subject,
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2040-01-01T00:00:00Z'),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: ca.keys.privateKey,
        extensions,
    });
    return { name, mspId, certPem: cert.toString('pem'), attrs };
}
