/**
 * The terminal progress bar (stderr): step, epoch, each loss term, steps/s and ETA. Only the CLI uses it; the
 * library reports through `onStep` so it can run headless.
 */
import { formatLoss as fmt, LossProgressBar } from './loss-bar';
import type { StepReport } from '../../train/task';
import { formatClock } from '../../util/duration';

export class TrainProgress {
  private readonly bar: LossProgressBar;
  private readonly t0 = performance.now();
  private firstStep = -1;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new LossProgressBar(
      'step {value}/{total} ep {epoch} |{bar}| loss {loss} (c {content} s {style} tv {tv}) {rate} step/s ETA {etaText}',
      stream,
    );
  }

  update(r: StepReport): void {
    if (this.firstStep < 0) this.firstStep = r.step - 1;
    const elapsed = (performance.now() - this.t0) / 1000;
    const rate = (r.step - this.firstStep) / Math.max(elapsed, 1e-9);
    this.bar.update(r.step, r.totalSteps, {
      epoch: r.epoch.toFixed(2),
      loss: fmt(r.losses.total),
      content: fmt(r.losses.content),
      style: fmt(r.losses.style),
      tv: fmt(r.losses.tv),
      rate: rate.toFixed(rate < 1 ? 3 : 2),
      etaText: formatClock((r.totalSteps - r.step) / rate),
    });
  }

  /** Clears the bar line so a message prints cleanly. */
  stop(): void {
    this.bar.stop();
  }
}
