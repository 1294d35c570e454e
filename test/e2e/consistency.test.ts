// Read-after-write across orgs (docs/api.md, consistency): a gateway answers a write only once the
// other orgs' peers have committed it, so that another org's gateway, asked right after, reads it.
// The race is made deterministic by stopping Seoul's peer (SIGSTOP) while MOIS writes: without the
// wait, MOIS's answer would come while Seoul's peer is still a block behind.
import { expect } from 'chai';
import { loadConfig } from '../../gateway/config';
import { FabricGatewayLayer, SERVICE_IDENTITY } from '../../gateway/fabric/client';
import { ChannelPeers } from '../../gateway/fabric/peers';
import { loadAppIdentity } from '../../gateway/fabric/identities';
import type { Topology } from '../../network/client/topology';
import { notRun } from '../not-run';
import { closeConnections, connection, contractOf, eventually, utf8 } from './helpers';
import { controlledNodes, NETWORK_LABEL, testNetwork } from './network';

const CC = 'fixture';
/** MOIS, MOHW and Audit: a MAJORITY without Seoul, whose peer the tests stop. */
const WITHOUT_SEOUL = ['MOISMSP', 'MOHWMSP', 'AuditMSP'];

describe(`read-after-write across orgs on ${NETWORK_LABEL}`, function () {
    this.timeout(120_000);
    let t: Topology;
    let seoulPeerPid: number;
    let stopped = false;

    const stopSeoulPeer = () => {
        process.kill(seoulPeerPid, 'SIGSTOP');
        stopped = true;
    };
    const resumeSeoulPeer = () => {
        if (stopped) process.kill(seoulPeerPid, 'SIGCONT');
        stopped = false;
    };
    const key = (name: string) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    /** MOIS's gateway layer on the test chaincode, waiting up to waitMs for the other peers. */
    const moisLayer = (waitMs: number) =>
        new FabricGatewayLayer(
            loadConfig({ org: 'MOISMSP', topologyFile: t.file }, { GATEWAY_CHAINCODE: CC, GATEWAY_PEER_COMMIT_WAIT_MS: String(waitMs) }),
        );
    const readAt = async (mspId: string, k: string) =>
        utf8(await contractOf(t, connection(t, mspId).gateway, CC).evaluateTransaction('Get', k)).toString();

    before(async function () {
        const network = await testNetwork();
        t = network.topology;
        if (!t.chaincodes.some((cc) => cc.name === CC)) notRun(this, `the test chaincode ${CC} is not deployed on ${t.file}`);
        const peer = controlledNodes(network).find((n) => n.kind === 'peer' && n.org === 'SeoulMSP');
        const pid = peer?.pid();
        if (!pid) notRun(this, 'the tests stop a peer of the network: only on a network this run started');
        seoulPeerPid = pid as number;
    });
    afterEach(resumeSeoulPeer);
    after(closeConnections);

    it("Given Seoul's peer a block behind, When MOIS's gateway submits a write, Then it answers only once Seoul's peer has committed it, and Seoul reads it at once", async () => {
        const layer = moisLayer(60_000);
        try {
            const k = key('cross-org');
            stopSeoulPeer();
            let answered = false;
            const write = layer.submit('User1', { fn: 'Put', args: [k, 'registered at MOIS'], endorsingOrgs: WITHOUT_SEOUL }).then((r) => {
                answered = true;
                return r;
            });
            // Committed on MOIS's own peer (what fabric-gateway's commit status reports) ...
            await eventually('the write on MOIS’s peer', async () => (await readAt('MOISMSP', k).catch(() => undefined)) || undefined);
            await new Promise((r) => setTimeout(r, 500));
            // ... but not answered while Seoul's peer cannot have it.
            expect(answered, 'answered while Seoul’s peer was stopped').to.equal(false);
            resumeSeoulPeer();
            const result = await write;
            expect(result.blockNumber > 0n).to.equal(true);
            expect(await readAt('SeoulMSP', k)).to.equal('registered at MOIS');
        } finally {
            resumeSeoulPeer();
            await layer.close();
        }
    });

    it("Given Seoul's peer stopped for longer than the wait, When MOIS's gateway submits, Then it answers after the wait, naming Seoul's peer as not yet committed", async () => {
        const cfg = loadConfig({ org: 'MOISMSP', topologyFile: t.file }, { GATEWAY_CHAINCODE: CC, GATEWAY_PEER_COMMIT_WAIT_MS: '700' });
        const peers = new ChannelPeers(cfg.commitScope, loadAppIdentity(t, 'MOISMSP', SERVICE_IDENTITY).identity);
        try {
            const mois = contractOf(t, connection(t, 'MOISMSP').gateway, CC);
            const k = key('bounded');
            stopSeoulPeer();
            const submitted = await (
                await mois.newProposal('Put', { arguments: [k, 'v'], endorsingOrganizations: WITHOUT_SEOUL }).endorse()
            ).submit();
            expect((await submitted.getStatus()).successful).to.equal(true);
            const started = Date.now();
            const lagging = await peers.committedEverywhere(submitted.getBytes(), submitted.getTransactionId());
            expect(Date.now() - started).to.be.within(600, 10_000);
            expect(lagging.map((p) => p.mspId)).to.deep.equal(['SeoulMSP']);
            resumeSeoulPeer();
            // Once Seoul's peer runs again, every other org's peer confirms the same transaction.
            expect(await peers.committedEverywhere(submitted.getBytes(), submitted.getTransactionId())).to.deep.equal([]);
        } finally {
            resumeSeoulPeer();
            peers.close();
        }
    });

    it('Given a wait of 0, Then a write waits for no other peer (fabric-gateway’s own behaviour)', async () => {
        const cfg = loadConfig({ org: 'MOISMSP', topologyFile: t.file }, { GATEWAY_CHAINCODE: CC, GATEWAY_PEER_COMMIT_WAIT_MS: '0' });
        expect(cfg.commitScope.peers.map((p) => p.mspId)).to.deep.equal(['SeoulMSP', 'MOHWMSP', 'AuditMSP']);
        const peers = new ChannelPeers(cfg.commitScope, loadAppIdentity(t, 'MOISMSP', SERVICE_IDENTITY).identity);
        try {
            expect(await peers.committedEverywhere(new Uint8Array(), 'no-transaction')).to.deep.equal([]);
        } finally {
            peers.close();
        }
    });
});
