// Issue 24 on the test network (the devnet or real Fabric), through the four real gateways with
// identities enrolled at each org's CA for this run: a legal representative consenting for a
// 13-year-old and refused for a 14-year-old (birth dates counted back from today's Seoul date; the
// chaincode decides from the transaction timestamp), a guardianship past its end, a signature from
// the wrong key; sealed entries hidden from the citizen and seen by auditors, shown from their
// date, extended by an auditor, a seal beyond the maximum refused; break-glass without a reason
// refused, the monthly limit enforced and cleared; an objection whose text stays on Seoul's peer
// and whose finding the citizen, the department and the auditor see; the transparency report's
// counts equal to the log's, small ones suppressed, also at the public endpoint without a key.
import * as crypto from 'node:crypto';
import { expect } from 'chai';
import { CHANNEL_POLICY, seoulDate, seoulMonth } from '../../chaincode/model';
import { DeviceKey } from '../../gateway/citizen/device';
import {
    birthDateAged,
    cardIssueBody,
    childPersonal,
    ensureApp,
    SAMPLE_PERSONAL,
    serviceBody,
    type GatewayClient,
} from '../../scripts/demo';
import { findOrg, gatewayOf, type Topology } from '../../network/client/topology';
import { filesOutsideIssuerPeer, marker } from './helpers';
import { NETWORK_LABEL, testNetwork } from './network';

