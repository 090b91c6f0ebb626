/**
 * Instance normalization as one op: y = gamma * (x - mean_hw) / sqrt(var_hw + eps) + beta, per image and channel, NHWC.
 *
 * Built from tf.moments and broadcasting arithmetic it costs five big elementwise passes forward and more backward,
 * which dominates a pure-JS step. So it is an op of ours: when the active backend has a kernel named
 * `NstInstanceNorm` (the native CPU path registers one) it runs that; otherwise the composite ops, whose autodiff
 * gradient is exact, so GPU backends keep working.
 *
 * The kernel contract is in src/backend/kernel-contracts.ts (src/backend/native/norm-kernels.ts implements it).
 * Its gradient is registered below (gradients are global in tfjs; it only ever runs where the kernel ran).
 */
import { tf } from '../../backend/tf';

import { INSTANCE_NORM_GRAD_KERNEL, INSTANCE_NORM_KERNEL, InstanceNormAttrs } from '../../backend/kernel-contracts';

/** Whether this call can use the fused kernel: it exists for the active backend and the inputs are what it takes. */
function fusedKernelApplies(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): boolean {
  return (
    tf.getKernel(INSTANCE_NORM_KERNEL, tf.getBackend()) !== undefined &&
    x.rank === 4 &&
    [x, gamma, beta].every((t) => t.dtype === 'float32')
  );
}

export function instanceNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  if (fusedKernelApplies(x, gamma, beta)) {
    const attrs: InstanceNormAttrs = { epsilon };
    const [y, mean, rstd] = tf.engine().runKernel(
      INSTANCE_NORM_KERNEL,
      { x, gamma, beta } as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    // The tape keeps its own references to the statistics it needs for the gradient.
    mean.dispose();
    rstd.dispose();
    return y as tf.Tensor4D;
  }
  return instanceNormComposite(x, gamma, beta, epsilon);
}

/** The reference definition (biased variance, as PyTorch's InstanceNorm2d and Engstrom's nets use). */
export function instanceNormComposite(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normalized, gamma), beta) as tf.Tensor4D;
  });
}

/**
 * Inference only: normalises with statistics supplied from outside (per channel mean and rstd = 1/sqrt(var + eps)),
 * so that tiles of one image can share the whole image's statistics (src/infer/tile-stats.ts).
 */
export function instanceNormWithStats(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, mean: tf.Tensor1D, rstd: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, rstd);
    const shift = tf.sub(beta, tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
  });
}

tf.registerGradient({
  kernelName: INSTANCE_NORM_KERNEL,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, gamma, mean, rstd] = saved;
    // One kernel yields all three gradients. It runs here, not inside the per-input closures: tfjs calls each closure
    // in its own tidy, which would dispose the two gradients that closure does not return.
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      INSTANCE_NORM_GRAD_KERNEL,
      { dy, x, gamma, mean, rstd } as unknown as tf.NamedTensorMap,
      {},
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});
