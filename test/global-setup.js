// Jest globalSetup: builds dist/ once before any test runs, so the tests that run the built CLI (bin/nst.js → dist/)
// or pack the package never see a stale or missing build, and no test rebuilds it while another one reads it.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

module.exports = async function buildDist() {
  const root = path.resolve(__dirname, '..');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed (tsc -p tsconfig.build.json):\n${r.stdout}${r.stderr}${r.error ?? ''}`);
};
