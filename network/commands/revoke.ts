// network:revoke: an identity of an org stopped everywhere, as an org's admin does it on Fabric:
// revoke it at the org's Fabric CA and generate the CA's CRL (`fabric-ca-client revoke` +
// `gencrl`), put the CRL into the org's MSP in the channel config (the org's own MSP value, whose
// mod_policy is the org's Admins: its admin alone signs), submit the update, and wait until every
// peer of the channel committed that config block (qscc GetChainInfo on each peer). From the org's
// own machine: it reads and writes only that org's state folder and reaches the others over the
// network, as the other org commands.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { common, msp } from '@hyperledger/fabric-protos';
import { caClient, registrar } from '../client/ca-identities';
import { connectAs, newPeerClient, type OrgConnection } from '../client/connection';
import { FabricCaError } from '../client/fabric-ca-client';
import { findOrg, paths, type Topology } from '../client/topology';
import { channelConfigOf } from '../devnet/common/configtx';
import { CrlError, crlSignedBy, type ParsedCrl, parseCrl, subjectKeyIdentifier } from '../devnet/msp/crl';
import { findFabricBinaries } from '../fabric/binaries';
import { caOrgs } from '../fabric/config';
import { revokeAtFabricCa } from '../fabric/identities';
import { computeUpdate, configUpdateEnvelope } from './configupdate';
import { adminOf, currentConfig, type Say, submitUpdate } from './orgchange';

export class RevokeError extends Error {
    constructor(
        readonly code: 'USAGE' | 'IDENTITY_UNKNOWN' | 'CRL_INVALID' | 'CRL_NOT_FROM_ORG_CA' | 'ORG_UNKNOWN' | 'NOT_APPLIED',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'RevokeError';
    }
}

export interface RevokeRequest {
    /** The org whose identity is revoked: its CA, its admin, its MSP. */
    mspId: string;
    /** The enrollment id to revoke at the org's CA (every certificate it holds). */
    name?: string;
    /** A CRL file to put into the MSP instead of the CA's (the CA is not asked); must be signed by a CA of the org. */
    crlFile?: string;
    /** Fabric CA's revocation reason (default unspecified). */
    reason?: string;
    /** Real Fabric: fabric-ca-client from FABRIC_BIN revokes and generates the CRL. */
    fabric: boolean;
    /** How long to wait for every peer to commit the config block (default 60 s). */
    timeoutMs?: number;
}

export interface RevokeResult {
    /** When the command started (ms since the epoch): what the times below count from. */
    startedAt: number;
    /** Certificates the CA revoked now (undefined with --crl). */
    revokedCertificates?: number;
    /** Serial numbers (hex) the CRL lists. */
    serials: string[];
    /** The config block carrying the CRL; the current config block when it was in force already. */
    configBlock: number;
    /** Whether the channel config had this CA's CRL with the same serials already (nothing submitted). */
    alreadyInForce: boolean;
    /** Milliseconds from the start of the command until each peer had committed the config block. */
    appliedAfterMs: Record<string, number>;
    totalMs: number;
}

const APPLICATION = 'Application';
const ORDERER = 'Orderer';

/** The CA's CRL: from fabric-ca-client on Fabric, else over Fabric CA's REST API (the same calls). */
async function crlFromCa(t: Topology, req: RevokeRequest & { name: string }, say: Say): Promise<{ crl: Buffer; revoked: number }> {
    const reason = req.reason ?? 'unspecified';
    if (req.fabric) {
        const org = caOrgs(t).find((o) => o.mspId === req.mspId);
        if (!org) throw new RevokeError('ORG_UNKNOWN', `${req.mspId} has no CA in ${t.file}`);
        const r = await revokeAtFabricCa(t, org, findFabricBinaries(t.root), req.name, reason);
        say(
            `  revoked ${req.name} at the CA of ${req.mspId} (fabric-ca-client revoke: ${r.revoked} certificate(s)) and generated its CRL (gencrl)`,
        );
        return { crl: Buffer.from(r.crlPem), revoked: r.revoked };
    }
    const client = caClient(t, req.mspId);
    const admin = await registrar(t, req.mspId, client);
    let revoked: number;
    try {
        revoked = (await client.revoke(admin, { id: req.name, reason })).revokedCerts.length;
        say(`  revoked ${req.name} at the CA of ${req.mspId}: ${revoked} certificate(s)`);
    } catch (e) {
        if (e instanceof FabricCaError && e.caCode === 10)
            throw new RevokeError('IDENTITY_UNKNOWN', `${req.name} is not registered at the CA of ${req.mspId}: ${e.message}`);
        throw e;
    }
    return { crl: Buffer.from(await client.generateCrl(admin)), revoked };
}

