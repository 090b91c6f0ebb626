/**
 * Tiling for the AdaIN model: when to tile, the tiles, and each tile's core (for the whole-image statistics).
 *
 * Memory: the encoder (LossNetwork.extract) runs inside one tf.tidy, so every intermediate up to the encoder layer is
 * alive at its end: per conv its output, the bias add and the ReLU (3 × channels / stride²), plus the preprocessing
 * copies and the pools. For relu3_1 that is ≈ 660 floats per input pixel, far more than the decoder (whose predict()
 * frees each layer's output after use: ≈ 5 × 64 at full resolution), so the encoder sets the tile size. × SAFETY
 * as in ../memory.ts, for what tf.memory() does not see.
 */
import { UsageError } from '../../errors';
import { vggLayout } from '../../nets/loss-network';
import { DEFAULT_MEMORY_BUDGET_BYTES, maxTileSide, SAFETY } from '../memory';
import { planTiles, Tile } from '../tiling';
import { tileCores } from './content-stats';

export const DEFAULT_ARBITRARY_OVERLAP = 64;
/** The smallest tile accepted: a few feature cells at 1/4 resolution beyond the overlap. */
export const MIN_ARBITRARY_TILE = 32;

/** Estimated peak bytes per input pixel of encoding (the larger part) at `layer`, including SAFETY. */
export function arbitraryBytesPerPixel(layer: string): number {
  let floats = 9; // RGB, its BGR flip, the mean-subtracted copy
  let scale = 1;
  for (const spec of vggLayout('vgg19')) {
    if (spec.index === 1 && spec.block > 1) {
      scale *= 4;
      floats += spec.inChannels / scale; // the max-pool's output
    }
    floats += (3 * spec.outChannels) / scale;
    if (spec.tap === layer) break;
  }
  const decoder = 5 * 64 + 3;
  return Math.round(4 * SAFETY * Math.max(floats, decoder));
}

export interface ArbitraryTiling {
  tiles: Tile[];
  cores: Array<{ x: [number, number]; y: [number, number] }>;
  /** Tile side, or undefined for one pass. */
  tile?: number;
  overlap: number;
}

export interface ArbitraryTilingOptions {
  /** Force tiles of this side (rounded down to the stride); 0 = never tile. */
  tile?: number;
  overlap?: number;
  memoryBudgetBytes?: number;
}

/** The tiles of a padded width×height image (sides multiples of `stride`). */
export function planArbitraryTiling(width: number, height: number, stride: number, layer: string, o: ArbitraryTilingOptions = {}): ArbitraryTiling {
  const alignDown = (n: number) => Math.floor(n / stride) * stride;
  const single = (): ArbitraryTiling => ({
    tiles: planTiles(width, height, Math.max(width, height), 0),
    cores: [{ x: [0, width], y: [0, height] }],
    overlap: 0,
  });
  if (o.tile === 0) return single();
  const requested = o.overlap ?? DEFAULT_ARBITRARY_OVERLAP;
  let tile: number;
  if (o.tile !== undefined) {
    if (o.tile < MIN_ARBITRARY_TILE) throw new UsageError(`tile ${o.tile} is too small: use at least ${MIN_ARBITRARY_TILE} px (or 0 to disable tiling)`);
    tile = alignDown(o.tile);
  } else {
    const perPixel = arbitraryBytesPerPixel(layer);
    const budget = o.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    if (width * height * perPixel <= budget) return single();
    tile = maxTileSide(budget, perPixel, stride, Math.max(MIN_ARBITRARY_TILE, 4 * requested));
  }
  if (tile >= width && tile >= height) return single();
  const overlap = Math.min(alignDown(requested), alignDown((tile - stride) / 2));
  return { tiles: planTiles(width, height, tile, overlap, stride), cores: tileCores(width, height, tile, overlap, stride), tile, overlap };
}
