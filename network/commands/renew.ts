// network:renew: an org's certificates renewed before they expire, from the org's own machine, one
// node at a time. Each certificate that expires within the window gets a new key and certificate
// from the CA that issued it: reenrolled at the org's Fabric CA as the identity itself (`POST
// /reenroll`, what `fabric-ca-client reenroll` does; profile tls for a TLS certificate), or, for
// what the devnet made as cryptogen does and its CA server never recorded, reissued from the CA's
// key in the org's folder (same subject, SANs and attributes). The new pair replaces the old
// folder at once (a staged copy renamed into place, so a crash leaves the old pair or the new one,
// and a rerun finishes the swap); then each running node whose certificate changed is restarted
// and waited for, one after the other, so the channel keeps its other peers and ordering nodes. A
// gateway picks up its users' renewed certificates by itself (gateway/fabric/client.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { caClient, registrar } from '../client/ca-identities';
import { DAY_MS, type HeldCertificate, heldCertificates } from '../client/certificates';
import { FabricCaError } from '../client/fabric-ca-client';
import { subjectKeyIdentifier } from '../client/msp-folder';
import { findOrg, paths, type Topology } from '../client/topology';
import { caFiles, loadCa, orgInfo, reissueLeaf, tlsCaFiles } from '../devnet/msp/ca';
import { type DevnetNode, devnetNodes, runningPid, stopNode } from '../devnet/processes';
import { findFabricBinaries } from '../fabric/binaries';
import { ensureRunning as ensureFabricNode, fabricNodes, waitForEndorsers } from '../fabric/network';
import { ensureRunning as ensureDevnetNode } from './network';
import type { Say } from './orgchange';

export class RenewError extends Error {
    constructor(
        readonly code:
            | 'USAGE'
            | 'ORG_UNKNOWN'
            | 'ORG_NOT_HERE'
            | 'RENEW_NOT_FROM_CA'
            | 'RENEW_KEY_IN_HSM'
            | 'RENEW_CA_UNREACHABLE'
            | 'RENEW_REFUSED_BY_CA'
            | 'RENEW_NODE_UNHEALTHY',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'RenewError';
    }
}

export interface RenewRequest {
    mspId: string;
    /** Renew what expires within this many days (0: only what has expired). */
    withinDays: number;
    /** Only this holder's certificates (a node's or user's folder name, e.g. peer0.mohw.go.kr, User1@mohw.go.kr). */
    holder?: string;
    /** Real Fabric's state and nodes. */
    fabric: boolean;
    /** Restart the running nodes whose certificates changed (default true). */
    restart?: boolean;
    now?: number;
}

export interface RenewResult {
    startedAt: number;
    renewed: { holder: string; use: HeldCertificate['use']; how: 'reenrolled' | 'reissued'; serial: string; notAfter: string }[];
    /** Interrupted swaps a previous run left, finished now. */
    recovered: string[];
    /** Nodes restarted, in order, with how long each was not serving (stop to healthy). */
    restarted: { node: string; downMs: number }[];
    totalMs: number;
}

const NEXT = '.renew-next';
const PREVIOUS = '.renew-previous';

/** Folders a run stopped between its two renames: the new one is complete, put it in place; a half-staged copy is dropped. */
function recoverSwaps(orgDir: string, depth = 4): string[] {
    const recovered: string[] = [];
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(orgDir, { withFileTypes: true });
    } catch {
        return recovered;
    }
    for (const e of entries) {
        if (!e.isDirectory()) continue;
        const dir = path.join(orgDir, e.name);
        if (e.name.endsWith(NEXT)) {
            const target = dir.slice(0, -NEXT.length);
            if (!fs.existsSync(target) && fs.existsSync(path.join(dir, '.complete'))) {
                fs.renameSync(dir, target);
                fs.rmSync(path.join(target, '.complete'), { force: true });
                recovered.push(target);
            } else {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        } else if (e.name.endsWith(PREVIOUS)) {
            const target = dir.slice(0, -PREVIOUS.length);
            // The old pair went aside but no new one came: put it back.
            if (!fs.existsSync(target) && !fs.existsSync(target + NEXT)) {
                fs.renameSync(dir, target);
                recovered.push(target);
            }
        } else if (depth > 0) {
            recovered.push(...recoverSwaps(dir, depth - 1));
        }
    }
    return recovered;
}

/** The new pair for `c`: reenrolled at the org's CA when it knows the certificate, else reissued from the CA key here. */
/**
 * An ordering node's TLS certificate keeps its key: the channel's consenter set names each node by
 * its TLS certificate and Fabric's cluster compares public keys (orderer/common/cluster), so a new
 * key would need a channel config update first.
 */
const keepsKey = (c: HeldCertificate) => c.use === 'tls' && path.basename(path.dirname(path.dirname(c.folder))) === 'orderers';

