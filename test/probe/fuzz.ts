// The roles a schema-driven fuzz runs as on each gateway, the checks that fail it, and (run as a
// program) a longer fuzz than `npm test` runs: every role, both modes, more examples per operation.
// Run: npm run fuzz:gateways -- [--examples 50] [--seed 1] [--topology FILE]
//      (brings up the shifted test devnet and stops it; --topology FILE fuzzes a running network)
import * as path from 'node:path';
import { DeviceKey } from '../../gateway/citizen/device';
import { cardIssueBody, ensureApp } from '../../scripts/demo';
import { findOrg, loadTopology, type Topology } from '../../network/client/topology';
import { closeConnections, peerChainInfo } from '../e2e/helpers';
import { runOnTestNetwork, testNetwork } from '../e2e/network';
import { describeResult, ensureSchemathesis, runFuzz, type FuzzResult, type FuzzRun } from './schemathesis';

/** Who is fuzzed: a gateway, the operations its credentials may call, and how to get credentials. */
export interface FuzzRole {
    label: string;
    mspId: string;
    includePath: string;
    /** Fresh credentials (headers) of this role: each run its own, so that rate limits are per run. */
    credentials(t: Topology, name: string): Promise<Record<string, string>>;
}

export const gatewayUrl = (t: Topology, mspId: string) => {
    const g = findOrg(t, mspId).gateway;
    return `http://${g.host}:${g.port}`;
};

const apiKeyOf = async (t: Topology, mspId: string, name: string, opts: { identity?: string; role: string; dept?: string }) =>
    (await ensureApp(t, mspId, name, opts)).apiKey;

