// Every identity of the Fabric network, registered and enrolled at its org's Fabric CA with
// Fabric's own fabric-ca-client (as fabric-samples' test network does), laid out under the state
// folder exactly as the devnet's (organizations/peerOrganizations/<domain>/...): node MSPs
// and TLS folders, the org's verifying MSP, and the users of initialUsers() with their ecert
// attributes. Idempotent: what is already enrolled is kept.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { Topology, paths, findOrg, CA_REGISTRAR_ID, chaincodeServerName, nodesOperatedBy } from '../client/topology';
import { initialUsers } from '../devnet/msp/ca';
import { CaOrg, caName } from './config';
import { FabricBinaries } from './binaries';
import { runTool, FabricCommandError } from './run';

/** The CA server's home: its configuration, its CA key and certificate, its registry. */
export const caHome = (t: Topology, org: { domain: string }) => path.join(t.stateDir, 'fabric-ca', org.domain);

/**
 * The org's registrar (Fabric CA's bootstrap identity) keeps its secret and its enrolled MSP where
 * the shared CA client (network/client/ca-identities.ts) looks for them on both networks:
 * <org>/ca/registrar.secret and <org>/ca/registrar/msp.
 */
export const REGISTRAR_ID = CA_REGISTRAR_ID;
const registrarSecretFile = (t: Topology, org: CaOrg) => paths.caRegistrarSecret(t, org.mspId);
const registrarHome = (t: Topology, org: CaOrg) => path.dirname(paths.caRegistrarMsp(t, org.mspId));

export function registrarSecret(t: Topology, org: CaOrg): string {
    const file = registrarSecretFile(t, org);
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 });
    }
    return fs.readFileSync(file, 'utf8').trim();
}

/** Enrollment secrets, kept so that a re-run can finish an enrollment a crash interrupted. */
function secretOf(t: Topology, org: CaOrg, id: string): string {
    const file = path.join(caHome(t, org), 'secrets.json');
    const secrets: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    if (!secrets[id]) {
        secrets[id] = crypto.randomBytes(18).toString('base64url');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    }
    return secrets[id];
}

const onlyFile = (dir: string) => {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
    if (files.length !== 1) throw new Error(`MSP_DIR_INVALID: ${dir} should hold exactly one file, has ${files.length}`);
    return path.join(dir, files[0]);
};

/** NodeOUs: the OU Fabric CA writes from each identity's type, certified by the org's CA. */
const nodeOuConfig = (caCertFile: string) => {
    const id = (ou: string) => ({ Certificate: caCertFile, OrganizationalUnitIdentifier: ou });
    return YAML.stringify({
        NodeOUs: {
            Enable: true,
            ClientOUIdentifier: id('client'),
            PeerOUIdentifier: id('peer'),
            AdminOUIdentifier: id('admin'),
            OrdererOUIdentifier: id('orderer'),
        },
    });
};

interface Identity {
    name: string;
    type: 'peer' | 'orderer' | 'admin' | 'client';
    attrs?: Record<string, string>;
}

class OrgEnroller {
    private readonly url: string;
    private readonly tlsRoot: string;
    private readonly registrarHome: string;

    constructor(
        private readonly t: Topology,
        private readonly org: CaOrg,
        private readonly bin: FabricBinaries,
    ) {
        this.url = `${org.ca.host}:${org.ca.port}`;
        this.tlsRoot = path.join(caHome(t, org), 'ca-cert.pem');
        this.registrarHome = registrarHome(t, org);
    }

    private client(args: string[]): Promise<string> {
        return runTool(this.bin.bin['fabric-ca-client'], [...args, '--caname', caName(this.org), '--tls.certfiles', this.tlsRoot]);
    }

    private async enrollTo(id: string, mspDir: string, extra: string[] = []): Promise<void> {
        const secret = secretOf(this.t, this.org, id);
        // fabric-ca-client writes into -M; a half-written folder from a crash is replaced.
        const tmp = `${mspDir}.tmp`;
        fs.rmSync(tmp, { recursive: true, force: true });
        await this.client([
            'enroll',
            '-u',
            `https://${id}:${secret}@${this.url}`,
            '-H',
            path.join(caHome(this.t, this.org), 'clients', id),
            '-M',
            tmp,
            ...extra,
        ]);
        fs.rmSync(mspDir, { recursive: true, force: true });
        fs.mkdirSync(path.dirname(mspDir), { recursive: true });
        fs.renameSync(tmp, mspDir);
    }