function mspValueOf(group: common.ConfigGroup): msp.FabricMSPConfig {
    const value = group.getValuesMap().get('MSP');
    if (!value) throw new RevokeError('ORG_UNKNOWN', 'the org group has no MSP value');
    return msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(value.getValue_asU8()).getConfig_asU8());
}

function setMspValue(group: common.ConfigGroup, config: msp.FabricMSPConfig): void {
    const value = group.getValuesMap().get('MSP')!;
    const wrapped = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
    wrapped.setConfig(config.serializeBinary());
    value.setValue(wrapped.serializeBinary());
}

/** The CA certificate of the org's MSP that signed the CRL and whose SKI its AKI names; else CRL_NOT_FROM_ORG_CA. */
function signingCaOf(mspConfig: msp.FabricMSPConfig, crl: ParsedCrl, mspId: string): crypto.X509Certificate {
    const cas = [...mspConfig.getRootCertsList_asU8(), ...mspConfig.getIntermediateCertsList_asU8()].map(
        (b) => new crypto.X509Certificate(Buffer.from(b)),
    );
    const signer = cas.find((ca) => crlSignedBy(crl, ca) && crl.authorityKeyId && subjectKeyIdentifier(ca)?.equals(crl.authorityKeyId));
    if (!signer) {
        throw new RevokeError(
            'CRL_NOT_FROM_ORG_CA',
            `the CRL is not signed by a CA of ${mspId} (${cas.map((c) => c.subject.replace(/\n/g, ',')).join('; ')}): in ${mspId}'s MSP it would revoke nothing; nothing was submitted`,
        );
    }
    return signer;
}

const sameSerials = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((s) => b.has(s));

/** A peer's height from its qscc (GetChainInfo), asked by the revoking org's admin over that peer's Gateway service. */
async function peerHeight(t: Topology, conn: OrgConnection, peerMsp: string): Promise<number> {
    const qscc = conn.gateway.getNetwork(t.channel).getContract('qscc');
    const info = common.BlockchainInfo.deserializeBinary(
        await qscc.evaluate('GetChainInfo', { arguments: [t.channel], endorsingOrganizations: [peerMsp] }),
    );
    return info.getHeight();
}

/** Waits until every peer of `orgs` holds block `block`; answers when each got there. */
async function waitForConfigBlock(
    t: Topology,
    adminMsp: string,
    orgs: string[],
    block: number,
    started: number,
    timeoutMs: number,
    say: Say,
): Promise<Record<string, number>> {
    const applied: Record<string, number> = {};
    const connections = new Map(orgs.map((o) => [o, connectAs(t, adminMsp, 'Admin', {}, newPeerClient(t, o))]));
    const deadline = Date.now() + timeoutMs;
    try {
        for (;;) {
            const pending = orgs.filter((o) => applied[paths.peerName(t, o)] === undefined);
            await Promise.all(
                pending.map(async (o) => {
                    const height = await peerHeight(t, connections.get(o) as OrgConnection, o).catch(() => 0);
                    if (height > block) {
                        applied[paths.peerName(t, o)] = Date.now() - started;
                        say(`  ${paths.peerName(t, o)} committed config block ${block} (${Date.now() - started} ms)`);
                    }
                }),
            );
            if (orgs.every((o) => applied[paths.peerName(t, o)] !== undefined)) return applied;
            if (Date.now() > deadline) {
                const behind = orgs.filter((o) => applied[paths.peerName(t, o)] === undefined).map((o) => paths.peerName(t, o));
                throw new RevokeError(
                    'NOT_APPLIED',
                    `${behind.join(', ')} did not commit config block ${block} within ${timeoutMs / 1000} s`,
                );
            }
            await new Promise((r) => setTimeout(r, 100));
        }
    } finally {
        for (const c of connections.values()) c.close();
    }
}

