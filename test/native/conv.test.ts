// Native conv-family kernels against tfjs' own JS kernels, forward and gradients, on seeded random shapes
// (batch > 1, odd sizes, strides, dilations, 'same' / 'valid' / numeric / explicit padding).
//
// Tolerance: relative L2 error ||native - js|| / ||js|| <= 1e-4 on every output. Both sides accumulate in float32,
// only in different orders (observed ~1e-7; Winograd's transforms add rounding, ~1e-6), so 1e-4 leaves room without
// hiding a real bug (an off-by-one tap or a wrong pad gives errors of order 1e-1).
//
// Only the conv kernels are swapped in (not registerNativeKernels(), which also installs the eltwise family), so a
// failure here points at conv*.cc / conv-kernels.ts.
import { tf } from '../../src/backend/tf';
import { loadNativeAddon, NativeAddon } from '../../src/backend/native/loader';
import { unregisterNativeKernels } from '../../src/backend/native';
import { convKernelCalls, installConvKernels, resetConvKernelCalls, ConvKernelCalls } from '../../src/backend/native/conv-kernels';
import { ConvStrategy } from '../../src/backend/native/conv-geometry';
import { describeNative, relError, seededRandom } from '../helpers';

const TOLERANCE = 1e-4;
const status = loadNativeAddon();


const rng = seededRandom;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const randomTensor = (r: () => number, shape: number[]): tf.Tensor =>
  tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);

let addon: NativeAddon;
/** The conv strategy forced on the native kernels (undefined: chosen per shape, as in production). */
let forcedStrategy: ConvStrategy | undefined;

/** Runs `fn` with the native conv kernels installed, then puts the previous kernels back. */
function withNative<T>(fn: () => T): { value: T; calls: ConvKernelCalls } {
  const restore = installConvKernels(addon, { strategy: forcedStrategy });
  resetConvKernelCalls();
  try {
    const value = fn();
    return { value, calls: convKernelCalls() };
  } finally {
    restore();
  }
}

/** Computes `fn` with JS kernels and with native ones; returns both outputs' values and the native call counts. */
function compare(fn: () => tf.Tensor | tf.Tensor[]): { js: Float32Array[]; native: Float32Array[]; calls: ConvKernelCalls } {
  const read = (): Float32Array[] =>
    tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
  const js = read();
  const { value: native, calls } = withNative(read);
  return { js, native, calls };
}

function expectClose(r: { js: Float32Array[]; native: Float32Array[] }, label: string): void {
  expect(r.native.length).toBe(r.js.length);
  r.js.forEach((js, i) => {
    expect(r.native[i].length).toBe(js.length);
    const err = relError(r.native[i], js);
    if (!(err <= TOLERANCE)) throw new Error(`${label}: output ${i} relative error ${err} > ${TOLERANCE}`);
  });
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  label: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  rounding?: 'floor' | 'round' | 'ceil';
}

