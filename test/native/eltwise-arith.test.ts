// Native broadcasting arithmetic, ReLU/Step, Square/Sqrt and Sum/Mean against tfjs' JS kernels, forward and gradients, on seeded
// random shapes (batch > 1, odd sizes, every broadcast pattern). Tolerance: see eltwise-harness.ts (relative 1e-4).
import { tf } from '../../src/backend/tf';
import type { NativeAddon } from '../../src/backend/native/loader';
import type { EltwiseAddon } from '../../src/backend/native/eltwise-support';
import { eltwiseKernels } from '../../src/backend/native/eltwise-kernels';
import {
  compareWithJs,
  describeNative,
  expectClose,
  expectRanNatively,
  int,
  nativeStatus,
  randomTensor,
  rng,
  useJsBaseline,
} from './eltwise-harness';

useJsBaseline();

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const BINARY: Array<[string, string, Binary]> = [
  ['add', 'Add', tf.add],
  ['sub', 'Sub', tf.sub],
  ['mul', 'Multiply', tf.mul],
  ['div', 'RealDiv', tf.div],
  ['squaredDifference', 'SquaredDifference', tf.squaredDifference],
];

/** [a shape, b shape] pairs covering same shape, scalars, per-channel, per-instance and general broadcasting. */
function broadcastPairs(seed: number): Array<[number[], number[]]> {
  const r = rng(seed);
  const n = int(r, 1, 3), h = int(r, 1, 7), w = int(r, 1, 9), c = int(r, 1, 5);
  return [
    [[n, h, w, c], [n, h, w, c]],
    [[n, h, w, c], []],
    [[], [n, h, w, c]],
    [[n, h, w, c], [c]],
    [[n, h, w, c], [1, 1, 1, c]],
    [[n, h, w, c], [n, 1, 1, c]],
    [[n, 1, 1, c], [n, h, w, c]],
    [[n, 1, w, 1], [1, h, 1, c]],
    [[h, 1], [1, w]],
    [[2, 1, 3, 1, 2], [1, 4, 3, 5, 1]],
    [[w], [w]],
  ];
}

describeNative('native binary arithmetic vs tfjs JS kernels', () => {
  for (const [name, kernel, op] of BINARY) {
    test(`${name}: forward on every broadcast pattern`, () => {
      for (const seed of [1, 2]) {
        broadcastPairs(seed).forEach(([as, bs], i) => {
          const r = rng(seed * 100 + i);
          // Divisors kept away from 0 so relative error stays meaningful.
          const a = randomTensor(r, as);
          const b = name === 'div' ? randomTensor(r, bs, 0.5, 2) : randomTensor(r, bs);
          const res = compareWithJs(() => op(a, b));
          expectClose(res, `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`);
          expectRanNatively(res, [kernel], name);
          tf.dispose([a, b]);
        });
      }
    });

    test(`${name}: gradients through broadcasting (reductions included)`, () => {
      // tfjs' SquaredDifference gradient does not reduce over broadcast axes (its JS path throws), so same shapes only.
      const pairs = broadcastPairs(3).filter(([as, bs]) => name !== 'squaredDifference' || as.join() === bs.join());
      pairs.forEach(([as, bs], i) => {
        const r = rng(300 + i);
        const a = randomTensor(r, as);
        const b = name === 'div' ? randomTensor(r, bs, 0.5, 2) : randomTensor(r, bs);
        const outShape = tf.backend_util.assertAndGetBroadcastShape(as, bs);
        const weight = randomTensor(r, outShape);
        const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(op(x, y), weight)));
        const res = compareWithJs(() => grads([a, b]));
        expectClose(res, `d ${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`);
        tf.dispose([a, b, weight]);
      });
    });
  }

  test('int32 operands run the JS kernels and give exact integer results', () => {
    const a = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const b = tf.tensor([10, 20, 30], [3], 'int32');
    const res = compareWithJs(() => [tf.add(a, b), tf.sub(a, b), tf.mul(a, b)]);
    expect(Array.from(res.native[0])).toEqual([11, 22, 33, 14, 25, 36]);
    expect(res.native).toEqual(res.js);
    expect(res.calls.native.Add).toBeUndefined();
    expect(res.calls.fallback.Add).toBe(1);
    tf.dispose([a, b]);
  });

  test('bool operands run the JS kernels', () => {
    const a = tf.tensor([true, false, true], [3], 'bool');
    const b = tf.tensor([true, true, false], [3], 'bool');
    const res = compareWithJs(() => tf.add(a, b));
    expect(res.native).toEqual(res.js);
    expect(res.calls.native.Add).toBeUndefined();
    tf.dispose([a, b]);
  });

  test('empty tensors', () => {
    const a = tf.zeros([2, 0, 3]);
    const b = tf.ones([3]);
    const res = compareWithJs(() => tf.add(a, b));
    expect(res.native[0].length).toBe(0);
    tf.dispose([a, b]);
  });
});

