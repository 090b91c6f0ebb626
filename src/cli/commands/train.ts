/**
 * nst train --style STYLE.jpg --data DIR_OR_GLOB --out checkpoints/NAME [options]
 *
 * Argument handling and reporting only: the options become one TrainConfig (validated once, by zod, in
 * src/train/config.ts) and the run is src/train/per-style.ts. SIGINT/SIGTERM save a checkpoint and exit 130/143.
 */
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { DEFAULT_WEIGHTS, parseTrainConfig, TrainConfigInput } from '../../train/config';
import { train, TrainResult } from '../../train';
import { TrainProgress } from '../progress/train';
import { installStopSignals, SIGNAL_EXIT_CODES } from '../../util/signals';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export interface TrainArgs extends BackendArgs {
  style?: string;
  data?: string[];
  out?: string;
  contentWeight?: number;
  styleWeight?: number;
  tvWeight?: number;
  styleLayers?: string;
  contentLayer?: string;
  lr?: number;
  batchSize?: number;
  epochs?: number;
  iterations?: number;
  checkpointEvery?: number;
  previewEvery?: number;
  imageSize?: number;
  styleSize?: number;
  width?: number;
  seed?: number;
  lossNet?: string;
  lossWeights?: string;
  lossScale?: string;
  resume?: string;
  dryRun?: boolean;
  progress?: boolean;
}

const DRY_RUN_STEPS = 3;

function commaList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError('--style-layers needs at least one tap name, e.g. relu1_2,relu2_2,relu3_3');
  return list;
}

