/**
 * Zero-copy access to tfjs' CPU backend tensors, for every native kernel family (conv, eltwise, norm): a kernel reads
 * its inputs' Float32Arrays in place and hands back a Float32Array it allocated, or declines so the JS kernel runs.
 */
import { tf } from '../tf';
import { loadNativeAddon } from './loader';

/** The parts of tfjs' CPU backend a kernel touches (kept structural so only src/backend/tf.ts imports tfjs). */
export interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** The float32 data of a tensor, without a copy; undefined for any other dtype (the caller then falls back). */
export function floatValues(backend: CpuBackendLike, t: tf.TensorInfo | undefined): Float32Array | undefined {
  if (!t || t.dtype !== 'float32') return undefined;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Below this many floats (1 MiB) a plain Float32Array is as fast: glibc reuses heap memory for it. */
const POOLED_MIN_FLOATS = 1 << 18;

/** Typed structurally: the addon's arrays may come from another realm (see below). */
type PooledArray = { buffer: ArrayBuffer; byteOffset: number; length: number };
let allocF32: ((n: number, zeroed: boolean) => PooledArray) | null | undefined;

/**
 * A kernel's output array of `n` floats. Large ones come from the addon's huge-page buffer pool
 * (native/src/buffers.cc: on these VMs faulting in a fresh 33 MB array cost 5x the kernel that filled it); `zeroed`
 * false is for kernels that write every element. NST_OUTPUT_BUFFERS=0 gives plain Float32Arrays (to compare).
 */
export function outputFloats(n: number, zeroed = false): Float32Array {
  if (allocF32 === undefined) {
    const addon = process.env.NST_OUTPUT_BUFFERS === '0' ? undefined : loadNativeAddon().addon;
    allocF32 = typeof addon?.allocF32 === 'function' ? (addon.allocF32 as (n: number, z: boolean) => PooledArray) : null;
  }
  if (!allocF32 || n < POOLED_MIN_FLOATS) return new Float32Array(n);
  const pooled = allocF32(n, zeroed);
  // The addon's arrays belong to the realm that loaded it; under jest that is not the tests' (nor tfjs'), and tfjs
  // recognises typed arrays with instanceof. A view made here shares the memory and keeps it alive.
  return pooled instanceof Float32Array ? pooled : new Float32Array(pooled.buffer, pooled.byteOffset, pooled.length);
}