async function newPair(
    t: Topology,
    c: HeldCertificate,
    now: number,
): Promise<{ certificatePem: string; privateKeyPem: string; how: 'reenrolled' | 'reissued' }> {
    const certificatePem = fs.readFileSync(c.certFile, 'utf8');
    const privateKeyPem = fs.readFileSync(c.keyFile, 'utf8');
    const cert = new crypto.X509Certificate(certificatePem);
    const org = orgInfo(t, c.mspId);
    const tlsCa = tlsCaFiles(org);
    // The devnet's TLS CA (cryptogen's tlsca) has no server: what it signed is reissued with its key.
    const fromTlsCa = fs.existsSync(tlsCa.key) && cert.checkIssued(new crypto.X509Certificate(fs.readFileSync(tlsCa.cert)));
    if (!fromTlsCa) {
        const hosts = (cert.subjectAltName ?? '')
            .split(', ')
            .filter(Boolean)
            .map((n) => n.replace(/^(DNS|IP Address):/, ''));
        try {
            const e = await caClient(t, c.mspId).reenroll(
                { certificatePem, privateKeyPem },
                { ...(hosts.length ? { csr: { hosts } } : {}), ...(c.use === 'tls' ? { profile: 'tls' } : {}), reuseKey: keepsKey(c) },
            );
            return { certificatePem: e.certificatePem, privateKeyPem: e.privateKeyPem, how: 'reenrolled' };
        } catch (e) {
            if (!(e instanceof FabricCaError))
                throw new RenewError(
                    'RENEW_CA_UNREACHABLE',
                    `the CA of ${c.mspId} did not answer (${(e as Error).message}); is the network up?`,
                );
            // Fabric CA answers every refused token with code 20; only an identity it never registered
            // (the devnet made it as cryptogen does) is reissued here. A registered one whose
            // certificate the CA refuses (revoked, expired) is not: that would undo a revocation.
            if (e.caCode !== 20 || (await registeredAtCa(t, c.mspId, commonName(cert)))) {
                throw new RenewError(
                    'RENEW_REFUSED_BY_CA',
                    `the CA of ${c.mspId} refused to reenroll ${c.holder} (${e.message}); a revoked or expired certificate needs a new enrollment`,
                );
            }
        }
    }
    const files = fromTlsCa ? tlsCa : caFiles(org);
    if (!fs.existsSync(files.key))
        throw new RenewError(
            'RENEW_NOT_FROM_CA',
            `${c.holder}'s ${c.use} certificate is unknown to the CA of ${c.mspId} and its key is not here`,
        );
    try {
        return {
            ...(await reissueLeaf(await loadCa(files), certificatePem, now, keepsKey(c) ? privateKeyPem : undefined)),
            how: 'reissued',
        };
    } catch (e) {
        throw new RenewError('RENEW_NOT_FROM_CA', (e as Error).message);
    }
}

function commonName(cert: crypto.X509Certificate): string {
    return /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? '';
}

/** Whether the org's CA has this enrollment id registered (asked as its registrar). */
async function registeredAtCa(t: Topology, mspId: string, id: string): Promise<boolean> {
    const client = caClient(t, mspId);
    try {
        await client.getIdentity(await registrar(t, mspId, client), id);
        return true;
    } catch (e) {
        if (e instanceof FabricCaError && e.status === 404) return false;
        throw e;
    }
}

/** Stages a copy of the folder with the new pair, then swaps it in: rename the old aside, rename the new into place. */
function swapIn(c: HeldCertificate, pair: { certificatePem: string; privateKeyPem: string }): void {
    const next = c.folder + NEXT;
    const previous = c.folder + PREVIOUS;
    fs.rmSync(next, { recursive: true, force: true });
    fs.cpSync(c.folder, next, { recursive: true });
    const rel = (f: string) => path.join(next, path.relative(c.folder, f));
    if (c.use === 'enrollment') {
        // fabric-ca-client names the key after its SKI; the devnet after cryptogen (priv_sk).
        const keystore = path.join(next, 'keystore');
        const named = /^[0-9a-f]{64}_sk$/.test(path.basename(c.keyFile));
        fs.rmSync(keystore, { recursive: true, force: true });
        fs.mkdirSync(keystore);
        fs.writeFileSync(
            path.join(keystore, named ? `${subjectKeyIdentifier(pair.privateKeyPem)}_sk` : path.basename(c.keyFile)),
            pair.privateKeyPem,
            {
                mode: 0o600,
            },
        );
    } else {
        fs.writeFileSync(rel(c.keyFile), pair.privateKeyPem, { mode: 0o600 });
    }
    fs.writeFileSync(rel(c.certFile), pair.certificatePem);
    fs.writeFileSync(path.join(next, '.complete'), '');
    fs.rmSync(previous, { recursive: true, force: true });
    fs.renameSync(c.folder, previous);
    fs.renameSync(next, c.folder);
    fs.rmSync(path.join(c.folder, '.complete'), { force: true });
}

/** The running node that reads this folder; users' folders have none (gateways reload them). */
function nodeOf(nodes: DevnetNode[], c: HeldCertificate): DevnetNode | undefined {
    return nodes.find((n) => n.org === c.mspId && n.kind !== 'gateway' && n.name === c.holder);
}

