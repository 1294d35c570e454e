// The real-Fabric side of an org joining or leaving the channel (npm run network:add-org -- --fabric):
// the new org's Fabric CA started and its identities enrolled with fabric-ca-client, its config
// group with its anchor peer; after the signed update (the same steps as on the devnet, run by
// network/commands/orgs.ts), its peer joined with `peer channel join` on the genesis block and
// caught up from the orderer, its chaincode servers started, each chaincode installed and approved
// for the org at the committed sequence (the definition is unchanged: no new commit), its gateway last.
// Every step checks first what is done already, so a second run, or a run after a crash, redoes nothing.
import type { common } from '@hyperledger/fabric-protos';
import { applicationOrgGroup, orgPolicyRules } from '../devnet/common/configtx';
import { devnetNodes, stopNode } from '../devnet/processes';
import { ChaincodeConfig, findOrg, nodesOperatedBy, OrgConfig, paths, Topology } from '../client/topology';
import { findFabricBinaries, FabricBinaries } from './binaries';
import { caOrgs, fabricPorts } from './config';
import {
    approvals,
    approveForMyOrg,
    channelHeight,
    commitDefinition,
    committedSequence,
    ensureGenesisBlock,
    ensureRunning,
    fabricChaincodeNode,
    fabricNodes,
    install,
    joinOrderer,
    joinPeer,
    ordererNode,
    peerCli,
    peerNode,
    Say,
    startCaAndEnroll,
    waitForEndorsers,
    writeNodeConfigs,
} from './network';
import { runTool, FabricCommandError } from './run';

/** How long org-up waits for the other orgs to commit a definition it approved (ORG_UP_COMMIT_WAIT_MS, default 60 s). */
const ORG_UP_COMMIT_WAIT_MS = Number(process.env.ORG_UP_COMMIT_WAIT_MS ?? 60_000);

/** The committed definition of a chaincode as the org's own peer reports it (querycommitted). */
interface CommittedDefinition {
    sequence: number;
    version: string;
    approvals: Record<string, boolean>;
}

async function committedDefinition(t: Topology, cc: ChaincodeConfig, org: OrgConfig, bin: FabricBinaries): Promise<CommittedDefinition> {
    try {
        const out = await runTool(
            bin.bin.peer,
            ['lifecycle', 'chaincode', 'querycommitted', '--channelID', t.channel, '--name', cc.name, '--output', 'json'],
            peerCli(t, org),
        );
        return JSON.parse(out.slice(out.indexOf('{'))) as CommittedDefinition;
    } catch (e) {
        if (e instanceof FabricCommandError && /not defined|not found/.test(e.output)) {
            throw new Error(
                `CHAINCODE_NOT_COMMITTED: ${cc.name} has no committed definition on ${t.channel}: run network:up -- --fabric first`,
            );
        }
        throw e;
    }
}

/**
 * Installs the org's package and approves the committed definition for the org at its sequence:
 * the org's peer may then endorse, and nothing is committed (the other orgs' approvals stand).
 */
async function approveCommitted(t: Topology, cc: ChaincodeConfig, org: OrgConfig, bin: FabricBinaries, say: Say): Promise<void> {
    const packageId = await install(t, cc, org, bin, say);
    const committed = await committedDefinition(t, cc, org, bin);
    if (committed.approvals[org.mspId]) {
        say(`  ${org.mspId} has approved ${cc.name} sequence ${committed.sequence} already`);
        return;
    }
    await approveForMyOrg(t, { ...cc, version: committed.version }, committed.sequence, packageId, org, bin);
    const after = await committedDefinition(t, cc, org, bin);
    if (!after.approvals[org.mspId]) {
        throw new Error(
            `NOT_APPROVED: ${org.mspId}'s approval of ${cc.name} sequence ${committed.sequence} does not show in querycommitted`,
        );
    }
    say(`  ${org.mspId} approved ${cc.name} at the committed sequence ${committed.sequence} (querycommitted: approved)`);
}

/**
 * One org on its own machine: its package installed, the definition approved for it (the committed
 * one when there is one, else the topology's first), and committed by it once a majority of the
 * channel's orgs approved (checkcommitreadiness from its own peer); the commit is endorsed by the
 * peers of the orgs that approved. Another org committing first is not an error: its commit stands.
 */
export async function approveAndCommit(
    t: Topology,
    cc: ChaincodeConfig,
    org: OrgConfig,
    bin: FabricBinaries,
    say: Say,
    attempt = 1,
): Promise<'committed' | 'approved' | 'already'> {
    if ((await committedSequence(t, cc, bin, org)) > 0) {
        await approveCommitted(t, cc, org, bin, say);
        return 'already';
    }
    const packageId = await install(t, cc, org, bin, say);
    let approved: Record<string, boolean>;
    try {
        approved = await approvals(t, cc, cc.sequence, bin, org);
        if (!approved[org.mspId]) {
            await approveForMyOrg(t, cc, cc.sequence, packageId, org, bin);
            say(`  ${org.mspId} approved ${cc.name} sequence ${cc.sequence}`);
            approved = await approvals(t, cc, cc.sequence, bin, org);
        }
    } catch (e) {
        // Committed by the others meanwhile: the peer answers "new definition must be sequence 2",
        // or the approval, which read the sequence, is invalidated by that commit (MVCC_READ_CONFLICT).
        // The org approves the committed definition instead.
        if (
            e instanceof FabricCommandError &&
            /new definition must be sequence|current committed sequence|MVCC_READ_CONFLICT/.test(e.output)
        ) {
            if ((await committedSequence(t, cc, bin, org)) > 0) {
                await approveCommitted(t, cc, org, bin, say);
                return 'already';
            }
            // A conflict with another org's lifecycle transaction, nothing committed: once more from the start.
            if (attempt < 3) return approveAndCommit(t, cc, org, bin, say, attempt + 1);
        }
        throw e;
    }
    const yes = t.orgs.filter((o) => approved[o.mspId]);
    if (yes.length * 2 <= t.orgs.length) {
        say(`  ${cc.name}: ${yes.length} of ${t.orgs.length} orgs approved; the first org to see a majority commits`);
        return 'approved';
    }
    try {
        await commitDefinition(t, cc, cc.sequence, yes, org, bin);
    } catch (e) {
        // Two orgs that each saw the majority: the second finds the sequence taken.
        if ((await committedSequence(t, cc, bin, org)) >= cc.sequence) return 'already';
        throw e;
    }
    say(`  ${org.mspId} committed ${cc.name} sequence ${cc.sequence} (approved by ${yes.map((o) => o.mspId).join(', ')})`);
    return 'committed';
}

