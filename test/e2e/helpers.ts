// Shared helpers of the end-to-end tests: connections per org and user, ledger heights read the
// way both networks offer (qscc through a peer's gateway, Deliver from an orderer) and file scans.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { common, orderer as ordererProtos } from '@hyperledger/fabric-protos';
import { Topology, paths, issuerOrg, findOrg } from '../../network/client/topology';
import { caHome } from '../../network/fabric/identities';
import { connectAs, OrgConnection } from '../../network/client/connection';
import { execFileWithin, withDeadline } from '../deadline';
import { driver, NETWORK } from './network';
import { createSignedEnvelope } from '../../network/devnet/common/protoutil';
import { loadSigningIdentity } from '../../network/devnet/msp/identity';

const open: OrgConnection[] = [];

export function connection(topology: Topology, mspId: string, user = 'User1'): OrgConnection {
    const c = connectAs(topology, mspId, user);
    open.push(c);
    return c;
}

/**
 * A command of the network tooling against this topology, as an operator runs it: the topology file
 * names its state folder (not this process's DEVNET_STATE_DIR), and the network's own flags.
 */
export function networkCommand(t: Topology, ...args: string[]): ReturnType<typeof execFileWithin> {
    const env = { ...process.env };
    delete env.DEVNET_STATE_DIR;
    const cli = path.join(t.root, 'dist', 'network', 'commands', 'cli.js');
    return execFileWithin(120_000, process.execPath, [cli, ...args, '--topology', t.file, ...driver().cliArgs], { env });
}

export function contractOf(topology: Topology, gateway: Gateway, chaincode: string): Contract {
    return gateway.getNetwork(topology.channel).getContract(chaincode);
}

/** Closes every connection the tests opened (call in after()). */
export function closeConnections(): void {
    for (const c of open.splice(0)) c.close();
    readers.clear();
}

