import './quiet.js';
import { expect } from 'chai';
import { MSP } from '../../../chaincode/model/vocabulary.js';
import { TestNet, expectRefusal, newDevice } from './harness.js';

// Issue 24: a service may be registered with a special basis, `investigation` (sealed accesses)
// or `emergency` (break-glass). It is a national decision, names its law, and never changes.

describe('ServiceContract: special bases', () => {
    let net: TestNet;
    beforeEach(async () => {
        net = await TestNet.create();
    });

    const special = (basis: string, extra: Record<string, unknown> = {}) => ({
        serviceId: `svc-${basis}`,
        ownerMspId: MSP.MOHW,
        dept: 'welfare',
        name: `Service ${basis}`,
        purpose: 'senior welfare benefit eligibility',
        legalBasis: 'Act 1',
        items: ['name'],
        predicates: [],
        basis,
        ...extra,
    });

    it('Given a national service admin, When it registers investigation and emergency services, Then they carry their basis and keep it on update', async () => {
        for (const [who, basis] of [
            [net.ids.serviceAdmin, 'investigation'],
            [net.ids.issuer, 'emergency'],
        ] as const) {
            const s = await net.submit(who, 'ServiceContract:RegisterService', special(basis));
            expect(s).to.include({ basis, legalBasis: 'Act 1', status: 'ACTIVE' });
        }
        const u = await net.submit(net.ids.serviceAdmin, 'ServiceContract:UpdateService', {
            serviceId: 'svc-investigation',
            name: 'Renamed',
            purpose: 'senior welfare benefit eligibility',
            legalBasis: 'Act 1 art. 2',
            items: ['name'],
            predicates: [],
        });
        expect(u).to.include({ basis: 'investigation', legalBasis: 'Act 1 art. 2', version: 2 });
        // An ordinary service has no basis member at all (existing answers are unchanged).
        const plain = await net.registerService('svc-plain', net.ids.welfare);
        expect(plain).to.not.have.property('basis');
    });

    it("refuses a special basis from an org's own service admin, without a legalBasis, or an unknown basis; an update cannot drop the law", async () => {
        await expectRefusal(
            net.submit(net.ids.mohwServiceAdmin, 'ServiceContract:RegisterService', special('investigation')),
            'UNAUTHORIZED_ROLE',
        );
        await expectRefusal(
            net.submit(net.ids.serviceAdmin, 'ServiceContract:RegisterService', special('emergency', { legalBasis: undefined })),
            'INVALID_ARGUMENT',
        );
        await expectRefusal(net.submit(net.ids.serviceAdmin, 'ServiceContract:RegisterService', special('marketing')), 'INVALID_ARGUMENT');
        await net.submit(net.ids.serviceAdmin, 'ServiceContract:RegisterService', special('emergency'));
        await expectRefusal(
            net.submit(net.ids.serviceAdmin, 'ServiceContract:UpdateService', {
                serviceId: 'svc-emergency',
                name: 'x',
                purpose: 'senior welfare benefit eligibility',
                items: ['name'],
                predicates: [],
            }),
            'INVALID_ARGUMENT',
        );
    });

    it('Given an emergency service, When a department asks without consent through RequestAccess, Then DENIED BREAK_GLASS_REQUIRED; with a consent it is an ordinary access', async () => {
        await net.submit(net.ids.serviceAdmin, 'ServiceContract:RegisterService', special('emergency'));
        const device = newDevice();
        await net.issueCard('card-0001', device);
        const ask = {
            cardId: 'card-0001',
            serviceId: 'svc-emergency',
            purpose: 'senior welfare benefit eligibility',
            items: ['name'],
            predicates: [],
        };
        const d = await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', ask);
        expect(d).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_REQUIRED' });
        const { consentId } = await net.grantConsent(device, 'card-0001', 'svc-emergency', MSP.MOHW, { predicates: [] });
        const g = await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', { ...ask, consentId });
        expect(g).to.include({ decision: 'GRANTED', reason: 'CONSENT' });
    });
});
