// The devnet's Fabric CA server through the shared client and raw HTTPS: what it issues, and each
// refusal answered as fabric-ca-server v1.5.21 answers it (status, code, message; checked against
// the real server), with nothing issued.
import * as crypto from 'node:crypto';
import { expect } from 'chai';
import * as x509 from '@peculiar/x509';
import { createToken, newCsr } from '../../../network/client/fabric-ca-client';
import { decodeEcdsaSignature, encodeEcdsaSignature, P256_N } from '../../../network/client/signing';
import { type CaFixture, rawRequest, refusal, startCa } from './fixture';

const ATTRS_OID = '1.2.3.4.5.6.7.8.1';

function attrsOf(certificatePem: string): unknown {
    const ext = new x509.X509Certificate(certificatePem).getExtension(ATTRS_OID);
    return ext ? JSON.parse(Buffer.from(ext.value).toString('utf8')) : undefined;
}

const certCount = (f: CaFixture, id: string) => f.registry.revokedCertificates().length + countGood(f, id);
function countGood(f: CaFixture, id: string): number {
    return (f.registry as unknown as { db: { prepare(s: string): { get(...a: unknown[]): { n: number } } } }).db
        .prepare("SELECT COUNT(*) AS n FROM certificates WHERE id = ? AND status = 'good'")
        .get(id).n;
}

