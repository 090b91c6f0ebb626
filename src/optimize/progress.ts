/**
 * The terminal progress bar of `nst optimize` (stderr): step, each loss term, evaluations and ETA. Only the CLI uses
 * it; the library reports through `onStep` so it runs headless.
 */
import * as cliProgress from 'cli-progress';
import type { StepRecord } from './run';

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
}

export class OptimizeProgress {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'step {value}/{total} |{bar}| loss {loss} (c {content} s {style} tv {tv}) {evals} evals {secPerStep} s/step ETA {eta_formatted}',
        barsize: 20,
        hideCursor: false,
        // Non-TTY (logs): print a line now and then instead of redrawing.
        noTTYOutput: !stream.isTTY,
        notTTYSchedule: 10000,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(r: StepRecord, total: number): void {
    const payload = {
      loss: fmt(r.total),
      content: fmt(r.content),
      style: fmt(r.style),
      tv: fmt(r.tv),
      evals: r.evaluations,
      secPerStep: (r.ms / 1000 / r.step).toFixed(2),
    };
    if (!this.started) {
      this.bar.start(total, r.step, payload);
      this.started = true;
    } else {
      this.bar.update(r.step, payload);
    }
  }

  /** Clears the bar line so a message prints cleanly. */
  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
