/**
 * Whole-image channel statistics of encoder features, computed tile by tile.
 *
 * AdaIN normalises the content features by their mean and std over the WHOLE image. A tile normalised by its own
 * statistics would get its own contrast and tint (a sky tile and a forest tile would come out differently styled), so
 * tiled inference first measures the global statistics: every tile is encoded, and each contributes the features of
 * the part of the image it owns — its core, up to the middle of each band shared with a neighbour, where the tile's
 * zero-padded borders are far away — so the cores partition the feature map exactly once. Per-core mean and sum of
 * squared deviations are merged with Chan et al.'s pairwise update in float64 (no E[x²]−E[x]² cancellation).
 */
import { tf } from '../../backend/tf';
import type { RgbImage } from '../../image/image-io';
import type { ChannelStats } from '../../nets/adain';
import { ADAIN_EPSILON } from '../../nets/adain';
import { cropRgb } from '../pad';
import { axisTiles, Tile } from '../tiling';
import { pixelsToTensor } from '../../image/image-io';

/** Running per-channel count, mean and sum of squared deviations. */
export interface MomentAccumulator {
  count: number;
  mean: Float64Array;
  m2: Float64Array;
}

export function emptyMoments(channels: number): MomentAccumulator {
  return { count: 0, mean: new Float64Array(channels), m2: new Float64Array(channels) };
}

/** Adds a block of n samples with per-channel mean `mean` and sum of squared deviations `m2` (Chan et al. 1979). */
export function mergeMoments(acc: MomentAccumulator, n: number, mean: ArrayLike<number>, m2: ArrayLike<number>): void {
  if (n === 0) return;
  const total = acc.count + n;
  for (let c = 0; c < acc.mean.length; c++) {
    const delta = mean[c] - acc.mean[c];
    acc.mean[c] += (delta * n) / total;
    acc.m2[c] += m2[c] + (delta * delta * acc.count * n) / total;
  }
  acc.count = total;
}

/** The accumulated statistics as AdaIN's [1,1,1,C] tensors, σ = sqrt(var + eps) like channelStats. */
export function momentsToStats(acc: MomentAccumulator, eps = ADAIN_EPSILON): ChannelStats {
  const c = acc.mean.length;
  const std = Float32Array.from(acc.m2, (m2) => Math.sqrt(m2 / Math.max(acc.count, 1) + eps));
  return { mean: tf.tensor4d(Float32Array.from(acc.mean), [1, 1, 1, c]), std: tf.tensor4d(std, [1, 1, 1, c]) };
}

/**
 * The half-open range of [0, length) each tile along one axis owns: from the middle of the band it shares with the
 * previous tile to the middle of the band it shares with the next, rounded to multiples of `align` (the encoder
 * stride, so the range maps onto whole feature cells).
 */
export function ownedRanges(starts: number[], size: number, length: number, align: number): Array<[number, number]> {
  const cut = (i: number) => Math.round((starts[i + 1] + starts[i] + size) / 2 / align) * align;
  return starts.map((_, i) => [i === 0 ? 0 : cut(i - 1), i === starts.length - 1 ? length : cut(i)]);
}

/** The core of every tile of planTiles(width, height, tile, overlap, align), in the same (row-major) order. */
export function tileCores(width: number, height: number, tile: number, overlap: number, align: number): Array<{ x: [number, number]; y: [number, number] }> {
  const xs = axisTiles(width, tile, overlap, align);
  const ys = axisTiles(height, tile, overlap, align);
  const ox = ownedRanges(xs.map((t) => t.start), xs[0].size, width, align);
  const oy = ownedRanges(ys.map((t) => t.start), ys[0].size, height, align);
  return oy.flatMap((y) => ox.map((x) => ({ x, y })));
}

/**
 * Mean and sum of squared deviations per channel of features[0, y0:y1, x0:x1, :] (feature coordinates), read on the
 * CPU in float64: two passes over the block (tfjs' Slice of a strided window is a slow element-wise JS kernel).
 */
export function blockMoments(features: tf.Tensor4D, x: [number, number], y: [number, number]): { n: number; mean: Float64Array; m2: Float64Array } {
  const [, , w, c] = features.shape;
  const mean = new Float64Array(c);
  const m2 = new Float64Array(c);
  const n = Math.max(0, y[1] - y[0]) * Math.max(0, x[1] - x[0]);
  if (n === 0) return { n, mean, m2 };
  const data = features.dataSync();
  for (let r = y[0]; r < y[1]; r++) {
    for (let q = x[0]; q < x[1]; q++) {
      const at = (r * w + q) * c;
      for (let k = 0; k < c; k++) mean[k] += data[at + k];
    }
  }
  for (let k = 0; k < c; k++) mean[k] /= n;
  for (let r = y[0]; r < y[1]; r++) {
    for (let q = x[0]; q < x[1]; q++) {
      const at = (r * w + q) * c;
      for (let k = 0; k < c; k++) {
        const d = data[at + k] - mean[k];
        m2[k] += d * d;
      }
    }
  }
  return { n, mean, m2 };
}

/** Encodes one image tile: [1, h/stride, w/stride, C] features at `layer`. The caller disposes them. */
export type TileEncoder = (tile: RgbImage) => tf.Tensor4D;

/**
 * Global statistics of the features of `img` (sides multiples of `stride`), encoding it tile by tile. `keep(i, f)`
 * may keep a tile's features for the decoding pass (return true: the caller then owns and disposes `f`).
 */
export function globalContentStats(
  encode: TileEncoder,
  img: RgbImage,
  tiles: Tile[],
  cores: Array<{ x: [number, number]; y: [number, number] }>,
  stride: number,
  keep?: (index: number, features: tf.Tensor4D) => boolean,
): ChannelStats {
  let acc: MomentAccumulator | undefined;
  tiles.forEach((t, i) => {
    const f = encode(cropRgb(img, t.left, t.top, t.width, t.height));
    const core = cores[i];
    // Tile-local feature coordinates of the core.
    const fx: [number, number] = [(core.x[0] - t.left) / stride, (core.x[1] - t.left) / stride];
    const fy: [number, number] = [(core.y[0] - t.top) / stride, (core.y[1] - t.top) / stride];
    const m = blockMoments(f, fx, fy);
    acc ??= emptyMoments(f.shape[3]);
    mergeMoments(acc, m.n, m.mean, m.m2);
    if (!keep?.(i, f)) f.dispose();
  });
  return momentsToStats(acc!);
}

/** A TileEncoder over a LossNetwork-like extractor. */
export function tileEncoder(extract: (x: tf.Tensor4D, taps: string[]) => Record<string, tf.Tensor4D>, layer: string): TileEncoder {
  return (tile) =>
    tf.tidy(() => {
      const out = extract(pixelsToTensor(tile), [layer]);
      return out[layer];
    });
}
