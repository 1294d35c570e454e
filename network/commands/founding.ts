// Founding the channel across machines, each org on its own (docs/operations.md): org-init makes
// the org's identities with every private key on its own machine, org-export writes its public
// bundle, org-import takes another org's bundle after checking the fingerprint received by another
// way, channel-create (on the creator's machine, once every bundle is imported) builds the genesis
// block from public material only, and org-up (orgs.ts) starts each org's own nodes with it. The
// same steps on the devnet and (--fabric) real Fabric: what differs is an OrgNetwork.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { configFromBlock } from '../devnet/common/configtx';
import { findOrg, OrderingNode, paths, shownPath, Topology } from '../client/topology';
import { BundleError, bundleFingerprint, exportBundle, importBundle, readBundle } from './bundle';
import type { OrgNetwork } from './orgs';
import type { Say } from './orgchange';
import { checkHealth, type DevnetNode } from '../devnet/processes';

/** SHA-256 of a file's bytes, in hex groups of four (a genesis block's fingerprint). */
export function fileFingerprint(bytes: Uint8Array): string {
    return crypto.createHash('sha256').update(bytes).digest('hex').match(/.{4}/g)!.join(':');
}

const sameFingerprint = (a: string, b: string) => a.replace(/[^0-9a-f]/gi, '').toLowerCase() === b.replace(/[^0-9a-f]/gi, '').toLowerCase();

/** network:org-init: the org's CA, TLS CA and identities (admin, peer, users, its ordering nodes' MSP and TLS), here only. */
export async function orgInit(network: OrgNetwork, t: Topology, mspId: string, say: Say): Promise<void> {
    findOrg(t, mspId);
    await network.createIdentities(t, mspId, say);
    say(`${mspId}: identities under ${shownPath(t, paths.orgDir(t, mspId))}; its private keys stay on this machine`);
}

/** network:org-export: the org's public bundle to send to the others, and its fingerprint to tell them by another way. */
export function orgExport(t: Topology, mspId: string, out: string, say: Say): string {
    const bundle = exportBundle(t, mspId);
    fs.writeFileSync(out, `${JSON.stringify(bundle, null, 2)}\n`);
    const fp = bundleFingerprint(bundle);
    say(`wrote ${out}: ${Object.keys(bundle.files).length} public files of ${mspId}, no private key`);
    say(`its fingerprint, to confirm with every other org by another way (phone, signed letter):`);
    say(`  ${fp}`);
    for (const [file, cert] of Object.entries(bundle.certificates)) say(`  ${file}  ${cert}`);
    return fp;
}

/** network:org-import: another org's bundle into this machine's state, if its fingerprint is the one confirmed. */
export function orgImport(t: Topology, file: string, fingerprint: string, say: Say): void {
    const bundle = readBundle(file);
    const written = importBundle(t, bundle, fingerprint);
    say(
        written.length
            ? `imported ${bundle.mspId}'s bundle (fingerprint checked): ${written.length} public files under ${shownPath(t, paths.orgDir(t, bundle.mspId))}`
            : `${bundle.mspId}'s bundle is already imported: nothing written`,
    );
}

/** What the genesis block is built from, missing on this machine: every org's verifying MSP and each consenter's TLS certificate. */
function missingMaterial(t: Topology): string[] {
    const missing: string[] = [];
    for (const org of t.orgs) {
        const cacerts = path.join(paths.orgMsp(t, org.mspId), 'cacerts');
        if (!fs.existsSync(cacerts) || fs.readdirSync(cacerts).length === 0) missing.push(`${org.mspId}'s verifying MSP (${cacerts})`);
        if (!fs.existsSync(paths.tlsRootCert(t, org.mspId))) missing.push(`${org.mspId}'s TLS CA certificate`);
    }
    for (const node of t.orderer.nodes) {
        const cert = path.join(paths.ordererDir(t, node), 'tls', 'server.crt');
        if (!fs.existsSync(cert)) missing.push(`the TLS certificate of ${paths.ordererName(t, node)} (${node.operatedBy}'s bundle)`);
    }
    return missing;
}

