/**
 * One backend per process (tfjs picks a backend once): times TransformerNet inference and a full training step
 * (TransformerNet + VGG16 to relu4_3, content + style + TV loss, Adam), the same work as ../shared/bench/torch_peer.py.
 * Random weights: speed does not depend on them. Prints one JSON line.
 *
 * Usage: node dist/bench/worker.js --backend native|cpu [--infer 256,512,1024] [--train 1,4] [--size 256]
 *        [--leak-steps N --leak-size S]
 */
import { tf } from '../src/backend/tf';
import { selectBackend } from '../src/backend/select';
import { buildTransformer } from '../src/nets/transformer';
import { networkPlanFor, plannedForward } from '../src/nets/planned-forward';
import { VggFeatureExtractor } from '../src/nets/loss-network/vgg-net';
import { vggLayout } from '../src/nets/loss-network/vgg-layout';
import type { RawConv } from '../src/nets/loss-network/types';
import { gram, perceptualLoss, StyleTarget } from '../src/losses/perceptual';

const STYLE_LAYERS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'];
const CONTENT_LAYER = 'relu2_2';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const list = (s: string | undefined) => (s ? s.split(',').filter(Boolean).map(Number) : []);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(fn: () => void, reps: number): Promise<number> {
  fn(); // warm-up: primitive creation, kernel caches
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ts);
}

/** VGG16 up to block4_conv3 with random weights (He init), torchvision preprocessing like the torch peer. */
function randomVgg16(): VggFeatureExtractor {
  const convs = new Map<string, RawConv>();
  for (const spec of vggLayout('vgg16')) {
    const n = 9 * spec.inChannels * spec.outChannels;
    const std = Math.sqrt(2 / (9 * spec.inChannels));
    const kernel = tf.tidy(() => tf.randomNormal([n], 0, std, 'float32', 1).dataSync() as Float32Array);
    convs.set(spec.name, {
      kernel,
      kernelShape: [3, 3, spec.inChannels, spec.outChannels],
      layout: 'HWIO',
      bias: new Float32Array(spec.outChannels),
    });
    if (spec.tap === 'relu4_3') break;
  }
  return new VggFeatureExtractor('vgg16', { preprocessing: 'torch', convs }, 'random vgg16 to relu4_3', 'bench');
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1e6);
}

async function main() {
  const backend = await selectBackend(arg('backend'));
  const out: Record<string, unknown> = { backend: backend.name };
  const net = buildTransformer({ output: 'linear' });
  // What `nst stylize` runs: the whole-network native plan when the native backend is on (NST_NETWORK_PLAN=0: the
  // per-op kernels), model.predict otherwise.
  const forward = plannedForward(net);

  for (const s of list(arg('infer'))) {
    const x = tf.randomUniform([1, s, s, 3], 0, 255) as tf.Tensor4D;
    const reps = s >= 1024 || backend.name === 'cpu' ? 2 : 5;
    // The tidy's callback returns nothing: tfjs walks whatever a tidy returns looking for tensors, and over a
    // Float32Array of the output that walk took 50 ms at 256² and 200 ms at 512² (it was timed as inference).
    out[`infer_${s}_ms`] = Math.round(await timeIt(() => tf.tidy(() => void forward(x).dataSync()), reps));
    x.dispose();
  }
  const plan = list(arg('infer')).length ? networkPlanFor(net)?.plan.info() : undefined;
  if (plan) out.infer_plan = { lanes: plan.lanes, implementations: [...new Set(plan.implementations)] };

  const batches = list(arg('train'));
  const leakSteps = Number(arg('leak-steps') ?? 0);
  if (batches.length || leakSteps) {
    const vgg = randomVgg16();
    const optimizer = tf.train.adam(1e-3);
    const makeStep = (size: number, bs: number, styleTargets: Record<string, StyleTarget>) => {
      const xb = tf.randomUniform([bs, size, size, 3], 0, 255) as tf.Tensor4D;
      const step = () => {
        const cost = optimizer.minimize(() => {
          const y = net.apply(xb, { training: true }) as tf.Tensor4D;
          const fy = vgg.extract(y, STYLE_LAYERS);
          const fx = vgg.extract(xb, [CONTENT_LAYER]);
          const l = perceptualLoss({
            output: y,
            outputFeatures: fy,
            contentFeatures: fx[CONTENT_LAYER],
            contentLayer: CONTENT_LAYER,
            styleTargets,
            weights: { content: 1e5, style: 1e10, tv: 1e-6 },
          });
          return l.total;
        }, true);
        cost?.dataSync();
        cost?.dispose();
      };
      return { step, dispose: () => xb.dispose() };
    };
    const size = Number(arg('size') ?? 256);
    const targetsAt = (s: number) =>
      tf.tidy(() => {
        const style = tf.randomUniform([1, s, s, 3], 0, 255) as tf.Tensor4D;
        const f = vgg.extract(style, STYLE_LAYERS);
        return Object.fromEntries(STYLE_LAYERS.map((k) => [k, { gram: tf.keep(gram(f[k])), scale: 1 }]));
      }) as Record<string, StyleTarget>;
    const targets = targetsAt(size);
    for (const bs of batches) {
      const { step, dispose } = makeStep(size, bs, targets);
      out[`train_b${bs}_${size}_s`] = Math.round((await timeIt(step, backend.name === 'cpu' ? 1 : 3)) / 10) / 100;
      dispose();
    }
    if (leakSteps) {
      // Memory over many steps: tensors and RSS after warm-up vs at the end (a leak shows as growth).
      const leakSize = Number(arg('leak-size') ?? 64);
      const t = targetsAt(leakSize);
      const { step, dispose } = makeStep(leakSize, 1, t);
      for (let i = 0; i < 5; i++) step();
      const before = { tensors: tf.memory().numTensors, rssMb: rssMb() };
      let peak = before.rssMb;
      for (let i = 0; i < leakSteps; i++) {
        step();
        peak = Math.max(peak, rssMb());
      }
      out.memory = { steps: leakSteps, size: leakSize, before, after: { tensors: tf.memory().numTensors, rssMb: rssMb() }, peakRssMb: peak };
      dispose();
    }
  }
  out.peakRssMb = rssMb();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench worker failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
