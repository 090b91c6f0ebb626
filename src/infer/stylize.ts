/**
 * The inference library: apply a style network to one image. The CLI (`nst stylize`) only wraps this.
 *
 *   stylize(model, image, options) -> Promise<StylizeResult>
 *
 * Steps: decode (file/Buffer) or take pixels → downscale to maxSize → pad bottom/right (reflection, or edge repeat
 * where the image is too small to mirror) to a multiple of 4 and at least the network's 8×8 minimum
 * → run the network in one pass, or in tiles when its activations would not fit the memory budget (or a tile size is
 * forced) → crop back → optional luminance-only colour preservation → blend with the input by `strength`. Alpha is
 * carried through untouched.
 *
 * Tiles and instance norm (`tileStats`): by default ('exact') the tiles of a tf.LayersModel share the whole image's
 * instance-norm statistics, gathered layer by layer (./tile-stats.ts), and the result is the untiled pass's;
 * 'downscaled' takes them from one pass over a smaller copy and 'per-tile' lets each tile use its own (the only choice
 * for a plain function or an ONNX model); those two blend overlapping tiles with feathered weights.
 *
 * Peak memory: the image itself is held as a few float RGB copies (input, padded input, accumulated output, the
 * cropped/colour-preserved/blended result: at most 5 × 12 = 60 bytes per pixel), plus ONE tile's activations, which
 * chooseTiling() keeps under `memoryBudgetBytes` (default 1 GiB) using activationBytesPerPixel(). Tiles run one after
 * another, so the peak does not grow with the image beyond those 60 bytes per pixel. The exact statistics also keep
 * 1/4-resolution activations for the whole image (32 bytes per pixel, up to three at a time), in memory while they fit
 * mapMemoryBytes (half the budget, or a quarter of the free memory when more), else in a temporary file. See
 * docs/stylize.md.
 */
import * as os from 'os';
import { z } from 'zod';
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { blendStrength, preserveColor as transferLuminance } from '../image/color';
import { decodeImage, DecodedImage, EncodableImage, fitWithin, pixelsToTensor, resizeImage, RgbImage } from '../image/image-io';
import { activationBytesPerPixel, DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_WIDTHS, mapMemoryBytes, maxTileSide, NetworkWidths } from './memory';
import { cropRgb, InputGeometry, MIN_NETWORK_SIDE, NETWORK_STRIDE, padForNetwork } from './pad';
import { isLayersModel, LayerGraph, layerGraph, poolingStride, supportsExactStats } from './layer-graph';
import { resolveStyleWeights, setStyleWeights, styleCountOf } from '../nets/style-weights';
import { plannedForward } from '../nets/planned-forward';
import { downscaledStats, exactTiledForward, sharedStatsForward } from './tile-stats';
import { STROKE_DETAIL, strokeScaleField, withStrokeScale } from './stroke-scale';
import { accumulateTile, planTiles, Tile } from './tiling';
import { yieldToEventLoop } from '../util/yield';

/** A forward pass: NHWC float RGB 0–255 of any size (multiple of 4) in, the same shape out (unclamped). */
export type StyleForward = (x: tf.Tensor4D) => tf.Tensor;

/**
 * A model that serves several styles and is told which before it runs (a LoadedStyleModel: a multi-style checkpoint
 * or ONNX export). `model` is its tf.LayersModel when it has one (the tiled pass with exact statistics needs it).
 */
export interface MultiStyleModel {
  forward: StyleForward;
  model?: tf.LayersModel;
  styles: number;
  setStyleWeights(weights: number[]): void;
}

/**
 * Anything that stylizes: a function, a tf.LayersModel (its predict), any object with such a predict, or a loaded
 * model (loadStyleModel), which is also how an ONNX multi-style model takes `styleIndex` / `mix`.
 */
export type StyleModel = StyleForward | { predict(x: tf.Tensor4D): tf.Tensor | tf.Tensor[] } | MultiStyleModel;

