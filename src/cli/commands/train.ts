/**
 * nst train --style STYLE.jpg --data DIR_OR_GLOB --out checkpoints/NAME [options]
 *
 * Argument handling and reporting only: the options are declared, defaulted and validated once, by the zod schema of
 * src/train/config.ts (flags derived by ../options-from-schema.ts); they become one TrainConfig and the run is
 * src/train/per-style.ts. SIGINT/SIGTERM save a checkpoint and exit 130/143.
 */
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { LOSS_OPTION_FIELDS } from '../../losses/options';
import { parseTrainConfig, styleImagesOf, TrainConfigInput, TrainConfigSchema } from '../../train/config';
import { train, TrainResult } from '../../train';
import { flagOf, parseOrUsageError } from '../../util/flag-names';
import { ArgsOf, configFromArgs as schemaFieldsOf, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';
import { checkRunLength, DRY_RUN_STEPS, dryRunExpectation, RunArgs, runWithStopSignals, withRunOptions } from '../training-run';

export type TrainArgs = BackendArgs &
  ArgsOf<TrainConfigInput> &
  RunArgs;

/** Only the options the user gave: undefined ones take the schema defaults (or, on --resume, the checkpoint's). */
export function configFromArgs(args: TrainArgs): Partial<TrainConfigInput> {
  return schemaFieldsOf(TrainConfigSchema, args);
}

function summary(r: TrainResult): string {
  const l = r.lastLosses;
  const styles = styleImagesOf(r.config).length;
  const losses = l ? `loss ${l.total.toPrecision(4)} (content ${l.content.toPrecision(3)}, style ${l.style.toPrecision(3)}, tv ${l.tv.toPrecision(3)})` : '';
  return [
    `nst: ${r.stoppedEarly ? 'stopped' : 'trained'} ${r.step}/${r.totalSteps} steps, ${r.secondsPerStep.toFixed(2)} s/step ` +
      `(waiting for data ${(100 * r.dataWaitShare).toFixed(1)}%${r.data.skippedFiles ? `, ${r.data.skippedFiles} unreadable photos skipped` : ''}); ${losses}`,
    `nst: checkpoint ${r.checkpointDir}`,
    `nst: log ${path.join(r.outDir, 'train-log.jsonl')}, previews ${path.join(r.outDir, 'preview-latest.png')}, loss curve ${path.join(r.outDir, 'loss-curve.svg')}`,
    `nst: stylize with: nst stylize --model ${r.checkpointDir} PHOTO.jpg -o OUT.png${styles > 1 ? ` --style-index K (0–${styles - 1}) or --mix w0,…,w${styles - 1}` : ''}`,
  ].join('\n');
}

export async function runTrain(args: TrainArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const config = configFromArgs(args);
  if (config.addStyle !== undefined && !args.resume) throw new UsageError('--add-style needs --resume CKPT: the multi-style network to add the style to');
  if (!args.resume) {
    if (!config.style) throw new UsageError('--style STYLE.jpg is required (or --resume a checkpoint)');
    if (!config.data?.length) throw new UsageError('--data DIR_OR_GLOB is required (or --resume a checkpoint)');
    if (!config.out && !args.dryRun) throw new UsageError('--out checkpoints/NAME is required');
    // Validate everything before the (slow) backend and loss-network start.
    parseTrainConfig({ out: '(dry run)', ...config }, 'nst train', flagOf);
  } else {
    // The checkpoint supplies the rest; what was given must still be valid, and is named by its flag.
    parseOrUsageError(TrainConfigSchema.partial(), config, 'nst train');
  }
  checkRunLength(args);
  const backend = await startBackend(args);

  if (args.dryRun) {
    const r = await train({ out: '(dry run)', ...config }, { resume: args.resume, dryRunSteps: DRY_RUN_STEPS, hooks: { log } });
    process.stdout.write(
      `dry run on ${backend.name}: ${r.secondsPerStep.toFixed(2)} s/step at batch ${r.config.batchSize}, ${r.config.imageSize}² ` +
        `(data wait ${(100 * r.dataWaitShare).toFixed(1)}% of the step; loss network ${r.lossNetwork}; style ${r.styleLayers.join(',')}; content ${r.contentLayer})\n` +
        dryRunExpectation(r),
    );
    return 0;
  }

  return runWithStopSignals(args, log, (hooks) => train(config, { resume: args.resume, hooks }), summary);
}

const TRAIN_OPTIONS = optionsFromSchema(TrainConfigSchema);

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train a style network on a folder of photos',
  builder: (y: Argv) =>
    withBackendOption(
      withRunOptions(withOptionGroups(y, TRAIN_OPTIONS, 'Training options:', { 'Loss options:': LOSS_OPTION_FIELDS }))
        .usage('$0 train --style STYLE.jpg --data DIR_OR_GLOB --out checkpoints/NAME [options]')
        .example('$0 train --style udnie.jpg --data photos/ --out checkpoints/udnie', 'train with the defaults')
        .example('$0 train --resume checkpoints/udnie --iterations 4000', 'continue a run (Ctrl-C saves a checkpoint)')
        .example('$0 train --style a.jpg --style b.jpg --style c.jpg --data photos/ --out checkpoints/abc', 'one network serving three styles')
        .example('$0 train --resume checkpoints/abc --add-style d.jpg --iterations 300', 'learn a fourth style (only its γ/β) into checkpoints/abc-plus-d'),
    ) as unknown as Argv<TrainArgs>,
  handler: handler(async (args: TrainArgs) => runTrain(args)),
};
