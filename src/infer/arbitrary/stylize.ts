/**
 * Arbitrary style transfer with an AdaIN model (Huang & Belongie 2017), beside ../stylize.ts's per-style networks:
 *
 *   stylizeArbitrary(model, content, styles, options) -> Promise<StylizeResult>
 *
 * Steps: style statistics (once per style and size, cached) → decode and downscale the content to maxSize → pad
 * bottom/right by reflection to a multiple of the encoder stride → the content's WHOLE-image statistics at the encoder
 * layer (tile by tile when large: ./content-stats.ts) → per tile: encode, AdaIN with the global content statistics
 * and the weighted mix of the styles' statistics, blend with the content features by alpha, decode → feathered
 * blending of the tiles (../tiling.ts) → crop → optional luminance-only colour preservation → optional blend with the
 * content by `strength`. Alpha (transparency) is carried through.
 *
 * With the global statistics every tile gets the same affine map of its features, so tiled output matches untiled
 * output up to the encoder's and decoder's receptive fields at tile borders, which the overlap cross-fades away.
 */
import { z } from 'zod';
import { tf } from '../../backend/tf';
import { UsageError } from '../../errors';
import { blendStrength, preserveColor as transferLuminance } from '../../image/color';
import { decodeImage, EncodableImage, fitWithin, resizeImage, type RgbImage } from '../../image/image-io';
import { adainAffine, blendAlpha, channelStats, disposeStats, mixedAdain, type ChannelAffine, type ChannelStats } from '../../nets/adain';
import { DEFAULT_MEMORY_BUDGET_BYTES } from '../memory';
import { cropRgb, padToMultiple } from '../pad';
import type { StylizeInput, StylizeResult } from '../stylize';
import { STROKE_DETAIL, strokeScaleField, withStrokeScale } from '../stroke-scale';
import { accumulateTile, type Tile } from '../tiling';
import { plannedAffineForward, plannedForward } from '../../nets/planned-forward';
import { featureStats, globalContentStats } from './content-stats';
import { encoderOf } from './encode';
import type { ArbitraryModel } from './model';
import { planArbitraryTiling } from './plan';
import { DEFAULT_STYLE_SIZE, MIN_STYLE_SIDE, StyleSource, StyleStatsCache } from './style-stats';
import { yieldToEventLoop } from '../../util/yield';

const STYLE_SIZE = `must be a whole number ≥ ${MIN_STYLE_SIDE} (pixels)`;

export const ArbitraryOptionsSchema = z.object({
  /** Style strength in feature space: 1 = the full AdaIN target, 0 = the content features (a reconstruction). */
  alpha: z.number({ error: 'must be between 0 and 1' }).min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).optional(),
  /** One non-negative weight per style (normalised to sum 1); default equal weights. */
  styleWeights: z.array(z.number().nonnegative()).optional(),
  /** Blend the result with the content image in pixel space (0 = unchanged, 1 = the result; default 1). */
  strength: z.number().min(0).max(1).optional(),
  /** Keep the content's colours: luminance from the result, chroma from the content. */
  preserveColor: z.boolean().optional(),
  /** Longest side style images are resized to before encoding (default 512). */
  styleSize: z.number({ error: STYLE_SIZE }).int({ error: STYLE_SIZE }).min(MIN_STYLE_SIDE, { error: STYLE_SIZE }).optional(),
  /** Downscale (never enlarge) the content so its longest side is at most this. */
  maxSize: z.number().int().positive().optional(),
  /** Force tiles of this side; 0 = never tile. Default: tile when the memory budget needs it. */
  tile: z.number().int().nonnegative().optional(),
  overlap: z.number().int().nonnegative().optional(),
  memoryBudgetBytes: z.number().positive().optional(),
  /** Larger strokes: stylize at 1/strokeScale of the size, the photo's detail added back (../stroke-scale.ts). */
  strokeScale: strokeScaleField.optional(),
  strokeDetail: z.enum(STROKE_DETAIL).optional(),
  /** Style statistics to reuse across calls (a batch); default: a cache for this call only. */
  cache: z.instanceof(StyleStatsCache).optional(),
  onTile: z.custom<(done: number, total: number) => void>((v) => typeof v === 'function').optional(),
});
export type ArbitraryOptions = z.input<typeof ArbitraryOptionsSchema>;