/** /Channel/Application/<mspId> as configtxgen -printOrg writes it from our configtx.yaml: Fabric's policies, the anchor peer. */
export function fabricOrgGroup(t: Topology, mspId: string): common.ConfigGroup {
    const org = findOrg(t, mspId);
    return applicationOrgGroup(t, mspId, { policies: orgPolicyRules(mspId), anchorPeer: { host: org.peer.host, port: org.peer.port } });
}

const caOrgOf = (t: Topology, mspId: string) => {
    const org = caOrgs(t).find((o) => o.mspId === mspId);
    if (!org) throw new Error(`ORG_UNKNOWN: ${mspId} is not in ${t.file}`);
    return org;
};

/**
 * Real Fabric's side of a join: the OrgNetwork of the org commands (network/commands/orgs.ts, which
 * checks that this object is one), with the new org's Fabric CA, peer, chaincode and gateway.
 */
export const FABRIC_ORGS = {
    label: 'real Fabric',
    async createIdentities(t: Topology, mspId: string, say: Say): Promise<void> {
        const bin = findFabricBinaries(t.root);
        fabricPorts(t); // the new org's ports clash with no other node's
        const made = await startCaAndEnroll(t, caOrgOf(t, mspId), bin, say);
        if (made > 0) say(`  ${made} identities of ${mspId} registered and enrolled at its Fabric CA (fabric-ca-client)`);
    },
    configGroup: fabricOrgGroup,
    async createGenesisBlock(t: Topology, say: Say): Promise<void> {
        await ensureGenesisBlock(t, findFabricBinaries(t.root), say);
    },
    async startOrdering(t: Topology, mspId: string, say: Say): Promise<void> {
        const nodes = nodesOperatedBy(t, mspId);
        if (nodes.length === 0) return;
        const bin = findFabricBinaries(t.root);
        writeNodeConfigs(t, bin, [mspId]);
        for (const node of nodes) {
            await ensureRunning(t, ordererNode(t, node, bin), say);
            // The channel participation API: osnadmin channel join with the genesis block.
            await joinOrderer(t, node, bin, paths.genesisBlock(t), say);
        }
    },
    peerHeight: (t: Topology, mspId: string): Promise<number | undefined> =>
        channelHeight(t, findOrg(t, mspId), findFabricBinaries(t.root)),
    async startOrgPeer(t: Topology, mspId: string, say: Say): Promise<void> {
        const bin = findFabricBinaries(t.root);
        const org = findOrg(t, mspId);
        await startCaAndEnroll(t, caOrgOf(t, mspId), bin, say);
        writeNodeConfigs(t, bin, [mspId]);
        // ensureRunning waits for the gRPC port too: the peer CLI needs it, and Fabric answers /healthz first.
        await ensureRunning(t, peerNode(t, org, bin), say);
        // The genesis block, as fabric-samples' addOrg3 joins with block 0: the peer then pulls every block after it.
        await joinPeer(t, org, bin, paths.genesisBlock(t), say);
    },
    async startOrgServices(t: Topology, mspId: string, say: Say): Promise<void> {
        const bin = findFabricBinaries(t.root);
        const org = findOrg(t, mspId);
        const outcomes: string[] = [];
        for (const cc of t.chaincodes) {
            await ensureRunning(t, fabricChaincodeNode(t, cc, org), say);
            outcomes.push(await approveAndCommit(t, cc, org, bin, say));
        }
        // Once committed, the org's own peer offers endorsers enough for each chaincode's policy,
        // its own among them (gossip found the others through their anchor peers).
        // An org that approved but saw no majority yet waits a while for the others' (org-ups on
        // separate machines at once: one of them commits), then starts its gateway anyway, which
        // answers once the definition is committed.
        for (const [i, cc] of t.chaincodes.entries()) {
            if (outcomes[i] !== 'approved') {
                await waitForEndorsers(t, cc, say, { mspId, including: [mspId] });
                continue;
            }
            await waitForEndorsers(t, cc, say, { mspId, including: [mspId] }, ORG_UP_COMMIT_WAIT_MS).catch(() =>
                say(`  ${cc.name}: not committed yet (a majority of orgs must approve); ${mspId}'s gateway answers once it is`),
            );
        }
        const gateway = devnetNodes(t, true).find((n) => n.kind === 'gateway' && n.org === mspId);
        if (gateway) await ensureRunning(t, gateway, say);
    },
    async stopOrgNodes(t: Topology, mspId: string): Promise<string[]> {
        const nodes = fabricNodes(t, findFabricBinaries(t.root), true)
            .filter((n) => n.org === mspId)
            .reverse();
        const stopped = await Promise.all(nodes.map(async (n) => ((await stopNode(t, n)) ? n.name : undefined)));
        return stopped.filter((n): n is string => n !== undefined);
    },
};