/** Random conv cases tfjs itself accepts: strides or dilations (not both), every padding kind, batch 1-3. */
function convCases(seed: number, count: number, opts: { dilate: boolean }): ConvCase[] {
  const r = rng(seed);
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const n = int(r, 1, 3);
    const h = int(r, 3, 9);
    const w = int(r, 3, 9);
    const ci = int(r, 1, 5);
    const co = int(r, 1, 6);
    const kh = int(r, 1, 3);
    const kw = int(r, 1, 3);
    const dilated = opts.dilate && r() < 0.5;
    const strides: [number, number] = dilated ? [1, 1] : [int(r, 1, 3), int(r, 1, 3)];
    const dilations: [number, number] = dilated ? [int(r, 1, 2), 2] : [1, 1];
    const kind = pick(r, ['same', 'valid', 'number', 'explicit'] as const);
    // tfjs sizes a numeric pad's output from the filter height and stride height alone, so the JS kernel computes a
    // cropped conv for non-square windows (the native kernel leaves those to it, see the 'quirk' test): keep squares.
    if (kind === 'number' && (kh !== kw || strides[0] !== strides[1] || dilations[0] !== dilations[1])) continue;
    let pad: Pad = kind === 'same' || kind === 'valid' ? kind : int(r, 0, 2);
    let rounding: ConvCase['rounding'];
    if (kind === 'explicit') pad = [[0, 0], [int(r, 0, 2), int(r, 0, 2)], [int(r, 0, 2), int(r, 0, 2)], [0, 0]];
    // A numeric pad with a stride leaves tfjs a fractional size unless a rounding mode is given.
    if (kind === 'number' && (strides[0] > 1 || strides[1] > 1)) rounding = pick(r, ['floor', 'ceil', 'round'] as const);
    let info: tf.backend_util.Conv2DInfo;
    try {
      info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [kh, kw, ci, co], strides, dilations, pad, rounding);
    } catch {
      continue;
    }
    if (info.outHeight < 1 || info.outWidth < 1 || !Number.isInteger(info.outHeight) || !Number.isInteger(info.outWidth)) continue;
    const padLabel = Array.isArray(pad) ? JSON.stringify(pad.slice(1, 3)) : String(pad);
    cases.push({
      label: `x[${n},${h},${w},${ci}] f[${kh},${kw},${ci},${co}] s${strides} d${dilations} pad ${padLabel}${rounding ? ` ${rounding}` : ''}`,
      xShape: [n, h, w, ci],
      filterShape: [kh, kw, ci, co],
      strides,
      dilations,
      pad,
      rounding,
    });
  }
  return cases;
}

/** Where oneDNN has no Winograd (AVX2, no AVX-512), 3x3 stride-1 convs run on ours (native/src/conv_winograd.cc). */
function expectOwnWinogradOnAvx2() {
  const impls = Object.values((addon.convCacheInfo() as { implementations: Record<string, string> }).implementations);
  if (!impls.some((i) => i.includes('avx512'))) expect(impls).toContain('winograd_4x3:avx2 (nst) blocked');
}

