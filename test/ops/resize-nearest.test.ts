import { tf } from '../../src/backend/tf';
import { foldIntegerUpsample } from '../../src/nets/ops/resize-nearest';
import { nativeKernelNames, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native';
import { maxAbsDiff } from '../helpers';

/** The exact adjoint of nearest ×2 upsampling, by loops: each output pixel sends its dy to its source pixel. */
function referenceGrad(dy: Float32Array, [n, oh, ow, c]: number[], h: number, w: number): Float32Array {
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let k = 0; k < c; k++) {
          const sy = Math.floor((y * h) / oh);
          const sx = Math.floor((x * w) / ow);
          dx[((b * h + sy) * w + sx) * c + k] += dy[((b * oh + y) * ow + x) * c + k];
        }
  return dx;
}

describe('nearest-neighbour resize gradient', () => {
  const shape: [number, number, number, number] = [3, 5, 4, 2];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 7) as tf.Tensor4D;
  const dy = tf.randomNormal([3, 10, 8, 2], 0, 1, 'float32', 8) as tf.Tensor4D;
  const expected = referenceGrad(dy.dataSync() as Float32Array, dy.shape, 5, 4);

  it('tf.grad through an ×2 upsampling is the exact adjoint at batch 3, native and pure JS', () => {
    const check = () => {
      const g = tf.grad((t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [10, 8]))(x, dy);
      expect(maxAbsDiff(g.dataSync(), expected)).toBeLessThan(1e-5);
    };
    check();
    if (nativeKernelNames().length > 0) {
      // Also on the pure-JS kernels, where tfjs' own gradient kernel is wrong past the first image.
      unregisterNativeKernels();
      try {
        check();
      } finally {
        registerNativeKernels();
      }
    }
  });

  it('the integer fold equals the reference', () => {
    expect(maxAbsDiff(foldIntegerUpsample(dy, 2, 2).dataSync(), expected)).toBeLessThan(1e-5);
  });

  it('a non-integer resize still gets a correct gradient per image', () => {
    const small = tf.randomNormal([2, 3, 3, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const dy5 = tf.randomNormal([2, 5, 5, 1], 0, 1, 'float32', 10) as tf.Tensor4D;
    const g = tf.grad((t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [5, 5]))(small, dy5);
    const ref = new Float32Array(18);
    const d = dy5.dataSync();
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < 5; y++)
        for (let xx = 0; xx < 5; xx++) ref[(b * 3 + Math.floor((y * 3) / 5)) * 3 + Math.floor((xx * 3) / 5)] += d[(b * 5 + y) * 5 + xx];
    expect(maxAbsDiff(g.dataSync(), ref)).toBeLessThan(1e-5);
  });
});
