/**
 * The table of Johnson et al. (2016, Table 1) on this machine: the perceptual loss `nst optimize` reaches after 50,
 * 100 and 200 steps (per optimizer), beside the loss of a trained network's single forward pass on the same pair,
 * both scored by the same loss (same loss network, taps, weights and scale).
 *
 * The trained network defaults to ../shared's Engstrom udnie when present (it was trained on the full VGG19 with other
 * weights, so it is a yardstick here, not a contestant at its own optimum); pass `model` for a checkpoint of ours, or
 * `model: null` for the optimization columns alone.
 *
 * Usage: node -r test/train/fixtures/register-ts.js bench/optimize.ts [--size 128] [--steps 50,100,200]
 *        [--optimizers lbfgs,adam] [--model DIR|none] [--out DIR] [--backend native|cpu]
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../src/backend/tf';
import { selectBackend } from '../src/backend/select';
import { isCheckpointDir } from '../src/checkpoint/checkpoint';
import { importNetwork } from '../src/importers';
import { decodeImage, encodeImage } from '../src/image/image-io';
import { loadStyleModel } from '../src/infer/model';
import type { LossNetwork } from '../src/nets/loss-network/types';
import { optimizeImage, OptimizerName, PerceptualObjective, LossTerms, DEFAULT_LR, parseOptimizeConfig } from '../src/optimize';
import { loadLossNetworkFor } from '../src/losses/loss-network';
import type { TrainConfig } from '../src/train/config';
import { resolveTaps } from '../src/losses/taps';

const SHARED = path.resolve(__dirname, '..', '..', 'shared');

export interface OptimizeBenchOptions {
  content?: string;
  style?: string;
  /** Longest side of the image (default 128: the machine is slow and shared). */
  size?: number;
  /** Steps at which to read the loss (the run goes to the largest). */
  steps?: number[];
  optimizers?: OptimizerName[];
  /** A trained network (checkpoint folder, Engstrom folder or .pth); null = none. Default: ../shared's Engstrom udnie. */
  model?: string | null;
  /** Where the images go (default: a temp folder). */
  outDir?: string;
  log?: (line: string) => void;
}

export interface OptimizerColumn {
  optimizer: OptimizerName;
  lr: number;
  /** Loss at each requested step (the last one scored on the clamped image as written). */
  atStep: Array<{ step: number; evaluations: number; seconds: number } & Omit<LossTerms, 'styleLayers'>>;
  /** Loss after the same number of loss-network evaluations, the machine-independent measure of equal wall time. */
  atEvaluations: Array<{ evaluations: number; total: number }>;
  secondsPerEvaluation: number;
  output: string;
  /** The first step whose loss is at or below the trained network's (Johnson et al.'s question), when one was given. */
  stepsToMatchTrained?: number | null;
  /** Total loss after every step. */
  totals: number[];
}

export interface OptimizeBenchResult {
  pair: { content: string; style: string };
  width: number;
  height: number;
  lossNetwork: string;
  styleLayers: string[];
  contentLayer: string;
  initial: Omit<LossTerms, 'styleLayers'>;
  optimizers: OptimizerColumn[];
  trained?: { model: string; ms: number; output: string } & Omit<LossTerms, 'styleLayers'>;
  backend: string;
}

function terms(l: LossTerms): Omit<LossTerms, 'styleLayers'> {
  return { total: l.total, content: l.content, style: l.style, tv: l.tv };
}

/** The trained network's output on `content` (same size), clamped to 0..255 as stylize writes it. */
async function trainedForward(model: string, content: { width: number; height: number; rgb: Float32Array }): Promise<{ rgb: Float32Array; ms: number }> {
  const loaded = isCheckpointDir(model)
    ? await loadStyleModel(model).then((m) => ({ run: (x: tf.Tensor4D) => m.forward(x) as tf.Tensor4D, dispose: () => m.dispose() }))
    : ((n) => ({ run: (x: tf.Tensor4D) => n.model.predict(x) as tf.Tensor4D, dispose: () => n.model.dispose() }))(importNetwork(model));
  try {
    const x = tf.tensor4d(content.rgb, [1, content.height, content.width, 3]);
    const t0 = performance.now();
    const y = tf.tidy(() => tf.clipByValue(loaded.run(x), 0, 255));
    const rgb = (await y.data()) as Float32Array;
    const ms = performance.now() - t0;
    if (y.shape[1] !== content.height || y.shape[2] !== content.width) {
      throw new Error(`${model}: output ${y.shape[2]}x${y.shape[1]} differs from the input ${content.width}x${content.height}; use a size divisible by 4`);
    }
    tf.dispose([x, y]);
    return { rgb, ms };
  } finally {
    loaded.dispose();
  }
}

