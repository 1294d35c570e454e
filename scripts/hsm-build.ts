// `npm run hsm:build`: builds pkcs11js, the native module fabric-gateway's HSM signer loads, for the
// Node that runs this (npm does not run its install script: package.json allowScripts). node-gyp
// comes with npm and the headers with Node itself (--nodedir), so nothing is downloaded. Only a
// gateway that signs with keys in a PKCS#11 token needs it (docs/operations.md, Keys in an HSM).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** node-gyp as npm ships it, beside the npm that runs us or the system's. */
function nodeGyp(): string | undefined {
    const candidates = [
        process.env.npm_execpath &&
            path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
        path.join(
            path.dirname(path.dirname(process.execPath)),
            'lib',
            'node_modules',
            'npm',
            'node_modules',
            'node-gyp',
            'bin',
            'node-gyp.js',
        ),
        '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
        '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
    ].filter((c): c is string => Boolean(c));
    return candidates.find((c) => fs.existsSync(c));
}

/** Whether pkcs11js loads in this Node; builds it first when it does not. Answers why not when it cannot. */
export function ensurePkcs11js(): { ok: true; built: boolean; ms: number } | { ok: false; reason: string } {
    const loads = () => spawnSync(process.execPath, ['-e', "require('pkcs11js')"], { cwd: ROOT, encoding: 'utf8' }).status === 0;
    if (loads()) return { ok: true, built: false, ms: 0 };
    const gyp = nodeGyp();
    if (!gyp) return { ok: false, reason: 'node-gyp not found (it comes with npm): cannot build pkcs11js' };
    const dir = path.join(ROOT, 'node_modules', 'pkcs11js');
    if (!fs.existsSync(dir)) return { ok: false, reason: `${dir} is missing: run npm install` };
    const nodedir = path.dirname(path.dirname(process.execPath));
    const began = Date.now();
    const r = spawnSync(
        process.execPath,
        [gyp, 'rebuild', `--nodedir=${fs.existsSync(path.join(nodedir, 'include', 'node')) ? nodedir : '/usr'}`],
        {
            cwd: dir,
            encoding: 'utf8',
            env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` },
            timeout: 300_000,
        },
    );
    if (r.status !== 0)
        return {
            ok: false,
            reason: `node-gyp rebuild of pkcs11js failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' ')}`,
        };
    return loads() ? { ok: true, built: true, ms: Date.now() - began } : { ok: false, reason: 'pkcs11js was built but does not load' };
}

if (require.main === module) {
    const r = ensurePkcs11js();
    if (!r.ok) {
        process.stderr.write(`HSM_BUILD_FAILED: ${r.reason}\n`);
        process.exit(1);
    }
    process.stdout.write(r.built ? `built pkcs11js in ${r.ms} ms\n` : 'pkcs11js loads already\n');
}
