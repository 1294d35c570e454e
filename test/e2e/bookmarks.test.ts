// Issue 26's requests, on the test network (the devnet or real Fabric): an ordinary department app
// of MOIS, refused MOHW's access log directly, tried forged page bookmarks and odd integers. Each
// is now a 4xx problem with a stable code, through its gateway and straight at a peer with the
// fabric-gateway client (the chaincode bounds the bookmark, so no gateway is trusted with it).
import { expect } from 'chai';
import { DeviceKey } from '../../gateway/citizen/device';
import { basicPensionServiceBody, cardIssueBody, ensureApp, serviceBody, type GatewayClient } from '../../scripts/demo';
import type { Topology } from '../../network/client/topology';
import { closeConnections, connection, contractOf, utf8 } from './helpers';
import { testNetwork, NETWORK_LABEL } from './network';

interface Problem {
    status: number;
    code: string;
}

describe(`forged bookmarks and odd query strings on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    let mois: GatewayClient;
    const run = Date.now().toString(36);

    const quiet = (c: GatewayClient) => {
        c.verbose = false;
        return c;
    };

    before(async () => {
        t = (await testNetwork()).topology;
        // Something to leak: a MOHW welfare access-log entry (a DENIED one is an entry too), a card and a consent-free service.
        const issuer = quiet(await ensureApp(t, 'SeoulMSP', 'e2e-bm-issuer', { identity: 'issuer1', role: 'issuer' }));
        const sadmin = quiet(await ensureApp(t, 'MOISMSP', 'e2e-bm-sadmin', { identity: 'service-admin1', role: 'service-admin' }));
        const welfare = quiet(await ensureApp(t, 'MOHWMSP', 'e2e-bm-welfare', { role: 'department', dept: 'welfare' }));
        mois = quiet(await ensureApp(t, 'MOISMSP', 'e2e-bm-resreg', { role: 'department', dept: 'resident-registration' }));
        const cardId = `card-bm-${run}`;
        await issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(cardId, DeviceKey.generate().publicKeyBase64()) }, 201);
        const serviceId = `svc-bm-${run}`;
        const purpose = 'basic pension eligibility';
        await sadmin.call(
            {
                method: 'POST',
                path: '/v1/services',
                body: basicPensionServiceBody(serviceId, purpose, { items: ['name'], predicates: [] }),
            },
            201,
        );
        // A second service, so that a page of one has a next page.
        await sadmin.call(
            {
                method: 'POST',
                path: '/v1/services',
                body: basicPensionServiceBody(`${serviceId}-2`, purpose, { items: ['name'], predicates: [] }),
            },
            201,
        );
        const denied = await welfare.call<{ decision: string }>(
            { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name'], predicates: [] } },
            201,
        );
        expect(denied.decision).to.equal('DENIED');
    });

    after(closeConnections);

    const refused = async (path: string, status: number, code: string) => {
        const p = await mois.call<Problem>({ method: 'GET', path });
        expect(mois.lastStatus, `${path}: ${JSON.stringify(p)}`).to.equal(status);
        expect(p.code, path).to.equal(code);
        return p;
    };

    it("Given a MOIS department app, When it asks MOHW's access log directly, Then 403 (what the bookmarks went around)", async () => {
        const from = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
        const to = encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString());
        const p = await mois.call<Problem>({ method: 'GET', path: `/v1/audit/access?mspId=MOHWMSP&from=${from}&to=${to}` });
        expect(mois.lastStatus).to.equal(403);
        expect(p.code).to.equal('UNAUTHORIZED_ROLE');
    });

    for (const [what, bookmark] of [
        ["access-log entries'", '%00access%00'],
        ["cards'", '%00card%00'],
        ["consents'", '%00consent%00'],
    ]) {
        it(`Given a bookmark at the ${what} keys on /v1/services, Then 400 INVALID_BOOKMARK and no record`, async () => {
            const p = await refused(`/v1/services?bookmark=${bookmark}&pageSize=3`, 400, 'INVALID_BOOKMARK');
            expect(JSON.stringify(p)).to.not.match(/callerMspId|commitments|receipt/);
        });
    }

    it('Given ownerMspId=AuditMSP and the bookmark %00, Then 400 INVALID_BOOKMARK (was 502 FABRIC_ERROR)', async () => {
        await refused('/v1/services?ownerMspId=AuditMSP&bookmark=%00', 400, 'INVALID_BOOKMARK');
    });

    for (const query of ['from=0x0&to=1', 'from=1e0&to=2', 'from=%201&to=2', 'from=&to=1']) {
        it(`Given /v1/blocks?${query}, Then 400 VALIDATION_FAILED`, async () => {
            await refused(`/v1/blocks?${query}`, 400, 'VALIDATION_FAILED');
        });
    }

    it('Given pageSize=0x5, Then 400 VALIDATION_FAILED; pageSize=5 is served', async () => {
        await refused('/v1/services?pageSize=0x5', 400, 'VALIDATION_FAILED');
        const ok = await mois.call<{ page: { records: unknown[] } }>({ method: 'GET', path: '/v1/services?pageSize=5' }, 200);
        expect(ok.page.records.length).to.be.at.most(5);
    });

    it('Given the bookmark the first page handed out, Then the next page is served', async () => {
        const first = await mois.call<{ page: { records: { serviceId: string }[]; bookmark: string } }>(
            { method: 'GET', path: '/v1/services?pageSize=1' },
            200,
        );
        expect(first.page.bookmark).to.not.equal('');
        const next = await mois.call<{ page: { records: { serviceId: string }[] } }>(
            { method: 'GET', path: `/v1/services?pageSize=1&bookmark=${encodeURIComponent(first.page.bookmark)}` },
            200,
        );
        expect(next.page.records[0].serviceId).to.not.equal(first.page.records[0].serviceId);
    });

    it("Given the forged bookmark sent straight to a peer with the fabric-gateway client as the app's own identity, Then the chaincode refuses it", async () => {
        const { gateway } = connection(t, 'MOISMSP', 'e2e-bm-resreg');
        const contract = contractOf(t, gateway, 'citizencard');
        let message = '';
        try {
            const answer = await contract.evaluate('ServiceContract:ListServices', {
                arguments: [JSON.stringify({ pageSize: 3, bookmark: '\u0000access\u0000' })],
            });
            message = `answered ${utf8(answer).slice(0, 200)}`;
        } catch (e) {
            const err = e as { details?: { message: string }[]; message: string };
            message = [err.message, ...(err.details ?? []).map((d) => d.message)].join(' | ');
        }
        expect(message).to.include('INVALID_BOOKMARK');
        expect(message).to.not.include('callerMspId');
    });

    it('Given a service for an org that is not on the channel, Then 422 ORG_NOT_ON_CHANNEL', async () => {
        const sadmin = quiet(await ensureApp(t, 'MOISMSP', 'e2e-bm-sadmin', { identity: 'service-admin1', role: 'service-admin' }));
        const body = serviceBody({ ownerMspId: 'NOSUCHMSP', dept: 'welfare', name: 'Nowhere' }, `svc-bm-none-${run}`, 'a purpose', {
            items: ['name'],
            predicates: [],
        });
        const p = await sadmin.call<Problem>({ method: 'POST', path: '/v1/services', body });
        expect(sadmin.lastStatus).to.equal(422);
        expect(p.code).to.equal('ORG_NOT_ON_CHANNEL');
    });

    it('Given the history of a card the ledger never held, Then 404 CARD_NOT_FOUND', async () => {
        const auditor = quiet(await ensureApp(t, 'AuditMSP', 'e2e-bm-audit', { identity: 'auditor1', role: 'auditor' }));
        const p = await auditor.call<Problem>({ method: 'GET', path: `/v1/audit/history/card/card-never-${run}` });
        expect(auditor.lastStatus).to.equal(404);
        expect(p.code).to.equal('CARD_NOT_FOUND');
    });
});
