// The fused native instance norm (NstInstanceNorm + NstInstanceNormGrad) against the composite definition run on
// tfjs' JS kernels: forward, and the gradients for x, gamma and beta, on seeded random shapes (batch > 1, odd sizes,
// 1x1 images, inputs far from zero). Tolerance: see eltwise-harness.ts (relative 1e-4).
import { tf } from '../../src/backend/tf';
import { INSTANCE_NORM_KERNEL } from '../../src/backend/kernel-contracts';
import { instanceNorm } from '../../src/nets/ops/instance-norm';
import {
  compareWithJs,
  describeNative,
  expectClose,
  expectRanNatively,
  int,
  randomTensor,
  rng,
  useJsBaseline,
} from './eltwise-harness';

useJsBaseline();

function instanceNormCase(seed: number, shape: number[], eps: number, offset = 0) {
  const r = rng(seed);
  const c = shape[3];
  const x = tf.tidy(() => tf.add(randomTensor(r, shape, -2, 2), offset));
  const gamma = randomTensor(r, [c], 0.5, 1.5) as tf.Tensor1D;
  const beta = randomTensor(r, [c]) as tf.Tensor1D;
  const w = randomTensor(r, shape);
  // A loss that weights every output differently, so no gradient is trivially zero.
  const loss = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(instanceNorm(xx as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, eps), w));
  const res = compareWithJs(() => [instanceNorm(x as tf.Tensor4D, gamma, beta, eps), ...tf.grads(loss)([x, gamma, beta])]);
  tf.dispose([x, gamma, beta, w]);
  return res;
}

describeNative('native instance norm vs the composite on JS kernels', () => {
  test('forward and d/dx, d/dgamma, d/dbeta on random shapes', () => {
    for (let seed = 0; seed < 8; seed++) {
      const r = rng(seed);
      const shape = [int(r, 1, 3), int(r, 1, 11), int(r, 1, 11), int(r, 1, 9)];
      const eps = [1e-5, 1e-3, 1e-9][seed % 3];
      const res = instanceNormCase(100 + seed, shape, eps);
      expectClose(res, `instance norm ${JSON.stringify(shape)} eps ${eps}`);
      expectRanNatively(res, [INSTANCE_NORM_KERNEL, 'NstInstanceNormGrad'], 'instance norm');
    }
  });

  test('a 1x1 image (zero variance: y = beta, dx = 0) and a large image split over threads', () => {
    expectClose(instanceNormCase(200, [2, 1, 1, 3], 1e-5), '1x1');
    expectClose(instanceNormCase(201, [2, 48, 40, 32], 1e-5), 'large');
  });

  test('inputs far from zero (0-255 pixels) keep their precision', () => {
    expectClose(instanceNormCase(300, [2, 9, 7, 5], 1e-5, 200), 'offset 200');
  });

  test('training through it: Adam steps leave no tensors behind', () => {
    const r = rng(400);
    const x = randomTensor(r, [2, 6, 5, 4]) as tf.Tensor4D;
    const target = randomTensor(r, [2, 6, 5, 4]);
    const gamma = tf.variable(tf.ones([4])) as tf.Variable<tf.Rank.R1>;
    const beta = tf.variable(tf.zeros([4])) as tf.Variable<tf.Rank.R1>;
    const opt = tf.train.adam(0.05);
    const step = () => opt.minimize(() => tf.mean(tf.square(tf.sub(instanceNorm(x, gamma, beta, 1e-5), target))) as tf.Scalar, true);
    const runSteps = () => {
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const l = step() as tf.Scalar;
        losses.push(l.dataSync()[0]);
        l.dispose();
      }
      return new Float32Array(losses);
    };
    const res = compareWithJs(() => {
      runSteps(); // the first step creates Adam's moment slots
      const before = tf.memory().numTensors;
      const losses = runSteps();
      expect(tf.memory().numTensors).toBe(before);
      return tf.tensor(losses);
    });
    // Both runs continue the same optimizer, so compare their loss trajectories' shape: each must decrease.
    for (const losses of [res.js[0], res.native[0]]) expect(losses[3]).toBeLessThan(losses[0]);
    tf.dispose([x, target, gamma, beta]);
    opt.dispose();
  });

  test('the kernel refuses what it does not implement instead of guessing', () => {
    const x = tf.ones([1, 2, 2, 1], 'int32');
    const g = tf.ones([1]);
    const b = tf.zeros([1]);
    const res = (() => {
      try {
        compareWithJs(() => {
          if (!tf.getKernel(INSTANCE_NORM_KERNEL, 'cpu')) return tf.zeros([1]); // the JS pass has no such kernel
          return tf.engine().runKernel(INSTANCE_NORM_KERNEL, { x, gamma: g, beta: b } as unknown as tf.NamedTensorMap, { epsilon: 1e-5 } as unknown as tf.NamedAttrMap) as tf.Tensor;
        });
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(res).toMatch(/NstInstanceNorm.*cannot handle/);
    // instanceNorm() itself takes the composite path for such inputs.
    tf.dispose([x, g, b]);
  });
});
