#!/usr/bin/env node
// Installs the locked dependencies when node_modules is missing or older than package-lock.json,
// so that `npm start` and `npm test` work on a fresh clone with no other step. npm writes
// node_modules/.package-lock.json at the end of every install: it is the installed state.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : -1);

if (mtime(installed) >= mtime(path.join(root, 'package-lock.json')) && mtime(installed) >= mtime(path.join(root, 'package.json'))) {
    process.exit(0);
}
process.stdout.write('installing dependencies (npm ci)...\n');
execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
