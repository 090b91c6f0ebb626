/**
 * Native Sum and Mean over float32 tensors (loss terms, the broadcast-gradient reductions, instance statistics when
 * the composite path runs). The native code handles any axes that collapse to [kept, reduced, kept]; other axis sets
 * and other dtypes run the JS kernels.
 */
import { tf } from '../tf';
import { floatValues, sizeOf } from './cpu-tensors';
import { EltwiseAddon, KernelArgs, ReduceOp, withJsFallback } from './eltwise-support';

function reduceKernel(addon: EltwiseAddon, kernelName: string, op: ReduceOp): tf.KernelConfig {
  return withJsFallback(kernelName, ({ inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs;
    const xv = floatValues(backend, x);
    if (!xv) return undefined;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const out = new Float32Array(sizeOf(kept));
    if (!addon.reduceF32(op, xv, x.shape, axes, out)) return undefined;
    const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
    return backend.makeTensorInfo(shape, 'float32', out);
  });
}

export function reductionKernels(addon: EltwiseAddon): tf.KernelConfig[] {
  return [reduceKernel(addon, 'Sum', 'sum'), reduceKernel(addon, 'Mean', 'mean')];
}
