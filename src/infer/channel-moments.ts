/**
 * Per-channel count, mean and squared deviations of a map, merged core by core over tiles into the whole image's
 * statistics: a layer's input for the exact tile statistics (tile-stats.ts), the encoder features for AdaIN
 * (arbitrary/content-stats.ts).
 */
import { loadNativeAddon } from '../backend/native/loader';
import type { NormStats } from './layer-graph';

/**
 * Per channel, the sum and the squared deviations from the rectangle's own mean of the w×h cells at (x0, y0) of a
 * channels-last map rowCells wide: in the native addon when it is built (~10⁹ values for a 4000×3000 photo), else here.
 */
function rectMoments(values: Float32Array, rowCells: number, channels: number, x0: number, y0: number, w: number, h: number) {
  const addon = loadNativeAddon().addon;
  if (typeof addon?.channelMomentsF32 === 'function') {
    const out = new Float64Array(2 * channels);
    addon.channelMomentsF32(values, rowCells, channels, x0, y0, w, h, out);
    return { sum: out.subarray(0, channels), dev: out.subarray(channels) };
  }
  const sum = new Float64Array(channels);
  const dev = new Float64Array(channels);
  for (let y = y0; y < y0 + h; y++) {
    for (let i = (y * rowCells + x0) * channels, end = i + w * channels; i < end; i += channels) {
      for (let c = 0; c < channels; c++) sum[c] += values[i + c];
    }
  }
  const m = sum.map((v) => v / (w * h));
  for (let y = y0; y < y0 + h; y++) {
    for (let i = (y * rowCells + x0) * channels, end = i + w * channels; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = values[i + c] - m[c];
        dev[c] += d * d;
      }
    }
  }
  return { sum, dev };
}

/** Per-channel count, mean and sum of squared deviations, merged tile by tile (Chan et al.) in float64. */
export class ChannelMoments {
  private n = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  /**
   * Adds the cells of the core (cells `x0`..`x0+w`, `y0`..`y0+h`) of a window's values (`rowCells` cells per row,
   * channels last). Read straight from the array: a strided tf.slice of the core is slow on the pure-JS backend.
   */
  add(values: Float32Array, rowCells: number, x0: number, y0: number, w: number, h: number): void {
    const count = w * h;
    if (count === 0) return;
    const channels = this.mean.length;
    const { sum, dev } = rectMoments(values, rowCells, channels, x0, y0, w, h);
    const m = sum.map((v) => v / count);
    const total = this.n + count;
    for (let c = 0; c < channels; c++) {
      const delta = m[c] - this.mean[c];
      this.mean[c] += (delta * count) / total;
      this.m2[c] += dev[c] + (delta * delta * this.n * count) / total;
    }
    this.n = total;
  }

  /** Per-channel mean and (biased) variance of everything added, in float64. */
  meanVariance(): { mean: Float64Array; variance: Float64Array } {
    return { mean: Float64Array.from(this.mean), variance: this.m2.map((m2) => m2 / Math.max(this.n, 1)) };
  }

  /** An instance norm's statistics: the mean and 1/sqrt(variance + epsilon). */
  stats(epsilon: number): NormStats {
    const { mean, variance } = this.meanVariance();
    return { mean: Float32Array.from(mean), rstd: Float32Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon)) };
  }
}