export const DEFAULT_OVERLAP = 64;

/**
 * Where tiles take their instance-norm statistics from (docs/stylize.md, "Tiles and instance norm"):
 * 'exact' — the whole image's, gathered layer by layer (equals the untiled pass; several passes);
 * 'downscaled' — one pass over a copy shrunk to one tile's pixels (one extra small pass);
 * 'per-tile' — each tile its own (one pass, tiles drift apart in look). Needs a tf.LayersModel except 'per-tile'.
 */
export const TILE_STATS_METHODS = ['exact', 'downscaled', 'per-tile'] as const;
export type TileStatsMethod = (typeof TILE_STATS_METHODS)[number];
export const DEFAULT_TILE_STATS: TileStatsMethod = 'exact';
/** Smallest tile side accepted: the network's 1/4-resolution stage needs a few pixels to work with. */
export const MIN_TILE = 16;

/** One message for every way a number can miss (not a number, not whole, out of range): "must be <what>". */
const mustBe = (what: string) => ({ error: `must be ${what}` });
const PIXELS = 'a positive whole number of pixels';
const TILE = `a whole number ≥ ${MIN_TILE} (or 0: never tile)`;
const NON_NEGATIVE = 'a whole number ≥ 0';
const FRACTION = 'between 0 and 1';

export const StylizeOptionsSchema = z.object({
  /** Downscale (never enlarge) so the longest side is at most this, before stylizing. */
  maxSize: z.number(mustBe(PIXELS)).int(mustBe(PIXELS)).positive(mustBe(PIXELS)).optional(),
  /** Force tiles of this side (px, rounded down to a multiple of 4, at least 2·overlap+4); 0 = never tile. */
  tile: z.number(mustBe(TILE)).int(mustBe(TILE)).refine((n) => n === 0 || n >= MIN_TILE, mustBe(TILE)).optional(),
  /** Pixels shared by neighbouring tiles (default 64); the middle half of the band is a linear cross-fade. */
  overlap: z.number(mustBe(NON_NEGATIVE)).int(mustBe(NON_NEGATIVE)).nonnegative(mustBe(NON_NEGATIVE)).optional(),
  /** Activation memory allowed for one forward pass; larger images are tiled automatically (default 1 GiB). */
  memoryBudgetBytes: z.number().positive().optional(),
  /** Channel widths of the network, for the memory estimate (default 32/64/128). */
  network: z
    .object({
      widths: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
      /** Input sides the network takes (multiples of stride, at least minSide; loadStyleModel's `network` has them). */
      stride: z.number().int().positive().optional(),
      minSide: z.number().int().positive().optional(),
    })
    .optional(),
  /** 0 = the input unchanged, 1 = fully stylized (default). */
  strength: z.number(mustBe(FRACTION)).min(0, mustBe(FRACTION)).max(1, mustBe(FRACTION)).optional(),
  /** Keep the input's colours: luminance from the stylized image, chroma (YCbCr Cb/Cr) from the input. */
  preserveColor: z.boolean().optional(),
  /** Instance-norm statistics of tiles: 'exact' (default), 'downscaled' or 'per-tile' (see TILE_STATS_METHODS). */
  tileStats: z.enum(TILE_STATS_METHODS).optional(),
  /** A multi-style network's style (0-based); left out (and no `mix`): the style the model is set to, at first 0. */
  styleIndex: z.number().int().nonnegative().optional(),
  /** A multi-style network's styles mixed: one weight per style (interpolated γ/β), divided by their sum. */
  mix: z.array(z.number()).min(1).optional(),
  /** Larger strokes: run the network at 1/strokeScale of the size and add the photo's detail back (stroke-scale.ts). */
  strokeScale: strokeScaleField.optional(),
  /** How --stroke-scale brings detail back: the photo's high-frequency luminance (default) or none (plain upsampling). */
  strokeDetail: z.enum(STROKE_DETAIL).optional(),
  /** Called after each tile (or the single pass) with (done, total). */
  onTile: z.custom<(done: number, total: number) => void>((v) => typeof v === 'function').optional(),
});
export type StylizeOptions = z.input<typeof StylizeOptionsSchema>;

