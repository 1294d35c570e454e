// The org commands of the network CLI, on the devnet or (--fabric) real Fabric: add-org and
// remove-org (every step on this machine, each existing org's admin signing in turn), and the steps
// one by one for orgs on separate machines: org-request, propose-update, sign-update,
// submit-update, org-up (docs/operations.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { CHAINCODE_FN } from '../../gateway/fabric/surface';
import { ensureRunning } from './network';
import { connectAs } from '../client/connection';
import { applicationOrgGroup } from '../devnet/common/configtx';
import { FABRIC_ORGS } from '../fabric/orgs';
import { generateCrypto } from '../devnet/msp/ca';
import { checkHealth, devnetNodes, stopNode } from '../devnet/processes';
import {
    acceptOrgRequest,
    adminOf,
    catchUp,
    channelOrgs,
    elapsed as ms,
    createOrgRequest,
    majoritySigners,
    NewOrg,
    ORG_COMMANDS_HELP,
    OrgChangeError,
    OrgNetwork,
    proposeUpdate,
    readOrgRequest,
    removeOrgFromTopologyFile,
    requestConfigGroup,
    Say,
    signUpdate,
    submitUpdate,
    summarizeUpdate,
    waitForPeers,
} from './orgchange';
import { findOrg, issuerOrg, Topology } from '../client/topology';

/** The devnet's side of a join: identities from our own CA code, nodes as our own processes. */
export const DEVNET_ORGS: OrgNetwork = {
    label: 'the devnet',
    createIdentities: (t) => generateCrypto(t),
    configGroup: (t, mspId) => applicationOrgGroup(t, mspId),
    async peerHeight(t, mspId) {
        const peer = devnetNodes(t).find((n) => n.kind === 'peer' && n.org === mspId);
        return peer ? (await checkHealth(peer)).height : undefined;
    },
    async startOrgNodes(t, mspId, say) {
        findOrg(t, mspId);
        const nodes = devnetNodes(t).filter((n) => n.org === mspId);
        // Chaincode servers (and whatever else the org runs) first, the peer next, the gateway last.
        for (const node of nodes.filter((n) => n.kind !== 'peer' && n.kind !== 'gateway')) await ensureRunning(t, node);
        for (const node of nodes.filter((n) => n.kind === 'peer')) await ensureRunning(t, node);
        await catchUp(DEVNET_ORGS, t, mspId, say);
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
    await network.startOrgNodes(topology, org.mspId, say);
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

type Flags = Map<string, string[]>;

function flag(flags: Flags, name: string, required = true): string {
    const v = flags.get(name)?.[0];
    if ((v === undefined || v === 'true') && required)
        throw new OrgChangeError('ORG_INVALID', `USAGE: --${name} is required\n${ORG_COMMANDS_HELP}`);
    return v ?? '';
}

function newOrgOf(flags: Flags): NewOrg {
    return { mspId: flag(flags, 'msp'), name: flag(flags, 'name'), domain: flag(flags, 'domain'), host: flags.get('host')?.[0] };
}

/** Runs an org command of the CLI; undefined when `command` is not one. */
export async function runOrgCommand(command: string, flags: Flags, t: Topology, say: Say): Promise<number | undefined> {
    const network = orgNetworkOf(flags.has('fabric'));
    switch (command) {
        case 'add-org':
            await addOrg(t, newOrgOf(flags), say, network);
            return 0;
        case 'remove-org':
            await removeOrg(t, flag(flags, 'msp'), { keepNodes: flags.has('keep-nodes') }, say, network);
            return 0;
        case 'org-request': {
            const out = flag(flags, 'out');
            const { request } = await createOrgRequest(t, newOrgOf(flags), say, network);
            fs.writeFileSync(out, `${JSON.stringify(request, null, 2)}\n`);
            say(`wrote ${out}: send it to the channel's admins, with these fingerprints by another channel (phone, letter):`);
            for (const [file, fp] of Object.entries(request.fingerprints)) say(`  ${file}  ${fp}`);
            return 0;
        }
        case 'propose-update': {
            const out = flag(flags, 'out');
            const proposer = flag(flags, 'org');

            let update: common.Envelope | undefined;
            if (flags.has('request')) {
                const request = readOrgRequest(flag(flags, 'request'));
                const topology = acceptOrgRequest(t, request);
                update = await proposeUpdate(topology, adminOf(topology, proposer), {
                    add: { mspId: request.org.mspId, group: requestConfigGroup(request) },
                });
            } else {
                update = await proposeUpdate(t, adminOf(t, proposer), { remove: flag(flags, 'remove') });
            }
            if (!update) {
                say('nothing to do: the channel config already is what the update would make it');
                return 0;
            }
            fs.writeFileSync(out, update.serializeBinary());
            for (const line of summarizeUpdate(update.serializeBinary())) say(line);
            say(`wrote ${out}: each admin signs it (sign-update), the last one submits it (submit-update)`);
            return 0;
        }
        case 'sign-update': {
            const file = flag(flags, 'file');
            const mspId = flag(flags, 'org');
            const bytes = fs.readFileSync(file);
            for (const line of summarizeUpdate(bytes)) say(line);
            if (flags.has('request')) acceptOrgRequest(t, readOrgRequest(flag(flags, 'request')));
            fs.writeFileSync(file, signUpdate(t, bytes, adminOf(t, mspId)));
            say(`signed by the admin of ${mspId}: ${path.resolve(file)}`);
            return 0;
        }
        case 'submit-update': {
            const mspId = flag(flags, 'org');
            const block = await submitUpdate(t, fs.readFileSync(flag(flags, 'file')), adminOf(t, mspId));
            say(`the orderer accepted the update: config block ${block}`);
            return 0;
        }
        case 'org-up':
            await network.startOrgNodes(t, flag(flags, 'msp'), say);
            return 0;
        default:
            return undefined;
    }
}
