// Large kernel outputs come from the addon's huge-page pool (native/src/buffers.cc), and the CLI restarts itself once
// with glibc's huge-page tunable (src/backend/native/huge-pages.ts). Checked: a reused buffer asked for zeroed is zero,
// native kernels writing pooled outputs still give the exact JS results across reuse, the tunable logic, and that
// bin/nst.js really runs with the tunable in the same pid, printing what it should.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { tf } from '../../src/backend/tf';
import { loadNativeAddon } from '../../src/backend/native/loader';
import { hugePageTunables, transparentHugePageMode } from '../../src/backend/native/huge-pages';
import { outputFloats } from '../../src/backend/native/cpu-tensors';
import { describeIf } from '../helpers';
import { describeNative } from './eltwise-harness';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Collects dropped arrays and lets Node run their finalizers (it defers them to the event loop). */
async function collect() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

const BIG = 1 << 19; // 2 MiB of floats: above outputFloats' pooling threshold

describe('hugePageTunables', () => {
  test('adds the tunable only in madvise mode, keeps other tunables, respects NST_HUGEPAGES=0 and an explicit value', () => {
    expect(hugePageTunables({}, 'madvise')).toBe('glibc.malloc.hugetlb=1');
    expect(hugePageTunables({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'madvise')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    expect(hugePageTunables({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'madvise')).toBeUndefined();
    expect(hugePageTunables({ NST_HUGEPAGES: '0' }, 'madvise')).toBeUndefined();
    expect(hugePageTunables({}, 'always')).toBeUndefined();
    expect(hugePageTunables({}, 'never')).toBeUndefined();
    expect(hugePageTunables({}, undefined)).toBeUndefined();
  });
});

describeNative('the huge-page output pool', () => {
  const addon = loadNativeAddon().addon!;

  test('a reused buffer asked for zeroed is all zeros; sizes round to 2 MiB classes', async () => {
    let a: Float32Array | undefined = addon.allocF32(BIG + 5, false);
    expect(Object.prototype.toString.call(a)).toBe('[object Float32Array]'); // the addon's realm, not jest's
    expect(a!.length).toBe(BIG + 5);
    a!.fill(7);
    a = undefined;
    await collect();
    const before = addon.bufferPoolInfo();
    expect(before.pooledBytes).toBeGreaterThan(0);
    const b: Float32Array = addon.allocF32(BIG + 9, true); // same 2 MiB class: the buffer just returned
    expect(addon.bufferPoolInfo().hits).toBe(before.hits + 1);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(() => addon.allocF32(0)).toThrow(/allocF32: n must be positive/);
  });

  test('outputFloats pools only large arrays', () => {
    const misses = addon.bufferPoolInfo().misses + addon.bufferPoolInfo().hits;
    outputFloats(1000);
    expect(addon.bufferPoolInfo().misses + addon.bufferPoolInfo().hits).toBe(misses);
    expect(outputFloats(BIG)).toBeInstanceOf(Float32Array); // in this realm, as tfjs expects
    expect(addon.bufferPoolInfo().misses + addon.bufferPoolInfo().hits).toBe(misses + 1);
  });

  test('native kernels writing pooled outputs agree with exact values across reuse', async () => {
    const n = BIG * 2;
    const x = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => (i % 1000) - 500));
    for (let round = 0; round < 3; round++) {
      const y = tf.tidy(() => tf.add(tf.relu(x), round));
      const v = y.dataSync();
      let bad = 0;
      for (let i = 0; i < n; i += 97) if (v[i] !== Math.max(0, (i % 1000) - 500) + round) bad++;
      expect(bad).toBe(0);
      y.dispose();
      await collect();
    }
    x.dispose();
    expect(addon.bufferPoolInfo().hits).toBeGreaterThan(0);
  });
});

const thp = transparentHugePageMode();
describeIf(os.platform() === 'linux' && thp === 'madvise' && loadNativeAddon().loaded, `no restart to test (THP mode ${thp ?? 'unknown'}, or no addon)`)(
  'bin/nst.js restarts itself with the tunable',
  () => {
    test('same pid, tunable set in the restarted process, its output and exit code intact', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-hugepages-'));
      const probe = path.join(dir, 'probe.js');
      // Preloaded into both processes (NODE_OPTIONS survives the exec): each says its pid and tunables.
      fs.writeFileSync(probe, "process.stderr.write(`probe ${process.pid} ${process.env.GLIBC_TUNABLES ?? '-'}\\n`);\n");
      const env = { ...process.env, NODE_OPTIONS: `--require ${probe}` };
      delete env.GLIBC_TUNABLES;
      delete env.NST_HUGEPAGES;
      const bin = path.join(__dirname, '..', '..', 'bin', 'nst.js');
      const r = spawnSync(process.execPath, [bin, '--version'], { env, encoding: 'utf8' });
      const probes = r.stderr.split('\n').filter((l) => l.startsWith('probe '));
      expect(probes).toEqual([`probe ${r.pid} -`, `probe ${r.pid} glibc.malloc.hugetlb=1`]);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r.status).toBe(0);
      const off = spawnSync(process.execPath, [bin, '--version'], { env: { ...env, NST_HUGEPAGES: '0' }, encoding: 'utf8' });
      expect(off.stderr.split('\n').filter((l) => l.startsWith('probe '))).toEqual([`probe ${off.pid} -`]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  },
);
