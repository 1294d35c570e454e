// `npm ci` on a fresh clone compiles nothing and runs no dependency's install script: every package
// of package-lock.json that has one (the lock's hasInstallScript; npm sets it for a binding.gyp
// too, which it would build with `node-gyp rebuild`) or that could compile (binding.gyp, a script
// calling node-gyp, prebuild-install, node-pre-gyp, cmake-js or node-gyp-build) is listed here with
// the reason it needs no build, and is denied (false) in package.json's allowScripts, so npm skips
// its scripts. A new dependency with an install script fails this test until it is reviewed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Packages with an install script, each with why it needs none of it here. */
const REVIEWED: Record<string, string> = {
    'classic-level':
        "LevelDB binding of the devnet's ledgers: its prebuilds/ (Linux x64, arm64, arm; macOS x64+arm64; Windows; Android) come in " +
        'the package, and node-gyp-build loads the matching one at run time; its install script (node-gyp-build) only looks for it ' +
        'and compiles when none matches',
    pkcs11js:
        'optional dependency of @hyperledger/fabric-gateway for HSM (PKCS#11) signers, which this product does not use; it has a ' +
        'binding.gyp (npm would run node-gyp rebuild); fabric-gateway loads it only when an HSM signer is made',
    protobufjs: "postinstall checks that its CLI's version matches; compiles nothing",
    '@scarf/scarf': "swagger-ui-dist's postinstall that reports the install to its authors (analytics); compiles nothing",
};

const LIFECYCLE = ['preinstall', 'install', 'postinstall'] as const;
const COMPILES = /\b(node-gyp|prebuild-install|node-pre-gyp|cmake-js|node-gyp-build|make|gcc|g\+\+|clang|cc)\b/;

interface LockEntry {
    version?: string;
    hasInstallScript?: boolean;
    optional?: boolean;
    os?: string[];
    cpu?: string[];
}

interface Finding {
    name: string;
    location: string;
    why: string[];
}

const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const nameOf = (location: string) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** What of a package (lock entry, and its installed files when this platform has it) runs or compiles at install. */
function inspect(location: string, entry: LockEntry): Finding | undefined {
    const why: string[] = [];
    if (entry.hasInstallScript) why.push('lock: hasInstallScript');
    const dir = path.join(ROOT, location);
    const pkgFile = path.join(dir, 'package.json');
    if (fs.existsSync(pkgFile)) {
        const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
        for (const script of LIFECYCLE) {
            const text = pkg.scripts?.[script];
            if (text) why.push(`${script}: ${text}${COMPILES.test(text) ? ' (compiles, or may)' : ''}`);
        }
        if (fs.existsSync(path.join(dir, 'binding.gyp'))) why.push('binding.gyp');
        if (pkg.gypfile) why.push('gypfile: true');
    }
    return why.length ? { name: nameOf(location), location, why } : undefined;
}

function findings(): Finding[] {
    return Object.entries(lock.packages)
        .filter(([location]) => location.includes('node_modules/'))
        .map(([location, entry]) => inspect(location, entry))
        .filter((f): f is Finding => f !== undefined);
}

describe('npm ci compiles nothing: install scripts of the locked packages', () => {
    it('Given package-lock.json, Then every package with an install script or a native build is reviewed (listed with a reason)', () => {
        const unreviewed = findings()
            .filter((f) => !(f.name in REVIEWED))
            .map((f) => `${f.location}: ${f.why.join('; ')}`);
        expect(
            unreviewed,
            'review each: does it compile? add it to REVIEWED with why it needs no build, and deny it in allowScripts',
        ).to.deep.equal([]);
    });

    it('Given package.json allowScripts, Then every reviewed package is denied and none is allowed: npm runs no install script', () => {
        const allow = manifest.allowScripts ?? {};
        expect(Object.entries(allow).filter(([, allowed]) => allowed !== false)).to.deep.equal([]);
        for (const name of Object.keys(REVIEWED)) expect(allow[name], `allowScripts.${name}`).to.equal(false);
    });

    it('Given the reviewed list, Then each still has an install script in the lock (no stale entry)', () => {
        const found = new Set(findings().map((f) => f.name));
        expect(Object.keys(REVIEWED).filter((name) => !found.has(name))).to.deep.equal([]);
    });

    it('Given classic-level, Then its binding is the prebuild from its package, not a local build', () => {
        const dir = path.join(ROOT, 'node_modules', 'classic-level');
        expect(fs.existsSync(path.join(dir, 'build')), 'node_modules/classic-level/build: something compiled it').to.equal(false);
        const load = require('node-gyp-build') as { resolve(dir: string): string };
        expect(path.relative(dir, load.resolve(dir))).to.match(/^prebuilds[\\/]/);
    });

    it('Given the check itself, Then it sees a binding.gyp and a compiling install script', () => {
        const tmp = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.install-scripts-test-'));
        try {
            fs.mkdirSync(path.join(tmp, 'node_modules', 'native'), { recursive: true });
            fs.writeFileSync(
                path.join(tmp, 'node_modules', 'native', 'package.json'),
                '{"scripts":{"install":"prebuild-install || node-gyp rebuild"}}',
            );
            fs.writeFileSync(path.join(tmp, 'node_modules', 'native', 'binding.gyp'), '{}');
            const location = path.relative(ROOT, path.join(tmp, 'node_modules', 'native'));
            expect(inspect(location, {})?.why).to.deep.equal([
                'install: prebuild-install || node-gyp rebuild (compiles, or may)',
                'binding.gyp',
            ]);
            expect(inspect('node_modules/yaml', { hasInstallScript: false })).to.equal(undefined);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});
