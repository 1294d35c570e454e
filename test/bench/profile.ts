// CPU profiles of a benchmark's processes (`--cpu-prof DIR` of npm run bench:devnet): V8's own
// sampling profiler (node --cpu-prof) in every node process the tooling starts, and node:inspector
// in the benchmark's client; then, for each level of the benchmark, where each process spent
// its time: the share idle, by category (crypto, protobuf, gRPC/HTTP/2, TLS, GC, ...) and the
// functions with the most self time. V8 stamps samples with the monotonic clock in µs, the clock of
// process.hrtime, so a level's window cuts every process's profile at the same instants.
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';

/** Now on the clock of V8's profile samples (CLOCK_MONOTONIC, µs). */
export const profileClock = (): number => Number(process.hrtime.bigint() / 1000n);

/** A level's time span on profileClock. */
export interface Window {
    label: string;
    from: number;
    to: number;
}

interface CpuProfile {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
}

/**
 * The folder of `--cpu-prof DIR` in argv, resolved and emptied; undefined without the option. A
 * missing folder is refused (with `usage`): never the working directory that an empty value would
 * resolve to.
 */
export function cpuProfFolder(argv: string[], usage: string): string | undefined {
    const i = argv.indexOf('--cpu-prof');
    if (i < 0) return undefined;
    const dir = argv[i + 1];
    if (!dir || dir.startsWith('--')) throw new Error(`USAGE: --cpu-prof needs a folder\n${usage}`);
    const resolved = path.resolve(dir);
    fs.rmSync(resolved, { recursive: true, force: true });
    return resolved;
}

/**
 * Profiles every node process started from now on (NODE_OPTIONS, inherited by startNode), writing
 * DIR/CPU.*.cpuprofile when each exits; processes that only die of SIGTERM get an exit handler
 * (profile-exit.js) so that their profile is written too.
 */
export function profileChildren(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const exitHook = path.join(__dirname, 'profile-exit.js');
    process.env.NODE_OPTIONS = [callerNodeOptions, `--cpu-prof --cpu-prof-dir=${dir} --require ${exitHook}`].filter(Boolean).join(' ');
}
const callerNodeOptions = process.env.NODE_OPTIONS;

/** Profiles this process (the client) until the returned function writes DIR/client.cpuprofile. */
export async function profileSelf(dir: string): Promise<() => Promise<void>> {
    const session = new inspector.Session();
    session.connect();
    const post = (method: string, params?: object) =>
        new Promise<unknown>((resolve, reject) =>
            session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
        );
    await post('Profiler.enable');
    await post('Profiler.start');
    return async () => {
        const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
        fs.writeFileSync(path.join(dir, `client.${process.pid}.cpuprofile`), JSON.stringify(profile));
        session.disconnect();
    };
}

const CATEGORIES: [string, (fn: string, url: string) => boolean][] = [
    ['idle', (fn) => fn === '(idle)'],
    ['GC', (fn) => fn === '(garbage collector)'],
    ['crypto (sign, verify, hash)', (fn, url) => url.includes('internal/crypto') || /^(sign|verify)OneShot$/.test(fn)],
    ['protobuf', (_, url) => /google-protobuf|_pb\.js|protobufjs/.test(url)],
    ['gRPC and HTTP/2', (_, url) => /@grpc|internal\/http2|js_stream_socket|h2guard|common\/grpc\.js/.test(url)],
    ['TLS and sockets', (_, url) => /_tls_|internal\/tls|stream_base_commons|node:net|internal\/streams/.test(url)],
    ['fabric-shim', (_, url) => /fabric-shim|fabric-contract-api/.test(url)],
    ['fabric-gateway client', (_, url) => /fabric-gateway\//.test(url)],
    ['the project (dist/)', (_, url) => url.includes('/dist/')],
    ['native, unattributed ((program))', (fn) => fn === '(program)'],
    ['other', () => true],
];

interface Tally {
    total: number;
    byCategory: Map<string, number>;
    byFunction: Map<string, number>;
}

/** Self time per category and function of one profile inside [from, to]. */
function tally(profile: CpuProfile, from: number, to: number, into: Tally): void {
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
        t += profile.timeDeltas[i];
        const next = profile.timeDeltas[i + 1] ?? 0;
        if (t < from || t > to) continue;
        const frame = frames.get(profile.samples[i]);
        if (!frame) continue;
        const fn = frame.functionName || '(anonymous)';
        const category = CATEGORIES.find(([, test]) => test(fn, frame.url))?.[0] ?? 'other';
        into.total += next;
        into.byCategory.set(category, (into.byCategory.get(category) ?? 0) + next);
        if (category !== 'idle') {
            const key = `${fn} ${frame.url.replace(/^.*\/(node_modules|dist)\//, '').replace(/^file:\/\//, '')}:${frame.lineNumber + 1}`;
            into.byFunction.set(key, (into.byFunction.get(key) ?? 0) + next);
        }
    }
}

/**
 * The profiles in `dir`, each named by its process (`names`: pid → node; the client's by its file
 * name), summarised per window: per process that worked in it, the share of its main thread idle,
 * the busy time by category, and the `top` functions by self time.
 */
export function summariseProfiles(dir: string, names: Map<number, string>, windows: Window[], top = 8): string {
    const byProcess = new Map<string, CpuProfile[]>();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
        const pid = Number(file.startsWith('client.') ? Number.NaN : file.split('.')[3]);
        const name = file.startsWith('client.') ? 'client (the benchmark)' : names.get(pid);
        if (!name) continue; // a process of no node (a tool the benchmark ran)
        const list = byProcess.get(name) ?? [];
        list.push(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile);
        byProcess.set(name, list);
    }
    const lines: string[] = [];
    for (const w of windows) {
        lines.push(`CPU profile, ${w.label} (main threads, ${((w.to - w.from) / 1e6).toFixed(1)} s):`);
        for (const [name, profiles] of [...byProcess].sort(([a], [b]) => a.localeCompare(b))) {
            const t: Tally = { total: 0, byCategory: new Map(), byFunction: new Map() };
            for (const p of profiles) tally(p, w.from, w.to, t);
            if (t.total === 0 || (t.byCategory.get('idle') ?? 0) > 0.98 * t.total) continue; // a node this level left alone
            const idle = t.byCategory.get('idle') ?? 0;
            const busy = t.total - idle;
            const pct = (x: number, of: number) => `${((100 * x) / Math.max(1, of)).toFixed(1)} %`;
            lines.push(`  ${name}: idle ${pct(idle, t.total)}; of the busy time:`);
            const categories = [...t.byCategory].filter(([c]) => c !== 'idle').sort(([, a], [, b]) => b - a);
            lines.push(`    ${categories.map(([c, v]) => `${c} ${pct(v, busy)}`).join(', ')}`);
            for (const [fn, v] of [...t.byFunction].sort(([, a], [, b]) => b - a).slice(0, top))
                lines.push(`    ${pct(v, busy).padStart(7)}  ${fn}`);
        }
    }
    return lines.join('\n');
}
