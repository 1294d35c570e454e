// The channel configuration: builds block 0 (a config block holding
// common.Config with the orgs' MSPs, policies, batch settings and capabilities) from the topology
// and the MSP folders, and parses a config block back into what peers and the orderer need.
//
// The layout is the one Fabric v3.1.5's configtxgen writes for the sample profiles
// (internal/configtxgen/encoder, sampleconfig/configtx.yaml), for an etcdraft orderer with one
// consenter. With the V3_0 channel capability configtxgen refuses the global OrdererAddresses
// value: orderer endpoints live in the orderer org's Endpoints value, and so they do here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { mspConfigFromDir } from '../msp/ca';
import { address, BatchConfig, OrderingNode, ordererOrgs, paths, primaryOrderer, Topology } from '../../client/topology';
import { parseSignaturePolicy } from './policies';
import {
    blockDataHash,
    computeTxId,
    makeChannelHeader,
    makePayload,
    makeSignatureHeader,
    newBlock,
    newNonce,
    parseEnvelope,
} from './protoutil';

export interface ChannelConfig {
    channelId: string;
    /** Application orgs, in topology order (their config group names, which the devnet makes their MSP ids). */
    applicationOrgs: string[];
    /** The MSP id of each application org's group, when read from a config (a group's name may differ from it). */
    applicationMspIds?: Record<string, string>;
    /** The orgs that operate ordering nodes (/Channel/Orderer's groups). */
    ordererOrgs: string[];
    msps: msp.FabricMSPConfig[];
    /** Every policy by absolute path: /Channel/Writers, /Channel/Application/SeoulMSP/Endorsement, ... */
    policies: Map<string, common.Policy>;
    batch: BatchConfig;
    ordererAddresses: string[];
    /** The common.Config it was read from (absent when built by hand), to check the next update against. */
    config?: common.Config;
}

/** Extra facts of the channel config that the orderer and peers may want (added to Fabric's view). */
export interface ChannelConfigDetails extends ChannelConfig {
    sequence: number;
    consensusType: string;
    capabilities: { channel: string[]; orderer: string[]; application: string[] };
    /** Application ACLs: resource -> policy path (peer/Propose -> /Channel/Application/Writers). */
    acls: Map<string, string>;
}

export class ConfigTxError extends Error {
    constructor(
        readonly code: 'CONFIG_INVALID' | 'MSP_DIR_INVALID' | 'NOT_A_CONFIG_BLOCK',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'ConfigTxError';
    }
}

// Group, value and policy names of Fabric's common/channelconfig.
const CHANNEL = 'Channel';
const ORDERER = 'Orderer';
const APPLICATION = 'Application';
const ADMINS = 'Admins';

const CHANNEL_CAPABILITY = 'V3_0';
const ORDERER_CAPABILITY = 'V2_0';
const APPLICATION_CAPABILITY = 'V2_5';

/** The ACLs of Fabric's sampleconfig/configtx.yaml (the Fabric defaults, written out as configtxgen does). */
const DEFAULT_ACLS: Record<string, string> = {
    '_lifecycle/CheckCommitReadiness': '/Channel/Application/Writers',
    '_lifecycle/CommitChaincodeDefinition': '/Channel/Application/Writers',
    '_lifecycle/QueryChaincodeDefinition': '/Channel/Application/Writers',
    '_lifecycle/QueryChaincodeDefinitions': '/Channel/Application/Writers',
    'lscc/ChaincodeExists': '/Channel/Application/Readers',
    'lscc/GetDeploymentSpec': '/Channel/Application/Readers',
    'lscc/GetChaincodeData': '/Channel/Application/Readers',
    'lscc/GetInstantiatedChaincodes': '/Channel/Application/Readers',
    'qscc/GetChainInfo': '/Channel/Application/Readers',
    'qscc/GetBlockByNumber': '/Channel/Application/Readers',
    'qscc/GetBlockByHash': '/Channel/Application/Readers',
    'qscc/GetTransactionByID': '/Channel/Application/Readers',
    'qscc/GetBlockByTxID': '/Channel/Application/Readers',
    'cscc/GetConfigBlock': '/Channel/Application/Readers',
    'cscc/GetChannelConfig': '/Channel/Application/Readers',
    'peer/Propose': '/Channel/Application/Writers',
    'peer/ChaincodeToChaincode': '/Channel/Application/Writers',
    'event/Block': '/Channel/Application/Readers',
    'event/FilteredBlock': '/Channel/Application/Readers',
};

