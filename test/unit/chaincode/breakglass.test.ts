import './quiet.js';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { openGrantedData, type SealedGrantedData } from '../../../chaincode/model/sealed.js';
import { signDocument } from '../../../chaincode/model/signed.js';
import { personalDataInText } from '../../../chaincode/model/text.js';
import { CHANNEL_POLICY } from '../../../chaincode/model/vocabulary.js';
import { TestNet, expectRefusal, newDevice, nonce, type Device } from './harness.js';

// Issue 24, rule 3: an emergency service may release data without consent, only with a stated
// reason; each such access is flagged, opens a review case for the audit office and is shown to
// the citizen at once; past a monthly limit the department is refused until an auditor clears it.

interface Decision {
    accessId: string;
    decision: 'GRANTED' | 'DENIED';
    reason: string;
}
interface Review {
    reviewId: string;
    status: string;
    decision?: Record<string, string>;
    version: number;
}

describe('Break-glass access', () => {
    let net: TestNet;
    let device: Device;
    const cardId = 'card-0001';
    const er = 'svc-emergency';
    const purpose = 'emergency treatment';
    const reason = { reasonCode: 'UNCONSCIOUS_PATIENT', incidentRef: 'ER-2026-000123' };

    beforeEach(async () => {
        net = await TestNet.create();
        device = newDevice();
        await net.issueCard(cardId, device);
        await net.issueCard('card-0002', newDevice());
        for (const who of [net.ids.welfare, net.ids.pension]) {
            await net.registerService(`${er}-${who.attrs.dept}`, who, {
                purpose,
                legalBasis: 'Emergency Medical Service Act art. 1',
                basis: 'emergency',
                items: ['name', 'birthDate'],
                predicates: [],
            });
        }
        await net.registerService('svc-legal', net.ids.welfare, { purpose, legalBasis: 'Act 2' });
    });

    const glass = (extra: Record<string, unknown> = {}, who = net.ids.welfare) =>
        net.submit<Decision>(who, 'AccessContract:RequestEmergencyAccess', {
            cardId,
            serviceId: `${er}-${who.attrs.dept}`,
            purpose,
            items: ['name', 'birthDate'],
            predicates: [],
            ...reason,
            ...extra,
        });
    const openReviews = () => net.evaluate<{ records: Review[] }>(net.ids.auditor, 'OversightContract:ListReviews', { status: 'OPEN' });
    const status = (dept = 'welfare') =>
        net.evaluate<{ count: number; allowance: number; blocked: boolean; month: string }>(
            net.ids.auditor,
            'OversightContract:GetBreakGlassStatus',
            { mspId: 'MOHWMSP', dept },
        );

    it('Given a stated reason, When a department breaks the glass, Then it is GRANTED and flagged, the citizen sees it at once, a review opens, and the data is read as for any grant', async () => {
        const d = await glass();
        expect(d).to.include({ decision: 'GRANTED', reason: 'BREAK_GLASS' });
        const event = net.ledger.committed.at(-1)?.event;
        expect(event?.name).to.equal('AccessLogged');
        expect(JSON.parse(event?.payload.toString() ?? '{}')).to.include({ cardId, decision: 'GRANTED' });

        const mine = await net.evaluate<{ records: Record<string, unknown>[] }>(net.ids.citizen, 'AccessContract:ListMyAccessLog', {
            request: signDocument({ type: 'AccessLogListRequest', cardId, nonce: nonce(), issuedAt: net.iso() }, device.privateKey),
        });
        expect(mine.records).to.have.length(1);
        expect(mine.records[0]).to.deep.include({
            accessId: d.accessId,
            reason: 'BREAK_GLASS',
            legalBasis: 'Emergency Medical Service Act art. 1',
            breakGlass: { ...reason, reviewId: d.accessId },
        });

        const reviews = await openReviews();
        expect(reviews.records).to.have.length(1);
        expect(reviews.records[0]).to.include({ reviewId: d.accessId, status: 'OPEN', callerDept: 'welfare', cardId, ...reason });

        const key = randomBytes(32);
        const answer = await net.evaluate<SealedGrantedData>(
            net.ids.welfare,
            'AccessContract:ReadGrantedData',
            { accessId: d.accessId },
            { transient: { responseKey: key } },
        );
        expect(openGrantedData(answer, key).items).to.deep.equal({ name: 'Kim Minji', birthDate: '1958-03-14' });
    });

    it('refuses break-glass without a reason: a DENIED, flagged entry and no review; a malformed reason fails', async () => {
        for (const missing of [{ reasonCode: undefined }, { incidentRef: undefined }, { reasonCode: undefined, incidentRef: undefined }]) {
            expect(await glass(missing)).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_REASON_REQUIRED' });
        }
        const entry = await net.evaluate(net.ids.auditor, 'AccessContract:GetAccessLog', {
            accessId: (await glass({ incidentRef: undefined })).accessId,
        });
        expect(entry.breakGlass).to.deep.equal({ reasonCode: 'UNCONSCIOUS_PATIENT' });
        expect((await openReviews()).records).to.have.length(0);
        expect((await status()).count).to.equal(0);
        await expectRefusal(glass({ reasonCode: 'HUNCH' }), 'INVALID_ARGUMENT');
        await expectRefusal(glass({ incidentRef: 'patient Kim Minji, bed 4' }), 'INVALID_ARGUMENT');
        await expectRefusal(glass({}, net.ids.auditor), 'UNAUTHORIZED_ROLE');
    });

    it('refuses a service that is not an emergency service, and another department’s', async () => {
        expect(await glass({ serviceId: 'svc-legal', items: ['name'] })).to.include({
            decision: 'DENIED',
            reason: 'SERVICE_BASIS_MISMATCH',
        });
        expect(await glass({ serviceId: `${er}-pension` })).to.include({ decision: 'DENIED', reason: 'SERVICE_NOT_OWNED' });
        await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'LOST_DEVICE' });
        expect(await glass()).to.include({ decision: 'DENIED', reason: 'CARD_SUSPENDED' });
        expect((await openReviews()).records).to.have.length(0);
        expect((await status()).count).to.equal(0);
    });

    it('Given the monthly limit reached, Then the next break-glass is refused and the department stays refused, even next month, until an auditor clears it', async () => {
        const limit = CHANNEL_POLICY.breakGlassMonthlyLimit;
        net.now = Date.parse('2026-06-20T00:00:00.000Z');
        for (let i = 0; i < limit; i++) expect(await glass({ cardId: i % 2 ? 'card-0002' : cardId })).to.include({ decision: 'GRANTED' });
        expect(await status()).to.include({ month: '2026-06', count: limit, allowance: limit, blocked: false });
        expect(await glass()).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_LIMIT_EXCEEDED' });
        expect(await status()).to.include({ count: limit, blocked: true });
        // Another department of the same org is not affected.
        expect(await glass({}, net.ids.pension)).to.include({ decision: 'GRANTED' });
        // The next Seoul month (2026-06-30T15:00Z is 1 July in Seoul): a new count, but still blocked.
        net.now = Date.parse('2026-06-30T15:00:00.000Z');
        expect(await status()).to.include({ month: '2026-07', count: 0, blocked: true });
        expect(await glass()).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_LIMIT_EXCEEDED' });
        expect((await openReviews()).records).to.have.length(limit + 1);

        const clear = (who = net.ids.auditor, extra: Record<string, unknown> = {}) =>
            net.submit(who, 'OversightContract:ClearBreakGlassBlock', {
                mspId: 'MOHWMSP',
                dept: 'welfare',
                decisionRef: 'AUD-BG-0007',
                ...extra,
            });
        for (const who of [net.ids.welfare, net.ids.mohwOrgAuditor, net.ids.fakeAuditor])
            await expectRefusal(clear(who), 'UNAUTHORIZED_ROLE');
        await expectRefusal(clear(net.ids.auditor, { dept: 'pension' }), 'BREAK_GLASS_NOT_BLOCKED');
        const cleared = await clear();
        expect(cleared).to.include({ blocked: false, count: 0, allowance: limit, month: '2026-07' });
        expect(cleared.lastClearance).to.include({ decisionRef: 'AUD-BG-0007' });
        expect(net.ledger.committed.at(-1)?.event?.name).to.equal('BreakGlassCleared');
        for (let i = 0; i < limit; i++) expect(await glass()).to.include({ decision: 'GRANTED' });
        expect(await glass()).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_LIMIT_EXCEEDED' });
        await expectRefusal(clear(net.ids.auditor, { decisionRef: 'because' }), 'INVALID_ARGUMENT');
        // A clearance within the month gives another limit on top of what was used.
        expect(await clear()).to.include({ count: limit, allowance: 2 * limit });
        expect(await glass()).to.include({ decision: 'GRANTED' });
    });

    it('GetBreakGlassStatus follows the access readers: the department itself, its org-auditor, auditors', async () => {
        expect(
            await net.evaluate(net.ids.welfare, 'OversightContract:GetBreakGlassStatus', { mspId: 'MOHWMSP', dept: 'welfare' }),
        ).to.include({
            count: 0,
            version: 0,
        });
        await net.evaluate(net.ids.mohwOrgAuditor, 'OversightContract:GetBreakGlassStatus', { mspId: 'MOHWMSP', dept: 'welfare' });
        await expectRefusal(
            net.evaluate(net.ids.pension, 'OversightContract:GetBreakGlassStatus', { mspId: 'MOHWMSP', dept: 'welfare' }),
            'UNAUTHORIZED_DEPT',
        );
        await expectRefusal(
            net.evaluate(net.ids.resReg, 'OversightContract:GetBreakGlassStatus', { mspId: 'MOHWMSP', dept: 'welfare' }),
            'UNAUTHORIZED_ROLE',
        );
    });

    describe('review cases', () => {
        it('Given an open review, When an auditor decides it, Then it leaves the open list with the finding; the department and the citizen app read it', async () => {
            const a = await glass();
            const b = await glass({ cardId: 'card-0002' });
            const decide = (reviewId: string, extra: Record<string, unknown> = {}, who = net.ids.auditor) =>
                net.submit<Review>(who, 'OversightContract:DecideReview', {
                    reviewId,
                    outcome: 'CLEARED',
                    findingCode: 'LAWFUL',
                    ...extra,
                });
            for (const who of [net.ids.welfare, net.ids.mohwOrgAuditor, net.ids.fakeAuditor])
                await expectRefusal(decide(a.accessId, {}, who), 'UNAUTHORIZED_ROLE');
            await expectRefusal(decide(a.accessId, { text: 'patient 580314-2123456 was unconscious' }), 'TEXT_NOT_ALLOWED');
            await expectRefusal(decide(a.accessId, { outcome: 'OPEN' }), 'INVALID_ARGUMENT');
            await expectRefusal(decide('c'.repeat(64)), 'REVIEW_NOT_FOUND');

            const cleared = await decide(a.accessId, { text: 'The incident record shows an unconscious patient in the emergency room.' });
            expect(cleared).to.include({ status: 'CLEARED', version: 2 });
            expect(cleared.decision).to.include({ outcome: 'CLEARED', findingCode: 'LAWFUL' });
            expect(cleared.decision?.auditorId).to.match(/CN=auditor1/);
            expect(net.ledger.committed.at(-1)?.event?.name).to.equal('ReviewDecided');
            await expectRefusal(decide(a.accessId), 'REVIEW_DECIDED');
            const upheld = await decide(b.accessId, { outcome: 'UPHELD', findingCode: 'NOT_AN_EMERGENCY' });
            expect(upheld).to.include({ status: 'UPHELD' });

            expect((await openReviews()).records).to.have.length(0);
            for (const [s, id] of [
                ['CLEARED', a.accessId],
                ['UPHELD', b.accessId],
            ]) {
                const list = await net.evaluate<{ records: Review[] }>(net.ids.auditor, 'OversightContract:ListReviews', { status: s });
                expect(list.records.map((r) => r.reviewId)).to.deep.equal([id]);
            }
            for (const who of [net.ids.welfare, net.ids.welfare2, net.ids.mohwOrgAuditor, net.ids.citizen, net.ids.auditor]) {
                expect(await net.evaluate(who, 'OversightContract:GetReview', { reviewId: a.accessId })).to.include({ status: 'CLEARED' });
            }
            await expectRefusal(
                net.evaluate(net.ids.pension, 'OversightContract:GetReview', { reviewId: a.accessId }),
                'UNAUTHORIZED_DEPT',
            );
            await expectRefusal(net.evaluate(net.ids.welfare, 'OversightContract:ListReviews', { status: 'OPEN' }), 'UNAUTHORIZED_ROLE');
            const history = await net.evaluate<{ entries: unknown[] }>(net.ids.auditor, 'AuditContract:GetHistory', {
                kind: 'review',
                id: a.accessId,
            });
            expect(history.entries).to.have.length(2);
        });
    });

    it('the public-text screen recognises resident numbers, dates, phone numbers, e-mail addresses and long numbers', () => {
        expect(personalDataInText('580314-2123456')).to.equal('a resident registration number');
        expect(personalDataInText('born 1958-03-14')).to.equal('a date');
        expect(personalDataInText('1958년 3월 14일')).to.equal('a date');
        expect(personalDataInText('call 010-1234-5678')).to.equal('a phone number');
        expect(personalDataInText('+82 2 1234 5678')).to.equal('a phone number');
        expect(personalDataInText('kim@example.kr')).to.equal('an e-mail address');
        expect(personalDataInText('case 1234567')).to.equal('a long number');
        expect(personalDataInText('The access followed the incident record AUD-2026-0042.')).to.equal(undefined);
    });
});
