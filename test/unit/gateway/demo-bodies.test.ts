// The request bodies the demo, the benchmarks and the end-to-end tests build (scripts/demo.ts) are
// ones the gateway accepts: validated here against the routes' own DTOs, without a network.
import { expect } from 'chai';
import { DeviceKey } from '../../../gateway/citizen/device';
import { lastMinorDay, seoulDate } from '../../../chaincode/model';
import { basicPensionServiceBody, birthDateAged, cardIssueBody, childPersonal, serviceBody } from '../../../scripts/demo';
import { v1Routes } from '../../../gateway/http/routes';
import { validateInto } from '../../../gateway/http/validate';

const bodyOf = (operationId: string) => {
    const body = v1Routes().find((r) => r.operationId === operationId)?.body;
    if (!body) throw new Error(`no body DTO for ${operationId}`);
    return body;
};

describe('demo request bodies', () => {
    it('Given cardIssueBody, Then issueCard accepts it as built, with the device key and the sample resident', () => {
        const key = DeviceKey.generate().publicKeyBase64();
        const card = validateInto(bodyOf('issueCard'), cardIssueBody('card-0001', key), 'body');
        expect(card).to.deep.include({ cardId: 'card-0001', devicePublicKey: key, validityYears: 5 });
    });

    it("Given serviceBody and basicPensionServiceBody, Then registerService accepts both, each with its owner's org, department and asks", () => {
        const asks = { items: ['name', 'birthDate'], predicates: ['ageAtLeast'], legalBasis: 'Employment Insurance Act' };
        const owned = serviceBody(
            { ownerMspId: 'MOLEMSP', dept: 'employment', name: 'Employment insurance' },
            'svc-1',
            'eligibility',
            asks,
        );
        expect(validateInto(bodyOf('registerService'), owned, 'body')).to.deep.include({
            serviceId: 'svc-1',
            ownerMspId: 'MOLEMSP',
            dept: 'employment',
            name: 'Employment insurance',
            purpose: 'eligibility',
            legalBasis: 'Employment Insurance Act',
        });
        const pension = validateInto(bodyOf('registerService'), basicPensionServiceBody('svc-2', 'pension check', asks), 'body');
        expect(pension).to.deep.include({ ownerMspId: 'MOHWMSP', dept: 'welfare', name: 'Basic pension' });
    });

    it("Given the demo's and the tests' children, Then issueCard accepts them, and one 13 years and a month old is a minor today while one 14 today is not", () => {
        const key = DeviceKey.generate().publicKeyBase64();
        const thirteen = childPersonal('Hong Sarang', birthDateAged(13, 30));
        expect(validateInto(bodyOf('issueCard'), cardIssueBody('card-0001', key, thirteen), 'body')).to.deep.include({
            cardId: 'card-0001',
        });
        const today = seoulDate(new Date());
        expect(lastMinorDay(thirteen.birthDate, today)).to.be.within(300, 366);
        expect(lastMinorDay(birthDateAged(14), today)).to.equal(-1);
        expect(lastMinorDay(birthDateAged(14, -1), today)).to.equal(0);
    });

    it('Given a body with a member the DTO does not know, Then it is refused: the check above is strict', () => {
        const body = { ...cardIssueBody('card-0001', DeviceKey.generate().publicKeyBase64()), extra: true };
        expect(() => validateInto(bodyOf('issueCard'), body, 'body')).to.throw('the request is not valid');
    });
});