function parseOptions(options: ArbitraryOptions) {
  const r = ArbitraryOptionsSchema.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(`stylize option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  return r.data;
}

async function contentPixels(image: StylizeInput, maxSize: number | undefined): Promise<EncodableImage> {
  if (typeof image === 'string' || Buffer.isBuffer(image)) return decodeImage(image, { maxSize });
  if (maxSize === undefined) return image;
  const { width, height } = fitWithin(image.width, image.height, maxSize);
  return resizeImage(image, width, height);
}

/** Normalised style weights, checked against the number of styles. */
export function styleWeightsFor(count: number, weights?: number[]): number[] {
  if (count === 0) throw new UsageError('give at least one style image');
  const w = weights ?? new Array<number>(count).fill(1);
  if (w.length !== count) throw new UsageError(`${count} style image${count > 1 ? 's' : ''} but ${w.length} style weight${w.length > 1 ? 's' : ''}: give one weight per style`);
  const sum = w.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || w.some((v) => !(v >= 0))) throw new UsageError(`style weights must be non-negative with a positive sum, got ${w.join(',')}`);
  return w.map((v) => v / sum);
}

interface TileDecodeContext {
  model: ArbitraryModel;
  styles: ChannelStats[];
  weights: number[];
  alpha: number;
  /** The whole image's content statistics; undefined = measure on the tile itself (an untiled pass). */
  content?: ChannelStats;
}

/** The AdaIN target as the per-channel affine map the decoder's plan applies first (adainAffine). */
function targetAffine(ctx: TileDecodeContext, features: tf.Tensor4D): ChannelAffine {
  const own = ctx.content ? undefined : featureStats(features);
  const content = ctx.content ?? own!;
  const values = (s: ChannelStats) => ({ mean: s.mean.dataSync(), std: s.std.dataSync() });
  try {
    return adainAffine(values(content), ctx.styles.map(values), ctx.weights, ctx.alpha);
  } finally {
    if (own) disposeStats(own);
  }
}

/** Features → AdaIN target (mixed styles, alpha) → decoded tile pixels, checked to be the tile's size. */
function decodeTile(ctx: TileDecodeContext, features: tf.Tensor4D, tile: Tile): Float32Array {
  // With a native plan the target is the plan's first step; else tfjs ops over the features, then the decoder.
  const fused = plannedAffineForward(ctx.model.decoder);
  const affine = fused ? targetAffine(ctx, features) : undefined;
  const out = tf.tidy(() => {
    let y: tf.Tensor;
    if (fused) {
      y = fused(features, affine!);
    } else {
      const stats = ctx.content ?? channelStats(features);
      let t = mixedAdain(features, ctx.styles, ctx.weights, stats);
      if (ctx.alpha < 1) t = blendAlpha(t, features, ctx.alpha);
      y = plannedForward(ctx.model.decoder)(t);
    }
    const [, h, w, c] = y.shape;
    if (y.rank !== 4 || h !== tile.height || w !== tile.width || c !== 3) {
      throw new UsageError(`the AdaIN decoder returned shape [${y.shape.join(',')}] for a ${tile.width}×${tile.height} tile; it must return the tile's size`);
    }
    return y;
  });
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/** Bytes of encoder features kept between the statistics pass and the decoding pass (else tiles are encoded twice). */
function featureBytes(model: ArbitraryModel, tiles: Tile[]): number {
  const channels = model.decoder.inputs[0].shape[3] ?? 512;
  return tiles.reduce((n, t) => n + (t.width / model.stride) * (t.height / model.stride) * channels * 4, 0);
}

