import { channelMeanStd, matchColorStats } from '../../src/image/color';
import { seededRandom } from '../helpers';

function randomPixels(n: number, seed: number, scale: [number, number, number], offset: [number, number, number]): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < out.length; i++) out[i] = offset[i % 3] + scale[i % 3] * rand();
  return out;
}

describe('matchColorStats (per-channel colour match)', () => {
  const photo = randomPixels(500, 1, [200, 100, 50], [20, 60, 100]);
  const style = randomPixels(300, 2, [40, 180, 120], [150, 10, 80]);

  it("gives each channel the reference's mean and std (within 1e-3 levels)", () => {
    const out = channelMeanStd(matchColorStats(photo, style));
    const want = channelMeanStd(style);
    for (let c = 0; c < 3; c++) {
      expect(out.mean[c]).toBeCloseTo(want.mean[c], 3);
      expect(out.std[c]).toBeCloseTo(want.std[c], 3);
    }
  });

  it('is an increasing affine map per channel: the photo\'s ordering of values is kept', () => {
    const out = matchColorStats(photo, style);
    for (let c = 0; c < 3; c++) {
      const a = photo[c] < photo[3 + c];
      expect(out[c] < out[3 + c]).toBe(a);
    }
    // Matching a photo to itself changes nothing.
    const self = matchColorStats(photo, photo);
    for (let i = 0; i < photo.length; i++) expect(Math.abs(self[i] - photo[i])).toBeLessThan(1e-3);
  });

  it("maps a flat channel to the reference's mean", () => {
    const flat = new Float32Array([50, 10, 0, 50, 20, 0, 50, 30, 0]);
    const out = matchColorStats(flat, style);
    const want = channelMeanStd(style);
    expect(out[0]).toBeCloseTo(want.mean[0], 3);
    expect(out[3]).toBeCloseTo(want.mean[0], 3);
    expect(out[8]).toBeCloseTo(want.mean[2], 3);
  });

  it('computes population statistics', () => {
    const s = channelMeanStd(new Float32Array([0, 0, 0, 2, 4, 6]));
    expect(s.mean).toEqual([1, 2, 3]);
    expect(s.std).toEqual([1, 2, 3]);
    expect(() => channelMeanStd(new Float32Array(4))).toThrow(/multiple of 3/);
  });
});
