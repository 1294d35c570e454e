import './quiet.js';
import { expect } from 'chai';
import { signDocument } from '../../../chaincode/model/signed.js';
import { MSP, PERSONAL_DATA_COLLECTION, TRANSIENT_PERSONAL, TRANSIENT_SALT_SEED } from '../../../chaincode/model/vocabulary.js';
import { commitmentAnchorKey, personalRecordKey } from '../../../chaincode/keys.js';
import { ISSUER_ONLY, TestNet, expectRefusal, newDevice, nonce, samplePerson, type Device } from './harness.js';

describe('CardContract', () => {
    let net: TestNet;
    let device: Device;
    const cardId = 'card-0001';

    beforeEach(async () => {
        net = await TestNet.create();
        device = newDevice();
    });

    const issueStep1 = (id = cardId, person = samplePerson(), extra = {}) =>
        net.submit<{ commitments: Record<string, string>; anchorHash: string }>(
            net.ids.issuer,
            'CardContract:IssuePersonalRecord',
            { cardId: id, subjectId: `subj-${id}` },
            {
                peers: ISSUER_ONLY,
                transient: { [TRANSIENT_PERSONAL]: JSON.stringify(person), [TRANSIENT_SALT_SEED]: Buffer.alloc(32, 7) },
                ...extra,
            },
        );

    describe('issue', () => {
        it('Given personal data in transient, When issued in two steps, Then the private record is on the issuer only and the card holds commitments', async () => {
            const card = await net.issueCard(cardId, device);
            expect(card).to.include({
                cardId,
                subjectId: `subj-${cardId}`,
                status: 'ACTIVE',
                devicePublicKey: device.publicKey,
                version: 1,
            });
            expect(card.issuedAt).to.equal('2026-06-01T00:00:00.000Z'.replace('00:00:00', '00:00:02'));
            expect(card.expiresAt).to.equal('2031-06-01T00:00:02.000Z');
            expect(Object.keys(card.commitments as object)).to.have.length(9);
            const record = net.ledger.pvt.get(PERSONAL_DATA_COLLECTION)?.get(personalRecordKey(cardId));
            expect(record?.toString()).to.include('Kim Minji');
            expect(net.ledger.pvtHash.get(PERSONAL_DATA_COLLECTION)?.has(commitmentAnchorKey(cardId))).to.equal(true);
            // Events carry ids only.
            const last = net.ledger.committed.at(-1);
            expect(last?.event?.name).to.equal('CardCreated');
            expect(JSON.parse(last?.event?.payload.toString() ?? '{}')).to.have.keys('cardId', 'txId');
        });

        it('Given step 1, When CreateCard is endorsed by non-member peers only, Then they endorse from the hash alone', async () => {
            const s1 = await issueStep1();
            const card = await net.submit(
                net.ids.issuer,
                'CardContract:CreateCard',
                {
                    cardId,
                    subjectId: `subj-${cardId}`,
                    devicePublicKey: device.publicKey,
                    validityYears: 5,
                    commitments: s1.commitments,
                },
                { peers: [MSP.MOIS, MSP.MOHW, MSP.AUDIT] },
            );
            expect(card.status).to.equal('ACTIVE');
        });

        it('When a non-issuer peer is asked to endorse step 1, Then PEER_NOT_MEMBER', async () => {
            await expectRefusal(issueStep1(cardId, samplePerson(), { peers: [MSP.MOIS] }), 'PEER_NOT_MEMBER');
        });

        it('When a non-issuer identity issues, Then UNAUTHORIZED_ROLE (another org claiming role=issuer, Seoul user without role)', async () => {
            for (const id of [net.ids.fakeIssuer, net.ids.seoulUser, net.ids.auditor]) {
                await expectRefusal(
                    net.submit(id, 'CardContract:IssuePersonalRecord', { cardId, subjectId: 's-1' }, { peers: ISSUER_ONLY }),
                    'UNAUTHORIZED_ROLE',
                );
                await expectRefusal(net.submit(id, 'CardContract:CreateCard', { cardId }), 'UNAUTHORIZED_ROLE');
            }
        });

        it('When transient data is missing, short or malformed, Then TRANSIENT_MISSING or INVALID_ARGUMENT without echoing values', async () => {
            const args = { cardId, subjectId: 'subj-x' };
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:IssuePersonalRecord', args, { peers: ISSUER_ONLY }),
                'TRANSIENT_MISSING',
            );
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:IssuePersonalRecord', args, {
                    peers: ISSUER_ONLY,
                    transient: { personal: JSON.stringify(samplePerson()), saltSeed: Buffer.alloc(8) },
                }),
                'TRANSIENT_MISSING',
            );
            const bad = { ...samplePerson(), residentNumber: 'not-a-number' };
            const msg = await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:IssuePersonalRecord', args, {
                    peers: ISSUER_ONLY,
                    transient: { personal: JSON.stringify(bad), saltSeed: Buffer.alloc(32) },
                }),
                'INVALID_ARGUMENT',
            );
            expect(msg).to.not.include('not-a-number');
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:IssuePersonalRecord', args, {
                    peers: ISSUER_ONLY,
                    transient: { personal: JSON.stringify({ ...samplePerson(), birthDate: '1958-02-30' }), saltSeed: Buffer.alloc(32) },
                }),
                'INVALID_ARGUMENT',
            );
        });

        it('When personal data is passed as an argument, Then INVALID_ARGUMENT (unknown members are refused)', async () => {
            await expectRefusal(
                net.submit(
                    net.ids.issuer,
                    'CardContract:IssuePersonalRecord',
                    { cardId, subjectId: 's-1', name: 'x' },
                    { peers: ISSUER_ONLY },
                ),
                'INVALID_ARGUMENT',
            );
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:IssuePersonalRecord', 'not json', { peers: ISSUER_ONLY }),
                'INVALID_ARGUMENT',
            );
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:IssuePersonalRecord', '[1]', { peers: ISSUER_ONLY }),
                'INVALID_ARGUMENT',
            );
        });

        it('When the record or card exists already, Then RECORD_EXISTS / CARD_EXISTS', async () => {
            await issueStep1();
            await expectRefusal(issueStep1(), 'RECORD_EXISTS');
            await net.issueCard('card-0002', device);
            await expectRefusal(issueStep1('card-0002'), 'CARD_EXISTS');
            const card = await net.evaluate(net.ids.issuer, 'CardContract:GetCard', { cardId: 'card-0002' });
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:CreateCard', {
                    cardId: 'card-0002',
                    subjectId: 'subj-card-0002',
                    devicePublicKey: device.publicKey,
                    validityYears: 5,
                    commitments: card.commitments,
                }),
                'CARD_EXISTS',
            );
        });

        it('When CreateCard has no committed record or altered commitments or a bad key, Then RECORD_NOT_FOUND / RECORD_MISMATCH / INVALID_ARGUMENT', async () => {
            const s1 = await issueStep1();
            const base = {
                cardId,
                subjectId: `subj-${cardId}`,
                devicePublicKey: device.publicKey,
                validityYears: 5,
                commitments: s1.commitments,
            };
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:CreateCard', { ...base, cardId: 'card-9999' }),
                'RECORD_NOT_FOUND',
            );
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:CreateCard', { ...base, subjectId: 'subj-other' }),
                'RECORD_MISMATCH',
            );
            const altered = { ...s1.commitments, disability: '0'.repeat(64) };
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:CreateCard', { ...base, commitments: altered }),
                'RECORD_MISMATCH',
            );
            const rsa =
                'MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAL7Cf2mA2mUU3jQJ6t2YbS0pM8r0ClAz4qI8bq8Tn0N1Hq8K3Wm2tSxq7a3k6Xw9Wq3T1ZmYb0vX4K9s0Qm8bP0CAwEAAQ==';
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:CreateCard', { ...base, devicePublicKey: rsa }),
                'INVALID_ARGUMENT',
            );
        });
    });

    describe('lifecycle', () => {
        beforeEach(async () => {
            await net.issueCard(cardId, device);
        });

        it('suspend -> reinstate -> revoke, with state checks', async () => {
            let card = await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'ADMINISTRATIVE' });
            expect(card).to.include({ status: 'SUSPENDED', statusReason: 'ADMINISTRATIVE', version: 2 });
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'ADMINISTRATIVE' }),
                'CARD_INVALID_STATE',
            );
            card = await net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId, reason: 'RECOVERED' });
            expect(card.status).to.equal('ACTIVE');
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId, reason: 'RECOVERED' }),
                'CARD_INVALID_STATE',
            );
            card = await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId, reason: 'DECEASED' });
            expect(card.status).to.equal('REVOKED');
            await expectRefusal(net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId, reason: 'DECEASED' }), 'CARD_REVOKED');
            await expectRefusal(net.submit(net.ids.issuer, 'CardContract:RenewCard', { cardId, validityYears: 1 }), 'CARD_REVOKED');
            await expectRefusal(net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId, reason: 'RECOVERED' }), 'CARD_REVOKED');
        });

        it('renews from the transaction time', async () => {
            net.tick(86_400);
            const card = await net.submit(net.ids.issuer, 'CardContract:RenewCard', { cardId, validityYears: 2 });
            expect(card.expiresAt).to.equal('2028-06-02T00:00:04.000Z');
        });

        it('refuses free-text reasons, unknown cards and non-issuers', async () => {
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'lost it at Kim Minji house' }),
                'INVALID_ARGUMENT',
            );
            await expectRefusal(
                net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId: 'card-none', reason: 'FRAUD' }),
                'CARD_NOT_FOUND',
            );
            for (const fcn of ['SuspendCard', 'ReinstateCard', 'RevokeCard']) {
                await expectRefusal(net.submit(net.ids.auditor, `CardContract:${fcn}`, { cardId, reason: 'FRAUD' }), 'UNAUTHORIZED_ROLE');
            }
            await expectRefusal(net.submit(net.ids.welfare, 'CardContract:RenewCard', { cardId, validityYears: 1 }), 'UNAUTHORIZED_ROLE');
            await expectRefusal(net.evaluate(net.ids.welfare, 'CardContract:GetCard', { cardId: 'card-none' }), 'CARD_NOT_FOUND');
        });

        it('an unknown transaction is refused with a code', async () => {
            await expectRefusal(net.submit(net.ids.issuer, 'CardContract:DropTable', { cardId }), 'INVALID_ARGUMENT');
        });

        describe('citizen suspension (lost device)', () => {
            const suspension = () => ({ type: 'CardSuspension', cardId, reason: 'LOST_DEVICE', nonce: nonce(), issuedAt: net.iso() });

            it('Given a request signed by the device key, Then the card is suspended, and a replay is refused', async () => {
                const signed = signDocument(suspension(), device.privateKey);
                const card = await net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', signed);
                expect(card).to.include({ status: 'SUSPENDED', statusReason: 'LOST_DEVICE' });
                await net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId, reason: 'RECOVERED' });
                await expectRefusal(net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', signed), 'SIGNED_REQUEST_REPLAYED');
            });

            it('refuses a forged, altered, stale or misaddressed request, and a caller that is not the citizen app', async () => {
                const other = newDevice();
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', signDocument(suspension(), other.privateKey)),
                    'SIGNATURE_INVALID',
                );
                const signed = signDocument(suspension(), device.privateKey);
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', {
                        ...signed,
                        document: { ...signed.document, reason: 'FRAUD' },
                    }),
                    'SIGNATURE_INVALID',
                );
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', { ...signed, signature: 'AAAAAAAAAAAAAAAA' }),
                    'SIGNATURE_INVALID',
                );
                const stale = signDocument({ ...suspension(), issuedAt: net.iso(-3600) }, device.privateKey);
                await expectRefusal(net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', stale), 'SIGNED_REQUEST_EXPIRED');
                await expectRefusal(net.submit(net.ids.welfare, 'CardContract:SuspendCardByCitizen', signed), 'UNAUTHORIZED_ROLE');
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:SuspendCardByCitizen', {
                        ...signed,
                        document: { ...signed.document, type: 'KeyRotation' },
                    }),
                    'INVALID_ARGUMENT',
                );
            });
        });

        describe('device key rotation', () => {
            it('Given a rotation signed by the old key, Then the new key is bound; the old key no longer works', async () => {
                const next = newDevice();
                const doc = { type: 'KeyRotation', cardId, newDevicePublicKey: next.publicKey, nonce: nonce(), issuedAt: net.iso() };
                const card = await net.submit(net.ids.citizen, 'CardContract:RotateDeviceKey', signDocument(doc, device.privateKey));
                expect(card.devicePublicKey).to.equal(next.publicKey);
                const again = { ...doc, newDevicePublicKey: newDevice().publicKey, nonce: nonce(), issuedAt: net.iso() };
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:RotateDeviceKey', signDocument(again, device.privateKey)),
                    'SIGNATURE_INVALID',
                );
                const same = { ...doc, newDevicePublicKey: next.publicKey, nonce: nonce(), issuedAt: net.iso() };
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:RotateDeviceKey', signDocument(same, next.privateKey)),
                    'INVALID_ARGUMENT',
                );
            });

            it('refuses rotation of a suspended card by the citizen, but lets the issuer rebind it', async () => {
                await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'LOST_DEVICE' });
                const next = newDevice();
                const doc = { type: 'KeyRotation', cardId, newDevicePublicKey: next.publicKey, nonce: nonce(), issuedAt: net.iso() };
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:RotateDeviceKey', signDocument(doc, device.privateKey)),
                    'CARD_SUSPENDED',
                );
                const card = await net.submit(net.ids.issuer, 'CardContract:RotateDeviceKeyByIssuer', {
                    cardId,
                    newDevicePublicKey: next.publicKey,
                    reason: 'DEVICE_REPLACED',
                });
                expect(card.devicePublicKey).to.equal(next.publicKey);
                await expectRefusal(
                    net.submit(net.ids.issuer, 'CardContract:RotateDeviceKeyByIssuer', {
                        cardId,
                        newDevicePublicKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                        reason: 'DEVICE_REPLACED',
                    }),
                    'INVALID_ARGUMENT',
                );
                await expectRefusal(
                    net.submit(net.ids.citizen, 'CardContract:RotateDeviceKeyByIssuer', {
                        cardId,
                        newDevicePublicKey: next.publicKey,
                        reason: 'DEVICE_REPLACED',
                    }),
                    'UNAUTHORIZED_ROLE',
                );
            });
        });

        describe('erasure', () => {
            it('Given a revoked card, When erased, Then the private record is purged and the card records it', async () => {
                await expectRefusal(
                    net.submit(net.ids.issuer, 'CardContract:ErasePersonalRecord', { cardId }, { peers: ISSUER_ONLY }),
                    'CARD_INVALID_STATE',
                );
                await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId, reason: 'CITIZEN_REQUEST' });
                await expectRefusal(net.submit(net.ids.issuer, 'CardContract:ConfirmErasure', { cardId }), 'RECORD_EXISTS');
                await expectRefusal(
                    net.submit(net.ids.issuer, 'CardContract:ErasePersonalRecord', { cardId }, { peers: [MSP.MOHW] }),
                    'PEER_NOT_MEMBER',
                );
                const r = await net.submit(net.ids.issuer, 'CardContract:ErasePersonalRecord', { cardId }, { peers: ISSUER_ONLY });
                expect(r).to.deep.equal({ cardId, purged: true });
                expect(net.ledger.committed.at(-1)?.pvtWrites.get(PERSONAL_DATA_COLLECTION)?.get(personalRecordKey(cardId))).to.equal(
                    'purge',
                );
                expect(net.ledger.pvt.get(PERSONAL_DATA_COLLECTION)?.has(personalRecordKey(cardId))).to.equal(false);
                expect(net.ledger.pvtHash.get(PERSONAL_DATA_COLLECTION)?.has(commitmentAnchorKey(cardId))).to.equal(false);
                await expectRefusal(
                    net.submit(net.ids.issuer, 'CardContract:ErasePersonalRecord', { cardId }, { peers: ISSUER_ONLY }),
                    'RECORD_NOT_FOUND',
                );
                const card = await net.submit(net.ids.issuer, 'CardContract:ConfirmErasure', { cardId });
                expect(card.erasedAt).to.be.a('string');
                await expectRefusal(net.submit(net.ids.issuer, 'CardContract:ConfirmErasure', { cardId }), 'CARD_INVALID_STATE');
                await expectRefusal(net.submit(net.ids.welfare, 'CardContract:ConfirmErasure', { cardId }), 'UNAUTHORIZED_ROLE');
            });
        });

        describe('authentication', () => {
            const challenge = (extra = {}) => ({
                type: 'AuthChallenge',
                cardId,
                verifierMspId: MSP.MOHW,
                nonce: nonce(),
                issuedAt: net.iso(),
                ...extra,
            });

            it('Given a challenge signed by the device key, Then authenticated with public facts only', async () => {
                const r = await net.evaluate(
                    net.ids.welfare,
                    'CardContract:AuthenticateCard',
                    signDocument(challenge(), device.privateKey),
                    { peers: [MSP.MOHW] },
                );
                expect(r).to.deep.include({ authenticated: true, cardId, status: 'ACTIVE' });
                expect(Object.keys(r).sort()).to.deep.equal(['authenticated', 'cardId', 'expiresAt', 'status', 'subjectId']);
            });

            it('refuses a wrong key, another verifier, a stale challenge and a suspended card', async () => {
                await expectRefusal(
                    net.evaluate(net.ids.welfare, 'CardContract:AuthenticateCard', signDocument(challenge(), newDevice().privateKey)),
                    'SIGNATURE_INVALID',
                );
                await expectRefusal(
                    net.evaluate(net.ids.resReg, 'CardContract:AuthenticateCard', signDocument(challenge(), device.privateKey)),
                    'SIGNATURE_INVALID',
                );
                await expectRefusal(
                    net.evaluate(
                        net.ids.welfare,
                        'CardContract:AuthenticateCard',
                        signDocument(challenge({ issuedAt: net.iso(-7200) }), device.privateKey),
                    ),
                    'SIGNED_REQUEST_EXPIRED',
                );
                await expectRefusal(
                    net.evaluate(
                        net.ids.welfare,
                        'CardContract:AuthenticateCard',
                        signDocument(challenge({ cardId: 'card-zzz' }), device.privateKey),
                    ),
                    'CARD_NOT_FOUND',
                );
                await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'FRAUD' });
                await expectRefusal(
                    net.evaluate(net.ids.welfare, 'CardContract:AuthenticateCard', signDocument(challenge(), device.privateKey)),
                    'CARD_SUSPENDED',
                );
            });

            it('refuses an expired card', async () => {
                net.tick(6 * 366 * 86_400);
                await expectRefusal(
                    net.evaluate(net.ids.welfare, 'CardContract:AuthenticateCard', signDocument(challenge(), device.privateKey)),
                    'CARD_EXPIRED',
                );
            });
        });
    });
});
