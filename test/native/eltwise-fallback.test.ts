// The fallback, for real: eltwise-fallback-child.test.ts runs in a separate jest process with NST_NATIVE=0 (and no
// NST_BACKEND), so backend selection must land on the pure-JS cpu backend with no native kernel registered, and the
// same training ops must still produce correct gradients there. We read the child's JSON report, not just its exit code,
// to be sure the fallback-specific test ran rather than being skipped.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const CHILD = path.join('test', 'native', 'eltwise-fallback-child.test.ts');

interface JestReport {
  numFailedTests: number;
  numPassedTests: number;
  testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>;
}

test('with NST_NATIVE=0 the same code runs on pure JS and passes', () => {
  const report = path.join(os.tmpdir(), `nst-eltwise-fallback-${process.pid}.json`);
  const env: NodeJS.ProcessEnv = { ...process.env, NST_NATIVE: '0' };
  delete env.NST_BACKEND;
  const child = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--runTestsByPath', CHILD, '--json', `--outputFile=${report}`],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 },
  );
  if (child.status !== 0) throw new Error(`child jest failed (${child.status}):\n${child.stderr}`);
  const r = JSON.parse(fs.readFileSync(report, 'utf8')) as JestReport;
  fs.unlinkSync(report);
  expect(r.numFailedTests).toBe(0);
  const results = r.testResults.flatMap((t) => t.assertionResults);
  const status = (prefix: string) => results.find((a) => a.title.startsWith(prefix))?.status;
  expect(status('NST_NATIVE=0: the pure-JS cpu backend was selected')).toBe('passed');
  expect(status('gradients of pad -> instance norm')).toBe('passed');
});
