#!/usr/bin/env node
// Installs the locked dependencies when node_modules is missing or older than package-lock.json,
// so that `npm start` and `npm test` work on a fresh clone with no other step. npm writes
// node_modules/.package-lock.json at the end of every install: it is the installed state. Only
// the lock counts: editing package.json's scripts changes nothing installed.
//
// npm ci prints nothing while a native binding compiles (better-sqlite3 builds from source when no
// prebuilt binary matches: about a minute, and it needs a C/C++ toolchain and Python), so this
// runs it with the install scripts in the foreground and prints a progress line every few seconds
// saying what is being done; the full output is kept and shown if the install fails.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : -1);

/** What a line of npm's output says is going on (the package whose install script runs, and what it does). */
function step(line, now) {
    const script = /^> ((?:@[^\s/]+\/)?[^\s@]+)@\S+ (install|postinstall|prepare)$/.exec(line);
    if (script) return { pkg: script[1], what: `running its ${script[2]} script` };
    if (/prebuild-install/i.test(line) && /(No prebuilt binaries|failed|not found|error)/i.test(line)) {
        return { ...now, what: 'no prebuilt binary matches this platform: compiling it from source' };
    }
    if (/gyp info spawn (make|g\+\+|cc|c\+\+)|CXX\(target\)|CC\(target\)/.test(line)) {
        return { ...now, what: 'compiling its native binding (C/C++, about a minute)' };
    }
    return now;
}

function install() {
    const started = Date.now();
    const seconds = () => Math.round((Date.now() - started) / 1000);
    process.stdout.write('installing dependencies (npm ci): about 30 s, up to 2 min when a native binding compiles...\n');
    let now = { pkg: '', what: 'downloading and unpacking packages' };
    let said = '';
    const output = [];
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const read = (chunk) => {
        for (const line of chunk.toString().split('\n')) {
            if (!line.trim()) continue;
            output.push(line);
            now = step(line, now);
        }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const ticker = setInterval(() => {
        const doing = now.pkg ? `${now.pkg}: ${now.what}` : now.what;
        const line = `  ${seconds()} s: ${doing}`;
        if (doing !== said || seconds() % 15 < 5) process.stdout.write(`${line}\n`);
        said = doing;
    }, 5000);
    child.on('close', (code) => {
        clearInterval(ticker);
        if (code === 0) {
            process.stdout.write(`installed dependencies in ${seconds()} s\n`);
            return;
        }
        process.stderr.write(`${output.slice(-60).join('\n')}\n`);
        process.stderr.write(
            `DEPENDENCIES_NOT_INSTALLED: npm ci exited with ${code} after ${seconds()} s (its last lines are above).\n` +
                'A fresh machine needs Node.js >= 20.19 with npm, and, when no prebuilt binary of better-sqlite3 or\n' +
                'classic-level matches the platform, a C/C++ toolchain (make, g++ or clang) and Python 3 for node-gyp\n' +
                '(Debian/Ubuntu: apt-get install build-essential python3; macOS: xcode-select --install).\n',
        );
        process.exit(code ?? 1);
    });
}

if (mtime(installed) < mtime(path.join(root, 'package-lock.json'))) install();