/** Runs the model over a padded image: global statistics, then tile-wise AdaIN + decoding (yielding between tiles). */
async function runArbitrary(model: ArbitraryModel, img: RgbImage, ctx: Omit<TileDecodeContext, 'content'>, o: { tile?: number; overlap?: number; memoryBudgetBytes?: number; onTile?: (done: number, total: number) => void }) {
  const planned = Boolean(model.encoder.encode) && plannedAffineForward(model.decoder) !== undefined;
  const plan = planArbitraryTiling(img.width, img.height, model.stride, model.layer, { ...o, planned });
  const encode = encoderOf(model);
  const acc = new Float32Array(img.rgb.length);
  if (plan.tiles.length === 1) {
    const t = plan.tiles[0];
    const f = encode(img);
    try {
      accumulateTile(acc, img.width, t, decodeTile(ctx, f, t));
    } finally {
      f.dispose();
    }
    o.onTile?.(1, 1);
    return { rgb: acc, plan };
  }
  // Keep the tiles' features for the decoding pass when they fit a quarter of the budget; else encode again.
  const budget = (o.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES) / 4;
  const keepAll = featureBytes(model, plan.tiles) <= budget;
  const kept: Array<tf.Tensor4D | undefined> = [];
  const total = plan.tiles.length * 2;
  let done = 0;
  const content = await globalContentStats(encode, img, plan.tiles, plan.cores, model.stride, (i, f) => {
    o.onTile?.(++done, total);
    if (!keepAll) return false;
    kept[i] = f;
    return true;
  });
  try {
    for (const [i, t] of plan.tiles.entries()) {
      const f = kept[i] ?? encode(cropRgb(img, t.left, t.top, t.width, t.height));
      try {
        accumulateTile(acc, img.width, t, decodeTile({ ...ctx, content }, f, t));
      } finally {
        f.dispose();
        kept[i] = undefined;
      }
      o.onTile?.(++done, total);
      await yieldToEventLoop();
    }
  } finally {
    for (const f of kept) f?.dispose();
    disposeStats(content);
  }
  return { rgb: acc, plan };
}

/**
 * Stylizes one image in the style of `styles` (files or pixels), mixed by `styleWeights`. The result has the content's
 * size (after maxSize) and its alpha plane; values are unclamped floats (encode clamps).
 */
export async function stylizeArbitrary(
  model: ArbitraryModel,
  content: StylizeInput,
  styles: StyleSource | StyleSource[],
  options: ArbitraryOptions = {},
): Promise<StylizeResult> {
  const o = parseOptions(options);
  const list = Array.isArray(styles) ? styles : [styles];
  const weights = styleWeightsFor(list.length, o.styleWeights);
  const cache = o.cache ?? new StyleStatsCache(model);
  try {
    const styleStats: ChannelStats[] = [];
    for (const s of list) styleStats.push(await cache.get(s, o.styleSize ?? DEFAULT_STYLE_SIZE, o.memoryBudgetBytes));
    const input = await contentPixels(content, o.maxSize);
    const start = Date.now();
    const { rgb: styled, result } = await withStrokeScale(
      input,
      o.strokeScale ?? 1,
      async (photo) => {
        const padded = padToMultiple(photo, model.stride);
        const { rgb: out, plan } = await runArbitrary(model, padded, { model, styles: styleStats, weights, alpha: o.alpha ?? 1 }, o);
        return { ...cropRgb({ width: padded.width, height: padded.height, rgb: out }, 0, 0, photo.width, photo.height), plan };
      },
      o.strokeDetail,
    );
    const plan = result.plan;
    let rgb = styled;
    if (o.preserveColor) rgb = transferLuminance(rgb, input.rgb);
    if ((o.strength ?? 1) < 1) rgb = blendStrength(rgb, input.rgb, o.strength!);
    return {
      width: input.width,
      height: input.height,
      rgb,
      alpha: input.alpha,
      tiles: plan.tiles.length,
      tileSize: plan.tile,
      ms: Date.now() - start,
    };
  } finally {
    if (!o.cache) cache.dispose();
  }
}