export const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** A unique marker for private values: easy to find in raw bytes, never found by accident. */
export const marker = (label: string): string => `${label}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/** Files under dir whose raw bytes contain needle. */
export function filesContaining(dir: string, needle: string): string[] {
    if (!fs.existsSync(dir)) return [];
    const bytes = Buffer.from(needle);
    const found: string[] = [];
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (entry.isFile() && fs.readFileSync(p).includes(bytes)) found.push(p);
        }
    };
    walk(dir);
    return found;
}

/** A peer's chain as its qscc reports it (through its own org's gateway, evaluated on that peer only). */
export async function peerChainInfo(t: Topology, mspId: string): Promise<{ height: number; currentBlockHash: string }> {
    const qscc = contractOf(t, reader(t, mspId).gateway, 'qscc');
    const info = common.BlockchainInfo.deserializeBinary(
        await qscc.evaluate('GetChainInfo', { arguments: [t.channel], endorsingOrganizations: [mspId] }),
    );
    return { height: info.getHeight(), currentBlockHash: Buffer.from(info.getCurrentblockhash_asU8()).toString('hex') };
}

const readers = new Map<string, OrgConnection>();
/** One connection per org for the height probes (closed with the others). */
function reader(t: Topology, mspId: string): OrgConnection {
    const key = `${t.file}|${mspId}`;
    let c = readers.get(key);
    if (!c) {
        c = connection(t, mspId);
        readers.set(key, c);
    }
    return c;
}

/** An ordering node as a client reaches it. */
export interface OrdererEndpoint {
    host: string;
    port: number;
    /** Its TLS server name. */
    name: string;
    /** The org that operates it (its TLS certificate comes from that org's TLS CA). */
    operatedBy: string;
}

/** The ordering nodes the test network runs: every one of the topology on Fabric, the first on the devnet. */
export function orderingNodes(t: Topology): OrdererEndpoint[] {
    const nodes = NETWORK === 'fabric' ? t.orderer.nodes : t.orderer.nodes.slice(0, 1);
    return nodes.map((n) => ({ host: n.host, port: n.port, name: paths.ordererName(t, n), operatedBy: n.operatedBy }));
}

/**
 * The height of an orderer's copy of the channel: the newest block it delivers (Deliver with
 * SeekInfo newest..newest), asked as a client of the issuer org, which the channel's Readers admit.
 */
export async function ordererHeight(t: Topology, node: OrdererEndpoint): Promise<number> {
    const newest = new ordererProtos.SeekPosition();
    newest.setNewest(new ordererProtos.SeekNewest());
    const seek = new ordererProtos.SeekInfo();
    seek.setStart(newest);
    seek.setStop(newest);
    seek.setBehavior(ordererProtos.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
    const mspId = issuerOrg(t).mspId;
    const signer = loadSigningIdentity(path.join(paths.userDir(t, mspId, 'User1'), 'msp'), mspId);
    const envelope = createSignedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, t.channel, signer, seek.serializeBinary());
    const client = new ordererProtos.AtomicBroadcastClient(
        `${node.host}:${node.port}`,
        grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, node.operatedBy))),
        { 'grpc.ssl_target_name_override': node.name, 'grpc.max_receive_message_length': 100 * 1024 * 1024 },
    );
    try {
        return await new Promise<number>((resolve, reject) => {
            const stream = client.deliver({ deadline: Date.now() + 10_000 });
            let height: number | undefined;
            stream.on('data', (r: ordererProtos.DeliverResponse) => {
                const block = r.getBlock();
                if (block) height = Number(block.getHeader()?.getNumber()) + 1;
                else if (r.getStatus() === common.Status.SUCCESS && height !== undefined) resolve(height);
                else reject(new Error(`Deliver from ${node.name} answered status ${r.getStatus()}`));
                if (!block) stream.end();
            });
            stream.on('error', (e: Error) => reject(new Error(`Deliver from ${node.name}: ${e.message}`)));
            stream.write(envelope);
        });
    } finally {
        client.close();
    }
}

/**
 * The files of the org's signing CA, for identities the CA never issued through its API (expired
 * ones): on the devnet its own CA's (issueTestIdentity's default), on real Fabric the org's Fabric
 * CA server's certificate and the key in its keystore that matches it.
 */
export function orgCaFiles(t: Topology, mspId: string): { cert: string; key: string } | undefined {
    if (NETWORK === 'devnet') return undefined;
    const home = caHome(t, findOrg(t, mspId));
    const cert = path.join(home, 'ca-cert.pem');
    const x509 = new crypto.X509Certificate(fs.readFileSync(cert));
    const keystore = path.join(home, 'msp', 'keystore');
    const key = fs
        .readdirSync(keystore)
        .map((f) => path.join(keystore, f))
        .find((f) => {
            try {
                return x509.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(f)));
            } catch {
                return false; // not a key, or not this certificate's
            }
        });
    if (!key) throw new Error(`CA_KEY_MISSING: no key in ${keystore} matches ${cert}`);
    return { cert, key };
}

/**
 * Files holding needle anywhere in the network's state folder (every node's ledger, the CAs, the
 * logs, the gateways' databases) except the issuer peer's own ledger folder, the one place the
 * design lets personal data live.
 */
export function filesOutsideIssuerPeer(t: Topology, needle: string): string[] {
    const issuerLedger = paths.ledger(t, paths.peerName(t, issuerOrg(t).mspId));
    return filesContaining(t.stateDir, needle).filter((f) => !f.startsWith(issuerLedger + path.sep));
}

/**
 * Probes until `probe` gives a value or `timeoutMs` has passed. A probe that never answers (a stream,
 * a call with no deadline of its own) is cut 30 s past the deadline, and the wait fails naming it.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await withDeadline(`an answer of the probe for ${what}`, Math.max(deadline - Date.now(), 0) + 30_000, probe());
            if (value !== undefined) return value;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/**
 * Reads a fabric-gateway event stream until `enough` says so, within `timeoutMs`; past it the
 * stream is closed and the read fails with TIMEOUT naming `what` and how many events came.
 */
export async function readEvents<T>(
    what: string,
    events: AsyncIterable<T> & { close(): void },
    enough: (event: T) => boolean | Promise<boolean>,
    timeoutMs = 30_000,
): Promise<void> {
    let count = 0;
    const reading = (async () => {
        for await (const event of events) {
            count++;
            if (await enough(event)) return;
        }
        throw new Error(`the stream of ${what} ended after ${count} event(s)`);
    })();
    try {
        await withDeadline(
            () => `${what} (${count} event(s) so far)`,
            timeoutMs,
            reading,
            () => events.close(),
        );
    } finally {
        events.close();
    }
}
