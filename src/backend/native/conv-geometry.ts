/**
 * Pure translation of tfjs' conv / pool / matmul shape info into the flat integer geometries the oneDNN addon takes.
 * Each planner returns `undefined` for a case the native kernel cannot reproduce exactly; the caller then runs tfjs'
 * own JS kernel, so an unsupported configuration is slow, never wrong.
 */
import { tf } from '../tf';

/** The subset of tfjs' `backend_util.Conv2DInfo` the planners read. */
export interface ConvShapeInfo {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  dataFormat: 'channelsFirst' | 'channelsLast';
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  filterHeight: number;
  filterWidth: number;
  effectiveFilterHeight: number;
  effectiveFilterWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
}

/**
 * `[n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, padTop, padLeft, padBottom, padRight]` (dilations tfjs-style,
 * 1 = dense), the layout `convForward` / `convBackwardData` / `convBackwardWeights` in native/src/conv.cc read.
 */
export type ConvGeometry = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

/** `[n, ih, iw, c, oh, ow, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight]` for `maxPool` / `maxPoolGrad`. */
export type PoolGeometry = [number, number, number, number, number, number, number, number, number, number, number, number, number, number];

/** `[batchA, batchB, m, k, n]` for `batchMatMul`, plus the output shape tfjs expects. */
export interface MatMulPlan {
  geometry: [number, number, number, number, number];
  outShape: number[];
}

/**
 * oneDNN derives the output size as floor((in + lead + trail - effectiveFilter) / stride) + 1 and rejects a
 * descriptor where that differs from the given output. tfjs derives it its own way (ceil rounding, 'same' splits), so
 * the trailing pad is re-fitted: only zeros beyond the input's end change, which no output that tfjs computes reads
 * (conv: out-of-range taps contribute 0; max pool: padding never wins). Returns the pad, or undefined when none fits.
 */
export function fitTrailingPad(
  inSize: number,
  outSize: number,
  effectiveFilter: number,
  stride: number,
  lead: number,
  trail: number,
): number | undefined {
  const fits = (t: number): boolean => {
    const span = inSize + lead + t - effectiveFilter;
    return t >= 0 && span >= 0 && Math.floor(span / stride) + 1 === outSize;
  };
  if (fits(trail)) return trail;
  // The smallest pad that reaches the last output's window; with a stride, a few larger pads would fit as well.
  const needed = Math.max(0, (outSize - 1) * stride + effectiveFilter - inSize - lead);
  return fits(needed) ? needed : undefined;
}

const positiveInts = (values: number[]): boolean => values.every((v) => Number.isInteger(v) && v > 0);

/** Geometry for a 2-D convolution in NHWC / HWIO, or undefined when the native kernel cannot run it exactly. */
export function convGeometry(info: ConvShapeInfo): ConvGeometry | undefined {
  if (info.dataFormat !== 'channelsLast') return undefined;
  const { padInfo: p } = info;
  if (p.top < 0 || p.left < 0) return undefined;
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels];
  const window = [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth];
  if (!positiveInts(sizes) || !positiveInts(window)) return undefined;
  const bottom = fitTrailingPad(info.inHeight, info.outHeight, info.effectiveFilterHeight, info.strideHeight, p.top, p.bottom);
  const right = fitTrailingPad(info.inWidth, info.outWidth, info.effectiveFilterWidth, info.strideWidth, p.left, p.right);
  if (bottom === undefined || right === undefined) return undefined;
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    p.top, p.left, bottom, right,
  ];
}

/** How native/src/conv.cc runs a conv (the codes it reads). */
export const CONV_STRATEGIES = { blocked: 0, winograd: 1, plain: 2, narrowOut: 3 } as const;
export type ConvStrategy = keyof typeof CONV_STRATEGIES;

/** The most output channels the narrow-output forward kernel (native/src/conv_narrow.cc) takes. */
export const NARROW_OUT_MAX_CHANNELS = 4;

/**
 * Picks how to run a conv (oneDNN falls back to blocked direct wherever it lacks the choice):
 * - narrowOut for at most 4 output channels from 8+ inputs (the style net's 9x9 32→3 output layer): oneDNN
 *   vectorises over output channels in 16s, so 3 of them fill 3/16 of each vector; our AVX-512 kernels vectorise
 *   over input channels instead (measured here, under heavy load: forward ~2x, filter gradient ~3.5x oneDNN on
 *   NHWC); the data gradient stays on oneDNN NHWC, as does everything on CPUs without AVX-512;
 * - winograd for 3x3 stride-1 dense convs with 16+ channels each side: measured here (2 cores, AVX-512) ~400-500
 *   effective GFLOP/s against ~200 direct, forward and both backward passes; relative error ~1e-6;
 * - plain NHWC when either side has fewer than 16 channels (blocked layouts pad channels to 16: a 3-channel image
 *   would cost 5x in memory and lanes), and for strided convs;
 * - blocked direct otherwise.
 */
export function convStrategy(g: ConvGeometry): ConvStrategy {
  const [, , , ic, , , oc, kh, kw, sh, sw, dh, dw] = g;
  if (oc <= NARROW_OUT_MAX_CHANNELS && ic >= 8) return 'narrowOut';
  const narrow = ic < 16 || oc < 16;
  if (kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 && !narrow) return 'winograd';
  if (narrow || sh > 1 || sw > 1) return 'plain';
  return 'blocked';
}