describeNative('native Relu, Step, Square and Sqrt vs tfjs JS kernels', () => {
  test('relu forward and gradient (dy * step(x)), NaN propagates', () => {
    const r = rng(7);
    for (const shape of [[2, 5, 7, 3], [1, 3, 3, 1], [257]]) {
      const x = randomTensor(r, shape);
      const res = compareWithJs(() => [tf.relu(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), t)))(x)]);
      expectClose(res, `relu ${shape}`);
      expectRanNatively(res, ['Relu', 'Step'], 'relu');
      x.dispose();
    }
    const special = tf.tensor([NaN, -1, 0, 2]);
    const res = compareWithJs(() => [tf.relu(special), tf.step(special, 0.25)]);
    expect(Array.from(res.native[0])).toEqual([NaN, 0, 0, 2]);
    expect(Array.from(res.native[1])).toEqual([NaN, 0.25, 0.25, 1]);
    special.dispose();
  });

  test('square and sqrt (forward and gradient; sqrt of a negative is NaN)', () => {
    const r = rng(8);
    const x = randomTensor(r, [3, 5, 7, 2], 0.1, 4);
    const res = compareWithJs(() => [
      tf.square(x),
      tf.sqrt(x),
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sqrt(tf.square(t)), t)))(x),
    ]);
    expectClose(res, 'square/sqrt');
    expectRanNatively(res, ['Square', 'Sqrt'], 'square/sqrt');
    const special = tf.tensor([-4, 0, 2.25, NaN]);
    const res2 = compareWithJs(() => tf.sqrt(special));
    expect(Array.from(res2.native[0])).toEqual([NaN, 0, 1.5, NaN]);
    tf.dispose([x, special]);
  });

  test('int32 relu falls back to JS', () => {
    const x = tf.tensor([-3, 4], [2], 'int32');
    const res = compareWithJs(() => tf.relu(x));
    expect(Array.from(res.native[0])).toEqual([0, 4]);
    expect(res.calls.fallback.Relu).toBe(1);
    x.dispose();
  });
});

describeNative('native Sum and Mean vs tfjs JS kernels', () => {
  const shape = [3, 5, 7, 4];
  const axesCases: Array<number[] | null> = [null, [0], [3], [1, 2], [0, 1, 2], [2, 3], [1], [0, 3], [0, 2]];

  for (const op of ['sum', 'mean'] as const) {
    test(`${op}: every axis set, keepDims both ways, gradient`, () => {
      const r = rng(op === 'sum' ? 11 : 12);
      const x = randomTensor(r, shape);
      for (const axes of axesCases) {
        for (const keepDims of [false, true]) {
          const f = (t: tf.Tensor) => (op === 'sum' ? tf.sum(t, axes ?? undefined, keepDims) : tf.mean(t, axes ?? undefined, keepDims));
          const res = compareWithJs(() => [f(x), tf.grad((t: tf.Tensor) => tf.sum(tf.square(f(t))))(x)]);
          expectClose(res, `${op} axes ${JSON.stringify(axes)} keepDims ${keepDims}`);
        }
      }
      x.dispose();
    });
  }

  test('interleaved axes (kept, reduced, kept, reduced) decline to JS; the answer is still right', () => {
    const x = randomTensor(rng(13), shape);
    const res = compareWithJs(() => tf.sum(x, [0, 2]));
    expectClose(res, 'sum [0,2]');
    expect(res.calls.fallback.Sum).toBe(1);
    const res2 = compareWithJs(() => tf.sum(x, [1, 3]));
    expectClose(res2, 'sum [1,3]');
    expect(res2.calls.fallback.Sum).toBe(1);
    x.dispose();
  });

  test('a long full reduction (split over threads) and an int32 sum (JS)', () => {
    const x = randomTensor(rng(14), [300, 301]);
    const res = compareWithJs(() => [tf.sum(x), tf.mean(x)]);
    expectClose(res, 'full reduction');
    expectRanNatively(res, ['Sum', 'Mean'], 'full reduction');
    const xi = tf.tensor([1, 2, 3, 4], [2, 2], 'int32');
    const resi = compareWithJs(() => tf.sum(xi, 1));
    expect(Array.from(resi.native[0])).toEqual([3, 7]);
    expect(resi.calls.fallback.Sum).toBe(1);
    tf.dispose([x, xi]);
  });
});

