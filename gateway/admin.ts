// Gateway administration: `node dist/gateway/admin.js <command> --org MSP [options]`.
//   create-app --name N [--dept D] [--role department|org-auditor|citizen-agent|auditor|issuer|service-admin] [--identity EXISTING]
//       Enrolls a new Fabric identity from the org's CA with role (and dept) attributes, or binds an
//       existing one (--identity), stores the hash of a new API key and prints the key ONCE.
//   list-apps | rotate-key --name N | disable-app --name N
// Common: [--topology FILE] [--db FILE] [--json]
import { Role } from '../chaincode/model/vocabulary';
import { enroll } from '../network/msp/ca';
import { findOrg, loadTopology, type Topology } from '../network/topology';
import { AppStore, APP_NAME_PATTERN, type App } from './auth/store';
import { loadConfig } from './config';
import { openDb } from './db';
import { identityExists } from './fabric/identities';

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
    databaseFile: string;
    mspId: string;
    name: string;
    role?: string;
    dept?: string;
    /** Bind this existing identity (users/<identity>@<domain>) instead of enrolling a new one. */
    identity?: string;
}

/** Creates an app: its own Fabric identity (enrolled unless given) and an API key, returned once. */
export async function provisionApp(req: ProvisionRequest): Promise<{ app: App; apiKey: string; enrolled: boolean }> {
    findOrg(req.topology, req.mspId);
    if (!APP_NAME_PATTERN.test(req.name)) throw new AdminError('APP_NAME_INVALID', `--name must match ${APP_NAME_PATTERN.source}`);
    const role = req.role ?? 'department';
    if (!(ROLES as readonly string[]).includes(role)) throw new AdminError('ROLE_INVALID', `--role must be one of ${ROLES.join(', ')}`);
    if (role === 'department' && !req.dept) throw new AdminError('DEPT_REQUIRED', 'a department app needs --dept (e.g. welfare)');
    if (req.dept && !DEPT.test(req.dept)) throw new AdminError('DEPT_INVALID', `--dept must match ${DEPT.source}`);
    const db = openDb(req.databaseFile);
    try {
        const store = new AppStore(db);
        if (store.list().some((a) => a.name === req.name))
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
            await enroll(req.topology, { mspId: req.mspId, name: identity, attrs, reuse: true });
            enrolled = true;
        }
        const { app, apiKey } = store.create({ name: req.name, mspId: req.mspId, identity, role, dept: req.dept });
        return { app, apiKey, enrolled };
    } finally {
        db.close();
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

const USAGE = `usage: node dist/gateway/admin.js <command> --org MSP [--topology FILE] [--db FILE] [--json]
  create-app  --name NAME [--dept DEPT] [--role ${ROLES.join('|')}] [--identity EXISTING]
  list-apps
  rotate-key  --name NAME
  disable-app --name NAME`;

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
                databaseFile: cfg.databaseFile,
                mspId: org,
                name,
                role: str('role'),
                dept: str('dept'),
                identity: str('identity'),
            });
            if (json) return out(JSON.stringify({ ...r.app, apiKey: r.apiKey }));
            out(
                `created app ${r.app.name} of ${org}: Fabric identity ${r.app.identity}${r.enrolled ? ' (enrolled)' : ''}, role ${r.app.role}${r.app.dept ? `, dept ${r.app.dept}` : ''}`,
            );
            out(`API key (shown once, store it now): ${r.apiKey}`);
            return;
        }
        case 'list-apps': {
            const db = openDb(cfg.databaseFile);
            try {
                const apps = new AppStore(db).list();
                return out(
                    json
                        ? JSON.stringify(apps)
                        : apps.map((a) => `${a.name}\t${a.identity}\t${a.role}\t${a.dept ?? ''}\t${a.createdAt}`).join('\n') || '(no apps)',
                );
            } finally {
                db.close();
            }
        }
        case 'rotate-key':
        case 'disable-app': {
            const name = str('name');
            if (!name) throw new AdminError('USAGE', '--name is required');
            const db = openDb(cfg.databaseFile);
            try {
                const store = new AppStore(db);
                if (command === 'rotate-key') {
                    const key = store.rotateKey(name);
                    return out(json ? JSON.stringify({ name, apiKey: key }) : `new API key of ${name} (shown once): ${key}`);
                }
                store.disable(name);
                return out(`disabled app ${name}`);
            } finally {
                db.close();
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