describeNative('native conv kernels match tfjs JS kernels', () => {
  beforeAll(() => {
    // setup-backend may have installed every native kernel (backend 'native'): start from pure JS.
    unregisterNativeKernels();
    addon = status.addon as NativeAddon;
  });

  // Every conv strategy (blocked, Winograd, plain NHWC, narrow-output matmul) on the same cases: production picks one per shape, so each
  // must be exact on all of them. 'per-shape' is the production choice.
  describe.each(['per-shape', 'blocked', 'winograd', 'plain', 'narrowOut'] as const)('strategy %s', (strategy) => {
    beforeAll(() => {
      forcedStrategy = strategy === 'per-shape' ? undefined : strategy;
    });
    afterAll(() => {
      forcedStrategy = undefined;
    });

    describe('Conv2D forward', () => {
      for (const c of convCases(11, 16, { dilate: true })) {
        it(c.label, () => {
          const r = rng(c.xShape.join('').length * 7 + 1);
          const x = randomTensor(r, c.xShape) as tf.Tensor4D;
          const f = randomTensor(r, c.filterShape) as tf.Tensor4D;
          const res = compare(() => tf.conv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations, c.rounding));
          expectClose(res, c.label);
          expect(res.calls.native.Conv2D).toBe(1);
          expect(res.calls.fallback.Conv2D).toBeUndefined();
          tf.dispose([x, f]);
        });
      }
    });

    describe('Conv2D gradients (Conv2DBackpropInput, Conv2DBackpropFilter)', () => {
      // tfjs' conv2d gradient supports neither dilation nor a rounding mode: keep the cases its gradient accepts.
      const cases = convCases(23, 14, { dilate: false }).filter((c) => c.rounding === undefined);
      for (const c of cases) {
        it(c.label, () => {
          const r = rng(c.xShape.join('').length * 13 + 5);
          const x = randomTensor(r, c.xShape) as tf.Tensor4D;
          const f = randomTensor(r, c.filterShape) as tf.Tensor4D;
          const y = tf.conv2d(x, f, c.strides, c.pad);
          const weight = randomTensor(r, y.shape);
          const grads = (): tf.Tensor[] =>
            tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad).mul(weight).sum())([x, f]);
          const res = compare(grads);
          expectClose(res, c.label);
          expect(res.calls.native.Conv2DBackpropInput).toBe(1);
          expect(res.calls.native.Conv2DBackpropFilter).toBe(1);
          expect(res.calls.fallback).toEqual({});
          tf.dispose([x, f, y, weight]);
        });
      }
    });

    describe('3x3 stride-1 convs with 16+ channels (Winograd where oneDNN has it)', () => {
      const cases: Array<{ x: [number, number, number, number]; co: number; pad: 'same' | 'valid' }> = [
        { x: [2, 7, 9, 16], co: 24, pad: 'same' },
        { x: [2, 6, 5, 32], co: 16, pad: 'valid' },
        { x: [3, 5, 11, 17], co: 19, pad: 'same' },
      ];
      for (const c of cases) {
        it(`x${JSON.stringify(c.x)} -> ${c.co} ${c.pad}: conv, fused bias+relu, and gradients`, () => {
          const r = rng(c.co);
          const x = randomTensor(r, c.x) as tf.Tensor4D;
          const f = randomTensor(r, [3, 3, c.x[3], c.co]).div(10) as tf.Tensor4D;
          const bias = randomTensor(r, [c.co]);
          const y = tf.conv2d(x, f, 1, c.pad);
          const weight = randomTensor(r, y.shape);
          const res = compare(() => [
            tf.conv2d(x, f, 1, c.pad),
            tf.fused.conv2d({ x, filter: f, bias, strides: 1, pad: c.pad, activation: 'relu' }),
            ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad).mul(weight).sum())([x, f]),
          ]);
          expectClose(res, 'winograd-eligible');
          expect(res.calls.fallback).toEqual({});
          expect(res.calls.native.Conv2DBackpropInput).toBe(1);
          if (strategy === 'per-shape' || strategy === 'winograd') expectOwnWinogradOnAvx2();
          tf.dispose([x, f, bias, y, weight]);
        });
      }
    });
  });

  describe("narrow-output convs like the style net's 9x9 32->3 output layer (matmul path)", () => {
    const cases: Array<{ x: [number, number, number, number]; k: number; co: number; s: number; pad: 'same' | 'valid' }> = [
      { x: [2, 13, 11, 32], k: 9, co: 3, s: 1, pad: 'same' },
      { x: [2, 12, 10, 9], k: 5, co: 1, s: 2, pad: 'valid' },
      { x: [3, 9, 9, 16], k: 3, co: 4, s: 1, pad: 'same' },
      // As the style net runs it: reflection-padded input, valid conv (data gradient as a forward conv of dy).
      { x: [2, 20, 18, 32], k: 9, co: 3, s: 1, pad: 'valid' },
    ];
    for (const c of cases) {
      it(`x${JSON.stringify(c.x)} ${c.k}x${c.k} -> ${c.co} s${c.s} ${c.pad}: fused bias+relu, conv and gradients`, () => {
        const r = rng(c.k * 10 + c.co);
        const x = randomTensor(r, c.x) as tf.Tensor4D;
        const f = randomTensor(r, [c.k, c.k, c.x[3], c.co]).div(10) as tf.Tensor4D;
        const bias = randomTensor(r, [c.co]);
        const y = tf.conv2d(x, f, c.s, c.pad);
        const weight = randomTensor(r, y.shape);
        const res = compare(() => [
          tf.fused.conv2d({ x, filter: f, bias, strides: c.s, pad: c.pad, activation: 'relu' }),
          ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).mul(weight).sum())([x, f]),
        ]);
        expectClose(res, 'narrow-output');
        expect(res.calls.fallback).toEqual({});
        tf.dispose([x, f, bias, y, weight]);
      });
    }
  });

  describe('conv2dTranspose (Conv2DBackpropInput as a forward op)', () => {
    const cases: Array<{ x: [number, number, number, number]; k: number; cin: number; cout: number; s: number; pad: 'same' | 'valid' }> = [
      { x: [2, 5, 7, 6], k: 3, cin: 6, cout: 4, s: 2, pad: 'same' },
      { x: [3, 4, 3, 5], k: 3, cin: 5, cout: 3, s: 2, pad: 'valid' },
      { x: [2, 3, 5, 2], k: 2, cin: 2, cout: 3, s: 1, pad: 'same' },
    ];
    for (const c of cases) {
      it(`x${JSON.stringify(c.x)} k${c.k} s${c.s} ${c.pad}`, () => {
        const r = rng(99);
        const [n, h, w] = c.x;
        const outH = c.pad === 'same' ? h * c.s : (h - 1) * c.s + c.k;
        const outW = c.pad === 'same' ? w * c.s : (w - 1) * c.s + c.k;
        const x = randomTensor(r, c.x) as tf.Tensor4D;
        const f = randomTensor(r, [c.k, c.k, c.cout, c.cin]) as tf.Tensor4D;
        const res = compare(() => tf.conv2dTranspose(x, f, [n, outH, outW, c.cout], c.s, c.pad));
        expectClose(res, 'conv2dTranspose');
        expect(res.calls.native.Conv2DBackpropInput).toBe(1);
        tf.dispose([x, f]);
      });
    }
  });

  describe('FusedConv2D', () => {
    const cases = convCases(37, 8, { dilate: false }).filter((c) => c.rounding === undefined);
    const activations = ['relu', 'linear', 'relu6', 'leakyrelu'] as const;
    cases.forEach((c, i) => {
      const activation = activations[i % activations.length];
      it(`${activation} + bias, forward and gradients: ${c.label}`, () => {
        const r = rng(i + 400);
        const x = randomTensor(r, c.xShape) as tf.Tensor4D;
        // Scaled so that relu6's upper clip is reached by some outputs.
        const f = randomTensor(r, c.filterShape).mul(4) as tf.Tensor4D;
        const bias = randomTensor(r, [c.filterShape[3]]);
        const run = (a: tf.Tensor, b: tf.Tensor, bb: tf.Tensor): tf.Tensor =>
          tf.fused.conv2d({
            x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: bb, strides: c.strides, pad: c.pad, activation, leakyreluAlpha: 0.15,
          });
        const y = run(x, f, bias);
        const weight = randomTensor(r, y.shape);
        const res = compare(() => [run(x, f, bias), ...tf.grads((a: tf.Tensor, b: tf.Tensor, bb: tf.Tensor) => run(a, b, bb).mul(weight).sum())([x, f, bias])]);
        expectClose(res, c.label);
        // Under a gradient tape tfjs fuses only linear activations; otherwise it records Conv2D + add + activation.
        expect((res.calls.native.FusedConv2D ?? 0) + (res.calls.native.Conv2D ?? 0)).toBe(2);
        expect(res.calls.native.Conv2DBackpropInput).toBe(1);
        expect(res.calls.native.Conv2DBackpropFilter).toBe(1);
        expect(res.calls.fallback).toEqual({});
        tf.dispose([x, f, bias, y, weight]);
      });
    });

    it('falls back to the JS kernel for activations it cannot fuse (elu, prelu) and still matches', () => {
      const r = rng(5);
      const x = randomTensor(r, [2, 5, 5, 3]) as tf.Tensor4D;
      const f = randomTensor(r, [3, 3, 3, 4]) as tf.Tensor4D;
      const bias = randomTensor(r, [4]);
      const alpha = randomTensor(r, [4]);
      const res = compare(() => [
        tf.fused.conv2d({ x, filter: f, bias, pad: 'same', strides: 1, activation: 'elu' }),
        tf.fused.conv2d({ x, filter: f, bias, pad: 'same', strides: 1, activation: 'prelu', preluActivationWeights: alpha }),
      ]);
      expectClose(res, 'fallback');
      expect(res.calls.fallback.FusedConv2D).toBe(2);
      expect(res.calls.native.FusedConv2D).toBeUndefined();
      tf.dispose([x, f, bias, alpha]);
    });

    it("leaves tfjs' numeric-pad quirk (output sized from the filter height) to the JS kernel", () => {
      const r = rng(8);
      const x = randomTensor(r, [2, 5, 9, 3]) as tf.Tensor4D;
      const f = randomTensor(r, [2, 3, 3, 4]) as tf.Tensor4D;
      const res = compare(() => tf.conv2d(x, f, [2, 1], 0, 'NHWC', 1, 'round'));
      expectClose(res, 'quirk');
      expect(res.calls.fallback.Conv2D).toBe(1);
      tf.dispose([x, f]);
    });

    it('broadcasts a scalar bias like tfjs', () => {
      const r = rng(6);
      const x = randomTensor(r, [2, 4, 5, 3]) as tf.Tensor4D;
      const f = randomTensor(r, [3, 3, 3, 4]) as tf.Tensor4D;
      const bias = tf.scalar(0.3);
      const res = compare(() => tf.fused.conv2d({ x, filter: f, bias, pad: 'valid', strides: 1, activation: 'relu' }));
      expectClose(res, 'scalar bias');
      expect(res.calls.native.FusedConv2D).toBe(1);
      tf.dispose([x, f, bias]);
    });
  });

  describe('DepthwiseConv2dNative (forward)', () => {
    const cases: Array<{ x: [number, number, number, number]; k: [number, number]; m: number; s: number; d: number; pad: Pad }> = [
      { x: [2, 7, 9, 3], k: [3, 3], m: 1, s: 1, d: 1, pad: 'same' },
      { x: [3, 8, 6, 5], k: [3, 2], m: 2, s: 2, d: 1, pad: 'valid' },
      { x: [2, 9, 9, 16], k: [3, 3], m: 1, s: 1, d: 2, pad: 'same' },
      { x: [2, 6, 7, 4], k: [2, 3], m: 3, s: 1, d: 1, pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
    ];
    for (const c of cases) {
      it(`x${JSON.stringify(c.x)} k${c.k} x${c.m} s${c.s} d${c.d} pad ${JSON.stringify(c.pad)}`, () => {
        const r = rng(c.m * 7 + c.s);
        const x = randomTensor(r, c.x) as tf.Tensor4D;
        const f = randomTensor(r, [...c.k, c.x[3], c.m]) as tf.Tensor4D;
        const res = compare(() => tf.depthwiseConv2d(x, f, c.s, c.pad as 'same', 'NHWC', c.d));
        expectClose(res, 'depthwise');
        expect(res.calls.native.DepthwiseConv2dNative).toBe(1);
        tf.dispose([x, f]);
      });
    }
  });

  describe('MaxPool and MaxPoolGrad', () => {
    // Inputs rounded to 0.25 after a relu, so that many windows hold ties (all-zero windows included): the gradient
    // must go to the first maximum, as tfjs routes it.
    const cases: Array<{ x: [number, number, number, number]; k: number | [number, number]; s: number | [number, number]; pad: Pad; rounding?: 'ceil' }> = [
      { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
      { x: [3, 7, 5, 2], k: 3, s: 2, pad: 'same' },
      { x: [2, 9, 7, 4], k: [3, 2], s: [1, 2], pad: 'same' },
      { x: [2, 5, 6, 1], k: 3, s: 1, pad: 'valid' },
      { x: [2, 7, 7, 2], k: 3, s: 2, pad: 1, rounding: 'ceil' },
      { x: [2, 6, 5, 3], k: 2, s: 3, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] },
    ];
    for (const c of cases) {
      it(`x${JSON.stringify(c.x)} k${c.k} s${c.s} pad ${JSON.stringify(c.pad)}${c.rounding ?? ''}`, () => {
        const r = rng(7);
        const x = tf.tidy(() => tf.relu(randomTensor(r, c.x)).mul(4).round().div(4)) as tf.Tensor4D;
        const y = tf.maxPool(x, c.k, c.s, c.pad as 'same', c.rounding);
        const weight = randomTensor(r, y.shape);
        const res = compare(() => [
          tf.maxPool(x, c.k, c.s, c.pad as 'same', c.rounding),
          tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad as 'same', c.rounding).mul(weight).sum())(x),
        ]);
        expectClose(res, 'maxPool');
        expect(res.calls.native.MaxPool).toBe(2);
        expect(res.calls.native.MaxPoolGrad).toBe(1);
        tf.dispose([x, y, weight]);
      });
    }
  });

  describe('BatchMatMul', () => {
    // tfjs' own BatchMatMul gradient does not reduce broadcast batch dims (it fails on the JS kernels too), so the
    // broadcasting cases check the forward pass only.
    const cases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean; native: boolean; grad: boolean }> = [
      { a: [2, 5, 7], b: [2, 7, 3], ta: false, tb: false, native: true, grad: true },
      { a: [2, 7, 5], b: [2, 7, 3], ta: true, tb: false, native: true, grad: true },
      { a: [3, 5, 7], b: [3, 4, 7], ta: false, tb: true, native: true, grad: true },
      { a: [2, 7, 5], b: [2, 3, 7], ta: true, tb: true, native: true, grad: true },
      { a: [1, 5, 7], b: [3, 7, 4], ta: false, tb: false, native: true, grad: false },
      { a: [3, 4, 5], b: [5, 6], ta: false, tb: false, native: true, grad: false },
      { a: [9, 11], b: [11, 13], ta: false, tb: false, native: true, grad: true },
      { a: [2, 3, 4, 5], b: [2, 3, 5, 2], ta: false, tb: false, native: true, grad: true },
      { a: [2, 1, 4, 5], b: [1, 3, 5, 2], ta: false, tb: false, native: false, grad: false },
    ];
    for (const c of cases) {
      it(`${JSON.stringify(c.a)}${c.ta ? 'ᵀ' : ''} x ${JSON.stringify(c.b)}${c.tb ? 'ᵀ' : ''}, forward${c.grad ? ' and gradients' : ''}`, () => {
        const r = rng(c.a.length * 31 + c.b.length);
        const a = randomTensor(r, c.a);
        const b = randomTensor(r, c.b);
        const y = tf.matMul(a, b, c.ta, c.tb);
        const weight = randomTensor(r, y.shape);
        const res = compare(() => [
          tf.matMul(a, b, c.ta, c.tb),
          ...(c.grad ? tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, c.ta, c.tb).mul(weight).sum())([a, b]) : []),
        ]);
        expectClose(res, 'matMul');
        if (c.native) expect(res.calls.fallback.BatchMatMul).toBeUndefined();
        if (c.native) expect(res.calls.native.BatchMatMul).toBe(c.grad ? 4 : 1); // with gradients: the plain call, the taped forward, dA and dB
        else expect(res.calls.fallback.BatchMatMul).toBeGreaterThan(0);
        tf.dispose([a, b, y, weight]);
      });
    }

    it('Gram matrix Fᵀ·F of a [1, HW, C] feature map, as the style loss forms it', () => {
      const r = rng(3);
      const feats = randomTensor(r, [2, 7 * 9, 6]);
      const res = compare(() => tf.matMul(feats, feats, true, false).div(7 * 9 * 6));
      expectClose(res, 'gram');
      expect(res.calls.native.BatchMatMul).toBe(1);
      feats.dispose();
    });
  });

  it('caches one primitive per configuration (repeat calls do not build new ones)', () => {
    const x = tf.ones([2, 6, 6, 3]) as tf.Tensor4D;
    const f = tf.ones([3, 3, 3, 5]) as tf.Tensor4D;
    withNative(() => tf.conv2d(x, f, 1, 'same').dispose());
    const before = addon.convCacheInfo().forward;
    withNative(() => {
      for (let i = 0; i < 3; i++) tf.conv2d(x, f, 1, 'same').dispose();
    });
    expect(addon.convCacheInfo().forward).toBe(before);
    tf.dispose([x, f]);
  });
});
