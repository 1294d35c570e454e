// Builds the Go test chaincode server (test/fixtures/go: Fabric's Go contract API) for the tests of
// the second topology, once per source: the binary in test/fixtures/go/bin is kept with the SHA-256
// of the sources it was built from, and built again only when they change. Go's own caches (module
// and build cache) make a rebuild after a change a few seconds. Without Go 1.22 or newer, or when
// the modules cannot be downloaded here, the caller says the Go tests did not run.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../network/client/topology';
import { execFileWithin } from '../deadline';

export const GO_FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'go');
export const GO_FIXTURE_BINARY = path.join(GO_FIXTURE_DIR, 'bin', 'fixture-go');
const STAMP = `${GO_FIXTURE_BINARY}.sources-sha256`;

/** What `go build` says when it cannot download a module (not a fault of the code it builds). */
const MODULE_FETCH_FAILURE =
    /reading https?:\/\/\S+: \d{3} [^\n]*|dial tcp[^\n]*|no such host|i\/o timeout|connection refused|module lookup disabled by GOPROXY=off/;

export type GoBuild = { binary: string; cached: boolean; ms: number } | { notRun: string };

/** SHA-256 of the module's sources (go.mod, go.sum, *.go) and of the Go version that builds them. */
function sourcesHash(goVersion: string): string {
    const hash = crypto.createHash('sha256').update(goVersion);
    const files = fs
        .readdirSync(GO_FIXTURE_DIR)
        .filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'))
        .sort();
    for (const f of files)
        hash.update(f)
            .update('\0')
            .update(fs.readFileSync(path.join(GO_FIXTURE_DIR, f)))
            .update('\0');
    return hash.digest('hex');
}

/** The Go chaincode server, built when its sources changed since the last build; notRun when there is no Go 1.22+. */
export async function buildGoChaincode(): Promise<GoBuild> {
    let version: string;
    try {
        version = (await execFileWithin(30_000, 'go', ['env', 'GOVERSION'])).stdout.trim();
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return {
            notRun: code === 'ENOENT' ? 'Go is not installed (no `go` on PATH)' : `\`go env GOVERSION\` failed: ${(e as Error).message}`,
        };
    }
    const match = /^go(\d+)\.(\d+)/.exec(version);
    if (!match || Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 22)) {
        return { notRun: `Go ${version} is older than the 1.22 that fabric-chaincode-go v2 needs` };
    }
    const sources = sourcesHash(version);
    if (fs.existsSync(GO_FIXTURE_BINARY) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === sources) {
        return { binary: GO_FIXTURE_BINARY, cached: true, ms: 0 };
    }
    const started = Date.now();
    fs.mkdirSync(path.dirname(GO_FIXTURE_BINARY), { recursive: true });
    // Two test runs on one machine may build at once: each into its own file, renamed into place.
    const tmp = `${GO_FIXTURE_BINARY}.${process.pid}.tmp`;
    try {
        await execFileWithin(600_000, 'go', ['build', '-o', tmp, '.'], {
            cwd: GO_FIXTURE_DIR,
            // Modules from the Go module proxy, checked against go.sum.
            env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') },
        });
    } catch (e) {
        const err = e as Error & { stderr?: string };
        fs.rmSync(tmp, { force: true });
        // No way to fetch the modules (no network, a proxy that refuses them) is this machine's lack, as no Go is;
        // a build that fails on the code fails the tests.
        const fetchFailure = MODULE_FETCH_FAILURE.exec(err.stderr ?? '');
        if (fetchFailure) return { notRun: `the Go modules cannot be fetched here (${fetchFailure[0]}): go build in ${GO_FIXTURE_DIR}` };
        throw new Error(`GO_BUILD_FAILED: go build in ${GO_FIXTURE_DIR}: ${err.stderr?.trim() || err.message}`);
    }
    fs.renameSync(tmp, GO_FIXTURE_BINARY);
    fs.writeFileSync(STAMP, sources);
    return { binary: GO_FIXTURE_BINARY, cached: false, ms: Date.now() - started };
}