export async function optimizeBench(options: OptimizeBenchOptions = {}): Promise<OptimizeBenchResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const content = options.content ?? path.join(SHARED, 'data', 'content', 'sample-pd', 'beach1.jpg');
  const style = options.style ?? path.join(SHARED, 'data', 'styles', 'udnie.jpg');
  const size = options.size ?? 128;
  const steps = [...(options.steps ?? [50, 100, 200])].sort((a, b) => a - b);
  const optimizers = options.optimizers ?? ['lbfgs', 'adam'];
  const defaultModel = path.join(SHARED, 'models', 'engstrom-fast-style', 'udnie');
  const model = options.model === undefined ? (fs.existsSync(defaultModel) ? defaultModel : null) : options.model;
  const outDir = options.outDir ?? fs.mkdtempSync(path.join(require('os').tmpdir(), 'nst-bench-optimize-'));
  fs.mkdirSync(outDir, { recursive: true });
  const backend = (await selectBackend(undefined, log)).name;

  // One loss network for every run, chosen exactly as nst optimize chooses it.
  const base = parseOptimizeConfig({ content, style, output: path.join(outDir, 'x.png'), size });
  const lossNet: LossNetwork = await loadLossNetworkFor(base, log);
  try {
    const taps = resolveTaps(lossNet.availableTaps, {}, lossNet.description);
    const columns: OptimizerColumn[] = [];
    let initial: LossTerms | undefined;
    let width = 0;
    let height = 0;
    for (const optimizer of optimizers) {
      const output = path.join(outDir, `optimized-${optimizer}.png`);
      log(`bench optimize: ${optimizer}, ${steps[steps.length - 1]} steps at ${size} px`);
      const r = await optimizeImage(
        { content, style, size, output, optimizer, steps: steps[steps.length - 1] },
        { lossNetwork: lossNet, hooks: { log, onStep: (s) => s.step % 10 === 0 && log(`  step ${s.step}: ${s.total.toFixed(4)} (${s.evaluations} evals, ${(s.ms / 1000).toFixed(1)} s)`) } },
      );
      initial = r.initialLosses;
      ({ width, height } = r);
      // Every iterate is a valid image (both optimizers stay in 0..255), so these are the losses of images one could write.
      const atStep = steps.map((s) => {
        const h = r.history[Math.min(s, r.history.length) - 1];
        if (!h) return { step: 0, evaluations: r.evaluations, seconds: 0, ...terms(r.initialLosses) }; // converged at once
        return { step: h.step, evaluations: h.evaluations, seconds: Number((h.ms / 1000).toFixed(1)), ...terms(h) };
      });
      const atEvaluations = steps.map((n) => {
        const h = [...r.history].reverse().find((x) => x.evaluations <= n);
        return { evaluations: n, total: h ? h.total : r.initialLosses.total };
      });
      columns.push({
        optimizer,
        lr: r.config.lr ?? DEFAULT_LR[optimizer],
        atStep,
        atEvaluations,
        secondsPerEvaluation: Number((r.seconds / r.evaluations).toFixed(3)),
        output,
        totals: r.history.map((h) => h.total),
      });
    }

    let trained: OptimizeBenchResult['trained'];
    if (model) {
      const photo = await decodeImage(content, { maxSize: size });
      const styleImage = await decodeImage(style, { resize: { width: size, height: size, fit: 'inside' } });
      const { rgb, ms } = await trainedForward(model, photo);
      const output = path.join(outDir, 'trained.png');
      await encodeImage({ width: photo.width, height: photo.height, rgb }, output);
      const objective = new PerceptualObjective({
        lossNet,
        content: photo,
        style: styleImage,
        styleLayers: taps.styleLayers,
        contentLayer: taps.contentLayer,
        weights: { content: base.contentWeight, style: base.styleWeight, tv: base.tvWeight },
        lossScale: base.lossScale,
      });
      try {
        trained = { model, ms: Math.round(ms), output, ...terms((await objective.evaluate(rgb)).terms) };
      } finally {
        objective.dispose();
      }
      for (const c of columns) {
        const i = c.totals.findIndex((t) => t <= trained!.total);
        c.stepsToMatchTrained = i >= 0 ? i + 1 : null;
      }
    }
    return {
      pair: { content, style },
      width,
      height,
      lossNetwork: lossNet.description,
      styleLayers: taps.styleLayers,
      contentLayer: taps.contentLayer,
      initial: terms(initial!),
      optimizers: columns,
      trained,
      backend,
    };
  } finally {
    lossNet.dispose();
  }
}

export default optimizeBench;

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const list = (s: string | undefined) => s?.split(',').filter(Boolean);
  const modelArg = arg('model');
  if (arg('backend')) process.env.NST_BACKEND = arg('backend');
  optimizeBench({
    size: arg('size') ? Number(arg('size')) : undefined,
    steps: list(arg('steps'))?.map(Number),
    optimizers: list(arg('optimizers')) as OptimizerName[] | undefined,
    model: modelArg === 'none' ? null : modelArg,
    outDir: arg('out'),
  }).then(
    (r) => console.log(JSON.stringify(r, null, 1)),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
