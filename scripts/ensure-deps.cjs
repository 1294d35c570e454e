#!/usr/bin/env node
// Installs the locked dependencies when node_modules is missing or older than package-lock.json,
// so that `npm start` and `npm test` work on a fresh clone with no other step.
'use strict';
const { createHash } = require('node:crypto');
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lock = fs.readFileSync(path.join(root, 'package-lock.json'));
const digest = createHash('sha256').update(lock).digest('hex');
const stamp = path.join(root, 'node_modules', '.installed-lock-sha256');

if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) process.exit(0);
process.stdout.write('installing dependencies (npm ci)...\n');
execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
fs.writeFileSync(stamp, digest);
