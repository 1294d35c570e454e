// A fifth ministry joins the running channel, on a devnet of its own (the other end-to-end tests
// assume four orgs): the update signed by a majority of admins, the new peer catching up, the new
// org's department doing a consent-gated access through its own gateway, MAJORITY becoming three of
// five; refused updates writing nothing; then the org removed by the same kind of update.
import * as crypto from 'node:crypto';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import { DeviceKey } from '../../gateway/citizen/device';
import { ensureApp, GatewayClient, SAMPLE_PERSONAL } from '../../gateway/demo';
import { addOrg, removeOrg } from '../../network/addorg';
import {
    adminOf,
    channelOrgs,
    createOrgRequest,
    majoritySigners,
    proposeUpdate,
    requestConfigGroup,
    signUpdate,
    submitUpdate,
} from '../../network/orgs';
import { applicationOrgGroup } from '../../network/common/configtx';
import { checkHealth, devnetNodes } from '../../network/processes';
import { findOrg, Topology } from '../../network/topology';
import { closeConnections, connection, contractOf, eventually, utf8 } from './helpers';
import { onlyOn } from '../not-run';
import { driver, ownTestNetwork } from './network';

const NEW_ORG = { mspId: 'MOLEMSP', name: 'Ministry of Employment and Labor', domain: 'mole.example.gov' };
const FIXTURE = 'fixture';

/** A devnet peer's height and state digest (its operations service's /ledger, a devnet extension). */
async function ledgerSummary(host: string, operationsPort: number): Promise<{ height: number; stateDigest: string }> {
    const response = await fetch(`http://${host}:${operationsPort}/ledger`);
    if (response.status !== 200) throw new Error(`operations /ledger answered ${response.status}`);
    return (await response.json()) as { height: number; stateDigest: string };
}

