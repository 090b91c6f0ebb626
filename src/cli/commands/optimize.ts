/**
 * nst optimize --content C --style S -o OUT [--steps N] [--size PX] [--optimizer lbfgs|adam] [...]
 *
 * Argument handling and reporting only: the optimization is src/optimize (optimizeImage).
 */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_LR, DEFAULT_OPTIMIZER, OPTIMIZERS, optimizeImage, OptimizeResult } from '../../optimize';
import { OptimizeProgress } from '../progress/optimize';
import { installStopSignals, SIGNAL_EXIT_CODES } from '../../util/signals';
import { DEFAULT_WEIGHTS } from '../../optimize/config';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export interface OptimizeArgs extends BackendArgs {
  content: string;
  style: string;
  output: string;
  steps?: number;
  size?: number;
  styleSize?: number;
  contentWeight?: number;
  styleWeight?: number;
  tvWeight?: number;
  init?: 'content' | 'noise';
  optimizer?: 'adam' | 'lbfgs';
  lr?: number;
  preserveColor?: boolean;
  styleLayers?: string;
  contentLayer?: string;
  previewEvery?: number;
  lossNet?: 'auto' | 'vgg16' | 'vgg19' | 'mobilenetv2';
  lossWeights?: string;
  lossScale?: 'normalized' | 'reference';
  seed?: number;
  progress?: boolean;
}

function splitList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

function summary(r: OptimizeResult): string {
  const l = r.losses;
  const f = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(3) : v.toFixed(4));
  return (
    `${r.output} (${r.width}x${r.height}): loss ${f(l.total)} (content ${f(l.content)}, style ${f(l.style)}, tv ${f(l.tv)}) ` +
    `after ${r.steps} steps, ${r.evaluations} evaluations, ${r.seconds.toFixed(1)} s; losses in ${r.lossesFile}`
  );
}

/** Runs the command; returns the exit code. Exposed for tests. */
export async function runOptimize(args: OptimizeArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const backend = await startBackend(args);
  const bar = args.progress === false ? undefined : new OptimizeProgress();
  const signals = installStopSignals(log);
  const say = (line: string) => {
    bar?.stop();
    log(line);
  };
  try {
    const result = await optimizeImage(
      {
        content: args.content,
        style: args.style,
        output: args.output,
        steps: args.steps,
        size: args.size,
        styleSize: args.styleSize,
        contentWeight: args.contentWeight,
        styleWeight: args.styleWeight,
        tvWeight: args.tvWeight,
        init: args.init,
        optimizer: args.optimizer,
        lr: args.lr,
        preserveColor: args.preserveColor,
        styleLayers: splitList(args.styleLayers),
        contentLayer: args.contentLayer,
        previewEvery: args.previewEvery,
        lossNet: args.lossNet,
        lossWeights: args.lossWeights,
        lossScale: args.lossScale,
        seed: args.seed,
      },
      {
        hooks: {
          log: say,
          onStep: (r, total) => bar?.update(r, total),
          shouldStop: signals.shouldStop,
        },
      },
    );
    bar?.stop();
    log(`${summary(result)} [${backend.name}]`);
    const sig = signals.received();
    return sig ? (SIGNAL_EXIT_CODES[sig] ?? 1) : 0;
  } finally {
    bar?.stop();
    signals.dispose();
  }
}

export const optimizeCommand: CommandModule<object, OptimizeArgs> = {
  command: 'optimize',
  describe: 'Gatys-style per-image optimization: the quality reference for a trained network',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .option('content', { alias: 'c', type: 'string', demandOption: true, describe: 'the photo whose content is kept' })
        .option('style', { alias: 's', type: 'string', demandOption: true, describe: 'the style image' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output image (.png/.jpg/.webp); final losses go to <output>.json' })
        .option('steps', { type: 'number', describe: 'optimizer iterations (default 200)' })
        .option('size', { type: 'number', describe: 'longest side of the result in px; the photo is downscaled, never enlarged (default 256)' })
        .option('style-size', { type: 'number', describe: 'longest side of the style image as the loss network sees it (default: --size)' })
        .option('content-weight', { type: 'number', describe: `weight of the content term (default ${DEFAULT_WEIGHTS.content})` })
        .option('style-weight', { type: 'number', describe: `weight of the style term (default ${DEFAULT_WEIGHTS.style})` })
        .option('tv-weight', { type: 'number', describe: `weight of the total-variation term (default ${DEFAULT_WEIGHTS.tv})` })
        .option('init', { type: 'string', choices: ['content', 'noise'] as const, describe: 'start from the photo (default) or from seeded noise' })
        .option('optimizer', {
          type: 'string',
          choices: OPTIMIZERS,
          describe: `default ${DEFAULT_OPTIMIZER} (lower loss at equal time, measured: docs/optimize.md)`,
        })
        .option('lr', {
          type: 'number',
          describe: `adam: grey levels per step (default ${DEFAULT_LR.adam}); lbfgs: largest pixel change of the first step (default ${DEFAULT_LR.lbfgs})`,
        })
        .option('preserve-color', { type: 'boolean', describe: "keep the photo's colours (luminance transfer)" })
        .option('style-layers', { type: 'string', describe: 'comma-separated loss-network taps, e.g. relu1_2,relu2_2,relu3_3' })
        .option('content-layer', { type: 'string', describe: 'loss-network tap for the content term (default relu2_2)' })
        .option('preview-every', { type: 'number', describe: 'write <output stem>.step-NNNNNN.<ext> every N steps (default 0: never)' })
        .option('loss-net', { type: 'string', choices: ['auto', 'vgg16', 'vgg19', 'mobilenetv2'] as const, describe: 'loss network (default auto)' })
        .option('loss-weights', { type: 'string', describe: 'loss-network weights file or folder (else NST_LOSS_WEIGHTS, then the cache)' })
        .option('loss-scale', { type: 'string', choices: ['normalized', 'reference'] as const, describe: 'loss scale, as nst train (default normalized)' })
        .option('seed', { type: 'number', describe: 'seed of the noise initialisation (default 1)' })
        .option('progress', { type: 'boolean', default: true, describe: 'progress bar on stderr (--no-progress: off)' }),
    ),
  handler: handler(runOptimize),
};
