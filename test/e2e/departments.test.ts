// Purpose limitation on the test network (the devnet or real Fabric), through the gateways with CA-issued identities: two departments
// of one ministry each read their own access entries only, the ministry's org-auditor reads both,
// the Audit org reads everything. The gateway forwards; the chaincode decides from the certificate.
import { expect } from 'chai';
import { DeviceKey } from '../../gateway/citizen/device';
import { cardIssueBody, ensureApp, serviceBody, type GatewayClient } from '../../scripts/demo';
import type { Topology } from '../../network/client/topology';
import { testNetwork, NETWORK_LABEL } from './network';

interface Problem {
    status: number;
    code: string;
}

describe(`department-level separation on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    const run = `${Date.now().toString(36)}`;
    const cardId = `card-dept-${run}`;
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    let welfare: GatewayClient;
    let pension: GatewayClient;
    let mohwAuditor: GatewayClient;
    let moisAuditor: GatewayClient;
    let auditOffice: GatewayClient;
    const entries: { welfare?: string; pension?: string } = {};

    const quiet = (c: GatewayClient) => {
        c.verbose = false;
        return c;
    };
    /** This run's entries in every page of a listing (other tests add entries to the same window). */
    const listOf = async (c: GatewayClient, query: string) => {
        const found: string[] = [];
        let bookmark = '';
        do {
            const path = `/v1/audit/access?${query}${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`;
            const { page } = await c.call<{ page: { records: { accessId: string; cardId: string }[]; bookmark: string } }>(
                { method: 'GET', path },
                200,
            );
            found.push(...page.records.filter((r) => r.cardId === cardId).map((r) => r.accessId));
            bookmark = page.bookmark;
        } while (bookmark);
        return found.sort();
    };
    const window = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&pageSize=100`;

    before(async () => {
        t = (await testNetwork()).topology;
        const issuer = quiet(await ensureApp(t, 'SeoulMSP', 'e2e-dept-issuer', { identity: 'issuer1', role: 'issuer' }));
        const sadmin = quiet(await ensureApp(t, 'MOISMSP', 'e2e-dept-sadmin', { identity: 'service-admin1', role: 'service-admin' }));
        welfare = quiet(await ensureApp(t, 'MOHWMSP', 'e2e-dept-welfare', { role: 'department', dept: 'welfare' }));
        pension = quiet(await ensureApp(t, 'MOHWMSP', 'e2e-dept-pension', { role: 'department', dept: 'pension' }));
        mohwAuditor = quiet(await ensureApp(t, 'MOHWMSP', 'e2e-dept-mohw-auditor', { role: 'org-auditor' }));
        moisAuditor = quiet(await ensureApp(t, 'MOISMSP', 'e2e-dept-mois-auditor', { role: 'org-auditor' }));
        auditOffice = quiet(await ensureApp(t, 'AuditMSP', 'e2e-dept-audit', { identity: 'auditor1', role: 'auditor' }));
        const device = DeviceKey.generate();
        await issuer.call(
            {
                method: 'POST',
                path: '/v1/cards',
                body: cardIssueBody(cardId, device.publicKeyBase64()),
            },
            201,
        );
        for (const [dept, app] of [
            ['welfare', welfare],
            ['pension', pension],
        ] as const) {
            const serviceId = `svc-${dept}-${run}`;
            const purpose = `${dept} eligibility check`;
            await sadmin.call(
                {
                    method: 'POST',
                    path: '/v1/services',
                    body: serviceBody({ ownerMspId: 'MOHWMSP', dept, name: `${dept} service` }, serviceId, purpose, {
                        legalBasis: `${dept} act`,
                        items: ['name'],
                        predicates: [],
                    }),
                },
                201,
            );
            const answer = await app.call<{ accessId: string; decision: string }>(
                { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name'], predicates: [] } },
                201,
            );
            expect(answer.decision).to.equal('GRANTED');
            entries[dept] = answer.accessId;
        }
    });

    it("Given welfare and pension of MOHW, Then each reads its own department's entries and is refused the other's (403 UNAUTHORIZED_DEPT)", async () => {
        expect(
            (await welfare.call<{ entry: { callerDept: string } }>({ method: 'GET', path: `/v1/access/${entries.welfare}` }, 200)).entry
                .callerDept,
        ).to.equal('welfare');
        for (const [app, other] of [
            [pension, entries.welfare],
            [welfare, entries.pension],
        ] as const) {
            const refused = await app.call<Problem>({ method: 'GET', path: `/v1/access/${other}` }, 403);
            expect(refused.code).to.equal('UNAUTHORIZED_DEPT');
        }
        expect(await listOf(pension, `mspId=MOHWMSP&dept=pension&${window}`)).to.deep.equal([entries.pension]);
        for (const query of [`mspId=MOHWMSP&dept=welfare&${window}`, `mspId=MOHWMSP&${window}`]) {
            const refused = await pension.call<Problem>({ method: 'GET', path: `/v1/audit/access?${query}` }, 403);
            expect(refused.code).to.equal('UNAUTHORIZED_DEPT');
        }
    });

    it("Given MOHW's org-auditor, Then it reads both departments of MOHW; MOIS's org-auditor reads neither", async () => {
        expect(await listOf(mohwAuditor, `mspId=MOHWMSP&${window}`)).to.deep.equal([entries.welfare, entries.pension].sort());
        await mohwAuditor.call({ method: 'GET', path: `/v1/access/${entries.pension}` }, 200);
        await mohwAuditor.call(
            { method: 'GET', path: `/v1/audit/access/counts?mspId=MOHWMSP&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` },
            200,
        );
        expect((await moisAuditor.call<Problem>({ method: 'GET', path: `/v1/access/${entries.welfare}` }, 403)).code).to.equal(
            'UNAUTHORIZED_ROLE',
        );
        await moisAuditor.call({ method: 'GET', path: `/v1/audit/access?mspId=MOHWMSP&${window}` }, 403);
    });

    it('Given the Audit org, Then it reads every entry of every department', async () => {
        expect(await listOf(auditOffice, `mspId=MOHWMSP&${window}`)).to.deep.equal([entries.welfare, entries.pension].sort());
        for (const accessId of [entries.welfare, entries.pension])
            await auditOffice.call({ method: 'GET', path: `/v1/access/${accessId}` }, 200);
    });
});
