/**
 * Native vs pure-JS timings of the non-convolution kernels (norm, pad, resize), and a kernel profile of a small
 * TransformerNet-like training step, before (pure JS) and after (native kernels).
 *
 *   benchNativeEltwise()        instance norm fwd+bwd at [1,64,64,128], mirror pad fwd+bwd, nearest 2x resize fwd+bwd
 *   profileTrainingStep()       per-kernel totals of one forward+backward+Adam step, JS vs native
 *
 * Both return plain JSON-able objects. Run directly (after `npm run build`):
 *   node dist/bench/native-eltwise.js [bench | profile <size> | profile-native <size>]
 */
import { tf } from '../src/backend/tf';
import { loadNativeAddon } from '../src/backend/native/loader';
import { registerNativeKernels, unregisterNativeKernels } from '../src/backend/native';
import { installEltwiseKernels } from '../src/backend/native/eltwise-kernels';
import { instanceNorm } from '../src/nets/ops/instance-norm';
import { reflectPad2d } from '../src/nets/ops/reflect-pad';

export interface KernelTiming {
  case: string;
  shape: number[];
  /** Median wall-clock milliseconds per call. */
  jsMs: number;
  nativeMs: number;
  speedup: number;
}

export interface NativeEltwiseBench {
  threads: string;
  timings: KernelTiming[];
}

export interface ProfileRow {
  kernel: string;
  ms: number;
  calls: number;
}

