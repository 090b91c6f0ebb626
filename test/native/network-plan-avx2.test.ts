// network-plan.test.ts again in a child jest with ONEDNN_MAX_CPU_ISA=AVX2: oneDNN then runs its AVX2 kernels and the
// plan uses 8-lane blocks and the AVX2 narrow kernel, as on a CPU without AVX-512. On an AVX2-only machine the parent
// run already covers this; the child then simply repeats it. NST_PLAN_KEEP_BYTES=0 there also makes every plan give
// its activation buffers back after each run and take them (recycled, or fresh) on the next, as large images do, and
// NST_PLAN_POISON_BUFFERS=1 fills every buffer a run takes with NaN: a step that read one before writing it would fail.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeNative } from '../helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const CHILD = path.join('test', 'native', 'network-plan.test.ts');

describeNative('whole-network plan with ONEDNN_MAX_CPU_ISA=AVX2', () => {
  test('passes on the AVX2 kernels (8-lane blocks)', () => {
    const report = path.join(os.tmpdir(), `nst-plan-avx2-${process.pid}.json`);
    const env: NodeJS.ProcessEnv = { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX2', NST_PLAN_KEEP_BYTES: '0', NST_PLAN_POISON_BUFFERS: '1' };
    const child = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--runTestsByPath', CHILD, '--json', `--outputFile=${report}`],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 280_000 },
    );
    if (child.status !== 0) throw new Error(`child jest failed (${child.status}):\n${child.stderr.slice(-4000)}`);
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as { numFailedTests: number; numPassedTests: number };
    fs.unlinkSync(report);
    expect(r.numFailedTests).toBe(0);
    expect(r.numPassedTests).toBeGreaterThanOrEqual(8);
  });
});
