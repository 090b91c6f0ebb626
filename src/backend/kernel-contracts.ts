/**
 * Names and attributes of the kernels nst adds to TensorFlow.js. The ops that call them live in src/nets/ops; the
 * native CPU path (src/backend/native) registers implementations. Both sides import the contract from here, so the
 * backend never depends on the networks above it.
 *
 *   NstInstanceNorm      inputs {x [N,H,W,C], gamma [C], beta [C]}, attrs {epsilon}
 *                        outputs [y, mean [N,C], rstd [N,C]] (rstd = 1/sqrt(biased var + eps)); the statistics are
 *                        outputs only so that the gradient can reuse them.
 *   NstInstanceNormGrad  inputs {dy, x, gamma, mean, rstd} -> [dx, dgamma, dbeta], one pass over dy and x.
 *   NstMirrorPadGrad     inputs {dy} (the padded tensor's gradient), attrs {paddings, mode} as MirrorPad's -> dx.
 */
export const INSTANCE_NORM_KERNEL = 'NstInstanceNorm';
export const INSTANCE_NORM_GRAD_KERNEL = 'NstInstanceNormGrad';

export interface InstanceNormAttrs {
  epsilon: number;
}

export const MIRROR_PAD_GRAD_KERNEL = 'NstMirrorPadGrad';
