// Channel configuration updates from the admins' side, as Fabric's tools make them: fetch the
// config block from the orderer (`peer channel fetch config`), compute the update between the
// current and the wanted config (`configtxlator compute_update`), sign it (`peer channel
// signconfigtx`), and submit it (`peer channel update`). The files exchanged are Fabric's: a
// CONFIG_UPDATE common.Envelope whose ConfigUpdateEnvelope collects one signature per admin, so
// Fabric's CLI and these commands can sign and submit each other's files.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { configUpdateEnvelopeOf } from '../devnet/common/configvalidator';
import { createSignedEnvelope, lastConfigIndex, makeSignatureHeader, newNonce } from '../devnet/common/protoutil';
import type { SigningIdentity } from '../devnet/msp/identity';
import { address, paths, primaryOrderer, Topology } from '../client/topology';

export class ConfigUpdateToolError extends Error {
    constructor(
        readonly code: 'NO_DIFFERENCE' | 'DELIVER_FAILED' | 'UPDATE_REFUSED' | 'UPDATE_FILE_INVALID',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'ConfigUpdateToolError';
    }
}

const APPLICATION = 'Application';

function ordererClient(t: Topology): orderer.AtomicBroadcastClient {
    const node = primaryOrderer(t);
    const serverName = paths.ordererName(t, node);
    return new orderer.AtomicBroadcastClient(
        address(node),
        grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, node.operatedBy))),
        {
            'grpc.ssl_target_name_override': serverName,
            'grpc.default_authority': serverName,
            'grpc.max_receive_message_length': 100 * 1024 * 1024,
            'grpc.max_send_message_length': 100 * 1024 * 1024,
        },
    );
}

function seekOne(t: Topology, signer: SigningIdentity, at: number | 'newest'): common.Envelope {
    const position = new orderer.SeekPosition();
    if (at === 'newest') position.setNewest(new orderer.SeekNewest());
    else {
        const specified = new orderer.SeekSpecified();
        specified.setNumber(at);
        position.setSpecified(specified);
    }
    const seek = new orderer.SeekInfo();
    seek.setStart(position);
    seek.setStop(position);
    seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
    return createSignedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, t.channel, signer, seek.serializeBinary());
}

/** One block from the orderer's Deliver service. */
export function fetchBlock(t: Topology, signer: SigningIdentity, at: number | 'newest', timeoutMs = 15_000): Promise<common.Block> {
    const client = ordererClient(t);
    return new Promise<common.Block>((resolve, reject) => {
        const call = client.deliver({ deadline: Date.now() + timeoutMs });
        let block: common.Block | undefined;
        call.on('data', (r: orderer.DeliverResponse) => {
            if (r.getTypeCase() === orderer.DeliverResponse.TypeCase.BLOCK) block = r.getBlock();
            else {
                call.end();
                if (r.getStatus() === common.Status.SUCCESS && block) resolve(block);
                else reject(new ConfigUpdateToolError('DELIVER_FAILED', `the orderer answered status ${r.getStatus()} for block ${at}`));
            }
        });
        call.on('error', (err: grpc.ServiceError) => reject(new ConfigUpdateToolError('DELIVER_FAILED', err.details || err.message)));
        call.write(seekOne(t, signer, at));
    }).finally(() => client.close());
}

/** The channel's last config block, as `peer channel fetch config` gets it: the newest block's LAST_CONFIG pointer. */
export async function fetchConfigBlock(t: Topology, signer: SigningIdentity): Promise<common.Block> {
    const newest = await fetchBlock(t, signer, 'newest');
    const number = newest.getHeader()!.getNumber();
    return number === 0 ? newest : fetchBlock(t, signer, lastConfigIndex(newest));
}

const cloneConfig = (config: common.Config): common.Config => common.Config.deserializeBinary(config.serializeBinary());

/** The config with `orgGroup` added to (or replacing) /Channel/Application/<mspId>. */
export function withApplicationOrg(config: common.Config, mspId: string, orgGroup: common.ConfigGroup): common.Config {
    const updated = cloneConfig(config);
    updated.getChannelGroup()!.getGroupsMap().get(APPLICATION)!.getGroupsMap().set(mspId, orgGroup);
    return updated;
}

/** The config without /Channel/Application/<mspId>. */
export function withoutApplicationOrg(config: common.Config, mspId: string): common.Config {
    const updated = cloneConfig(config);
    updated.getChannelGroup()!.getGroupsMap().get(APPLICATION)!.getGroupsMap().del(mspId);
    return updated;
}

// ---- configtxlator compute_update ----

const keysOf = (m: { getEntryList(): [string, unknown][] }): string[] => m.getEntryList().map(([k]) => k);
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) => Buffer.from(a ?? []).equals(Buffer.from(b ?? []));

interface MapUpdate<T> {
    read: Map<string, T>;
    write: Map<string, T>;
    same: Map<string, T>;
    membersChanged: boolean;
}

