// The org commands, each run top-down on the devnet or (--fabric) real Fabric: add-org and
// remove-org (every step on this machine, each existing org's admin signing in turn), org-request
// and org-up, the steps of which (network/commands/orgchange.ts) are also commands of their own for
// orgs on separate machines (docs/operations.md). What differs between the two networks is an
// OrgNetwork: the devnet's below, real Fabric's in network/fabric/orgs.ts.
import * as path from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { CHAINCODE_FN } from '../../chaincode/surface';
import { ensureRunning } from './network';
import { approveCommitted } from './lifecycle';
import { connectAs } from '../client/connection';
import { applicationOrgGroup } from '../devnet/common/configtx';
import { FABRIC_ORGS } from '../fabric/orgs';
import { generateCrypto } from '../devnet/msp/ca';
import { checkHealth, devnetNodes, stopNode } from '../devnet/processes';
import {
    addOrgToTopologyFile,
    adminOf,
    channelOrgs,
    elapsed as ms,
    majoritySigners,
    NewOrg,
    OrgChangeError,
    ordererHeight,
    OrgRequest,
    orgRequest,
    proposeUpdate,
    removeOrgFromTopologyFile,
    requestConfigGroup,
    Say,
    signUpdate,
    submitUpdate,
} from './orgchange';
import { findOrg, issuerOrg, paths, Topology } from '../client/topology';

/**
 * What a join needs of the network the org joins: the devnet's own processes (DEVNET_ORGS below)
 * or real Fabric's (network/fabric/orgs.ts). The channel update itself is the same on both.
 */
export interface OrgNetwork {
    label: string;
    /** The new org's CA and identities: generated on the devnet, enrolled at its own Fabric CA on Fabric. */
    createIdentities(t: Topology, mspId: string, say: Say): Promise<void>;
    /** /Channel/Application/<mspId> as configtxgen -printOrg writes it (on Fabric with its anchor peer). */
    configGroup(t: Topology, mspId: string): common.ConfigGroup;
    /** A peer's channel height, undefined when it does not answer. */
    peerHeight(t: Topology, mspId: string): Promise<number | undefined>;
    /** Starts the org's peer (and what it needs first), joined to the channel: it then catches up from the orderer. */
    startOrgPeer(t: Topology, mspId: string, say: Say): Promise<void>;
    /** Once its peer has caught up: the rest of the org's nodes, its chaincode endorsable, its gateway last. */
    startOrgServices(t: Topology, mspId: string, say: Say): Promise<void>;
    /** Stops the org's nodes; the names of those that ran. */
    stopOrgNodes(t: Topology, mspId: string): Promise<string[]>;
}

/** The devnet's side of a join: identities from our own CA code, nodes as our own processes. */
export const DEVNET_ORGS: OrgNetwork = {
    label: 'the devnet',
    createIdentities: (t) => generateCrypto(t),
    configGroup: (t, mspId) => applicationOrgGroup(t, mspId),
    async peerHeight(t, mspId) {
        const peer = devnetNodes(t).find((n) => n.kind === 'peer' && n.org === mspId);
        return peer ? (await checkHealth(peer)).height : undefined;
    },
    async startOrgPeer(t, mspId) {
        findOrg(t, mspId);
        const nodes = devnetNodes(t).filter((n) => n.org === mspId);
        // Chaincode servers (and whatever else the org runs) first, the peer next, the gateway last.
        for (const node of nodes.filter((n) => n.kind !== 'peer' && n.kind !== 'gateway')) await ensureRunning(t, node);
        for (const node of nodes.filter((n) => n.kind === 'peer')) await ensureRunning(t, node);
    },
    async startOrgServices(t, mspId, say) {
        // As on Fabric: the org approves each committed definition for itself (its peer endorses
        // a chaincode only then), before its gateway takes requests.
        for (const cc of t.chaincodes) {
            const outcome = await approveCommitted(t, cc, mspId, say);
            if (outcome === 'already') say(`  ${mspId} has approved ${cc.name} at its committed sequence already`);
        }
        const nodes = devnetNodes(t).filter((n) => n.org === mspId);
        for (const node of nodes.filter((n) => n.kind === 'gateway')) await ensureRunning(t, node);
    },
    async stopOrgNodes(t, mspId) {
        const stopped: string[] = [];
        for (const node of devnetNodes(t, true)
            .filter((n) => n.org === mspId)
            .reverse()) {
            if (await stopNode(t, node)) stopped.push(node.name);
        }
        return stopped;
    },
};