/**
 * The data gradient of a narrow stride-1 conv (at most 4 output channels: the style net's 9x9 32→3 output layer) as
 * a forward conv of dy. oneDNN runs that gradient through its GEMM fallback at ~4 GFLOP/s (measured on AVX2, 1 s of
 * a 13 s batch-4 step), while the same sums as a valid forward conv from 3 channels to 32 run at ~110: dx = dy, zero-
 * padded by what the forward pass did not pad, correlated with the filter rotated 180° and its in/out channels
 * swapped. The padding is explicit (`pad`, for zeroPadNhwc) because oneDNN takes a padded conv this wide only on
 * GEMM again. Undefined where the rewrite does not apply (strided, or wider outputs that oneDNN handles well).
 */
export function dataGradientAsForward(g: ConvGeometry): { geometry: ConvGeometry; pad: [number, number, number, number] } | undefined {
  const [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr] = g;
  if (sh !== 1 || sw !== 1 || oc > NARROW_OUT_MAX_CHANNELS || ic <= oc) return undefined;
  const spanH = (kh - 1) * dh;
  const spanW = (kw - 1) * dw;
  const pad: [number, number, number, number] = [spanH - pt, spanW - pl, spanH - pb, spanW - pr];
  if (pad.some((p) => p < 0)) return undefined;
  const geometry: ConvGeometry = [n, oh + pad[0] + pad[2], ow + pad[1] + pad[3], oc, ih, iw, ic, kh, kw, 1, 1, dh, dw, 0, 0, 0, 0];
  return { geometry, pad };
}

/** An NHWC batch [n, h, w, c] with zero rows/columns added: pad = [top, left, bottom, right]. */
export function zeroPadNhwc(x: Float32Array, [n, h, w, c]: readonly number[], [t, l, b, r]: readonly number[]): Float32Array {
  const pw = w + l + r;
  const ph = h + t + b;
  const out = new Float32Array(n * ph * pw * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      const src = ((i * h + y) * w) * c;
      out.set(x.subarray(src, src + w * c), ((i * ph + y + t) * pw + l) * c);
    }
  }
  return out;
}

/** An HWIO filter [kh, kw, ic, oc] rotated 180° with in/out swapped ([kh, kw, oc, ic]), for dataGradientAsForward. */
export function rotatedTransposedFilter(w: Float32Array, kh: number, kw: number, ic: number, oc: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const src = ((kh - 1 - y) * kw + (kw - 1 - x)) * ic * oc;
      const dst = (y * kw + x) * oc * ic;
      for (let i = 0; i < ic; i++) for (let o = 0; o < oc; o++) out[dst + o * ic + i] = w[src + i * oc + o];
    }
  }
  return out;
}

/** A forced strategy where it applies, else the per-shape choice (narrowOut cannot take many output channels). */
export function applicableStrategy(forced: ConvStrategy | undefined, g: ConvGeometry): ConvStrategy {
  if (!forced) return convStrategy(g);
  if (forced === 'narrowOut' && g[6] > NARROW_OUT_MAX_CHANNELS) return 'plain';
  return forced;
}

/**
 * Geometry for max pooling in NHWC. Undefined for dilated windows and for windows lying wholly in the padding
 * (tfjs yields -Infinity there, oneDNN a finite value).
 */
export function poolGeometry(info: ConvShapeInfo): PoolGeometry | undefined {
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const { padInfo: p } = info;
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth];
  if (!positiveInts(sizes) || !positiveInts([info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth])) {
    return undefined;
  }
  if (p.top < 0 || p.left < 0 || p.top >= info.filterHeight || p.left >= info.filterWidth) return undefined;
  const lastRowStart = (info.outHeight - 1) * info.strideHeight - p.top;
  const lastColStart = (info.outWidth - 1) * info.strideWidth - p.left;
  if (lastRowStart >= info.inHeight || lastColStart >= info.inWidth) return undefined;
  const bottom = fitTrailingPad(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, p.top, p.bottom);
  const right = fitTrailingPad(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, p.left, p.right);
  if (bottom === undefined || right === undefined) return undefined;
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, p.top, p.left, bottom, right,
  ];
}

const product = (s: readonly number[]): number => s.reduce((x, y) => x * y, 1);

/**
 * Plan for tfjs' BatchMatMul: the outer (batch) dims collapse to one; each side's batch must equal the output's or be
 * 1 (oneDNN broadcasts a batch of 1). Anything else (e.g. [2,1] against [1,3]) is left to the JS kernel.
 */
export function matMulPlan(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): MatMulPlan | undefined {
  if (aShape.length < 2 || bShape.length < 2) return undefined;
  const [a0, a1] = aShape.slice(-2);
  const [b0, b1] = bShape.slice(-2);
  const [m, kA] = transposeA ? [a1, a0] : [a0, a1];
  const [kB, n] = transposeB ? [b1, b0] : [b0, b1];
  if (kA !== kB || !positiveInts([m, kA, n])) return undefined;
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined; // batch dims that do not broadcast: the JS kernel reports the error in tfjs' words
  }
  const batch = product(outer);
  const batchA = product(outerA);
  const batchB = product(outerB);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1) || batch === 0) return undefined;
  return { geometry: [batchA, batchB, m, kA, n], outShape: [...outer, m, n] };
}
