// Mutual TLS beside API keys: a client certificate issued by the org's CA names its app by CN;
// one of another CA, one naming no app, or one that disagrees with the API key does not.
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { expect } from 'chai';
import { listen } from '../../../gateway/http/listen';
import { buildFixture, type Fixture } from './fixture';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type Keys = webcrypto.CryptoKeyPair;

interface Issued {
    cert: string;
    key: string;
}
interface Ca {
    cert: x509.X509Certificate;
    keys: Keys;
    pem: string;
}

const keyPem = async (k: webcrypto.CryptoKey) =>
    createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k)), format: 'der', type: 'pkcs8' })
        .export({ format: 'pem', type: 'pkcs8' })
        .toString();
const newKeys = async () => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as Keys;
let serial = 1;
const window = () => ({ notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 3600_000) });

async function newCa(name: string): Promise<Ca> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        name: `CN=${name}, O=${name}`,
        ...window(),
        keys,
        signingAlgorithm: ALG,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ],
    });
    return { cert, keys, pem: cert.toString('pem') };
}

/** A leaf as Fabric CA enrolls one (CN = enrollment ID, OU=client), or a server certificate for 127.0.0.1. */
async function issue(ca: Ca, cn: string, server = false): Promise<Issued> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        subject: server ? `CN=${cn}` : `CN=${cn}, OU=client`,
        issuer: ca.cert.subject,
        ...window(),
        publicKey: keys.publicKey,
        signingKey: ca.keys.privateKey,
        signingAlgorithm: ALG,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            ...(server ? [new x509.SubjectAlternativeNameExtension([{ type: 'ip' as const, value: '127.0.0.1' }])] : []),
        ],
    });
    return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

describe('gateway mutual TLS (optional, beside API keys)', function () {
    this.timeout(30_000);
    let f: Fixture;
    let server: import('node:http').Server;
    let port: number;
    let orgCa: Ca;
    const certs: Record<string, Issued> = {};
    const identities: string[] = [];

    before(async () => {
        orgCa = await newCa('ca.mohw.example.gov');
        const otherCa = await newCa('ca.elsewhere.example');
        certs.server = await issue(orgCa, 'gateway.mohw.example.gov', true);
        certs.welfare = await issue(orgCa, 'welfare-app');
        // cryptogen's (and the devnet CA's) form of the same name.
        certs.welfareAtDomain = await issue(orgCa, 'welfare-app@mohw.example.gov');
        certs.unknown = await issue(orgCa, 'no-such-app');
        certs.forged = await issue(otherCa, 'welfare-app');
        f = buildFixture({ script: (_fn, arg) => ({ cardId: arg.cardId, status: 'ACTIVE' }) });
        const evaluate = f.fabric.evaluate.bind(f.fabric);
        f.fabric.evaluate = async (identity, req) => {
            identities.push(identity);
            return evaluate(identity, req);
        };
        server = await listen(f.gw.app, {
            host: '127.0.0.1',
            port: 0,
            headersTimeoutMs: 5_000,
            requestTimeoutMs: 10_000,
            tls: { cert: Buffer.from(certs.server.cert), key: Buffer.from(certs.server.key), clientCa: [Buffer.from(orgCa.pem)] },
        });
        port = (server.address() as AddressInfo).port;
    });
    after(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        f.close();
    });
    beforeEach(() => identities.splice(0));

    const get = (client: Issued | undefined, headers: Record<string, string> = {}) =>
        new Promise<{ status: number; body: { code?: string } }>((resolve, reject) => {
            const req = https.request(
                {
                    host: '127.0.0.1',
                    port,
                    path: '/v1/cards/card-0001',
                    headers,
                    ca: orgCa.pem,
                    ...(client ? { cert: client.cert, key: client.key } : {}),
                    agent: false,
                },
                (res) => {
                    let text = '';
                    res.on('data', (d) => (text += d));
                    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
                },
            );
            req.on('error', reject);
            req.end();
        });

    it("Given a certificate of the org's CA naming an app, Then the request runs as that app's Fabric identity, without an API key", async () => {
        for (const cert of [certs.welfare, certs.welfareAtDomain]) expect((await get(cert)).status).to.equal(200);
        expect(identities).to.deep.equal(['welfare', 'welfare']);
    });

    it('Given no certificate, Then the API key still authenticates', async () => {
        expect((await get(undefined, f.auth('other-app'))).status).to.equal(200);
        expect(identities).to.deep.equal(['other']);
    });

    for (const [what, client] of [
        ['a certificate of another CA with the same CN', 'forged'],
        ["a certificate of the org's CA that names no app", 'unknown'],
    ] as const) {
        it(`Given ${what} and no key, Then 401 and no Fabric call`, async () => {
            const res = await get(certs[client]);
            expect(res.status).to.equal(401);
            expect(res.body.code).to.equal('UNAUTHENTICATED');
            expect(identities).to.deep.equal([]);
        });
    }

    it("Given a certificate and another app's API key, Then 401: the two must name the same app", async () => {
        const res = await get(certs.welfare, f.auth('other-app'));
        expect(res.status).to.equal(401);
        expect(identities).to.deep.equal([]);
        expect((await get(certs.welfare, f.auth('welfare-app'))).status, 'the same app twice is fine').to.equal(200);
    });

    it('Given the app is disabled, Then its certificate no longer authenticates', async () => {
        await f.apps.disable('welfare-app');
        expect((await get(certs.welfare)).status).to.equal(401);
    });
});
