// The MirrorPad gradient: tfjs 4.22's own is wrong (it keeps only the interior of dy), ours folds the border back.
// Proved against central finite differences on a 5x6 input. f(x) = sum(mirrorPad(x) * w) is linear in x, so the
// differences are exact up to float32 rounding of f (|f| ~ 10, so ~1e-5): tolerance 1e-3 absolute. tfjs' gradient
// misses whole border contributions, errors of order |w| ~ 1.
//
// The composite fold is tested here (no native kernels registered); test/native/eltwise-gather.test.ts checks the
// native fold against it.
import { tf } from '../../src/backend/tf';
import { unregisterNativeKernels } from '../../src/backend/native';
import { mirrorPadGrad, PadMode, reflectPad2d, tfjsMirrorPadGradient } from '../../src/nets/ops/reflect-pad';
import { maxAbsDiff } from '../helpers';

type Paddings = Array<[number, number]>;

beforeAll(() => unregisterNativeKernels());

function seededValues(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

/** d/dx of sum(mirrorPad(x) * w) by central differences, one element at a time. */
function finiteDifferenceGrad(x: tf.Tensor, w: tf.Tensor, paddings: Paddings, mode: PadMode): Float32Array {
  const f = (t: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(tf.mirrorPad(t, paddings, mode), w)).dataSync()[0]);
  const base = x.dataSync() as Float32Array;
  const h = 0.5;
  return Float32Array.from(base, (_, i) => {
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    const [tp, tm] = [tf.tensor(plus, x.shape), tf.tensor(minus, x.shape)];
    const d = (f(tp) - f(tm)) / (2 * h);
    tf.dispose([tp, tm]);
    return d;
  });
}

const CASES: Array<[PadMode, Paddings]> = [
  ['reflect', [[0, 0], [2, 1], [3, 2], [0, 0]]],
  ['reflect', [[0, 0], [4, 4], [5, 5], [0, 0]]], // the widest reflect allows on 5x6 (dim - 1)
  ['symmetric', [[0, 0], [2, 3], [1, 6], [0, 0]]],
];

describe('MirrorPad gradient on a 5x6 input', () => {
  for (const [mode, paddings] of CASES) {
    test(`${mode} ${JSON.stringify(paddings)}: ours matches finite differences, tfjs' does not`, () => {
      const x = tf.tensor(seededValues(5 * 6 * 2, 1), [1, 5, 6, 2]);
      const padded = paddings.map(([b, a], i) => b + x.shape[i] + a);
      const w = tf.tensor(seededValues(padded.reduce((p, q) => p * q, 1), 2), padded);
      const fd = finiteDifferenceGrad(x, w, paddings, mode);

      const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, paddings, mode), w)))(x);
      expect(maxAbsDiff(ours.dataSync(), fd)).toBeLessThan(1e-3);

      // tfjs' registered gradient, fed the same upstream gradient (d f / d padded = w).
      expect(tfjsMirrorPadGradient).toBeDefined();
      const theirs = tfjsMirrorPadGradient!.gradFunc(w, [x], { paddings, mode } as unknown as tf.NamedAttrMap).x() as tf.Tensor;
      expect(maxAbsDiff(theirs.dataSync(), fd)).toBeGreaterThan(0.5);
      tf.dispose([x, w, ours, theirs]);
    });
  }

  test('the gradient ran through the composite fold, not a native kernel', () => {
    expect(tf.getKernel('NstMirrorPadGrad', tf.getBackend())).toBeUndefined();
  });

  test('reflectPad2d pads H and W like PyTorch ReflectionPad2d and its gradient is the fold', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const y = reflectPad2d(x, 1);
    // rows [1 2 3],[4 5 6] reflected by one on every side (edge not repeated).
    expect(Array.from(y.dataSync())).toEqual([5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(reflectPad2d(t as tf.Tensor4D, 1)))(x);
    // The gradient of a sum counts the padded cells that copy each input cell (read off the 4x5 output above).
    expect(Array.from(g.dataSync())).toEqual([2, 6, 2, 2, 6, 2]);
    const direct = mirrorPadGrad(tf.onesLike(y), [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect');
    expect(Array.from(direct.dataSync())).toEqual([2, 6, 2, 2, 6, 2]);
    tf.dispose([x, y, g, direct]);
  });
});
