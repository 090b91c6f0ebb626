// The training ops (reflection pad, instance norm, ReLU, nearest 2x upsampling, a weighted-sum loss) on whatever backend
// this process selected: gradients must match central finite differences. eltwise-fallback.test.ts also runs this
// file in a child jest with NST_NATIVE=0, where it must select the pure-JS cpu backend and pass with no native kernel.
//
// Tolerance: relative L2 error 1e-2 between autodiff and central differences with h = 5e-3. The differenced loss sums
// the float32 network output against the weights in double, so only the outputs' own rounding (~1e-7 each, ~1e-6 over
// the sum) is divided by h: ~2e-4. A wrong gradient term is O(1).
//
// Batch 1 on purpose: tfjs 4.22's JS ResizeNearestNeighborGrad reads the wrong dy rows for every image after the
// first (see eltwise-gather.test.ts), so on the pure-JS path a batch of 2 fails here; the native kernel is correct.
import { tf } from '../../src/backend/tf';
import { selectedBackend } from '../../src/backend/select';
import { nativeKernelNames } from '../../src/backend/native';
import { INSTANCE_NORM_KERNEL } from '../../src/backend/kernel-contracts';
import { instanceNorm } from '../../src/nets/ops/instance-norm';
import { reflectPad2d } from '../../src/nets/ops/reflect-pad';
import { relError } from '../helpers';

const fallbackRun = process.env.NST_NATIVE === '0';

function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return ((s / 2147483648) * 2 - 1) * scale;
  });
}

function network(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const padded = reflectPad2d(x as tf.Tensor4D, 1, 1, 2, 1);
  const normed = tf.relu(instanceNorm(padded, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3));
  return tf.image.resizeNearestNeighbor(normed, [normed.shape[1] * 2, normed.shape[2] * 2]);
}

/** The loss as autodiff sees it: sum(network * w). */
function loss(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(network(x, gamma, beta), w)));
}

/** The same loss for differencing, summed in double. */
function lossValue(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: Float32Array): number {
  const out = tf.tidy(() => network(x, gamma, beta).dataSync() as Float32Array);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * w[i];
  return sum;
}

function finiteDifferences(f: (t: tf.Tensor) => number, t: tf.Tensor, h = 5e-3): Float32Array {
  const base = t.dataSync() as Float32Array;
  return Float32Array.from(base, (_, i) => {
    const probe = (delta: number) => {
      const v = Float32Array.from(base);
      v[i] += delta;
      const p = tf.tensor(v, t.shape);
      const out = f(p);
      p.dispose();
      return out;
    };
    return (probe(h) - probe(-h)) / (2 * h);
  });
}

describe('training ops on the selected backend', () => {
  test('gradients of pad -> instance norm -> relu -> resize -> loss match finite differences', () => {
    const x = tf.tensor(values(4 * 5 * 3, 6, 2), [1, 4, 5, 3]);
    const gamma = tf.tensor(values(3, 8, 0.5).map((v) => v + 1), [3]);
    const beta = tf.tensor(values(3, 9, 0.5), [3]);
    const w = tf.tensor(values(12 * 16 * 3, 10), [1, 12, 16, 3]);
    // Differences are only valid away from ReLU's kink: the data (seed 6) keeps every pre-activation >= 0.05 from 0.
    const preActivation = tf.tidy(() => instanceNorm(reflectPad2d(x as tf.Tensor4D, 1, 1, 2, 1), gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3).abs().min().dataSync()[0]);
    expect(preActivation).toBeGreaterThan(0.05);
    const [gx, gg, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => loss(a, b, c, w))([x, gamma, beta]);
    const wv = w.dataSync() as Float32Array;
    const fx = finiteDifferences((t) => lossValue(t, gamma, beta, wv), x);
    const fg = finiteDifferences((t) => lossValue(x, t, beta, wv), gamma);
    const fb = finiteDifferences((t) => lossValue(x, gamma, t, wv), beta);
    expect(relError(gx.dataSync(), fx)).toBeLessThan(1e-2);
    expect(relError(gg.dataSync(), fg)).toBeLessThan(1e-2);
    expect(relError(gb.dataSync(), fb)).toBeLessThan(1e-2);
    tf.dispose([x, gamma, beta, w, gx, gg, gb]);
  });

  (fallbackRun ? test : test.skip)('NST_NATIVE=0: the pure-JS cpu backend was selected and no native kernel is registered', () => {
    expect(selectedBackend()?.name).toBe('cpu');
    expect(nativeKernelNames()).toEqual([]);
    expect(tf.getKernel(INSTANCE_NORM_KERNEL, 'cpu')).toBeUndefined();
    expect(tf.getKernel('NstMirrorPadGrad', 'cpu')).toBeUndefined();
  });

  (fallbackRun ? test.skip : test)('with the native backend selected, the fused kernels served the ops above', () => {
    if (selectedBackend()?.name !== 'native') return; // NST_BACKEND=cpu or no addon: nothing native to check
    expect(nativeKernelNames()).toEqual(expect.arrayContaining([INSTANCE_NORM_KERNEL, 'NstMirrorPadGrad', 'MirrorPad']));
  });
});