const postJson = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** The session cookie a sign-in answer sets (name=value). */
async function sessionCookie(res: Response, what: string): Promise<string> {
    if (res.status !== 201) throw new Error(`${what} sign-in answered ${res.status}: ${await res.text()}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

/**
 * Every role on its own org's gateway: department, issuer, service-admin and auditor apps by API
 * key (the /v1 routes), and the two web UIs by session cookie (their /{ui}/api/v1 routes).
 */
export const FUZZ_ROLES: FuzzRole[] = [
    {
        label: 'MOHW department (welfare)',
        mspId: 'MOHWMSP',
        includePath: '^/v1/',
        credentials: async (t, name) => ({
            Authorization: `Bearer ${await apiKeyOf(t, 'MOHWMSP', name, { role: 'department', dept: 'welfare' })}`,
        }),
    },
    {
        label: 'Seoul issuer',
        mspId: 'SeoulMSP',
        includePath: '^/v1/',
        credentials: async (t, name) => ({
            Authorization: `Bearer ${await apiKeyOf(t, 'SeoulMSP', name, { identity: 'issuer1', role: 'issuer' })}`,
        }),
    },
    {
        label: 'MOIS service-admin',
        mspId: 'MOISMSP',
        includePath: '^/v1/',
        credentials: async (t, name) => ({
            Authorization: `Bearer ${await apiKeyOf(t, 'MOISMSP', name, { identity: 'service-admin1', role: 'service-admin' })}`,
        }),
    },
    {
        label: 'Audit auditor',
        mspId: 'AuditMSP',
        includePath: '^/v1/',
        credentials: async (t, name) => ({
            Authorization: `Bearer ${await apiKeyOf(t, 'AuditMSP', name, { identity: 'auditor1', role: 'auditor' })}`,
        }),
    },
    {
        label: 'audit console session',
        mspId: 'AuditMSP',
        includePath: '^/console/api/v1/',
        async credentials(t, name) {
            // An auditor's API key exchanged for a session.
            const apiKey = await apiKeyOf(t, 'AuditMSP', name, { identity: 'auditor1', role: 'auditor' });
            return { Cookie: await sessionCookie(await postJson(`${gatewayUrl(t, 'AuditMSP')}/console/api/session`, { apiKey }), 'console') };
        },
    },
    {
        label: 'citizen tracker session',
        mspId: 'SeoulMSP',
        includePath: '^/tracker/api/v1/',
        async credentials(t, name) {
            // A citizen's card, and its device signing the gateway's challenge.
            const issuer = await ensureApp(t, 'SeoulMSP', 'e2e-fuzz-card-issuer', { identity: 'issuer1', role: 'issuer' });
            issuer.verbose = false;
            const device = DeviceKey.generate();
            const cardId = `card-${name}`;
            await issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(cardId, device.publicKeyBase64()) }, 201);
            const seoul = gatewayUrl(t, 'SeoulMSP');
            const c = (await (await postJson(`${seoul}/tracker/api/session/challenge`, { cardId })).json()) as {
                challenge: string;
                verifierMspId: string;
            };
            const signed = device.signChallenge(cardId, c.challenge, c.verifierMspId);
            return { Cookie: await sessionCookie(await postJson(`${seoul}/tracker/api/session`, signed), 'tracker') };
        },
    },
];

/**
 * What fails a run: every check that failed. The fuzzer's own errors are printed, not counted: a
 * health check (an operation without parameters has no invalid input to generate) or a Python
 * error inside its generator (CPython 3.11's "AST constructor recursion depth mismatch", which
 * Hypothesis reports as a FlakyFailure of generation), neither of them an answer of the gateway.
 */
export function findings(result: FuzzResult): string[] {
    return result.failures.map((f) => `${f.code} ${f.operation}: ${f.message.split('\n')[0]}`);
}

export const STREAM_PATHS = '/access-log/stream$';

/** Every peer's height and last block hash: a negative run must leave all of them as they were. */
export async function ledgerDigest(t: Topology): Promise<string> {
    const parts: string[] = [];
    for (const org of t.orgs) {
        const info = await peerChainInfo(t, org.mspId);
        parts.push(`${org.mspId}:${info.height}:${info.currentBlockHash.slice(0, 16)}`);
    }
    return parts.join(' ');
}


/** One role in one mode: fresh credentials, the fuzz, and (negative mode) every peer's ledger before and after. */
export async function fuzzRole(
    bin: string,
    t: Topology,
    role: FuzzRole,
    mode: FuzzRun['mode'],
    opts: { run: string; maxExamples: number; seed: number },
): Promise<{ result: FuzzResult; findings: string[] }> {
    const name = `e2e-fuzz-${role.label.replace(/\W+/g, '-').toLowerCase()}-${mode}-${opts.run}`;
    // Credentials first: the tracker's are a card issued for the run, two transactions.
    const headers = await role.credentials(t, name);
    const before = mode === 'negative' ? await ledgerDigest(t) : undefined;
    const result = await runFuzz(bin, {
        label: `${role.label} (${mode})`,
        spec: `${gatewayUrl(t, role.mspId)}/openapi.json`,
        headers,
        mode,
        includePath: role.includePath,
        excludePath: STREAM_PATHS,
        maxExamples: opts.maxExamples,
        seed: opts.seed,
        timeoutMs: 150_000 + opts.maxExamples * 20_000,
        reportDir: path.join(t.stateDir, 'fuzz', name),
    });
    const found = findings(result);
    if (result.requests === 0) found.push('no request was sent');
    if (before !== undefined) {
        const after = await ledgerDigest(t);
        if (after !== before) found.push(`the ledger changed during a negative run: ${before} -> ${after}`);
    }
    return { result, findings: found };
}

function flag(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

async function main(): Promise<void> {
    const maxExamples = Number(flag('examples', '50'));
    const seed = Number(flag('seed', '1'));
    if (!Number.isInteger(maxExamples) || maxExamples < 1 || !Number.isInteger(seed)) throw new Error('--examples and --seed are integers');
    const installed = ensureSchemathesis((line) => console.log(line));
    if ('notRun' in installed) throw new Error(`FUZZ_NOT_RUN: ${installed.notRun}`);
    const file = flag('topology', '');
    const t = file ? loadTopology(file) : (await testNetwork()).topology;
    const run = Date.now().toString(36);
    let requests = 0;
    const failed: string[] = [];
    try {
        for (const role of FUZZ_ROLES) {
            for (const mode of ['positive', 'negative'] as const) {
                const { result, findings: found } = await fuzzRole(installed.bin, t, role, mode, { run, maxExamples, seed });
                requests += result.requests;
                console.log(describeResult(result));
                failed.push(...found.map((f) => `${result.label}: ${f}`));
            }
        }
    } finally {
        closeConnections();
    }
    console.log(`\n${requests} requests, ${failed.length} findings (examples per operation ${maxExamples}, seed ${seed})`);
    if (failed.length) throw new Error(`FUZZ_FINDINGS:\n${failed.join('\n')}`);
}

if (require.main === module) runOnTestNetwork(main);
