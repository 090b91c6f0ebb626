/**
 * The run of a long command under a progress bar and the stop signals: log lines go above the bar, SIGINT/SIGTERM ask
 * the run to stop at its next step (it saves what it has), and the exit code says which signal stopped it. `nst train`,
 * `nst train-adain` (training-run.ts), `nst optimize` and `nst synthesize` share it.
 */
import { installStopSignals, SIGNAL_EXIT_CODES } from '../util/signals';

/**
 * Runs `run(say, shouldStop)` with `bar` (or none), logs `summary(result)`, and returns the exit code: 0, or 130/143
 * when a signal stopped it. `say` logs a line without breaking the bar.
 */
export async function runUnderStopSignals<R>(
  bar: { stop(): void } | undefined,
  log: (line: string) => void,
  run: (say: (line: string) => void, shouldStop: () => boolean) => Promise<R>,
  summary: (result: R) => string,
): Promise<number> {
  const stop = installStopSignals(log);
  const say = (line: string) => {
    bar?.stop();
    log(line);
  };
  try {
    const r = await run(say, stop.shouldStop);
    bar?.stop();
    log(summary(r));
    const sig = stop.received();
    return sig ? (SIGNAL_EXIT_CODES[sig] ?? 1) : 0;
  } finally {
    bar?.stop();
    stop.dispose();
  }
}
