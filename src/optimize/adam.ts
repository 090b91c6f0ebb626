/**
 * Adam (Kingma & Ba 2015) over one flat vector, as pure maths. The image optimizer needs nothing more than this, and
 * keeping it beside L-BFGS gives both the same shape: a point `x`, `start()`, then `step()` one evaluation at a time.
 *
 * With pixels in 0..255, Adam's update is about `lr` grey levels per pixel per step whatever the loss scale (it
 * divides by the gradient's running RMS), which is why its learning rate reads in pixel units.
 */
import type { Evaluation, Objective } from './lbfgs';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Projects x after every update (e.g. clamp pixels to 0..255); applied in place. */
  project?: (x: Float64Array) => void;
}

export class Adam {
  readonly x: Float64Array;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  private last?: Evaluation;
  evaluations = 0;

  constructor(
    x0: ArrayLike<number>,
    private readonly objective: Objective,
    private readonly options: AdamOptions,
  ) {
    if (!(options.lr > 0)) throw new RangeError(`Adam: lr must be positive, got ${options.lr}`);
    this.x = Float64Array.from(x0);
    this.m = new Float64Array(this.x.length);
    this.v = new Float64Array(this.x.length);
  }

  get value(): number {
    return this.last?.value ?? NaN;
  }

  /** Evaluates f(x0). */
  async start(): Promise<number> {
    this.last = await this.objective(this.x);
    this.evaluations++;
    return this.last.value;
  }

  /** One update from the gradient at x, then one evaluation at the new point; returns f there. */
  async step(): Promise<{ value: number; evaluations: number; moved: true }> {
    if (!this.last) throw new Error('Adam: call start() before step()');
    const { lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = this.options;
    const g = this.last.gradient;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    for (let i = 0; i < this.x.length; i++) {
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g[i];
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g[i] * g[i];
      this.x[i] -= (lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + epsilon);
    }
    this.options.project?.(this.x);
    this.last = await this.objective(this.x);
    this.evaluations++;
    return { value: this.last.value, evaluations: 1, moved: true };
  }
}