/** Only the options the user gave: undefined ones take the schema defaults (or, on --resume, the checkpoint's). */
export function configFromArgs(args: TrainArgs): Partial<TrainConfigInput> {
  const raw: Partial<TrainConfigInput> = {
    style: args.style,
    data: args.data,
    out: args.out,
    contentWeight: args.contentWeight,
    styleWeight: args.styleWeight,
    tvWeight: args.tvWeight,
    styleLayers: commaList(args.styleLayers),
    contentLayer: args.contentLayer,
    lr: args.lr,
    batchSize: args.batchSize,
    epochs: args.epochs,
    iterations: args.iterations,
    checkpointEvery: args.checkpointEvery,
    previewEvery: args.previewEvery,
    imageSize: args.imageSize,
    styleSize: args.styleSize,
    width: args.width,
    seed: args.seed,
    lossNet: args.lossNet as TrainConfigInput['lossNet'],
    lossWeights: args.lossWeights,
    lossScale: args.lossScale as TrainConfigInput['lossScale'],
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as Partial<TrainConfigInput>;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : seconds >= 90 ? `${m} min` : `${Math.round(seconds)} s`;
}

function summary(r: TrainResult): string {
  const l = r.lastLosses;
  const losses = l ? `loss ${l.total.toPrecision(4)} (content ${l.content.toPrecision(3)}, style ${l.style.toPrecision(3)}, tv ${l.tv.toPrecision(3)})` : '';
  return [
    `nst: ${r.stoppedEarly ? 'stopped' : 'trained'} ${r.step}/${r.totalSteps} steps, ${r.secondsPerStep.toFixed(2)} s/step ` +
      `(waiting for data ${(100 * r.dataWaitShare).toFixed(1)}%${r.data.skippedFiles ? `, ${r.data.skippedFiles} unreadable photos skipped` : ''}); ${losses}`,
    `nst: checkpoint ${r.checkpointDir}`,
    `nst: log ${path.join(r.outDir, 'train-log.jsonl')}, previews ${path.join(r.outDir, 'preview-latest.png')}, loss curve ${path.join(r.outDir, 'loss-curve.svg')}`,
    `nst: stylize with: nst stylize --model ${r.checkpointDir} PHOTO.jpg -o OUT.png`,
  ].join('\n');
}

export async function runTrain(args: TrainArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const config = configFromArgs(args);
  if (!args.resume) {
    if (!config.style) throw new UsageError('--style STYLE.jpg is required (or --resume a checkpoint)');
    if (!config.data?.length) throw new UsageError('--data DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.out && !args.dryRun) throw new UsageError('--out checkpoints/NAME is required');
    // Validate everything before the (slow) backend and loss-network start.
    parseTrainConfig({ out: '(dry run)', ...config }, 'nst train');
  }
  if (args.iterations !== undefined && args.epochs !== undefined) {
    throw new UsageError('give --epochs or --iterations, not both');
  }
  const backend = await startBackend(args);

  if (args.dryRun) {
    const r = await train({ out: '(dry run)', ...config }, { resume: args.resume, dryRunSteps: DRY_RUN_STEPS, hooks: { log } });
    const remaining = r.totalSteps - (r.step - Math.min(DRY_RUN_STEPS, r.step));
    process.stdout.write(
      `dry run on ${backend.name}: ${r.secondsPerStep.toFixed(2)} s/step at batch ${r.config.batchSize}, ${r.config.imageSize}² ` +
        `(data wait ${(100 * r.dataWaitShare).toFixed(1)}% of the step; loss network ${r.lossNetwork}; style ${r.styleLayers.join(',')}; content ${r.contentLayer})\n` +
        `expected: ${remaining} steps ≈ ${formatDuration(remaining * r.secondsPerStep)} (plus checkpoints and previews)\n`,
    );
    return 0;
  }

  const stop = installStopSignals(log);
  const bar = args.progress === false ? undefined : new TrainProgress();
  const say = (line: string) => {
    bar?.stop();
    log(line);
  };
  try {
    const r = await train(config, {
      resume: args.resume,
      hooks: { log: say, onStep: (s) => bar?.update(s), shouldStop: stop.shouldStop },
    });
    bar?.stop();
    log(summary(r));
    const sig = stop.received();
    return sig ? SIGNAL_EXIT_CODES[sig] ?? 1 : 0;
  } finally {
    bar?.stop();
    stop.dispose();
  }
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train a style network on a folder of photos',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .usage('$0 train --style STYLE.jpg --data DIR_OR_GLOB --out checkpoints/NAME [options]')
        .option('style', { type: 'string', describe: 'the style image' })
        .option('data', { type: 'string', array: true, describe: 'content photos: folders and/or globs (jpg/png/webp)' })
        .option('out', { type: 'string', describe: 'output folder: checkpoint/, train-log.jsonl, previews, loss-curve.svg' })
        .option('content-weight', { type: 'number', describe: `content loss weight (default ${DEFAULT_WEIGHTS.content}; normalized scale, see docs/training.md)` })
        .option('style-weight', { type: 'number', describe: `style loss weight (default ${DEFAULT_WEIGHTS.style}): higher = more style, less photo` })
        .option('tv-weight', { type: 'number', describe: `total-variation weight (default ${DEFAULT_WEIGHTS.tv}): smooths high-frequency noise` })
        .option('style-layers', { type: 'string', describe: 'comma-separated loss-network taps (default relu1_2,relu2_2,relu3_3,relu4_3)' })
        .option('content-layer', { type: 'string', describe: 'content tap (default relu2_2)' })
        .option('lr', { type: 'number', describe: 'Adam learning rate (default 1e-3)' })
        .option('batch-size', { type: 'number', describe: 'photos per step (default 4)' })
        .option('epochs', { type: 'number', describe: 'passes over the photos (default 2)' })
        .option('iterations', { type: 'number', describe: 'total optimizer steps (instead of --epochs)' })
        .option('checkpoint-every', { type: 'number', describe: 'steps between checkpoints (default 500; always one at the end)' })
        .option('preview-every', { type: 'number', describe: 'steps between preview grids and loss-curve updates (default 100)' })
        .option('image-size', { type: 'number', describe: 'training crop size in px (default 256)' })
        .option('style-size', { type: 'number', describe: 'longest side of the style image as the loss network sees it (default: image size)' })
        .option('width', { type: 'number', describe: 'network channel multiplier (default 1 = 32/64/128; 0.5 is ~4x faster)' })
        .option('seed', { type: 'number', describe: 'seed for weights, photo order and crops (default 1)' })
        .option('loss-net', { type: 'string', choices: ['auto', 'vgg16', 'vgg19', 'mobilenetv2'], describe: 'loss network (default auto)' })
        .option('loss-weights', { type: 'string', describe: 'loss-network weights file or folder (else NST_LOSS_WEIGHTS, then the cache)' })
        .option('loss-scale', { type: 'string', choices: ['normalized', 'reference'], describe: 'loss normalization (default normalized)' })
        .option('resume', { type: 'string', describe: 'continue the run saved in this output folder (or checkpoint folder) exactly' })
        .option('dry-run', { type: 'boolean', describe: `time ${DRY_RUN_STEPS} steps and print the expected time of the whole run; writes nothing` })
        .option('progress', { type: 'boolean', default: true, describe: 'progress bar on stderr (--no-progress to hide)' })
        .example('$0 train --style udnie.jpg --data photos/ --out checkpoints/udnie', 'train with the defaults')
        .example('$0 train --resume checkpoints/udnie --iterations 4000', 'continue a run (Ctrl-C saves a checkpoint)'),
    ) as unknown as Argv<TrainArgs>,
  handler: handler(async (args: TrainArgs) => runTrain(args)),
};
