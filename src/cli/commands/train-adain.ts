/**
 * nst train-adain --styles DIR_OR_GLOB... --data DIR_OR_GLOB... --out checkpoints/NAME [options]
 *
 * Trains an arbitrary-style (AdaIN) decoder: argument handling and reporting only; the options become one
 * AdainTrainConfig (src/train/adain-config.ts) and the run is src/train/adain.ts on the shared training machinery.
 */
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { AdainTrainConfigInput, AdainTrainConfigSchema, parseAdainTrainConfig } from '../../train/adain-config';
import { flagOf } from '../../util/flag-names';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { trainAdain } from '../../train/adain';
import { TrainProgress } from '../progress/train';
import { installStopSignals, SIGNAL_EXIT_CODES } from '../../util/signals';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export type TrainAdainArgs = BackendArgs &
  ArgsOf<AdainTrainConfigInput> & {
    resume?: string;
    dryRun?: boolean;
    progress?: boolean;
  };

const DRY_RUN_STEPS = 3;

export async function runTrainAdain(args: TrainAdainArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const config = configFromArgs(AdainTrainConfigSchema, args);
  if (!args.resume) {
    if (!config.styles?.length) throw new UsageError('--styles DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.data?.length) throw new UsageError('--data DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.out && !args.dryRun) throw new UsageError('--out checkpoints/NAME is required');
    parseAdainTrainConfig({ out: '(dry run)', ...config }, 'nst train-adain', flagOf);
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

const ADAIN_OPTIONS = optionsFromSchema(AdainTrainConfigSchema);

export const trainAdainCommand: CommandModule<object, TrainAdainArgs> = {
  command: 'train-adain',
  describe: 'train an arbitrary-style (AdaIN) decoder on folders of style images and photos',
  builder: (y: Argv) =>
    withBackendOption(
      withOptionGroups(y, ADAIN_OPTIONS, 'Training options:', { 'Loss options:': ['contentWeight', 'styleWeight', 'lossWeights', 'lossNet'] })
        .usage('$0 train-adain --styles DIR_OR_GLOB... --data DIR_OR_GLOB... --out checkpoints/NAME [options]')
        .option('resume', { type: 'string', describe: 'continue the run saved in this output folder exactly' })
        .option('dry-run', { type: 'boolean', describe: `time ${DRY_RUN_STEPS} steps and print the expected time of the run; writes nothing` })
        .option('progress', { type: 'boolean', default: true, describe: 'progress bar on stderr (--no-progress to hide)' })
        .example('$0 train-adain --styles paintings/ --data photos/ --out checkpoints/adain --iterations 20000', 'train a decoder'),
    ) as unknown as Argv<TrainAdainArgs>,
  handler: handler(async (args: TrainAdainArgs) => runTrainAdain(args)),
};
