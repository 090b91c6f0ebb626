/**
 * Instance normalization as one op: y = gamma * (x - mean_hw) / sqrt(var_hw + eps) + beta, per image and channel, NHWC.
 *
 * Built from tf.moments and broadcasting arithmetic it costs five big elementwise passes forward and more backward,
 * which dominates a pure-JS step. So it is an op of ours: when the active backend has a kernel named
 * `NstInstanceNorm` (the native CPU path registers one, with its gradient) it runs that; otherwise the composite ops,
 * whose autodiff gradient is exact, so GPU backends keep working.
 */
import { tf } from '../../backend/tf';

export const INSTANCE_NORM_KERNEL = 'NstInstanceNorm';

export interface InstanceNormAttrs {
  epsilon: number;
}

export function instanceNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  if (tf.getKernel(INSTANCE_NORM_KERNEL, tf.getBackend())) {
    const attrs: InstanceNormAttrs = { epsilon };
    return tf.engine().runKernel(
      INSTANCE_NORM_KERNEL,
      { x, gamma, beta } as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
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