/**
 * A restarted Fabric ordering node orders again once it knows the channel's Raft leader: its
 * operations endpoint counts `consensus_etcdraft_leader_changes` from 0 at start and adds one when
 * it learns a leader (orderer/consensus/etcdraft/chain.go). Healthy (/healthz) comes before that.
 */
async function raftLeaderKnown(t: Topology, node: DevnetNode, timeoutMs = 30_000): Promise<void> {
    const url = node.healthUrl?.replace(/\/healthz$/, '/metrics');
    if (!url) return;
    const line = new RegExp(`^consensus_etcdraft_leader_changes\\{channel="${t.channel}"\\} (\\d+)`, 'm');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const text = await fetch(url).then(
            (r) => r.text(),
            () => '',
        );
        if (Number(line.exec(text)?.[1] ?? 0) >= 1) return;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new RenewError(
        'RENEW_NODE_UNHEALTHY',
        `${node.name} knows no Raft leader of ${t.channel} ${timeoutMs / 1000} s after its restart`,
    );
}

export async function renew(t: Topology, req: RenewRequest, say: Say): Promise<RenewResult> {
    const startedAt = Date.now();
    const now = req.now ?? startedAt;
    if (!t.orgs.some((o) => o.mspId === req.mspId)) throw new RenewError('ORG_UNKNOWN', `${req.mspId} is not an org of ${t.file}`);
    const orgDir = paths.orgDir(t, req.mspId);
    if (!fs.existsSync(orgDir))
        throw new RenewError('ORG_NOT_HERE', `${orgDir} does not exist: ${req.mspId}'s certificates are not on this machine`);
    const recovered = recoverSwaps(orgDir);
    for (const f of recovered) say(`  finished an interrupted renewal: ${f}`);
    const held = heldCertificates(t, req.mspId).filter((c) => req.holder === undefined || c.holder === req.holder);
    if (req.holder !== undefined && held.length === 0)
        throw new RenewError('USAGE', `${req.holder} holds no certificate in ${orgDir} (${findOrg(t, req.mspId).domain})`);
    const due = held.filter((c) => c.notAfter.getTime() - now < req.withinDays * DAY_MS);
    say(`${due.length} of ${held.length} certificates of ${req.mspId} expire within ${req.withinDays} days`);
    const renewed: RenewResult['renewed'] = [];
    const changed: HeldCertificate[] = [];
    const inToken = due.filter((c) => c.keyFile === '');
    if (inToken.length > 0) {
        throw new RenewError(
            'RENEW_KEY_IN_HSM',
            `${inToken.map((c) => c.holder).join(', ')}: the key is in a PKCS#11 token; network:renew cannot make the new one there yet: create a new app with gateway:admin create-app --hsm (nothing was renewed)`,
        );
    }
    for (const c of due) {
        const pair = await newPair(t, c, now);
        swapIn(c, pair);
        const cert = new crypto.X509Certificate(pair.certificatePem);
        renewed.push({
            holder: c.holder,
            use: c.use,
            how: pair.how,
            serial: cert.serialNumber.toLowerCase(),
            notAfter: new Date(cert.validTo).toISOString(),
        });
        changed.push(c);
        say(`  ${pair.how} ${c.use} certificate of ${c.holder}: valid until ${new Date(cert.validTo).toISOString()}`);
    }
    const restarted: RenewResult['restarted'] = [];
    if (req.restart !== false && changed.length > 0) {
        const nodes = req.fabric ? fabricNodes(t, findFabricBinaries(t.root), true) : devnetNodes(t);
        const toRestart = [
            ...new Set(
                changed.map((c) => nodeOf(nodes, c)).filter((n): n is DevnetNode => n !== undefined && runningPid(t, n) !== undefined),
            ),
        ];
        for (const node of toRestart) {
            const began = Date.now();
            await stopNode(t, node);
            try {
                if (req.fabric) await ensureFabricNode(t, node, say);
                else await ensureDevnetNode(t, node);
            } catch (e) {
                throw new RenewError(
                    'RENEW_NODE_UNHEALTHY',
                    `${node.name} did not come back with its renewed certificate; the old one is in its folder${PREVIOUS}: ${(e as Error).message}`,
                );
            }
            if (req.fabric && node.kind === 'orderer') await raftLeaderKnown(t, node);
            // A restarted Fabric peer endorses through its gateway once discovery (gossip) offers endorsers
            // enough for each chaincode's policy again; the devnet's peers know each other from the topology.
            if (req.fabric && node.kind === 'peer')
                for (const cc of t.chaincodes) await waitForEndorsers(t, cc, () => {}, { mspId: node.org }, 60_000);
            restarted.push({ node: node.name, downMs: Date.now() - began });
            say(`  restarted ${node.name}: ${Date.now() - began} ms from stop to healthy`);
        }
    }
    // The old keys are no longer needed once every node that read them runs with the new ones.
    for (const c of changed) fs.rmSync(c.folder + PREVIOUS, { recursive: true, force: true });
    return { startedAt, renewed, recovered, restarted, totalMs: Date.now() - startedAt };
}
