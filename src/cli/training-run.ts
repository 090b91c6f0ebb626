/**
 * What `nst train` and `nst train-adain` share around a training call: the run options (--resume, --dry-run,
 * --progress), the dry run's timing line, and the real run under the progress bar with SIGINT/SIGTERM saving a
 * checkpoint first (exit 130/143).
 */
import type { Argv } from 'yargs';
import type { BudgetPlan } from '../train/budget';
import type { LoopResult } from '../train/loop';
import type { TrainHooks } from '../train/task';
import { UsageError } from '../errors';
import { formatDuration } from '../util/duration';
import { TrainProgress } from './progress/train';
import { runUnderStopSignals } from './signal-run';

/** Steps a dry run times (the first one is not timed: it pays one-time costs). */
export const DRY_RUN_STEPS = 3;

export interface RunArgs {
  resume?: string;
  dryRun?: boolean;
  progress?: boolean;
}

export function withRunOptions<T>(y: Argv<T>): Argv<T & RunArgs> {
  return y
    .option('resume', { type: 'string', describe: 'continue the run saved in this output folder (or its checkpoint folder) exactly' })
    .option('dry-run', { type: 'boolean', describe: `time ${DRY_RUN_STEPS} steps and print the expected time of the whole run; writes nothing` })
    .option('progress', { type: 'boolean', default: true, describe: 'progress bar on stderr (--no-progress to hide)' }) as Argv<T & RunArgs>;
}

/** The step-count options of every trainer: one way to say how long a run is. */
export function checkRunLength(args: { iterations?: number; epochs?: number; budget?: unknown }): void {
  if (args.iterations !== undefined && args.epochs !== undefined) throw new UsageError('give --epochs or --iterations, not both');
  if (args.budget !== undefined && (args.iterations !== undefined || args.epochs !== undefined)) {
    throw new UsageError('--budget plans the number of steps: give --budget or --iterations/--epochs, not both');
  }
}

/** A dry run's last line: the budget's plan, or the time the configured steps take. */
export function dryRunExpectation(r: Pick<LoopResult, 'totalSteps' | 'step' | 'secondsPerStep' | 'plan'> & { config: { budget?: number } }): string {
  return r.plan && r.config.budget !== undefined ? `${budgetPlanLine(r.config.budget, r.plan, r.secondsPerStep)}\n` : expectedTime(r);
}

/** A dry run's plan for `--budget` (what the real run would plan first; it re-plans as it goes). */
function budgetPlanLine(budgetSeconds: number, plan: BudgetPlan, secondsPerStep: number): string {
  return (
    `--budget ${formatDuration(budgetSeconds)}: about ${plan.totalSteps} steps at this rate, a checkpoint every ${plan.checkpointEvery} steps ` +
    `(≈ ${formatDuration(plan.checkpointEvery * secondsPerStep)}), previews every ${plan.previewEvery}`
  );
}

/** The dry run's second line: the steps left and how long they should take at the measured rate. */
export function expectedTime(r: Pick<LoopResult, 'totalSteps' | 'step' | 'secondsPerStep'>): string {
  const remaining = r.totalSteps - (r.step - Math.min(DRY_RUN_STEPS, r.step));
  return `expected: ${remaining} steps ≈ ${formatDuration(remaining * r.secondsPerStep)} (plus checkpoints and previews)\n`;
}

/**
 * Runs `train` with the progress bar and stop signals wired into its hooks, logs `summary(result)`, and returns the
 * exit code: 0, or 130/143 when a signal stopped it (after the checkpoint was saved).
 */
export async function runWithStopSignals<R>(
  args: RunArgs,
  log: (line: string) => void,
  train: (hooks: TrainHooks) => Promise<R>,
  summary: (result: R) => string,
): Promise<number> {
  const bar = args.progress === false ? undefined : new TrainProgress();
  return runUnderStopSignals(bar, log, (say, shouldStop) => train({ log: say, onStep: (s) => bar?.update(s), shouldStop }), summary);
}
