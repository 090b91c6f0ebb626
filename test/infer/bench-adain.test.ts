// Smoke test of the AdaIN benchmark's API (the bench runner calls it): one tiny size, one rep.
import { benchAdain } from '../../bench/adain';
import { selectBackend } from '../../src/backend/select';

it('benchAdain times the per-style network and AdaIN per size, at the model and library level, with their ratio', async () => {
  const r = await benchAdain({ sizes: [32], reps: 1, styleSize: 64 });
  expect(r.backend).toBe((await selectBackend()).name);
  expect(r.adain).toMatch(/random-weight relu3_1 decoder \(relu3_1, encoder vgg19/);
  expect(r.styleSize).toBe(64);
  expect(r.timings.map((t) => [t.size, t.library.transformerTiles, t.library.adainTiles])).toEqual([[32, 1, 1]]);
  const t = r.timings[0];
  // No timing assertions: only that each ratio is the one of the two times it reports (to its 2 decimals).
  for (const level of [t.model, t.library]) {
    expect(level.transformerMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(level.ratio)).toBe(true);
    if (level.transformerMs >= 50) expect(level.ratio).toBeCloseTo(level.adainMs / level.transformerMs, 1);
  }
});
