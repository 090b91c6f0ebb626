import { binnedRecords, lossCurveSpec, MAX_CURVE_POINTS, renderLossCurveSvg } from '../../src/train/loss-plot';
import type { StepRecord } from '../../src/train/train-log';

const rec = (step: number, total: number): StepRecord => ({
  step, epoch: step / 10, time: 0, lr: 1e-3, total, content: total / 4, style: total / 2, tv: total / 100, styleLayers: {}, stepMs: 1, dataWaitMs: 0,
});

describe('loss curve', () => {
  it('has one series per weighted term and drops non-positive values (log scale)', () => {
    const spec = lossCurveSpec([rec(1, 4), rec(2, 0)], { content: 1, style: 2, tv: 1 }) as { data: { values: Array<{ term: string; value: number }> } };
    const terms = new Set(spec.data.values.map((v) => v.term));
    expect(terms).toEqual(new Set(['total', 'content × w', 'style × w', 'tv × w']));
    expect(spec.data.values.every((v) => v.value > 0)).toBe(true);
    expect(spec.data.values.find((v) => v.term === 'style × w')!.value).toBe(4); // 4/2 × weight 2
  });

  it('a long log is drawn as at most MAX_CURVE_POINTS means of consecutive steps, NaNs left out', () => {
    const long = Array.from({ length: 2 * MAX_CURVE_POINTS + 1 }, (_, i) => rec(i + 1, i % 2 ? 3 : 1));
    long[2].total = NaN;
    const { points, binSize } = binnedRecords(long);
    expect(binSize).toBe(3);
    expect(points).toHaveLength(Math.ceil(long.length / 3));
    expect(points[0]).toMatchObject({ step: 3, total: 2 }); // steps 1-3: 1, 3, NaN
    expect(points[1].total).toBeCloseTo(7 / 3, 12); // steps 4-6: 3, 1, 3
    expect(points[points.length - 1].step).toBe(long.length);
    const short = [rec(1, 4), rec(2, 3)];
    expect(binnedRecords(short)).toEqual({ points: short, binSize: 1 });
    const spec = lossCurveSpec(long, { content: 1, style: 1, tv: 1 }) as { title: string; data: { values: unknown[] } };
    expect(spec.title).toContain('means of 3 steps');
    expect(spec.data.values.length).toBeLessThanOrEqual(4 * MAX_CURVE_POINTS);
  });

  it('renders to SVG headless with vega', async () => {
    const svg = await renderLossCurveSvg([rec(1, 4), rec(2, 3), rec(3, 2.5)], { content: 1, style: 5, tv: 1 });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('training loss');
  });
});
