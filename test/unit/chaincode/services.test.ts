import './quiet.js';
import { expect } from 'chai';
import { TestNet, expectRefusal } from './harness.js';

describe('ServiceContract', () => {
    let net: TestNet;
    beforeEach(async () => {
        net = await TestNet.create();
    });

    it('Given the MOIS service admin or the issuer, When services are registered, Then they are listed by org with pagination', async () => {
        const s = await net.registerService('svc-welfare-senior', net.ids.welfare, {
            legalBasis: 'Welfare of Senior Citizens Act art. 26',
        });
        expect(s).to.include({ serviceId: 'svc-welfare-senior', ownerMspId: 'MOHWMSP', dept: 'welfare', status: 'ACTIVE', version: 1 });
        expect(s.items).to.deep.equal(['district', 'name']);
        await net.submit(net.ids.issuer, 'ServiceContract:RegisterService', {
            serviceId: 'svc-resreg',
            ownerMspId: 'MOISMSP',
            dept: 'resident-registration',
            name: 'Resident registration',
            purpose: 'address check',
            items: ['address'],
            predicates: [],
        });
        for (let i = 0; i < 3; i++) await net.registerService(`svc-pension-${i}`, net.ids.pension);

        const all = await net.evaluate<{ records: { serviceId: string }[] }>(net.ids.welfare, 'ServiceContract:ListServices', {
            pageSize: 100,
        });
        expect(all.records.map((r) => r.serviceId)).to.deep.equal([
            'svc-pension-0',
            'svc-pension-1',
            'svc-pension-2',
            'svc-resreg',
            'svc-welfare-senior',
        ]);

        const p1 = await net.evaluate<{ records: { serviceId: string }[]; bookmark: string; fetchedRecordsCount: number }>(
            net.ids.welfare,
            'ServiceContract:ListServices',
            { ownerMspId: 'MOHWMSP', pageSize: 2 },
        );
        expect(p1.records.map((r) => r.serviceId)).to.deep.equal(['svc-pension-0', 'svc-pension-1']);
        expect(p1.fetchedRecordsCount).to.equal(2);
        expect(p1.bookmark).to.not.equal('');
        const p2 = await net.evaluate<{ records: { serviceId: string }[]; bookmark: string }>(
            net.ids.welfare,
            'ServiceContract:ListServices',
            { ownerMspId: 'MOHWMSP', pageSize: 2, bookmark: p1.bookmark },
        );
        expect(p2.records.map((r) => r.serviceId)).to.deep.equal(['svc-pension-2', 'svc-welfare-senior']);
        expect(p2.bookmark).to.equal('');
    });

    it('updates and deactivates; refuses updates of inactive services', async () => {
        await net.registerService('svc-1', net.ids.welfare);
        const u = await net.submit(net.ids.serviceAdmin, 'ServiceContract:UpdateService', {
            serviceId: 'svc-1',
            name: 'Renamed',
            purpose: 'new purpose',
            items: ['name'],
            predicates: ['disability'],
        });
        expect(u).to.include({ name: 'Renamed', purpose: 'new purpose', version: 2 });
        const d = await net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: 'svc-1' });
        expect(d.status).to.equal('INACTIVE');
        await expectRefusal(net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: 'svc-1' }), 'SERVICE_INACTIVE');
        await expectRefusal(
            net.submit(net.ids.serviceAdmin, 'ServiceContract:UpdateService', {
                serviceId: 'svc-1',
                name: 'x',
                purpose: 'y',
                items: [],
                predicates: [],
            }),
            'SERVICE_INACTIVE',
        );
        const got = await net.evaluate(net.ids.auditor, 'ServiceContract:GetService', { serviceId: 'svc-1' });
        expect(got.status).to.equal('INACTIVE');
    });

    it('refuses duplicates, unknown services, unknown items and callers without the admin role', async () => {
        await net.registerService('svc-1', net.ids.welfare);
        await expectRefusal(net.registerService('svc-1', net.ids.welfare), 'SERVICE_EXISTS');
        await expectRefusal(net.evaluate(net.ids.welfare, 'ServiceContract:GetService', { serviceId: 'svc-none' }), 'SERVICE_NOT_FOUND');
        await expectRefusal(
            net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: 'svc-none' }),
            'SERVICE_NOT_FOUND',
        );
        await expectRefusal(net.registerService('svc-2', net.ids.welfare, { items: ['bloodType'] }), 'INVALID_ARGUMENT');
        await expectRefusal(net.registerService('svc-2', net.ids.welfare, { items: ['name', 'name'] }), 'INVALID_ARGUMENT');
        const args = { serviceId: 'svc-3', ownerMspId: 'MOHWMSP', dept: 'welfare', name: 'n', purpose: 'p', items: [], predicates: [] };
        for (const id of [net.ids.welfare, net.ids.auditor, net.ids.citizen, net.ids.mohwUser]) {
            await expectRefusal(net.submit(id, 'ServiceContract:RegisterService', args), 'UNAUTHORIZED_ROLE');
            await expectRefusal(net.submit(id, 'ServiceContract:DeactivateService', { serviceId: 'svc-1' }), 'UNAUTHORIZED_ROLE');
            await expectRefusal(
                net.submit(id, 'ServiceContract:UpdateService', { ...args, ownerMspId: undefined, dept: undefined }),
                'UNAUTHORIZED_ROLE',
            );
        }
    });

    it("Given MOHW's own service admin, When it registers, updates and deactivates MOHW's services, Then they change; another org's services are refused as SERVICE_NOT_OWNED and nothing changes", async () => {
        const own = {
            serviceId: 'svc-own',
            ownerMspId: 'MOHWMSP',
            dept: 'pension',
            name: 'n',
            purpose: 'p',
            items: ['name'],
            predicates: [],
        };
        const registered = await net.submit(net.ids.mohwServiceAdmin, 'ServiceContract:RegisterService', own);
        expect(registered).to.include({ ownerMspId: 'MOHWMSP', status: 'ACTIVE' });
        const update = { serviceId: 'svc-own', name: 'Renamed', purpose: 'p2', items: ['name'], predicates: [] };
        expect(await net.submit(net.ids.mohwServiceAdmin, 'ServiceContract:UpdateService', update)).to.include({
            name: 'Renamed',
            version: 2,
        });

        // Registering for a third org (neither its own nor national): refused, no service written.
        const forAudit = { ...own, serviceId: 'svc-for-audit', ownerMspId: 'AuditMSP', dept: 'audit' };
        await expectRefusal(net.submit(net.ids.mohwServiceAdmin, 'ServiceContract:RegisterService', forAudit), 'SERVICE_NOT_OWNED');
        await expectRefusal(
            net.evaluate(net.ids.auditor, 'ServiceContract:GetService', { serviceId: 'svc-for-audit' }),
            'SERVICE_NOT_FOUND',
        );

        // Another org's service (MOIS's, registered by the national service admin): neither updated nor deactivated.
        await net.registerService('svc-mois', net.ids.resReg);
        const before = await net.evaluate(net.ids.auditor, 'ServiceContract:GetService', { serviceId: 'svc-mois' });
        await expectRefusal(
            net.submit(net.ids.mohwServiceAdmin, 'ServiceContract:UpdateService', { ...update, serviceId: 'svc-mois' }),
            'SERVICE_NOT_OWNED',
        );
        await expectRefusal(
            net.submit(net.ids.mohwServiceAdmin, 'ServiceContract:DeactivateService', { serviceId: 'svc-mois' }),
            'SERVICE_NOT_OWNED',
        );
        expect(await net.evaluate(net.ids.auditor, 'ServiceContract:GetService', { serviceId: 'svc-mois' })).to.deep.equal(before);

        // The national powers stay: MOIS's service admin and Seoul's issuer change MOHW's service.
        expect(await net.submit(net.ids.serviceAdmin, 'ServiceContract:UpdateService', { ...update, name: 'By MOIS' })).to.include({
            name: 'By MOIS',
        });
        expect(await net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: 'svc-own' })).to.include({
            status: 'INACTIVE',
        });
    });
});
