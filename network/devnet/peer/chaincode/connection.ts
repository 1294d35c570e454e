// How a peer reaches a chaincode server (chaincode as a service), in the form of Fabric's ccaas
// connection.json (core/container/externalbuilder/instance.go ChaincodeServerUserData): one
// description per org and chaincode, which real Fabric's peer reads from the package our builder
// releases and the devnet's peer reads here. The TLS fields are templates filled, as Fabric's
// ccaas builder fills them, from CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: the peer's own chaincode
// client certificate and the root its chaincode servers' certificates chain to, so that no key
// is ever inside a package (whose id then depends on the server's address only).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChaincodeConfig, type OrgConfig, type Topology, chaincodeServerName, paths } from '../../../client/topology';

/** connection.json as Fabric's peer reads it. */
export interface ConnectionJson {
    address: string;
    dial_timeout: string;
    tls_required: boolean;
    client_auth_required?: boolean;
    /** The server name the peer checks in the chaincode server's certificate (with client auth). */
    domain?: string;
    root_cert?: string;
    client_cert?: string;
    client_key?: string;
}

/** The template context of Fabric's ccaas builder (CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG). */
export interface CcaasBuilderConfig {
    root_cert: string;
    client_cert: string;
    client_key: string;
}

/** What the peer dials with: Fabric's ccintf.ChaincodeServerInfo. */
export interface ChaincodeDial {
    address: string;
    dialTimeoutMs: number;
    tls?: { rootCert: string; clientCert?: string; clientKey?: string; serverName?: string };
}

export class ConnectionError extends Error {
    constructor(message: string) {
        super(`CHAINCODE_CONNECTION_INVALID: ${message}`);
    }
}

/** The connection.json of an org's server of a chaincode: the same on the devnet and in the Fabric package. */
export function ccaasConnection(cc: ChaincodeConfig, org: OrgConfig): ConnectionJson {
    const base = { address: `127.0.0.1:${cc.server.ports[org.mspId]}`, dial_timeout: '10s' };
    if (!cc.server.tls) return { ...base, tls_required: false };
    return {
        ...base,
        tls_required: true,
        client_auth_required: true,
        domain: chaincodeServerName(cc.name, org),
        root_cert: '{{.root_cert}}',
        client_cert: '{{.client_cert}}',
        client_key: '{{.client_key}}',
    };
}

/** The peer's builder config: its chaincode client certificate and key, and its chaincode servers' root. */
export function ccaasBuilderConfig(t: Topology, mspId: string): CcaasBuilderConfig {
    const dir = paths.peerChaincodeTlsDir(t, mspId);
    const read = (file: string) => {
        try {
            return fs.readFileSync(path.join(dir, file), 'utf8');
        } catch {
            throw new ConnectionError(
                `${path.join(dir, file)} is missing: the peer's chaincode TLS material is created with the org's identities`,
            );
        }
    };
    return { root_cert: read('ca.crt'), client_cert: read('client.crt'), client_key: read('client.key') };
}

/** The builder config when the peer's chaincode TLS material exists (a peer started without it dials no TLS server). */
export function ccaasBuilderEnv(t: Topology, mspId: string): Record<string, string> {
    if (!fs.existsSync(path.join(paths.peerChaincodeTlsDir(t, mspId), 'client.key'))) return {};
    return { CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: JSON.stringify(ccaasBuilderConfig(t, mspId)) };
}

const TEMPLATE = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Fills the `{{.key}}` templates of each string field from the builder config, as Fabric's ccaas builder (missingkey=error). */
export function fillTemplates(connection: ConnectionJson, config: Partial<CcaasBuilderConfig> | Record<string, string>): ConnectionJson {
    const fill = (value: string) =>
        value.replace(TEMPLATE, (_, key: string) => {
            const v = (config as Record<string, unknown>)[key];
            if (typeof v !== 'string') throw new ConnectionError(`connection.json uses {{.${key}}}, which the builder config does not set`);
            return v;
        });
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(connection)) out[k] = typeof v === 'string' ? fill(v) : v;
    return out as unknown as ConnectionJson;
}

/** Fabric's ChaincodeServerInfo: what TLS needs (a root always, a client pair with client auth), refused as Fabric refuses. */
export function dialOptions(c: ConnectionJson): ChaincodeDial {
    if (!c.address) throw new ConnectionError('chaincode address not provided');
    // Fabric: a Go duration, zero or absent meaning 3 s.
    let dialTimeoutMs = 3000;
    if (c.dial_timeout) {
        const m = /^(\d+)(ms|s|m)$/.exec(c.dial_timeout);
        if (!m) throw new ConnectionError(`dial_timeout ${JSON.stringify(c.dial_timeout)} is not a duration such as 10s`);
        dialTimeoutMs = Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'] || 3000;
    }
    if (!c.tls_required) return { address: c.address, dialTimeoutMs };
    if (c.client_auth_required && !c.client_key) throw new ConnectionError('chaincode tls key not provided');
    if (c.client_auth_required && !c.client_cert) throw new ConnectionError('chaincode tls cert not provided');
    if (!c.root_cert) throw new ConnectionError('chaincode tls root cert not provided');
    return {
        address: c.address,
        dialTimeoutMs,
        tls: c.client_auth_required
            ? { rootCert: c.root_cert, clientCert: c.client_cert, clientKey: c.client_key, serverName: c.domain || undefined }
            : { rootCert: c.root_cert },
    };
}
