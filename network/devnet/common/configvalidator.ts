// Channel configuration updates as Fabric v3.1.5's common/configtx checks them (validator.go,
// update.go, configmap.go): the config is flattened into a map of versioned elements; an update's
// read set must match the current versions, every element it changes must be written at its
// version + 1 and pass the mod_policy of the element it replaces (evaluated over the update's
// signatures), and the new config (sequence + 1) is the current map overlaid with the changes.
// The orderer proposes updates with it; peers re-validate the config blocks they commit.
import { common } from '@hyperledger/fabric-protos';
import type { PolicyManager, SignedData } from './policies';

/** The errors of this module carry Fabric's own messages (what `peer channel update` prints). */
export class ConfigUpdateError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ConfigUpdateError';
    }
}

const fail = (message: string): never => {
    throw new ConfigUpdateError(message);
};

const GROUP = '[Group]  ';
const VALUE = '[Value]  ';
const POLICY = '[Policy] ';
const CONFIG_ID_RE = /^[a-zA-Z0-9.-]+$/;
const MAX_ID_LENGTH = 249;

/** One element of a config, as configtx's `comparable`. */
interface Element {
    key: string;
    /** The path of the group holding it: ['Channel', 'Application'] ... ([] for /Channel itself). */
    path: string[];
    group?: common.ConfigGroup;
    value?: common.ConfigValue;
    policy?: common.ConfigPolicy;
}

const keysOf = (m: { getEntryList(): [string, unknown][] }): string[] => m.getEntryList().map(([k]) => k);

const versionOf = (e: Element): number => (e.group ?? e.value ?? e.policy)!.getVersion();
const modPolicyOf = (e: Element): string => (e.group ?? e.value ?? e.policy)!.getModPolicy();

function validateConfigId(id: string): void {
    if (id.length === 0) fail('config ID illegal, cannot be empty');
    if (id.length > MAX_ID_LENGTH) fail(`config ID illegal, cannot be longer than ${MAX_ID_LENGTH}`);
    if (id === '.' || id === '..') fail(`name '${id}' for config ID is not allowed`);
    if (!CONFIG_ID_RE.test(id)) fail(`config ID '${id}' contains illegal characters`);
}

function add(into: Map<string, Element>, e: Element): void {
    const prefix = e.group ? GROUP : e.value ? VALUE : POLICY;
    try {
        validateConfigId(e.key);
    } catch (err) {
        fail(`illegal characters in key: ${prefix}: ${(err as Error).message}`);
    }
    into.set(`${prefix}/${[...e.path, e.key].join('/')}`, e);
}

function recurse(into: Map<string, Element>, path: string[], group: common.ConfigGroup): void {
    add(into, { key: path[path.length - 1], path: path.slice(0, -1), group });
    for (const key of keysOf(group.getGroupsMap())) recurse(into, [...path, key], group.getGroupsMap().get(key)!);
    for (const key of keysOf(group.getValuesMap())) add(into, { key, path, value: group.getValuesMap().get(key)! });
    for (const key of keysOf(group.getPoliciesMap())) add(into, { key, path, policy: group.getPoliciesMap().get(key)! });
}

/** configtx's mapConfig: every group, value and policy by "[Kind] /Channel/..." path. */
export function mapConfig(channelGroup: common.ConfigGroup | undefined, root = 'Channel'): Map<string, Element> {
    const map = new Map<string, Element>();
    if (channelGroup) recurse(map, [root], channelGroup);
    return map;
}

const clone = <T extends { serializeBinary(): Uint8Array }>(m: T, decode: (b: Uint8Array) => T): T => decode(m.serializeBinary());

/** configtx's configMapToConfig: the group at `path` rebuilt from the map (its members as the group lists them). */
function rebuild(path: string, map: Map<string, Element>): common.ConfigGroup {
    const entry = map.get(GROUP + path);
    if (!entry) fail(`missing group at path: ${GROUP}${path}`);
    if (!entry!.group) fail(`ConfigGroup not found at group path: ${GROUP}${path}`);
    const source = entry!.group!;
    const group = new common.ConfigGroup();
    group.setVersion(source.getVersion());
    group.setModPolicy(source.getModPolicy());
    for (const key of keysOf(source.getGroupsMap()).sort()) group.getGroupsMap().set(key, rebuild(`${path}/${key}`, map));
    for (const key of keysOf(source.getValuesMap()).sort()) {
        const value = map.get(`${VALUE}${path}/${key}`)?.value;
        if (!value) fail(`missing value at path: ${VALUE}${path}/${key}`);
        group.getValuesMap().set(key, clone(value!, common.ConfigValue.deserializeBinary));
    }
    for (const key of keysOf(source.getPoliciesMap()).sort()) {
        const policy = map.get(`${POLICY}${path}/${key}`)?.policy;
        if (!policy) fail(`missing policy at path: ${POLICY}${path}/${key}`);
        group.getPoliciesMap().set(key, clone(policy!, common.ConfigPolicy.deserializeBinary));
    }
    return group;
}

