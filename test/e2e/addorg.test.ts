// A fifth ministry joins the running channel, on a network of its own (the other end-to-end tests
// assume four orgs), the devnet (npm test) or real Fabric (npm run test:fabric): the update signed
// by a majority of admins, the new peer catching up, the new org's service admin and department
// working through its own gateway, MAJORITY becoming three of five; refused updates writing nothing;
// then the org removed by the same kind of update.
import type { ExecFileOptions } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import YAML from 'yaml';
import { DeviceKey } from '../../gateway/citizen/device';
import { basicPensionServiceBody, cardIssueBody, ensureApp, GatewayClient, SAMPLE_PERSONAL, serviceBody } from '../../scripts/demo';
import { addOrg, createOrgRequest, DEVNET_ORGS, removeOrg, startOrgNodes } from '../../network/commands/orgs';
import { applicationOrgGroup } from '../../network/devnet/common/configtx';
import { findFabricBinaries, findFabricTool } from '../../network/fabric/binaries';
import { fabricNodes } from '../../network/fabric/network';
import { FABRIC_ORGS } from '../../network/fabric/orgs';
import {
    adminOf,
    channelOrgs,
    majoritySigners,
    ordererHeight,
    proposeUpdate,
    requestConfigGroup,
    signUpdate,
    submitUpdate,
} from '../../network/commands/orgchange';
import { checkHealth, devnetNodes } from '../../network/devnet/processes';
import { address, findOrg, paths, primaryOrderer, REPO_ROOT, Topology } from '../../network/client/topology';
import { execFileWithin } from '../deadline';
import { notRun, onlyOn } from '../not-run';
import { closeConnections, connection, contractOf, eventually, peerChainInfo, utf8 } from './helpers';
import { driver, loadTestTopology, NETWORK, NETWORK_LABEL, ownTestNetwork } from './network';

const NEW_ORG = { mspId: 'MOLEMSP', name: 'Ministry of Employment and Labor', domain: 'mole.example.gov' };
const FIXTURE = 'fixture';
/** The org that joins with the step-by-step commands, as from machines of its own. */
const STEPS_ORG = { mspId: 'MOFMSP', name: 'Ministry of Economy and Finance', domain: 'mof.example.gov' };
/** The org that joins through Fabric's own CLI. */
const CLI_ORG = { mspId: 'MOEMSP', name: 'Ministry of Education', domain: 'moe.example.gov' };
/** A command of the test (Fabric's CLI, the devnet's), killed and failed with TIMEOUT after 2 minutes. */
const exec = (file: string, args: string[], options: ExecFileOptions = {}) => execFileWithin(120_000, file, args, options);
/** The join's network-specific half: the devnet's processes or real Fabric's. */
const orgs = NETWORK === 'fabric' ? FABRIC_ORGS : DEVNET_ORGS;

/** A devnet peer's height and state digest (its operations service's /ledger, a devnet extension). */
async function ledgerSummary(host: string, operationsPort: number): Promise<{ height: number; stateDigest: string }> {
    const response = await fetch(`http://${host}:${operationsPort}/ledger`);
    if (response.status !== 200) throw new Error(`operations /ledger answered ${response.status}`);
    return (await response.json()) as { height: number; stateDigest: string };
}

