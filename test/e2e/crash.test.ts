// Crash safety on both networks: kill -9 of a peer while transactions flow, and of an orderer,
// loses no committed block; a restarted peer catches up to the same chain as the others. On real
// Fabric (three Raft orderers) also: with one orderer down under load, transactions still commit,
// and the restarted orderer catches up.
import { expect } from 'chai';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { testNetwork, controlledNodes, NETWORK_LABEL, ControlledNode } from './network';
import {
    connection,
    contractOf,
    closeConnections,
    peerChainInfo,
    ordererHeight,
    orderingNodes,
    eventually,
    OrdererEndpoint,
} from './helpers';
import { Topology } from '../../network/client/topology';
import { notRun } from '../not-run';

describe(`crash safety on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    let nodes: ControlledNode[];

    before(async function () {
        const network = await testNetwork();
        // Killing nodes is only done to a network this run started.
        if (!network.owned) notRun(this, 'E2E_TOPOLOGY names a network this run did not start: its nodes are not ours to kill');
        t = network.topology;
        nodes = controlledNodes(network);
    });
    after(closeConnections);

    const node = (kind: string, org?: string) => nodes.find((n) => n.kind === kind && (!org || n.org === org)) as ControlledNode;

    async function kill(target: ControlledNode): Promise<void> {
        const pid = target.pid();
        expect(pid, `${target.name} should be running`).to.be.a('number');
        process.kill(pid as number, 'SIGKILL');
        await eventually(`${target.name} to die`, async () => (target.pid() ? undefined : true));
    }

    /** Every peer's height and newest block hash, once they all agree. */
    const converged = () =>
        eventually(
            'peers to converge',
            async () => {
                const all = await Promise.all(t.orgs.map((o) => peerChainInfo(t, o.mspId)));
                return all.every((x) => x.height === all[0].height && x.currentBlockHash === all[0].currentBlockHash) ? all : undefined;
            },
            30_000,
        );

    it('When a peer is killed with SIGKILL while transactions flow and restarted, Then it reaches the same chain as the others and reads the last write', async () => {
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
        const victim = node('peer', 'AuditMSP');
        await kill(victim);
        await victim.start();
        await new Promise((r) => setTimeout(r, 500));
        stop = true;
        await flow;
        expect(committed.length).to.be.greaterThan(0);

        const chains = await converged();
        expect(chains[0].currentBlockHash).to.match(/^[0-9a-f]{64}$/);
        const audit = contractOf(t, connection(t, 'AuditMSP').gateway, 'fixture');
        const last = committed[committed.length - 1];
        const read = await eventually('the restarted peer to answer', async () =>
            Buffer.from(await audit.evaluate('Get', { arguments: [last], endorsingOrganizations: ['AuditMSP'] })).toString(),
        );
        expect(read).to.equal(String(committed.length - 1));
        // And it endorses again: on Fabric once gossip's discovery offers it anew (seconds).
        await eventually(
            'the restarted peer to endorse',
            async () =>
                (
                    await contract.submitAsync('Put', {
                        arguments: [`${run}-after`, 'x'],
                        endorsingOrganizations: ['SeoulMSP', 'MOISMSP', 'AuditMSP'],
                    })
                ).getStatus(),
            60_000,
        );
    });

    it('When an orderer is killed with SIGKILL and restarted, Then no committed block is lost and ordering resumes', async () => {
        const contract = contractOf(t, connection(t, 'SeoulMSP').gateway, 'fixture');
        const before = await contract.submitAsync('Put', { arguments: [`orderer-${Date.now()}`, 'before'] });
        const beforeBlock = (await before.getStatus()).blockNumber;
        const first = orderingNodes(t)[0];
        const heightBefore = await ordererHeight(t, first);
        expect(heightBefore).to.be.greaterThan(Number(beforeBlock));

        const victim = node('orderer');
        await kill(victim);
        await victim.start();
        expect(await eventually('the orderer to deliver', () => ordererHeight(t, first), 30_000)).to.be.at.least(heightBefore);

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
        expect((await converged())[0].height).to.be.greaterThan(Number(after.blockNumber));
    });

    it('Given three Raft orderers, When one is killed under load, Then transactions still commit, and restarted it catches up with the others', async function () {
        const orderers = orderingNodes(t);
        if (orderers.length < 3) {
            notRun(
                this,
                `${NETWORK_LABEL} runs ${orderers.length} ordering node(s); Raft keeps ordering with one node down only with three`,
            );
        }
        const victims = nodes.filter((n) => n.kind === 'orderer');
        const victim = victims[victims.length - 1];
        const victimEndpoint = orderers.find((o) => o.name === victim.name);
        expect(victimEndpoint, `${victim.name} is an ordering node of the topology`).to.not.equal(undefined);
        const contract = contractOf(t, connection(t, 'MOHWMSP').gateway, 'fixture');
        const run = `raft-${Date.now()}`;
        let stop = false;
        const outcomes: string[] = [];
        // Load through the kill: a transaction sent while Raft elects a new leader may be refused
        // (SERVICE_UNAVAILABLE, "no Raft leader"); none may be lost or commit as anything but VALID.
        const flow = (async () => {
            for (let i = 0; !stop && i < 2000; i++) {
                try {
                    const tx = await contract.submitAsync('Put', { arguments: [`${run}-${i}`, String(i)] });
                    outcomes.push(String((await tx.getStatus()).code));
                } catch (e) {
                    outcomes.push(`refused: ${(e as Error).message.split('\n')[0]}`);
                    await new Promise((r) => setTimeout(r, 200));
                }
            }
        })();
        try {
            await new Promise((r) => setTimeout(r, 1000));
            await kill(victim);
            // While it is down: a transaction still reaches a block on every peer (after an election
            // if the victim led; Raft's election timeout is seconds).
            const downStatus = await eventually(
                'a transaction to commit with one orderer down',
                async () => (await contract.submitAsync('Put', { arguments: [`${run}-while-down`, 'x'] })).getStatus(),
                30_000,
            );
            expect(downStatus.code).to.equal(StatusCode.VALID);
            expect(victim.pid(), `${victim.name} is still down`).to.equal(undefined);
            stop = true;
            await flow;
            expect(outcomes.filter((o) => o === String(StatusCode.VALID)).length).to.be.greaterThan(0);
            expect(outcomes.filter((o) => o !== String(StatusCode.VALID) && !o.startsWith('refused'))).to.deep.equal([]);

            await victim.start(60_000);
            const heights = await eventually(
                `${victim.name} to catch up`,
                async () => {
                    const all = await Promise.all(orderers.map((o) => ordererHeight(t, o)));
                    return all.every((h) => h === all[0]) ? all : undefined;
                },
                60_000,
            );
            expect(heights[0]).to.be.greaterThan(Number(downStatus.blockNumber));
            expect(await ordererHeight(t, victimEndpoint as OrdererEndpoint)).to.equal(heights[0]);
        } finally {
            stop = true;
            await flow;
            if (!victim.pid()) await victim.start(60_000); // leave the ordering service whole for the next tests
        }
    });
});