function validateModPolicy(modPolicy: string): void {
    if (modPolicy === '') fail('mod_policy not set');
    const trimmed = modPolicy.startsWith('/') ? modPolicy.slice(1) : modPolicy;
    trimmed.split('/').forEach((element, i) => {
        try {
            validateConfigId(element);
        } catch (err) {
            fail(`path element at ${i} is invalid: ${(err as Error).message}`);
        }
    });
}

/** The absolute path of an element's mod_policy (configtx's policyForItem). */
function modPolicyPath(e: Element): string {
    const modPolicy = modPolicyOf(e);
    if (modPolicy.startsWith('/')) return modPolicy;
    // Relative to the element's group, or to the group itself for a group (/Channel for the root).
    const at = e.path.length === 0 ? [e.key] : [...e.path, ...(e.group ? [e.key] : [])];
    return `/${at.join('/')}/${modPolicy}`;
}

/**
 * The ConfigUpdateEnvelope of a CONFIG_UPDATE envelope (protoutil.UnmarshalEnvelopeOfType): the
 * outer signature header may be empty, as in the unsigned file configtxlator leaves for signing.
 */
export function configUpdateEnvelopeOf(envelope: common.Envelope): common.ConfigUpdateEnvelope {
    return prefixed('error converting envelope to config update', () => {
        let payload: common.Payload;
        let channelHeader: common.ChannelHeader;
        try {
            payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
        } catch (err) {
            return fail(`error unmarshalling Payload: ${(err as Error).message}`);
        }
        const header = payload.getHeader();
        if (!header) fail('envelope must have a Header');
        try {
            channelHeader = common.ChannelHeader.deserializeBinary(header!.getChannelHeader_asU8());
        } catch (err) {
            return fail(`error unmarshalling ChannelHeader: ${(err as Error).message}`);
        }
        if (channelHeader.getType() !== common.HeaderType.CONFIG_UPDATE) {
            fail(`invalid type ${channelHeader.getType()}, expected ${common.HeaderType.CONFIG_UPDATE}`);
        }
        try {
            return common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8());
        } catch (err) {
            return fail(`error unmarshalling ConfigUpdateEnvelope: ${(err as Error).message}`);
        }
    });
}

/** The signatures of a config update as signed data (protoutil.ConfigUpdateEnvelopeAsSignedData). */
export function configUpdateSignedData(update: common.ConfigUpdateEnvelope): SignedData[] {
    const configUpdate = update.getConfigUpdate_asU8();
    return update.getSignaturesList().map((s) => ({
        identity: common.SignatureHeader.deserializeBinary(s.getSignatureHeader_asU8()).getCreator_asU8(),
        data: Buffer.concat([s.getSignatureHeader_asU8(), configUpdate]),
        signature: s.getSignature_asU8(),
    }));
}

/** Runs f; a ConfigUpdateError it throws gets `what: ` before its message (Fabric's errors.Wrap). */
function prefixed<T>(what: string, f: () => T): T {
    try {
        return f();
    } catch (err) {
        if (!(err instanceof ConfigUpdateError)) throw err;
        return fail(`${what}: ${err.message}`);
    }
}

/** Checks config updates against one config (Fabric's configtx.ValidatorImpl). */
export class ConfigValidator {
    readonly #map: Map<string, Element>;

    constructor(
        readonly channelId: string,
        readonly config: common.Config,
        private readonly policies: PolicyManager,
    ) {
        this.#map = mapConfig(config.getChannelGroup());
    }

    get sequence(): number {
        return this.config.getSequence();
    }

