// Crash safety: kill -9 of a peer while transactions flow, and of the orderer, loses no
// committed block; a restarted peer catches up to the same height and state as the others.
import { expect } from 'chai';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { testNetwork } from './network';
import { connection, contractOf, closeConnections, ledgerSummary, eventually } from './helpers';
import { Topology } from '../../network/topology';
import { devnetNodes, runningPid, startNode, waitHealthy, DevnetNode } from '../../network/processes';

describe('devnet crash safety', function () {
    this.timeout(240_000);
    let t: Topology;
    let nodes: DevnetNode[];

    before(async function () {
        const network = await testNetwork();
        if (!network.owned) this.skip(); // killing nodes is only done to a devnet this run started
        t = network.topology;
        nodes = devnetNodes(t);
    });
    after(closeConnections);

    const node = (kind: string, org?: string) => nodes.find((n) => n.kind === kind && (!org || n.org === org)) as DevnetNode;

    async function killAndRestart(target: DevnetNode): Promise<void> {
        const pid = runningPid(t, target);
        expect(pid, `${target.name} should be running`).to.be.a('number');
        process.kill(pid as number, 'SIGKILL');
        await eventually(`${target.name} to die`, async () => (runningPid(t, target) ? undefined : true));
        startNode(t, target);
        await waitHealthy(t, target, 30_000);
    }

    async function summaries(): Promise<{ org: string; height: number; stateDigest?: string }[]> {
        return Promise.all(t.orgs.map(async (o) => ({ org: o.mspId, ...(await ledgerSummary(o.peer.host, o.peer.operationsPort)) })));
    }

    it('When a peer is killed with SIGKILL while transactions flow and restarted, Then it reaches the same height and state digest as the others', async () => {
        // Submit through MOIS's gateway: endorsement by Seoul, MOIS and MOHW; Audit's peer is the victim.
        const contract = contractOf(t, connection(t, 'MOISMSP').gateway, 'fixture');
        const run = `crash-${Date.now()}`;
        let stop = false;
        const committed: string[] = [];
        const flow = (async () => {
            for (let i = 0; !stop && i < 400; i++) {
                const k = `${run}-${i}`;
                const tx = await contract.submitAsync('Put', {
                    arguments: [k, String(i)],
                    endorsingOrganizations: ['SeoulMSP', 'MOISMSP', 'MOHWMSP'],
                });
                if ((await tx.getStatus()).code === StatusCode.VALID) committed.push(k);
            }
        })();
        await new Promise((r) => setTimeout(r, 500));
        await killAndRestart(node('peer', 'AuditMSP'));
        await new Promise((r) => setTimeout(r, 500));
        stop = true;
        await flow;
        expect(committed.length).to.be.greaterThan(0);

        const converged = await eventually('peers to converge', async () => {
            const s = await summaries();
            const same = s.every((x) => x.height === s[0].height && x.stateDigest === s[0].stateDigest);
            return same ? s : undefined;
        });
        expect(converged[0].stateDigest).to.be.a('string').and.not.equal('');
        const audit = contractOf(t, connection(t, 'AuditMSP').gateway, 'fixture');
        const last = committed[committed.length - 1];
        expect(Buffer.from(await audit.evaluate('Get', { arguments: [last], endorsingOrganizations: ['AuditMSP'] })).toString()).to.equal(
            String(committed.length - 1),
        );
    });

    it('When the orderer is killed with SIGKILL and restarted, Then no committed block is lost and ordering resumes', async () => {
        const contract = contractOf(t, connection(t, 'SeoulMSP').gateway, 'fixture');
        const before = await contract.submitAsync('Put', { arguments: [`orderer-${Date.now()}`, 'before'] });
        const beforeBlock = (await before.getStatus()).blockNumber;
        const heightBefore = (await ledgerSummary(t.orderer.host, t.orderer.operationsPort)).height;
        expect(heightBefore).to.be.greaterThan(Number(beforeBlock));

        await killAndRestart(node('orderer'));
        expect((await ledgerSummary(t.orderer.host, t.orderer.operationsPort)).height).to.be.at.least(heightBefore);

        const after = await eventually(
            'ordering to resume',
            async () => {
                const tx = await contract.submitAsync('Put', { arguments: [`orderer-after-${Date.now()}`, 'after'] });
                return tx.getStatus();
            },
            30_000,
        );
        expect(after.code).to.equal(StatusCode.VALID);
        expect(Number(after.blockNumber)).to.be.greaterThan(Number(beforeBlock));
        const s = await eventually('peers to converge', async () => {
            const all = await summaries();
            return all.every((x) => x.height === all[0].height) ? all : undefined;
        });
        expect(s[0].height).to.be.greaterThan(Number(after.blockNumber));
    });
});