describe('A fifth org joins the running devnet (a devnet of its own)', function () {
    this.timeout(300_000);
    let t: Topology;
    const log: string[] = [];
    const run = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    const say = (line: string) => log.push(line);
    let employment: GatewayClient;
    let auditor: GatewayClient;
    let grantedAccessId = '';
    const serviceId = `svc-employment-${run}`;

    const peerHeights = async (topology: Topology) =>
        Promise.all(topology.orgs.map(async (o) => (await ledgerSummary(o.peer.host, o.peer.operationsPort)).height));

    const samePeerHeights = () =>
        eventually('every peer at the same height', async () => {
            const heights = await peerHeights(t);
            return heights.every((h) => h === heights[0]) ? heights : undefined;
        });

    before(async function () {
        onlyOn(this, 'devnet', 'network:add-org drives the devnet; the real-Fabric variant (--fabric) is not built yet');
        // Ports 500 below the shared test devnet's: clear of it and of the other helpers' shifts.
        t = await ownTestNetwork('addorg', -500);
    });
    after(async () => {
        closeConnections();
        if (t && !process.env.E2E_KEEP) await driver().down(t, false);
    });

    it('Given four orgs, When an update adding MOLEMSP is signed by two admins only, Then the orderer refuses it and no peer gets a config block', async () => {
        const before = await peerHeights(t);
        const { topology, request } = await createOrgRequest(t, NEW_ORG, say);
        t = topology;
        const update = await proposeUpdate(t, adminOf(t, 'SeoulMSP'), {
            add: { mspId: NEW_ORG.mspId, group: requestConfigGroup(request) },
        });
        const signedByOne = signUpdate(t, update!.serializeBinary(), adminOf(t, 'SeoulMSP'));
        const refused = await submitUpdate(t, signedByOne, adminOf(t, 'MOISMSP')).then(
            () => undefined,
            (err: Error) => err,
        );
        expect(refused?.message).to.match(
            /^UPDATE_REFUSED: the orderer answered BAD_REQUEST: .*implicit policy evaluation failed - 2 sub-policies were satisfied, but this policy requires 3 of the 'Admins' sub-policies to be satisfied$/,
        );
        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.have.lengthOf(4);
        // The new org is in the topology file already, but not on the channel: only the four old peers answer.
        const after = await Promise.all(
            t.orgs
                .filter((o) => o.mspId !== NEW_ORG.mspId)
                .map(async (o) => (await ledgerSummary(o.peer.host, o.peer.operationsPort)).height),
        );
        expect(after).to.deep.equal(before);
        expect(applicationOrgGroup(t, NEW_ORG.mspId).getValuesMap().get('MSP')).to.not.equal(undefined);
    });

    it('When npm run network:add-org runs, Then a majority signs, the config block commits everywhere and the new nodes run and are healthy', async () => {
        const started = Date.now();
        t = await addOrg(t, NEW_ORG, say);
        const joinMs = Date.now() - started;
        expect(log.join('\n')).to.match(
            /signed by the admin of SeoulMSP[\s\S]*signed by the admin of MOISMSP[\s\S]*signed and submitted by the admin of MOHWMSP/,
        );
        expect(log.join('\n')).to.match(/MOLEMSP joined citizencards in \d+ ms/);
        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.have.members(['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP', 'MOLEMSP']);
        // network:status lists the new nodes, healthy.
        const newNodes = devnetNodes(t).filter((n) => n.org === NEW_ORG.mspId);
        expect(newNodes.map((n) => n.kind).sort()).to.deep.equal(['chaincode', 'chaincode', 'gateway', 'peer']);
        for (const node of newNodes) expect((await checkHealth(node)).healthy, node.name).to.equal(true);
        // Recorded for the report: how long a join takes on the devnet.
        process.stdout.write(`      (join took ${joinMs} ms)\n`);
    });

    it('Then MAJORITY is three of five: endorsed by Seoul, MOIS and MOLE it commits; by Seoul and MOLE it is ENDORSEMENT_POLICY_FAILURE', async () => {
        const mole = contractOf(t, connection(t, NEW_ORG.mspId).gateway, FIXTURE);
        const three = await mole
            .newProposal('Put', { arguments: [`three-${run}`, 'v'], endorsingOrganizations: ['SeoulMSP', 'MOISMSP', NEW_ORG.mspId] })
            .endorse();
        expect((await (await three.submit()).getStatus()).code).to.equal(StatusCode.VALID);
        expect(utf8(await mole.evaluateTransaction('Get', `three-${run}`))).to.equal('v');
        const two = await mole
            .newProposal('Put', { arguments: [`two-${run}`, 'v'], endorsingOrganizations: ['SeoulMSP', NEW_ORG.mspId] })
            .endorse();
        expect((await (await two.submit()).getStatus()).code).to.equal(StatusCode.ENDORSEMENT_POLICY_FAILURE);
        // And without the new org: three of the four old ones still make a majority of five.
        const old = await mole
            .newProposal('Put', { arguments: [`old-${run}`, 'v'], endorsingOrganizations: ['SeoulMSP', 'MOISMSP', 'MOHWMSP'] })
            .endorse();
        expect((await (await old.submit()).getStatus()).code).to.equal(StatusCode.VALID);
    });

    it("Then the new org's department registers a service and makes a consent-gated access through its own gateway, and auditors see it", async () => {
        const issuer = await ensureApp(t, 'SeoulMSP', `issuer-${run}`, { identity: 'issuer1', role: 'issuer' });
        const citizen = await ensureApp(t, 'SeoulMSP', `citizen-${run}`, { identity: 'citizen-agent', role: 'citizen-agent' });
        const serviceAdmin = await ensureApp(t, 'MOISMSP', `sadmin-${run}`, { identity: 'service-admin1', role: 'service-admin' });
        employment = await ensureApp(t, NEW_ORG.mspId, `employment-${run}`, { role: 'department', dept: 'employment' });
        auditor = await ensureApp(t, 'AuditMSP', `auditor-${run}`, { identity: 'auditor1', role: 'auditor' });
        for (const c of [issuer, citizen, serviceAdmin, employment, auditor]) c.verbose = false;
        expect(employment.baseUrl).to.equal(`http://${findOrg(t, NEW_ORG.mspId).gateway.host}:${findOrg(t, NEW_ORG.mspId).gateway.port}`);

        const device = DeviceKey.generate();
        const cardId = `card-mole-${run}`;
        const purpose = 'Employment insurance eligibility';
        await issuer.call(
            {
                method: 'POST',
                path: '/v1/cards',
                body: { cardId, devicePublicKey: device.publicKeyBase64(), validityYears: 5, personal: SAMPLE_PERSONAL },
            },
            201,
        );
        await serviceAdmin.call(
            {
                method: 'POST',
                path: '/v1/services',
                body: {
                    serviceId,
                    ownerMspId: NEW_ORG.mspId,
                    dept: 'employment',
                    name: 'Employment insurance',
                    purpose,
                    items: ['name', 'birthDate'],
                    predicates: ['ageAtLeast'],
                },
            },
            201,
        );
        const denied = await employment.call<{ decision: string }>(
            { method: 'POST', path: '/v1/access-requests', body: { cardId, serviceId, purpose, items: ['name'], predicates: [] } },
            201,
        );
        expect(denied.decision).to.equal('DENIED');
        const consent = await citizen.call<{ consent: { consentId: string } }>(
            {
                method: 'POST',
                path: '/v1/consents',
                body: device.consent({ cardId, serviceId, recipientMspId: NEW_ORG.mspId, purpose, items: ['name'], retentionDays: 7 }),
            },
            201,
        );
        // The consent committed on Seoul's peer; the department asks once its own peer has it too.
        await samePeerHeights();
        const granted = await employment.call<{ decision: string; accessId: string; data?: { items: Record<string, unknown> } }>(
            {
                method: 'POST',
                path: '/v1/access-requests',
                body: { cardId, serviceId, purpose, items: ['name'], predicates: [], consentId: consent.consent.consentId },
            },
            201,
        );
        expect(granted.decision).to.equal('GRANTED');
        expect(granted.data?.items).to.deep.equal({ name: SAMPLE_PERSONAL.name });
        grantedAccessId = granted.accessId;
        const from = new Date(Date.now() - 3600_000).toISOString();
        const to = new Date(Date.now() + 3600_000).toISOString();
        const seen = await auditor.call<{ page: { records: { accessId: string }[] } }>(
            { method: 'GET', path: `/v1/audit/access?mspId=${NEW_ORG.mspId}&from=${from}&to=${to}` },
            200,
        );
        expect(seen.page.records.map((r) => r.accessId)).to.include(grantedAccessId);
    });

    it('Then the new peer reaches the same height and state digest as the others', async () => {
        await eventually(
            'every peer at the same height and state digest',
            async () => {
                const summaries = await Promise.all(t.orgs.map((o) => ledgerSummary(o.peer.host, o.peer.operationsPort)));
                const same = summaries.every((s) => s.height === summaries[0].height && s.stateDigest === summaries[0].stateDigest);
                return same ? summaries : undefined;
            },
            30_000,
        );
    });

    it("When MOLEMSP is removed by a signed update, Then its gateway's requests are refused, its services are inactive and auditors still read its entries", async () => {
        t = await removeOrg(t, NEW_ORG.mspId, { keepNodes: true }, say);
        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.not.include(NEW_ORG.mspId);
        const service = await auditor.call<{ service: { status: string } }>({ method: 'GET', path: `/v1/services/${serviceId}` }, 200);
        expect(service.service.status).to.equal('INACTIVE');
        await employment.call({ method: 'GET', path: `/v1/services/${serviceId}` });
        expect(employment.lastStatus).to.be.at.least(400);
        const entry = await auditor.call<{ entry: { decision: string; callerMspId: string } }>(
            { method: 'GET', path: `/v1/access/${grantedAccessId}` },
            200,
        );
        expect(entry.entry.decision).to.equal('GRANTED');
        expect(entry.entry.callerMspId).to.equal(NEW_ORG.mspId);
        // Three of the four remaining orgs are a majority again; the removed org's admin no longer counts.
        expect(majoritySigners(t, await channelOrgs(t, adminOf(t, 'SeoulMSP')))).to.have.lengthOf(3);
        t = await removeOrg(t, NEW_ORG.mspId, {}, say);
        expect(t.orgs.map((o) => o.mspId)).to.not.include(NEW_ORG.mspId);
    });
});
