// Gateway administration: `node dist/gateway/admin.js <command> --org MSP [options]`.
//   create-app --name N [--dept D] [--role department|org-auditor|citizen-agent|auditor|issuer|service-admin] [--identity EXISTING]
//       Registers a new Fabric identity at the org's Fabric CA (as the org's registrar, over Fabric
//       CA's REST API) with role (and dept) ecert attributes and enrolls it, or binds an existing one
//       (--identity); stores the hash of a new API key and prints the key ONCE.
//   disable-app --name N
//       Revokes the app's identity everywhere (unless another app still uses it) with the operator's
//       `network:revoke` (CA revoke + gencrl, the CRL into the org's MSP, every peer waited for),
//       then disables the app's API key.
//   list-apps | rotate-key --name N
// Common: [--topology FILE] [--db FILE] [--json]
import { Role } from '../chaincode/model/vocabulary';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { registerAndEnroll } from '../network/client/ca-identities';
import { findOrg, loadTopology, type Topology } from '../network/client/topology';
import { AppStore, APP_NAME_PATTERN, type App } from './auth/store';
import { databaseOf, loadConfig } from './config';
import { openStore } from './store/open';
import { identityExists } from './fabric/identities';
import type { HsmConfig } from '../network/client/hsm';

/** The `role` attribute values the chaincode knows (one list: chaincode/model/vocabulary.ts). */
const ROLES: readonly string[] = Object.values(Role);
const DEPT = /^[a-z0-9][a-z0-9-]{0,63}$/;

export class AdminError extends Error {
    constructor(code: string, message: string) {
        super(`${code}: ${message}`);
        this.name = 'AdminError';
    }
}

export interface ProvisionRequest {
    topology: Topology;
    /** The gateway's SQLite file, or the postgres:// URL its replicas share (config.ts databaseOf). */
    databaseFile: string;
    mspId: string;
    name: string;
    role?: string;
    dept?: string;
    /** Bind this existing identity (users/<identity>@<domain>) instead of enrolling a new one. */
    identity?: string;
    /** Make the new identity's key in this PKCS#11 token (the CSR is signed there; the gateway signs with it). */
    hsm?: HsmConfig;
}

/** Creates an app: its own Fabric identity (enrolled unless given) and an API key, returned once. */
export async function provisionApp(req: ProvisionRequest): Promise<{ app: App; apiKey: string; enrolled: boolean }> {
    findOrg(req.topology, req.mspId);
    if (!APP_NAME_PATTERN.test(req.name)) throw new AdminError('APP_NAME_INVALID', `--name must match ${APP_NAME_PATTERN.source}`);
    const role = req.role ?? 'department';
    if (!(ROLES as readonly string[]).includes(role)) throw new AdminError('ROLE_INVALID', `--role must be one of ${ROLES.join(', ')}`);
    if (role === 'department' && !req.dept) throw new AdminError('DEPT_REQUIRED', 'a department app needs --dept (e.g. welfare)');
    if (req.dept && !DEPT.test(req.dept)) throw new AdminError('DEPT_INVALID', `--dept must match ${DEPT.source}`);
    const db = await openStore(req.databaseFile);
    try {
        const store = new AppStore(db);
        if ((await store.list()).some((a) => a.name === req.name))
            throw new AdminError('APP_EXISTS', `an app named ${req.name} exists (rotate-key gives it a new key)`);
        let identity = req.identity;
        let enrolled = false;
        if (identity) {
            if (!identityExists(req.topology, req.mspId, identity))
                throw new AdminError('IDENTITY_NOT_FOUND', `no identity ${identity} in ${req.mspId}`);
        } else {
            identity = req.name;
            const attrs: Record<string, string> = { role, ...(req.dept ? { dept: req.dept } : {}) };
            // reuse: a re-run after a failure between enrollment and key creation does not fail.
            await registerAndEnroll(req.topology, { mspId: req.mspId, name: identity, attrs, reuse: true, hsm: req.hsm });
            enrolled = true;
        }
        const { app, apiKey } = await store.create({ name: req.name, mspId: req.mspId, identity, role, dept: req.dept });
        return { app, apiKey, enrolled };
    } finally {
        await db.close();
    }
}

