// The steps of a ministry joining (or leaving) the running channel, as fabric-samples' addOrg3 does it
// on Fabric, each a function of what it is given: the new org's entry in the topology file, its
// join request (material and config group), an update of /Channel/Application computed against the
// channel's last config block, signed by the admins and submitted to the orderer. The org commands
// (network/commands/orgs.ts) run them in order, the same on the devnet and on real Fabric; each is
// also a command of its own for orgs on separate machines (docs/operations.md).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { common, msp } from '@hyperledger/fabric-protos';
import YAML, { isMap, isSeq, YAMLMap } from 'yaml';
import { channelConfigOf, configFromBlock } from '../devnet/common/configtx';
import {
    broadcastEnvelope,
    computeUpdate,
    configUpdateEnvelope,
    describeUpdateFile,
    fetchBlock,
    fetchConfigBlock,
    signConfigUpdate,
    withApplicationOrg,
    withoutApplicationOrg,
} from './configupdate';
import { loadSigningIdentity, SigningIdentity } from '../devnet/msp/identity';
import { findOrg, loadTopology, OrgConfig, paths, Topology } from '../client/topology';

export class OrgChangeError extends Error {
    constructor(
        readonly code: 'ORG_INVALID' | 'ORG_EXISTS' | 'ORG_UNKNOWN' | 'UPDATE_REFUSED' | 'REQUEST_INVALID' | 'NOT_APPLIED',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'OrgChangeError';
    }
}

export type Say = (line: string) => void;

/** Milliseconds since `since`, as the progress lines print them. */
export const elapsed = (since: number) => `${Date.now() - since} ms`;

/** The orderer's height (its newest block's number + 1), from its Deliver service as peers ask it. */
export async function ordererHeight(t: Topology, signer: SigningIdentity): Promise<number> {
    return (await fetchBlock(t, signer, 'newest')).getHeader()!.getNumber() + 1;
}

export interface NewOrg {
    mspId: string;
    name: string;
    domain: string;
    host?: string;
}

const MSP_ID_RE = /^[A-Za-z0-9]+$/;
const DOMAIN_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** An org's admin as a signing identity (users/Admin@<domain>/msp). */
export function adminOf(t: Topology, mspId: string): SigningIdentity {
    return loadSigningIdentity(path.join(paths.userDir(t, mspId, 'Admin'), 'msp'), mspId);
}

// ---- the topology file ----

/**
 * Appends the org to the topology file (comments kept) on the next free ports: peer and its
 * operations port, CA, chaincode servers 1000 above the highest in use, gateway 1 above. Idempotent.
 */
export function addOrgToTopologyFile(t: Topology, org: NewOrg): Topology {
    if (!MSP_ID_RE.test(org.mspId)) throw new OrgChangeError('ORG_INVALID', `--msp must be alphanumeric, got ${org.mspId}`);
    if (!DOMAIN_RE.test(org.domain)) throw new OrgChangeError('ORG_INVALID', `--domain must be a DNS name, got ${org.domain}`);
    if (!org.name.trim()) throw new OrgChangeError('ORG_INVALID', '--name must not be empty');
    const existing = t.orgs.find((o) => o.mspId === org.mspId);
    if (existing) {
        if (existing.domain !== org.domain)
            throw new OrgChangeError('ORG_EXISTS', `${org.mspId} is already in ${t.file} with domain ${existing.domain}`);
        return t;
    }
    if (t.orgs.some((o) => o.domain === org.domain)) {
        throw new OrgChangeError('ORG_EXISTS', `domain ${org.domain} is already used in ${t.file}`);
    }
    const doc = YAML.parseDocument(fs.readFileSync(t.file, 'utf8'));
    const host = org.host ?? '127.0.0.1';
    const max = (ports: number[]) => Math.max(...ports);
    const entry: Record<string, unknown> = {
        mspId: org.mspId,
        name: org.name,
        domain: org.domain,
        peer: {
            host,
            port: max(t.orgs.map((o) => o.peer.port)) + 1000,
            operationsPort: max(t.orgs.map((o) => o.peer.operationsPort)) + 1000,
        },
    };
    // A gateway only on a network that runs the product's gateways.
    const gateways = t.orgs.flatMap((o) => (o.gateway ? [o.gateway.port] : []));
    if (gateways.length > 0) entry.gateway = { host, port: max(gateways) + 1 };
    // The org's Fabric CA.
    entry.ca = { host, port: max(t.orgs.map((o) => o.ca.port)) + 1000, operationsPort: max(t.orgs.map((o) => o.ca.operationsPort)) + 1000 };
    const node = doc.createNode(entry) as YAMLMap;
    for (const key of ['peer', 'gateway', 'ca']) {
        const child = node.get(key, true);
        if (isMap(child)) child.flow = true;
    }
    const orgs = doc.get('orgs');
    if (!isSeq(orgs)) throw new OrgChangeError('ORG_INVALID', `${t.file} has no orgs list`);
    orgs.add(node);
    const chaincodes = doc.get('chaincodes');
    if (isSeq(chaincodes)) {
        chaincodes.items.forEach((item, i) => {
            const ports = t.chaincodes[i].server.ports;
            const portMap = (item as YAMLMap).getIn(['server', 'ports']);
            if (isMap(portMap)) portMap.set(org.mspId, max(Object.values(ports)) + 1000);
        });
    }
    writeAtomic(t.file, doc.toString());
    return reload(t);
}