/** Go's time.Duration.String() for whole milliseconds: 20ms, 2s, 1.5s, 1m30s. */
export function goDuration(ms: number): string {
    if (ms === 0) return '0s';
    if (ms < 1000) return `${ms}ms`;
    const minutes = Math.floor(ms / 60000);
    const seconds = (ms % 60000) / 1000;
    const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toString()}s`;
    return minutes > 0 ? `${minutes}m${secondsText}` : secondsText;
}

/** Parses Go durations as configtxgen writes them (ms, s, m, h, decimals, composites). */
export function parseGoDuration(text: string): number {
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
    let total = 0;
    let consumed = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
        total += Number(m[1]) * unit[m[2]];
        consumed = re.lastIndex;
    }
    if (consumed === 0 || consumed !== text.length) throw new ConfigTxError('CONFIG_INVALID', `BatchTimeout "${text}" is not a duration`);
    return Math.round(total);
}

function configValue(message: { serializeBinary(): Uint8Array }, modPolicy = ADMINS): common.ConfigValue {
    const value = new common.ConfigValue();
    value.setValue(message.serializeBinary());
    value.setModPolicy(modPolicy);
    return value;
}

function implicitMetaPolicy(rule: 'ANY' | 'ALL' | 'MAJORITY', subPolicy: string): common.ConfigPolicy {
    const imp = new common.ImplicitMetaPolicy();
    imp.setRule(common.ImplicitMetaPolicy.Rule[rule]);
    imp.setSubPolicy(subPolicy);
    const policy = new common.Policy();
    policy.setType(common.Policy.PolicyType.IMPLICIT_META);
    policy.setValue(imp.serializeBinary());
    const cp = new common.ConfigPolicy();
    cp.setPolicy(policy);
    cp.setModPolicy(ADMINS);
    return cp;
}

function signaturePolicy(rule: string): common.ConfigPolicy {
    const policy = new common.Policy();
    policy.setType(common.Policy.PolicyType.SIGNATURE);
    policy.setValue(parseSignaturePolicy(rule).serializeBinary());
    const cp = new common.ConfigPolicy();
    cp.setPolicy(policy);
    cp.setModPolicy(ADMINS);
    return cp;
}

function capabilities(...names: string[]): common.Capabilities {
    const caps = new common.Capabilities();
    for (const name of names) caps.getCapabilitiesMap().set(name, new common.Capability());
    return caps;
}

function newGroup(): common.ConfigGroup {
    const group = new common.ConfigGroup();
    group.setModPolicy(ADMINS);
    return group;
}

type MspConfigLoader = (mspDir: string, mspId: string) => msp.FabricMSPConfig;

/** What an org's configtx.yaml entry may set besides its MSP: its policies' rules and its anchor peer. */
export interface OrgGroupOptions extends GenesisOptions {
    /** Signature policy rules by name (Readers, Writers, Admins, Endorsement); the devnet's when absent. */
    policies?: Record<string, string>;
    anchorPeer?: { host: string; port: number };
}

/**
 * An application org's config group as configtxgen -printOrg writes it: its MSP, its Readers,
 * Writers, Admins and Endorsement policies and (if given) its anchor peer (what a joining org
 * hands to the channel's admins).
 */
export function applicationOrgGroup(topology: Topology, mspId: string, options: OrgGroupOptions = {}): common.ConfigGroup {
    const loadMsp = options.mspConfig ?? mspConfigFromDir;
    const group = orgGroup(mspId, loadMsp(paths.orgMsp(topology, mspId), mspId), 'application');
    for (const [name, rule] of Object.entries(options.policies ?? {})) group.getPoliciesMap().set(name, signaturePolicy(rule));
    if (options.anchorPeer) {
        const anchor = new peer.AnchorPeer();
        anchor.setHost(options.anchorPeer.host);
        anchor.setPort(options.anchorPeer.port);
        const anchors = new peer.AnchorPeers();
        anchors.addAnchorPeers(anchor);
        group.getValuesMap().set('AnchorPeers', configValue(anchors));
    }
    return group;
}

/** An application org's policies, by NodeOU role (fabric-samples' rules, on both networks). */
export const orgPolicyRules = (mspId: string): Record<string, string> => ({
    Readers: `OR('${mspId}.admin', '${mspId}.peer', '${mspId}.client')`,
    Writers: `OR('${mspId}.admin', '${mspId}.client')`,
    Admins: `OR('${mspId}.admin')`,
    Endorsement: `OR('${mspId}.peer')`,
});

/**
 * The policies of an org that operates ordering nodes, in /Channel/Orderer: only its ordering
 * nodes write, since /Channel/Orderer/BlockValidation is ANY Writers of the orderer orgs: a client
 * or a peer of the org must not be able to sign a block.
 */
export const ordererOrgPolicyRules = (mspId: string): Record<string, string> => ({
    Readers: `OR('${mspId}.member')`,
    Writers: `OR('${mspId}.orderer')`,
    Admins: `OR('${mspId}.admin')`,
});

/** An org's group: its MSP and the policies of its role in the channel. */
function orgGroup(mspId: string, mspConfig: msp.FabricMSPConfig, role: 'application' | 'orderer'): common.ConfigGroup {
    const group = newGroup();
    const mspValue = new msp.MSPConfig();
    mspValue.setType(0); // FABRIC
    mspValue.setConfig(mspConfig.serializeBinary());
    group.getValuesMap().set('MSP', configValue(mspValue));
    const rules = role === 'orderer' ? ordererOrgPolicyRules(mspId) : orgPolicyRules(mspId);
    for (const [name, rule] of Object.entries(rules)) group.getPoliciesMap().set(name, signaturePolicy(rule));
    return group;
}

function readFileOrThrow(file: string, what: string): Buffer {
    try {
        return fs.readFileSync(file);
    } catch (err) {
        throw new ConfigTxError('MSP_DIR_INVALID', `${what} ${file} cannot be read: ${(err as Error).message}`);
    }
}

export interface GenesisOptions {
    /** Reads a verifying MSP folder into a FabricMSPConfig (default: mspConfigFromDir of msp/ca). */
    mspConfig?: MspConfigLoader;
    /** The creation time written in the channel header (default: now). */
    timestamp?: Date;
    /** The ordering nodes of the channel: its Raft consenters (default: the first node, the devnet's only one). */
    ordererNodes?: OrderingNode[];
}

/** The /Channel config group for a topology (configtxgen's NewChannelGroup). */
export function buildChannelGroup(topology: Topology, options: GenesisOptions = {}): common.ConfigGroup {
    const loadMsp = options.mspConfig ?? mspConfigFromDir;
    const channel = newGroup();
    channel.getValuesMap().set('HashingAlgorithm', configValue(hashing()));
    const dataHashing = new common.BlockDataHashingStructure();
    dataHashing.setWidth(0xffffffff);
    channel.getValuesMap().set('BlockDataHashingStructure', configValue(dataHashing));
    channel.getValuesMap().set('Capabilities', configValue(capabilities(CHANNEL_CAPABILITY)));
    channel.getPoliciesMap().set('Readers', implicitMetaPolicy('ANY', 'Readers'));
    channel.getPoliciesMap().set('Writers', implicitMetaPolicy('ANY', 'Writers'));
    channel.getPoliciesMap().set('Admins', implicitMetaPolicy('MAJORITY', 'Admins'));

    // /Channel/Orderer
    const o = topology.orderer;
    const ordererGroup = newGroup();
    const batchSize = new orderer.BatchSize();
    batchSize.setMaxMessageCount(o.batch.maxMessageCount);
    batchSize.setAbsoluteMaxBytes(o.batch.absoluteMaxBytes);
    batchSize.setPreferredMaxBytes(o.batch.preferredMaxBytes);
    ordererGroup.getValuesMap().set('BatchSize', configValue(batchSize));
    const batchTimeout = new orderer.BatchTimeout();
    batchTimeout.setTimeout(goDuration(o.batch.timeoutMs));
    ordererGroup.getValuesMap().set('BatchTimeout', configValue(batchTimeout));
    ordererGroup.getValuesMap().set('ChannelRestrictions', configValue(new orderer.ChannelRestrictions()));
    ordererGroup.getValuesMap().set('Capabilities', configValue(capabilities(ORDERER_CAPABILITY)));
    const nodes = options.ordererNodes ?? [primaryOrderer(topology)];
    const consenters = nodes.map((node) => {
        const tlsCert = readFileOrThrow(path.join(paths.ordererDir(topology, node), 'tls', 'server.crt'), 'the orderer TLS certificate');
        const consenter = new orderer.etcdraft.Consenter();
        consenter.setHost(node.host);
        consenter.setPort(node.port);
        consenter.setClientTlsCert(tlsCert);
        consenter.setServerTlsCert(tlsCert);
        return consenter;
    });
    const raftOptions = new orderer.etcdraft.Options();
    raftOptions.setTickInterval('500ms');
    raftOptions.setElectionTick(10);
    raftOptions.setHeartbeatTick(1);
    raftOptions.setMaxInflightBlocks(5);
    raftOptions.setSnapshotIntervalSize(16 * 1024 * 1024);
    const raft = new orderer.etcdraft.ConfigMetadata();
    raft.setConsentersList(consenters);
    raft.setOptions(raftOptions);
    const consensus = new orderer.ConsensusType();
    consensus.setType('etcdraft');
    consensus.setMetadata(raft.serializeBinary());
    consensus.setState(orderer.ConsensusType.State.STATE_NORMAL);
    ordererGroup.getValuesMap().set('ConsensusType', configValue(consensus));
    ordererGroup.getPoliciesMap().set('Readers', implicitMetaPolicy('ANY', 'Readers'));
    ordererGroup.getPoliciesMap().set('Writers', implicitMetaPolicy('ANY', 'Writers'));
    ordererGroup.getPoliciesMap().set('Admins', implicitMetaPolicy('MAJORITY', 'Admins'));
    ordererGroup.getPoliciesMap().set('BlockValidation', implicitMetaPolicy('ANY', 'Writers'));
    // One org per operator of an ordering node, identified by its own MSP, with its nodes' addresses.
    for (const mspId of ordererOrgs(topology, nodes)) {
        const ordererOrg = orgGroup(mspId, loadMsp(paths.orgMsp(topology, mspId), mspId), 'orderer');
        const endpoints = new common.OrdererAddresses();
        endpoints.setAddressesList(nodes.filter((n) => n.operatedBy === mspId).map(address));
        ordererOrg.getValuesMap().set('Endpoints', configValue(endpoints));
        ordererGroup.getGroupsMap().set(mspId, ordererOrg);
    }
    channel.getGroupsMap().set(ORDERER, ordererGroup);

    // /Channel/Application
    const application = newGroup();
    application.getValuesMap().set('Capabilities', configValue(capabilities(APPLICATION_CAPABILITY)));
    const acls = new peer.ACLs();
    for (const [resource, policyRef] of Object.entries(DEFAULT_ACLS)) {
        const api = new peer.APIResource();
        api.setPolicyRef(policyRef);
        acls.getAclsMap().set(resource, api);
    }
    application.getValuesMap().set('ACLs', configValue(acls));
    application.getPoliciesMap().set('Readers', implicitMetaPolicy('ANY', 'Readers'));
    application.getPoliciesMap().set('Writers', implicitMetaPolicy('ANY', 'Writers'));
    application.getPoliciesMap().set('Admins', implicitMetaPolicy('MAJORITY', 'Admins'));
    application.getPoliciesMap().set('Endorsement', implicitMetaPolicy('MAJORITY', 'Endorsement'));
    application.getPoliciesMap().set('LifecycleEndorsement', implicitMetaPolicy('MAJORITY', 'Endorsement'));
    for (const org of topology.orgs) {
        application
            .getGroupsMap()
            .set(org.mspId, orgGroup(org.mspId, loadMsp(paths.orgMsp(topology, org.mspId), org.mspId), 'application'));
    }
    channel.getGroupsMap().set(APPLICATION, application);
    return channel;
}

function hashing(): common.HashingAlgorithm {
    const h = new common.HashingAlgorithm();
    h.setName('SHA256');
    return h;
}

/** Builds the genesis config block (block 0), signed by nobody (Fabric's genesis block is unsigned). */
export function buildGenesisBlock(topology: Topology, options: GenesisOptions = {}): common.Block {
    const config = new common.Config();
    config.setSequence(0);
    config.setChannelGroup(buildChannelGroup(topology, options));
    const configEnvelope = new common.ConfigEnvelope();
    configEnvelope.setConfig(config);

    // As common/genesis: CONFIG header version 1, epoch 0, no creator, tx id = SHA-256(nonce).
    const nonce = newNonce();
    const channelHeader = makeChannelHeader({
        type: common.HeaderType.CONFIG,
        version: 1,
        channelId: topology.channel,
        txId: computeTxId(nonce, new Uint8Array(0)),
        timestamp: options.timestamp,
    });
    const payload = makePayload(channelHeader, makeSignatureHeader(new Uint8Array(0), nonce), configEnvelope.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());

    const block = newBlock(0, new Uint8Array(0));
    const data = new common.BlockData();
    data.setDataList([envelope.serializeBinary()]);
    block.setData(data);
    block.getHeader()!.setDataHash(blockDataHash(data));
    const metadata = block.getMetadata()!.getMetadataList_asU8();
    const lastConfig = new common.LastConfig();
    lastConfig.setIndex(0);
    const lastConfigMd = new common.Metadata();
    lastConfigMd.setValue(lastConfig.serializeBinary());
    metadata[common.BlockMetadataIndex.LAST_CONFIG] = lastConfigMd.serializeBinary();
    const obm = new common.OrdererBlockMetadata();
    obm.setLastConfig(lastConfig);
    const signaturesMd = new common.Metadata();
    signaturesMd.setValue(obm.serializeBinary());
    metadata[common.BlockMetadataIndex.SIGNATURES] = signaturesMd.serializeBinary();
    block.getMetadata()!.setMetadataList(metadata);
    return block;
}

function configValueOf<T>(group: common.ConfigGroup, key: string, decode: (b: Uint8Array) => T, where: string): T | undefined {
    const value = group.getValuesMap().get(key);
    if (!value) return undefined;
    try {
        return decode(value.getValue_asU8());
    } catch (err) {
        throw new ConfigTxError('CONFIG_INVALID', `${where}/${key} is not a valid value: ${(err as Error).message}`);
    }
}

function collectPolicies(group: common.ConfigGroup, at: string, into: Map<string, common.Policy>): void {
    for (const [name] of group.getPoliciesMap().getEntryList()) {
        const policy = group.getPoliciesMap().get(name)!.getPolicy();
        if (policy) into.set(`${at}/${name}`, policy);
    }
    for (const [name] of group.getGroupsMap().getEntryList()) collectPolicies(group.getGroupsMap().get(name)!, `${at}/${name}`, into);
}

function orgMsp(group: common.ConfigGroup, where: string): msp.FabricMSPConfig {
    const mspValue = configValueOf(group, 'MSP', (b) => msp.MSPConfig.deserializeBinary(b), where);
    if (!mspValue) throw new ConfigTxError('CONFIG_INVALID', `${where} has no MSP value`);
    if (mspValue.getType() !== 0) throw new ConfigTxError('CONFIG_INVALID', `${where} MSP is not of type FABRIC`);
    return msp.FabricMSPConfig.deserializeBinary(mspValue.getConfig_asU8());
}

function capabilityNames(group: common.ConfigGroup | undefined, where: string): string[] {
    if (!group) return [];
    const caps = configValueOf(group, 'Capabilities', (b) => common.Capabilities.deserializeBinary(b), where);
    return caps
        ? caps
              .getCapabilitiesMap()
              .getEntryList()
              .map(([k]) => k)
        : [];
}

/** The common.Config inside a config block, and the channel id of its header. */
export function configFromBlock(configBlock: common.Block): { channelId: string; config: common.Config } {
    const data = configBlock.getData()?.getDataList_asU8() ?? [];
    if (data.length !== 1)
        throw new ConfigTxError('NOT_A_CONFIG_BLOCK', `a config block holds exactly one envelope, this one holds ${data.length}`);
    const parsed = parseEnvelope(data[0]);
    if (parsed.channelHeader.getType() !== common.HeaderType.CONFIG) {
        throw new ConfigTxError('NOT_A_CONFIG_BLOCK', `the envelope is of header type ${parsed.channelHeader.getType()}, not CONFIG`);
    }
    let config: common.Config | undefined;
    try {
        config = common.ConfigEnvelope.deserializeBinary(parsed.payload.getData_asU8()).getConfig();
    } catch (err) {
        throw new ConfigTxError('CONFIG_INVALID', `the payload is not a ConfigEnvelope: ${(err as Error).message}`);
    }
    if (!config?.getChannelGroup()) throw new ConfigTxError('CONFIG_INVALID', 'the ConfigEnvelope has no config or channel group');
    return { channelId: parsed.channelHeader.getChannelId(), config };
}

/**
 * Parses a config block. The config's maps carry no order (protobuf maps), so application orgs come
 * sorted by MSP id unless `orgOrder` (e.g. the topology's org list) says otherwise.
 */
export function parseChannelConfig(configBlock: common.Block, orgOrder?: string[]): ChannelConfigDetails {
    const { channelId, config } = configFromBlock(configBlock);
    return channelConfigOf(channelId, config, orgOrder);
}

/** What peers and the orderer need of a channel's common.Config (see parseChannelConfig). */
export function channelConfigOf(channelId: string, config: common.Config, orgOrder?: string[]): ChannelConfigDetails {
    if (!config.getChannelGroup()) throw new ConfigTxError('CONFIG_INVALID', 'the config has no channel group');
    const channel = config.getChannelGroup()!;
    const ordererGroup = channel.getGroupsMap().get(ORDERER);
    const application = channel.getGroupsMap().get(APPLICATION);
    if (!ordererGroup) throw new ConfigTxError('CONFIG_INVALID', '/Channel has no Orderer group');
    if (!application) throw new ConfigTxError('CONFIG_INVALID', '/Channel has no Application group');

    const policies = new Map<string, common.Policy>();
    collectPolicies(channel, `/${CHANNEL}`, policies);

    const ordererOrgs = ordererGroup
        .getGroupsMap()
        .getEntryList()
        .map(([k]) => k);
    if (ordererOrgs.length === 0) throw new ConfigTxError('CONFIG_INVALID', '/Channel/Orderer has no org');
    let applicationOrgs = application
        .getGroupsMap()
        .getEntryList()
        .map(([k]) => k);
    if (orgOrder) {
        const rank = (id: string) => (orgOrder.indexOf(id) < 0 ? orgOrder.length : orgOrder.indexOf(id));
        applicationOrgs = [...applicationOrgs].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    }
    const msps: msp.FabricMSPConfig[] = [];
    const ordererAddresses: string[] = [];
    for (const org of ordererOrgs) {
        const group = ordererGroup.getGroupsMap().get(org)!;
        msps.push(orgMsp(group, `/Channel/Orderer/${org}`));
        const endpoints = configValueOf(group, 'Endpoints', (b) => common.OrdererAddresses.deserializeBinary(b), `/Channel/Orderer/${org}`);
        ordererAddresses.push(...(endpoints?.getAddressesList() ?? []));
    }
    // Pre-V3_0 configs keep the global value; honour it when present.
    const global = configValueOf(channel, 'OrdererAddresses', (b) => common.OrdererAddresses.deserializeBinary(b), '/Channel');
    for (const a of global?.getAddressesList() ?? []) if (!ordererAddresses.includes(a)) ordererAddresses.push(a);
    const applicationMspIds: Record<string, string> = {};
    for (const org of applicationOrgs) {
        const m = orgMsp(application.getGroupsMap().get(org)!, `/Channel/Application/${org}`);
        applicationMspIds[org] = m.getName();
        msps.push(m);
    }
    // An org that operates ordering nodes is in both groups: one MSP, defined the same way in each
    // (Fabric's channelconfig MSPConfigHandler.ProposeMSP).
    const byName = new Map<string, msp.FabricMSPConfig>();
    for (const m of msps) {
        const seen = byName.get(m.getName());
        if (!seen) byName.set(m.getName(), m);
        else if (!Buffer.from(seen.serializeBinary()).equals(Buffer.from(m.serializeBinary())))
            throw new ConfigTxError('CONFIG_INVALID', `Attempted to define two different versions of MSP: ${m.getName()}`);
    }

    const batchSize = configValueOf(ordererGroup, 'BatchSize', (b) => orderer.BatchSize.deserializeBinary(b), '/Channel/Orderer');
    const batchTimeout = configValueOf(ordererGroup, 'BatchTimeout', (b) => orderer.BatchTimeout.deserializeBinary(b), '/Channel/Orderer');
    if (!batchSize || !batchTimeout) throw new ConfigTxError('CONFIG_INVALID', '/Channel/Orderer lacks BatchSize or BatchTimeout');
    const batch: BatchConfig = {
        timeoutMs: parseGoDuration(batchTimeout.getTimeout()),
        maxMessageCount: batchSize.getMaxMessageCount(),
        absoluteMaxBytes: batchSize.getAbsoluteMaxBytes(),
        preferredMaxBytes: batchSize.getPreferredMaxBytes(),
    };
    if (
        batch.maxMessageCount < 1 ||
        batch.absoluteMaxBytes < 1 ||
        batch.preferredMaxBytes < 1 ||
        batch.preferredMaxBytes > batch.absoluteMaxBytes
    ) {
        throw new ConfigTxError('CONFIG_INVALID', `BatchSize ${JSON.stringify(batch)} is not usable`);
    }
    const consensus = configValueOf(ordererGroup, 'ConsensusType', (b) => orderer.ConsensusType.deserializeBinary(b), '/Channel/Orderer');
    const aclValue = configValueOf(application, 'ACLs', (b) => peer.ACLs.deserializeBinary(b), '/Channel/Application');
    const acls = new Map<string, string>();
    for (const [resource] of aclValue?.getAclsMap().getEntryList() ?? [])
        acls.set(resource, aclValue!.getAclsMap().get(resource)!.getPolicyRef());

    return {
        channelId,
        applicationOrgs,
        applicationMspIds,
        ordererOrgs,
        msps: [...byName.values()],
        policies,
        batch,
        ordererAddresses,
        sequence: config.getSequence(),
        config,
        consensusType: consensus?.getType() ?? '',
        capabilities: {
            channel: capabilityNames(channel, '/Channel'),
            orderer: capabilityNames(ordererGroup, '/Channel/Orderer'),
            application: capabilityNames(application, '/Channel/Application'),
        },
        acls,
    };
}
