// The org commands, each run top-down on the devnet or (--fabric) real Fabric: add-org and
// remove-org (every step on this machine, each existing org's admin signing in turn), org-request
// and org-up, the steps of which (network/commands/orgchange.ts) are also commands of their own for
// orgs on separate machines (docs/operations.md). What differs between the two networks is an
// OrgNetwork: the devnet's below, real Fabric's in network/fabric/orgs.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { CHAINCODE_FN } from '../../chaincode/surface';
import { ensureRunning } from './network';
import { connectAs } from '../client/connection';
import { applicationOrgGroup, buildGenesisBlock } from '../devnet/common/configtx';
import { fetchBlock } from './configupdate';
import { approveCommitted, approveForOrg, commitIfReady } from './lifecycle';
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
import { findOrg, issuerOrg, paths, PRODUCT_CHAINCODE, shownPath, Topology } from '../client/topology';

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
    /** The channel's genesis block, from the orgs' public material in this state folder (the creator's machine). */
    createGenesisBlock(t: Topology, say: Say): Promise<void>;
    /** The ordering nodes the org operates, running and joined to the channel (its genesis block must be here). */
    startOrdering(t: Topology, mspId: string, say: Say): Promise<void>;
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
    // Only this org's: its keys are made on its own machine, in its own folder.
    createIdentities: (t, mspId) => generateCrypto(t, [mspId]),
    configGroup: (t, mspId) => applicationOrgGroup(t, mspId),
    async createGenesisBlock(t) {
        const file = paths.genesisBlock(t);
        if (fs.existsSync(file)) return;
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(`${file}.tmp`, buildGenesisBlock(t).serializeBinary());
        fs.renameSync(`${file}.tmp`, file);
    },
    async startOrdering(t, mspId) {
        // The devnet runs one ordering node, the topology's first, which reads the genesis block when it starts.
        for (const node of devnetNodes(t).filter((n) => n.kind === 'orderer' && n.org === mspId)) await ensureRunning(t, node);
    },
    async peerHeight(t, mspId) {
        const peer = devnetNodes(t).find((n) => n.kind === 'peer' && n.org === mspId);
        return peer ? (await checkHealth(peer)).height : undefined;
    },
    async startOrgPeer(t, mspId) {
        findOrg(t, mspId);
        const nodes = devnetNodes(t).filter((n) => n.org === mspId);
        // The CA and chaincode servers first, the peer next, the gateway last.
        for (const node of nodes.filter((n) => n.kind === 'ca' || n.kind === 'chaincode')) await ensureRunning(t, node);
        for (const node of nodes.filter((n) => n.kind === 'peer')) await ensureRunning(t, node);
    },
    async startOrgServices(t, mspId, say) {
        // As on Fabric: the org approves each chaincode's definition for itself (its peer endorses a
        // chaincode only then), before its gateway takes requests: the committed definition when
        // there is one (an org that joins later), else the topology's, which the first org to see a
        // majority of approvals commits.
        for (const cc of t.chaincodes) {
            const outcome = await approveCommitted(t, cc, mspId, say);
            if (outcome === 'already') say(`  ${mspId} has approved ${cc.name} at its committed sequence already`);
            if (outcome !== 'not-committed') continue;
            await approveForOrg(t, cc, mspId, say);
            await commitIfReady(t, cc, mspId, say);
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

/**
 * The ordering service's height, as the org's admin reads it, once the service answers: while the
 * channel is being founded it may not yet (on Fabric a Raft node without a majority of its
 * consenters answers Deliver with SERVICE_UNAVAILABLE; on the devnet the operator's node may not
 * run yet), so each org's org-up waits for the others' ordering nodes, within `timeoutMs`.
 */
export async function orderingHeight(t: Topology, mspId: string, say: Say, timeoutMs = ORDERING_WAIT_MS): Promise<number> {
    const started = Date.now();
    let said = 0;
    for (;;) {
        try {
            return await ordererHeight(t, adminOf(t, mspId));
        } catch (e) {
            const waited = Date.now() - started;
            if (waited > timeoutMs) {
                throw new OrgChangeError(
                    'NOT_APPLIED',
                    `ORDERING_NOT_READY: ${paths.ordererName(t)} did not answer within ${timeoutMs / 1000} s: ${(e as Error).message}`,
                );
            }
            if (waited - said >= 10_000 || said === 0) {
                said = waited || 1;
                say(
                    `  waiting for the ordering service (${paths.ordererName(t)}: ${(e as Error).message.replace(/^[A-Z_]+: /, '')}): the ordering nodes of a majority must run`,
                );
            }
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
}

/** How long org-up waits for the ordering service: the other orgs start their ordering nodes on their own machines. */
const ORDERING_WAIT_MS = Number(process.env.ORG_UP_ORDERING_WAIT_MS ?? 600_000);

/** Waits until the org's new peer holds every block the orderer has. */
export async function catchUp(network: OrgNetwork, t: Topology, mspId: string, say: Say, timeoutMs = 120_000): Promise<void> {
    const height = await orderingHeight(t, mspId, say);
    const started = Date.now();
    await waitForPeers(network, t, [mspId], height, timeoutMs);
    say(`  ${paths.peerName(t, mspId)} caught up with the orderer (height ${height}) in ${ms(started)}`);
}

/**
 * npm run network:org-up, on the org's own machine: the ordering nodes it operates (joined with the
 * genesis block), its peer started and caught up with the orderer, then its chaincode approved (and
 * committed once a majority approved) and its gateway. The genesis block comes from the creator
 * (--genesis) or, for an org that joins a running channel, from the orderer once it is a member.
 */
export async function startOrgNodes(network: OrgNetwork, t: Topology, mspId: string, say: Say): Promise<void> {
    findOrg(t, mspId);
    await ensureGenesisBlock(t, mspId, say);
    await network.startOrdering(t, mspId, say);
    await network.startOrgPeer(t, mspId, say);
    await catchUp(network, t, mspId, say);
    await network.startOrgServices(t, mspId, say);
}

/** The genesis block in this state folder: already there, or fetched from the orderer as the org's admin (`peer channel fetch 0`). */
async function ensureGenesisBlock(t: Topology, mspId: string, say: Say): Promise<void> {
    const file = paths.genesisBlock(t);
    if (fs.existsSync(file)) return;
    const block = await fetchBlock(t, adminOf(t, mspId), 0);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, block.serializeBinary());
    fs.renameSync(`${file}.tmp`, file);
    say(`  genesis block of ${t.channel} fetched from ${paths.ordererName(t)} as ${mspId}'s admin`);
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
    say(`${org.mspId}: identities and certificates under ${shownPath(t2, paths.orgDir(t2, org.mspId))}`);
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
        const contract = connection.gateway.getNetwork(t.channel).getContract(PRODUCT_CHAINCODE);
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
        // The product's own step: only where its chaincode runs.
        if (t.chaincodes.some((cc) => cc.name === PRODUCT_CHAINCODE)) await deactivateServices(t, mspId, say);
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
