/**
 * nst optimize --content C --style S -o OUT [--steps N] [--size PX] [--optimizer lbfgs|adam] [...]
 *
 * Argument handling and reporting only: the options are declared by the zod schema of src/optimize/config.ts (flags
 * derived by ../options-from-schema.ts) and the optimization is src/optimize (optimizeImage).
 */
import type { Argv, CommandModule } from 'yargs';
import { LOSS_OPTION_FIELDS } from '../../losses/options';
import { optimizeImage, OptimizeConfigInput, OptimizeConfigSchema, OptimizeResult, parseOptimizeConfig } from '../../optimize';
import { OptimizeProgress } from '../progress/optimize';
import { runUnderStopSignals } from '../signal-run';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export type OptimizeArgs = BackendArgs & ArgsOf<OptimizeConfigInput> & { progress?: boolean };

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
  // Validate every value (naming its flag) before the backend starts; optimizeImage parses the same input again.
  const config = configFromArgs(OptimizeConfigSchema, args);
  parseOptimizeConfig(config);
  const backend = await startBackend(args);
  const bar = args.progress === false ? undefined : new OptimizeProgress();
  return runUnderStopSignals(
    bar,
    log,
    (say, shouldStop) => optimizeImage(config as OptimizeConfigInput, { hooks: { log: say, onStep: (r, total) => bar?.update(r, total), shouldStop } }),
    (result) => `${summary(result)} [${backend.name}]`,
  );
}

/** The three files every run needs get short aliases and are demanded by yargs before anything runs. */
const OPTIMIZE_OPTIONS = optionsFromSchema(OptimizeConfigSchema, {
  content: { alias: 'c', demandOption: true },
  style: { alias: 's', demandOption: true },
  output: { alias: 'o', demandOption: true },
});

export const optimizeCommand: CommandModule<object, OptimizeArgs> = {
  command: 'optimize',
  describe: 'Gatys-style per-image optimization: the quality reference for a trained network',
  builder: (y: Argv) =>
    withBackendOption(
      withOptionGroups(y, OPTIMIZE_OPTIONS, 'Optimization options:', { 'Loss options:': LOSS_OPTION_FIELDS }).option('progress', {
        type: 'boolean',
        default: true,
        describe: 'progress bar on stderr (--no-progress: off)',
      }),
    ),
  handler: handler(runOptimize),
};