describeNative('threading knob', () => {
  test('NST_ELTWISE_PARALLEL_MIN sets the size from which the kernels use every core', () => {
    const addon = nativeStatus.addon as unknown as EltwiseAddon;
    const saved = process.env.NST_ELTWISE_PARALLEL_MIN;
    const before = addon.setEltwiseParallelMin(0); // 0 restores the built-in default, returning what was set
    const builtIn = addon.setEltwiseParallelMin(0);
    try {
      process.env.NST_ELTWISE_PARALLEL_MIN = '123456';
      eltwiseKernels(nativeStatus.addon as NativeAddon);
      expect(addon.setEltwiseParallelMin(0)).toBe(123456);
      process.env.NST_ELTWISE_PARALLEL_MIN = 'lots';
      eltwiseKernels(nativeStatus.addon as NativeAddon);
      expect(addon.setEltwiseParallelMin(0)).toBe(builtIn); // garbage is ignored: the default stays
    } finally {
      if (saved === undefined) delete process.env.NST_ELTWISE_PARALLEL_MIN;
      else process.env.NST_ELTWISE_PARALLEL_MIN = saved;
      addon.setEltwiseParallelMin(before);
    }
  });
});

// The exact tile statistics' per-core moments (src/infer/tile-stats.ts): per channel, sum and squared deviations over
// a rectangle of a channels-last map, against a direct double computation. Tolerance 1e-9 relative (both in double).
describeNative('channelMomentsF32', () => {
  test('a core inside a wider window, 5 channels, and the empty rectangle', () => {
    const addon = nativeStatus.addon as NativeAddon;
    const [rowCells, rows, channels] = [37, 23, 5];
    const r = rng(21);
    const values = Float32Array.from({ length: rowCells * rows * channels }, () => r() * 10 - 3);
    const [x0, y0, w, h] = [4, 3, 29, 17];
    const out = new Float64Array(2 * channels);
    addon.channelMomentsF32(values, rowCells, channels, x0, y0, w, h, out);
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) sum += values[(y * rowCells + x) * channels + c];
      const mean = sum / (w * h);
      let dev = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) dev += (values[(y * rowCells + x) * channels + c] - mean) ** 2;
      expect(Math.abs(out[c] - sum)).toBeLessThanOrEqual(1e-9 * Math.abs(sum) + 1e-9);
      expect(Math.abs(out[channels + c] - dev)).toBeLessThanOrEqual(1e-9 * dev);
    }
    // One pass around a shift: a large mean with a tiny spread (where E[v²] − E[v]² in floats would be all rounding).
    const offset = Float32Array.from(values, (v) => 20000 + v * 1e-3);
    addon.channelMomentsF32(offset, rowCells, channels, x0, y0, w, h, out);
    for (let c = 0; c < channels; c++) {
      const cells: number[] = [];
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) cells.push(offset[(y * rowCells + x) * channels + c]);
      const mean = cells.reduce((a, b) => a + b, 0) / cells.length;
      const dev = cells.reduce((a, v) => a + (v - mean) ** 2, 0);
      expect(Math.abs(out[channels + c] - dev)).toBeLessThanOrEqual(1e-6 * dev);
    }
    addon.channelMomentsF32(values, rowCells, channels, 0, 0, 0, 5, out);
    expect(Array.from(out)).toEqual(new Array(2 * channels).fill(0));
    expect(() => addon.channelMomentsF32(values, rowCells, channels, 30, 0, 10, 1, out)).toThrow(/outside/);
  });
});
