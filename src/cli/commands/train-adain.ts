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
import { AdainTrainResult, trainAdain } from '../../train/adain';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';
import { checkRunLength, DRY_RUN_STEPS, dryRunExpectation, RunArgs, runWithStopSignals, withRunOptions } from '../training-run';

export type TrainAdainArgs = BackendArgs &
  ArgsOf<AdainTrainConfigInput> &
  RunArgs;

export async function runTrainAdain(args: TrainAdainArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const config = configFromArgs(AdainTrainConfigSchema, args);
  if (!args.resume) {
    if (!config.styles?.length) throw new UsageError('--styles DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.data?.length) throw new UsageError('--data DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.out && !args.dryRun) throw new UsageError('--out checkpoints/NAME is required');
    parseAdainTrainConfig({ out: '(dry run)', ...config }, 'nst train-adain', flagOf);
  }
  checkRunLength(args);
  const backend = await startBackend(args);
  if (args.dryRun) {
    const r = await trainAdain({ out: '(dry run)', ...config }, { resume: args.resume, dryRunSteps: DRY_RUN_STEPS, hooks: { log } });
    process.stdout.write(
      `dry run on ${backend.name}: ${r.secondsPerStep.toFixed(2)} s/step at batch ${r.config.batchSize}, ${r.config.imageSize}² ` +
        `(encoder ${r.encoderLayer}, ${r.trainingStyles} styles; data wait ${(100 * r.dataWaitShare).toFixed(1)}%)\n` +
        dryRunExpectation(r),
    );
    return 0;
  }
  return runWithStopSignals(args, log, (hooks) => trainAdain(config, { resume: args.resume, hooks }), summary);
}

/** The closing lines of a run: where it stands and how to use its decoder. */
function summary(r: AdainTrainResult): string {
  const l = r.lastLosses;
  return [
    `nst: ${r.stoppedEarly ? 'stopped' : 'trained'} ${r.step}/${r.totalSteps} steps, ${r.secondsPerStep.toFixed(2)} s/step; ` +
      (l ? `loss ${l.total.toPrecision(4)} (content ${l.content.toPrecision(3)}, style ${l.style.toPrecision(3)})` : ''),
    `nst: checkpoint ${r.checkpointDir}; log ${path.join(r.outDir, 'train-log.jsonl')}; previews ${path.join(r.outDir, 'preview-latest.png')}`,
    `nst: stylize with: nst stylize --model ${r.checkpointDir} --style PAINTING.jpg PHOTO.jpg`,
  ].join('\n');
}

const ADAIN_OPTIONS = optionsFromSchema(AdainTrainConfigSchema);

export const trainAdainCommand: CommandModule<object, TrainAdainArgs> = {
  command: 'train-adain',
  describe: 'train an arbitrary-style (AdaIN) decoder on folders of style images and photos',
  builder: (y: Argv) =>
    withBackendOption(
      withRunOptions(withOptionGroups(y, ADAIN_OPTIONS, 'Training options:', { 'Loss options:': ['contentWeight', 'styleWeight', 'lossWeights', 'lossNet'] }))
        .usage('$0 train-adain --styles DIR_OR_GLOB... --data DIR_OR_GLOB... --out checkpoints/NAME [options]')
        .example('$0 train-adain --styles paintings/ --data photos/ --out checkpoints/adain --iterations 20000', 'train a decoder'),
    ) as unknown as Argv<TrainAdainArgs>,
  handler: handler(async (args: TrainAdainArgs) => runTrainAdain(args)),
};