/** network:channel-create (the channel's creator): the genesis block from the imported bundles, written to `out`. */
export async function channelCreate(network: OrgNetwork, t: Topology, out: string, say: Say): Promise<string> {
    const missing = missingMaterial(t);
    if (missing.length) {
        throw new BundleError(
            'BUNDLE_INCOMPLETE',
            `the genesis block needs ${missing.join('; ')}: import each org's bundle first (network:org-import)`,
        );
    }
    await network.createGenesisBlock(t, say);
    const bytes = fs.readFileSync(paths.genesisBlock(t));
    if (path.resolve(out) !== paths.genesisBlock(t)) fs.writeFileSync(out, bytes);
    const fp = fileFingerprint(bytes);
    say(`wrote ${out}: the genesis block of ${t.channel} (${t.orgs.length} orgs); send it to every org with its fingerprint:`);
    say(`  ${fp}`);
    return fp;
}

/**
 * Takes the genesis block the creator sent (org-up --genesis): it must be a config block of this
 * channel naming this org, with the fingerprint confirmed when one is given; a different block
 * than the one this machine already has is refused.
 */
export function importGenesis(t: Topology, mspId: string, file: string, fingerprint: string | undefined, say: Say): void {
    const bytes = fs.readFileSync(file);
    if (fingerprint !== undefined && !sameFingerprint(fileFingerprint(bytes), fingerprint)) {
        throw new BundleError(
            'BUNDLE_FINGERPRINT_MISMATCH',
            `${file} has fingerprint ${fileFingerprint(bytes)}, not ${fingerprint}: do not use it`,
        );
    }
    let channelId: string;
    let orgs: string[];
    try {
        const parsed = configFromBlock(common.Block.deserializeBinary(bytes));
        channelId = parsed.channelId;
        orgs =
            parsed.config
                .getChannelGroup()
                ?.getGroupsMap()
                .get('Application')
                ?.getGroupsMap()
                .getEntryList()
                .map(([k]) => k) ?? [];
    } catch (e) {
        throw new BundleError('BUNDLE_INVALID', `${file} is not a genesis block: ${(e as Error).message}`);
    }
    if (channelId !== t.channel) throw new BundleError('BUNDLE_INVALID', `${file} founds channel ${channelId}, not ${t.channel}`);
    if (!orgs.includes(mspId)) throw new BundleError('BUNDLE_INVALID', `${file} does not name ${mspId} among the channel's orgs`);
    const target = paths.genesisBlock(t);
    if (fs.existsSync(target)) {
        if (!Buffer.from(fs.readFileSync(target)).equals(bytes)) {
            throw new BundleError(
                'BUNDLE_CONFLICT',
                `${target} holds another genesis block of ${t.channel}: this machine belongs to another network`,
            );
        }
        return;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(`${target}.tmp`, bytes);
    fs.renameSync(`${target}.tmp`, target);
    say(`  genesis block of ${t.channel} in place (${fileFingerprint(bytes)})`);
}

/** True when something listens at host:port within `ms` (another org's node, seen from this machine). */
function reachable(host: string, port: number, ms = 2000): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port, timeout: ms });
        const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
        };
        socket.once('connect', () => done(true));
        socket.once('timeout', () => done(false));
        socket.once('error', () => done(false));
    });
}

/**
 * network:status --org: this org's own nodes with their health, and the other orgs' nodes as this
 * machine reaches them (reachable or not: their health is theirs to read). True when its own are healthy.
 */
export async function orgStatus(t: Topology, mspId: string, nodes: DevnetNode[], ordering: OrderingNode[], say: Say): Promise<boolean> {
    findOrg(t, mspId);
    let healthy = true;
    say(`${mspId}'s nodes on this machine:`);
    for (const node of nodes.filter((n) => n.org === mspId)) {
        const health = await checkHealth(node);
        healthy &&= health.healthy;
        const height = 'height' in health && health.height !== undefined ? `height ${health.height}` : '';
        say(
            `  ${health.healthy ? 'OK  ' : 'DOWN'} ${node.name.padEnd(44)} ${`${node.host}:${node.port}`.padEnd(28)} ${height || health.detail}`,
        );
    }
    say('the other orgs, as this machine reaches them:');
    for (const org of t.orgs.filter((o) => o.mspId !== mspId)) {
        const endpoints: [string, string, number][] = [
            [paths.peerName(t, org.mspId), org.peer.host, org.peer.port],
            ...ordering
                .filter((n) => n.operatedBy === org.mspId)
                .map((n) => [paths.ordererName(t, n), n.host, n.port] as [string, string, number]),
        ];
        for (const [name, host, port] of endpoints) {
            say(`  ${(await reachable(host, port)) ? 'REACHABLE  ' : 'UNREACHABLE'} ${name.padEnd(40)} ${host}:${port}`);
        }
    }
    return healthy;
}
