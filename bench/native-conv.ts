/**
 * Throughput of the native conv kernels on the transformer net's hottest layer shape: a 3×3 conv 128→128 on 64×64
 * (the residual blocks at 256² input), forward, backward-data and backward-weights, in GFLOP/s through tfjs'
 * kernel dispatch (so the NHWC↔blocked reorders and output allocation are included), plus the pure-JS kernel's time
 * on the forward pass for the speed-up ratio.
 */
import { tf } from '../src/backend/tf';
import { loadNativeAddon, NativeAddon } from '../src/backend/native/loader';
import { installConvKernels } from '../src/backend/native/conv-kernels';
import { nativeKernelNames, registerNativeKernels, unregisterNativeKernels } from '../src/backend/native';

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
  /** Median wall time per call (ms) and the GFLOP/s it gives. */
  ms: number;
  gflops: number;
  /** Fastest call: on a shared machine the median carries other processes' load, the best call less so. */
  bestMs: number;
  bestGflops: number;
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
  /** The oneDNN implementation and layout each pass ran (e.g. "jit_wino_4x3:avx512_core blocked"). */
  implementations?: Record<string, string>;
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
  const best = times[0];
  return { ms: round(ms), gflops: round(gflop / (ms / 1000)), bestMs: round(best), bestGflops: round(gflop / (best / 1000)), runs: times.length };
}

/** Four significant digits: enough for timings, and tiny shapes (tests) do not round to 0. */
const round = (v: number): number => Number(v.toPrecision(4));

/** The implementations the addon cached for convs whose geometry starts with `prefix`, keyed by pass. */
function implementationsFor(addon: NativeAddon, prefix: string): Record<string, string> {
  const all = (addon.convCacheInfo() as { implementations: Record<string, string> }).implementations;
  const out: Record<string, string> = {};
  for (const [key, impl] of Object.entries(all)) {
    const [pass, geometry] = key.split(' ');
    if (geometry?.startsWith(prefix)) out[pass] = impl;
  }
  return out;
}

export async function nativeConvBench(options: NativeConvBenchOptions = {}): Promise<NativeConvBenchResult> {
  const { batch = 1, size = 64, channels = 128, minMs = 1500, withJs = true } = options;
  const shape = `${batch}x${size}x${size}x${channels} 3x3 ${channels}->${channels} same`;
  const gflop = (2 * batch * size * size * channels * channels * 9) / 1e9;
  const empty: KernelTiming = { ms: 0, gflops: 0, bestMs: 0, bestGflops: 0, runs: 0 };
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
      gflopPerCall: round(gflop),
      oneDNN: String(addon.version()),
      forward: timeKernel(forward, gflop, minMs),
      backwardData: timeKernel(backwardData, gflop, minMs),
      backwardWeights: timeKernel(backwardWeights, gflop, minMs),
    };
    result.implementations = implementationsFor(addon, `${batch},${size},${size},${channels},`);
  } finally {
    restore();
  }
  if (withJs) {
    // The caller may have installed every native kernel (backend 'native'): time tfjs' own kernel, then put them back.
    const nativeWasOn = nativeKernelNames().length > 0;
    if (nativeWasOn) unregisterNativeKernels();
    const t0 = process.hrtime.bigint();
    const out = forward();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    out.dispose();
    if (nativeWasOn) registerNativeKernels(addon);
    result.jsForward = { ms: round(ms), gflops: round(gflop / (ms / 1000)), nativeSpeedup: round(ms / result.forward.ms) };
  }
  tf.dispose([x, filter, dy]);
  return result;
}

/** One conv of pytorch/examples' TransformerNet at 256² input: the input as it reaches the conv (already padded). */
interface NetConv {
  name: string;
  in: [number, number, number];
  k: number;
  out: number;
  stride: number;
  count: number;
}

const TRANSFORMER_NET_256: NetConv[] = [
  { name: 'conv1 9x9 3->32', in: [264, 264, 3], k: 9, out: 32, stride: 1, count: 1 },
  { name: 'conv2 3x3 s2 32->64', in: [258, 258, 32], k: 3, out: 64, stride: 2, count: 1 },
  { name: 'conv3 3x3 s2 64->128', in: [130, 130, 64], k: 3, out: 128, stride: 2, count: 1 },
  { name: 'res 3x3 128->128', in: [66, 66, 128], k: 3, out: 128, stride: 1, count: 10 },
  { name: 'deconv1 3x3 128->64', in: [130, 130, 128], k: 3, out: 64, stride: 1, count: 1 },
  { name: 'deconv2 3x3 64->32', in: [258, 258, 64], k: 3, out: 32, stride: 1, count: 1 },
  { name: 'deconv3 9x9 32->3', in: [264, 264, 32], k: 9, out: 3, stride: 1, count: 1 },
];

export interface NetConvTiming {
  name: string;
  /** Median and fastest time of the layer (times its count), and the GFLOP/s of one call at each. */
  ms: number;
  gflops: number;
  bestMs: number;
  bestGflops: number;
}

/**
 * Forward time of every conv in TransformerNet at 256² (valid convs on pre-padded inputs, as after reflection
 * padding): the part of the ≤1.5× PyTorch inference budget that the conv kernels own.
 */
export async function transformerNetConvBench(
  minMs = 300,
): Promise<{ totalMs: number; bestTotalMs: number; layers: NetConvTiming[]; skipped?: string }> {
  const status = loadNativeAddon();
  if (!status.loaded || !status.addon) return { totalMs: 0, bestTotalMs: 0, layers: [], skipped: status.reason };
  await tf.setBackend('cpu');
  const restore = installConvKernels(status.addon);
  const layers: NetConvTiming[] = [];
  let totalMs = 0;
  let bestTotalMs = 0;
  try {
    for (const c of TRANSFORMER_NET_256) {
      const x = tf.randomUniform([1, ...c.in], -1, 1, 'float32', 1) as tf.Tensor4D;
      const f = tf.randomUniform([c.k, c.k, c.in[2], c.out], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
      const outSize = Math.floor((c.in[0] - c.k) / c.stride) + 1;
      const gflop = (2 * outSize * outSize * c.out * c.in[2] * c.k * c.k) / 1e9;
      const t = timeKernel(() => tf.conv2d(x, f, c.stride, 'valid'), gflop, minMs);
      layers.push({
        name: c.count > 1 ? `${c.name} (x${c.count})` : c.name,
        ms: round(t.ms * c.count),
        gflops: t.gflops,
        bestMs: round(t.bestMs * c.count),
        bestGflops: t.bestGflops,
      });
      totalMs += t.ms * c.count;
      bestTotalMs += t.bestMs * c.count;
      tf.dispose([x, f]);
    }
  } finally {
    restore();
  }
  return { totalMs: round(totalMs), bestTotalMs: round(bestTotalMs), layers };
}

export default nativeConvBench;

if (require.main === module) {
  (async () => {
    const net = process.argv.includes('--net');
    console.log(JSON.stringify(net ? await transformerNetConvBench() : await nativeConvBench(), null, 2));
  })();
}
