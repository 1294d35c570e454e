// The network across hosts (issue 19): one Linux network namespace per org, each with its own state
// folder and its own machine name, the org's commands run inside it, and only public files carried
// between their folders. The channel is founded with the per-org commands, the citizen journey runs
// with each app calling its own org's gateway from its own host, no org holds another's key, MOHW
// (a Raft consenter on Fabric, no devnet orderer) is cut off for 20 s under load and catches up,
// and a fifth ministry joins from a host of its own. On the devnet by default, on real Fabric with
// test:fabric. Without root or `ip` it reports that it did not run.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { DeviceKey } from '../../gateway/citizen/device';
import { DEFAULT_TOPOLOGY, REPO_ROOT } from '../../network/client/topology';
import { cardIssueBody } from '../../scripts/demo';
import { type Answer, type LoadRequest } from '../hosts/client';
import { carry, type Host, inHost, makeHosts, removeHosts, type Run, setLink, startInHost, whyNoHosts } from '../hosts/hosts';
import { notRun } from '../not-run';
import { NETWORK, NETWORK_LABEL } from './network';

interface OrgHost extends Host {
    mspId: string;
    domain: string;
    /** This org's machine: its topology file, its state folder, the files it received. */
    dir: string;
    topology: string;
}

const NODE = process.execPath;
const dist = (...p: string[]) => path.join(REPO_ROOT, 'dist', ...p);
const WORK = path.join(REPO_ROOT, '.devnet-test-hosts');
const FABRIC = NETWORK === 'fabric';
const say = (line: string) => process.stdout.write(`      ${line}\n`);
const ms = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** The shared topology with every node of an org on its machine's name, and this machine's own state folder. */
function orgTopology(base: Record<string, unknown>, dir: string): Record<string, unknown> {
    const doc = structuredClone(base) as {
        orgs: { domain: string; peer: { host: string }; gateway: { host: string }; ca: { host: string }; mspId: string }[];
        orderer: { nodes: { operatedBy: string; host: string }[] };
        [k: string]: unknown;
    };
    for (const org of doc.orgs) for (const node of [org.peer, org.gateway, org.ca]) node.host = org.domain;
    for (const n of doc.orderer.nodes) n.host = doc.orgs.find((o) => o.mspId === n.operatedBy)!.domain;
    // One state folder per machine, for both networks (the Fabric tooling and the gateways read the same).
    doc.stateDir = path.join(dir, 'state');
    doc.fabricStateDir = path.join(dir, 'state');
    return doc;
}

