// The product on the test network (the devnet or real Fabric): every REST endpoint through the
// four gateways with CA-issued identities, the chaincode as a service answering each org, personal
// data on Seoul's peer only, the demo's journey, and a chaincode redeploy at the next sequence
// without a network restart.
import * as path from 'node:path';
import { expect } from 'chai';
import { peer } from '@hyperledger/fabric-protos';
import { testNetwork, controlledNodes, driver, NETWORK_LABEL, TestNetwork } from './network';
import { connection, contractOf, closeConnections, utf8, filesContaining, filesOutsideIssuerPeer, marker } from './helpers';
import { address, gatewayOf, Topology, paths, issuerOrg } from '../../network/client/topology';
import { checkEveryEndpoint } from '../../scripts/e2e';
import { ensureApp } from '../../scripts/demo';
import { buildOpenApi } from '../../gateway/http/openapi';
import { v1Routes } from '../../gateway/http/routes';
import { DeviceKey } from '../../gateway/citizen/device';
import fc from 'fast-check';
import { malformedRequest, modeArb, routesOfOpenApi } from '../unit/gateway/malformed';
import { peerChainInfo, eventually } from './helpers';
import { execFileWithin } from '../deadline';

describe(`citizen cards on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let network: TestNetwork;
    let t: Topology;

    before(async () => {
        network = await testNetwork();
        t = network.topology;
    });
    after(closeConnections);

    it('Given each org, When it evaluates the chaincode as itself, Then the chaincode server of its peer answers', async () => {
        for (const org of t.orgs) {
            const contract = contractOf(t, connection(t, org.mspId).gateway, 'citizencard');
            const page = JSON.parse(
                utf8(await contract.evaluate('ServiceContract:ListServices', { arguments: ['{}'], endorsingOrganizations: [org.mspId] })),
            );
            expect(page, org.mspId).to.have.property('records').that.is.an('array');
        }
    });

    it('Given the four gateways, When every endpoint is called, Then each answers as documented', async () => {
        const results = await checkEveryEndpoint(t.file);
        const failed = results.filter((r) => !r.ok).map((r) => `${r.who} ${r.call}: ${r.status} (expected ${r.expected})`);
        expect(failed).to.deep.equal([]);
        expect(results.length).to.be.at.least(40);
    });

    it('Given a card issued with personal data, Then the data is on Seoul’s peer and on no other node, log or block', async () => {
        const issuer = await ensureApp(t, 'SeoulMSP', 'e2e-pd-issuer', { identity: 'issuer1', role: 'issuer' });
        issuer.verbose = false;
        const name = marker('Hong Gildong');
        const residentNumber = `${Math.floor(100000 + Math.random() * 899999)}-1${Math.floor(100000 + Math.random() * 899999)}`;
        const cardId = `card-pd-${Date.now().toString(36)}`;
        await issuer.call(
            {
                method: 'POST',
                path: '/v1/cards',
                body: {
                    cardId,
                    devicePublicKey: DeviceKey.generate().publicKeyBase64(),
                    validityYears: 5,
                    personal: {
                        name,
                        birthDate: '1951-05-05',
                        address: '9 Sejong-daero',
                        district: 'Jung-gu',
                        residentNumber,
                        disability: false,
                        lowIncome: true,
                        multiChildFamily: false,
                        seoulResident: true,
                    },
                },
            },
            201,
        );
        const seoulLedger = paths.ledger(t, paths.peerName(t, issuerOrg(t).mspId));
        expect(filesContaining(seoulLedger, name), 'Seoul peer').to.not.deep.equal([]);
        // Everywhere else: other peers, orderers, CAs, chaincode servers' and gateways' files, logs.
        expect(filesOutsideIssuerPeer(t, name), 'outside Seoul’s peer').to.deep.equal([]);
        expect(filesOutsideIssuerPeer(t, residentNumber), 'outside Seoul’s peer').to.deep.equal([]);
    });

    it('Given the four gateways, When the demo runs (`npm run demo`), Then every step answers as it expects', async () => {
        const { stdout } = await execFileWithin(
            180_000,
            process.execPath,
            [path.join(t.root, 'dist', 'scripts', 'demo.js'), '--topology', t.file],
            {
                env: { ...process.env, DEVNET_STATE_DIR: t.stateDir },
            },
        );
        expect(stdout).to.match(/^10\. The auditor fetches the proof/m);
        // Issue 24: a representative's consent, a sealed entry the citizen does not see, an objection and its finding.
        expect(stdout).to.match(/^14\. The parent consents for the child/m);
        expect(stdout).to.match(/the citizen's log lists the sealed entry: false/);
        expect(stdout).to.match(/^17\. The audit office reads the text/m);
        expect(stdout).to.match(/^Done\./m);
    });

    it('Given malformed bodies, raw bytes, path segments, headers and content encodings on every route a real gateway serves, Then each is a 4xx problem (no 2xx, no 5xx) and no ledger moves', async () => {
        const mohw = t.orgs.find((o) => o.mspId === 'MOHWMSP');
        if (!mohw) throw new Error('MOHWMSP is not in the topology');
        const base = `http://${address(gatewayOf(mohw))}`;
        const app = await ensureApp(t, 'MOHWMSP', 'e2e-malformed', { role: 'department', dept: 'welfare' });
        // Every route the gateway serves: its own /openapi.json lists only what MOHW's apps may call.
        expect((await fetch(`${base}/openapi.json`)).status).to.equal(200);
        const routes = routesOfOpenApi(
            buildOpenApi(v1Routes(), { version: '1.0.0' }) as { paths: Record<string, Record<string, unknown>> },
        );
        expect(routes.length).to.be.at.least(25);
        const heights = async () => Promise.all(t.orgs.map(async (o) => (await peerChainInfo(t, o.mspId)).height));
        // Every peer at the same height first: a block of an earlier test may still be committing.
        const before = await eventually('peers at one height', async () => {
            const h = await heights();
            return h.every((x) => x === h[0]) ? h : undefined;
        });
        await fc.assert(
            fc.asyncProperty(fc.constantFrom(...routes), modeArb, async (route, mode) => {
                const m = malformedRequest(route, mode, `Bearer ${app.apiKey}`);
                const res = await fetch(base + m.url, { method: m.method.toUpperCase(), headers: m.headers, body: m.body });
                const text = await res.text();
                expect(res.status, `${m.method} ${m.url} ${JSON.stringify(mode)}: ${text.slice(0, 200)}`).to.be.within(400, 499);
                expect(res.headers.get('content-type')).to.match(/application\/problem\+json/);
                expect((JSON.parse(text) as { code: unknown }).code).to.be.a('string');
            }),
            { numRuns: 300 },
        );
        // Longer than a batch timeout: a block cut from these requests would have reached every peer.
        await new Promise((r) => setTimeout(r, 500));
        expect(await heights()).to.deep.equal(before);
    });

    it('When the chaincode is redeployed with one command, Then its definition moves to the next sequence and it answers, with no peer restarted', async () => {
        const lifecycle = contractOf(t, connection(t, 'AuditMSP').gateway, '_lifecycle');
        const sequence = async () => {
            const bytes = await lifecycle.evaluateTransaction(
                'QueryChaincodeDefinitions',
                Buffer.from(new peer.lifecycle.QueryChaincodeDefinitionsArgs().serializeBinary()).toString('latin1'),
            );
            const result = peer.lifecycle.QueryChaincodeDefinitionsResult.deserializeBinary(bytes);
            return result
                .getChaincodeDefinitionsList()
                .find((d) => d.getName() === 'citizencard')
                ?.getSequence();
        };
        const peers = controlledNodes(network).filter((n) => n.kind === 'peer');
        const pidsBefore = peers.map((n) => n.pid());
        const before = await sequence();
        await execFileWithin(
            180_000,
            process.execPath,
            [
                path.join(t.root, 'dist', 'network', 'commands', 'cli.js'),
                'chaincode:deploy',
                '--name',
                'citizencard',
                '--topology',
                t.file,
                ...driver().cliArgs,
            ],
            {
                env: { ...process.env, DEVNET_STATE_DIR: t.stateDir },
            },
        );
        expect(await sequence()).to.equal((before ?? 0) + 1);
        expect(peers.map((n) => n.pid())).to.deep.equal(pidsBefore);
        const contract = contractOf(t, connection(t, 'MOHWMSP').gateway, 'citizencard');
        const page = JSON.parse(utf8(await contract.evaluateTransaction('ServiceContract:ListServices', '{}')));
        expect(page).to.have.property('records');
    });
});
