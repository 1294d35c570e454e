import './quiet.js';
import { expect } from 'chai';
import { signDocument } from '../../../chaincode/model/signed.js';
import { CHANNEL_POLICY, MSP } from '../../../chaincode/model/vocabulary.js';
import { TestNet, expectRefusal, newDevice, nonce, type Device } from './harness.js';

// Issue 24, rule 2: an investigation service's access may be sealed until a date at most
// CHANNEL_POLICY.sealMaxDays away. The citizen does not see the entry before that date (the
// transaction's timestamp decides, never a clock) and sees it after, with the date it was made;
// auditors see it at once; only an auditor's recorded decision extends the seal; the entry itself
// never changes.

interface Decision {
    accessId: string;
    decision: 'GRANTED' | 'DENIED';
    reason: string;
}
interface Page {
    records: { accessId: string; timestamp: string; sealed?: boolean; sealedUntil?: string }[];
    bookmark: string;
    fetchedRecordsCount: number;
}

const DAY = 86_400;

describe('Sealed access entries', () => {
    let net: TestNet;
    let device: Device;
    const cardId = 'card-0001';
    const inv = 'svc-investigation';
    const purpose = 'criminal investigation';

    beforeEach(async () => {
        net = await TestNet.create();
        device = newDevice();
        await net.issueCard(cardId, device);
        await net.registerService(inv, net.ids.resReg, {
            purpose,
            legalBasis: 'Criminal Procedure Act art. 199',
            basis: 'investigation',
            items: ['name', 'address'],
            predicates: [],
        });
        await net.registerService('svc-legal', net.ids.resReg, { purpose, legalBasis: 'Act 2', items: ['name'], predicates: [] });
    });

    const sealed = (days: number, extra: Record<string, unknown> = {}, who = net.ids.resReg) =>
        net.submit<Decision>(who, 'AccessContract:RequestSealedAccess', {
            cardId,
            serviceId: inv,
            purpose,
            items: ['address'],
            predicates: [],
            sealedUntil: net.iso(days * DAY),
            ...extra,
        });
    const plain = () =>
        net.submit<Decision>(net.ids.resReg, 'AccessContract:RequestAccess', {
            cardId,
            serviceId: 'svc-legal',
            purpose,
            items: ['name'],
            predicates: [],
        });
    const mine = (extra: Record<string, unknown> = {}) =>
        net.evaluate<Page>(net.ids.citizen, 'AccessContract:ListMyAccessLog', {
            request: signDocument({ type: 'AccessLogListRequest', cardId, nonce: nonce(), issuedAt: net.iso() }, device.privateKey),
            pageSize: 100,
            ...extra,
        });
    const audited = () => net.evaluate<Page>(net.ids.auditor, 'AccessContract:ListAccessLogByCard', { cardId, pageSize: 100 });

    it('Given a sealed access, Then the citizen does not see it before its seal date and sees it from then on with the date it was made; auditors see it at once', async () => {
        const before = await plain();
        const s = await sealed(30);
        expect(s).to.include({ decision: 'GRANTED', reason: 'LEGAL_BASIS' });
        const madeAt = net.iso(-2);
        const event = net.ledger.committed.at(-1)?.event;
        expect(event?.name).to.equal('SealedAccessLogged');
        expect(JSON.parse(event?.payload.toString() ?? '{}')).to.have.keys('accessId', 'decision', 'txId');

        // The citizen: only the other entry, and nothing that betrays the sealed one.
        const hidden = await mine();
        expect(hidden.records.map((r) => r.accessId)).to.deep.equal([before.accessId]);
        expect(hidden.fetchedRecordsCount).to.equal(1);
        expect(hidden.bookmark).to.equal('');

        // Auditors, the department and its org-auditor: at once.
        const audit = await audited();
        expect(audit.records.map((r) => r.accessId)).to.deep.equal([before.accessId, s.accessId]);
        expect(audit.records[1]).to.include({
            sealed: true,
            sealedUntil: net.iso(30 * DAY - 2),
            legalBasis: 'Criminal Procedure Act art. 199',
        });
        for (const who of [net.ids.auditor, net.ids.resReg, net.ids.moisOrgAuditor]) {
            expect(await net.evaluate(who, 'AccessContract:GetAccessLog', { accessId: s.accessId })).to.include({ sealed: true });
        }

        // One millisecond before the seal date: still hidden. At the seal date: shown, as made.
        net.now = Date.parse(audit.records[1]?.sealedUntil as string) - 1;
        expect((await mine()).records.map((r) => r.accessId)).to.deep.equal([before.accessId]);
        net.now += 1;
        const shown = await mine();
        expect(shown.records.map((r) => r.accessId)).to.deep.equal([before.accessId, s.accessId]);
        expect(shown.records[1]).to.include({ timestamp: madeAt, sealed: true, sealedUntil: audit.records[1]?.sealedUntil });
    });

    it('Given sealed entries between visible ones, When the citizen pages, Then every page is full, counts only visible entries, and no bookmark names a sealed entry', async () => {
        const e1 = await plain();
        const s1 = await sealed(10);
        const e2 = await plain();
        const s2 = await sealed(10);
        const s3 = await sealed(10);
        const e3 = await plain();
        const s4 = await sealed(10);
        const secret = [s1, s2, s3, s4].map((d) => d.accessId);
        const pages: string[][] = [];
        let bookmark = '';
        do {
            const p = await mine({ pageSize: 1, bookmark });
            expect(p.fetchedRecordsCount).to.equal(p.records.length);
            for (const id of secret) expect(p.bookmark).to.not.include(id);
            pages.push(p.records.map((r) => r.accessId));
            bookmark = p.bookmark;
        } while (bookmark !== '');
        expect(pages).to.deep.equal([[e1.accessId], [e2.accessId], [e3.accessId]]);
        const two = await mine({ pageSize: 2 });
        expect(two.records.map((r) => r.accessId)).to.deep.equal([e1.accessId, e2.accessId]);
        expect(two.fetchedRecordsCount).to.equal(2);
        expect(two.bookmark).to.include(e3.accessId);
        const rest = await mine({ pageSize: 2, bookmark: two.bookmark });
        expect(rest.records.map((r) => r.accessId)).to.deep.equal([e3.accessId]);
        expect(rest.bookmark).to.equal('');
        // Once released, the same card lists every entry in order.
        net.tick(11 * DAY);
        expect((await mine()).records).to.have.length(7);
    });

    it('Given a card whose only entries are sealed, Then its citizen gets an empty last page', async () => {
        for (let i = 0; i < 3; i++) await sealed(5);
        expect(await mine({ pageSize: 2 })).to.deep.equal({ records: [], bookmark: '', fetchedRecordsCount: 0 });
    });

    it('refuses a seal longer than the channel maximum (SEAL_TOO_LONG) or not in the future, and a caller that is not a department', async () => {
        const max = CHANNEL_POLICY.sealMaxDays;
        expect(max).to.equal(90);
        const committed = net.ledger.committed.length;
        await expectRefusal(sealed(0, { sealedUntil: net.iso(max * DAY + 1) }), 'SEAL_TOO_LONG');
        await expectRefusal(sealed(0, { sealedUntil: net.iso(0) }), 'INVALID_ARGUMENT');
        await expectRefusal(sealed(0, { sealedUntil: 'next month' }), 'INVALID_ARGUMENT');
        for (const who of [net.ids.auditor, net.ids.issuer, net.ids.noDept]) await expectRefusal(sealed(30, {}, who), 'UNAUTHORIZED_ROLE');
        expect(net.ledger.committed.length).to.equal(committed);
        // Exactly the maximum is allowed.
        expect(await sealed(0, { sealedUntil: net.iso(max * DAY) })).to.include({ decision: 'GRANTED' });
    });

    it("Given a service that is not the caller's own live investigation service, Then the request is a DENIED entry that is not sealed; past that, a refusal stays sealed", async () => {
        await net.registerService('svc-welfare-inv', net.ids.welfare, { legalBasis: 'Act 3', basis: 'investigation', purpose });
        const cases: [Record<string, unknown>, string, typeof net.ids.resReg][] = [
            [{ serviceId: 'svc-legal', items: ['name'] }, 'SERVICE_BASIS_MISMATCH', net.ids.resReg],
            [{ serviceId: 'svc-welfare-inv', items: ['name'] }, 'SERVICE_NOT_OWNED', net.ids.resReg],
        ];
        for (const [extra, reason, who] of cases) {
            const d = await sealed(30, extra, who);
            expect(d).to.include({ decision: 'DENIED', reason });
            expect(net.ledger.committed.at(-1)?.event?.name).to.equal('AccessLogged');
        }
        await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'LOST_DEVICE' });
        const suspended = await sealed(30);
        expect(suspended).to.include({ decision: 'DENIED', reason: 'CARD_SUSPENDED' });
        const beyond = await sealed(30, { items: ['residentNumber'] });
        expect(beyond).to.include({ decision: 'DENIED', reason: 'ITEMS_NOT_ALLOWED' });
        expect((await mine()).records).to.have.length(2);
        const all = await audited();
        expect(all.records.filter((r) => r.sealed).map((r) => r.accessId)).to.deep.equal([suspended.accessId, beyond.accessId]);
        await net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: inv });
        expect(await sealed(30)).to.include({ decision: 'DENIED', reason: 'SERVICE_INACTIVE' });
        expect(net.ledger.committed.at(-1)?.event?.name).to.equal('AccessLogged');
    });

    describe('ExtendSeal', () => {
        it("Given an auditor's recorded decision, When the seal is extended, Then the entry stays hidden until the new date; the entry itself never changes", async () => {
            const s = await sealed(30);
            const entryKey = `\u0000access\u0000${s.accessId}\u0000`;
            const entryBytes = net.ledger.state.get(entryKey)?.value.toString();
            net.tick(20 * DAY);
            const target = net.iso(80 * DAY);
            const seal = await net.submit<{ sealedUntil: string; extensions: Record<string, string>[]; version: number }>(
                net.ids.auditor,
                'OversightContract:ExtendSeal',
                { accessId: s.accessId, sealedUntil: target, decisionRef: 'AUD-2026-0042' },
            );
            expect(seal.sealedUntil).to.equal(target);
            expect(seal.version).to.equal(2);
            expect(seal.extensions).to.have.length(1);
            expect(seal.extensions[0]).to.include({ decisionRef: 'AUD-2026-0042', sealedUntil: target });
            expect(seal.extensions[0]?.auditorId).to.match(/CN=auditor1/);
            expect(net.ledger.committed.at(-1)?.event?.name).to.equal('SealExtended');

            net.tick(15 * DAY); // past the first seal date, before the extended one
            expect((await mine()).records).to.have.length(0);
            net.now = Date.parse(target);
            expect((await mine()).records.map((r) => r.accessId)).to.deep.equal([s.accessId]);

            const history = await net.evaluate<{ entries: unknown[] }>(net.ids.auditor, 'AuditContract:GetHistory', {
                kind: 'access',
                id: s.accessId,
            });
            expect(history.entries).to.have.length(1);
            const sealHistory = await net.evaluate<{ entries: unknown[] }>(net.ids.auditor, 'AuditContract:GetHistory', {
                kind: 'seal',
                id: s.accessId,
            });
            expect(sealHistory.entries).to.have.length(2);
            expect(entryBytes).to.include('"sealed":true');
            expect(net.ledger.state.get(entryKey)?.value.toString()).to.equal(entryBytes);
            expect(net.ledger.history.get(entryKey)).to.have.length(1);
        });

        it('refuses another role, a date beyond the maximum or not later, a released seal, an unknown entry', async () => {
            const s = await sealed(30);
            const extend = (extra: Record<string, unknown> = {}, who = net.ids.auditor) =>
                net.submit(who, 'OversightContract:ExtendSeal', {
                    accessId: s.accessId,
                    sealedUntil: net.iso(60 * DAY),
                    decisionRef: 'AUD-2026-0043',
                    ...extra,
                });
            for (const who of [net.ids.resReg, net.ids.fakeAuditor, net.ids.issuer, net.ids.moisOrgAuditor])
                await expectRefusal(extend({}, who), 'UNAUTHORIZED_ROLE');
            await expectRefusal(extend({ sealedUntil: net.iso(91 * DAY) }), 'SEAL_TOO_LONG');
            await expectRefusal(extend({ sealedUntil: net.iso(10 * DAY) }), 'INVALID_ARGUMENT');
            await expectRefusal(extend({ decisionRef: 'the prosecutor asked' }), 'INVALID_ARGUMENT');
            await expectRefusal(extend({ accessId: 'a'.repeat(64) }), 'SEAL_NOT_FOUND');
            const p = await plain();
            await expectRefusal(extend({ accessId: p.accessId }), 'SEAL_NOT_FOUND');
            net.tick(30 * DAY);
            await expectRefusal(extend(), 'SEAL_RELEASED');
        });

        it('GetSeal answers auditors and the entry readers of its department only', async () => {
            const s = await sealed(30);
            for (const who of [net.ids.auditor, net.ids.resReg, net.ids.moisOrgAuditor]) {
                expect(await net.evaluate(who, 'OversightContract:GetSeal', { accessId: s.accessId })).to.include({ cardId, version: 1 });
            }
            await expectRefusal(net.evaluate(net.ids.welfare, 'OversightContract:GetSeal', { accessId: s.accessId }), 'UNAUTHORIZED_ROLE');
            await expectRefusal(net.evaluate(net.ids.citizen, 'OversightContract:GetSeal', { accessId: s.accessId }), 'UNAUTHORIZED_ROLE');
            await expectRefusal(net.evaluate(net.ids.auditor, 'OversightContract:GetSeal', { accessId: 'b'.repeat(64) }), 'SEAL_NOT_FOUND');
        });
    });

    it("GetPolicy answers the channel's policy to anyone and takes an empty object", async () => {
        expect(await net.evaluate(net.ids.mohwUser, 'OversightContract:GetPolicy', {})).to.deep.equal({ ...CHANNEL_POLICY });
        await expectRefusal(net.evaluate(net.ids.mohwUser, 'OversightContract:GetPolicy', { sealMaxDays: 365 }), 'INVALID_ARGUMENT');
        await expectRefusal(net.evaluate(net.ids.mohwUser, 'OversightContract:GetPolicy', '[]'), 'INVALID_ARGUMENT');
        expect(MSP.AUDIT).to.equal('AuditMSP');
    });
});