export interface StylizeResult extends EncodableImage {
  /** Number of forward passes (1 when untiled). */
  tiles: number;
  /** Tile side used, or undefined for a single pass. */
  tileSize?: number;
  /** Where the tiles' instance-norm statistics came from, when tiled. */
  tileStats?: TileStatsMethod;
  /** Wall time of the forward passes and blending, ms (decode/encode excluded). */
  ms: number;
}

/** Accepts a file path, an encoded Buffer, or already-decoded pixels (with optional alpha). */
export type StylizeInput = string | Buffer | EncodableImage | DecodedImage;

function isMultiStyleModel(model: StyleModel): model is MultiStyleModel {
  return typeof model === 'object' && 'setStyleWeights' in model && 'forward' in model;
}

/** The tf.LayersModel behind a loaded model (for the tiled pass), else the model itself. */
function unwrap(model: StyleModel): StyleForward | { predict(x: tf.Tensor4D): tf.Tensor | tf.Tensor[] } {
  if (!isMultiStyleModel(model)) return model;
  return model.model ?? model.forward;
}

/** Sets the style `o` asks for (styleIndex or mix) on the model; UsageError naming the option and the valid range. */
function chooseStyle(model: StyleModel, o: { styleIndex?: number; mix?: number[] }): void {
  if (o.styleIndex === undefined && o.mix === undefined) return;
  const nameOf = (field: string) => `stylize option ${field}`;
  if (isMultiStyleModel(model)) {
    model.setStyleWeights(resolveStyleWeights(model.styles, o, nameOf)!);
  } else if (isLayersModel(model)) {
    setStyleWeights(model, resolveStyleWeights(styleCountOf(model), o, nameOf)!);
  } else {
    throw new UsageError(`stylize options styleIndex and mix need a tf.LayersModel or a loaded model (loadStyleModel), not a plain function`);
  }
}

export function toForward(model: StyleModel): StyleForward {
  if (isMultiStyleModel(model)) return model.forward;
  if (typeof model === 'function') return model;
  // A LayersModel runs through the whole-network native plan when the native backend is on (same output to float
  // tolerance, ~2x faster: src/nets/planned-forward.ts), else through predict.
  if (isLayersModel(model)) return plannedForward(model);
  return (x) => {
    const y = model.predict(x);
    return Array.isArray(y) ? y[0] : y;
  };
}

function parseOptions(options: StylizeOptions) {
  const r = StylizeOptionsSchema.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(`stylize option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  return r.data;
}

/** Tile side and overlap for an image of the padded size, or undefined for one pass. */
export function chooseTiling(
  width: number,
  height: number,
  o: { tile?: number; overlap?: number; memoryBudgetBytes?: number; network?: NetworkWidths },
): { tile: number; overlap: number } | undefined {
  if (o.tile === 0) return undefined;
  const stride = o.network?.stride ?? NETWORK_STRIDE;
  const requested = o.overlap ?? DEFAULT_OVERLAP;
  let tile: number;
  if (o.tile !== undefined) {
    if (o.tile < MIN_TILE) throw new UsageError(`tile ${o.tile} is too small: use at least ${MIN_TILE} px (or 0 to disable tiling)`);
    tile = Math.max(stride, Math.floor(o.tile / stride) * stride);
  } else {
    const perPixel = activationBytesPerPixel(o.network ?? DEFAULT_WIDTHS);
    const budget = o.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    if (width * height * perPixel <= budget) return undefined;
    // Never let automatic tiles shrink below 4 overlaps: they would be mostly overlap (and the budget is a soft bound).
    tile = maxTileSide(budget, perPixel, stride, Math.max(MIN_TILE, 4 * requested));
  }
  if (tile >= width && tile >= height) return undefined;
  // Overlap: a multiple of 4, and small enough that a tile is more than twice the band.
  const alignDown = (n: number) => Math.floor(n / stride) * stride;
  const overlap = Math.min(alignDown(requested), alignDown((tile - stride) / 2));
  return { tile, overlap };
}

/** One forward pass on a small image; returns the output pixels (same size). Disposes every tensor it makes. */
export function runForward(forward: StyleForward, img: RgbImage): Float32Array {
  const out = tf.tidy(() => {
    const y = forward(pixelsToTensor(img));
    const [, h, w, c] = y.shape;
    if (y.rank !== 4 || h !== img.height || w !== img.width || c !== 3) {
      throw new UsageError(
        `the style model returned shape [${y.shape.join(',')}] for input [1,${img.height},${img.width},3]; it must return the input's shape`,
      );
    }
    return y;
  });
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * Runs `forward` over `tiles` of `img` and accumulates the weighted outputs (weights sum to 1 per pixel), letting the
 * event loop run between tiles.
 */
