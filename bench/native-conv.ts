/**
 * Throughput of the native conv kernels on the transformer net's hottest layer shape: a 3×3 conv 128→128 on 64×64
 * (the residual blocks at 256² input), forward, backward-data and backward-weights, in GFLOP/s through tfjs'
 * kernel dispatch (so the NHWC↔blocked reorders and output allocation are included), plus the pure-JS kernel's time
 * on the forward pass for the speed-up ratio.
 */
import { tf } from '../src/backend/tf';
import { loadNativeAddon, NativeAddon } from '../src/backend/native/loader';
import { installConvKernels } from '../src/backend/native/conv-kernels';

export interface NativeConvBenchOptions {
  batch?: number;
  size?: number;
  channels?: number;
  /** Minimum measuring time per kernel, in ms (after one warm-up call). */
  minMs?: number;
  /** Time the pure-JS forward kernel too (one call: seconds at the default shape). */
  withJs?: boolean;
}

export interface KernelTiming {
  ms: number;
  gflops: number;
  runs: number;
}

export interface NativeConvBenchResult {
  shape: string;
  gflopPerCall: number;
  oneDNN: string;
  forward: KernelTiming;
  backwardData: KernelTiming;
  backwardWeights: KernelTiming;
  jsForward?: { ms: number; gflops: number; nativeSpeedup: number };
  skipped?: string;
}

/** Median wall time of `run` over repeated calls, after one warm-up (which also builds the cached primitive). */
function timeKernel(run: () => tf.Tensor, gflop: number, minMs: number): KernelTiming {
  const once = (): number => {
    const t0 = process.hrtime.bigint();
    const out = run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    out.dispose();
    return ms;
  };
  once();
  const times: number[] = [];
  const start = Date.now();
  while (times.length < 3 || (Date.now() - start < minMs && times.length < 50)) times.push(once());
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  return { ms: round(ms), gflops: round(gflop / (ms / 1000)), runs: times.length };
}

const round = (v: number): number => Math.round(v * 100) / 100;

export async function nativeConvBench(options: NativeConvBenchOptions = {}): Promise<NativeConvBenchResult> {
  const { batch = 1, size = 64, channels = 128, minMs = 1500, withJs = true } = options;
  const shape = `${batch}x${size}x${size}x${channels} 3x3 ${channels}->${channels} same`;
  const gflop = (2 * batch * size * size * channels * channels * 9) / 1e9;
  const empty: KernelTiming = { ms: 0, gflops: 0, runs: 0 };
  const status = loadNativeAddon();
  if (!status.loaded || !status.addon) {
    return { shape, gflopPerCall: gflop, oneDNN: 'unavailable', forward: empty, backwardData: empty, backwardWeights: empty, skipped: status.reason };
  }
  const addon: NativeAddon = status.addon;
  await tf.setBackend('cpu');

  const random = (s: number[]): tf.Tensor => tf.randomUniform(s, -1, 1, 'float32', 7);
  const x = random([batch, size, size, channels]);
  const filter = random([3, 3, channels, channels]);
  const dy = random([batch, size, size, channels]);
  const convAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const forward = (): tf.Tensor => tf.engine().runKernel<tf.Tensor>('Conv2D', { x, filter }, convAttrs);
  const backwardData = (): tf.Tensor =>
    tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter }, { ...convAttrs, inputShape: x.shape });
  const backwardWeights = (): tf.Tensor =>
    tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, { ...convAttrs, filterShape: filter.shape });

  const restore = installConvKernels(addon);
  let result: NativeConvBenchResult;
  try {
    result = {
      shape,
      gflopPerCall: round(gflop * 1000) / 1000,
      oneDNN: String(addon.version()),
      forward: timeKernel(forward, gflop, minMs),
      backwardData: timeKernel(backwardData, gflop, minMs),
      backwardWeights: timeKernel(backwardWeights, gflop, minMs),
    };
  } finally {
    restore();
  }
  if (withJs) {
    const t0 = process.hrtime.bigint();
    const out = forward();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    out.dispose();
    result.jsForward = { ms: round(ms), gflops: round(gflop / (ms / 1000)), nativeSpeedup: round(ms / result.forward.ms) };
  }
  tf.dispose([x, filter, dy]);
  return result;
}

export default nativeConvBench;

if (require.main === module) {
  nativeConvBench().then((r) => console.log(JSON.stringify(r, null, 2)));
}