/** Removes the org from the topology file (its entry and its chaincode server ports). */
export function removeOrgFromTopologyFile(t: Topology, mspId: string): Topology {
    if (!t.orgs.some((o) => o.mspId === mspId)) return t;
    const doc = YAML.parseDocument(fs.readFileSync(t.file, 'utf8'));
    const orgs = doc.get('orgs');
    if (isSeq(orgs)) orgs.items = orgs.items.filter((item) => (item as YAMLMap).get('mspId') !== mspId);
    const chaincodes = doc.get('chaincodes');
    if (isSeq(chaincodes)) {
        for (const item of chaincodes.items) {
            const portMap = (item as YAMLMap).getIn(['server', 'ports']);
            if (isMap(portMap)) portMap.delete(mspId);
        }
    }
    writeAtomic(t.file, doc.toString());
    return reload(t);
}

function writeAtomic(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
}

/** The topology file read again (the state folder kept as it was resolved). */
function reload(t: Topology): Topology {
    const previous = process.env.DEVNET_STATE_DIR;
    process.env.DEVNET_STATE_DIR = t.stateDir;
    try {
        return loadTopology(t.file);
    } finally {
        if (previous === undefined) delete process.env.DEVNET_STATE_DIR;
        else process.env.DEVNET_STATE_DIR = previous;
    }
}

// ---- the join request a new org sends ----

/** What a joining ministry sends to the channel's admins: its topology entry, its verifying MSP and its config group. */
export interface OrgRequest {
    kind: 'org-join-request';
    org: OrgConfig;
    /** Chaincode server port per chaincode name. */
    chaincodePorts: Record<string, number>;
    /** The verifying MSP folder, file by file (cacerts, tlscacerts, config.yaml, ...), PEM or YAML text. */
    msp: Record<string, string>;
    /** The TLS CA certificate its nodes' certificates chain to (for clients of its peer). */
    tlsRootCert: string;
    /** /Channel/Application/<mspId> as configtxgen -printOrg would write it, protobuf in base64. */
    configGroup: string;
    /** SHA-256 of the org's CA certificates, to compare with what the ministry says out of band. */
    fingerprints: Record<string, string>;
}

function readTree(dir: string, base = dir, out: Record<string, string> = {}): Record<string, string> {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) readTree(p, base, out);
        else out[path.relative(base, p)] = fs.readFileSync(p, 'utf8');
    }
    return out;
}

export function fingerprint(pem: string): string {
    return new crypto.X509Certificate(pem).fingerprint256;
}

/** The join request of an org whose identities exist: its topology entry, its verifying MSP and TLS root, its config group. */
export function orgRequest(t: Topology, mspId: string, configGroup: common.ConfigGroup): OrgRequest {
    const entry = findOrg(t, mspId);
    const mspFiles = readTree(paths.orgMsp(t, mspId));
    const fingerprints: Record<string, string> = {};
    for (const [file, text] of Object.entries(mspFiles)) if (file.endsWith('.pem')) fingerprints[file] = fingerprint(text);
    return {
        kind: 'org-join-request',
        org: entry,
        chaincodePorts: Object.fromEntries(t.chaincodes.map((cc) => [cc.name, cc.server.ports[mspId]])),
        msp: mspFiles,
        tlsRootCert: fs.readFileSync(paths.tlsRootCert(t, mspId), 'utf8'),
        configGroup: Buffer.from(configGroup.serializeBinary()).toString('base64'),
        fingerprints,
    };
}

