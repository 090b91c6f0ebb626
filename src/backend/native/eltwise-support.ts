/**
 * Plumbing shared by the native non-convolution kernels: the addon functions they call (native/src/eltwise_ops.h),
 * their argument type and their call counters. Anything the native code does not handle (another dtype, an
 * unsupported layout) runs tfjs' own JS kernel instead — never a silently wrong answer (./js-fallback.ts).
 * Tensor access is in ./cpu-tensors.ts.
 */
import { tf } from '../tf';
import type { CpuBackendLike } from './cpu-tensors';
import { KernelCallCounter, KernelCalls, withJsFallback as withFallback } from './js-fallback';
import type { NativeAddon } from './loader';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'sqdiff';
export type UnaryOp = 'relu' | 'step' | 'square' | 'sqrt';
export type ReduceOp = 'sum' | 'mean';
/** One Int32Array per NHWC axis: output coordinate i along axis k reads (or, for scatters, feeds) input coordinate map[i]. */
export type AxisMaps = [Int32Array, Int32Array, Int32Array, Int32Array];

/** The addon functions these kernels use; each writes into output arrays the caller allocates. */
export interface EltwiseAddon {
  binaryF32(op: BinaryOp, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[]): void;
  unaryF32(op: UnaryOp, x: Float32Array, out: Float32Array, param?: number): void;
  /** False when the axes do not collapse to [kept, reduced, kept]; `out` is then untouched. */
  reduceF32(op: ReduceOp, x: Float32Array, xShape: number[], axes: number[], out: Float32Array): boolean;
  gather4F32(x: Float32Array, xShape: number[], maps: AxisMaps, out: Float32Array): void;
  scatterAdd4F32(dy: Float32Array, dyShape: number[], maps: AxisMaps, dx: Float32Array, dxShape: number[]): void;
  instanceNormF32(x: Float32Array, shape: number[], gamma: Float32Array, beta: Float32Array, eps: number,
    y: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** Tensors of at least n elements use the OpenMP team (n <= 0 restores the default); returns the previous value. */
  setEltwiseParallelMin(n: number): number;
  instanceNormGradF32(dy: Float32Array, x: Float32Array, shape: number[], gamma: Float32Array, mean: Float32Array,
    rstd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
}

/** The addon as the eltwise family, or undefined when it is an older build without these functions. */
export function eltwiseAddon(addon: NativeAddon, needs: Array<keyof EltwiseAddon>): EltwiseAddon | undefined {
  return needs.every((fn) => typeof addon[fn] === 'function') ? (addon as unknown as EltwiseAddon) : undefined;
}

export interface KernelArgs {
  // tfjs passes every input the op declares; a missing one is a bug in the op, not something to handle here.
  inputs: Record<string, tf.TensorInfo>;
  backend: CpuBackendLike;
  attrs?: tf.NamedAttrMap;
}

/** How often each kernel ran natively and how often it fell back to JS. */
export type EltwiseKernelCalls = KernelCalls;

const calls = new KernelCallCounter();

export function eltwiseKernelCalls(): EltwiseKernelCalls {
  return calls.snapshot();
}

export function resetEltwiseKernelCalls(): void {
  calls.reset();
}

/** An eltwise kernel config: the native body reads its arguments typed as below and may decline (see ./js-fallback.ts). */
export function withJsFallback(
  kernelName: string,
  native: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined,
): tf.KernelConfig {
  return withFallback(kernelName, (args) => native(args as unknown as KernelArgs), calls);
}
