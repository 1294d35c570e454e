// The citizen-app client signs documents the chaincode accepts: valid DTOs, verifiable signatures.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import {
    NONCE_PATTERN,
    parseArgs,
    SignedAccessLogListRequest,
    SignedAuthChallenge,
    SignedCardSuspension,
    SignedConsentReceipt,
    SignedConsentWithdrawal,
    SignedKeyRotation,
    verifyDeviceSignature,
} from '../../../chaincode/model';
import { DeviceKey, encodeStreamRequest } from '../../../gateway/citizen/device';
import { run } from '../../../gateway/citizen/cli';

describe('citizen-app client', () => {
    const key = DeviceKey.generate();
    const pub = key.publicKeyBase64();

    it('signs every document kind in the chaincode format, and the signatures verify with the registered key', () => {
        const docs: [object, { document: object; signature: string }][] = [
            [
                SignedConsentReceipt,
                key.consent({
                    cardId: 'card-0001',
                    serviceId: 'svc-welfare-1',
                    recipientMspId: 'MOHWMSP',
                    purpose: 'pension',
                    items: ['name'],
                    retentionDays: 30,
                }),
            ],
            [SignedConsentWithdrawal, key.withdraw('card-0001', 'consent-0001')],
            [SignedCardSuspension, key.reportLost('card-0001')],
            [SignedKeyRotation, key.rotateTo('card-0001', DeviceKey.generate().publicKeyBase64())],
            [SignedAccessLogListRequest, key.accessLogRequest('card-0001')],
            [SignedAuthChallenge, key.signChallenge('card-0001', 'challenge-nonce-0123456789', 'MOHWMSP')],
        ];
        for (const [cls, signed] of docs) {
            const parsed = parseArgs(cls as never, JSON.stringify(signed)) as { document: object; signature: string };
            expect(verifyDeviceSignature(pub, parsed.document, parsed.signature)).to.equal(true);
        }
    });

    it('a signature does not verify for an altered document or another key', () => {
        const s = key.withdraw('card-0001', 'consent-0001');
        expect(verifyDeviceSignature(pub, { ...s.document, consentId: 'consent-0002' }, s.signature)).to.equal(false);
        expect(verifyDeviceSignature(DeviceKey.generate().publicKeyBase64(), s.document, s.signature)).to.equal(false);
    });

    it('uses a fresh nonce for every document', () => {
        expect(key.reportLost('card-0001').document.nonce).not.to.equal(key.reportLost('card-0001').document.nonce);
    });

    it('CLI: keygen writes a 0600 key file, refuses to overwrite it, and signs with it', () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'citizen-')), 'device.pem');
        const lines: string[] = [];
        run(['keygen', '--key', file], (s) => lines.push(s));
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
        expect(() => run(['keygen', '--key', file], () => undefined)).to.throw();
        const { devicePublicKey } = JSON.parse(lines[0]) as { devicePublicKey: string };
        const out: string[] = [];
        run(['withdraw', '--key', file, '--card', 'card-0001', '--consent', 'consent-0001'], (s) => out.push(s));
        const signed = JSON.parse(out[0]) as { document: object; signature: string };
        expect(verifyDeviceSignature(devicePublicKey, signed.document, signed.signature)).to.equal(true);
        // A rotation to a key held elsewhere (the web tracker's), named by its public key only.
        const browserKey = DeviceKey.generate().publicKeyBase64();
        const rotation: string[] = [];
        run(['rotate', '--key', file, '--card', 'card-0001', '--new-public-key', browserKey], (s) => rotation.push(s));
        const rotated = JSON.parse(rotation[0]) as { document: { newDevicePublicKey: string }; signature: string };
        expect(rotated.document.newDevicePublicKey).to.equal(browserKey);
        expect(verifyDeviceSignature(devicePublicKey, rotated.document, rotated.signature)).to.equal(true);
        expect(() =>
            run(
                [
                    'consent',
                    '--key',
                    file,
                    '--card',
                    'c-1',
                    '--service',
                    's-1',
                    '--recipient',
                    'M',
                    '--purpose',
                    'p',
                    '--items',
                    'shoeSize',
                ],
                () => undefined,
            ),
        ).to.throw(/shoeSize/);
    });

    it('CLI sign-challenge: Given no --challenge, Then it signs a fresh nonce the chaincode accepts; Given a 14-character one, Then it refuses before signing', () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'citizen-')), 'device.pem');
        run(['keygen', '--key', file], () => undefined);
        const out: string[] = [];
        run(['sign-challenge', '--key', file, '--card', 'card-0001', '--verifier', 'MOHWMSP'], (s) => out.push(s));
        const signed = parseArgs(SignedAuthChallenge as never, out[0]) as { document: { nonce: string } };
        expect(signed.document.nonce).to.match(NONCE_PATTERN);
        const short = ['sign-challenge', '--key', file, '--card', 'card-0001', '--verifier', 'MOHWMSP', '--challenge', 'nonce-00000001'];
        expect(() => run(short, () => undefined)).to.throw(/USAGE: --challenge must be 16 to 128 characters.*got 14/);
    });

    it('CLI usage explains every argument the commands take', () => {
        const out: string[] = [];
        run(['help'], (s) => out.push(s));
        for (const arg of [
            '--key',
            '--card',
            '--verifier',
            '--challenge',
            '--service',
            '--recipient',
            '--purpose',
            '--items',
            '--predicates',
            '--retention-days',
            '--consent',
            '--reason',
            '--new-key',
            '--stream',
        ]) {
            expect(out[0], arg).to.match(new RegExp(`^  ${arg} `, 'm'));
        }
    });

    it('encodes the SSE request as base64url JSON', () => {
        const s = key.accessLogRequest('card-0001');
        expect(JSON.parse(Buffer.from(encodeStreamRequest(s), 'base64url').toString())).to.deep.equal(s);
    });
});
