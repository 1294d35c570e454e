import './quiet.js';
import { expect } from 'chai';
import { signDocument } from '../../../chaincode/model/signed.js';
import { MSP } from '../../../chaincode/model/vocabulary.js';
import { TestNet, expectRefusal, newDevice, nonce, samplePerson, type Device } from './harness.js';

// A peer (Fabric's and the devnet's, and this stub) starts a paginated scan at any non-empty
// bookmark and ends it at the query's end key: a bookmark below the query's own range would scan
// every other type's records in between. Every paged transaction accepts only a bookmark inside
// its own key range, and the bookmarks it hands out still work.

interface Page {
    records: Record<string, unknown>[];
    bookmark: string;
}

describe('Paged queries refuse a bookmark outside their own key range', () => {
    let net: TestNet;
    let device: Device;
    const cardId = 'card-0001';
    const otherCard = 'card-0002';
    const svc = 'svc-welfare-senior';
    const range = { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };

    before(async () => {
        net = await TestNet.create();
        device = newDevice();
        await net.issueCard(cardId, device, samplePerson());
        await net.issueCard(otherCard, newDevice(), samplePerson());
        await net.registerService(svc, net.ids.welfare);
        await net.registerService('svc-pension', net.ids.pension);
        const { consentId } = await net.grantConsent(device, cardId, svc, MSP.MOHW);
        for (let i = 0; i < 3; i++) {
            await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', {
                cardId,
                serviceId: svc,
                purpose: 'senior welfare benefit eligibility',
                items: ['name'],
                predicates: [],
                consentId,
            });
        }
    });

    const signedList = () => signDocument({ type: 'AccessLogListRequest', cardId, nonce: nonce(), issuedAt: net.iso() }, device.privateKey);

    /** Each paged transaction, called by someone it allows, with a first page of 1. */
    const queries = () => [
        { fn: 'ServiceContract:ListServices', who: net.ids.resReg, args: {} },
        { fn: 'ServiceContract:ListServices', who: net.ids.resReg, args: { ownerMspId: MSP.MOHW } },
        { fn: 'ServiceContract:ListServices', who: net.ids.resReg, args: { ownerMspId: MSP.AUDIT } },
        { fn: 'ConsentContract:ListConsentsByCard', who: net.ids.citizen, args: { cardId } },
        { fn: 'ConsentContract:ListConsentsByRecipient', who: net.ids.welfare, args: { recipientMspId: MSP.MOHW } },
        { fn: 'AccessContract:ListAccessLogByCard', who: net.ids.auditor, args: { cardId } },
        { fn: 'AccessContract:ListMyAccessLog', who: net.ids.citizen, args: { request: signedList() } },
        { fn: 'AccessContract:ListAccessLogByCaller', who: net.ids.welfare, args: { mspId: MSP.MOHW, dept: 'welfare', ...range } },
        { fn: 'AccessContract:ListAccessLogByCaller', who: net.ids.mohwOrgAuditor, args: { mspId: MSP.MOHW, ...range } },
    ];

    /** Keys of every other kind, below and above each query's range (the issue's own examples first). */
    const forged = [
        '\u0000',
        '\u0000access\u0000',
        '\u0000card\u0000',
        '\u0000consent\u0000',
        '\u0000access~card\u0000card-0002\u0000',
        '\u0000consent~card\u0000card-0002\u0000',
        '\u0000service~org\u0000MOISMSP\u0000',
        '\u0000service~org\u0000SeoulMSP\u0000',
        'accesslog|',
        'accesslog|MOISMSP|',
        'record|card-0001',
        '\u{10ffff}',
        '\ud800',
    ];

    it('Given the bookmark each query handed out, When the next page is asked, Then it is served', async () => {
        for (const q of queries()) {
            const first = await net.evaluate<Page>(q.who, q.fn, { ...q.args, pageSize: 1 });
            if (first.bookmark === '') continue;
            const next = await net.evaluate<Page>(q.who, q.fn, { ...q.args, pageSize: 1, bookmark: first.bookmark });
            expect(next.records, `${q.fn} ${JSON.stringify(q.args)}`).to.have.length(1);
            expect(next.records[0]).to.not.deep.equal(first.records[0]);
        }
    });

    it('Given a bookmark of another kind of key, When any paged query is asked, Then INVALID_BOOKMARK and no record', async () => {
        let refused = 0;
        for (const q of queries()) {
            for (const bookmark of forged) {
                const { fn, who } = q;
                const args = { ...q.args, ...(fn.endsWith('ListMyAccessLog') ? { request: signedList() } : {}), pageSize: 3, bookmark };
                const message = await expectRefusal(net.evaluate(who, fn, args), 'INVALID_BOOKMARK');
                expect(message).to.not.match(/card-000|welfare|MOHW/);
                refused++;
            }
        }
        expect(refused).to.equal(queries().length * forged.length);
    });

    it("Given the bookmark of another card's or department's page, When used, Then INVALID_BOOKMARK (the range is the query's, not the kind's)", async () => {
        const other = await net.evaluate<Page>(net.ids.auditor, 'AccessContract:ListAccessLogByCard', { cardId: otherCard, pageSize: 1 });
        expect(other.bookmark).to.equal('');
        const mine = await net.evaluate<Page>(net.ids.auditor, 'AccessContract:ListAccessLogByCard', { cardId, pageSize: 1 });
        expect(mine.bookmark).to.not.equal('');
        await expectRefusal(
            net.evaluate(net.ids.auditor, 'AccessContract:ListAccessLogByCard', {
                cardId: otherCard,
                pageSize: 1,
                bookmark: mine.bookmark,
            }),
            'INVALID_BOOKMARK',
        );
        const welfare = await net.evaluate<Page>(net.ids.mohwOrgAuditor, 'AccessContract:ListAccessLogByCaller', {
            mspId: MSP.MOHW,
            dept: 'welfare',
            ...range,
            pageSize: 1,
        });
        expect(welfare.bookmark).to.not.equal('');
        await expectRefusal(
            net.evaluate(net.ids.pension, 'AccessContract:ListAccessLogByCaller', {
                mspId: MSP.MOHW,
                dept: 'pension',
                ...range,
                bookmark: welfare.bookmark,
            }),
            'INVALID_BOOKMARK',
        );
    });
});