export async function runTiled(forward: StyleForward, img: RgbImage, tiles: Tile[], onTile?: (done: number, total: number) => void): Promise<Float32Array> {
  const acc = new Float32Array(img.rgb.length);
  for (const [i, t] of tiles.entries()) {
    accumulateTile(acc, img.width, t, runForward(forward, cropRgb(img, t.left, t.top, t.width, t.height)));
    onTile?.(i + 1, tiles.length);
    if (tiles.length > 1) await yieldToEventLoop();
  }
  return acc;
}

const graphs = new WeakMap<object, LayerGraph>();

/** The model's layer graph when it is a tf.LayersModel with instance norms (memoised: batches reuse one model). */
function normGraph(model: StyleModel): LayerGraph | undefined {
  if (!isLayersModel(model)) return undefined;
  let graph = graphs.get(model);
  if (!graph) graphs.set(model, (graph = layerGraph(model)));
  return graph.norms.length > 0 ? graph : undefined;
}

/** Runs the tiled pass with the chosen statistics; returns the padded output and the method actually used. */
async function runTiledWithStats(
  model: StyleModel,
  img: RgbImage,
  tiling: { tile: number; overlap: number },
  o: { tileStats?: TileStatsMethod; memoryBudgetBytes?: number; onTile?: (done: number, total: number) => void },
  geometry: InputGeometry,
): Promise<{ rgb: Float32Array; method: TileStatsMethod; passes: number }> {
  const graph = normGraph(model);
  let method = o.tileStats ?? DEFAULT_TILE_STATS;
  if (method !== 'per-tile' && !graph) {
    if (o.tileStats) throw new UsageError(`tile statistics '${o.tileStats}' need a checkpoint's tf.LayersModel with instance norms; use 'per-tile' for this model`);
    method = 'per-tile';
  }
  // A layer the exact method's analysis does not model (none of nst's nets has one): the downscaled statistics instead.
  if (method === 'exact' && !supportsExactStats(graph!)) {
    if (o.tileStats) throw new UsageError("tile statistics 'exact' do not support this model's layers; use 'downscaled' or 'per-tile'");
    method = 'downscaled';
  }
  const tiles = planTiles(img.width, img.height, tiling.tile, tiling.overlap, geometry.stride);
  if (method === 'exact') {
    let passes = 0;
    const onTile = (done: number, total: number) => ((passes = total), o.onTile?.(done, total));
    // Cached activation maps are held on top of a window's activations, up to mapMemoryBytes; beyond it, on disk.
    const memoryBytes = mapMemoryBytes(o.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES, os.freemem());
    const rgb = await exactTiledForward(graph!, img, tiling.tile, { memoryBytes, onTile, align: geometry.stride });
    return { rgb, method, passes };
  }
  if (method === 'downscaled') {
    const stats = downscaledStats(graph!, img, tiling.tile * tiling.tile, geometry);
    o.onTile?.(1, tiles.length + 1);
    const rgb = await runTiled(sharedStatsForward(graph!, stats), img, tiles, (done, total) => o.onTile?.(done + 1, total + 1));
    return { rgb, method, passes: tiles.length + 1 };
  }
  return { rgb: await runTiled(toForward(model), img, tiles, o.onTile), method, passes: tiles.length };
}

