/**
 * Whole-network inference plans on the oneDNN addon (native/src/plan.cc): a feed-forward image network described as
 * a list of ops runs from one NHWC float32 image to another in oneDNN's blocked layout, with one conversion in and one
 * out, weights reordered once, forward_inference primitives and norms that write the next conv's reflection padding.
 *
 * The backend knows nothing of networks: a network module (src/nets) describes itself as PlanOps and keeps the plan
 * while its weights stay the same (the plan holds a copy of them).
 */
import { tf } from '../tf';
import { loadNativeAddon, NativeAddon } from './loader';
import { nativeKernelNames } from './index';

export type PlanOp =
  | {
      kind: 'conv';
      kernel: number;
      stride: number;
      /** Pixels of padding each side: reflected (ReflectionPad2d) when `reflect`, zeros otherwise. */
      pad: number;
      reflect: boolean;
      inChannels: number;
      outChannels: number;
      /** HWIO, as tfjs stores conv kernels. */
      weights: Float32Array;
      bias: Float32Array | null;
      relu: boolean;
    }
  | { kind: 'norm'; gamma: Float32Array; beta: Float32Array; epsilon: number; relu: boolean; addMarked: boolean }
  | { kind: 'upsample' }
  /** 2×2 max pooling, stride 2, no padding (VGG's). */
  | { kind: 'maxpool' }
  /** Keeps the current activation for the next norm with addMarked (a residual block's skip connection). */
  | { kind: 'mark' };

export interface NetworkPlanInfo {
  /** Channels per block of the blocked layout: 16 with AVX-512, 8 with AVX2 (follows ONEDNN_MAX_CPU_ISA). */
  lanes: number;
  /** The implementation of each conv at the last input size, e.g. 'jit_wino_4x3:avx512_core', 'narrow_blocked:avx2'. */
  implementations: string[];
  /** Activation buffers the plan holds for its last input size. */
  bufferBytes: number;
}

/** Statistics a norm op uses instead of its input's own: per channel, the mean and 1/sqrt(variance + epsilon). */
export interface FrozenNormStats {
  mean: Float32Array;
  rstd: Float32Array;
}

export type Shape4 = [number, number, number, number];

export interface NetworkPlan {
  /**
   * Runs the network on an NHWC float32 batch; returns a new tensor (the caller disposes it). `stats`, when given, has
   * one entry per op: a norm op with an entry normalises with it (every image of the batch alike).
   */
  run(x: tf.Tensor4D, stats?: (FrozenNormStats | undefined)[]): tf.Tensor4D;
  /** The output shape for an input of `shape` (NHWC). */
  outputShape(shape: Shape4): Shape4;
  /**
   * run() on raw NHWC values into `out` (outputShape(shape) elements), with no tensors made: a caller that reuses its
   * arrays over many same-sized windows (the exact tile statistics) keeps their pages faulted in.
   */
  runInto(values: Float32Array, shape: Shape4, out: Float32Array, stats?: (FrozenNormStats | undefined)[]): void;
  info(): NetworkPlanInfo;
  /** Frees the plan's buffers and weights now (not at garbage collection); run() then throws. */
  dispose(): void;
}

const PLAN_FUNCTIONS = ['planCreate', 'planOutputShape', 'planRun', 'planInfo', 'planRelease'];

/**
 * The addon when whole-network plans can run now: the native kernels are registered on tfjs' CPU backend (the
 * 'native' backend is selected) and the addon has the plan functions. NST_NETWORK_PLAN=0 turns plans off (the per-op
 * kernels then run, e.g. to compare).
 */
export function networkPlanAddon(): NativeAddon | undefined {
  if (process.env.NST_NETWORK_PLAN === '0') return undefined;
  if (tf.getBackend() !== 'cpu' || nativeKernelNames().length === 0) return undefined;
  const status = loadNativeAddon();
  const addon = status.addon;
  if (!addon || !PLAN_FUNCTIONS.every((f) => typeof addon[f] === 'function')) return undefined;
  return addon;
}

/** Builds a plan (copies the weights); undefined when plans cannot run here (see networkPlanAddon). */
export function createNetworkPlan(ops: PlanOp[], addon: NativeAddon | undefined = networkPlanAddon()): NetworkPlan | undefined {
  if (!addon) return undefined;
  const handle: unknown = addon.planCreate(ops);
  const outputShape = (shape: Shape4) => addon.planOutputShape(handle, shape) as Shape4;
  const runInto = (values: Float32Array, shape: Shape4, out: Float32Array, stats?: (FrozenNormStats | undefined)[]) => {
    if (stats) addon.planRun(handle, values, shape, out, stats.map((s) => s ?? null));
    else addon.planRun(handle, values, shape, out);
  };
  return {
    run(x: tf.Tensor4D, stats?: (FrozenNormStats | undefined)[]): tf.Tensor4D {
      const shape = [...x.shape] as Shape4;
      const values = x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync());
      const outShape = outputShape(shape);
      const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
      runInto(values, shape, out, stats);
      return tf.tensor4d(out, outShape);
    },
    outputShape,
    runInto,
    info: () => addon.planInfo(handle) as NetworkPlanInfo,
    dispose: () => addon.planRelease(handle),
  };
}
