// Smoke test of the stylize benchmark's API (the bench runner calls it): tiny sizes and a slim net, so it is fast.
import { benchStylize } from '../../bench/stylize';
import { selectBackend } from '../../src/backend/select';

it('benchStylize returns a timing and peak RSS per size, and skips 4000x3000 unless asked', async () => {
  const r = await benchStylize({ sizes: [32, 48], large: false, reps: 1, config: { width: 0.125, residualBlocks: 1 } });
  expect(r.backend).toBe((await selectBackend()).name); // the process's choice, as the bench runner made it
  expect(r.model).toMatch(/^random-weight transformer .*"residualBlocks":1/);
  expect(r.timings.map((t) => [t.width, t.height, t.tiles])).toEqual([
    [32, 32, 1],
    [48, 48, 1],
  ]);
  for (const t of r.timings) {
    // Values are not asserted (no timing assertions), only that the per-megapixel figure the runner prints is
    // derived from the measured ms of that size.
    expect(Number.isFinite(t.ms)).toBe(true);
    expect(t.msPerMegapixel).toBe(Math.round(t.ms / ((t.width * t.height) / 1e6)));
    expect(t.peakRssMiB).toBeGreaterThan(10);
  }
  // Peak RSS is the process's high-water mark so far: it never goes down from one size to the next.
  expect(r.timings[1].peakRssMiB).toBeGreaterThanOrEqual(r.timings[0].peakRssMiB);
  expect(r.skipped).toMatch(/4000x3000 not timed/);
});

it('benchStylize reports the tiled image per pixel against the largest untiled size', async () => {
  const r = await benchStylize({ sizes: [32], large: true, largeSize: [96, 64], tile: 48, reps: 1, config: { width: 0.125, residualBlocks: 1 } });
  const [untiled, tiled] = r.timings;
  expect(untiled.tiles).toBe(1);
  expect(tiled.tiles).toBeGreaterThan(1);
  expect(tiled.tileStats).toBe('exact'); // stylize's default
  expect(r.tiledPerPixelRatio).toBe(Math.round((tiled.msPerMegapixel / untiled.msPerMegapixel) * 100) / 100);
});