describe(`A fifth org joins the running channel on ${NETWORK_LABEL} (a network of its own)`, function () {
    this.timeout(NETWORK === 'fabric' ? 600_000 : 300_000);
    let t: Topology;
    const log: string[] = [];
    const run = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    const say = (line: string) => log.push(line);
    let employment: GatewayClient;
    let auditor: GatewayClient;
    let grantedAccessId = '';
    const serviceId = `svc-employment-${run}`;

    const peerHeights = async (topology: Topology) => Promise.all(topology.orgs.map(async (o) => orgs.peerHeight(topology, o.mspId)));
    /** Every node of the network (gateways included), as network:status lists them. */
    const nodesOf = (topology: Topology) =>
        NETWORK === 'fabric' ? fabricNodes(topology, findFabricBinaries(topology.root), true) : devnetNodes(topology);
    /** DEVNET_STATE_DIR as the shared test network set it (read when this suite starts, restored when it ends). */
    let previousStateDir: string | undefined;

    const samePeerHeights = () =>
        eventually('every peer at the same height', async () => {
            const heights = await peerHeights(t);
            return heights.every((h) => h === heights[0]) ? heights : undefined;
        });

    before(async () => {
        // Ports 500 below the shared test network's: clear of it and of the other helpers' shifts.
        previousStateDir = process.env.DEVNET_STATE_DIR;
        t = await ownTestNetwork('addorg', -500);
        // The gateways' app store and the CA client of this process read this network's state (on Fabric its own folder).
        process.env.DEVNET_STATE_DIR = t.stateDir;
    });
    after(async () => {
        closeConnections();
        // The topology file as the last command left it: orgs a failed test added are stopped too.
        if (t && !process.env.E2E_KEEP) await driver().down(loadTestTopology(t.file), false);
        if (previousStateDir === undefined) delete process.env.DEVNET_STATE_DIR;
        else process.env.DEVNET_STATE_DIR = previousStateDir;
    });

    it('Given four orgs, When an update adding MOLEMSP is signed by two admins only, Then the orderer refuses it and no peer gets a config block', async () => {
        const before = await peerHeights(t);
        const { topology, request } = await createOrgRequest(t, NEW_ORG, say, orgs);
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
        const after = await Promise.all(t.orgs.filter((o) => o.mspId !== NEW_ORG.mspId).map((o) => orgs.peerHeight(t, o.mspId)));
        expect(after).to.deep.equal(before);
        expect(applicationOrgGroup(t, NEW_ORG.mspId).getValuesMap().get('MSP')).to.not.equal(undefined);
    });

    it('When npm run network:add-org runs, Then a majority signs, the config block commits everywhere and the new nodes run and are healthy', async () => {
        const started = Date.now();
        t = await addOrg(t, NEW_ORG, say, orgs);
        const joinMs = Date.now() - started;
        expect(log.join('\n')).to.match(
            /signed by the admin of SeoulMSP[\s\S]*signed by the admin of MOISMSP[\s\S]*signed and submitted by the admin of MOHWMSP/,
        );
        expect(log.join('\n')).to.match(/MOLEMSP joined citizencards in \d+ ms/);
        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.have.members(['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP', 'MOLEMSP']);
        // network:status lists the new nodes, healthy.
        const newNodes = nodesOf(t).filter((n) => n.org === NEW_ORG.mspId);
        const kinds = newNodes.map((n) => n.kind);
        expect(kinds.filter((k) => k === 'chaincode')).to.have.lengthOf(t.chaincodes.length);
        expect(kinds).to.include.members(['ca', 'peer', 'gateway']);
        for (const node of newNodes) expect((await checkHealth(node)).healthy, node.name).to.equal(true);
        // Recorded for docs/operations.md: how long a join takes on this network.
        process.stdout.write(`      (join took ${joinMs} ms on ${NETWORK_LABEL})\n`);
    });

    it('When the join runs again after its nodes stopped (a crash), Then it writes no config block and only starts them again', async () => {
        const admin = adminOf(t, 'SeoulMSP');
        const height = await ordererHeight(t, admin);
        const stopped = await orgs.stopOrgNodes(t, NEW_ORG.mspId);
        expect(stopped).to.include(paths.peerName(t, NEW_ORG.mspId));
        const again: string[] = [];
        t = await addOrg(t, NEW_ORG, (line) => again.push(line), orgs);
        expect(again.join('\n')).to.contain(`${NEW_ORG.mspId} is already a member of ${t.channel}`);
        expect(again.join('\n')).to.not.match(/signed by the admin|approved .* at the committed sequence/);
        expect(await ordererHeight(t, admin)).to.equal(height);
        for (const node of nodesOf(t).filter((n) => n.org === NEW_ORG.mspId))
            expect((await checkHealth(node)).healthy, node.name).to.equal(true);
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

    it("Then the new org's own service admin registers its department's service, and its department makes a consent-gated access through its own gateway, and auditors see it", async () => {
        const issuer = await ensureApp(t, 'SeoulMSP', `issuer-${run}`, { identity: 'issuer1', role: 'issuer' });
        const citizen = await ensureApp(t, 'SeoulMSP', `citizen-${run}`, { identity: 'citizen-agent', role: 'citizen-agent' });
        // The new ministry's own service admin: an identity its own CA registers, an app of its own gateway.
        const serviceAdmin = await ensureApp(t, NEW_ORG.mspId, `sadmin-${run}`, { role: 'service-admin' });
        employment = await ensureApp(t, NEW_ORG.mspId, `employment-${run}`, { role: 'department', dept: 'employment' });
        auditor = await ensureApp(t, 'AuditMSP', `auditor-${run}`, { identity: 'auditor1', role: 'auditor' });
        for (const c of [issuer, citizen, serviceAdmin, employment, auditor]) c.verbose = false;
        expect(serviceAdmin.baseUrl).to.equal(employment.baseUrl);
        expect(employment.baseUrl).to.equal(`http://${findOrg(t, NEW_ORG.mspId).gateway.host}:${findOrg(t, NEW_ORG.mspId).gateway.port}`);

        const device = DeviceKey.generate();
        const cardId = `card-mole-${run}`;
        const purpose = 'Employment insurance eligibility';
        await issuer.call(
            {
                method: 'POST',
                path: '/v1/cards',
                body: cardIssueBody(cardId, device.publicKeyBase64()),
            },
            201,
        );
        await serviceAdmin.call(
            {
                method: 'POST',
                path: '/v1/services',
                body: serviceBody({ ownerMspId: NEW_ORG.mspId, dept: 'employment', name: 'Employment insurance' }, serviceId, purpose, {
                    items: ['name', 'birthDate'],
                    predicates: ['ageAtLeast'],
                }),
            },
            201,
        );
        // Its services only: one for another ministry is refused, and nothing is written.
        const notOwned = await serviceAdmin.call<{ error: { code: string } }>(
            {
                method: 'POST',
                path: '/v1/services',
                body: basicPensionServiceBody(`${serviceId}-mohw`, purpose, { items: ['name'], predicates: [] }),
            },
            403,
        );
        expect(JSON.stringify(notOwned)).to.contain('SERVICE_NOT_OWNED');
        await auditor.call({ method: 'GET', path: `/v1/services/${serviceId}-mohw` }, 404);
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

    it(`Then the new peer reaches the same height and ${NETWORK === 'fabric' ? 'current block hash' : 'state digest'} as the others`, async () => {
        // The devnet's peers also report a digest of their world state; Fabric's report the chain (qscc GetChainInfo).
        const summary = (o: { mspId: string; peer: { host: string; operationsPort: number } }) =>
            NETWORK === 'fabric'
                ? peerChainInfo(t, o.mspId).then((i) => ({ height: i.height, digest: i.currentBlockHash }))
                : ledgerSummary(o.peer.host, o.peer.operationsPort).then((l) => ({ height: l.height, digest: l.stateDigest }));
        await eventually(
            'every peer at the same height and digest',
            async () => {
                const summaries = await Promise.all(t.orgs.map(summary));
                const same = summaries.every((s) => s.height === summaries[0].height && s.digest === summaries[0].digest);
                return same ? summaries : undefined;
            },
            30_000,
        );
    });

    it("When MOLEMSP is removed by a signed update, Then its gateway's requests are refused, its services are inactive and auditors still read its entries", async () => {
        t = await removeOrg(t, NEW_ORG.mspId, { keepNodes: true }, say, orgs);
        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.not.include(NEW_ORG.mspId);
        const service = await auditor.call<{ service: { status: string } }>({ method: 'GET', path: `/v1/services/${serviceId}` }, 200);
        expect(service.service.status).to.equal('INACTIVE');
        // Its writes are refused: the other orgs' peers and the orderer no longer know its MSP. (Its own peer
        // may keep answering reads from what it held: on Fabric the orderer stops delivering to it at the
        // block that removed it, so it never learns; docs/operations.md.)
        await employment.call({
            method: 'POST',
            path: '/v1/access-requests',
            body: { cardId: 'card-after-removal', serviceId, purpose: 'Employment insurance eligibility', items: ['name'], predicates: [] },
        });
        expect(employment.lastStatus).to.be.at.least(400);
        const entry = await auditor.call<{ entry: { decision: string; callerMspId: string } }>(
            { method: 'GET', path: `/v1/access/${grantedAccessId}` },
            200,
        );
        expect(entry.entry.decision).to.equal('GRANTED');
        expect(entry.entry.callerMspId).to.equal(NEW_ORG.mspId);
        // Three of the four remaining orgs are a majority again; the removed org's admin no longer counts.
        expect(majoritySigners(t, await channelOrgs(t, adminOf(t, 'SeoulMSP')))).to.have.lengthOf(3);
        t = await removeOrg(t, NEW_ORG.mspId, {}, say, orgs);
        expect(t.orgs.map((o) => o.mspId)).to.not.include(NEW_ORG.mspId);
    });
    it("Then Fabric's own CLI does the addOrg steps against the devnet: peer channel fetch config, configtxlator, signconfigtx by two admins, peer channel update by a third", async function () {
        const peer = findFabricTool('peer', REPO_ROOT);
        const configtxlator = findFabricTool('configtxlator', REPO_ROOT);
        const configtxgen = findFabricTool('configtxgen', REPO_ROOT);
        onlyOn(this, 'devnet', "Fabric's own CLI against the devnet's orderer (on real Fabric, add-org -- --fabric uses it)");
        if (!peer || !configtxlator || !configtxgen)
            notRun(this, "Fabric's peer, configtxlator and configtxgen binaries are not in $FABRIC_BIN or on $PATH");
        const work = fs.mkdtempSync(path.join(os.tmpdir(), 'addorg-cli-'));
        const file = (name: string) => path.join(work, name);
        const configPath = process.env.FABRIC_CFG_PATH ?? path.join(path.dirname(peer!), '..', 'config');
        const { topology } = await createOrgRequest(t, CLI_ORG, say, orgs);
        t = topology;
        const asAdmin = (mspId: string) => ({
            env: {
                ...process.env,
                FABRIC_CFG_PATH: configPath,
                CORE_PEER_LOCALMSPID: mspId,
                CORE_PEER_MSPCONFIGPATH: path.join(paths.userDir(t, mspId, 'Admin'), 'msp'),
                CORE_PEER_TLS_ENABLED: 'true',
                CORE_PEER_TLS_ROOTCERT_FILE: paths.tlsRootCert(t, mspId),
                CORE_PEER_ADDRESS: address(findOrg(t, mspId).peer),
            },
        });
        const toOrderer = [
            '-o',
            address(primaryOrderer(t)),
            '--ordererTLSHostnameOverride',
            paths.ordererName(t),
            '--tls',
            '--cafile',
            paths.tlsRootCert(t, primaryOrderer(t).operatedBy),
        ];
        const lator = (...args: string[]) => exec(configtxlator!, args);
        const json = (name: string) => JSON.parse(fs.readFileSync(file(name), 'utf8'));

        // fabric-samples' addOrg3, step by step.
        await exec(peer!, ['channel', 'fetch', 'config', file('config_block.pb'), '-c', t.channel, ...toOrderer], asAdmin('SeoulMSP'));
        await lator('proto_decode', '--input', file('config_block.pb'), '--type', 'common.Block', '--output', file('config_block.json'));
        const config = json('config_block.json').data.data[0].payload.data.config;
        // The new org's definition as addOrg3 makes it: configtxgen -printOrg over a configtx.yaml naming its MSP folder.
        const policy = (rule: string) => ({ Type: 'Signature', Rule: rule });
        const org = CLI_ORG.mspId;
        const configtx = {
            Organizations: [
                {
                    Name: org,
                    ID: org,
                    MSPDir: paths.orgMsp(t, org),
                    Policies: {
                        Readers: policy(`OR('${org}.member')`),
                        Writers: policy(`OR('${org}.member')`),
                        Admins: policy(`OR('${org}.admin')`),
                        Endorsement: policy(`OR('${org}.peer')`),
                    },
                },
            ],
        };
        fs.writeFileSync(file('configtx.yaml'), YAML.stringify(configtx));
        const printed = await exec(configtxgen!, ['-printOrg', org, '-configPath', work], asAdmin('SeoulMSP'));
        fs.writeFileSync(file('org.json'), printed.stdout);
        const modified = structuredClone(config);
        modified.channel_group.groups.Application.groups[CLI_ORG.mspId] = json('org.json');
        fs.writeFileSync(file('config.json'), JSON.stringify(config));
        fs.writeFileSync(file('modified_config.json'), JSON.stringify(modified));
        await lator('proto_encode', '--input', file('config.json'), '--type', 'common.Config', '--output', file('config.pb'));
        await lator(
            'proto_encode',
            '--input',
            file('modified_config.json'),
            '--type',
            'common.Config',
            '--output',
            file('modified_config.pb'),
        );
        await lator(
            'compute_update',
            '--channel_id',
            t.channel,
            '--original',
            file('config.pb'),
            '--updated',
            file('modified_config.pb'),
            '--output',
            file('update.pb'),
        );
        await lator('proto_decode', '--input', file('update.pb'), '--type', 'common.ConfigUpdate', '--output', file('update.json'));
        const envelope = {
            payload: { header: { channel_header: { channel_id: t.channel, type: 2 } }, data: { config_update: json('update.json') } },
        };
        fs.writeFileSync(file('update_in_envelope.json'), JSON.stringify(envelope));
        await lator(
            'proto_encode',
            '--input',
            file('update_in_envelope.json'),
            '--type',
            'common.Envelope',
            '--output',
            file('update_in_envelope.pb'),
        );
        await exec(peer!, ['channel', 'signconfigtx', '-f', file('update_in_envelope.pb')], asAdmin('SeoulMSP'));
        await exec(peer!, ['channel', 'signconfigtx', '-f', file('update_in_envelope.pb')], asAdmin('MOISMSP'));
        const update = await exec(
            peer!,
            ['channel', 'update', '-f', file('update_in_envelope.pb'), '-c', t.channel, ...toOrderer],
            asAdmin('MOHWMSP'),
        );
        expect(`${update.stdout}${update.stderr}`).to.contain('Successfully submitted channel update');

        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.include(CLI_ORG.mspId);
        await startOrgNodes(orgs, t, CLI_ORG.mspId, say);
        await exec(peer!, ['channel', 'fetch', 'config', file('after.pb'), '-c', t.channel, ...toOrderer], asAdmin(CLI_ORG.mspId));
        await lator('proto_decode', '--input', file('after.pb'), '--type', 'common.Block', '--output', file('after.json'));
        expect(Object.keys(json('after.json').data.data[0].payload.data.config.channel_group.groups.Application.groups)).to.include(
            CLI_ORG.mspId,
        );
        fs.rmSync(work, { recursive: true, force: true });
    });
    it('Then an org joins step by step as from separate machines: org-request, propose-update, sign-update by each admin, submit-update, org-up', async () => {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), 'addorg-steps-'));
        const request = path.join(work, 'mof-request.json');
        const update = path.join(work, 'mof-update.pb');
        const cli = (...args: string[]) =>
            exec(process.execPath, [path.join(REPO_ROOT, 'dist', 'network', 'commands', 'cli.js'), ...args, '--topology', t.file, ...driver().cliArgs]);
        const org = STEPS_ORG;
        const requested = await cli('org-request', '--msp', org.mspId, '--name', org.name, '--domain', org.domain, '--out', request);
        expect(requested.stdout).to.match(/SHA256|[0-9A-F]{2}(:[0-9A-F]{2}){31}/);
        const members = await channelOrgs(t, adminOf(t, 'SeoulMSP'));
        const signers = majoritySigners(t, members);
        const proposed = await cli('propose-update', '--request', request, '--org', signers[0], '--out', update);
        expect(proposed.stdout).to.contain(`adds org ${org.mspId}`);
        for (const mspId of signers.slice(0, -1)) {
            const signed = await cli('sign-update', '--org', mspId, '--file', update, '--request', request);
            expect(signed.stdout).to.contain(`signed by the admin of ${mspId}`);
        }
        const submitted = await cli('submit-update', '--org', signers[signers.length - 1], '--file', update);
        expect(submitted.stdout).to.match(/the orderer accepted the update: config block \d+/);
        const up = await cli('org-up', '--msp', org.mspId);
        expect(up.stdout).to.contain(`peer0.${org.domain}`);
        t = loadTestTopology(t.file);
        expect(await channelOrgs(t, adminOf(t, 'SeoulMSP'))).to.include(org.mspId);
        // Its peer endorses: a majority including it commits.
        const contract = contractOf(t, connection(t, org.mspId).gateway, FIXTURE);
        const endorsers = [org.mspId, ...signers.slice(0, Math.floor((members.length + 1) / 2))];
        const tx = await contract.newProposal('Put', { arguments: [`steps-${run}`, 'v'], endorsingOrganizations: endorsers }).endorse();
        expect((await (await tx.submit()).getStatus()).code).to.equal(StatusCode.VALID);
        fs.rmSync(work, { recursive: true, force: true });
    });
});
