/**
 * Tiling for the AdaIN model: when to tile, the tiles, and each tile's core (for the whole-image statistics).
 *
 * Memory: the encoder (LossNetwork.extract) runs inside one tf.tidy, so every conv output up to the encoder layer is
 * alive at its end (one tensor per conv: conv, bias and ReLU are one fused kernel), channels / stride² floats per
 * input pixel each, plus the preprocessed input and the pools: ≈ 240 floats per pixel for relu3_1. The decoder's
 * predict() frees each layer's output after use: ≈ 3 × 64 floats at full resolution. tf.profile measured a peak of
 * 644 bytes (161 floats) per pixel at 256² and 384² for relu3_1, under this estimate; × SAFETY as in ../memory.ts.
 */
import { UsageError } from '../../errors';
import { vggLayout } from '../../nets/loss-network';
import { DEFAULT_MEMORY_BUDGET_BYTES, maxTileSide, SAFETY } from '../memory';
import { planTiles, Tile } from '../tiling';
import { tileCores } from './content-stats';

export const DEFAULT_ARBITRARY_OVERLAP = 64;
/** The smallest tile accepted: a few feature cells at 1/4 resolution beyond the overlap. */
export const MIN_ARBITRARY_TILE = 32;

/**
 * Headroom over the native plans' own buffers (measured: the relu3_1 decoder's plan holds 136 floats per output pixel
 * at 1024², the estimate below says 179 with the JS-side input and output): plans allocate exactly what they use, so
 * tfjs' SAFETY factor does not apply.
 */
export const PLANNED_SAFETY = 1.1;

/**
 * Estimated peak bytes per input pixel of encoding or decoding at `layer`, including SAFETY. `planned`: the encoder
 * and decoder run as whole-network native plans (src/nets/planned-forward.ts), which keep only a layer's input and
 * output alive: the encoder's largest (in + out) pair, the decoder's two full-resolution 64-channel buffers plus one
 * at half resolution, and the tensors handed over in JS (image, preprocessed image, features, output).
 */
export function arbitraryBytesPerPixel(layer: string, planned = false): number {
  let floats = 6; // RGB and its preprocessed copy
  let scale = 1;
  let pair = 0; // planned: the largest conv input + output, per input pixel
  let channels = 3;
  for (const spec of vggLayout('vgg19')) {
    if (spec.index === 1 && spec.block > 1) {
      scale *= 4;
      floats += spec.inChannels / scale; // the max-pool's output
    }
    floats += spec.outChannels / scale;
    pair = Math.max(pair, (spec.inChannels + spec.outChannels) / scale);
    channels = spec.outChannels / scale;
    if (spec.tap === layer) break;
  }
  if (planned) {
    const encoder = 6 + pair + channels;
    const decoder = 2 * 64 + 128 / 4 + 3 + channels;
    return Math.round(4 * PLANNED_SAFETY * Math.max(encoder, decoder));
  }
  const decoder = 3 * 64 + 3;
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
  /** The encoder and decoder run as native plans (less memory per pixel: see arbitraryBytesPerPixel). */
  planned?: boolean;
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
    const perPixel = arbitraryBytesPerPixel(layer, o.planned);
    const budget = o.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    if (width * height * perPixel <= budget) return single();
    tile = maxTileSide(budget, perPixel, stride, Math.max(MIN_ARBITRARY_TILE, 4 * requested));
  }
  if (tile >= width && tile >= height) return single();
  const overlap = Math.min(alignDown(requested), alignDown((tile - stride) / 2));
  return { tiles: planTiles(width, height, tile, overlap, stride), cores: tileCores(width, height, tile, overlap, stride), tile, overlap };
}
