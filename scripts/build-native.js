#!/usr/bin/env node
// Builds the optional oneDNN addon (native/) during `npm install` / `npm ci`.
// It must never fail the install: without oneDNN the pure-JS path still works, only slower.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const gyp = path.join(root, 'native', 'binding.gyp');
const HOW = 'install oneDNN (Debian/Ubuntu: apt-get install libdnnl-dev; macOS: brew install onednn) and run `npm run build:native`';

function headerFound() {
  const dirs = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'];
  if (process.env.DNNL_ROOT) dirs.unshift(path.join(process.env.DNNL_ROOT, 'include'));
  return dirs.some((d) => fs.existsSync(path.join(d, 'oneapi', 'dnnl', 'dnnl.hpp')));
}

function main() {
  if (process.env.NST_NATIVE === '0') {
    console.log('nst: NST_NATIVE=0, not building the native CPU kernels.');
    return;
  }
  if (!fs.existsSync(gyp)) return;
  if (!headerFound()) {
    console.log(`nst: oneDNN headers not found, the fast native CPU path is off; to get it, ${HOW}.`);
    return;
  }
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  // Incremental when already configured (editing one kernel file recompiles only that file).
  const configured = fs.existsSync(path.join(root, 'native', 'build', 'Makefile'));
  const args = [nodeGyp, configured ? 'build' : 'rebuild', '--jobs', 'max'];
  // Use the headers installed beside this node (distro packages ship them) so that no download is needed.
  const localNodeDir = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(localNodeDir, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${localNodeDir}`);
  }
  const r = spawnSync(process.execPath, args, {
    cwd: path.join(root, 'native'),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    console.log(`nst: building the native CPU kernels failed (see above); the pure-JS path still works. Fix it, then run \`npm run build:native\`.`);
  }
}

try {
  main();
} catch (e) {
  console.log(`nst: native build skipped (${e && e.message}); ${HOW}.`);
}
