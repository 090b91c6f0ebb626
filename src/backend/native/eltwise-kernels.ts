/**
 * The native kernels for everything but convolutions: broadcasting arithmetic, ReLU, Sum/Mean, mirror padding and
 * nearest resizing (with their gradients) and the fused instance norm. Each family lives in its own module; this one
 * collects them, skipping any family whose addon functions are missing (an addon built from older sources).
 */
import { tf } from '../tf';
import { installKernels } from './install';
import type { NativeAddon } from './loader';
import { EltwiseAddon, eltwiseAddon } from './eltwise-support';
import { arithmeticKernels } from './eltwise-arith';
import { reductionKernels } from './eltwise-reduce';
import { gatherKernels } from './eltwise-gather';
import { normKernels } from './norm-kernels';

export { eltwiseKernelCalls, resetEltwiseKernelCalls } from './eltwise-support';
export type { EltwiseKernelCalls } from './eltwise-support';

const FAMILIES: Array<[Array<keyof EltwiseAddon>, (addon: EltwiseAddon) => tf.KernelConfig[]]> = [
  [['binaryF32', 'unaryF32'], arithmeticKernels],
  [['reduceF32'], reductionKernels],
  [['gather4F32', 'scatterAdd4F32'], gatherKernels],
  [['instanceNormF32', 'instanceNormGradF32'], normKernels],
];

/**
 * NST_ELTWISE_PARALLEL_MIN: the tensor size (elements) from which these kernels use both cores. The default (in
 * native/src/eltwise_ops.h) is high because OpenMP barriers stall when other processes share the cores; on a
 * dedicated machine e.g. 1000000 is faster.
 */
function applyThreadingEnv(addon: NativeAddon): void {
  const raw = process.env.NST_ELTWISE_PARALLEL_MIN;
  const n = raw === undefined ? NaN : Number(raw);
  if (Number.isInteger(n) && n > 0 && typeof addon.setEltwiseParallelMin === 'function') addon.setEltwiseParallelMin(n);
}

/** Native kernel configs for the eltwise family (registered by registerNativeKernels() in ./index.ts). */
export function eltwiseKernels(addon: NativeAddon): tf.KernelConfig[] {
  applyThreadingEnv(addon);
  return FAMILIES.flatMap(([needs, family]) => {
    const typed = eltwiseAddon(addon, needs);
    return typed ? family(typed) : [];
  });
}

/**
 * Installs only the eltwise-family kernels on tfjs' 'cpu' backend (not the conv family) and returns a function that
 * puts the previous kernels back. For benchmarks and tests that compare against the JS kernels in one process.
 */
export function installEltwiseKernels(addon: NativeAddon): () => void {
  return installKernels(eltwiseKernels(addon));
}
