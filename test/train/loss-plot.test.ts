import { lossCurveSpec, renderLossCurveSvg } from '../../src/train/loss-plot';
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

  it('renders to SVG headless with vega', async () => {
    const svg = await renderLossCurveSvg([rec(1, 4), rec(2, 3), rec(3, 2.5)], { content: 1, style: 5, tv: 1 });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('training loss');
  });
});
