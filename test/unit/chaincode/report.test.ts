import './quiet.js';
import { expect } from 'chai';
import { REPORT_BOUNDS } from '../../../chaincode/contracts/report.js';
import { textCommitment } from '../../../chaincode/model/commitments.js';
import { signDocument } from '../../../chaincode/model/signed.js';
import { CHANNEL_POLICY, MSP, REPORT_METRICS } from '../../../chaincode/model/vocabulary.js';
import { ISSUER_ONLY, TestNet, expectRefusal, newDevice, nonce, type Device } from './harness.js';

// Issue 24, rule 5: the transparency report. Aggregate counts per month, org, department, service
// and basis, computed from the ledger (write-once deltas committed with each entry, rolled up by
// the audit office), every count from 1 to reportMinCount - 1 suppressed, and bounded work per call.

type Row = Record<string, string | number | null>;
interface Report {
    month: string;
    complete: boolean;
    minCount: number;
    rows: Row[];
}
interface Entry {
    accessId: string;
    decision: string;
    callerMspId: string;
    callerDept: string;
    serviceId: string;
    consentId?: string;
    sealed?: boolean;
    breakGlass?: unknown;
    requestedBasis?: string;
}

const SALT = 'cmVwb3J0LXRlc3Qtc2FsdA';

describe('Transparency report', () => {
    let net: TestNet;
    const devices = new Map<string, Device>();
    const cards = ['card-r01', 'card-r02', 'card-r03'];
    const bounds = { ...REPORT_BOUNDS };

    before(async () => {
        net = await TestNet.create();
        for (const c of cards) {
            devices.set(c, newDevice());
            await net.issueCard(c, devices.get(c) as Device);
        }
        await net.registerService('svc-w', net.ids.welfare);
        await net.registerService('svc-p', net.ids.pension, { legalBasis: 'National Pension Act art. 1' });
        await net.registerService('svc-inv', net.ids.resReg, {
            purpose: 'criminal investigation',
            legalBasis: 'Act 9',
            basis: 'investigation',
            items: ['name'],
            predicates: [],
        });
        await net.registerService('svc-er', net.ids.welfare, {
            purpose: 'emergency treatment',
            legalBasis: 'Act 10',
            basis: 'emergency',
            items: ['name'],
            predicates: [],
        });
        const consents = new Map<string, string>();
        for (const c of cards) consents.set(c, (await net.grantConsent(devices.get(c) as Device, c, 'svc-w', MSP.MOHW)).consentId);
        const ask = { purpose: 'senior welfare benefit eligibility', items: ['name'], predicates: [] };
        const welfareGranted: { accessId: string; cardId: string }[] = [];
        for (let i = 0; i < 6; i++) {
            const cardId = cards[i % 3] as string;
            const d = await net.submit<{ accessId: string }>(net.ids.welfare, 'AccessContract:RequestAccess', {
                ...ask,
                cardId,
                serviceId: 'svc-w',
                consentId: consents.get(cardId),
            });
            welfareGranted.push({ accessId: d.accessId, cardId });
        }
        // Two refusals with a consent of another card (basis consent).
        for (let i = 0; i < 2; i++) {
            await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', {
                ...ask,
                cardId: 'card-r01',
                serviceId: 'svc-w',
                consentId: consents.get('card-r02'),
            });
        }
        for (let i = 0; i < 5; i++)
            await net.submit(net.ids.pension, 'AccessContract:RequestAccess', { ...ask, cardId: cards[i % 3], serviceId: 'svc-p' });
        for (let i = 0; i < 5; i++) {
            await net.submit(net.ids.resReg, 'AccessContract:RequestSealedAccess', {
                cardId: cards[i % 3],
                serviceId: 'svc-inv',
                purpose: 'criminal investigation',
                items: ['name'],
                predicates: [],
                sealedUntil: net.iso(30 * 86_400),
            });
        }
        for (let i = 0; i < 3; i++) {
            await net.submit(net.ids.welfare, 'AccessContract:RequestEmergencyAccess', {
                cardId: cards[i % 3],
                serviceId: 'svc-er',
                purpose: 'emergency treatment',
                items: ['name'],
                predicates: [],
                reasonCode: 'UNCONSCIOUS_PATIENT',
                incidentRef: `ER-2026-00000${i}`,
            });
        }
        // Five objections to welfare's granted entries, each with a finding.
        for (const { accessId, cardId } of welfareGranted.slice(0, 5)) {
            const text = `objection to ${accessId.slice(0, 8)}`;
            const signed = signDocument(
                { type: 'Objection', cardId, accessId, textHash: textCommitment(text, SALT), nonce: nonce(), issuedAt: net.iso() },
                (devices.get(cardId) as Device).privateKey,
            );
            await net.submit(net.ids.citizen, 'ObjectionContract:PrepareObjection', signed, {
                peers: ISSUER_ONLY,
                transient: { objectionText: JSON.stringify({ text, salt: SALT }) },
            });
            const o = await net.submit<{ objectionId: string }>(net.ids.citizen, 'ObjectionContract:FileObjection', signed);
            await net.submit(net.ids.auditor, 'ObjectionContract:RecordFinding', {
                objectionId: o.objectionId,
                outcome: 'REJECTED',
                findingCode: 'LAWFUL',
                text: 'The consent named in the entry covers this access.',
            });
        }
    });

    afterEach(() => Object.assign(REPORT_BOUNDS, bounds));

    const report = (month = '2026-06', who = net.ids.mohwUser) => net.evaluate<Report>(who, 'ReportContract:TransparencyReport', { month });

    /** The same counts, computed from what auditors read in the log and the objections. */
    async function fromTheLog(): Promise<Row[]> {
        const range = { from: '2026-05-31T15:00:00.000Z', to: '2026-06-30T15:00:00.000Z' };
        const entries: Entry[] = [];
        for (const mspId of [MSP.MOHW, MSP.MOIS]) {
            const page = await net.evaluate<{ records: Entry[] }>(net.ids.auditor, 'AccessContract:ListAccessLogByCaller', {
                mspId,
                ...range,
                pageSize: 100,
            });
            entries.push(...page.records);
        }
        const decided = await net.evaluate<{ records: { accessId: string }[] }>(
            net.ids.auditor,
            'ObjectionContract:ListObjectionsByStatus',
            { status: 'REJECTED', pageSize: 100 },
        );
        const byId = new Map(entries.map((e) => [e.accessId, e]));
        const cells = new Map<string, Row>();
        const cellOf = (e: Entry) => {
            const basis = e.requestedBasis ?? (e.consentId ? 'consent' : 'legal');
            const key = `${e.callerMspId}|${e.callerDept}|${e.serviceId}|${basis}`;
            if (!cells.has(key)) {
                const row: Row = { mspId: e.callerMspId, dept: e.callerDept, serviceId: e.serviceId, basis };
                for (const m of REPORT_METRICS) row[m] = 0;
                cells.set(key, row);
            }
            return cells.get(key) as Record<string, number>;
        };
        for (const e of entries) {
            const row = cellOf(e);
            if (e.decision === 'GRANTED') row.accesses = (row.accesses as number) + 1;
            else row.denials = (row.denials as number) + 1;
            if (e.sealed) row.sealed = (row.sealed as number) + 1;
            if (e.breakGlass && e.decision === 'GRANTED') row.breakGlass = (row.breakGlass as number) + 1;
        }
        for (const o of decided.records) {
            const row = cellOf(byId.get(o.accessId) as Entry);
            row.objections = (row.objections as number) + 1;
            row.findings = (row.findings as number) + 1;
        }
        const min = CHANNEL_POLICY.reportMinCount;
        return [...cells.keys()].sort().map((k) => {
            const row = { ...(cells.get(k) as Row) };
            for (const m of REPORT_METRICS) if ((row[m] as number) > 0 && (row[m] as number) < min) row[m] = null;
            return row;
        });
    }

    it('Given a month of accesses, refusals, sealed and break-glass entries, objections and findings, Then the report equals the log’s counts, with small counts suppressed, for anyone', async () => {
        const r = await report();
        expect(r).to.include({ month: '2026-06', complete: true, minCount: 5 });
        expect(r.rows).to.deep.equal(await fromTheLog());
        expect(r.rows).to.deep.equal([
            {
                mspId: MSP.MOHW,
                dept: 'pension',
                serviceId: 'svc-p',
                basis: 'legal',
                accesses: 5,
                denials: 0,
                sealed: 0,
                breakGlass: 0,
                objections: 0,
                findings: 0,
            },
            {
                mspId: MSP.MOHW,
                dept: 'welfare',
                serviceId: 'svc-er',
                basis: 'emergency',
                accesses: null,
                denials: 0,
                sealed: 0,
                breakGlass: null,
                objections: 0,
                findings: 0,
            },
            {
                mspId: MSP.MOHW,
                dept: 'welfare',
                serviceId: 'svc-w',
                basis: 'consent',
                accesses: 6,
                denials: null,
                sealed: 0,
                breakGlass: 0,
                objections: 5,
                findings: 5,
            },
            {
                mspId: MSP.MOIS,
                dept: 'resident-registration',
                serviceId: 'svc-inv',
                basis: 'investigation',
                accesses: 5,
                denials: 0,
                sealed: 5,
                breakGlass: 0,
                objections: 0,
                findings: 0,
            },
        ]);
        expect(JSON.stringify(r)).to.not.match(/card-r0/);
        expect((await report('2026-05')).rows).to.deep.equal([]);
        await expectRefusal(report('2026-13'), 'INVALID_ARGUMENT');
        await expectRefusal(report('June'), 'INVALID_ARGUMENT');
    });

    it('Given more deltas than one report reads, Then it says it is incomplete; the audit office’s roll-ups, bounded per call, make it complete with the same counts', async () => {
        const before = await report();
        REPORT_BOUNDS.tailEntries = 3;
        expect(await report()).to.include({ complete: false });
        REPORT_BOUNDS.rollupEntries = 10;
        for (const who of [net.ids.welfare, net.ids.mohwOrgAuditor, net.ids.fakeAuditor, net.ids.citizen]) {
            await expectRefusal(net.submit(who, 'ReportContract:RollUpReport', { month: '2026-06' }), 'UNAUTHORIZED_ROLE');
        }
        const rounds: { folded: number; more: boolean }[] = [];
        for (let more = true; more; ) {
            const r = await net.submit<{ folded: number; more: boolean; rolledUp: number }>(
                net.ids.auditor,
                'ReportContract:RollUpReport',
                { month: '2026-06' },
            );
            rounds.push({ folded: r.folded, more: r.more });
            more = r.more;
        }
        // 21 access entries + 5 objections + 5 findings = 31 deltas, 10 at a time.
        expect(rounds).to.deep.equal([
            { folded: 10, more: true },
            { folded: 10, more: true },
            { folded: 10, more: true },
            { folded: 1, more: false },
        ]);
        expect(net.ledger.committed.at(-1)?.event?.name).to.equal('ReportRolledUp');
        expect([...net.ledger.state.keys()].filter((k) => k.startsWith('stats|'))).to.deep.equal([]);
        const after = await report();
        expect(after).to.deep.equal({ ...before, complete: true });
        // An issuer's roll-up with nothing to fold writes nothing.
        const empty = await net.submit(net.ids.issuer, 'ReportContract:RollUpReport', { month: '2026-06' });
        expect(empty).to.deep.equal({ month: '2026-06', folded: 0, rolledUp: 31, more: false });
        // New entries after a roll-up are counted on top of the summary.
        await net.submit(net.ids.pension, 'AccessContract:RequestAccess', {
            purpose: 'senior welfare benefit eligibility',
            items: ['name'],
            predicates: [],
            cardId: 'card-r01',
            serviceId: 'svc-p',
        });
        const more = await report();
        expect(more.rows.find((row) => row.serviceId === 'svc-p')).to.include({ accesses: 6 });
    });

    it('counts by the Seoul calendar month of the transaction timestamp', async () => {
        net.now = Date.parse('2026-06-30T15:00:00.000Z'); // 1 July, 00:00 in Seoul
        for (let i = 0; i < 5; i++) {
            await net.submit(net.ids.pension, 'AccessContract:RequestAccess', {
                purpose: 'senior welfare benefit eligibility',
                items: ['name'],
                predicates: [],
                cardId: 'card-r02',
                serviceId: 'svc-p',
            });
        }
        const july = await report('2026-07');
        expect(july.rows).to.have.length(1);
        expect(july.rows[0]).to.include({ serviceId: 'svc-p', accesses: 5 });
    });
});