export function readOrgRequest(file: string): OrgRequest {
    let request: OrgRequest;
    try {
        request = JSON.parse(fs.readFileSync(file, 'utf8')) as OrgRequest;
    } catch (err) {
        throw new OrgChangeError('REQUEST_INVALID', `${file}: ${(err as Error).message}`);
    }
    if (request.kind !== 'org-join-request' || !request.org?.mspId || !request.configGroup || !request.msp) {
        throw new OrgChangeError('REQUEST_INVALID', `${file} is not an org join request (network:org-request writes one)`);
    }
    return request;
}

/** The request's config group, after checking that it is the MSP the request shows (and nothing else). */
export function requestConfigGroup(request: OrgRequest): common.ConfigGroup {
    const group = common.ConfigGroup.deserializeBinary(Buffer.from(request.configGroup, 'base64'));
    for (const [file, pem] of Object.entries(request.msp)) {
        if (file.endsWith('.pem') && request.fingerprints[file] !== fingerprint(pem)) {
            throw new OrgChangeError('REQUEST_INVALID', `the fingerprint of ${file} does not match its certificate`);
        }
    }
    return group;
}

/**
 * On an existing org's machine: the new org's entry in the local topology and its verifying MSP
 * and TLS root where the local peer and tools look for them (its keys never leave its machine).
 */
export function acceptOrgRequest(t: Topology, request: OrgRequest): Topology {
    const t2 = addOrgToTopologyFile(t, {
        mspId: request.org.mspId,
        name: request.org.name,
        domain: request.org.domain,
        host: request.org.peer.host,
    });
    // The request's own addresses win over the ports the local allocation picked.
    const doc = YAML.parseDocument(fs.readFileSync(t2.file, 'utf8'));
    const orgs = doc.get('orgs');
    if (isSeq(orgs)) {
        const item = orgs.items.find((i) => (i as YAMLMap).get('mspId') === request.org.mspId) as YAMLMap;
        for (const key of ['peer', 'gateway', 'ca'] as const) {
            if (!request.org[key]) {
                item.delete(key);
                continue;
            }
            const node = doc.createNode(request.org[key]) as YAMLMap;
            node.flow = true;
            item.set(key, node);
        }
    }
    const chaincodes = doc.get('chaincodes');
    if (isSeq(chaincodes)) {
        chaincodes.items.forEach((item, i) => {
            const port = request.chaincodePorts[t2.chaincodes[i].name];
            const portMap = (item as YAMLMap).getIn(['server', 'ports']);
            if (port && isMap(portMap)) portMap.set(request.org.mspId, port);
        });
    }
    writeAtomic(t2.file, doc.toString());
    const mspDir = paths.orgMsp(t2, request.org.mspId);
    for (const [file, text] of Object.entries(request.msp)) {
        const target = path.join(mspDir, file);
        if (!target.startsWith(mspDir + path.sep)) throw new OrgChangeError('REQUEST_INVALID', `MSP file ${file} leaves the MSP folder`);
        if (fs.existsSync(target)) continue;
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
    }
    const tlsRoot = paths.tlsRootCert(t2, request.org.mspId);
    if (!fs.existsSync(tlsRoot)) {
        fs.mkdirSync(path.dirname(tlsRoot), { recursive: true });
        fs.writeFileSync(tlsRoot, request.tlsRootCert);
    }
    return reload(t2);
}

// ---- the update ----

/** The channel's current config, fetched from the orderer as `peer channel fetch config` does. */
export async function currentConfig(t: Topology, signer: SigningIdentity): Promise<{ config: common.Config; block: number }> {
    const block = await fetchConfigBlock(t, signer);
    return { config: configFromBlock(block).config, block: block.getHeader()!.getNumber() };
}

const applicationOrgsOf = (t: Topology, config: common.Config): string[] =>
    channelConfigOf(
        t.channel,
        config,
        t.orgs.map((o) => o.mspId),
    ).applicationOrgs;

/** Step 2, by any admin: the unsigned update adding (or removing) an org, computed against the current config. */
export async function proposeUpdate(
    t: Topology,
    proposer: SigningIdentity,
    change: { add: { mspId: string; group: common.ConfigGroup } } | { remove: string },
): Promise<common.Envelope | undefined> {
    const { config } = await currentConfig(t, proposer);
    const orgs = applicationOrgsOf(t, config);
    let updated: common.Config;
    if ('add' in change) {
        if (orgs.includes(change.add.mspId)) return undefined; // already a member: nothing to do
        updated = withApplicationOrg(config, change.add.mspId, change.add.group);
    } else {
        if (!orgs.includes(change.remove)) return undefined;
        updated = withoutApplicationOrg(config, change.remove);
    }
    return configUpdateEnvelope(t.channel, computeUpdate(t.channel, config, updated));
}