/** What `network:revoke --json` answers (network/commands/revoke.ts RevokeResult). */
export interface NetworkRevocation {
    /** When network:revoke started (ms since the epoch). */
    startedAt: number;
    revokedCertificates?: number;
    serials: string[];
    configBlock: number;
    alreadyInForce: boolean;
    appliedAfterMs: Record<string, number>;
    totalMs: number;
}

/** The operator's command line (network/commands/cli.ts), run as a program: the gateway imports no network tooling. */
const NETWORK_CLI = path.join(__dirname, '..', 'network', 'commands', 'cli.js');

/**
 * Runs `network:revoke --org MSP --name ID --json` on the gateway's state folder; undefined when
 * the CA never registered the identity. With `fabric`, as `network:revoke -- --fabric` (the CA
 * step by fabric-ca-client); without, the CA is asked over Fabric CA's REST API, which a real
 * Fabric CA answers too.
 */
export function networkRevoke(topology: Topology, mspId: string, identity: string, fabric = false): Promise<NetworkRevocation | undefined> {
    const env = { ...process.env };
    // The child reads the same state folder as this process (--fabric: the topology's Fabric folder).
    if (fabric) delete env.DEVNET_STATE_DIR;
    else env.DEVNET_STATE_DIR = topology.stateDir;
    const args = [NETWORK_CLI, 'revoke', '--org', mspId, '--name', identity, '--json', '--topology', topology.file];
    if (fabric) args.push('--fabric');
    return new Promise((resolve, reject) => {
        execFile(process.execPath, args, { env, timeout: 180_000, encoding: 'utf8' }, (err, stdout, stderr) => {
            if (!err) return resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as NetworkRevocation);
            const reason = stderr.trim() || err.message;
            if (reason.startsWith('IDENTITY_UNKNOWN')) return resolve(undefined);
            reject(new AdminError('REVOKE_FAILED', `network:revoke of ${identity} (${mspId}) failed, the app is still enabled: ${reason}`));
        });
    });
}

/**
 * Disables an app: first its identity is revoked everywhere with `network:revoke` (at the org's
 * CA: every certificate, no more enrollments; then the CA's CRL in the org's MSP in the channel
 * config, in force on every peer and the orderer), unless another active app signs with it; then
 * its API key stops working. If a step fails, the app stays enabled and the command can be rerun.
 */
export async function disableApp(
    topology: Topology,
    databaseFile: string,
    name: string,
    opts: { fabric?: boolean } = {},
): Promise<{ identity: string; registered: boolean; revoked: number; sharedWith: string[]; network?: NetworkRevocation }> {
    const db = await openStore(databaseFile);
    try {
        const store = new AppStore(db);
        const apps = await store.list();
        const app = apps.find((a) => a.name === name);
        if (!app) throw new AdminError('APP_NOT_FOUND', `no active app named ${name}`);
        const sharedWith = apps.filter((a) => a.name !== name && a.identity === app.identity).map((a) => a.name);
        let r: { registered: boolean; revoked: number; network?: NetworkRevocation } = { registered: true, revoked: 0 };
        if (sharedWith.length === 0) {
            const network = await networkRevoke(topology, app.mspId, app.identity, opts.fabric);
            r = network ? { registered: true, revoked: network.revokedCertificates ?? 0, network } : { registered: false, revoked: 0 };
        }
        await store.disable(name);
        return { identity: app.identity, ...r, sharedWith };
    } finally {
        await db.close();
    }
}

function parse(argv: string[]): { command: string; flags: Record<string, string | true> } {
    const [command = 'help', ...rest] = argv;
    const flags: Record<string, string | true> = {};
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (!a.startsWith('--')) throw new AdminError('USAGE', `unexpected argument ${a}`);
        const next = rest[i + 1];
        if (next === undefined || next.startsWith('--')) flags[a.slice(2)] = true;
        else flags[a.slice(2)] = rest[++i];
    }
    return { command, flags };
}

