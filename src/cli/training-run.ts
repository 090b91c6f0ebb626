/**
 * What `nst train` and `nst train-adain` share around a training call: the run options (--resume, --dry-run,
 * --progress), the dry run's timing line, and the real run under the progress bar with SIGINT/SIGTERM saving a
 * checkpoint first (exit 130/143).
 */
import type { Argv } from 'yargs';
import type { LoopResult } from '../train/loop';
import type { TrainHooks } from '../train/task';
import { installStopSignals, SIGNAL_EXIT_CODES } from '../util/signals';
import { TrainProgress } from './progress/train';

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

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : seconds >= 90 ? `${m} min` : `${Math.round(seconds)} s`;
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
  const stop = installStopSignals(log);
  const bar = args.progress === false ? undefined : new TrainProgress();
  const say = (line: string) => {
    bar?.stop();
    log(line);
  };
  try {
    const r = await train({ log: say, onStep: (s) => bar?.update(s), shouldStop: stop.shouldStop });
    bar?.stop();
    log(summary(r));
    const sig = stop.received();
    return sig ? SIGNAL_EXIT_CODES[sig] ?? 1 : 0;
  } finally {
    bar?.stop();
    stop.dispose();
  }
}
