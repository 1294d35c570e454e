#!/usr/bin/env node
// `npm run build`: dist/ from nothing (a removed source must not leave its old output behind: the
// tests are found by globbing dist/), then TypeScript (tsconfig.json, and web/tsconfig.json's type
// check) and the web pages (Vite, into dist/web).
//
// With --if-stale (`npm start`) it builds only when an input changed since the last build: a file
// or folder (a folder's time changes when an entry is added, removed or renamed) under chaincode/,
// gateway/, network/, scripts/, test/ or web/, the tsconfig files, package.json or the installed lock
// (node_modules/.package-lock.json) newer than dist/.build-stamp, which a build stamps with the time
// it began. `npm run build` always builds.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const INPUTS = [
    'chaincode',
    'gateway',
    'network',
    'scripts',
    'test',
    'web',
    'tsconfig.json',
    'package.json',
    'node_modules/.package-lock.json',
];
const SKIP = new Set(['node_modules', 'dist']);

/** The newest modification time of a file, or of a folder and everything below it. */
function newest(p) {
    let stat;
    try {
        stat = fs.statSync(p);
    } catch {
        return 0;
    }
    let time = stat.mtimeMs;
    if (stat.isDirectory()) {
        for (const entry of fs.readdirSync(p)) {
            if (!SKIP.has(entry) && !entry.startsWith('.')) time = Math.max(time, newest(path.join(p, entry)));
        }
    }
    return time;
}

function run(tool, args) {
    const r = spawnSync(path.join(root, 'node_modules', '.bin', tool), args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
}

if (process.argv.includes('--if-stale') && fs.existsSync(stamp)) {
    const changed = Math.max(...INPUTS.map((p) => newest(path.join(root, p))));
    if (changed <= fs.statSync(stamp).mtimeMs) {
        process.stdout.write('dist/ is up to date with the sources: not rebuilt (`npm run build` rebuilds)\n');
        process.exit(0);
    }
}
const began = new Date();
fs.rmSync(dist, { recursive: true, force: true });
run('tsc', ['-p', 'tsconfig.json']);
run('tsc', ['-p', 'web/tsconfig.json']);
run('vite', ['build', '--config', 'web/vite.config.mjs']);
fs.writeFileSync(stamp, `built by ${process.version} at ${began.toISOString()}\n`);
fs.utimesSync(stamp, began, began);
