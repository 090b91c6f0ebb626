/**
 * The stderr progress bar shared by training and per-image optimization (used by their CLI commands): a cli-progress bar that starts on the first report
 * (the total and first step are known only then) and prints loss terms compactly. On a non-TTY (CI logs) it prints a
 * line now and then instead of redrawing.
 */
import * as cliProgress from 'cli-progress';

/** Loss values: 3 decimals in the usual range, exponent notation for the very large or small. */
export function formatLoss(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
}

export class LossProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  /** `format` uses cli-progress tokens ({value}, {total}, {bar}) and the payload keys given to update(). */
  constructor(format: string, stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new cliProgress.SingleBar(
      { stream, format, barsize: 20, hideCursor: false, noTTYOutput: !stream.isTTY, notTTYSchedule: 10000, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
  }

  update(step: number, total: number, payload: Record<string, string | number>): void {
    if (!this.started) {
      this.bar.start(total, step, payload);
      this.started = true;
    } else {
      this.bar.update(step, payload);
    }
  }

  /** Clears the bar line so a message prints cleanly. */
  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
