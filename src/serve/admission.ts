/**
 * Bounded concurrency with a bounded waiting line: `concurrency` holders at once, up to `queueLimit` waiting in
 * arrival order, everyone else refused at once (the caller answers 503 with Retry-After). Refusing early is the point:
 * a line that grows without bound only turns overload into timeouts for everyone.
 */
export class Admission {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Mean seconds a slot is held (exponential moving average), for Retry-After. */
  private meanHoldSeconds = 1;

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A release function once a slot is free, or undefined at once when the line is full. Call release exactly once
   * (later calls do nothing).
   */
  async acquire(): Promise<(() => void) | undefined> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    const start = process.hrtime.bigint();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const held = Number(process.hrtime.bigint() - start) / 1e9;
      this.meanHoldSeconds = 0.8 * this.meanHoldSeconds + 0.2 * held;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so `active` stays as it is.
      if (next) next();
      else this.active--;
    };
  }

  /** Whole seconds until a refused client may find room: the line ahead of it, at the recent pace (at least 1). */
  retryAfterSeconds(): number {
    const ahead = this.active + this.waiting.length;
    return Math.max(1, Math.ceil((this.meanHoldSeconds * ahead) / this.concurrency));
  }
}
