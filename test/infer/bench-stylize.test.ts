// Smoke test of the stylize benchmark's API (the bench runner calls it): tiny sizes and a slim net, so it is fast.
import { benchStylize } from '../../bench/stylize';

it('benchStylize returns a timing and peak RSS per size, and skips 4000x3000 unless asked', async () => {
  const r = await benchStylize({ sizes: [32, 48], large: false, reps: 1, config: { width: 0.125, residualBlocks: 1 } });
  expect(r.timings.map((t) => [t.width, t.height, t.tiles])).toEqual([
    [32, 32, 1],
    [48, 48, 1],
  ]);
  for (const t of r.timings) {
    expect(t.ms).toBeGreaterThanOrEqual(0);
    expect(t.peakRssMiB).toBeGreaterThan(10);
  }
  expect(r.skipped).toMatch(/4000x3000 not timed/);
});
