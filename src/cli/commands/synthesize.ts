/**
 * nst synthesize --style S.jpg --size WxH [--out F] [--seed N] [--steps N] [...]
 *
 * Texture synthesis from noise: argument handling and reporting only; the options are the zod schema of
 * src/optimize/synthesize.ts and the work is nst optimize's optimizer with the style loss alone (synthesizeTexture).
 */
import type { Argv, CommandModule } from 'yargs';
import { LOSS_OPTION_FIELDS } from '../../losses/options';
import { parseSynthesizeConfig, synthesizeTexture, SynthesizeConfigInput, SynthesizeConfigSchema } from '../../optimize';
import { OptimizeProgress } from '../progress/optimize';
import { runUnderStopSignals } from '../signal-run';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export type SynthesizeArgs = BackendArgs & ArgsOf<SynthesizeConfigInput> & { progress?: boolean };

/** Runs the command; returns the exit code. Exposed for tests. */
export async function runSynthesize(args: SynthesizeArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const config = configFromArgs(SynthesizeConfigSchema, args);
  parseSynthesizeConfig(config); // every value checked, naming its flag, before the backend starts
  const backend = await startBackend(args);
  const bar = args.progress === false ? undefined : new OptimizeProgress();
  return runUnderStopSignals(
    bar,
    log,
    (say, shouldStop) => synthesizeTexture(config as SynthesizeConfigInput, { hooks: { log: say, onStep: (s, total) => bar?.update(s, total), shouldStop } }),
    (r) =>
      `${r.output} (${r.width}x${r.height}): style loss ${r.losses.style.toFixed(4)} (from ${r.initialLosses.style.toFixed(4)} for the noise) after ${r.steps} steps, ` +
      `${r.seconds.toFixed(1)} s; losses in ${r.lossesFile} [${backend.name}]`,
  );
}

const SYNTHESIZE_OPTIONS = optionsFromSchema(SynthesizeConfigSchema, {
  style: { alias: 's', demandOption: true },
  size: { demandOption: true },
  out: { alias: 'o' },
});

export const synthesizeCommand: CommandModule<object, SynthesizeArgs> = {
  command: 'synthesize',
  describe: 'texture synthesis from noise: an image of any size with the style image’s textures (style loss only)',
  builder: (y: Argv) =>
    withBackendOption(
      withOptionGroups(y, SYNTHESIZE_OPTIONS, 'Synthesis options:', { 'Loss options:': LOSS_OPTION_FIELDS.filter((f) => f !== 'contentWeight' && f !== 'contentLayer') }).option('progress', {
        type: 'boolean',
        default: true,
        describe: 'progress bar on stderr (--no-progress: off)',
      }),
    ),
  handler: handler(runSynthesize),
};
