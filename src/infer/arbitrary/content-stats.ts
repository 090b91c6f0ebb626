/**
 * Whole-image channel statistics of encoder features, computed tile by tile.
 *
 * AdaIN normalises the content features by their mean and std over the WHOLE image. A tile normalised by its own
 * statistics would get its own contrast and tint (a sky tile and a forest tile would come out differently styled), so
 * tiled inference first measures the global statistics: every tile is encoded, and each contributes the features of
 * the part of the image it owns — its core, up to the middle of each band shared with a neighbour, where the tile's
 * zero-padded borders are far away — so the cores partition the feature map exactly once. Per-core mean and sum of
 * squared deviations are merged with Chan et al.'s pairwise update in float64 (../channel-moments.ts).
 */
import { tf } from '../../backend/tf';
import type { RgbImage } from '../../image/image-io';
import type { ChannelStats } from '../../nets/adain';
import { ADAIN_EPSILON } from '../../nets/adain';
import { yieldToEventLoop } from '../../util/yield';
import { ChannelMoments } from '../channel-moments';
import { cropRgb } from '../pad';
import { axisTiles, Tile } from '../tiling';
import { pixelsToTensor } from '../../image/image-io';

/** Moments accumulated over the cores as AdaIN's [1,1,1,C] tensors, σ = sqrt(var + eps) like channelStats. */
export function momentsToStats(moments: ChannelMoments, eps = ADAIN_EPSILON): ChannelStats {
  const { mean, variance } = moments.meanVariance();
  const c = mean.length;
  const std = Float32Array.from(variance, (v) => Math.sqrt(v + eps));
  return { mean: tf.tensor4d(Float32Array.from(mean), [1, 1, 1, c]), std: tf.tensor4d(std, [1, 1, 1, c]) };
}

/** The statistics of whole features (an untiled pass), as momentsToStats gives them. */
export function featureStats(features: tf.Tensor4D, eps = ADAIN_EPSILON): ChannelStats {
  const [n, h, w, c] = features.shape;
  if (n !== 1) throw new RangeError(`featureStats: one image at a time, got a batch of ${n}`);
  const moments = new ChannelMoments(c);
  moments.add(features.dataSync() as Float32Array, w, 0, 0, w, h);
  return momentsToStats(moments, eps);
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

/** Encodes one image tile: [1, h/stride, w/stride, C] features at `layer`. The caller disposes them. */
export type TileEncoder = (tile: RgbImage) => tf.Tensor4D;

/**
 * Global statistics of the features of `img` (sides multiples of `stride`), encoding it tile by tile (the event loop
 * runs between tiles). `keep(i, f)` may keep a tile's features for the decoding pass (return true: the caller then
 * owns and disposes `f`).
 */
export async function globalContentStats(
  encode: TileEncoder,
  img: RgbImage,
  tiles: Tile[],
  cores: Array<{ x: [number, number]; y: [number, number] }>,
  stride: number,
  keep?: (index: number, features: tf.Tensor4D) => boolean,
): Promise<ChannelStats> {
  let moments: ChannelMoments | undefined;
  for (const [i, t] of tiles.entries()) {
    const f = encode(cropRgb(img, t.left, t.top, t.width, t.height));
    const core = cores[i];
    // Tile-local feature coordinates of the core.
    const [x0, x1] = [(core.x[0] - t.left) / stride, (core.x[1] - t.left) / stride];
    const [y0, y1] = [(core.y[0] - t.top) / stride, (core.y[1] - t.top) / stride];
    moments ??= new ChannelMoments(f.shape[3]);
    moments.add(f.dataSync() as Float32Array, f.shape[2], x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0));
    if (!keep?.(i, f)) f.dispose();
    if (tiles.length > 1) await yieldToEventLoop();
  }
  return momentsToStats(moments!);
}

/** A TileEncoder over a LossNetwork-like extractor. */
export function tileEncoder(extract: (x: tf.Tensor4D, taps: string[]) => Record<string, tf.Tensor4D>, layer: string): TileEncoder {
  return (tile) =>
    tf.tidy(() => {
      const out = extract(pixelsToTensor(tile), [layer]);
      return out[layer];
    });
}
