// Signing identities and signatures: low-S, tampering, serialization, the fabric-gateway signers.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { signers } from '@hyperledger/fabric-gateway';
import {
    decodeEcdsaSignature,
    deserializeIdentity,
    encodeEcdsaSignature,
    isLowS,
    loadSigningIdentity,
    newFastSigner,
    newMessageSigner,
    newSigningIdentity,
    P256_N,
    serializeIdentity,
    toLowS,
} from '../../../network/devnet/msp/identity';
import { paths } from '../../../network/client/topology';
import { mspFixture, MspFixture, thrown, rejected } from './fixture';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest();

describe('msp/identity', () => {
    let f: MspFixture;
    before(async () => {
        f = await mspFixture();
    });

    describe('Given a user loaded from its MSP folder', () => {
        it('When it signs 200 messages, Then every signature is low-S and verifies through the MspManager', () => {
            const user = f.user('SeoulMSP', 'User1');
            for (let i = 0; i < 200; i++) {
                const data = Buffer.from(`message ${i}`);
                const sig = user.sign(data);
                expect(isLowS(sig), `signature ${i}`).to.equal(true);
                expect(f.msps.verify(user.serialize(), data, sig).mspId).to.equal('SeoulMSP');
            }
        });

        it('When a valid signature is turned into its high-S twin, Then node:crypto accepts it but the MspManager refuses it with BAD_SIGNATURE', () => {
            const user = f.user('SeoulMSP', 'User1');
            const data = Buffer.from('malleable');
            const { r, s } = decodeEcdsaSignature(user.sign(data))!;
            const high = encodeEcdsaSignature(r, P256_N - s);
            const publicKey = new crypto.X509Certificate(user.certificatePem).publicKey;
            expect(crypto.verify('sha256', data, publicKey, high)).to.equal(true);
            expect(isLowS(high)).to.equal(false);
            expect(thrown(() => f.msps.verify(user.serialize(), data, high)).code).to.equal('BAD_SIGNATURE');
            expect(isLowS(toLowS(high))).to.equal(true);
            expect(f.msps.verify(user.serialize(), data, toLowS(high)).role).to.equal('client');
        });

        it('When the data or the signature is tampered with, Then verification fails with BAD_SIGNATURE', () => {
            const user = f.user('MOISMSP', 'User1');
            const data = Buffer.from('original');
            const sig = Buffer.from(user.sign(data));
            expect(thrown(() => f.msps.verify(user.serialize(), Buffer.from('originaL'), sig)).code).to.equal('BAD_SIGNATURE');
            const flipped = Buffer.from(sig);
            flipped[flipped.length - 3] ^= 0x01;
            expect(thrown(() => f.msps.verify(user.serialize(), data, flipped)).code).to.equal('BAD_SIGNATURE');
            expect(thrown(() => f.msps.verify(user.serialize(), data, Buffer.from('not der'))).code).to.equal('BAD_SIGNATURE');
            expect(thrown(() => f.msps.verify(user.serialize(), data, new Uint8Array())).code).to.equal('BAD_SIGNATURE');
        });

        it('When another identity signs, Then the signature does not verify as the user', () => {
            const user = f.user('MOISMSP', 'User1');
            const other = f.user('MOISMSP', 'Admin');
            const data = Buffer.from('whose?');
            expect(thrown(() => f.msps.verify(user.serialize(), data, other.sign(data))).code).to.equal('BAD_SIGNATURE');
        });
    });

    describe('Given serialized identities', () => {
        it('When serialized, Then id_bytes are the PEM bytes and the round trip keeps the MSP id', () => {
            const user = f.user('AuditMSP', 'auditor1');
            const sid = deserializeIdentity(serializeIdentity('AuditMSP', user.certificatePem));
            expect(sid.getMspid()).to.equal('AuditMSP');
            expect(Buffer.from(sid.getIdBytes_asU8()).toString('utf8')).to.equal(user.certificatePem);
            expect(Buffer.from(user.serialize())).to.deep.equal(Buffer.from(serializeIdentity('AuditMSP', user.certificatePem)));
        });

        it('When bytes are not a SerializedIdentity or lack fields, Then deserializeIdentity refuses with IDENTITY_INVALID', () => {
            expect(thrown(() => deserializeIdentity(Buffer.from([0xff, 0xff, 0xff]))).code).to.equal('IDENTITY_INVALID');
            expect(thrown(() => deserializeIdentity(new Uint8Array())).code).to.equal('IDENTITY_INVALID');
            expect(thrown(() => serializeIdentity('', 'x')).code).to.equal('IDENTITY_INVALID');
        });
    });

    describe('Given MSP folders that are not usable', () => {
        it('When the folder is missing, Then loading refuses with MSP_DIR_INVALID', () => {
            expect(thrown(() => loadSigningIdentity('/nonexistent/msp', 'SeoulMSP')).code).to.equal('MSP_DIR_INVALID');
        });

        it('When the key does not match the certificate, Then it refuses with KEY_MISMATCH', () => {
            const a = f.user('SeoulMSP', 'User1');
            const keyOfB = loadSigningIdentity(path.join(paths.userDir(f.topology, 'SeoulMSP', 'Admin'), 'msp'), 'SeoulMSP');
            const pemOfBKey = fs.readFileSync(
                path.join(paths.userDir(f.topology, 'SeoulMSP', 'Admin'), 'msp', 'keystore', 'priv_sk'),
                'utf8',
            );
            expect(keyOfB.mspId).to.equal('SeoulMSP');
            expect(thrown(() => newSigningIdentity('SeoulMSP', a.certificatePem, pemOfBKey)).code).to.equal('KEY_MISMATCH');
        });
    });

    describe('Given the fabric-gateway signers', () => {
        const keyPem = () =>
            fs.readFileSync(path.join(paths.userDir(f.topology, 'SeoulMSP', 'User1'), 'msp', 'keystore', 'priv_sk'), 'utf8');

        it('When newFastSigner signs a SHA-256 digest, Then the signature is low-S and verifies over the original message', async () => {
            const user = f.user('SeoulMSP', 'User1');
            const sign = newFastSigner(keyPem());
            for (let i = 0; i < 100; i++) {
                const message = Buffer.from(`proposal ${i}`);
                const sig = await sign(sha256(message));
                expect(isLowS(sig)).to.equal(true);
                expect(f.msps.verify(user.serialize(), message, sig).mspId).to.equal('SeoulMSP');
            }
        });

        it('When newFastSigner gets something that is not a 32-byte digest, Then it rejects with DIGEST_INVALID', async () => {
            const sign = newFastSigner(keyPem());
            expect((await rejected(() => sign(Buffer.from('short')))).message).to.match(/^DIGEST_INVALID/);
        });

        it('When newMessageSigner signs a whole message (hash.none), Then it verifies over that message', async () => {
            const user = f.user('SeoulMSP', 'User1');
            const message = Buffer.from('whole message');
            const sig = await newMessageSigner(keyPem())(message);
            expect(isLowS(sig)).to.equal(true);
            expect(f.msps.verify(user.serialize(), message, sig).role).to.equal('client');
        });

        it('When timed against signers.newPrivateKeySigner, Then newFastSigner is faster', async () => {
            const pem = keyPem();
            const fast = newFastSigner(pem);
            const reference = signers.newPrivateKeySigner(crypto.createPrivateKey(pem));
            const digest = sha256(Buffer.from('timing'));
            const time = async (s: (d: Uint8Array) => Promise<Uint8Array>, n: number) => {
                await s(digest);
                const t0 = process.hrtime.bigint();
                for (let i = 0; i < n; i++) await s(digest);
                return Number(process.hrtime.bigint() - t0) / n / 1000;
            };
            const fastUs = await time(fast, 300);
            const refUs = await time(reference, 100);
            expect(fastUs, `newFastSigner ${fastUs.toFixed(0)} µs/signature, newPrivateKeySigner ${refUs.toFixed(0)}`).to.be.lessThan(
                refUs,
            );
        });
    });
});
