// What an erase leaves behind, and for how long, on a running network (the devnet or real Fabric):
// issues a card whose personal values are unique markers through Seoul's gateway, revokes it,
// erases it, then scans every file of the network's state folder for each value right after the
// erase and again at intervals, printing where the remnants are (by store) until none is left or
// the time is up. Usage (the network and its gateways must be running, e.g. npm start -- --fabric):
//   node dist/test/bench/erasure.js [--topology FILE] [--fabric] [--watch SECONDS]
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTopology, paths, issuerOrg, type Topology } from '../../network/client/topology';
import { asFabric } from '../../network/fabric/network';
import { ensureApp, SAMPLE_PERSONAL } from '../../scripts/demo';
import { DeviceKey } from '../../gateway/citizen/device';

/** Occurrences of needle in every file under dir, by file. */
function occurrences(dir: string, needles: string[]): Map<string, number> {
    const hits = new Map<string, number>();
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (entry.isFile()) {
                const bytes = fs.readFileSync(p);
                let n = 0;
                for (const needle of needles) {
                    const b = Buffer.from(needle);
                    for (let at = bytes.indexOf(b); at >= 0; at = bytes.indexOf(b, at + 1)) n++;
                }
                if (n > 0) hits.set(p, n);
            }
        }
    };
    if (fs.existsSync(dir)) walk(dir);
    return hits;
}

/** A short name for where a file sits: node, store, and whether it is a LevelDB log or table. */
function storeOf(t: Topology, file: string): string {
    const rel = path.relative(t.stateDir, file).split(path.sep);
    const node = rel[0] === 'ledgers' ? rel[1] : rel[0];
    const store = rel.includes('pvtdataStore')
        ? 'private data store'
        : rel.includes('stateLeveldb')
          ? 'state database'
          : rel.includes('transientstore') || rel.includes('transientStore')
            ? 'transient store'
            : rel.includes('historyLeveldb')
              ? 'history database'
              : rel.includes('chains')
                ? 'block store'
                : rel.slice(1, -1).join('/') || rel[0];
    const kind = file.endsWith('.log') ? 'LevelDB log' : file.endsWith('.ldb') ? 'LevelDB table' : path.basename(file);
    return `${node}: ${store} (${kind})`;
}

async function main(argv: string[]): Promise<void> {
    const at = argv.indexOf('--topology');
    const watchAt = argv.indexOf('--watch');
    const watchSeconds = watchAt >= 0 ? Number(argv[watchAt + 1]) : 120;
    let t = loadTopology(at >= 0 ? argv[at + 1] : undefined);
    if (argv.includes('--fabric')) t = asFabric(t);
    // The gateways' app store lives under the state folder the gateways were started with.
    process.env.DEVNET_STATE_DIR = t.stateDir;
    const issuer = await ensureApp(t, issuerOrg(t).mspId, 'erasure-bench-issuer', { identity: 'issuer1', role: 'issuer' });
    issuer.verbose = false;
    const run = crypto.randomBytes(6).toString('hex');
    const personal = {
        ...SAMPLE_PERSONAL,
        name: `Erase Me ${run}`,
        address: `${run} Sejong-daero, Jung-gu`,
        residentNumber: `550301-${run.slice(0, 7)}`,
    };
    const needles = [personal.name, personal.address, personal.residentNumber];
    const cardId = `card-erasure-${run}`;
    await issuer.call(
        {
            method: 'POST',
            path: '/v1/cards',
            body: { cardId, devicePublicKey: DeviceKey.generate().publicKeyBase64(), validityYears: 5, personal },
        },
        201,
    );
    const before = occurrences(t.stateDir, needles);
    await issuer.call({ method: 'POST', path: `/v1/cards/${cardId}/revoke`, body: { reason: 'DECEASED' } }, 200);
    const erasedAt = Date.now();
    await issuer.call({ method: 'POST', path: `/v1/cards/${cardId}/erase`, body: {} }, 200);
    const print = (label: string, hits: Map<string, number>) => {
        const byStore = new Map<string, number>();
        for (const [file, n] of hits) byStore.set(storeOf(t, file), (byStore.get(storeOf(t, file)) ?? 0) + n);
        const total = [...hits.values()].reduce((a, b) => a + b, 0);
        console.log(`${label}: ${total} occurrences of the resident's values in ${hits.size} files`);
        for (const [store, n] of [...byStore].sort()) console.log(`    ${String(n).padStart(3)}  ${store}`);
        return total;
    };
    console.log(`erasure on ${path.relative(t.root, t.stateDir)} (card ${cardId}; values: name, address, resident number)`);
    print('after issuing', before);
    const outsideIssuer = (hits: Map<string, number>) => {
        const issuerLedger = paths.ledger(t, paths.peerName(t, issuerOrg(t).mspId));
        return [...hits.keys()].filter((f) => !f.startsWith(issuerLedger + path.sep));
    };
    for (const seconds of [0, 2, 5, 10, 30, 60, 120, 300].filter((s) => s <= watchSeconds)) {
        const wait = erasedAt + seconds * 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const hits = occurrences(t.stateDir, needles);
        const total = print(`${seconds} s after the erase`, hits);
        const elsewhere = outsideIssuer(hits);
        if (elsewhere.length > 0)
            console.log(`    outside Seoul's peer ledger: ${elsewhere.map((f) => path.relative(t.stateDir, f)).join(', ')}`);
        if (total === 0) break;
    }
}

main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
