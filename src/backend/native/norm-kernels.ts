/**
 * The fused instance-norm kernels (contract in src/nets/ops/instance-norm.ts, maths in native/src/norm.cc).
 * There is no JS kernel behind them: instanceNorm() only dispatches here for rank-4 float32 inputs and runs the
 * composite ops otherwise, so anything else reaching these kernels is an error, reported as one.
 */
import { tf } from '../tf';
import { INSTANCE_NORM_GRAD_KERNEL, INSTANCE_NORM_KERNEL, InstanceNormAttrs } from '../kernel-contracts';
import { floatValues } from './cpu-tensors';
import { EltwiseAddon, KernelArgs, withJsFallback } from './eltwise-support';

function instanceNormForward(addon: EltwiseAddon): tf.KernelConfig {
  return withJsFallback(INSTANCE_NORM_KERNEL, ({ inputs, backend, attrs }: KernelArgs) => {
    const { x, gamma, beta } = inputs;
    const [xv, gv, bv] = [x, gamma, beta].map((t) => floatValues(backend, t));
    if (!xv || !gv || !bv || x.shape.length !== 4) return undefined;
    const [n, , , c] = x.shape;
    const { epsilon } = attrs as unknown as InstanceNormAttrs;
    const y = new Float32Array(xv.length);
    const mean = new Float32Array(n * c);
    const rstd = new Float32Array(n * c);
    addon.instanceNormF32(xv, x.shape, gv, bv, epsilon, y, mean, rstd);
    return [
      backend.makeTensorInfo(x.shape, 'float32', y),
      backend.makeTensorInfo([n, c], 'float32', mean),
      backend.makeTensorInfo([n, c], 'float32', rstd),
    ];
  });
}

function instanceNormBackward(addon: EltwiseAddon): tf.KernelConfig {
  return withJsFallback(INSTANCE_NORM_GRAD_KERNEL, ({ inputs, backend }: KernelArgs) => {
    const { dy, x, gamma, mean, rstd } = inputs;
    const v = [dy, x, gamma, mean, rstd].map((t) => floatValues(backend, t));
    if (v.some((a) => !a) || x.shape.length !== 4) return undefined;
    const [dyv, xv, gv, mv, rv] = v as Float32Array[];
    const c = x.shape[3];
    const dx = new Float32Array(xv.length);
    const dgamma = new Float32Array(c);
    const dbeta = new Float32Array(c);
    addon.instanceNormGradF32(dyv, xv, x.shape, gv, mv, rv, dx, dgamma, dbeta);
    return [
      backend.makeTensorInfo(x.shape, 'float32', dx),
      backend.makeTensorInfo([c], 'float32', dgamma),
      backend.makeTensorInfo([c], 'float32', dbeta),
    ];
  });
}

export function normKernels(addon: EltwiseAddon): tf.KernelConfig[] {
  return [instanceNormForward(addon), instanceNormBackward(addon)];
}