    /** The config a CONFIG_UPDATE envelope asks for, or a ConfigUpdateError saying why not. */
    proposeConfigUpdate(envelope: common.Envelope): common.ConfigEnvelope {
        const update = configUpdateEnvelopeOf(envelope);
        const proposed = prefixed('error authorizing update', () => this.#authorize(update));
        const channelGroup = prefixed('could not turn configMap back to channelGroup', () => rebuild('/Channel', proposed));
        const config = new common.Config();
        config.setSequence(this.sequence + 1);
        config.setChannelGroup(channelGroup);
        const result = new common.ConfigEnvelope();
        result.setConfig(config);
        result.setLastUpdate(envelope);
        return result;
    }

    /** Re-checks a committed ConfigEnvelope: its LastUpdate must produce exactly its config (ValidatorImpl.Validate). */
    validate(configEnvelope: common.ConfigEnvelope): void {
        const config = configEnvelope.getConfig();
        if (!config) fail('config envelope has nil config');
        if (config!.getSequence() !== this.sequence + 1) {
            fail(`config currently at sequence ${this.sequence}, cannot validate config at sequence ${config!.getSequence()}`);
        }
        const lastUpdate = configEnvelope.getLastUpdate();
        if (!lastUpdate) fail('config envelope has no last update');
        const channelGroup = rebuild('/Channel', this.#authorize(configUpdateEnvelopeOf(lastUpdate!)));
        const produced = Buffer.from(channelGroup.serializeBinary());
        if (!produced.equals(Buffer.from(canonical(config!.getChannelGroup()!).serializeBinary()))) {
            fail('ConfigEnvelope LastUpdate did not produce the supplied config result');
        }
    }

    #authorize(envelope: common.ConfigUpdateEnvelope): Map<string, Element> {
        let update: common.ConfigUpdate;
        try {
            update = common.ConfigUpdate.deserializeBinary(envelope.getConfigUpdate_asU8());
        } catch (err) {
            return fail(`error unmarshalling ConfigUpdate: ${(err as Error).message}`);
        }
        if (update.getChannelId() !== this.channelId) {
            fail(`ConfigUpdate for channel '${update.getChannelId()}' but envelope for channel '${this.channelId}'`);
        }
        const wrap = prefixed;
        const readSet = wrap('error mapping ReadSet', () => mapConfig(update.getReadSet()));
        wrap('error validating ReadSet', () => {
            for (const [key, element] of readSet) {
                const existing = this.#map.get(key);
                if (!existing) fail(`existing config does not contain element for ${key} but was in the read set`);
                if (versionOf(existing!) !== versionOf(element)) {
                    fail(
                        `proposed update requires that key ${key} be at version ${versionOf(element)}, but it is currently at version ${versionOf(existing!)}`,
                    );
                }
            }
        });
        const writeSet = wrap('error mapping WriteSet', () => mapConfig(update.getWriteSet()));
        const delta = new Map<string, Element>();
        for (const [key, element] of writeSet) {
            const read = readSet.get(key);
            if (read && versionOf(read) === versionOf(element)) continue;
            delta.set(key, element);
        }
        const signedData = configUpdateSignedData(envelope);
        wrap('error validating DeltaSet', () => this.#verifyDelta(delta, signedData));
        const proposed = new Map(this.#map);
        for (const [key, element] of delta) proposed.set(key, element);
        wrap('full config did not verify', () => {
            for (const key of writeSet.keys())
                if (!proposed.has(key)) fail(`writeset contained key ${key} which did not appear in proposed config`);
        });
        return proposed;
    }

    #verifyDelta(delta: Map<string, Element>, signedData: SignedData[]): void {
        if (delta.size === 0) fail('delta set was empty -- update would have no effect');
        // Fabric walks a Go map (random order); sorted keys make the first refusal reproducible.
        for (const key of [...delta.keys()].sort()) {
            const element = delta.get(key)!;
            try {
                validateModPolicy(modPolicyOf(element));
            } catch (err) {
                fail(`invalid mod_policy for element ${key}: ${(err as Error).message}`);
            }
            const existing = this.#map.get(key);
            if (!existing) {
                if (versionOf(element) !== 0) fail(`attempted to set key ${key} to version ${versionOf(element)}, but key does not exist`);
                continue;
            }
            if (versionOf(element) !== versionOf(existing) + 1) {
                fail(`attempt to set key ${key} to version ${versionOf(element)}, but key is at version ${versionOf(existing)}`);
            }
            const policyPath = modPolicyPath(existing);
            let result: ReturnType<PolicyManager['evaluate']> | undefined;
            try {
                result = this.policies.evaluate(policyPath, signedData);
            } catch {
                fail(`unexpected missing policy ${modPolicyOf(existing)} for item ${key}`);
            }
            if (!result!.ok) fail(`policy for ${key} not satisfied: ${result!.fabricReason ?? result!.reason}`);
        }
    }
}

/** A config group with its maps in sorted key order, so that two equal groups serialize alike. */
function canonical(group: common.ConfigGroup): common.ConfigGroup {
    const out = new common.ConfigGroup();
    out.setVersion(group.getVersion());
    out.setModPolicy(group.getModPolicy());
    for (const key of keysOf(group.getGroupsMap()).sort()) out.getGroupsMap().set(key, canonical(group.getGroupsMap().get(key)!));
    for (const key of keysOf(group.getValuesMap()).sort()) out.getValuesMap().set(key, group.getValuesMap().get(key)!);
    for (const key of keysOf(group.getPoliciesMap()).sort()) out.getPoliciesMap().set(key, group.getPoliciesMap().get(key)!);
    return out;
}