function leafMapUpdate<T extends common.ConfigValue | common.ConfigPolicy>(
    original: Map<string, T>,
    updated: Map<string, T>,
    make: () => T,
    content: (m: T) => Uint8Array | undefined,
    copyContent: (from: T, to: T) => void,
): MapUpdate<T> {
    const result: MapUpdate<T> = { read: new Map(), write: new Map(), same: new Map(), membersChanged: false };
    for (const [name, before] of original) {
        const after = updated.get(name);
        if (!after) {
            result.membersChanged = true;
            continue;
        }
        if (before.getModPolicy() === after.getModPolicy() && sameBytes(content(before), content(after))) {
            const same = make();
            same.setVersion(before.getVersion());
            result.same.set(name, same);
            continue;
        }
        const write = make();
        write.setVersion(before.getVersion() + 1);
        write.setModPolicy(after.getModPolicy());
        copyContent(after, write);
        result.write.set(name, write);
    }
    for (const [name, after] of updated) {
        if (original.has(name)) continue;
        result.membersChanged = true;
        const write = make();
        write.setVersion(0);
        write.setModPolicy(after.getModPolicy());
        copyContent(after, write);
        result.write.set(name, write);
    }
    return result;
}

function entries<T>(m: { getEntryList(): [string, unknown][]; get(k: string): T | undefined }): Map<string, T> {
    return new Map(keysOf(m).map((k) => [k, m.get(k)!]));
}

function groupWith(
    version: number,
    parts: { policies: Map<string, common.ConfigPolicy>; values: Map<string, common.ConfigValue>; groups: Map<string, common.ConfigGroup> },
    modPolicy?: string,
): common.ConfigGroup {
    const g = new common.ConfigGroup();
    g.setVersion(version);
    if (modPolicy !== undefined) g.setModPolicy(modPolicy);
    for (const [k, v] of parts.policies) g.getPoliciesMap().set(k, v);
    for (const [k, v] of parts.values) g.getValuesMap().set(k, v);
    for (const [k, v] of parts.groups) g.getGroupsMap().set(k, v);
    return g;
}

function groupUpdate(
    original: common.ConfigGroup,
    updated: common.ConfigGroup,
): { read: common.ConfigGroup; write: common.ConfigGroup; changed: boolean } {
    const policies = leafMapUpdate(
        entries<common.ConfigPolicy>(original.getPoliciesMap()),
        entries<common.ConfigPolicy>(updated.getPoliciesMap()),
        () => new common.ConfigPolicy(),
        (p) => p.getPolicy()?.serializeBinary(),
        (from, to) => to.setPolicy(from.getPolicy()),
    );
    const values = leafMapUpdate(
        entries<common.ConfigValue>(original.getValuesMap()),
        entries<common.ConfigValue>(updated.getValuesMap()),
        () => new common.ConfigValue(),
        (v) => v.getValue_asU8(),
        (from, to) => to.setValue(from.getValue_asU8()),
    );
    const groups: MapUpdate<common.ConfigGroup> = { read: new Map(), write: new Map(), same: new Map(), membersChanged: false };
    const before = entries<common.ConfigGroup>(original.getGroupsMap());
    const after = entries<common.ConfigGroup>(updated.getGroupsMap());
    for (const [name, o] of before) {
        const u = after.get(name);
        if (!u) {
            groups.membersChanged = true;
            continue;
        }
        const sub = groupUpdate(o, u);
        if (!sub.changed) groups.same.set(name, sub.read);
        else {
            groups.read.set(name, sub.read);
            groups.write.set(name, sub.write);
        }
    }
    for (const [name, u] of after) {
        if (before.has(name)) continue;
        groups.membersChanged = true;
        const sub = groupUpdate(new common.ConfigGroup(), u);
        const w = sub.write;
        groups.write.set(
            name,
            groupWith(
                0,
                { policies: entries(w.getPoliciesMap()), values: entries(w.getValuesMap()), groups: entries(w.getGroupsMap()) },
                u.getModPolicy(),
            ),
        );
    }
    const membersChanged =
        policies.membersChanged || values.membersChanged || groups.membersChanged || original.getModPolicy() !== updated.getModPolicy();
    const read = { policies: policies.read, values: values.read, groups: groups.read };
    const write = { policies: policies.write, values: values.write, groups: groups.write };
    if (!membersChanged) {
        const nothing = [policies.read, policies.write, values.read, values.write, groups.read, groups.write].every((m) => m.size === 0);
        if (nothing)
            return { read: groupWith(original.getVersion(), empty()), write: groupWith(original.getVersion(), empty()), changed: false };
        return { read: groupWith(original.getVersion(), read), write: groupWith(original.getVersion(), write), changed: true };
    }
    // Members changed: every unchanged member is listed at its version, so the group's membership is exact.
    for (const [k, v] of policies.same) {
        read.policies.set(k, v);
        write.policies.set(k, v);
    }
    for (const [k, v] of values.same) {
        read.values.set(k, v);
        write.values.set(k, v);
    }
    for (const [k, v] of groups.same) {
        read.groups.set(k, v);
        write.groups.set(k, v);
    }
    return {
        read: groupWith(original.getVersion(), read),
        write: groupWith(original.getVersion() + 1, write, updated.getModPolicy()),
        changed: true,
    };
}

