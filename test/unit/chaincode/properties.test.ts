// Rule 1 (no personal data on the shared ledger) and rule 5 (determinism), over everything the
// chaincode tests submitted, plus the fabric-chaincode-node entry point.

import './quiet.js';
import { expect } from 'chai';
import { signDocument } from '../../../chaincode/model/signed.js';
import { MSP } from '../../../chaincode/model/vocabulary.js';
import { PERSONAL_DATA_COLLECTION } from '../../../chaincode/model/vocabulary.js';
import {
    TestNet,
    assertNoPersonalData,
    findPersonalData,
    newDevice,
    nonce,
    observedSubmits,
    personalValues,
    rwsetDigest,
    samplePerson,
} from './harness.js';

describe('chaincode properties', () => {
    it('Given every transaction the chaincode tests submitted, Then no personal data is in their arguments, public writes, events or responses', function () {
        // The harness asserts per submit; this re-checks the whole record at the end of the run.
        if (observedSubmits.length < 50) this.skip();
        for (const o of observedSubmits) assertNoPersonalData(o);
        expect(personalValues.size).to.be.greaterThan(3);
    });

    it('the detector catches personal values and eligibility facts', () => {
        samplePerson();
        expect(findPersonalData('{"name":"Kim Minji"}')).to.equal('Kim Minji');
        expect(findPersonalData('{"disability":true}')).to.equal('"disability":true');
        expect(findPersonalData('{"items":["disability"]}')).to.equal(undefined);
        expect(() => assertNoPersonalData({ fcn: 'X', args: ['580314-2123456'], response: '', writes: [] })).to.throw(/personal data/);
    });

    it('Given a full flow, Then the public state and every event hold no personal data, and the private data stays in its collection', async () => {
        const net = await TestNet.create();
        const device = newDevice();
        await net.issueCard(
            'card-p1',
            device,
            samplePerson({ name: 'Park Jisoo', residentNumber: '900101-1234567', birthDate: '1990-01-01' }),
        );
        await net.registerService('svc-1', net.ids.welfare);
        const { consentId } = await net.grantConsent(device, 'card-p1', 'svc-1', MSP.MOHW);
        await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', {
            cardId: 'card-p1',
            serviceId: 'svc-1',
            purpose: 'senior welfare benefit eligibility',
            items: ['name'],
            predicates: [],
            consentId,
        });
        const publicText = [...net.ledger.state.entries()].map(([k, v]) => `${k}=${v.value.toString()}`).join('\n');
        expect(findPersonalData(publicText)).to.equal(undefined);
        expect(publicText).to.not.include('Park Jisoo');
        for (const tx of net.ledger.committed) expect(findPersonalData(tx.event?.payload.toString() ?? '')).to.equal(undefined);
        expect(net.ledger.pvt.get(PERSONAL_DATA_COLLECTION)?.size).to.equal(2);
    });

    it('Given the same transaction run twice on the same inputs, Then the writes are byte-identical', async () => {
        const net = await TestNet.create();
        const device = newDevice();
        await net.issueCard('card-d1', device);
        await net.registerService('svc-1', net.ids.welfare, { legalBasis: 'Act 1' });
        const txId = 'ab'.repeat(32);
        const cases: [keyof TestNet['ids'], string, unknown, string][] = [
            ['issuer', 'CardContract:IssuePersonalRecord', { cardId: 'card-d2', subjectId: 'subj-d2' }, MSP.SEOUL],
            ['issuer', 'CardContract:SuspendCard', { cardId: 'card-d1', reason: 'LOST_DEVICE' }, MSP.MOIS],
            [
                'serviceAdmin',
                'ServiceContract:RegisterService',
                {
                    serviceId: 'svc-2',
                    ownerMspId: 'MOHWMSP',
                    dept: 'welfare',
                    name: 'n',
                    purpose: 'p',
                    items: ['name', 'address'],
                    predicates: [],
                },
                MSP.MOHW,
            ],
            [
                'citizen',
                'ConsentContract:GrantConsent',
                signDocument(net.consentReceipt('card-d1', 'svc-1', MSP.MOHW, { nonce: nonce() }), device.privateKey),
                MSP.AUDIT,
            ],
            [
                'welfare',
                'AccessContract:RequestAccess',
                {
                    cardId: 'card-d1',
                    serviceId: 'svc-1',
                    purpose: 'senior welfare benefit eligibility',
                    items: ['name'],
                    predicates: [{ name: 'ageAtLeast', value: 65 }],
                },
                MSP.MOHW,
            ],
        ];
        for (const [who, fcn, arg, peer] of cases) {
            const transient = fcn.endsWith('IssuePersonalRecord')
                ? { personal: JSON.stringify(samplePerson()), saltSeed: Buffer.alloc(32, 3) }
                : undefined;
            const a = await net.simulate(net.ids[who], fcn, arg, { txId, peer, transient });
            const b = await net.simulate(net.ids[who], fcn, arg, { txId, peer, transient });
            expect(a.stub.writes.size + a.stub.pvtWrites.size, fcn).to.be.greaterThan(0);
            expect(rwsetDigest(a.stub, a.response), fcn).to.equal(rwsetDigest(b.stub, b.response));
            expect([...a.stub.writes].map(([k, v]) => [k, v?.toString('base64')])).to.deep.equal(
                [...b.stub.writes].map(([k, v]) => [k, v?.toString('base64')]),
            );
        }
    });

    it('fabric-chaincode-node finds `contracts` through chaincode/package.json main', () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const Bootstrap = require('fabric-shim/lib/contract-spi/bootstrap.js') as {
            getInfoFromContract(p: string): { contracts: { name: string }[]; title: string };
        };
        const info = Bootstrap.getInfoFromContract(require('node:path').join(__dirname, '../../../../chaincode'));
        expect(info.title).to.equal('citizencard');
        expect(info.contracts.map((c) => c.name)).to.deep.equal([
            'CardContract',
            'ServiceContract',
            'ConsentContract',
            'AccessContract',
            'AuditContract',
            'OversightContract',
            'RepresentationContract',
            'ObjectionContract',
            'ReportContract',
        ]);
    });
});
