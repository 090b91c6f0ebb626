// Shared by the eltwise/norm native-kernel tests: run the same computation on tfjs' JS kernels and on ours, compare.
//
// Tolerance: relative L2 error ||native - js|| / ||js|| <= 1e-4 on every output. The native code accumulates
// statistics in double where tfjs mixes float32 and double, so results differ in the last bits only (observed
// <= 1e-6); an indexing or formula bug gives errors of order 1e-1.
import { tf } from '../../src/backend/tf';
import { loadNativeAddon, NativeAddon } from '../../src/backend/native/loader';
import { unregisterNativeKernels } from '../../src/backend/native';
import type { EltwiseAddon } from '../../src/backend/native/eltwise-support';
import {
  EltwiseKernelCalls,
  eltwiseKernelCalls,
  installEltwiseKernels,
  resetEltwiseKernelCalls,
} from '../../src/backend/native/eltwise-kernels';
import { describeNative, relError, seededRandom } from '../helpers';

export { describeNative };

export const TOLERANCE = 1e-4;
export const nativeStatus = loadNativeAddon();


/** The suite compares against pure JS: take out whatever native kernels the backend selection installed. */
export function useJsBaseline(): void {
  beforeAll(() => unregisterNativeKernels());
}

export const rng = seededRandom;

export const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export function randomTensor(r: () => number, shape: number[], lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()), shape);
}

export interface Comparison {
  js: Float32Array[];
  native: Float32Array[];
  /** The native run again with every loop on the OpenMP team (by default only huge tensors use it). */
  parallel?: Float32Array[];
  calls: EltwiseKernelCalls;
}

/** Reads every output of `fn` into plain arrays, disposing the tensors. */
export function readOutputs(fn: () => tf.Tensor | tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const out = fn();
    return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>));
  });
}

/** Runs `fn` with the eltwise family installed (then restores the JS kernels); also says which kernels ran natively. */
export function withEltwiseKernels<T>(fn: () => T): { value: T; calls: EltwiseKernelCalls } {
  const restore = installEltwiseKernels(nativeStatus.addon as NativeAddon);
  resetEltwiseKernelCalls();
  try {
    const value = fn();
    return { value, calls: eltwiseKernelCalls() };
  } finally {
    restore();
  }
}

/** Runs `fn` with the native loops multi-threaded whatever the tensor size, so tiny test inputs cover those paths. */
export function withAllLoopsParallel<T>(fn: () => T): T {
  const addon = nativeStatus.addon as unknown as EltwiseAddon;
  const previous = addon.setEltwiseParallelMin(1);
  try {
    return fn();
  } finally {
    addon.setEltwiseParallelMin(previous);
  }
}

/**
 * Runs `fn` on the JS kernels, then with the eltwise family installed, once with the default threading and once with
 * every loop multi-threaded; returns all three.
 */
export function compareWithJs(fn: () => tf.Tensor | tf.Tensor[]): Comparison {
  const js = readOutputs(fn);
  const { value: native, calls } = withEltwiseKernels(() => readOutputs(fn));
  const parallel = withAllLoopsParallel(() => withEltwiseKernels(() => readOutputs(fn)).value);
  return { js, native, parallel, calls };
}

export function expectClose(r: Comparison, label: string): void {
  const runs: Array<[string, Float32Array[]]> = [['native', r.native]];
  if (r.parallel) runs.push(['native, all loops parallel', r.parallel]);
  for (const [name, outputs] of runs) {
    expect(outputs.length).toBe(r.js.length);
    r.js.forEach((js, i) => {
      expect(outputs[i].length).toBe(js.length);
      const err = relError(outputs[i], js);
      if (!(err <= TOLERANCE)) throw new Error(`${label} (${name}): output ${i} relative error ${err} > ${TOLERANCE}`);
    });
  }
}

/** Asserts the listed kernels really ran natively (and did not quietly fall back to JS). */
export function expectRanNatively(r: Comparison, kernels: string[], label: string): void {
  for (const k of kernels) {
    if (!(r.calls.native[k] > 0)) {
      throw new Error(`${label}: ${k} did not run natively (calls ${JSON.stringify(r.calls)})`);
    }
  }
}
