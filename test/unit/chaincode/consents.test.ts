import './quiet.js';
import { expect } from 'chai';
import { signDocument } from '../../../chaincode/model/signed.js';
import { MSP } from '../../../chaincode/model/vocabulary.js';
import { TestNet, expectRefusal, newDevice, nonce, type Device } from './harness.js';

describe('ConsentContract', () => {
    let net: TestNet;
    let device: Device;
    const cardId = 'card-0001';
    const svc = 'svc-welfare-senior';

    beforeEach(async () => {
        net = await TestNet.create();
        device = newDevice();
        await net.issueCard(cardId, device);
        await net.registerService(svc, net.ids.welfare);
    });

    const grant = (extra: Record<string, unknown> = {}, key = device.privateKey) =>
        net.submit<Record<string, unknown> & { consentId: string }>(
            net.ids.citizen,
            'ConsentContract:GrantConsent',
            signDocument(net.consentReceipt(cardId, svc, MSP.MOHW, extra), key),
        );

    it('Given a receipt signed by the device key, When granted, Then the consent is stored with its receipt hash and expiry', async () => {
        const c = await grant();
        expect(c).to.include({
            cardId,
            serviceId: svc,
            recipientMspId: 'MOHWMSP',
            recipientDept: 'welfare',
            status: 'ACTIVE',
            retentionDays: 30,
        });
        expect(c.consentId).to.match(/^[0-9a-f]{64}$/);
        expect(c.receiptHash).to.equal(c.consentId);
        expect(c.expiresAt).to.equal('2026-07-01T00:00:06.000Z');
        const event = net.ledger.committed.at(-1)?.event;
        expect(event?.name).to.equal('ConsentGranted');
        expect(JSON.parse(event?.payload.toString() ?? '{}')).to.have.keys('cardId', 'consentId', 'txId');
        const got = await net.evaluate(net.ids.welfare, 'ConsentContract:GetConsent', { consentId: c.consentId });
        expect(got.status).to.equal('ACTIVE');
        net.tick(31 * 86_400);
        const later = await net.evaluate(net.ids.auditor, 'ConsentContract:GetConsent', { consentId: c.consentId });
        expect(later.status).to.equal('EXPIRED');
    });

    it('refuses a forged or altered receipt, a replay, a stale receipt and a non-citizen caller', async () => {
        await expectRefusal(grant({}, newDevice().privateKey), 'SIGNATURE_INVALID');
        const signed = signDocument(net.consentReceipt(cardId, svc, MSP.MOHW), device.privateKey);
        await expectRefusal(
            net.submit(net.ids.citizen, 'ConsentContract:GrantConsent', {
                ...signed,
                document: { ...signed.document, items: ['name', 'district'] },
            }),
            'SIGNATURE_INVALID',
        );
        await expectRefusal(net.submit(net.ids.welfare, 'ConsentContract:GrantConsent', signed), 'UNAUTHORIZED_ROLE');
        await net.submit(net.ids.citizen, 'ConsentContract:GrantConsent', signed);
        await expectRefusal(net.submit(net.ids.citizen, 'ConsentContract:GrantConsent', signed), 'SIGNED_REQUEST_REPLAYED');
        await expectRefusal(grant({ issuedAt: net.iso(-10_000) }), 'SIGNED_REQUEST_EXPIRED');
    });

    it('refuses items beyond the service, another purpose or recipient, an inactive or unknown service, a suspended card', async () => {
        await expectRefusal(grant({ items: ['residentNumber'] }), 'ITEMS_NOT_ALLOWED');
        await expectRefusal(grant({ predicates: ['disability'] }), 'ITEMS_NOT_ALLOWED');
        await expectRefusal(grant({ purpose: 'marketing' }), 'PURPOSE_MISMATCH');
        await expectRefusal(grant({ recipientMspId: MSP.MOIS }), 'CONSENT_MISMATCH');
        await expectRefusal(grant({ serviceId: 'svc-none' }), 'SERVICE_NOT_FOUND');
        await expectRefusal(grant({ cardId: 'card-none' }), 'CARD_NOT_FOUND');
        await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'FRAUD' });
        await expectRefusal(grant(), 'CARD_SUSPENDED');
        await net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId, reason: 'RECOVERED' });
        await net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: svc });
        await expectRefusal(grant(), 'SERVICE_INACTIVE');
    });

    it('withdraws with a signed request; refuses a second withdrawal, another card, a forged or replayed request', async () => {
        const c = await grant();
        const withdrawal = (extra = {}) => ({
            type: 'ConsentWithdrawal',
            cardId,
            consentId: c.consentId,
            nonce: nonce(),
            issuedAt: net.iso(),
            ...extra,
        });
        await expectRefusal(
            net.submit(net.ids.citizen, 'ConsentContract:WithdrawConsent', signDocument(withdrawal(), newDevice().privateKey)),
            'SIGNATURE_INVALID',
        );
        await expectRefusal(
            net.submit(
                net.ids.citizen,
                'ConsentContract:WithdrawConsent',
                signDocument(withdrawal({ consentId: 'f'.repeat(64) }), device.privateKey),
            ),
            'CONSENT_NOT_FOUND',
        );
        const other = newDevice();
        await net.issueCard('card-0002', other);
        await expectRefusal(
            net.submit(
                net.ids.citizen,
                'ConsentContract:WithdrawConsent',
                signDocument(withdrawal({ cardId: 'card-0002' }), other.privateKey),
            ),
            'CONSENT_MISMATCH',
        );
        await expectRefusal(
            net.submit(net.ids.issuer, 'ConsentContract:WithdrawConsent', signDocument(withdrawal(), device.privateKey)),
            'UNAUTHORIZED_ROLE',
        );
        const signed = signDocument(withdrawal(), device.privateKey);
        const w = await net.submit(net.ids.citizen, 'ConsentContract:WithdrawConsent', signed);
        expect(w).to.include({ status: 'WITHDRAWN', version: 2 });
        expect(net.ledger.committed.at(-1)?.event?.name).to.equal('ConsentWithdrawn');
        await expectRefusal(net.submit(net.ids.citizen, 'ConsentContract:WithdrawConsent', signed), 'SIGNED_REQUEST_REPLAYED');
        await expectRefusal(
            net.submit(net.ids.citizen, 'ConsentContract:WithdrawConsent', signDocument(withdrawal(), device.privateKey)),
            'CONSENT_WITHDRAWN',
        );
    });

    it('lists by card and by recipient, with the right readers only', async () => {
        const a = await grant();
        const b = await grant({ items: ['district'] });
        const byCard = await net.evaluate<{ records: { consentId: string }[] }>(net.ids.citizen, 'ConsentContract:ListConsentsByCard', {
            cardId,
        });
        expect(byCard.records.map((r) => r.consentId).sort()).to.deep.equal([a.consentId, b.consentId].sort());
        const byRecipient = await net.evaluate<{ records: unknown[] }>(net.ids.welfare, 'ConsentContract:ListConsentsByRecipient', {
            recipientMspId: 'MOHWMSP',
        });
        expect(byRecipient.records).to.have.length(2);
        const audit = await net.evaluate<{ records: unknown[] }>(net.ids.auditor, 'ConsentContract:ListConsentsByRecipient', {
            recipientMspId: 'MOHWMSP',
            pageSize: 1,
        });
        expect(audit.records).to.have.length(1);
        await expectRefusal(
            net.evaluate(net.ids.resReg, 'ConsentContract:ListConsentsByRecipient', { recipientMspId: 'MOHWMSP' }),
            'UNAUTHORIZED_ROLE',
        );
        await expectRefusal(net.evaluate(net.ids.welfare, 'ConsentContract:ListConsentsByCard', { cardId }), 'UNAUTHORIZED_ROLE');
        await expectRefusal(net.evaluate(net.ids.resReg, 'ConsentContract:GetConsent', { consentId: a.consentId }), 'UNAUTHORIZED_ROLE');
        await expectRefusal(
            net.evaluate(net.ids.auditor, 'ConsentContract:GetConsent', { consentId: 'a'.repeat(64) }),
            'CONSENT_NOT_FOUND',
        );
    });
});