describe(`the network across hosts, one network namespace per org, on ${NETWORK_LABEL}`, function () {
    this.timeout(FABRIC ? 1_800_000 : 900_000);
    const base = YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8')) as Record<string, unknown> & {
        orgs: { mspId: string; domain: string; gateway: { port: number } }[];
    };
    const orgs = base.orgs.map((o) => ({ mspId: o.mspId, domain: o.domain, short: o.domain.split('.')[0] }));
    const mole = { mspId: 'MOLEMSP', domain: 'mole.example.gov', short: 'mole', name: 'Ministry of Employment and Labor' };
    let hosts: OrgHost[] = [];
    let moleHost: Host;
    const bundles: Record<string, string> = {};
    const fingerprints: Record<string, string> = {};
    const host = (mspId: string) => hosts.find((h) => h.mspId === mspId)!;
    /** The org's gateway as its own apps reach it: its machine's name and the port in its topology file. */
    const gatewayUrl = (h: OrgHost) => {
        const t = YAML.parse(fs.readFileSync(h.topology, 'utf8')) as { orgs: { mspId: string; gateway: { port: number } }[] };
        return `http://${h.hostname}:${t.orgs.find((o) => o.mspId === h.mspId)!.gateway.port}`;
    };
    const keys: Record<string, string> = {};
    const figures: string[] = [];

    /** One of the network's commands, run by an org on its own host. */
    const cli = async (h: OrgHost, timeoutMs: number, ...args: string[]): Promise<string> => {
        const r = await inHost(h, timeoutMs, NODE, [
            dist('network', 'commands', 'cli.js'),
            ...args,
            '--topology',
            h.topology,
            ...(FABRIC ? ['--fabric'] : []),
        ]);
        expect(r.code, `${h.name}: ${args.join(' ')}\n${r.output.slice(-3000)}`).to.equal(0);
        return r.output;
    };
    /** An app of the org, enrolled at its own CA from its own host; its API key. */
    const app = async (h: OrgHost, name: string, ...opts: string[]): Promise<string> => {
        const r = await inHost(h, 120_000, NODE, [
            dist('gateway', 'admin.js'),
            'create-app',
            '--org',
            h.mspId,
            '--name',
            name,
            ...opts,
            '--key-only',
            '--topology',
            h.topology,
        ]);
        expect(r.code, `${h.name}: create-app ${name}\n${r.output.slice(-2000)}`).to.equal(0);
        return r.output.trim().split('\n').pop()!.trim();
    };
    /** An HTTP call from the org's own host to its own gateway. */
    const call = async (
        h: OrgHost,
        method: 'GET' | 'POST',
        route: string,
        key: string,
        body?: unknown,
        timeoutMs = 90_000,
    ): Promise<Answer> => {
        const spec = {
            method,
            url: `${gatewayUrl(h)}${route}`,
            key,
            body,
            idempotencyKey: method === 'POST' ? crypto.randomUUID() : undefined,
            timeoutMs: timeoutMs - 5_000,
        };
        const r: Run = await inHost(h, timeoutMs, NODE, [dist('test', 'hosts', 'client.js'), 'call', JSON.stringify(spec)]);
        expect(r.code, r.output).to.equal(0);
        return JSON.parse(r.output.trim().split('\n').pop()!) as Answer;
    };
    const ok = <T>(a: Answer, status: number, what: string): T => {
        expect(a.status, `${what}: ${JSON.stringify(a.body).slice(0, 600)}`).to.equal(status);
        return a.body as T;
    };
    /** Carries a public file from one org's machine to another's (refused if it holds a private key). */
    const send = (from: OrgHost, file: string, to: OrgHost): string => {
        if (!path.resolve(file).startsWith(from.dir + path.sep)) throw new Error(`${file} is not on ${from.name}'s machine`);
        const target = path.join(to.dir, 'received', path.basename(file));
        carry(file, target);
        return target;
    };

    before(async function () {
        const why = whyNoHosts();
        if (why) notRun(this, why);
        fs.rmSync(WORK, { recursive: true, force: true });
        const made = makeHosts(Object.fromEntries([...orgs, mole].map((o) => [o.short, o.domain])));
        moleHost = made.find((h) => h.name === mole.short)!;
        hosts = made
            .filter((h) => h.name !== mole.short)
            .map((h) => {
                const o = orgs.find((x) => x.short === h.name)!;
                const dir = path.join(WORK, h.name);
                fs.mkdirSync(dir, { recursive: true });
                const topology = path.join(dir, 'topology.yaml');
                fs.writeFileSync(topology, YAML.stringify(orgTopology(base, dir)));
                return { ...h, mspId: o.mspId, domain: o.domain, dir, topology };
            });
    });

    after(async function () {
        this.timeout(300_000);
        for (const h of [...hosts].reverse()) {
            await inHost(h, 120_000, NODE, [
                dist('network', 'commands', 'cli.js'),
                'down',
                '--topology',
                h.topology,
                ...(FABRIC ? ['--fabric'] : []),
            ]).catch(() => undefined);
        }
        removeHosts();
        if (figures.length) for (const f of figures) say(f);
    });

    it('Given each org on its own host, When it inits its identities, exports its bundle, imports the others checked by fingerprint, and the creator founds the channel, Then each org starts only its own nodes and the chaincode is committed', async () => {
        const started = Date.now();
        for (const h of hosts) {
            await cli(h, 300_000, 'org-init', '--org', h.mspId);
            const bundle = path.join(h.dir, `${h.name}.bundle.json`);
            const out = await cli(h, 60_000, 'org-export', '--org', h.mspId, '--out', bundle);
            fingerprints[h.mspId] = /fingerprint[^\n]*\n\s+([0-9a-f:]{79})/.exec(out)![1];
            bundles[h.mspId] = bundle;
        }
        // Every org takes every other org's bundle, with the fingerprint it was told by another way.
        for (const h of hosts) {
            for (const other of hosts.filter((o) => o !== h)) {
                await cli(
                    h,
                    60_000,
                    'org-import',
                    '--bundle',
                    send(other, bundles[other.mspId], h),
                    '--fingerprint',
                    fingerprints[other.mspId],
                );
            }
        }
        // A forged bundle (MOIS's CA certificate under Seoul's name) is refused by its fingerprint.
        const forged = JSON.parse(fs.readFileSync(bundles.SeoulMSP, 'utf8'));
        const caOf = (b: { files: Record<string, string> }) => Object.keys(b.files).find((f) => f.startsWith('msp/cacerts/'))!;
        forged.files[caOf(forged)] = JSON.parse(fs.readFileSync(bundles.MOISMSP, 'utf8')).files[
            caOf(JSON.parse(fs.readFileSync(bundles.MOISMSP, 'utf8')))
        ];
        const forgedFile = path.join(WORK, 'forged.bundle.json');
        fs.writeFileSync(forgedFile, JSON.stringify(forged));
        const refused = await inHost(host('AuditMSP'), 60_000, NODE, [
            dist('network', 'commands', 'cli.js'),
            'org-import',
            '--bundle',
            forgedFile,
            '--fingerprint',
            fingerprints.SeoulMSP,
            '--topology',
            host('AuditMSP').topology,
        ]);
        expect(refused.code).to.not.equal(0);
        expect(refused.output).to.match(/BUNDLE_FINGERPRINT_MISMATCH|BUNDLE_CONFLICT/);

        const seoul = host('SeoulMSP');
        const genesis = path.join(seoul.dir, 'citizencards.block');
        const created = await cli(seoul, 300_000, 'channel-create', '--out', genesis);
        const genesisFingerprint = /\n\s+([0-9a-f:]{79})/.exec(created)![1];
        // Each org on its own machine at about the same time, with the block it was sent: each org-up
        // waits until the ordering service answers (on Fabric, Raft needs two of its three nodes).
        const received = hosts.map((h) => send(seoul, genesis, h));
        await Promise.all(
            hosts.map((h, i) =>
                cli(
                    h,
                    FABRIC ? 900_000 : 300_000,
                    'org-up',
                    '--org',
                    h.mspId,
                    '--genesis',
                    received[i],
                    '--fingerprint',
                    genesisFingerprint,
                ),
            ),
        );
        figures.push(`founding across ${hosts.length} hosts: ${ms(started)} (org-init, export, import, channel-create, org-up on each)`);
        for (const h of hosts) {
            const status = await cli(h, 60_000, 'status', '--org', h.mspId);
            expect(status).to.not.match(/DOWN|UNREACHABLE/);
        }
    });

    it('Given every org running, Then no org’s state folder holds a private key of another org', () => {
        // Each org's identities: the public keys of the certificates in its own folder on its own host.
        const own = new Map<string, Set<string>>();
        const pems = (dir: string, re: RegExp): { file: string; pem: string }[] => {
            const out: { file: string; pem: string }[] = [];
            const walk = (d: string) => {
                for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                    const p = path.join(d, e.name);
                    if (e.isDirectory()) walk(p);
                    else if (e.isFile() && fs.statSync(p).size < 1_000_000) {
                        for (const m of fs.readFileSync(p, 'latin1').matchAll(re)) out.push({ file: p, pem: m[0] });
                    }
                }
            };
            walk(dir);
            return out;
        };
        const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('hex');
        /** A PEM private key; Fabric CA's Idemix revocation key is SEC1 DER under a PKCS #8 label. */
        const privateKey = (text: string): crypto.KeyObject => {
            // A key inside JSON (the peer's built connection.json on Fabric) has its newlines escaped.
            const pem = text.replace(/\\n/g, '\n');
            try {
                return crypto.createPrivateKey(pem);
            } catch {
                const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
                return crypto.createPrivateKey({ key: der, format: 'der', type: 'sec1' });
            }
        };
        for (const h of hosts) {
            const keys = new Set<string>();
            for (const { pem } of pems(
                path.join(h.dir, 'state', 'organizations', 'peerOrganizations', h.domain),
                /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
            )) {
                keys.add(spki(new crypto.X509Certificate(pem).publicKey));
            }
            own.set(h.mspId, keys);
        }
        let scanned = 0;
        for (const h of hosts) {
            for (const { file, pem } of pems(h.dir, /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/g)) {
                scanned++;
                const pub = spki(crypto.createPublicKey(privateKey(pem)));
                for (const other of hosts.filter((o) => o !== h)) {
                    expect(own.get(other.mspId)!.has(pub), `${file} on ${h.name}'s host is a key of ${other.mspId}`).to.equal(false);
                }
            }
        }
        expect(scanned, 'private keys found and checked').to.be.greaterThan(hosts.length * 5);
        figures.push(`private keys scanned on the ${hosts.length} hosts: ${scanned}, none of another org`);
    });

    it('Given apps each calling only its own org’s gateway from its own host, Then the citizen journey runs: issue, service, consent, granted access, the citizen’s log, the auditor’s history', async () => {
        const [seoul, mois, mohw, audit] = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'].map(host);
        keys.issuer = await app(seoul, 'hosts-issuer', '--identity', 'issuer1', '--role', 'issuer');
        keys.citizen = await app(seoul, 'hosts-citizen', '--identity', 'citizen-agent', '--role', 'citizen-agent');
        keys.sadmin = await app(mois, 'hosts-sadmin', '--identity', 'service-admin1', '--role', 'service-admin');
        keys.welfare = await app(mohw, 'hosts-welfare', '--role', 'department', '--dept', 'welfare');
        keys.auditor = await app(audit, 'hosts-auditor', '--identity', 'auditor1', '--role', 'auditor');
        const device = DeviceKey.generate();
        const cardId = 'card-hosts-1';
        ok(await call(seoul, 'POST', '/v1/cards', keys.issuer, cardIssueBody(cardId, device.publicKeyBase64())), 201, 'issue');
        const serviceId = 'svc-hosts-welfare';
        const purpose = 'welfare eligibility across hosts';
        ok(
            await call(mois, 'POST', '/v1/services', keys.sadmin, {
                serviceId,
                ownerMspId: 'MOHWMSP',
                dept: 'welfare',
                name: 'Welfare',
                purpose,
                items: ['name'],
                predicates: [],
            }),
            201,
            'service',
        );
        const receipt = device.consent({ cardId, serviceId, recipientMspId: 'MOHWMSP', purpose, items: ['name'], retentionDays: 30 });
        const consent = ok<{ consent: { consentId: string } }>(
            await call(seoul, 'POST', '/v1/consents', keys.citizen, receipt),
            201,
            'consent',
        );
        const access = ok<{ decision: string; data?: { items: { name?: string } } }>(
            await call(mohw, 'POST', '/v1/access-requests', keys.welfare, {
                cardId,
                serviceId,
                purpose,
                items: ['name'],
                predicates: [],
                consentId: consent.consent.consentId,
            }),
            201,
            'access',
        );
        expect(access.decision).to.equal('GRANTED');
        expect(access.data?.items.name).to.equal('Hong Gildong');
        const log = ok<{ page: { records: { decision: string; callerMspId: string }[] } }>(
            await call(seoul, 'POST', `/v1/cards/${cardId}/access-log/query`, keys.citizen, {
                request: device.accessLogRequest(cardId),
                pageSize: 10,
            }),
            200,
            'citizen log',
        );
        expect(log.page.records.map((r) => [r.callerMspId, r.decision])).to.deep.equal([['MOHWMSP', 'GRANTED']]);
        const history = ok<{ history: { entries: unknown[] } }>(
            await call(audit, 'GET', `/v1/audit/history/card/${cardId}`, keys.auditor),
            200,
            'history',
        );
        expect(history.history.entries.length).to.be.greaterThan(0);
    });

    it('Given a department app of MOHW at work, When MOHW’s IT team disables it on its own host (disable-app runs network:revoke), Then every peer of every host commits the CRL update, its key is refused and MOHW’s other app keeps working', async () => {
        const mohw = host('MOHWMSP');
        const key = await app(mohw, 'hosts-revoked', '--role', 'department', '--dept', 'welfare');
        const route = '/v1/services?ownerMspId=MOHWMSP&pageSize=5';
        ok(await call(mohw, 'GET', route, key), 200, 'before revocation');
        const started = Date.now();
        const r = await inHost(mohw, 240_000, NODE, [
            dist('gateway', 'admin.js'),
            'disable-app',
            '--org',
            'MOHWMSP',
            '--name',
            'hosts-revoked',
            '--json',
            '--topology',
            mohw.topology,
            ...(FABRIC ? ['--fabric'] : []),
        ]);
        expect(r.code, r.output.slice(-3000)).to.equal(0);
        const result = JSON.parse(r.output.trim().split('\n').pop()!) as {
            revoked: number;
            network: { configBlock: number; appliedAfterMs: Record<string, number>; totalMs: number };
        };
        expect(result.revoked).to.equal(1);
        expect(Object.keys(result.network.appliedAfterMs)).to.have.members(orgs.map((o) => `peer0.${o.domain}`));
        figures.push(
            `revocation from MOHW's host: every peer committed config block ${result.network.configBlock} ${result.network.totalMs} ms after network:revoke started; disable-app took ${ms(started)}`,
        );
        expect((await call(mohw, 'GET', route, key)).status).to.equal(401);
        ok(await call(mohw, 'GET', route, keys.welfare), 200, 'the other app');
    });

    it('Given a bounded write load through Seoul’s and MOIS’s gateways, When MOHW’s link is cut for 20 s, Then the others keep committing, MOHW’s gateway answers 503, MOHW catches up, and no transaction is lost or duplicated', async () => {
        const [seoul, mois, mohw, audit] = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'].map(host);
        // Two departments with a legal basis (granted without consent), one in Seoul, one in MOIS.
        const loadCard = 'card-hosts-load';
        ok(
            await call(seoul, 'POST', '/v1/cards', keys.issuer, cardIssueBody(loadCard, DeviceKey.generate().publicKeyBase64())),
            201,
            'load card',
        );
        const services = [
            { mspId: 'SeoulMSP', dept: 'civil-affairs', serviceId: 'svc-hosts-civil' },
            { mspId: 'MOISMSP', dept: 'resident-registration', serviceId: 'svc-hosts-resreg' },
        ];
        const purpose = 'address check under law';
        for (const s of services) {
            ok(
                await call(mois, 'POST', '/v1/services', keys.sadmin, {
                    serviceId: s.serviceId,
                    ownerMspId: s.mspId,
                    dept: s.dept,
                    name: s.dept,
                    purpose,
                    legalBasis: 'Resident Registration Act art. 29',
                    items: ['address'],
                    predicates: [],
                }),
                201,
                `service ${s.serviceId}`,
            );
        }
        const civil = await app(seoul, 'hosts-civil', '--role', 'department', '--dept', 'civil-affairs');
        const resreg = await app(mois, 'hosts-resreg', '--role', 'department', '--dept', 'resident-registration');
        const from = new Date(Date.now() - 60_000).toISOString();
        const loads = [
            { h: seoul, key: civil, service: services[0] },
            { h: mois, key: resreg, service: services[1] },
        ].map(({ h, key, service }) =>
            startInHost(h, NODE, [
                dist('test', 'hosts', 'client.js'),
                'load',
                JSON.stringify({
                    url: `${gatewayUrl(h)}/v1/access-requests`,
                    key,
                    body: { cardId: loadCard, serviceId: service.serviceId, purpose, items: ['address'], predicates: [] },
                    count: 150,
                    ratePerSecond: 4,
                    seconds: 34,
                    settleSeconds: 90,
                }),
            ]),
        );
        await new Promise((r) => setTimeout(r, 5_000));
        const cutAt = Date.now();
        setLink(mohw, false);
        let mohwAnswer: Answer;
        try {
            // The cut org's own gateway: an answer with a code, not a hang.
            mohwAnswer = await call(
                mohw,
                'POST',
                '/v1/access-requests',
                keys.welfare,
                {
                    cardId: loadCard,
                    serviceId: 'svc-hosts-welfare',
                    purpose: 'welfare eligibility across hosts',
                    items: ['name'],
                    predicates: [],
                },
                90_000,
            );
            await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - cutAt))));
        } finally {
            setLink(mohw, true);
        }
        const cutSeconds = (Date.now() - cutAt) / 1000;
        expect(mohwAnswer.status, JSON.stringify(mohwAnswer.body)).to.equal(503);
        expect((mohwAnswer.body as { code: string }).code).to.match(/^[A-Z_]+$/);
        // MOHW's peer catches up once the link is back.
        const back = Date.now();
        let catchUp = 0;
        for (;;) {
            const [s, m] = await Promise.all([call(seoul, 'GET', '/v1/chain', keys.issuer), call(mohw, 'GET', '/v1/chain', keys.welfare)]);
            const height = (a: Answer) => Number((a.body as { chain?: { height: string } }).chain?.height ?? 0);
            if (m.status === 200 && height(m) >= height(s) && height(s) > 0) {
                catchUp = (Date.now() - back) / 1000;
                break;
            }
            if (Date.now() - back > 180_000)
                throw new Error(`MOHW's peer did not catch up in 180 s (MOHW ${height(m)}, Seoul ${height(s)})`);
            await new Promise((r) => setTimeout(r, 500));
        }
        const results = await Promise.all(loads.map((l) => l.done));
        const requests = results.map((r) => {
            expect(r.code, r.output.slice(-2000)).to.equal(0);
            return JSON.parse(r.output.trim().split('\n').pop()!) as LoadRequest[];
        });
        fs.writeFileSync(path.join(WORK, 'load.json'), JSON.stringify(requests, null, 1));
        const to = new Date(Date.now() + 60_000).toISOString();
        // What the ledger holds, read by the auditor from its own host.
        const committed: string[][] = [];
        for (const s of services) {
            const ids: string[] = [];
            let bookmark = '';
            do {
                const q = `/v1/audit/access?mspId=${s.mspId}&dept=${s.dept}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&pageSize=100${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`;
                const page = ok<{ page: { records: { accessId: string; cardId: string }[]; bookmark: string } }>(
                    await call(audit, 'GET', q, keys.auditor),
                    200,
                    'audit',
                );
                ids.push(...page.page.records.filter((r) => r.cardId === loadCard).map((r) => r.accessId));
                bookmark = page.page.bookmark;
            } while (bookmark);
            committed.push(ids);
        }
        let sent = 0;
        let acknowledged = 0;
        let lost = 0;
        let duplicated = 0;
        let unanswered = 0;
        requests.forEach((rs, i) => {
            const onLedger = new Set(committed[i]);
            const acked = rs.filter((r) => r.status === 201);
            sent += rs.length;
            acknowledged += acked.length;
            unanswered += rs.length - acked.length;
            lost += acked.filter((r) => !onLedger.has(r.accessId!)).length;
            // An entry for each request at most: more would be a retried request applied twice.
            duplicated += Math.max(0, committed[i].length - rs.length) + (committed[i].length - onLedger.size);
        });
        figures.push(
            `partition of MOHW for ${cutSeconds.toFixed(1)} s: ${sent} access requests sent through Seoul's and MOIS's gateways, ${acknowledged} committed, ${unanswered} unanswered, ${lost} lost, ${duplicated} duplicated; MOHW's gateway answered ${mohwAnswer.status} ${(mohwAnswer.body as { code: string }).code} in ${(mohwAnswer.ms / 1000).toFixed(1)} s; MOHW caught up ${catchUp.toFixed(1)} s after the link came back`,
        );
        expect(sent).to.be.greaterThan(100);
        expect(lost).to.equal(0);
        expect(duplicated).to.equal(0);
        const last = requests
            .flat()
            .filter((r) => r.status !== 201)
            .map((r) => `${r.status} ${r.code ?? ''} after ${r.attempts} attempts`);
        expect(last, 'every request answered within the load’s bound').to.deep.equal([]);
        // Every peer on one chain.
        const chains = await Promise.all(
            [
                [seoul, keys.issuer],
                [mois, keys.sadmin],
                [mohw, keys.welfare],
                [audit, keys.auditor],
            ].map(
                async ([h, k]) =>
                    ok<{ chain: { height: string; currentBlockHash: string } }>(
                        await call(h as OrgHost, 'GET', '/v1/chain', k as string),
                        200,
                        'chain',
                    ).chain,
            ),
        );
        expect(new Set(chains.map((c) => `${c.height}:${c.currentBlockHash}`)).size, JSON.stringify(chains)).to.equal(1);
    });

    it('Given a fifth ministry on a host of its own, When it joins with org-request, a majority of admins sign on their own hosts, and it runs org-up, Then its gateway serves on the channel', async () => {
        const started = Date.now();
        // The ministry's machine: the channel's topology file (as agreed), its own state folder.
        const dir = path.join(WORK, mole.short);
        fs.mkdirSync(dir, { recursive: true });
        const topology = path.join(dir, 'topology.yaml');
        fs.writeFileSync(topology, YAML.stringify(orgTopology(base, dir)));
        const m: OrgHost = { ...moleHost, mspId: mole.mspId, domain: mole.domain, dir, topology };
        const request = path.join(m.dir, 'mole-request.json');
        await cli(
            m,
            300_000,
            'org-request',
            '--msp',
            mole.mspId,
            '--name',
            mole.name,
            '--domain',
            mole.domain,
            '--host',
            mole.domain,
            '--out',
            request,
        );
        // It takes the channel's orgs' public bundles, each checked by its fingerprint, to reach their nodes.
        for (const h of hosts)
            await cli(m, 60_000, 'org-import', '--bundle', send(h, bundles[h.mspId], m), '--fingerprint', fingerprints[h.mspId]);
        const [seoul, mois, mohw] = ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map(host);
        const atSeoul = send(m, request, seoul);
        const update = path.join(seoul.dir, 'mole-update.pb');
        await cli(seoul, 120_000, 'propose-update', '--request', atSeoul, '--org', 'SeoulMSP', '--out', update);
        await cli(seoul, 60_000, 'sign-update', '--org', 'SeoulMSP', '--file', update);
        const atMois = send(seoul, update, mois);
        await cli(mois, 60_000, 'sign-update', '--org', 'MOISMSP', '--file', atMois, '--request', send(m, request, mois));
        // The third admin of four (MAJORITY Admins) signs as it submits.
        const atMohw = send(mois, atMois, mohw);
        await cli(mohw, 120_000, 'submit-update', '--org', 'MOHWMSP', '--file', atMohw);
        await cli(m, FABRIC ? 900_000 : 300_000, 'org-up', '--msp', mole.mspId);
        const key = await app(m, 'hosts-mole', '--role', 'department', '--dept', 'employment');
        const services = ok<{ page: { records: unknown[] } }>(await call(m, 'GET', '/v1/services', key), 200, 'services at MOLE');
        expect(services.page.records.length).to.be.greaterThan(0);
        figures.push(`the fifth ministry joined from its own host in ${ms(started)}`);
    });
});
