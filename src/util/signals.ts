/**
 * Graceful stop on SIGINT/SIGTERM: the first signal asks the loop to finish its current step, save a checkpoint and
 * return; a second one exits at once (the last checkpoint on disk is still intact: saves are atomic).
 */
export interface StopSignals {
  /** Polled by the loop after every step. */
  shouldStop(): boolean;
  /** The signal received, if any (the CLI exits 130 / 143 after saving). */
  received(): NodeJS.Signals | undefined;
  dispose(): void;
}

export const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function installStopSignals(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): StopSignals {
  let got: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (got) {
      log(`nst: ${sig} again: exiting now without saving (the last checkpoint is intact)`);
      process.exit(SIGNAL_EXIT_CODES[sig] ?? 1);
    }
    got = sig;
    log(`\nnst: ${sig}: finishing the current step, then saving a checkpoint (send it again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    shouldStop: () => got !== undefined,
    received: () => got,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
