import './quiet.js';
import { expect } from 'chai';
import { MSP } from '../../../chaincode/model/vocabulary.js';
import { TestNet, expectRefusal, newDevice } from './harness.js';

describe('AuditContract', () => {
    let net: TestNet;
    const cardId = 'card-0001';

    beforeEach(async () => {
        net = await TestNet.create();
        const device = newDevice();
        await net.issueCard(cardId, device);
        await net.registerService('svc-w', net.ids.welfare);
        await net.registerService('svc-p', net.ids.pension, { legalBasis: 'Act 1' });
        const { consentId } = await net.grantConsent(device, cardId, 'svc-w', MSP.MOHW);
        const ask = { cardId, purpose: 'senior welfare benefit eligibility', items: ['name'], predicates: [] };
        await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', { ...ask, serviceId: 'svc-w', consentId });
        await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', { ...ask, serviceId: 'svc-w' });
        await net.submit(net.ids.pension, 'AccessContract:RequestAccess', { ...ask, serviceId: 'svc-p' });
        await net.submit(net.ids.resReg, 'AccessContract:RequestAccess', { ...ask, serviceId: 'svc-p' });
        await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'LOST_DEVICE' });
    });

    it('Given a card changed twice, When an auditor reads its history, Then both versions, newest first', async () => {
        const h = await net.evaluate<{
            entries: { value: { status: string; version: number }; txId: string; timestamp: string; isDelete: boolean }[];
        }>(net.ids.auditor, 'AuditContract:GetHistory', { kind: 'card', id: cardId });
        expect(h.entries.map((e) => e.value.status)).to.deep.equal(['SUSPENDED', 'ACTIVE']);
        expect(h.entries[0]?.timestamp).to.match(/^2026-06-01T00:00:\d\d\.000Z$/);
        const s = await net.evaluate<{ entries: unknown[] }>(net.ids.auditor, 'AuditContract:GetHistory', { kind: 'service', id: 'svc-w' });
        expect(s.entries).to.have.length(1);
        // An id with no history is not found, with the code of its kind.
        for (const [kind, code] of [
            ['consent', 'CONSENT_NOT_FOUND'],
            ['card', 'CARD_NOT_FOUND'],
            ['service', 'SERVICE_NOT_FOUND'],
            ['access', 'ACCESS_NOT_FOUND'],
        ]) {
            await expectRefusal(net.evaluate(net.ids.auditor, 'AuditContract:GetHistory', { kind, id: 'nothing-here' }), code);
        }
        await expectRefusal(net.evaluate(net.ids.auditor, 'AuditContract:GetHistory', { kind: 'block', id: cardId }), 'INVALID_ARGUMENT');
        await expectRefusal(net.evaluate(net.ids.welfare, 'AuditContract:GetHistory', { kind: 'card', id: cardId }), 'UNAUTHORIZED_ROLE');
    });

    it('counts GRANTED and DENIED per org and department over a time range', async () => {
        const range = { from: '2026-06-01T00:00:00Z', to: '2026-06-02T00:00:00Z' };
        const mohw = await net.evaluate(net.ids.auditor, 'AuditContract:CountAccess', { mspId: 'MOHWMSP', ...range });
        expect(mohw).to.deep.include({
            granted: 2,
            denied: 1,
            byDept: { pension: { granted: 1, denied: 0 }, welfare: { granted: 1, denied: 1 } },
        });
        const welfare = await net.evaluate(net.ids.auditor, 'AuditContract:CountAccess', { mspId: 'MOHWMSP', dept: 'welfare', ...range });
        expect(welfare).to.deep.include({ granted: 1, denied: 1 });
        const mois = await net.evaluate(net.ids.auditor, 'AuditContract:CountAccess', { mspId: 'MOISMSP', ...range });
        expect(mois).to.deep.include({ granted: 0, denied: 1 });
        const later = await net.evaluate(net.ids.auditor, 'AuditContract:CountAccess', {
            mspId: 'MOHWMSP',
            from: '2026-06-02T00:00:00Z',
            to: '2026-06-03T00:00:00Z',
        });
        expect(later).to.deep.include({ granted: 0, denied: 0 });
        await expectRefusal(
            net.evaluate(net.ids.auditor, 'AuditContract:CountAccess', { mspId: 'MOHWMSP', from: range.to, to: range.from }),
            'INVALID_ARGUMENT',
        );
        await expectRefusal(
            net.evaluate(net.ids.welfare, 'AuditContract:CountAccess', { mspId: 'MOHWMSP', ...range }),
            'UNAUTHORIZED_DEPT',
        );
        await expectRefusal(
            net.evaluate(net.ids.welfare, 'AuditContract:CountAccess', { mspId: 'MOISMSP', dept: 'welfare', ...range }),
            'UNAUTHORIZED_ROLE',
        );
        // Whoever may read entries may count them: the department its own, the org's org-auditor every department.
        const own = await net.evaluate(net.ids.welfare, 'AuditContract:CountAccess', { mspId: 'MOHWMSP', dept: 'welfare', ...range });
        expect(own).to.deep.include({ granted: 1, denied: 1 });
        const org = await net.evaluate(net.ids.mohwOrgAuditor, 'AuditContract:CountAccess', { mspId: 'MOHWMSP', ...range });
        expect(org).to.deep.include({ granted: 2, denied: 1 });
    });

    it('an auditor cannot write anything', async () => {
        const a = net.ids.auditor;
        const writes: [string, unknown][] = [
            ['CardContract:IssuePersonalRecord', { cardId: 'card-9', subjectId: 'subj-9' }],
            ['CardContract:CreateCard', { cardId: 'card-9' }],
            ['CardContract:SuspendCard', { cardId, reason: 'FRAUD' }],
            ['CardContract:SuspendCardByCitizen', {}],
            ['CardContract:RotateDeviceKey', {}],
            ['CardContract:ErasePersonalRecord', { cardId }],
            ['ServiceContract:RegisterService', {}],
            ['ServiceContract:UpdateService', {}],
            ['ServiceContract:DeactivateService', { serviceId: 'svc-w' }],
            ['ConsentContract:GrantConsent', {}],
            ['ConsentContract:WithdrawConsent', {}],
            ['AccessContract:RequestAccess', {}],
        ];
        for (const [fcn, arg] of writes) await expectRefusal(net.submit(a, fcn, arg, { peers: [MSP.SEOUL] }), 'UNAUTHORIZED_ROLE');
    });
});