/** npm run network:revoke: revoke at the CA, the CRL into the org's MSP by a config update, every peer waited for. */
export async function revoke(t: Topology, req: RevokeRequest, say: Say): Promise<RevokeResult> {
    const started = Date.now();
    findOrg(t, req.mspId);
    if (!req.name && !req.crlFile) throw new RevokeError('USAGE', 'revoke needs --name ID (revoked at the CA) or --crl FILE');
    if (req.name && req.crlFile) throw new RevokeError('USAGE', 'revoke takes --name or --crl, not both');
    say(`revoking ${req.name ?? `the CRL ${req.crlFile}`} of ${req.mspId} on channel ${t.channel}`);
    const fromCa = req.crlFile ? undefined : await crlFromCa(t, { ...req, name: req.name as string }, say);
    const crlBytes = fromCa ? fromCa.crl : fs.readFileSync(req.crlFile as string);
    const revokedCertificates = fromCa?.revoked;
    let crl: ParsedCrl;
    try {
        crl = parseCrl(crlBytes);
    } catch (e) {
        const reason = (e as CrlError).message.replace(/^CRL_INVALID: /, '');
        throw new RevokeError('CRL_INVALID', `${reason}: Fabric's MSP would refuse the config (x509.ParseCRL)`);
    }

    const admin = adminOf(t, req.mspId);
    const { config, block: currentBlock } = await currentConfig(t, admin);
    const channelGroup = config.getChannelGroup()!;
    const orgGroups = [APPLICATION, ORDERER]
        .map((g) => channelGroup.getGroupsMap().get(g)?.getGroupsMap().get(req.mspId))
        .filter((g): g is common.ConfigGroup => g !== undefined);
    if (orgGroups.length === 0) throw new RevokeError('ORG_UNKNOWN', `${req.mspId} is not an org of channel ${t.channel}`);
    const mspConfig = mspValueOf(orgGroups[0]);
    const ca = signingCaOf(mspConfig, crl, req.mspId);
    say(`  CRL of ${ca.subject.split('\n').find((l) => l.startsWith('CN=')) ?? ca.subject}: ${crl.serials.size} certificate(s)`);

    // This CA's previous CRL is replaced; other CAs' (intermediates) are kept.
    const kept = mspConfig.getRevocationListList_asU8().filter((b) => !parseCrl(b).authorityKeyId?.equals(crl.authorityKeyId as Buffer));
    const previous = mspConfig
        .getRevocationListList_asU8()
        .map((b) => parseCrl(b))
        .find((c) => c.authorityKeyId?.equals(crl.authorityKeyId as Buffer));
    const orgs = channelConfigOf(
        t.channel,
        config,
        t.orgs.map((o) => o.mspId),
    ).applicationOrgs;
    const timeoutMs = req.timeoutMs ?? 60_000;
    if (previous && sameSerials(previous.serials, crl.serials)) {
        say(`  the channel config (block ${currentBlock}) has this CRL's certificates already: nothing to submit`);
        const appliedAfterMs = await waitForConfigBlock(t, req.mspId, orgs, currentBlock, started, timeoutMs, say);
        return {
            startedAt: started,
            revokedCertificates,
            serials: [...crl.serials],
            configBlock: currentBlock,
            alreadyInForce: true,
            appliedAfterMs,
            totalMs: Date.now() - started,
        };
    }
    const updated = common.Config.deserializeBinary(config.serializeBinary());
    mspConfig.setRevocationListList([...kept, crlBytes]);
    for (const g of [APPLICATION, ORDERER]) {
        const group = updated.getChannelGroup()!.getGroupsMap().get(g)?.getGroupsMap().get(req.mspId);
        // An org in both groups has one MSP definition, the same in each (Fabric refuses two).
        if (group) setMspValue(group, mspConfig);
    }
    const envelope = configUpdateEnvelope(t.channel, computeUpdate(t.channel, config, updated));
    const block = await submitUpdate(t, envelope.serializeBinary(), admin);
    say(`  config update signed by the admin of ${req.mspId} (its MSP's Admins) and submitted: config block ${block}`);
    const appliedAfterMs = await waitForConfigBlock(t, req.mspId, orgs, block, started, timeoutMs, say);
    const totalMs = Date.now() - started;
    say(`every peer of ${orgs.join(', ')} has the CRL in force: ${totalMs} ms after the command started`);
    return {
        startedAt: started,
        revokedCertificates,
        serials: [...crl.serials],
        configBlock: block,
        alreadyInForce: false,
        appliedAfterMs,
        totalMs,
    };
}