const empty = () => ({ policies: new Map(), values: new Map(), groups: new Map() });

/** configtxlator compute_update: the read and write sets that turn `original` into `updated`. */
export function computeUpdate(channelId: string, original: common.Config, updated: common.Config): common.ConfigUpdate {
    const { read, write, changed } = groupUpdate(original.getChannelGroup()!, updated.getChannelGroup()!);
    if (!changed) throw new ConfigUpdateToolError('NO_DIFFERENCE', 'no differences detected between original and updated config');
    const update = new common.ConfigUpdate();
    update.setChannelId(channelId);
    update.setReadSet(read);
    update.setWriteSet(write);
    return update;
}

/** An unsigned CONFIG_UPDATE envelope holding the update, as configtxlator proto_encode leaves it for signing. */
export function configUpdateEnvelope(channelId: string, update: common.ConfigUpdate): common.Envelope {
    const updateEnvelope = new common.ConfigUpdateEnvelope();
    updateEnvelope.setConfigUpdate(update.serializeBinary());
    const ch = new common.ChannelHeader();
    ch.setType(common.HeaderType.CONFIG_UPDATE);
    ch.setChannelId(channelId);
    const header = new common.Header();
    header.setChannelHeader(ch.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(updateEnvelope.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    return envelope;
}

/**
 * Adds the admin's signature to the update and re-wraps it in an envelope signed by that admin,
 * as `peer channel signconfigtx` (and `peer channel update`, before it broadcasts) do.
 */
export function signConfigUpdate(envelope: common.Envelope, channelId: string, admin: SigningIdentity): common.Envelope {
    const updateEnvelope = configUpdateEnvelopeOf(envelope);
    const signatureHeader = makeSignatureHeader(admin.serialize(), newNonce()).serializeBinary();
    const signature = new common.ConfigSignature();
    signature.setSignatureHeader(signatureHeader);
    signature.setSignature(admin.sign(Buffer.concat([signatureHeader, updateEnvelope.getConfigUpdate_asU8()])));
    updateEnvelope.addSignatures(signature);
    return createSignedEnvelope(common.HeaderType.CONFIG_UPDATE, channelId, admin, updateEnvelope.serializeBinary());
}

/** Broadcasts one envelope to the orderer; resolves with its status and info. */
export function broadcastEnvelope(t: Topology, envelope: common.Envelope, timeoutMs = 30_000): Promise<{ status: number; info: string }> {
    const client = ordererClient(t);
    return new Promise<{ status: number; info: string }>((resolve, reject) => {
        const call = client.broadcast({ deadline: Date.now() + timeoutMs });
        let answered = false;
        call.on('data', (r: orderer.BroadcastResponse) => {
            answered = true;
            resolve({ status: r.getStatus(), info: r.getInfo() });
            call.end();
        });
        call.on('error', (err: grpc.ServiceError) => {
            if (!answered) reject(new ConfigUpdateToolError('UPDATE_REFUSED', err.details || err.message));
        });
        call.on('end', () => {
            if (!answered) reject(new ConfigUpdateToolError('UPDATE_REFUSED', 'the orderer closed the stream without an answer'));
        });
        call.write(envelope);
    }).finally(() => client.close());
}

/** The config update inside a CONFIG_UPDATE envelope file, and who signed it so far. */
export function describeUpdateFile(bytes: Uint8Array): { update: common.ConfigUpdate; signers: { mspId: string; subject: string }[] } {
    let updateEnvelope: common.ConfigUpdateEnvelope;
    try {
        updateEnvelope = configUpdateEnvelopeOf(common.Envelope.deserializeBinary(bytes));
    } catch (err) {
        throw new ConfigUpdateToolError('UPDATE_FILE_INVALID', `not a CONFIG_UPDATE envelope: ${(err as Error).message}`);
    }
    const update = common.ConfigUpdate.deserializeBinary(updateEnvelope.getConfigUpdate_asU8());
    const signers = updateEnvelope.getSignaturesList().map((s) => {
        const creator = common.SignatureHeader.deserializeBinary(s.getSignatureHeader_asU8()).getCreator_asU8();
        const id = msp.SerializedIdentity.deserializeBinary(creator);
        let subject = '';
        try {
            subject = new crypto.X509Certificate(Buffer.from(id.getIdBytes_asU8())).subject.replace(/\n/g, ',');
        } catch {
            subject = '(unreadable certificate)';
        }
        return { mspId: id.getMspid(), subject };
    });
    return { update, signers };
}