/** The network behind the CLI's --fabric flag. */
export const orgNetworkOf = (fabric: boolean): OrgNetwork => (fabric ? FABRIC_ORGS : DEVNET_ORGS);

/** Waits until the peer of every org in `orgs` holds `height` blocks. */
export async function waitForPeers(network: OrgNetwork, t: Topology, orgs: string[], height: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const heights = await Promise.all(orgs.map((o) => network.peerHeight(t, o)));
        const behind = orgs.filter((_, i) => (heights[i] ?? 0) < height).map((o) => paths.peerName(t, o));
        if (behind.length === 0) return;
        if (Date.now() > deadline)
            throw new OrgChangeError('NOT_APPLIED', `${behind.join(', ')} did not reach height ${height} within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

/** Waits until the org's new peer holds every block the orderer has. */
export async function catchUp(network: OrgNetwork, t: Topology, mspId: string, say: Say, timeoutMs = 120_000): Promise<void> {
    const started = Date.now();
    const height = await ordererHeight(t, adminOf(t, mspId));
    await waitForPeers(network, t, [mspId], height, timeoutMs);
    say(`  ${paths.peerName(t, mspId)} caught up with the orderer (height ${height}) in ${ms(started)}`);
}

/** npm run network:org-up: the org's peer started and caught up with the orderer, then the rest of its nodes. */
export async function startOrgNodes(network: OrgNetwork, t: Topology, mspId: string, say: Say): Promise<void> {
    await network.startOrgPeer(t, mspId, say);
    await catchUp(network, t, mspId, say);
    await network.startOrgServices(t, mspId, say);
}

/** npm run network:org-request, on the new org's machine: its topology entry, its identities and the request file. */
export async function createOrgRequest(
    t: Topology,
    org: NewOrg,
    say: Say,
    network: OrgNetwork,
): Promise<{ topology: Topology; request: OrgRequest }> {
    const t2 = addOrgToTopologyFile(t, org);
    await network.createIdentities(t2, org.mspId, say);
    const request = orgRequest(t2, org.mspId, network.configGroup(t2, org.mspId));
    say(`${org.mspId}: identities and certificates under ${path.relative(t2.root, paths.orgDir(t2, org.mspId))}`);
    return { topology: t2, request };
}

/** Signs with a majority of the channel's admins in turn, the last one submitting; returns the config block. */
async function signAndSubmit(t: Topology, bytes: Uint8Array, signers: string[], say: Say): Promise<number> {
    let file = bytes;
    for (const mspId of signers.slice(0, -1)) {
        file = signUpdate(t, file, adminOf(t, mspId));
        say(`  signed by the admin of ${mspId}`);
    }
    const submitter = signers[signers.length - 1];
    const block = await submitUpdate(t, file, adminOf(t, submitter));
    say(`  signed and submitted by the admin of ${submitter}: config block ${block}`);
    return block;
}

/**
 * npm run network:add-org: the whole join on one machine. Idempotent, and resumable after a crash:
 * what exists (identities, membership, running nodes, approvals) is kept, only the rest is done.
 */
export async function addOrg(t: Topology, org: NewOrg, say: Say, network: OrgNetwork = DEVNET_ORGS): Promise<Topology> {
    const started = Date.now();
    say(`adding ${org.mspId} (${org.name}) to channel ${t.channel} on ${network.label}`);
    const { topology, request } = await createOrgRequest(t, org, say, network);
    const members = await channelOrgs(topology, adminOf(topology, issuerOrg(topology).mspId));
    if (members.includes(org.mspId)) {
        say(`  ${org.mspId} is already a member of ${t.channel}`);
    } else {
        const signers = majoritySigners(topology, members);
        const update = await proposeUpdate(topology, adminOf(topology, signers[0]), {
            add: { mspId: org.mspId, group: requestConfigGroup(request) },
        });
        say(`  update computed against the current config (${members.length} orgs; MAJORITY Admins needs ${signers.length})`);
        const block = await signAndSubmit(topology, update!.serializeBinary(), signers, say);
        await waitForPeers(network, topology, members, block + 1);
        say(`  every peer of ${members.join(', ')} applied config block ${block}`);
    }
    await startOrgNodes(network, topology, org.mspId, say);
    say(`${org.mspId} joined ${t.channel} in ${ms(started)}`);
    return topology;
}

/** Every service of the org marked INACTIVE by the issuer (Fabric removes no state: the ledger keeps them). */
async function deactivateServices(t: Topology, mspId: string, say: Say): Promise<number> {
    const issuer = issuerOrg(t).mspId;
    const connection = connectAs(t, issuer, 'issuer1');
    let count = 0;
    try {
        const contract = connection.gateway.getNetwork(t.channel).getContract(t.chaincodes[0].name);
        let bookmark = '';
        const active: string[] = [];
        do {
            const page = JSON.parse(
                Buffer.from(
                    await contract.evaluate(CHAINCODE_FN.listServices, {
                        arguments: [JSON.stringify({ ownerMspId: mspId, pageSize: 100, ...(bookmark ? { bookmark } : {}) })],
                    }),
                ).toString('utf8'),
            ) as { records: { serviceId: string; status: string }[]; bookmark: string; fetchedRecordsCount: number };
            active.push(...page.records.filter((s) => s.status === 'ACTIVE').map((s) => s.serviceId));
            bookmark = page.fetchedRecordsCount > 0 ? page.bookmark : '';
        } while (bookmark);
        for (const serviceId of active) {
            await contract.submit(CHAINCODE_FN.deactivateService, { arguments: [JSON.stringify({ serviceId })] });
            count++;
        }
    } finally {
        connection.close();
    }
    say(`  ${count} service(s) of ${mspId} deactivated`);
    return count;
}

/** npm run network:remove-org: services deactivated, the org removed by a signed update, its nodes stopped. */
export async function removeOrg(
    t: Topology,
    mspId: string,
    options: { keepNodes?: boolean },
    say: Say,
    network: OrgNetwork = DEVNET_ORGS,
): Promise<Topology> {
    const started = Date.now();
    findOrg(t, mspId);
    const members = await channelOrgs(t, adminOf(t, issuerOrg(t).mspId));
    if (members.includes(mspId)) {
        await deactivateServices(t, mspId, say);
        const signers = majoritySigners(t, members, mspId);
        const update = await proposeUpdate(t, adminOf(t, signers[0]), { remove: mspId });
        const block = await signAndSubmit(t, update!.serializeBinary(), signers, say);
        await waitForPeers(
            network,
            t,
            members.filter((m) => m !== mspId),
            block + 1,
        );
        say(`  ${mspId} is no longer a member of ${t.channel} (config block ${block})`);
    } else {
        say(`  ${mspId} is not a member of ${t.channel}`);
    }
    if (options.keepNodes) return t;
    for (const name of await network.stopOrgNodes(t, mspId)) say(`  stopped ${name}`);
    const t2 = removeOrgFromTopologyFile(t, mspId);
    say(`removed ${mspId} in ${ms(started)}; its ledger entries stay on every peer`);
    return t2;
}
