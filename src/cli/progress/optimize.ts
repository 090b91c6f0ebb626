/**
 * The terminal progress bar of `nst optimize` (stderr): step, each loss term, evaluations and ETA. Only the CLI uses
 * it; the library reports through `onStep` so it runs headless.
 */
import { formatLoss as fmt, LossProgressBar } from './loss-bar';
import type { StepRecord } from '../../optimize/run';

export class OptimizeProgress {
  private readonly bar: LossProgressBar;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new LossProgressBar(
      'step {value}/{total} |{bar}| loss {loss} (c {content} s {style} tv {tv}) {evals} evals {secPerStep} s/step ETA {eta_formatted}',
      stream,
    );
  }

  update(r: StepRecord, total: number): void {
    this.bar.update(r.step, total, {
      loss: fmt(r.total),
      content: fmt(r.content),
      style: fmt(r.style),
      tv: fmt(r.tv),
      evals: r.evaluations,
      secPerStep: (r.ms / 1000 / r.step).toFixed(2),
    });
  }

  /** Clears the bar line so a message prints cleanly. */
  stop(): void {
    this.bar.stop();
  }
}