export interface TrainingStepProfile {
  size: number;
  js?: { totalMs: number; top: ProfileRow[] };
  native?: { totalMs: number; top: ProfileRow[] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms of `fn` over `reps` runs after one warm-up; `fn` returns tensors to read back and dispose. */
function time(fn: () => tf.Tensor | tf.Tensor[], reps: number): number {
  const run = () => {
    const t0 = performance.now();
    tf.tidy(() => {
      const out = fn();
      for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    });
    return performance.now() - t0;
  };
  run();
  return median(Array.from({ length: reps }, run));
}

interface Case {
  name: string;
  shape: number[];
  /** Builds the inputs once, returns the timed computation and a disposer. */
  setup: () => { fn: () => tf.Tensor | tf.Tensor[]; dispose: () => void };
}

// Each case runs the op forward and its gradient for a given upstream gradient dy (tf.grad's second argument), so the
// timing is the op's own kernels plus tfjs' bookkeeping, not a loss around it.
const CASES: Case[] = [
  {
    name: 'instance norm fwd+bwd',
    shape: [1, 64, 64, 128],
    setup: () => {
      const x = tf.randomNormal([1, 64, 64, 128]) as tf.Tensor4D;
      const gamma = tf.ones([128]) as tf.Tensor1D;
      const beta = tf.zeros([128]) as tf.Tensor1D;
      const dy = tf.randomNormal([1, 64, 64, 128]);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        instanceNorm(a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor1D, 1e-5));
      return { fn: () => g([x, gamma, beta], dy), dispose: () => tf.dispose([x, gamma, beta, dy]) };
    },
  },
  {
    name: 'reflection pad 4 fwd+bwd',
    shape: [1, 256, 256, 3],
    setup: () => {
      const x = tf.randomNormal([1, 256, 256, 3]);
      const dy = tf.randomNormal([1, 264, 264, 3]);
      const g = tf.grad((a: tf.Tensor) => reflectPad2d(a as tf.Tensor4D, 4));
      return { fn: () => g(x, dy), dispose: () => tf.dispose([x, dy]) };
    },
  },
  {
    name: 'reflection pad 1 fwd+bwd',
    shape: [1, 64, 64, 128],
    setup: () => {
      const x = tf.randomNormal([1, 64, 64, 128]);
      const dy = tf.randomNormal([1, 66, 66, 128]);
      const g = tf.grad((a: tf.Tensor) => reflectPad2d(a as tf.Tensor4D, 1));
      return { fn: () => g(x, dy), dispose: () => tf.dispose([x, dy]) };
    },
  },
  {
    name: 'nearest 2x resize fwd+bwd',
    shape: [1, 64, 64, 64],
    setup: () => {
      const x = tf.randomNormal([1, 64, 64, 64]) as tf.Tensor4D;
      const dy = tf.randomNormal([1, 128, 128, 64]);
      const g = tf.grad((a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [128, 128]));
      return { fn: () => g(x, dy), dispose: () => tf.dispose([x, dy]) };
    },
  },
];

/** Times each case on tfjs' JS kernels and with the native eltwise family installed (conv kernels untouched). */
export async function benchNativeEltwise(options: { jsReps?: number; nativeReps?: number } = {}): Promise<NativeEltwiseBench> {
  const status = loadNativeAddon();
  if (!status.loaded || !status.addon) throw new Error(`native addon unavailable: ${status.reason}`);
  await tf.setBackend('cpu');
  unregisterNativeKernels();
  const timings: KernelTiming[] = [];
  for (const c of CASES) {
    const { fn, dispose } = c.setup();
    const jsMs = time(fn, options.jsReps ?? 3);
    const restore = installEltwiseKernels(status.addon);
    let nativeMs: number;
    try {
      nativeMs = time(fn, options.nativeReps ?? 15);
    } finally {
      restore();
    }
    dispose();
    timings.push({ case: c.name, shape: c.shape, jsMs: round(jsMs), nativeMs: round(nativeMs), speedup: round(jsMs / nativeMs) });
  }
  return { threads: String(status.addon.version?.() ?? ''), timings };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * One training step of a small TransformerNet-like stack (reflection-padded convs, instance norm, ReLU, a residual
 * block, nearest 2x upsampling), a squared-error loss and an Adam update, profiled per kernel.
 */
async function profileOnce(size: number, topN: number): Promise<{ totalMs: number; top: ProfileRow[] }> {
  const vars: tf.Variable[] = [];
  const v = (t: tf.Tensor) => {
    const variable = tf.variable(t);
    vars.push(variable);
    return variable;
  };
  const convW = (k: number, i: number, o: number) => v(tf.randomNormal([k, k, i, o], 0, Math.sqrt(2 / (k * k * i))));
  const norm = (c: number) => ({ g: v(tf.ones([c])), b: v(tf.zeros([c])) });
  const L = {
    c1: convW(9, 3, 16), n1: norm(16),
    c2: convW(3, 16, 32), n2: norm(32),
    r1: convW(3, 32, 32), rn1: norm(32),
    r2: convW(3, 32, 32), rn2: norm(32),
    u1: convW(3, 32, 16), un: norm(16),
    out: convW(9, 16, 3),
  };
  const x = tf.randomUniform([1, size, size, 3], 0, 255) as tf.Tensor4D;
  const target = tf.randomUniform([1, size, size, 3], 0, 255);
  const conv = (t: tf.Tensor4D, w: tf.Variable, pad: number, stride = 1) =>
    tf.conv2d(reflectPad2d(t, pad), w as tf.Tensor4D, stride, 'valid');
  const inorm = (t: tf.Tensor4D, n: { g: tf.Variable; b: tf.Variable }, relu = true) => {
    const y = instanceNorm(t, n.g as tf.Tensor1D, n.b as tf.Tensor1D, 1e-5);
    return relu ? tf.relu(y) : y;
  };
  const net = () => {
    let h = inorm(conv(x, L.c1, 4), L.n1);
    h = inorm(conv(h, L.c2, 1, 2), L.n2);
    const r = inorm(conv(h, L.r1, 1), L.rn1);
    h = tf.add(h, inorm(conv(r, L.r2, 1), L.rn2, false));
    h = tf.image.resizeNearestNeighbor(h, [size, size]);
    h = inorm(conv(h, L.u1, 1), L.un);
    return conv(h, L.out, 4);
  };
  const opt = tf.train.adam(1e-3);
  const step = () => {
    const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(net(), target))) as tf.Scalar, true);
    if (loss) loss.dispose();
  };
  step(); // Adam creates its moment slots on the first step
  const profile = await tf.profile(step);
  const byKernel = new Map<string, ProfileRow>();
  for (const k of profile.kernels) {
    const row = byKernel.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    row.ms += Number(k.kernelTimeMs);
    row.calls++;
    byKernel.set(k.name, row);
  }
  const rows = [...byKernel.values()].sort((a, b) => b.ms - a.ms).map((r) => ({ ...r, ms: round(r.ms) }));
  tf.dispose([x, target, ...vars]);
  opt.dispose();
  return { totalMs: round(rows.reduce((s, r) => s + r.ms, 0)), top: rows.slice(0, topN) };
}

/**
 * The profile on pure-JS kernels (unless `skipJs`: at 256² the JS convolutions take minutes), then, when the addon is
 * built, with every native kernel registered.
 */
export async function profileTrainingStep(
  options: { size?: number; topN?: number; skipJs?: boolean } = {},
): Promise<TrainingStepProfile> {
  const size = options.size ?? 64;
  const topN = options.topN ?? 15;
  await tf.setBackend('cpu');
  unregisterNativeKernels();
  const js = options.skipJs ? undefined : await profileOnce(size, topN);
  const status = loadNativeAddon();
  if (!status.loaded || !status.addon) return { size, js };
  registerNativeKernels(status.addon);
  try {
    return { size, js, native: await profileOnce(size, topN) };
  } finally {
    unregisterNativeKernels();
  }
}

if (require.main === module) {
  (async () => {
    const which = process.argv[2] ?? 'bench';
    const size = Number(process.argv[3] ?? 64);
    const result = which === 'bench' ? await benchNativeEltwise() : await profileTrainingStep({ size, skipJs: which === 'profile-native' });
    console.log(JSON.stringify(result, null, 1));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
