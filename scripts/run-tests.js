#!/usr/bin/env node
// The project's test command (npm test): type-check, run jest, then print one plain summary line last,
// `tests: N passed, N failed, N skipped`, which is what CI reads. Extra arguments go to jest.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const tsc = spawnSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
const typeErrors = tsc.status !== 0;
if (typeErrors) console.error('type check failed (see above)');

// jest 30 resolves --outputFile against the realpath of its cwd (a relative path there would land wherever that
// points), and prints where it wrote relative to that cwd ("../../../tmp/..." from a checkout three levels deep): so
// the report goes to an absolute path in a private folder of the OS temp dir, removed afterwards whatever happens.
const reportDir = fs.mkdtempSync(path.join(path.resolve(os.tmpdir()), 'nst-jest-'));
const report = path.join(reportDir, 'results.json');
// ONNX Runtime's native library writes a device id and a small database under $XDG_CACHE_HOME (default ~/.cache)
// whenever a session is created; tests must not write outside the checkout and the temp dir, so it gets one here.
const cacheHome = path.join(reportDir, 'xdg-cache');
fs.mkdirSync(cacheHome);
const jest = spawnSync(bin('jest'), ['--json', `--outputFile=${report}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, XDG_CACHE_HOME: cacheHome },
});

let passed = 0, failed = 0, skipped = 0, suitesFailed = 0;
try {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + (r.numTodoTests || 0);
  // A suite that fails to load (syntax error, throw at import) has no failed tests but must fail the run.
  suitesFailed = r.testResults.filter((t) => t.status === 'failed' && t.assertionResults.every((a) => a.status !== 'failed')).length;
} catch {
  failed += 1;
} finally {
  fs.rmSync(reportDir, { recursive: true, force: true });
}
failed += suitesFailed + (typeErrors ? 1 : 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || jest.status !== 0 ? 1 : 0);