interface Problem {
    status: number;
    code: string;
}
interface Decision {
    accessId: string;
    decision: 'GRANTED' | 'DENIED';
    reason: string;
}
interface Entry {
    docType: string;
    accessId: string;
    timestamp: string;
    decision: string;
    reason: string;
    callerDept: string;
    serviceId: string;
    consentId?: string;
    sealed?: true;
    sealedUntil?: string;
    requestedBasis?: string;
    breakGlass?: { reasonCode?: string; reviewId?: string };
    act?: string;
}
interface Page<T> {
    records: T[];
    bookmark: string;
}
interface Row {
    mspId: string;
    dept: string;
    serviceId: string;
    basis: string;
    accesses: number | null;
    denials: number | null;
    sealed: number | null;
    breakGlass: number | null;
    objections: number | null;
    findings: number | null;
}

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`issue 24 on ${NETWORK_LABEL}: representatives, sealed entries, break-glass, objections, the transparency report`, function () {
    this.timeout(300_000);
    let t: Topology;
    const run = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    let issuer: GatewayClient;
    let citizenApp: GatewayClient;
    let serviceAdmin: GatewayClient;
    let care: GatewayClient;
    let police: GatewayClient;
    let emergency: GatewayClient;
    let auditor: GatewayClient;
    const depts = { care: `care-${run}`, inv: `inv-${run}`, er: `er-${run}` };
    const services = { care: `svc-care-${run}`, inv: `svc-inv-${run}`, er: `svc-er-${run}` };
    const purposes = { care: 'Child benefit eligibility', inv: 'Criminal investigation', er: 'Emergency care' };
    const citizen = { cardId: `card-cit-${run}`, device: DeviceKey.generate() };
    const grantedCare: string[] = [];

    const quiet = (c: GatewayClient) => {
        c.verbose = false;
        return c;
    };
    const issue = (cardId: string, device: DeviceKey, personal: object = SAMPLE_PERSONAL) =>
        issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(cardId, device.publicKeyBase64(), personal) }, 201);
    const ask = (app: GatewayClient, path: string, body: object) => app.call<Decision>({ method: 'POST', path, body }, 201);
    const careAsk = (cardId: string, consentId?: string) =>
        ask(care, '/v1/access-requests', {
            cardId,
            serviceId: services.care,
            purpose: purposes.care,
            items: ['name'],
            predicates: [],
            ...(consentId ? { consentId } : {}),
        });
    const consentBody = (cardId: string) => ({
        cardId,
        serviceId: services.care,
        recipientMspId: 'MOHWMSP',
        purpose: purposes.care,
        items: ['name' as const],
        retentionDays: 30,
    });
    /** The citizen's own log, every page, as the citizen app lists it (signed by the device). */
    const ownLog = async (cardId: string, device: DeviceKey) => {
        const out: Entry[] = [];
        let bookmark = '';
        do {
            const { page } = await citizenApp.call<{ page: Page<Entry> }>(
                {
                    method: 'POST',
                    path: `/v1/cards/${cardId}/access-log/query`,
                    body: { request: device.accessLogRequest(cardId), pageSize: 100, bookmark },
                },
                200,
            );
            out.push(...page.records);
            bookmark = page.bookmark;
        } while (bookmark);
        return out;
    };
    const auditorLog = async (cardId: string) =>
        (await auditor.call<{ page: Page<Entry> }>({ method: 'GET', path: `/v1/cards/${cardId}/access-log?pageSize=100` }, 200)).page
            .records;

    before(async () => {
        t = (await testNetwork()).topology;
        issuer = quiet(await ensureApp(t, 'SeoulMSP', `e2e24-issuer-${run}`, { identity: 'issuer1', role: 'issuer' }));
        citizenApp = quiet(await ensureApp(t, 'SeoulMSP', `e2e24-citizen-${run}`, { identity: 'citizen-agent', role: 'citizen-agent' }));
        serviceAdmin = quiet(await ensureApp(t, 'MOISMSP', `e2e24-sadmin-${run}`, { identity: 'service-admin1', role: 'service-admin' }));
        auditor = quiet(await ensureApp(t, 'AuditMSP', `e2e24-auditor-${run}`, { identity: 'auditor1', role: 'auditor' }));
        // Departments of this run only (enrolled now at their org's CA): the limits and the report's cells are theirs alone.
        care = quiet(await ensureApp(t, 'MOHWMSP', `e2e24-care-${run}`, { role: 'department', dept: depts.care }));
        police = quiet(await ensureApp(t, 'MOISMSP', `e2e24-police-${run}`, { role: 'department', dept: depts.inv }));
        emergency = quiet(await ensureApp(t, 'MOHWMSP', `e2e24-er-${run}`, { role: 'department', dept: depts.er }));
        const register = (
            ownerMspId: string,
            key: keyof typeof depts,
            extra: { legalBasis?: string; basis?: 'investigation' | 'emergency' },
        ) =>
            serviceAdmin.call(
                {
                    method: 'POST',
                    path: '/v1/services',
                    body: serviceBody({ ownerMspId, dept: depts[key], name: `${key} ${run}` }, services[key], purposes[key], {
                        items: ['name', 'address'],
                        predicates: [],
                        ...extra,
                    }),
                },
                201,
            );
        await register('MOHWMSP', 'care', {});
        await register('MOISMSP', 'inv', { legalBasis: 'Criminal Procedure Act art. 199', basis: 'investigation' });
        await register('MOHWMSP', 'er', { legalBasis: 'Emergency Medical Service Act art. 8', basis: 'emergency' });
        await issue(citizen.cardId, citizen.device);
    });

    describe('legal representatives', () => {
        const parent = { cardId: `card-par-${run}`, device: DeviceKey.generate() };
        const child13 = {
            cardId: `card-c13-${run}`,
            device: DeviceKey.generate(),
            birthDate: birthDateAged(13, 30),
            name: marker('Hong Sarang'),
        };
        const child14 = { cardId: `card-c14-${run}`, device: DeviceKey.generate(), birthDate: birthDateAged(14), name: 'Hong Haneul' };
        const representationId = `rep-c13-${run}`;
        const rep = () => parent.device.asRepresentative(parent.cardId);
        let minorityToken: string;

        before(async () => {
            await issue(parent.cardId, parent.device);
            for (const c of [child13, child14]) await issue(c.cardId, c.device, childPersonal(c.name, c.birthDate));
        });

        it("Given a 13-year-old's minority and the parent's representation, Then the parent consents with their own key and today's token, the department reads under it, and the act is in the child's log; the child alone is refused", async () => {
            const minority = await issuer.call<{ minority: { status: string; startDate: string } }>(
                { method: 'POST', path: `/v1/cards/${child13.cardId}/minority`, body: {} },
                201,
            );
            expect(minority.minority).to.include({ status: 'ACTIVE', startDate: seoulDate(new Date()) });
            expect(JSON.stringify(minority)).not.to.contain(child13.birthDate);
            await issuer.call(
                {
                    method: 'POST',
                    path: '/v1/representations',
                    body: {
                        representationId,
                        representedCardId: child13.cardId,
                        representativeCardId: parent.cardId,
                        basis: 'MINOR_UNDER_14',
                        scope: ['consent', 'withdraw', 'viewLog', 'object'],
                    },
                },
                201,
            );
            // What the tracker shows the parent: whom they represent, what they may do, today's token.
            const mine = await citizenApp.call<{
                page: Page<{ representationId: string; scope: string[]; status: string }>;
                minorityTokens: Record<string, string>;
            }>(
                {
                    method: 'POST',
                    path: `/v1/cards/${parent.cardId}/representations/query`,
                    body: { request: parent.device.representationListRequest(parent.cardId) },
                },
                200,
            );
            expect(mine.page.records).to.have.length(1);
            expect(mine.page.records[0]).to.deep.include({
                representationId,
                status: 'ACTIVE',
                scope: ['consent', 'object', 'viewLog', 'withdraw'],
            });
            minorityToken = mine.minorityTokens[representationId] as string;
            expect(minorityToken).to.match(/^[0-9a-f]{64}$/);
            const acting = { representationId, representedCardId: child13.cardId, minorityToken };
            const { consent } = await citizenApp.call<{ consent: { consentId: string; cardId: string; representation: unknown } }>(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/consents`,
                    body: rep().consent(acting, consentBody(child13.cardId)),
                },
                201,
            );
            expect(consent).to.deep.include({
                cardId: child13.cardId,
                representation: { representationId, representativeCardId: parent.cardId },
            });
            expect((await careAsk(child13.cardId, consent.consentId)).decision).to.equal('GRANTED');
            // The act and the access, in the child's log as the representative reads it.
            const { page } = await citizenApp.call<{ page: Page<Entry> }>(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/access-log/query`,
                    body: { request: rep().accessLogRequest(acting), pageSize: 100 },
                },
                200,
            );
            expect(page.records.map((r) => r.docType)).to.deep.equal(['representativeAct', 'access']);
            expect(page.records[0]).to.include({ act: 'consent' });
            // The child's own consent is refused while under 14; the token that ends the minority does not exist yet.
            const own = await citizenApp.call<Problem>(
                { method: 'POST', path: '/v1/consents', body: child13.device.consent(consentBody(child13.cardId)) },
                403,
            );
            expect(own.code).to.equal('CITIZEN_IS_MINOR');
            const mineAsChild = await citizenApp.call<{ minority: { status: string }; endMinorityToken?: string }>(
                {
                    method: 'POST',
                    path: `/v1/cards/${child13.cardId}/minority/query`,
                    body: { request: child13.device.representationListRequest(child13.cardId) },
                },
                200,
            );
            expect(mineAsChild.minority.status).to.equal('ACTIVE');
            expect(mineAsChild).not.to.have.property('endMinorityToken');
            const early = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/cards/${child13.cardId}/minority/end`,
                    body: child13.device.endMinority(child13.cardId, 'e'.repeat(64)),
                },
                403,
            );
            expect(early.code).to.equal('MINORITY_NOT_ENDED');
            // The birth date reached Seoul's peer only (transient), and the name with it.
            expect(filesOutsideIssuerPeer(t, child13.name), 'the name outside Seoul’s peer').to.deep.equal([]);
            expect(filesOutsideIssuerPeer(t, child13.birthDate), 'the birth date outside Seoul’s peer').to.deep.equal([]);
        });

        it("Given a child who is 14 today, Then no minority can be recorded (NOT_A_MINOR) and no child's representation either; the child consents alone", async () => {
            const refused = await issuer.call<Problem>({ method: 'POST', path: `/v1/cards/${child14.cardId}/minority`, body: {} }, 422);
            expect(refused.code).to.equal('NOT_A_MINOR');
            const noMinority = await issuer.call<Problem>(
                {
                    method: 'POST',
                    path: '/v1/representations',
                    body: {
                        representationId: `rep-c14-${run}`,
                        representedCardId: child14.cardId,
                        representativeCardId: parent.cardId,
                        basis: 'MINOR_UNDER_14',
                        scope: ['consent'],
                    },
                },
                404,
            );
            expect(noMinority.code).to.equal('MINORITY_NOT_FOUND');
            await citizenApp.call({ method: 'POST', path: '/v1/consents', body: child14.device.consent(consentBody(child14.cardId)) }, 201);
        });

        it("Given the representative's documents, Then another key's signature, a card that is not the representative, a token not today's and an act beyond the scope are refused with their codes", async () => {
            const acting = { representationId, representedCardId: child13.cardId, minorityToken };
            const stranger = DeviceKey.generate();
            const wrongKey = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/consents`,
                    body: stranger.asRepresentative(parent.cardId).consent(acting, consentBody(child13.cardId)),
                },
                422,
            );
            expect(wrongKey.code).to.equal('SIGNATURE_INVALID');
            const notTheirs = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/consents`,
                    body: citizen.device.asRepresentative(citizen.cardId).consent(acting, consentBody(child13.cardId)),
                },
                403,
            );
            expect(notTheirs.code).to.equal('NOT_REPRESENTATIVE');
            const stale = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/consents`,
                    body: rep().consent({ ...acting, minorityToken: 'e'.repeat(64) }, consentBody(child13.cardId)),
                },
                403,
            );
            expect(stale.code).to.equal('REPRESENTATION_ENDED');
            // A second representation with a narrower scope: reading the log only.
            const viewOnly = `rep-c13-view-${run}`;
            await issuer.call(
                {
                    method: 'POST',
                    path: '/v1/representations',
                    body: {
                        representationId: viewOnly,
                        representedCardId: child13.cardId,
                        representativeCardId: parent.cardId,
                        basis: 'MINOR_UNDER_14',
                        scope: ['viewLog'],
                    },
                },
                201,
            );
            const scope = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/representations/${viewOnly}/consents`,
                    body: rep().consent({ ...acting, representationId: viewOnly }, consentBody(child13.cardId)),
                },
                403,
            );
            expect(scope.code).to.equal('REPRESENTATION_SCOPE_EXCEEDED');
        });
    });

    describe('sealed entries and a guardianship, against the transaction time', () => {
        let sealedLong: Decision;
        let sealedShort: Decision;
        let sealedShortUntil: string;
        const sealedAsk = (sealedUntil: string) => ({
            cardId: citizen.cardId,
            serviceId: services.inv,
            purpose: purposes.inv,
            items: ['address'],
            predicates: [],
            sealedUntil,
        });

        it('Given sealed accesses, Then the citizen does not see them, the auditor and the department do at once, a seal beyond the maximum is refused, and only an auditor extends one', async () => {
            const tooLong = await police.call<Problem>(
                {
                    method: 'POST',
                    path: '/v1/access-requests/sealed',
                    body: sealedAsk(new Date(Date.now() + (CHANNEL_POLICY.sealMaxDays + 1) * DAY).toISOString()),
                },
                422,
            );
            expect(tooLong.code).to.equal('SEAL_TOO_LONG');
            sealedLong = await ask(police, '/v1/access-requests/sealed', sealedAsk(new Date(Date.now() + 30 * DAY).toISOString()));
            expect(sealedLong).to.include({ decision: 'GRANTED', reason: 'LEGAL_BASIS' });
            expect((sealedLong as unknown as { data: { items: unknown } }).data.items).to.deep.equal({ address: SAMPLE_PERSONAL.address });
            expect((await ownLog(citizen.cardId, citizen.device)).map((e) => e.accessId)).not.to.include(sealedLong.accessId);
            const audited = (await auditorLog(citizen.cardId)).find((e) => e.accessId === sealedLong.accessId);
            expect(audited).to.include({ sealed: true, requestedBasis: 'investigation' });
            await police.call({ method: 'GET', path: `/v1/access/${sealedLong.accessId}` }, 200);
            // An objection to it cannot probe for it: to the citizen it does not exist.
            const probe = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: '/v1/objections',
                    body: citizen.device.objection(citizen.cardId, sealedLong.accessId, 'What is this?'),
                },
                404,
            );
            expect(probe.code).to.equal('ACCESS_NOT_FOUND');
            // Only the audit office extends a seal, with its decision's reference; the department may not.
            const until = new Date(Date.now() + 60 * DAY).toISOString();
            const refused = await police.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/seals/${sealedLong.accessId}/extend`,
                    body: { sealedUntil: until, decisionRef: 'AUD-2026-0042' },
                },
                403,
            );
            expect(refused.code).to.equal('UNAUTHORIZED_ROLE');
            const { seal } = await auditor.call<{ seal: { sealedUntil: string; extensions: { decisionRef: string }[] } }>(
                {
                    method: 'POST',
                    path: `/v1/seals/${sealedLong.accessId}/extend`,
                    body: { sealedUntil: until, decisionRef: 'AUD-2026-0042' },
                },
                200,
            );
            expect(seal.extensions.map((e) => e.decisionRef)).to.deep.equal(['AUD-2026-0042']);
            expect(Date.parse(seal.sealedUntil)).to.equal(Date.parse(until));
            const beyond = await auditor.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/seals/${sealedLong.accessId}/extend`,
                    body: { sealedUntil: new Date(Date.now() + 91 * DAY).toISOString(), decisionRef: 'AUD-2026-0043' },
                },
                422,
            );
            expect(beyond.code).to.equal('SEAL_TOO_LONG');
        });

        it('Given a seal of a few seconds and a guardianship ending, Then from the seal date the citizen sees the entry with the date it was made, and past its end the guardian is refused', async () => {
            const ward = { cardId: `card-ward-${run}`, device: DeviceKey.generate() };
            const guardian = { cardId: `card-grd-${run}`, device: DeviceKey.generate() };
            await issue(ward.cardId, ward.device);
            await issue(guardian.cardId, guardian.device);
            const endsAt = new Date(Date.now() + 20_000).toISOString();
            const representationId = `rep-grd-${run}`;
            await issuer.call(
                {
                    method: 'POST',
                    path: '/v1/representations',
                    body: {
                        representationId,
                        representedCardId: ward.cardId,
                        representativeCardId: guardian.cardId,
                        basis: 'GUARDIANSHIP',
                        scope: ['consent', 'viewLog'],
                        endsAt,
                    },
                },
                201,
            );
            const acting = { representationId, representedCardId: ward.cardId };
            const asGuardian = guardian.device.asRepresentative(guardian.cardId);
            await citizenApp.call(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/consents`,
                    body: asGuardian.consent(acting, consentBody(ward.cardId)),
                },
                201,
            );
            sealedShortUntil = new Date(Date.now() + 20_000).toISOString();
            sealedShort = await ask(police, '/v1/access-requests/sealed', sealedAsk(sealedShortUntil));
            const madeAt = (await auditorLog(citizen.cardId)).find((e) => e.accessId === sealedShort.accessId)?.timestamp as string;
            expect((await ownLog(citizen.cardId, citizen.device)).map((e) => e.accessId)).not.to.include(sealedShort.accessId);

            await sleep(Math.max(Date.parse(endsAt), Date.parse(sealedShortUntil)) - Date.now() + 1500);

            const shown = (await ownLog(citizen.cardId, citizen.device)).find((e) => e.accessId === sealedShort.accessId);
            expect(shown, 'released').to.include({ sealed: true, timestamp: madeAt });
            expect(Date.parse(shown?.sealedUntil as string)).to.equal(Date.parse(sealedShortUntil));
            expect((await ownLog(citizen.cardId, citizen.device)).map((e) => e.accessId)).not.to.include(sealedLong.accessId);
            const ended = await citizenApp.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/representations/${representationId}/consents`,
                    body: asGuardian.consent(acting, { ...consentBody(ward.cardId), retentionDays: 31 }),
                },
                403,
            );
            expect(ended.code).to.equal('REPRESENTATION_ENDED');
            const { representation } = await citizenApp.call<{ representation: { status: string } }>(
                { method: 'GET', path: `/v1/representations/${representationId}` },
                200,
            );
            expect(representation.status).to.equal('ENDED');
        });
    });

    describe('break-glass', () => {
        const glass = (extra: object = { reasonCode: 'UNCONSCIOUS_PATIENT', incidentRef: `ER-${run.toUpperCase()}` }) =>
            ask(emergency, '/v1/access-requests/emergency', {
                cardId: citizen.cardId,
                serviceId: services.er,
                purpose: purposes.er,
                items: ['name'],
                predicates: [],
                ...extra,
            });

        it('Given an emergency service, Then without a reason it is DENIED on record, each access is flagged and shown to the citizen at once with a review case, and past the monthly limit the department is refused until an auditor clears it', async () => {
            expect(await glass({})).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_REASON_REQUIRED' });
            const granted: Decision[] = [];
            for (let i = 0; i < CHANNEL_POLICY.breakGlassMonthlyLimit; i++) granted.push(await glass());
            expect(granted.map((g) => g.decision)).to.deep.equal(Array(CHANNEL_POLICY.breakGlassMonthlyLimit).fill('GRANTED'));
            expect(granted.every((g) => g.reason === 'BREAK_GLASS')).to.equal(true);
            expect(await glass()).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_LIMIT_EXCEEDED' });
            expect(await glass()).to.include({ decision: 'DENIED', reason: 'BREAK_GLASS_LIMIT_EXCEEDED' });
            const { breakGlass } = await emergency.call<{ breakGlass: { blocked: boolean; count: number } }>(
                { method: 'GET', path: `/v1/break-glass/MOHWMSP/${depts.er}` },
                200,
            );
            expect(breakGlass).to.include({ blocked: true, count: CHANNEL_POLICY.breakGlassMonthlyLimit });
            // Shown to the citizen at once, flagged, each with its review case.
            const own = (await ownLog(citizen.cardId, citizen.device)).filter((e) => e.serviceId === services.er);
            expect(own).to.have.length(CHANNEL_POLICY.breakGlassMonthlyLimit + 3);
            for (const e of own.filter((x) => x.decision === 'GRANTED')) expect(e.breakGlass?.reviewId).to.equal(e.accessId);
            // The audit office's work list holds them; an auditor decides one and clears the block.
            const open: string[] = [];
            let bookmark = '';
            do {
                const { page } = await auditor.call<{ page: Page<{ reviewId: string }> }>(
                    {
                        method: 'GET',
                        path: `/v1/reviews?status=OPEN&pageSize=100${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`,
                    },
                    200,
                );
                open.push(...page.records.map((r) => r.reviewId));
                bookmark = page.bookmark;
            } while (bookmark);
            expect(open).to.include.members(granted.map((g) => g.accessId));
            const { review } = await auditor.call<{ review: { status: string } }>(
                {
                    method: 'POST',
                    path: `/v1/reviews/${granted[0]?.accessId}/decision`,
                    body: { outcome: 'CLEARED', findingCode: 'LAWFUL', text: 'Unconscious patient: lawful.' },
                },
                200,
            );
            expect(review.status).to.equal('CLEARED');
            const refused = await emergency.call<Problem>(
                { method: 'POST', path: `/v1/break-glass/MOHWMSP/${depts.er}/clear`, body: { decisionRef: 'AUD-2026-0050' } },
                403,
            );
            expect(refused.code).to.equal('UNAUTHORIZED_ROLE');
            await auditor.call(
                { method: 'POST', path: `/v1/break-glass/MOHWMSP/${depts.er}/clear`, body: { decisionRef: 'AUD-2026-0050' } },
                200,
            );
            expect(await glass()).to.include({ decision: 'GRANTED', reason: 'BREAK_GLASS' });
        });
    });

    describe('objections', () => {
        it("Given the citizen objects to an entry, Then its text stays on Seoul's peer, the auditor reads it and records a finding, and the citizen, the department and the auditor see the finding", async () => {
            const { consent } = await citizenApp.call<{ consent: { consentId: string } }>(
                { method: 'POST', path: '/v1/consents', body: citizen.device.consent(consentBody(citizen.cardId)) },
                201,
            );
            for (let i = 0; i < CHANNEL_POLICY.reportMinCount; i++) {
                const d = await careAsk(citizen.cardId, consent.consentId);
                expect(d.decision).to.equal('GRANTED');
                grantedCare.push(d.accessId);
            }
            expect((await careAsk(citizen.cardId)).reason).to.equal('CONSENT_REQUIRED');
            const text = `${marker('I never asked the care office for anything')}; my neighbour Kim saw the letter.`;
            const body = citizen.device.objection(citizen.cardId, grantedCare[0] as string, text);
            const { objection } = await citizenApp.call<{ objection: { objectionId: string; status: string; textHash: string } }>(
                { method: 'POST', path: '/v1/objections', body },
                201,
            );
            expect(objection).to.include({ status: 'OPEN', textHash: body.document.textHash });
            // The audit office: its work list, the text (from Seoul's peer), the finding.
            const open: string[] = [];
            let bookmark = '';
            do {
                const { page } = await auditor.call<{ page: Page<{ objectionId: string }> }>(
                    {
                        method: 'GET',
                        path: `/v1/objections?status=OPEN&pageSize=100${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`,
                    },
                    200,
                );
                open.push(...page.records.map((r) => r.objectionId));
                bookmark = page.bookmark;
            } while (bookmark);
            expect(open).to.include(objection.objectionId);
            const read = await auditor.call<{ objectionText: { text: string } }>(
                { method: 'GET', path: `/v1/objections/${objection.objectionId}/text` },
                200,
            );
            expect(read.objectionText.text).to.equal(text);
            const screened = await auditor.call<Problem>(
                {
                    method: 'POST',
                    path: `/v1/objections/${objection.objectionId}/finding`,
                    body: { outcome: 'UPHELD', findingCode: 'NO_VALID_BASIS', text: 'Call the citizen at 010-1234-5678.' },
                },
                422,
            );
            expect(screened.code).to.equal('TEXT_NOT_ALLOWED');
            const finding = { outcome: 'UPHELD', findingCode: 'PURPOSE_EXCEEDED', text: 'The department asked beyond its purpose.' };
            await auditor.call({ method: 'POST', path: `/v1/objections/${objection.objectionId}/finding`, body: finding }, 200);
            const again = await auditor.call<Problem>(
                { method: 'POST', path: `/v1/objections/${objection.objectionId}/finding`, body: finding },
                409,
            );
            expect(again.code).to.equal('OBJECTION_DECIDED');
            // The three parties see it.
            const byCitizen = await citizenApp.call<{ page: Page<{ objectionId: string; finding?: object }> }>(
                { method: 'GET', path: `/v1/cards/${citizen.cardId}/objections` },
                200,
            );
            const byDept = await care.call<{ objection: { finding?: object } }>(
                { method: 'GET', path: `/v1/objections/${objection.objectionId}` },
                200,
            );
            const listedForDept = await care.call<{ page: Page<{ objectionId: string }> }>(
                { method: 'GET', path: `/v1/audit/objections?mspId=MOHWMSP&dept=${depts.care}` },
                200,
            );
            const byAuditor = await auditor.call<{ objection: { finding?: object; status: string } }>(
                { method: 'GET', path: `/v1/objections/${objection.objectionId}` },
                200,
            );
            for (const f of [
                byCitizen.page.records.find((r) => r.objectionId === objection.objectionId)?.finding,
                byDept.objection.finding,
                byAuditor.objection.finding,
            ])
                expect(f).to.include(finding);
            expect(listedForDept.page.records.map((r) => r.objectionId)).to.deep.equal([objection.objectionId]);
            // Another department does not see it.
            const other = await police.call<Problem>({ method: 'GET', path: `/v1/objections/${objection.objectionId}` }, 403);
            expect(other.code).to.equal('UNAUTHORIZED_ROLE');
            // The text is in no gateway's answer but the auditor's read, nor anywhere outside Seoul's peer.
            expect(filesOutsideIssuerPeer(t, text.slice(0, 60)), 'the text outside Seoul’s peer').to.deep.equal([]);
        });
    });

    describe('the transparency report', () => {
        it("Given this run's departments, Then the report's counts equal their log's, counts from 1 to 4 are null, and the public endpoint (no key) answers the same", async () => {
            const month = seoulMonth(new Date());
            for (let i = 0; i < 50; i++) {
                const { rollUp } = await auditor.call<{ rollUp: { more: boolean } }>(
                    { method: 'POST', path: '/v1/reports/transparency/roll-up', body: { month } },
                    200,
                );
                if (!rollUp.more) break;
            }
            const { report } = await care.call<{ report: { month: string; minCount: number; rows: Row[] } }>(
                { method: 'GET', path: `/v1/reports/transparency?month=${month}` },
                200,
            );
            expect(report.minCount).to.equal(CHANNEL_POLICY.reportMinCount);
            const ours = report.rows.filter((r) => Object.values(depts).includes(r.dept));
            // The same counts from the log: every entry of this run's departments this month, by the auditor.
            const from = `${month}-01T00:00:00+09:00`;
            const next = new Date(Date.parse(from) + 32 * DAY).toISOString().slice(0, 7);
            const to = `${next}-01T00:00:00+09:00`;
            const expected = new Map<string, Row>();
            const suppress = (n: number) => (n > 0 && n < CHANNEL_POLICY.reportMinCount ? null : n);
            const raw = new Map<string, Record<string, number>>();
            for (const [mspId, dept] of [
                ['MOHWMSP', depts.care],
                ['MOISMSP', depts.inv],
                ['MOHWMSP', depts.er],
            ] as const) {
                let bookmark = '';
                do {
                    const q = `mspId=${mspId}&dept=${dept}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&pageSize=100`;
                    const { page } = await auditor.call<{ page: Page<Entry> }>(
                        { method: 'GET', path: `/v1/audit/access?${q}${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}` },
                        200,
                    );
                    for (const e of page.records) {
                        const basis = e.requestedBasis ?? (e.consentId ? 'consent' : 'legal');
                        const key = `${mspId}|${dept}|${e.serviceId}|${basis}`;
                        const counts = raw.get(key) ?? { accesses: 0, denials: 0, sealed: 0, breakGlass: 0, objections: 0, findings: 0 };
                        if (e.decision === 'GRANTED') counts.accesses = (counts.accesses ?? 0) + 1;
                        else counts.denials = (counts.denials ?? 0) + 1;
                        if (e.sealed) counts.sealed = (counts.sealed ?? 0) + 1;
                        if (e.breakGlass && e.decision === 'GRANTED') counts.breakGlass = (counts.breakGlass ?? 0) + 1;
                        // This run's one objection, filed and decided this month, to the first care entry.
                        if (e.accessId === grantedCare[0]) {
                            counts.objections = 1;
                            counts.findings = 1;
                        }
                        raw.set(key, counts);
                    }
                    bookmark = page.bookmark;
                } while (bookmark);
            }
            for (const [key, counts] of raw) {
                const [mspId, dept, serviceId, basis] = key.split('|') as [string, string, string, string];
                expected.set(key, {
                    mspId,
                    dept,
                    serviceId,
                    basis,
                    accesses: suppress(counts.accesses ?? 0),
                    denials: suppress(counts.denials ?? 0),
                    sealed: suppress(counts.sealed ?? 0),
                    breakGlass: suppress(counts.breakGlass ?? 0),
                    objections: suppress(counts.objections ?? 0),
                    findings: suppress(counts.findings ?? 0),
                });
            }
            const sortKey = (r: Row) => `${r.mspId}|${r.dept}|${r.serviceId}|${r.basis}`;
            expect(ours.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).to.deep.equal(
                [...expected.values()].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
            );
            // What the checks above rest on: published and suppressed counts of each kind.
            const row = (dept: string, basis: string) => ours.find((r) => r.dept === dept && r.basis === basis);
            expect(row(depts.care, 'consent')).to.include({ objections: null, findings: null });
            expect(row(depts.care, 'consent')?.accesses).to.be.at.least(CHANNEL_POLICY.reportMinCount);
            expect(row(depts.care, 'legal')).to.include({ accesses: 0, denials: null });
            expect(row(depts.inv, 'investigation')).to.include({ sealed: null });
            expect(row(depts.er, 'emergency')).to.include({ breakGlass: CHANNEL_POLICY.breakGlassMonthlyLimit + 1, denials: null });
            // The public report: no API key, the same rows; and its page.
            const g = gatewayOf(findOrg(t, 'MOISMSP'));
            const res = await fetch(`http://${g.host}:${g.port}/public/transparency?month=${month}`);
            expect(res.status).to.equal(200);
            const published = (await res.json()) as { report: { rows: Row[] } };
            expect(published.report.rows.filter((r) => Object.values(depts).includes(r.dept))).to.deep.equal(ours);
            const page = await fetch(`http://${g.host}:${g.port}/transparency/`);
            expect([page.status, page.headers.get('content-security-policy')]).to.satisfy(
                ([status, csp]: [number, string | null]) => status === 200 && Boolean(csp?.includes("script-src 'self'")),
            );
        });
    });
});