describe('devnet Fabric CA: REST API', function () {
    this.timeout(30_000);
    let f: CaFixture;
    before(async () => {
        f = await startCa();
    });
    after(async () => f?.close());

    describe('Given the bootstrap registrar', () => {
        it("cainfo answers the CA chain in Fabric CA's envelope, byte for byte", async () => {
            const r = await rawRequest(f, 'GET', '/api/v1/cainfo');
            expect(r.status).to.equal(200);
            expect(r.text).to.match(
                /^\{"result":\{"CAName":"","CAChain":"[A-Za-z0-9+/=]+","IssuerPublicKey":"","IssuerRevocationPublicKey":"","Version":"1\.5\.21"\}\n,"errors":\[\],"messages":\[\],"success":true\}$/,
            );
            expect(Buffer.from(String((r.json.result as { CAChain: string }).CAChain), 'base64').toString()).to.contain(
                'BEGIN CERTIFICATE',
            );
            const info = await f.client.getCaInfo();
            expect(info.version).to.equal('1.5.21');
        });

        it('register + enroll issue a client certificate with the ecert attributes in 1.2.3.4.5.6.7.8.1', async () => {
            const { secret } = await f.client.register(f.admin, {
                id: 'welfare-portal',
                type: 'client',
                attrs: [
                    { name: 'role', value: 'department', ecert: true },
                    { name: 'dept', value: 'welfare', ecert: true },
                    { name: 'note', value: 'not in certs' },
                ],
            });
            expect(secret).to.be.a('string').with.length.greaterThan(8);
            const e = await f.client.enroll({
                enrollmentId: 'welfare-portal',
                secret,
                csr: { names: { C: 'KR', O: 'mohw.example.gov', OU: 'ignored' } },
            });
            const cert = new crypto.X509Certificate(e.certificatePem);
            expect(cert.subject.split('\n')).to.deep.equal(['C=KR', 'O=mohw.example.gov', 'OU=client', 'CN=welfare-portal']);
            expect(attrsOf(e.certificatePem)).to.deep.equal({
                attrs: {
                    dept: 'welfare',
                    'hf.Affiliation': '',
                    'hf.EnrollmentID': 'welfare-portal',
                    'hf.Type': 'client',
                    role: 'department',
                },
            });
            expect(cert.checkIssued(new crypto.X509Certificate(e.rootCertsPem[0]))).to.equal(true);
            expect(cert.checkPrivateKey(crypto.createPrivateKey(e.privateKeyPem))).to.equal(true);
        });

        it('the register answer is 201 with a Location header, as fabric-ca-server', async () => {
            const body = JSON.stringify({ id: 'raw-one', type: 'client', secret: 's3cret', affiliation: '' });
            const r = await rawRequest(f, 'POST', '/register', body, {
                Authorization: createToken(f.admin, 'POST', '/register', Buffer.from(body)),
            });
            expect(r.status).to.equal(201);
            expect(r.text).to.equal('{"result":{"secret":"s3cret"}\n,"errors":[],"messages":[],"success":true}');
        });

        it('attribute requests choose the attributes; a missing required one is refused (500, code 0)', async () => {
            const { secret } = await f.client.register(f.admin, {
                id: 'picky',
                attrs: [{ name: 'role', value: 'auditor' }],
                maxEnrollments: 5,
            });
            const e = await f.client.enroll({
                enrollmentId: 'picky',
                secret,
                attrReqs: [{ name: 'role' }, { name: 'dept', optional: true }],
            });
            expect(attrsOf(e.certificatePem)).to.deep.equal({ attrs: { role: 'auditor' } });
            const err = await refusal(f.client.enroll({ enrollmentId: 'picky', secret, attrReqs: [{ name: 'dept' }] }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([
                500,
                0,
                'Failed to find requested attributes: The following required attributes are missing: [dept]',
            ]);
        });

        it('peer, orderer and admin types get their NodeOU', async () => {
            for (const type of ['peer', 'orderer', 'admin']) {
                const { secret } = await f.client.register(f.admin, { id: `node-${type}`, type });
                const e = await f.client.enroll({ enrollmentId: `node-${type}`, secret });
                expect(new crypto.X509Certificate(e.certificatePem).subject).to.contain(`OU=${type}`);
            }
        });

        it('reenroll gives the identity a new key and certificate without counting an enrollment', async () => {
            const { secret } = await f.client.register(f.admin, {
                id: 'once',
                maxEnrollments: 1,
                attrs: [{ name: 'role', value: 'issuer', ecert: true }],
            });
            const first = await f.client.enroll({ enrollmentId: 'once', secret });
            const again = await f.client.reenroll(first);
            expect(again.certificatePem).to.not.equal(first.certificatePem);
            expect(attrsOf(again.certificatePem)).to.deep.include({
                attrs: { 'hf.Affiliation': '', 'hf.EnrollmentID': 'once', 'hf.Type': 'client', role: 'issuer' },
            });
            expect(await f.client.reenroll(again)).to.have.property('certificatePem');
        });

        it('identities: list, get and modify', async () => {
            const list = await f.client.listIdentities(f.admin);
            expect(list.map((i) => i.id)).to.include.members(['admin', 'welfare-portal']);
            const portal = await f.client.getIdentity(f.admin, 'welfare-portal');
            expect(portal).to.deep.include({ id: 'welfare-portal', type: 'client', affiliation: '', max_enrollments: -1 });
            const modified = await f.client.modifyIdentity(f.admin, 'welfare-portal', {
                maxEnrollments: 3,
                attrs: [{ name: 'dept', value: 'care', ecert: true }],
            });
            expect(modified.max_enrollments).to.equal(3);
            expect(modified.attrs).to.deep.include({ name: 'dept', value: 'care', ecert: true });
            // The list is streamed by Fabric CA: its exact bytes.
            const raw = await rawRequest(f, 'GET', '/api/v1/identities', undefined, {
                Authorization: createToken(f.admin, 'GET', '/api/v1/identities', Buffer.alloc(0)),
            });
            expect(raw.text).to.match(
                /^\{"result":\{"identities":\[\{"id":"admin","type":"client","affiliation":"","attrs":\[.*\], "caname":""\},"errors":\[\],"messages":\[\],"success":true\}$/,
            );
            expect(portal).to.not.have.property('caname');
            const missing = await refusal(f.client.getIdentity(f.admin, 'nobody'));
            expect([missing.status, missing.caCode, missing.caMessage]).to.deep.equal([
                404,
                63,
                'Failed to get User: sql: no rows in result set',
            ]);
        });
    });

    describe('refusals, as Fabric CA answers them, with nothing issued', () => {
        it('a wrong secret: 401, code 20 "Authentication failure"', async () => {
            await f.client.register(f.admin, { id: 'guessed', secret: 'right' });
            const err = await refusal(f.client.enroll({ enrollmentId: 'guessed', secret: 'wrong' }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([401, 20, 'Authentication failure']);
            expect(countGood(f, 'guessed')).to.equal(0);
        });

        it('a tenth wrong secret locks the identity: 401, code 73, and the right secret no longer works', async () => {
            await f.client.register(f.admin, { id: 'locked', secret: 'right' });
            for (let i = 0; i < 10; i++) await refusal(f.client.enroll({ enrollmentId: 'locked', secret: `wrong-${i}` }));
            const err = await refusal(f.client.enroll({ enrollmentId: 'locked', secret: 'right' }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([
                401,
                73,
                'Incorrect password entered 10 times, max incorrect password limit of 10 reached',
            ]);
            expect(countGood(f, 'locked')).to.equal(0);
        });

        it('an unknown identity: 401, code 20', async () => {
            const err = await refusal(f.client.enroll({ enrollmentId: 'ghost', secret: 'x' }));
            expect([err.status, err.caCode]).to.deep.equal([401, 20]);
        });

        it('an enrollment beyond max enrollments: 401, code 20', async () => {
            const { secret } = await f.client.register(f.admin, { id: 'twice', maxEnrollments: 2 });
            await f.client.enroll({ enrollmentId: 'twice', secret });
            await f.client.enroll({ enrollmentId: 'twice', secret });
            const err = await refusal(f.client.enroll({ enrollmentId: 'twice', secret }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([401, 20, 'Authentication failure']);
            expect(countGood(f, 'twice')).to.equal(2);
        });

        it('max enrollments below -1 at registration: 400, code 82', async () => {
            const err = await refusal(f.client.register(f.admin, { id: 'neg', maxEnrollments: -2 }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([
                400,
                82,
                'Max enrollment in registration request may not be less than -1, but was -2',
            ]);
        });

        it('an identity registered twice: 409, code 74', async () => {
            const err = await refusal(f.client.register(f.admin, { id: 'guessed' }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([409, 74, "Identity 'guessed' is already registered"]);
        });

        describe('Given a registrar that may register clients with the role attribute only', () => {
            let limited: Awaited<ReturnType<CaFixture['client']['enroll']>>;
            before(async () => {
                const { secret } = await f.client.register(f.admin, {
                    id: 'small-registrar',
                    attrs: [
                        { name: 'hf.Registrar.Roles', value: 'client' },
                        { name: 'hf.Registrar.Attributes', value: 'role' },
                    ],
                });
                limited = await f.client.enroll({ enrollmentId: 'small-registrar', secret });
            });

            it('it registers a client with role', async () => {
                const r = await f.client.register(limited, { id: 'by-small', attrs: [{ name: 'role', value: 'auditor', ecert: true }] });
                expect(r.secret).to.be.a('string');
            });

            const denied: [string, Parameters<CaFixture['client']['register']>[1]][] = [
                ['a type outside hf.Registrar.Roles (peer)', { id: 'p1', type: 'peer' }],
                ['an attribute outside hf.Registrar.Attributes (dept)', { id: 'c1', attrs: [{ name: 'dept', value: 'x' }] }],
                [
                    'hf.Revoker, which it does not own',
                    {
                        id: 'c2',
                        attrs: [
                            { name: 'hf.Registrar.Attributes', value: 'role' },
                            { name: 'hf.Revoker', value: 'true' },
                        ],
                    },
                ],
            ];
            for (const [what, req] of denied) {
                it(`it may not register ${what}: 403, code 71 "Authorization failure"`, async () => {
                    const err = await refusal(f.client.register(limited, req));
                    expect([err.status, err.caCode, err.caMessage]).to.deep.equal([403, 71, 'Authorization failure']);
                    expect(f.registry.getUser(req.id)).to.equal(undefined);
                });
            }

            it('it may not revoke (no hf.Revoker): 403, code 71', async () => {
                const err = await refusal(f.client.revoke(limited, { id: 'by-small' }));
                expect([err.status, err.caCode]).to.deep.equal([403, 71]);
            });

            it('it may not generate a CRL (no hf.GenCRL): 403, code 71', async () => {
                const err = await refusal(f.client.generateCrl(limited));
                expect([err.status, err.caCode]).to.deep.equal([403, 71]);
            });
        });

        it('fixed attributes (hf.EnrollmentID) may not be registered, even by the bootstrap registrar: 403, code 71', async () => {
            const err = await refusal(f.client.register(f.admin, { id: 'forger', attrs: [{ name: 'hf.EnrollmentID', value: 'admin' }] }));
            expect([err.status, err.caCode]).to.deep.equal([403, 71]);
        });

        it('a client identity (no hf.Registrar.Roles) may not register: 403, code 71', async () => {
            const { secret } = await f.client.register(f.admin, { id: 'plain' });
            const plain = await f.client.enroll({ enrollmentId: 'plain', secret });
            const err = await refusal(f.client.register(plain, { id: 'by-plain' }));
            expect([err.status, err.caCode]).to.deep.equal([403, 71]);
        });

        describe('malformed CSRs (the password is right; the enrollment is not counted)', () => {
            const basic = { Authorization: `Basic ${Buffer.from('csr-user:csr-pw').toString('base64')}` };
            before(async () => f.client.register(f.admin, { id: 'csr-user', secret: 'csr-pw', maxEnrollments: 1 }));
            const cases: [string, () => Promise<string>, number, number, string | RegExp][] = [
                ['an empty body', async () => '', 400, 4, 'Empty request body'],
                ['a body that is not JSON', async () => 'not json', 400, 5, /^Invalid request body: .*; body=not json$/],
                ['no PEM', async () => JSON.stringify({ certificate_request: 'garbage' }), 400, 31, 'CSR Decode failed'],
                [
                    'a PEM that is not a CSR',
                    async () => JSON.stringify({ certificate_request: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }),
                    500,
                    0,
                    '{"code":9300,"message":"not a certificate or csr"}',
                ],
                [
                    'a CSR whose DER does not parse',
                    async () =>
                        JSON.stringify({
                            certificate_request: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
                        }),
                    500,
                    0,
                    /^asn1: structure error: /,
                ],
                [
                    'a CSR for another name',
                    async () => JSON.stringify({ certificate_request: (await newCsr('someone-else')).csrPem }),
                    403,
                    77,
                    'The CSR subject common name must equal the enrollment ID',
                ],
                [
                    'a CN longer than 64 characters',
                    async () =>
                        JSON.stringify({
                            certificate_request: (await newCsr('csr-user', { cn: 'csr-user', names: { O: 'o'.repeat(65) } })).csrPem,
                        }),
                    400,
                    80,
                    `CSR input validation failed: The organization name '${'o'.repeat(65)}' exceeds the maximum character limit of 64`,
                ],
            ];
            for (const [what, body, status, code, message] of cases) {
                it(`${what}: ${status}, code ${code}`, async () => {
                    const r = await rawRequest(f, 'POST', '/api/v1/enroll', await body(), basic);
                    expect([r.status, r.json.success, r.json.errors[0].code]).to.deep.equal([status, false, code]);
                    if (typeof message === 'string') expect(r.json.errors[0].message).to.equal(message);
                    else expect(r.json.errors[0].message).to.match(message);
                    expect(countGood(f, 'csr-user')).to.equal(0);
                });
            }
            it('after all of them, its one enrollment is still there to use', async () => {
                const e = await f.client.enroll({ enrollmentId: 'csr-user', secret: 'csr-pw' });
                expect(e.certificatePem).to.contain('BEGIN CERTIFICATE');
            });
        });

        it('a method the endpoint does not take: 405, code 1', async () => {
            const r = await rawRequest(f, 'DELETE', '/api/v1/enroll');
            expect(r.text).to.equal(
                '{"result":"","errors":[{"code":1,"message":"Method DELETE is not allowed"}\n],"messages":[],"success":false}',
            );
            expect(r.status).to.equal(405);
        });
    });

    describe('the token check', () => {
        const body = JSON.stringify({ id: 'token-test' });
        const send = (authorization?: string, uri = '/api/v1/register', payload = body) =>
            rawRequest(f, 'POST', uri, payload, authorization ? { Authorization: authorization } : {});

        it('no Authorization header: 401, code 2 "No authorization header"', async () => {
            const r = await send();
            expect([r.status, r.json.errors[0]]).to.deep.equal([401, { code: 2, message: 'No authorization header' }]);
        });

        const forged: [string, () => Promise<string>][] = [
            ['a token of one part', async () => 'abc'],
            [
                'a token signed over another body',
                async () => createToken(f.admin, 'POST', '/api/v1/register', Buffer.from('{"id":"other"}')),
            ],
            ['a token signed for another URI', async () => createToken(f.admin, 'POST', '/register', Buffer.from(body))],
            ['a token signed for another method', async () => createToken(f.admin, 'PUT', '/api/v1/register', Buffer.from(body))],
            [
                'a token whose signature has a high S',
                async () => {
                    const [cert, sig] = createToken(f.admin, 'POST', '/api/v1/register', Buffer.from(body)).split('.');
                    const der = Buffer.from(sig, 'base64');
                    const rs = decodeEcdsaSignature(der)!;
                    return `${cert}.${Buffer.from(encodeEcdsaSignature(rs.r, P256_N - rs.s)).toString('base64')}`;
                },
            ],
            [
                'a token of a certificate from another CA',
                async () => {
                    const keys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
                    const webKeys = {
                        privateKey: await crypto.webcrypto.subtle.importKey(
                            'pkcs8',
                            keys.privateKey.export({ format: 'der', type: 'pkcs8' }),
                            { name: 'ECDSA', namedCurve: 'P-256' },
                            true,
                            ['sign'],
                        ),
                        publicKey: await crypto.webcrypto.subtle.importKey(
                            'spki',
                            keys.publicKey.export({ format: 'der', type: 'spki' }),
                            { name: 'ECDSA', namedCurve: 'P-256' },
                            true,
                            ['verify'],
                        ),
                    };
                    const self = await x509.X509CertificateGenerator.createSelfSigned({
                        serialNumber: '01',
                        name: 'CN=admin',
                        keys: webKeys,
                        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
                    });
                    return createToken(
                        {
                            certificatePem: self.toString('pem'),
                            privateKeyPem: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
                        },
                        'POST',
                        '/api/v1/register',
                        Buffer.from(body),
                    );
                },
            ],
        ];
        for (const [what, token] of forged) {
            it(`${what}: 401, code 20, nothing registered`, async () => {
                const r = await send(await token());
                expect([r.status, r.json.errors[0]]).to.deep.equal([401, { code: 20, message: 'Authentication failure' }]);
                expect(f.registry.getUser('token-test')).to.equal(undefined);
            });
        }

        it('a token of the right registrar, body and URI is accepted', async () => {
            const r = await send(createToken(f.admin, 'POST', '/api/v1/register', Buffer.from(body)));
            expect(r.status).to.equal(201);
            expect(f.registry.getUser('token-test')?.type).to.equal('client');
        });
    });

    describe('revocation', () => {
        it('a revoked identity may not enroll again, nor use its certificate; the CRL lists its certificates', async () => {
            const { secret } = await f.client.register(f.admin, { id: 'leaver', secret: 'pw', maxEnrollments: 5 });
            const e = await f.client.enroll({ enrollmentId: 'leaver', secret });
            const serial = new crypto.X509Certificate(e.certificatePem).serialNumber.toLowerCase().replace(/^0+/, '');
            const r = await f.client.revoke(f.admin, { id: 'leaver', reason: 'keycompromise', genCrl: true });
            expect(r.revokedCerts.map((c) => c.Serial)).to.deep.equal([serial]);
            const crl = new x509.X509Crl(r.crlPem as string);
            expect(crl.entries.map((x) => x.serialNumber.replace(/^0+/, ''))).to.include(serial);
            expect(await crl.verify({ publicKey: await new x509.X509Certificate(e.rootCertsPem[0]).publicKey.export() })).to.equal(true);
            const again = await refusal(f.client.enroll({ enrollmentId: 'leaver', secret }));
            expect([again.status, again.caCode, again.caMessage]).to.deep.equal([401, 20, 'Authentication failure']);
            const reuse = await refusal(f.client.reenroll(e));
            expect([reuse.status, reuse.caCode]).to.deep.equal([401, 20]);
            expect((await f.client.listIdentities(f.admin)).map((i) => i.id)).to.not.include('leaver');
            const crlAgain = new x509.X509Crl(await f.client.generateCrl(f.admin));
            expect(crlAgain.entries.map((x) => x.serialNumber.replace(/^0+/, ''))).to.include(serial);
        });

        it('an unknown identity: 404, code 10', async () => {
            const err = await refusal(f.client.revoke(f.admin, { id: 'nobody' }));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([
                404,
                10,
                'Identity nobody was not found: Failed to get User: sql: no rows in result set',
            ]);
        });

        it('neither a name nor a serial: 400, code 15', async () => {
            const err = await refusal(f.client.revoke(f.admin, {}));
            expect([err.status, err.caCode, err.caMessage]).to.deep.equal([
                400,
                15,
                'Either Name or Serial and AKI are required for a revoke request',
            ]);
        });

        it('one certificate by serial and AKI; twice: 404, code 66', async () => {
            const { secret } = await f.client.register(f.admin, { id: 'one-cert' });
            const e = await f.client.enroll({ enrollmentId: 'one-cert', secret });
            const c = new x509.X509Certificate(e.certificatePem);
            const aki = c.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId as string;
            const r = await f.client.revoke(f.admin, { serial: c.serialNumber, aki });
            expect(r.revokedCerts).to.have.length(1);
            const err = await refusal(f.client.revoke(f.admin, { serial: c.serialNumber, aki }));
            expect([err.status, err.caCode]).to.deep.equal([404, 66]);
        });
    });

    describe('restarts', () => {
        it('keeps identities and certificates across a restart', async () => {
            const restarted = await startCa(f.dbFile);
            try {
                expect(restarted.registry.getUser('welfare-portal')?.maxEnrollments).to.equal(3);
                const err = await refusal(restarted.client.enroll({ enrollmentId: 'leaver', secret: 'pw' }));
                expect(err.caCode).to.equal(20);
                expect(certCount(restarted, 'twice')).to.be.greaterThan(0);
            } finally {
                await restarted.close();
            }
        });

        it('does not register the bootstrap registrar twice', () => {
            expect(() => f.server.service.bootstrap('admin', 'other-secret')).to.not.throw();
            expect(f.registry.checkSecret('admin', 'registrar-secret')).to.equal(true);
        });
    });
});
