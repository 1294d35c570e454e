import './quiet.js';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { openGrantedData, type SealedGrantedData } from '../../../chaincode/model/sealed.js';
import { localClock } from '../../../chaincode/ledger.js';
import { signDocument } from '../../../chaincode/model/signed.js';
import { MSP } from '../../../chaincode/model/vocabulary.js';
import { ageOn } from '../../../chaincode/contracts/access.js';
import { TestNet, expectRefusal, newDevice, nonce, samplePerson, type Device } from './harness.js';

interface Decision {
    accessId: string;
    decision: 'GRANTED' | 'DENIED';
    reason: string;
}

describe('AccessContract', () => {
    let net: TestNet;
    let device: Device;
    let consentId: string;
    const cardId = 'card-0001';
    const svc = 'svc-welfare-senior';
    const purpose = 'senior welfare benefit eligibility';

    beforeEach(async () => {
        net = await TestNet.create();
        device = newDevice();
        await net.issueCard(cardId, device, samplePerson());
        await net.registerService(svc, net.ids.welfare);
        consentId = (await net.grantConsent(device, cardId, svc, MSP.MOHW)).consentId;
    });

    const request = (extra: Record<string, unknown> = {}, who = net.ids.welfare) =>
        net.submit<Decision>(who, 'AccessContract:RequestAccess', {
            cardId,
            serviceId: svc,
            purpose,
            items: ['name'],
            predicates: [{ name: 'ageAtLeast', value: 65 }, { name: 'lowIncome' }],
            consentId,
            ...extra,
        });

    const read = async (accessId: string, who = net.ids.welfare, peer: string = MSP.SEOUL, key: Buffer = randomBytes(32)) => {
        const answer = await net.evaluate<SealedGrantedData>(
            who,
            'AccessContract:ReadGrantedData',
            { accessId },
            { peers: [peer], transient: { responseKey: key } },
        );
        expect(JSON.stringify(answer)).to.not.include('Kim Minji');
        return openGrantedData(answer, key);
    };

    it('Given an active consent, When a department requests, Then a GRANTED entry is committed and the data is read once on the issuer peer', async () => {
        const d = await request();
        expect(d).to.deep.equal({ accessId: d.accessId, decision: 'GRANTED', reason: 'CONSENT' });
        const committed = net.ledger.committed.at(-1);
        expect(committed?.event?.name).to.equal('AccessLogged');
        expect(JSON.parse(committed?.event?.payload.toString() ?? '{}')).to.have.keys('accessId', 'cardId', 'decision', 'txId');
        const entry = await net.evaluate(net.ids.welfare, 'AccessContract:GetAccessLog', { accessId: d.accessId });
        expect(entry).to.include({
            decision: 'GRANTED',
            callerMspId: 'MOHWMSP',
            callerDept: 'welfare',
            consentId,
            purpose,
            serviceId: svc,
        });
        expect(entry.callerId).to.match(/^x509::\/C?.*CN=welfare/);

        const data = await read(d.accessId);
        expect(data).to.deep.equal({
            accessId: d.accessId,
            cardId,
            items: { name: 'Kim Minji' },
            predicates: { 'ageAtLeast:65': true, lowIncome: true },
        });
    });

    it('grants by the service legal basis without consent, and denies without either (CONSENT_REQUIRED)', async () => {
        await net.registerService('svc-legal', net.ids.welfare, { legalBasis: 'Act 26', items: ['district'], predicates: ['disability'] });
        const g = await request({
            serviceId: 'svc-legal',
            items: ['district'],
            predicates: [{ name: 'disability' }],
            consentId: undefined,
        });
        expect(g).to.include({ decision: 'GRANTED', reason: 'LEGAL_BASIS' });
        const entry = await net.evaluate(net.ids.auditor, 'AccessContract:GetAccessLog', { accessId: g.accessId });
        expect(entry.legalBasis).to.equal('Act 26');
        expect(await read(g.accessId)).to.deep.include({ items: { district: 'Jung-gu' }, predicates: { disability: false } });
        const d = await request({ consentId: undefined });
        expect(d).to.include({ decision: 'DENIED', reason: 'CONSENT_REQUIRED' });
    });

    describe('every refusal is a committed DENIED entry', () => {
        const denied = async (reason: string, extra: Record<string, unknown> = {}, who = net.ids.welfare) => {
            const before = net.ledger.committed.length;
            const d = await request(extra, who);
            expect(d).to.include({ decision: 'DENIED', reason });
            expect(net.ledger.committed.length).to.equal(before + 1);
            const entry = await net.evaluate(net.ids.auditor, 'AccessContract:GetAccessLog', { accessId: d.accessId });
            expect(entry).to.include({ decision: 'DENIED', reason });
            await expectRefusal(read(d.accessId, who), 'ACCESS_NOT_GRANTED');
            return d;
        };

        it('withdrawn consent: effective for every later request', async () => {
            await request();
            const w = { type: 'ConsentWithdrawal', cardId, consentId, nonce: nonce(), issuedAt: net.iso() };
            await net.submit(net.ids.citizen, 'ConsentContract:WithdrawConsent', signDocument(w, device.privateKey));
            await denied('CONSENT_WITHDRAWN');
        });

        it('expired consent', async () => {
            net.tick(31 * 86_400);
            await denied('CONSENT_EXPIRED');
        });

        it('items or predicates beyond the consent', async () => {
            await denied('CONSENT_SCOPE_EXCEEDED', { items: ['name', 'district'] });
        });

        it('items or predicates beyond the service', async () => {
            await denied('ITEMS_NOT_ALLOWED', { items: ['residentNumber'] });
            await denied('ITEMS_NOT_ALLOWED', { items: [], predicates: [{ name: 'disability' }] });
        });

        it("another department's service, and another org's", async () => {
            await denied('SERVICE_NOT_OWNED', {}, net.ids.pension);
            await denied('SERVICE_NOT_OWNED', {}, net.ids.resReg);
        });

        it('a consent of another card or service, an unknown consent', async () => {
            await net.registerService('svc-other', net.ids.welfare);
            const other = await net.grantConsent(device, cardId, 'svc-other', MSP.MOHW);
            await denied('CONSENT_MISMATCH', { consentId: other.consentId });
            await denied('CONSENT_NOT_FOUND', { consentId: 'c'.repeat(64) });
        });

        it('another purpose', async () => {
            await denied('PURPOSE_MISMATCH', { purpose: 'marketing' });
        });

        it('suspended, revoked and expired cards', async () => {
            await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId, reason: 'LOST_DEVICE' });
            await denied('CARD_SUSPENDED');
            await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId, reason: 'FRAUD' });
            await denied('CARD_REVOKED');
        });

        it('an expired card', async () => {
            net.tick(6 * 366 * 86_400);
            await denied('CARD_EXPIRED');
        });

        it('an inactive service', async () => {
            await net.submit(net.ids.issuer, 'ServiceContract:DeactivateService', { serviceId: svc });
            await denied('SERVICE_INACTIVE');
        });
    });

    it('fails (no entry) for a caller without the department role or dept, malformed requests, unknown card or service', async () => {
        for (const id of [net.ids.auditor, net.ids.issuer, net.ids.citizen, net.ids.mohwUser])
            await expectRefusal(request({}, id), 'UNAUTHORIZED_ROLE');
        await expectRefusal(request({}, net.ids.noDept), 'UNAUTHORIZED_ROLE');
        await expectRefusal(request({ items: [], predicates: [] }), 'INVALID_ARGUMENT');
        await expectRefusal(request({ predicates: [{ name: 'ageAtLeast' }] }), 'INVALID_ARGUMENT');
        await expectRefusal(request({ predicates: [{ name: 'lowIncome', value: 3 }] }), 'INVALID_ARGUMENT');
        await expectRefusal(request({ predicates: [{ name: 'lowIncome' }, { name: 'lowIncome' }] }), 'INVALID_ARGUMENT');
        await expectRefusal(request({ cardId: 'card-none' }), 'CARD_NOT_FOUND');
        await expectRefusal(request({ serviceId: 'svc-none' }), 'SERVICE_NOT_FOUND');
    });

    describe('ReadGrantedData', () => {
        it('refuses another caller (even of the same org and dept), a non-issuer peer, after the TTL, an unknown id', async () => {
            const d = await request();
            await expectRefusal(read(d.accessId, net.ids.welfare2), 'ACCESS_CALLER_MISMATCH');
            await expectRefusal(read(d.accessId, net.ids.pension), 'ACCESS_CALLER_MISMATCH');
            await expectRefusal(read(d.accessId, net.ids.auditor), 'UNAUTHORIZED_ROLE');
            for (const peer of [MSP.MOHW, MSP.MOIS, MSP.AUDIT])
                await expectRefusal(read(d.accessId, net.ids.welfare, peer), 'PEER_NOT_MEMBER');
            await expectRefusal(read('0'.repeat(64)), 'ACCESS_NOT_FOUND');
            await expectRefusal(read('not-hex'), 'INVALID_ARGUMENT');
            net.tick(301);
            await expectRefusal(read(d.accessId), 'ACCESS_EXPIRED');
        });

        it('refuses without a response key, and with a proposal timestamp far from the peer clock', async () => {
            const d = await request();
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'AccessContract:ReadGrantedData', { accessId: d.accessId }),
                'TRANSIENT_MISSING',
            );
            await expectRefusal(
                net.evaluate(
                    net.ids.welfare,
                    'AccessContract:ReadGrantedData',
                    { accessId: d.accessId },
                    { transient: { responseKey: randomBytes(16) } },
                ),
                'TRANSIENT_MISSING',
            );
            const real = localClock.now;
            try {
                localClock.now = () => net.now + 3600_000; // the client backdated its proposal by an hour
                await expectRefusal(read(d.accessId), 'PROPOSAL_TIME_INVALID');
            } finally {
                localClock.now = real;
            }
        });

        it('Given a department that SUBMITS ReadGrantedData, Then the block would hold only ciphertext; a wrong key opens nothing', async () => {
            const d = await request();
            const key = randomBytes(32);
            // The harness asserts no personal data in the response of every submit.
            const answer = await net.submit<SealedGrantedData>(
                net.ids.welfare,
                'AccessContract:ReadGrantedData',
                { accessId: d.accessId },
                { peers: [MSP.SEOUL], transient: { responseKey: key } },
            );
            expect(answer.sealed.alg).to.equal('A256GCM');
            expect(openGrantedData(answer, key).items).to.deep.equal({ name: 'Kim Minji' });
            expect(() => openGrantedData(answer, randomBytes(32))).to.throw();
            expect(() => openGrantedData({ ...answer, accessId: '0'.repeat(64) }, key)).to.throw();
        });

        it('Given a GRANTED entry, When the record is erased within the TTL, Then RECORD_NOT_FOUND', async () => {
            const d = await request();
            await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId, reason: 'DECEASED' });
            await net.submit(net.ids.issuer, 'CardContract:ErasePersonalRecord', { cardId }, { peers: [MSP.SEOUL] });
            await expectRefusal(read(d.accessId), 'RECORD_NOT_FOUND');
        });

        it('answers ageAtLeast on the Seoul calendar date', () => {
            expect(ageOn('1958-03-14', new Date('2023-03-13T14:59:59Z'))).to.equal(64);
            expect(ageOn('1958-03-14', new Date('2023-03-13T15:00:00Z'))).to.equal(65);
            expect(ageOn('1958-03-14', new Date('2023-02-20T00:00:00Z'))).to.equal(64);
        });
    });

    describe('department-level separation (purpose limitation)', () => {
        let welfareEntry: string;
        let pensionEntry: string;
        const range = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
        beforeEach(async () => {
            await net.registerService('svc-pension', net.ids.pension, { legalBasis: 'National Pension Act art. 1' });
            welfareEntry = (await request()).accessId;
            pensionEntry = (await request({ serviceId: 'svc-pension', consentId: undefined }, net.ids.pension)).accessId;
        });

        it("Given two departments of one org, Then each reads its own department's entries (any app of it), never the other's", async () => {
            for (const who of [net.ids.welfare, net.ids.welfare2]) {
                const e = await net.evaluate<{ callerDept: string }>(who, 'AccessContract:GetAccessLog', { accessId: welfareEntry });
                expect(e.callerDept).to.equal('welfare');
            }
            await expectRefusal(
                net.evaluate(net.ids.pension, 'AccessContract:GetAccessLog', { accessId: welfareEntry }),
                'UNAUTHORIZED_DEPT',
            );
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'AccessContract:GetAccessLog', { accessId: pensionEntry }),
                'UNAUTHORIZED_DEPT',
            );
            const own = await net.evaluate<{ records: { accessId: string }[] }>(net.ids.pension, 'AccessContract:ListAccessLogByCaller', {
                mspId: MSP.MOHW,
                dept: 'pension',
                ...range,
            });
            expect(own.records.map((r) => r.accessId)).to.deep.equal([pensionEntry]);
            for (const dept of ['welfare', undefined]) {
                await expectRefusal(
                    net.evaluate(net.ids.pension, 'AccessContract:ListAccessLogByCaller', { mspId: MSP.MOHW, dept, ...range }),
                    'UNAUTHORIZED_DEPT',
                );
            }
        });

        it("Given the org's org-auditor, Then it reads every department of its own org and no other org's", async () => {
            const all = await net.evaluate<{ records: { accessId: string }[] }>(
                net.ids.mohwOrgAuditor,
                'AccessContract:ListAccessLogByCaller',
                {
                    mspId: MSP.MOHW,
                    ...range,
                },
            );
            expect(all.records.map((r) => r.accessId).sort()).to.deep.equal([welfareEntry, pensionEntry].sort());
            for (const accessId of [welfareEntry, pensionEntry])
                await net.evaluate(net.ids.mohwOrgAuditor, 'AccessContract:GetAccessLog', { accessId });
            await expectRefusal(
                net.evaluate(net.ids.moisOrgAuditor, 'AccessContract:GetAccessLog', { accessId: welfareEntry }),
                'UNAUTHORIZED_ROLE',
            );
            await expectRefusal(
                net.evaluate(net.ids.moisOrgAuditor, 'AccessContract:ListAccessLogByCaller', { mspId: MSP.MOHW, ...range }),
                'UNAUTHORIZED_ROLE',
            );
        });

        it('Given the Audit org, Then it reads every entry; an identity of the org without the role or dept reads none', async () => {
            for (const accessId of [welfareEntry, pensionEntry])
                await net.evaluate(net.ids.auditor, 'AccessContract:GetAccessLog', { accessId });
            const all = await net.evaluate<{ records: unknown[] }>(net.ids.auditor, 'AccessContract:ListAccessLogByCaller', {
                mspId: MSP.MOHW,
                ...range,
            });
            expect(all.records).to.have.length(2);
            // No role, a department without dept, an 'auditor' outside the Audit org, another org's issuer.
            for (const who of [net.ids.mohwUser, net.ids.noDept, net.ids.fakeAuditor, net.ids.issuer]) {
                await expectRefusal(net.evaluate(who, 'AccessContract:GetAccessLog', { accessId: welfareEntry }), 'UNAUTHORIZED_ROLE');
                await expectRefusal(
                    net.evaluate(who, 'AccessContract:ListAccessLogByCaller', { mspId: MSP.MOHW, dept: 'welfare', ...range }),
                    'UNAUTHORIZED_ROLE',
                );
            }
        });
    });

    describe('listings', () => {
        it('lists an empty card log as an empty page (the shim gives no metadata for it)', async () => {
            const empty = await net.evaluate<{ records: Decision[]; bookmark: string }>(
                net.ids.auditor,
                'AccessContract:ListAccessLogByCard',
                { cardId },
            );
            expect(empty.records).to.deep.equal([]);
            expect(empty.bookmark).to.equal('');
        });

        it('lists a card log for auditors and the citizen (signed), paginated, and by caller and time for the org itself', async () => {
            const ids: string[] = [];
            for (let i = 0; i < 5; i++) ids.push((await request()).accessId);
            ids.push((await request({}, net.ids.pension)).accessId);
            const p1 = await net.evaluate<{ records: Decision[]; bookmark: string }>(
                net.ids.auditor,
                'AccessContract:ListAccessLogByCard',
                { cardId, pageSize: 4 },
            );
            expect(p1.records.map((r) => r.accessId)).to.deep.equal(ids.slice(0, 4));
            const p2 = await net.evaluate<{ records: Decision[]; bookmark: string }>(
                net.ids.auditor,
                'AccessContract:ListAccessLogByCard',
                { cardId, pageSize: 4, bookmark: p1.bookmark },
            );
            expect(p2.records.map((r) => r.accessId)).to.deep.equal(ids.slice(4));
            expect(p2.bookmark).to.equal('');

            const doc = { type: 'AccessLogListRequest', cardId, nonce: nonce(), issuedAt: net.iso() };
            const mine = await net.evaluate<{ records: unknown[] }>(net.ids.citizen, 'AccessContract:ListMyAccessLog', {
                request: signDocument(doc, device.privateKey),
                pageSize: 10,
            });
            expect(mine.records).to.have.length(6);
            await expectRefusal(
                net.evaluate(net.ids.citizen, 'AccessContract:ListMyAccessLog', { request: signDocument(doc, newDevice().privateKey) }),
                'SIGNATURE_INVALID',
            );
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'AccessContract:ListMyAccessLog', { request: signDocument(doc, device.privateKey) }),
                'UNAUTHORIZED_ROLE',
            );
            await expectRefusal(net.evaluate(net.ids.welfare, 'AccessContract:ListAccessLogByCard', { cardId }), 'UNAUTHORIZED_ROLE');
            await expectRefusal(net.evaluate(net.ids.fakeAuditor, 'AccessContract:ListAccessLogByCard', { cardId }), 'UNAUTHORIZED_ROLE');

            const range = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
            const own = await net.evaluate<{ records: { callerDept: string }[] }>(net.ids.welfare, 'AccessContract:ListAccessLogByCaller', {
                mspId: 'MOHWMSP',
                dept: 'welfare',
                ...range,
            });
            expect(own.records).to.have.length(5);
            const org = await net.evaluate<{ records: { callerDept: string }[] }>(net.ids.auditor, 'AccessContract:ListAccessLogByCaller', {
                mspId: 'MOHWMSP',
                ...range,
                pageSize: 100,
            });
            expect(org.records).to.have.length(6);
            const denied = await net.evaluate<{ records: unknown[] }>(net.ids.auditor, 'AccessContract:ListAccessLogByCaller', {
                mspId: 'MOHWMSP',
                ...range,
                decision: 'DENIED',
            });
            expect(denied.records).to.have.length(1);
            const none = await net.evaluate<{ records: unknown[] }>(net.ids.auditor, 'AccessContract:ListAccessLogByCaller', {
                mspId: 'MOHWMSP',
                dept: 'welfare',
                from: '2027-01-01T00:00:00Z',
                to: '2028-01-01T00:00:00Z',
            });
            expect(none.records).to.have.length(0);
            await expectRefusal(
                net.evaluate(net.ids.resReg, 'AccessContract:ListAccessLogByCaller', { mspId: 'MOHWMSP', ...range }),
                'UNAUTHORIZED_ROLE',
            );
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'AccessContract:ListAccessLogByCaller', {
                    mspId: 'MOHWMSP',
                    dept: 'welfare',
                    from: range.to,
                    to: range.from,
                }),
                'INVALID_ARGUMENT',
            );
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'AccessContract:ListAccessLogByCaller', {
                    mspId: 'MOHWMSP',
                    dept: 'welfare',
                    from: 'yesterday',
                    to: range.to,
                }),
                'INVALID_ARGUMENT',
            );
            await expectRefusal(net.evaluate(net.ids.resReg, 'AccessContract:GetAccessLog', { accessId: ids[0] }), 'UNAUTHORIZED_ROLE');
            await expectRefusal(
                net.evaluate(net.ids.auditor, 'AccessContract:GetAccessLog', { accessId: '1'.repeat(64) }),
                'ACCESS_NOT_FOUND',
            );
        });

        it('reads one card log page in the same number of key reads whatever the size of the log', async () => {
            const pageReads = async () => {
                const { stub } = await net.simulate(net.ids.auditor, 'AccessContract:ListAccessLogByCard', { cardId, pageSize: 3 });
                return stub;
            };
            for (let i = 0; i < 3; i++) await request();
            const small = await pageReads();
            for (let i = 0; i < 30; i++) await request();
            const big = await pageReads();
            expect(small.openIterators.length).to.equal(big.openIterators.length);
        });
    });
});