/** The sizes `model` takes: as `network` says, else read off a LayersModel's poolings, else the transformer's. */
export function inputGeometry(model: StyleModel, network?: { stride?: number; minSide?: number }): InputGeometry {
  const pooled = isLayersModel(model) ? poolingStride(model) : 1;
  const stride = network?.stride ?? Math.max(NETWORK_STRIDE, pooled);
  return { stride, minSide: network?.minSide ?? Math.max(MIN_NETWORK_SIDE, pooled > 1 ? 2 * pooled : 0) };
}

async function toPixels(image: StylizeInput, maxSize: number | undefined): Promise<EncodableImage> {
  if (typeof image === 'string' || Buffer.isBuffer(image)) return decodeImage(image, { maxSize });
  if (maxSize === undefined) return image;
  const { width, height } = fitWithin(image.width, image.height, maxSize);
  return resizeImage(image, width, height);
}

/** The network over `input` (padded to its geometry, tiled if need be, cropped back): output pixels and how it ran. */
async function runNetwork(model: StyleModel, input: RgbImage, o: ReturnType<typeof parseOptions>) {
  // Tiny images (1×1, 1×N, 3×5) are padded up to what the network's reflection paddings need, and cropped back.
  const geometry = inputGeometry(model, o.network);
  const padded = padForNetwork(input, geometry);
  const tiling = chooseTiling(padded.width, padded.height, { ...o, network: { ...(o.network ?? DEFAULT_WIDTHS), ...geometry } });
  const run = tiling
    ? await runTiledWithStats(unwrap(model), padded, tiling, o, geometry)
    : { rgb: await runTiled(toForward(model), padded, planTiles(padded.width, padded.height, Math.max(padded.width, padded.height), 0), o.onTile), passes: 1, method: undefined };
  const rgb = cropRgb({ width: padded.width, height: padded.height, rgb: run.rgb }, 0, 0, input.width, input.height).rgb;
  return { width: input.width, height: input.height, rgb, passes: run.passes, method: run.method, tiling };
}

/**
 * Stylizes one image. `model` is a StyleModel (e.g. the `model` of loadStyleModel, a tf.LayersModel, or a tf function).
 * The result has the input's size (after maxSize) and its alpha plane; values are unclamped floats (encode clamps).
 */
export async function stylize(model: StyleModel, image: StylizeInput, options: StylizeOptions = {}): Promise<StylizeResult> {
  const o = parseOptions(options);
  chooseStyle(model, o);
  const input = await toPixels(image, o.maxSize);
  const strength = o.strength ?? 1;
  const start = Date.now();
  if (strength === 0) {
    o.onTile?.(1, 1);
    return { width: input.width, height: input.height, rgb: input.rgb.slice(), alpha: input.alpha, tiles: 0, ms: 0 };
  }
  // --stroke-scale: the network runs on a shrunk copy and the photo's detail comes back at full size (stroke-scale.ts).
  const { rgb: styled, result: run } = await withStrokeScale(input, o.strokeScale ?? 1, async (photo) => runNetwork(model, photo, o), o.strokeDetail);
  const tiling = run.tiling;
  let rgb = styled;
  if (o.preserveColor) rgb = transferLuminance(rgb, input.rgb);
  if (strength < 1) rgb = blendStrength(rgb, input.rgb, strength);
  return {
    width: input.width,
    height: input.height,
    rgb,
    alpha: input.alpha,
    tiles: run.passes,
    tileSize: tiling?.tile,
    tileStats: run.method,
    ms: Date.now() - start,
  };
}
