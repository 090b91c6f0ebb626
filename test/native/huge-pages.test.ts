// The CLI restarts itself once with glibc's huge-page tunable (src/backend/native/huge-pages.ts, native/src/process.cc).
// Checked: when the tunable is added, and that bin/nst.js really runs with it in the same pid, printing what it should
// with its exit code intact, and not at all with NST_HUGEPAGES=0.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadNativeAddon } from '../../src/backend/native/loader';
import { hugePageTunables, transparentHugePageMode } from '../../src/backend/native/huge-pages';
import { describeIf } from '../helpers';

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

  test('inference-only commands stay on small pages; training and the rest restart', () => {
    expect(hugePageTunables({}, 'madvise', 'stylize')).toBeUndefined();
    expect(hugePageTunables({}, 'madvise', 'serve')).toBeUndefined();
    expect(hugePageTunables({}, 'madvise', 'train')).toBe('glibc.malloc.hugetlb=1');
    expect(hugePageTunables({}, 'madvise', '--version')).toBe('glibc.malloc.hugetlb=1');
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
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${probe}` };
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
      const stylize = spawnSync(process.execPath, [bin, 'stylize', '--help'], { env, encoding: 'utf8' });
      expect(stylize.stderr.split('\n').filter((l) => l.startsWith('probe '))).toEqual([`probe ${stylize.pid} -`]);
      expect(stylize.status).toBe(0);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  },
);