function requireHsm(hsm: HsmConfig | undefined): HsmConfig {
    if (!hsm)
        throw new AdminError(
            'USAGE',
            '--hsm needs GATEWAY_HSM_LIBRARY, GATEWAY_HSM_LABEL and GATEWAY_HSM_PIN (the token the gateway signs with)',
        );
    return hsm;
}

const USAGE = `usage: npm run -s gateway:admin -- <command> --org MSP [--topology FILE] [--db FILE] [--json | --key-only]
  create-app  --name NAME [--dept DEPT] [--role ${ROLES.join('|')}] [--identity EXISTING | --hsm]
              (--hsm: the key made in the GATEWAY_HSM_* token, never on disk)
  list-apps
  rotate-key  --name NAME
  disable-app --name NAME [--fabric]    (revokes with network:revoke; --fabric: its CA step by fabric-ca-client)
--key-only prints the new API key alone: KEY=$(npm run -s gateway:admin -- create-app ... --key-only)`;

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<void> {
    const { command, flags } = parse(argv);
    if (command === 'help' || flags.help) return out(USAGE);
    const str = (k: string): string | undefined => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
    const org = str('org');
    if (!org) throw new AdminError('USAGE', `--org is required\n${USAGE}`);
    const cfg = loadConfig({ org, topologyFile: str('topology'), databaseFile: str('db') });
    const topology = loadTopology(cfg.topology.file);
    const json = flags.json === true;
    switch (command) {
        case 'create-app': {
            const name = str('name');
            if (!name) throw new AdminError('USAGE', '--name is required');
            const r = await provisionApp({
                topology,
                databaseFile: databaseOf(cfg),
                mspId: org,
                name,
                role: str('role'),
                dept: str('dept'),
                identity: str('identity'),
                hsm: flags.hsm === true ? requireHsm(cfg.hsm) : undefined,
            });
            if (json) return out(JSON.stringify({ ...r.app, apiKey: r.apiKey }));
            if (flags['key-only']) return out(r.apiKey);
            out(
                `created app ${r.app.name} of ${org}: Fabric identity ${r.app.identity}${r.enrolled ? ' (enrolled)' : ''}, role ${r.app.role}${r.app.dept ? `, dept ${r.app.dept}` : ''}`,
            );
            out(`API key (shown once, store it now): ${r.apiKey}`);
            return;
        }
        case 'list-apps': {
            const db = await openStore(databaseOf(cfg));
            try {
                const apps = await new AppStore(db).list();
                return out(
                    json
                        ? JSON.stringify(apps)
                        : apps.map((a) => `${a.name}\t${a.identity}\t${a.role}\t${a.dept ?? ''}\t${a.createdAt}`).join('\n') || '(no apps)',
                );
            } finally {
                await db.close();
            }
        }
        case 'disable-app': {
            const name = str('name');
            if (!name) throw new AdminError('USAGE', '--name is required');
            const r = await disableApp(topology, databaseOf(cfg), name, { fabric: flags.fabric === true });
            if (json) return out(JSON.stringify({ name, ...r }));
            out(`disabled app ${name}`);
            if (r.sharedWith.length > 0) out(`identity ${r.identity} kept: still used by ${r.sharedWith.join(', ')}`);
            else if (!r.registered) out(`identity ${r.identity} is not registered at the CA (made with the network): nothing revoked`);
            else {
                out(`revoked identity ${r.identity} at the CA of ${org} (${r.revoked} certificate(s))`);
                if (r.network)
                    out(
                        `its CRL is in ${org}'s MSP from config block ${r.network.configBlock}, in force on every peer ${r.network.totalMs} ms after network:revoke started`,
                    );
            }
            return;
        }
        case 'rotate-key': {
            const name = str('name');
            if (!name) throw new AdminError('USAGE', '--name is required');
            const db = await openStore(databaseOf(cfg));
            try {
                const store = new AppStore(db);
                const key = await store.rotateKey(name);
                if (flags['key-only']) return out(key);
                return out(json ? JSON.stringify({ name, apiKey: key }) : `new API key of ${name} (shown once): ${key}`);
            } finally {
                await db.close();
            }
        }
        default:
            throw new AdminError('USAGE', `unknown command ${command}\n${USAGE}`);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((err) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
    });
}
