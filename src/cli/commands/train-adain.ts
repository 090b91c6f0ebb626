/**
 * nst train-adain --styles DIR_OR_GLOB... --data DIR_OR_GLOB... --out checkpoints/NAME [options]
 *
 * Trains an arbitrary-style (AdaIN) decoder: argument handling and reporting only; the options become one
 * AdainTrainConfig (src/train/adain-config.ts) and the run is src/train/adain.ts on the shared training machinery.
 */
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { AdainTrainConfigInput, parseAdainTrainConfig } from '../../train/adain-config';
import { trainAdain } from '../../train/adain';
import { TrainProgress } from '../progress/train';
import { installStopSignals, SIGNAL_EXIT_CODES } from '../../util/signals';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export interface TrainAdainArgs extends BackendArgs, Partial<Record<keyof AdainTrainConfigInput, unknown>> {
  resume?: string;
  dryRun?: boolean;
  progress?: boolean;
}

const CONFIG_KEYS = [
  'styles', 'data', 'out', 'holdOut', 'encoderLayer', 'width', 'contentWeight', 'styleWeight', 'lr', 'lrDecay', 'batchSize',
  'imageSize', 'minScale', 'maxScale', 'epochs', 'iterations', 'checkpointEvery', 'previewEvery', 'seed', 'lossWeights',
  'previewImages', 'previewStyles', 'previewCount', 'prefetch',
] as const;

function configFromArgs(args: TrainAdainArgs): Partial<AdainTrainConfigInput> {
  return Object.fromEntries(CONFIG_KEYS.map((k) => [k, args[k]]).filter(([, v]) => v !== undefined)) as Partial<AdainTrainConfigInput>;
}

const DRY_RUN_STEPS = 3;

export async function runTrainAdain(args: TrainAdainArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const config = configFromArgs(args);
  if (!args.resume) {
    if (!config.styles?.length) throw new UsageError('--styles DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.data?.length) throw new UsageError('--data DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.out && !args.dryRun) throw new UsageError('--out checkpoints/NAME is required');
    parseAdainTrainConfig({ out: '(dry run)', ...config }, 'nst train-adain');
  }
  if (args.iterations !== undefined && args.epochs !== undefined) throw new UsageError('give --epochs or --iterations, not both');
  const backend = await startBackend(args);
  if (args.dryRun) {
    const r = await trainAdain({ out: '(dry run)', ...config }, { resume: args.resume, dryRunSteps: DRY_RUN_STEPS, hooks: { log } });
    const remaining = r.totalSteps - (r.step - Math.min(DRY_RUN_STEPS, r.step));
    process.stdout.write(
      `dry run on ${backend.name}: ${r.secondsPerStep.toFixed(2)} s/step at batch ${r.config.batchSize}, ${r.config.imageSize}² ` +
        `(encoder ${r.encoderLayer}, ${r.trainingStyles} styles; data wait ${(100 * r.dataWaitShare).toFixed(1)}%)\n` +
        `expected: ${remaining} steps ≈ ${((remaining * r.secondsPerStep) / 3600).toFixed(1)} h (plus checkpoints and previews)\n`,
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
    const r = await trainAdain(config, { resume: args.resume, hooks: { log: say, onStep: (s) => bar?.update(s), shouldStop: stop.shouldStop } });
    bar?.stop();
    const l = r.lastLosses;
    log(
      `nst: ${r.stoppedEarly ? 'stopped' : 'trained'} ${r.step}/${r.totalSteps} steps, ${r.secondsPerStep.toFixed(2)} s/step; ` +
        (l ? `loss ${l.total.toPrecision(4)} (content ${l.content.toPrecision(3)}, style ${l.style.toPrecision(3)})` : ''),
    );
    log(`nst: checkpoint ${r.checkpointDir}; log ${path.join(r.outDir, 'train-log.jsonl')}; previews ${path.join(r.outDir, 'preview-latest.png')}`);
    log(`nst: stylize with: nst stylize --model ${r.checkpointDir} --style PAINTING.jpg PHOTO.jpg`);
    const sig = stop.received();
    return sig ? SIGNAL_EXIT_CODES[sig] ?? 1 : 0;
  } finally {
    bar?.stop();
    stop.dispose();
  }
}

export const trainAdainCommand: CommandModule<object, TrainAdainArgs> = {
  command: 'train-adain',
  describe: 'train an arbitrary-style (AdaIN) decoder on folders of style images and photos',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .usage('$0 train-adain --styles DIR_OR_GLOB... --data DIR_OR_GLOB... --out checkpoints/NAME [options]')
        .option('styles', { type: 'string', array: true, describe: 'style images: folders and/or globs (paintings, textures)' })
        .option('data', { type: 'string', array: true, describe: 'content photos: folders and/or globs' })
        .option('out', { type: 'string', describe: 'output folder: checkpoint/, train-log.jsonl, previews, loss-curve.svg' })
        .option('hold-out', { type: 'string', array: true, describe: 'style file names kept out of training (to judge unseen styles)' })
        .option('encoder-layer', { type: 'string', choices: ['auto', 'relu3_1', 'relu4_1'], describe: 'AdaIN layer (default auto: relu4_1 if the VGG19 has block 4)' })
        .option('width', { type: 'number', describe: 'decoder channel multiplier (default 1)' })
        .option('content-weight', { type: 'number', describe: 'content loss weight (default 1; normalized scale)' })
        .option('style-weight', { type: 'number', describe: 'style loss weight (default 2): higher = more style' })
        .option('lr', { type: 'number', describe: 'Adam learning rate (default 5e-4)' })
        .option('lr-decay', { type: 'number', describe: 'inverse-time decay: lr / (1 + decay·step) (default 5e-5)' })
        .option('batch-size', { type: 'number', describe: 'photo–style pairs per step (default 8)' })
        .option('image-size', { type: 'number', describe: 'training crop size in px (default 256)' })
        .option('min-scale', { type: 'number', describe: 'smallest resize before cropping, × image size (default 1)' })
        .option('max-scale', { type: 'number', describe: 'largest resize before cropping, × image size (default 2)' })
        .option('epochs', { type: 'number', describe: 'passes over the photos (default 1)' })
        .option('iterations', { type: 'number', describe: 'total optimizer steps (instead of --epochs)' })
        .option('checkpoint-every', { type: 'number', describe: 'steps between checkpoints (default 250; always one at the end)' })
        .option('preview-every', { type: 'number', describe: 'steps between preview grids (default 250)' })
        .option('seed', { type: 'number', describe: 'seed for weights, orders and crops (default 1)' })
        .option('loss-weights', { type: 'string', describe: 'VGG19 weights file or folder (default: nst weights list, ending at the embedded one)' })
        .option('preview-images', { type: 'string', array: true, describe: 'photos of the preview grid (default: the first few)' })
        .option('preview-styles', { type: 'string', array: true, describe: 'styles of the preview grid (default: held-out ones first)' })
        .option('resume', { type: 'string', describe: 'continue the run saved in this output folder exactly' })
        .option('dry-run', { type: 'boolean', describe: `time ${DRY_RUN_STEPS} steps and print the expected time of the run; writes nothing` })
        .option('progress', { type: 'boolean', default: true, describe: 'progress bar on stderr (--no-progress to hide)' })
        .example('$0 train-adain --styles paintings/ --data photos/ --out checkpoints/adain --iterations 20000', 'train a decoder'),
    ) as unknown as Argv<TrainAdainArgs>,
  handler: handler(async (args: TrainAdainArgs) => runTrainAdain(args)),
};
