/**
 * Zero-copy access to tfjs' CPU backend tensors, for every native kernel family (conv, eltwise, norm): a kernel reads
 * its inputs' Float32Arrays in place and hands back a Float32Array it allocated, or declines so the JS kernel runs.
 */
import { tf } from '../tf';

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