    /**
     * `fabric-ca-client revoke -e NAME -r REASON` then `gencrl`, as the org's registrar: the CA's CRL
     * that gencrl writes into the registrar's msp/crls/crl.pem, and how many certificates revoke revoked.
     */
    async revokeAndGenCrl(name: string, reason: string): Promise<{ crlPem: string; revoked: number }> {
        await this.registrar();
        const base = ['-u', `https://${this.url}`, '-H', this.registrarHome];
        // "Sucessfully revoked certificates: [{Serial:... AKI:...} ...]"
        const out = await this.client(['revoke', ...base, '-e', name, '-r', reason]);
        const revoked = (/revoked certificates: \[(.*)\]/.exec(out)?.[1].match(/Serial/g) ?? []).length;
        const crlFile = path.join(this.registrarHome, 'msp', 'crls', 'crl.pem');
        fs.rmSync(crlFile, { force: true });
        await this.client(['gencrl', ...base]);
        return { crlPem: fs.readFileSync(crlFile, 'utf8'), revoked };
    }

    async registrar(): Promise<void> {
        if (fs.existsSync(path.join(this.registrarHome, 'msp', 'signcerts'))) return;
        await this.client([
            'enroll',
            '-u',
            `https://${REGISTRAR_ID}:${registrarSecret(this.t, this.org)}@${this.url}`,
            '-H',
            this.registrarHome,
        ]);
    }

    private async register(identity: Identity): Promise<void> {
        const attrs = Object.entries(identity.attrs ?? {}).map(([k, v]) => `${k}=${v}:ecert`);
        try {
            await this.client([
                'register',
                '-H',
                this.registrarHome,
                '-u',
                `https://${this.url}`,
                '--id.name',
                identity.name,
                '--id.secret',
                secretOf(this.t, this.org, identity.name),
                '--id.type',
                identity.type,
                ...(attrs.length ? ['--id.attrs', attrs.join(',')] : []),
            ]);
        } catch (e) {
            // Registered by an earlier, interrupted run: enrolling with the kept secret finishes it.
            if (!(e instanceof FabricCommandError && /already registered/.test(e.output))) throw e;
        }
    }