/** What an admin should read before signing: the channel, the groups the update adds, removes or changes, who signed. */
export function summarizeUpdate(bytes: Uint8Array): string[] {
    const { update, signers } = describeUpdateFile(bytes);
    const lines = [`channel ${update.getChannelId()}`];
    const readApp = update.getReadSet()?.getGroupsMap().get('Application');
    const writeApp = update.getWriteSet()?.getGroupsMap().get('Application');
    const before = new Set(
        readApp
            ? readApp
                  .getGroupsMap()
                  .getEntryList()
                  .map(([k]) => k)
            : [],
    );
    const after = writeApp
        ? writeApp
              .getGroupsMap()
              .getEntryList()
              .map(([k]) => k)
        : [];
    for (const org of after) if (!before.has(org)) lines.push(`adds org ${org}`);
    for (const org of before) if (!after.includes(org)) lines.push(`removes org ${org}`);
    if (writeApp) lines.push(`/Channel/Application goes from version ${readApp?.getVersion() ?? '?'} to ${writeApp.getVersion()}`);
    for (const org of after) {
        const group = writeApp!.getGroupsMap().get(org)!;
        const mspValue = group.getValuesMap().get('MSP');
        if (!mspValue || before.has(org)) continue;
        const fabricMsp = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(mspValue.getValue_asU8()).getConfig_asU8());
        for (const root of fabricMsp.getRootCertsList_asU8()) {
            const cert = new crypto.X509Certificate(Buffer.from(root));
            lines.push(`  ${org} root CA ${cert.subject.replace(/\n/g, ',')} SHA-256 ${cert.fingerprint256}`);
        }
    }
    lines.push(`signed so far by: ${signers.map((s) => `${s.mspId} (${s.subject})`).join('; ') || 'nobody'}`);
    return lines;
}

/** Step 3, by each admin: adds its signature to the file's update. */
export function signUpdate(t: Topology, bytes: Uint8Array, admin: SigningIdentity): Uint8Array {
    return signConfigUpdate(common.Envelope.deserializeBinary(bytes), t.channel, admin).serializeBinary();
}

/** Step 4, by one admin: signs too (as `peer channel update`), submits, and returns the config block's number. */
export async function submitUpdate(t: Topology, bytes: Uint8Array, admin: SigningIdentity): Promise<number> {
    const signed = signConfigUpdate(common.Envelope.deserializeBinary(bytes), t.channel, admin);
    const before = await currentConfig(t, admin);
    const answer = await broadcastEnvelope(t, signed);
    if (answer.status !== common.Status.SUCCESS) {
        throw new OrgChangeError('UPDATE_REFUSED', `the orderer answered ${statusName(answer.status)}: ${answer.info}`);
    }
    // The config block is written before the orderer answers SUCCESS on the devnet; on Fabric soon after.
    for (let i = 0; i < 100; i++) {
        const now = await currentConfig(t, admin);
        if (now.block !== before.block) return now.block;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new OrgChangeError('NOT_APPLIED', 'the orderer accepted the update but no new config block appeared within 10 s');
}

export function statusName(status: number): string {
    return Object.entries(common.Status).find(([, v]) => v === status)?.[0] ?? String(status);
}

/** Signers that satisfy MAJORITY Admins of the current orgs, chosen in topology order (skipping `except`). */
export function majoritySigners(t: Topology, channelOrgs: string[], except?: string): string[] {
    const needed = Math.floor(channelOrgs.length / 2) + 1;
    const candidates = t.orgs.map((o) => o.mspId).filter((m) => channelOrgs.includes(m) && m !== except);
    if (candidates.length < needed) {
        throw new OrgChangeError(
            'UPDATE_REFUSED',
            `MAJORITY Admins needs ${needed} of ${channelOrgs.length} admins; only ${candidates.length} are available`,
        );
    }
    return candidates.slice(0, needed);
}

/** The channel's application orgs now (from the orderer's last config block). */
export async function channelOrgs(t: Topology, signer: SigningIdentity): Promise<string[]> {
    return applicationOrgsOf(t, (await currentConfig(t, signer)).config);
}