    /** The org's verifying MSP, TLS CA and CA certificate folders (cryptogen's file names). */
    writeOrgMsp(): void {
        const dir = paths.orgDir(this.t, this.org.mspId);
        const caPem = fs.readFileSync(this.tlsRoot);
        const d = this.org.domain;
        // One Fabric CA per org signs both enrollment and TLS certificates (as in fabric-samples).
        for (const [file, content] of [
            [path.join(dir, 'msp', 'cacerts', `ca.${d}-cert.pem`), caPem],
            [path.join(dir, 'msp', 'tlscacerts', `tlsca.${d}-cert.pem`), caPem],
            [path.join(dir, 'msp', 'config.yaml'), nodeOuConfig(`cacerts/ca.${d}-cert.pem`)],
            [path.join(dir, 'ca', `ca.${d}-cert.pem`), caPem],
            [paths.tlsRootCert(this.t, this.org.mspId), caPem],
            // The CA's own TLS certificate is signed by the same CA: the shared CA client trusts this.
            [paths.caTlsRootCert(this.t, this.org.mspId), caPem],
        ] as [string, Buffer | string][]) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, content);
        }
    }

    /** users/<name>@<domain>/msp, with NodeOUs so that the peer CLI can act as the org's admin. */
    async user(identity: Identity, userDir: string): Promise<boolean> {
        const mspDir = path.join(userDir, 'msp');
        if (fs.existsSync(path.join(mspDir, 'signcerts'))) return false;
        await this.register(identity);
        await this.enrollTo(identity.name, mspDir);
        fs.writeFileSync(
            path.join(mspDir, 'config.yaml'),
            nodeOuConfig(`cacerts/${path.basename(onlyFile(path.join(mspDir, 'cacerts')))}`),
        );
        return true;
    }

    /** A peer or orderer: its MSP and its TLS folder (server.crt, server.key, ca.crt). */
    async node(name: string, host: string, type: 'peer' | 'orderer', nodeDir: string): Promise<boolean> {
        const created = await this.user({ name, type }, nodeDir);
        return (await this.tls(name, [name, host, 'localhost', '127.0.0.1'], path.join(nodeDir, 'tls'))) || created;
    }

    /**
     * A TLS folder of `id` (profile `tls`, these SANs): ca.crt and server.crt/server.key, or
     * client.crt/client.key for a client certificate. False when it exists.
     */
    async tls(id: string, hosts: string[], tlsDir: string, role: 'server' | 'client' = 'server'): Promise<boolean> {
        if (fs.existsSync(path.join(tlsDir, `${role}.key`))) return false;
        const tlsMsp = `${tlsDir}-enrollment`;
        await this.enrollTo(id, tlsMsp, ['--enrollment.profile', 'tls', ...[...new Set(hosts)].flatMap((h) => ['--csr.hosts', h])]);
        const tmp = `${tlsDir}.tmp`;
        fs.rmSync(tmp, { recursive: true, force: true });
        fs.mkdirSync(tmp, { recursive: true });
        fs.copyFileSync(onlyFile(path.join(tlsMsp, 'tlscacerts')), path.join(tmp, 'ca.crt'));
        fs.copyFileSync(onlyFile(path.join(tlsMsp, 'signcerts')), path.join(tmp, `${role}.crt`));
        fs.copyFileSync(onlyFile(path.join(tlsMsp, 'keystore')), path.join(tmp, `${role}.key`));
        fs.chmodSync(path.join(tmp, `${role}.key`), 0o600);
        fs.rmSync(tlsDir, { recursive: true, force: true });
        fs.renameSync(tmp, tlsDir);
        fs.rmSync(tlsMsp, { recursive: true, force: true });
        return true;
    }

    /**
     * The org's chaincode connections: a server certificate for each chaincode server (an identity
     * of its own, type client, no attributes) and the peer's client certificate (a second TLS
     * enrollment of the peer), both from the org's CA, which each side trusts for the other.
     */
    async chaincodeTls(): Promise<number> {
        const { t, org } = this;
        let created = 0;
        for (const cc of t.chaincodes.filter((c) => c.server.tls)) {
            const name = chaincodeServerName(cc.name, org);
            const dir = paths.chaincodeServerTlsDir(t, org.mspId, cc.name);
            if (fs.existsSync(path.join(dir, 'server.key'))) continue;
            await this.register({ name, type: 'client' });
            if (await this.tls(name, [name, 'localhost', '127.0.0.1'], dir)) created++;
        }
        const peer = paths.peerName(t, org.mspId);
        if (await this.tls(peer, [peer], paths.peerChaincodeTlsDir(t, org.mspId), 'client')) created++;
        return created;
    }
}

/** Revokes an identity at the org's Fabric CA with fabric-ca-client and answers the CA's CRL (PEM). */
export function revokeAtFabricCa(
    t: Topology,
    org: CaOrg,
    bin: FabricBinaries,
    name: string,
    reason: string,
): Promise<{ crlPem: string; revoked: number }> {
    return new OrgEnroller(t, org, bin).revokeAndGenCrl(name, reason);
}

/** Registers and enrolls whatever is missing of one org: nodes, admin, and the product's users. */
export async function enrollOrg(t: Topology, org: CaOrg, bin: FabricBinaries): Promise<number> {
    const e = new OrgEnroller(t, org, bin);
    await e.registrar();
    e.writeOrgMsp();
    let created = 0;
    const count = (made: boolean) => {
        if (made) created++;
    };
    count(await e.node(paths.peerName(t, org.mspId), findOrg(t, org.mspId).peer.host, 'peer', paths.peerDir(t, org.mspId)));
    created += await e.chaincodeTls();
    // The ordering nodes the org operates are its own identities, from its own CA.
    for (const node of nodesOperatedBy(t, org.mspId)) {
        count(await e.node(paths.ordererName(t, node), node.host, 'orderer', paths.ordererDir(t, node)));
    }
    for (const user of initialUsers(t, org.mspId)) {
        const type = user.nodeOu === 'admin' ? 'admin' : 'client';
        count(await e.user({ name: user.name, type, attrs: user.attrs }, paths.userDir(t, org.mspId, user.name)));
    }
    return created;
}
