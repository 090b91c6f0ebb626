/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithms 7.4–7.5) over flat vectors.
 * Pure maths: no tensors, no I/O. The objective is any function returning its value and gradient, sync or async
 * (the image objective runs the loss network; the tests minimise Rosenbrock).
 *
 * One `step()` is one L-BFGS iteration: a search direction from the two-loop recursion over the last `history`
 * curvature pairs, then a backtracking line search satisfying the Armijo (sufficient decrease) condition. A step of 1
 * is tried first, because a quasi-Newton direction is already scaled: most iterations cost one evaluation.
 *
 * Vectors are Float64Array: the dot products of the two-loop recursion lose accuracy in float32 once the image has
 * ~10⁵ pixels, and the memory (2·history vectors) is small beside the loss network's activations.
 */

/** What the objective returns: f(x) and ∇f(x) (same length as x; the optimizer copies it, so it may be reused). */
export interface Evaluation {
  value: number;
  gradient: ArrayLike<number>;
}

export type Objective = (x: Float64Array) => Evaluation | Promise<Evaluation>;

export interface LbfgsOptions {
  /** Curvature pairs kept (m). 10 is the usual choice: more costs memory and rarely helps. */
  history?: number;
  /** Armijo constant c₁ (sufficient decrease): f(x+t·d) ≤ f(x) + c₁·t·∇f·d (with bounds: ∇f·(x_new − x)). */
  armijo?: number;
  /** Evaluations one line search may spend before giving up on the iteration. */
  maxLineSearchEvaluations?: number;
  /**
   * Length of the very first step (and after a history reset), as a multiple of the normalised gradient: with no
   * curvature known yet, the step is `initialStep / ‖g‖∞` along −g so no coordinate moves more than `initialStep`.
   */
  initialStep?: number;
  /**
   * Box constraints [lower, upper] on every coordinate (pixels: [0, 255]). Handled by projection: coordinates at a
   * bound whose search direction points outwards are frozen for the iteration, and trial points are clamped into the
   * box, so every iterate is feasible and the loss reported is the loss of a valid image (a heuristic cousin of
   * L-BFGS-B: simpler, and enough when few coordinates sit on the bounds).
   */
  bounds?: readonly [number, number];
}

export interface LbfgsStepResult {
  /** f at the new point (unchanged when the line search failed). */
  value: number;
  /** Objective evaluations spent in this iteration. */
  evaluations: number;
  /** The step length accepted along the search direction (0 when none was). */
  stepLength: number;
  /** False when no step decreased f enough: the point is (numerically) a minimum along every direction we tried. */
  moved: boolean;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

interface CurvaturePair {
  s: Float64Array; // x_{k+1} − x_k
  y: Float64Array; // g_{k+1} − g_k
  rho: number; // 1 / (yᵀs)
}

/**
 * The two-loop recursion: returns d = −H·g, where H approximates the inverse Hessian from the curvature pairs
 * (oldest first) and H₀ = γI with γ = sᵀy / yᵀy of the newest pair (N&W eq. 7.20).
 */
export function twoLoopDirection(g: ArrayLike<number>, pairs: readonly CurvaturePair[]): Float64Array {
  const q = Float64Array.from(g);
  const alpha = new Array<number>(pairs.length);
  for (let i = pairs.length - 1; i >= 0; i--) {
    const { s, y, rho } = pairs[i];
    alpha[i] = rho * dot(s, q);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * y[j];
  }
  if (pairs.length > 0) {
    const last = pairs[pairs.length - 1];
    const gamma = dot(last.s, last.y) / dot(last.y, last.y);
    for (let j = 0; j < q.length; j++) q[j] *= gamma;
  }
  for (let i = 0; i < pairs.length; i++) {
    const { s, y, rho } = pairs[i];
    const beta = rho * dot(y, q);
    for (let j = 0; j < q.length; j++) q[j] += (alpha[i] - beta) * s[j];
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j];
  return q;
}

/**
 * Minimises `objective` from `x0`, one iteration per `step()`. `x` is the current point (read it, do not write it).
 * Call `start()` once before the first step (it evaluates f(x0)).
 */
export class Lbfgs {
  readonly x: Float64Array;
  private g: Float64Array = new Float64Array(0);
  private f = NaN;
  private readonly pairs: CurvaturePair[] = [];
  private readonly history: number;
  private readonly c1: number;
  private readonly maxEvals: number;
  private readonly initialStep: number;
  private readonly bounds?: readonly [number, number];
  /** Total objective evaluations so far, including start(). */
  evaluations = 0;

  constructor(
    x0: ArrayLike<number>,
    private readonly objective: Objective,
    options: LbfgsOptions = {},
  ) {
    this.x = Float64Array.from(x0);
    this.history = options.history ?? 10;
    this.c1 = options.armijo ?? 1e-4;
    this.maxEvals = options.maxLineSearchEvaluations ?? 20;
    this.initialStep = options.initialStep ?? 1;
    this.bounds = options.bounds;
    if (!(this.history >= 1) || !(this.c1 > 0 && this.c1 < 1) || !(this.maxEvals >= 1) || !(this.initialStep > 0)) {
      throw new RangeError(`Lbfgs: invalid options ${JSON.stringify(options)}`);
    }
    if (this.bounds) {
      const [lo, hi] = this.bounds;
      if (!(lo < hi)) throw new RangeError(`Lbfgs: bounds [${lo}, ${hi}] are empty`);
      for (let i = 0; i < this.x.length; i++) this.x[i] = Math.min(hi, Math.max(lo, this.x[i]));
    }
  }

  get value(): number {
    return this.f;
  }

  get gradient(): Float64Array {
    return this.g;
  }

  async start(): Promise<number> {
    const e = await this.objective(this.x);
    this.evaluations++;
    this.f = e.value;
    this.g = Float64Array.from(e.gradient);
    if (this.g.length !== this.x.length) throw new RangeError(`Lbfgs: gradient has ${this.g.length} values, x has ${this.x.length}`);
    return this.f;
  }

  /** Forget the curvature pairs (the next step is a scaled steepest-descent step). */
  reset(): void {
    this.pairs.length = 0;
  }

  async step(): Promise<LbfgsStepResult> {
    if (Number.isNaN(this.f)) throw new Error('Lbfgs: call start() before step()');
    let d = this.direction();
    let slope = dot(this.g, d);
    if (!(slope < 0)) {
      // Not a descent direction (the curvature pairs went stale): fall back to steepest descent.
      this.reset();
      d = this.direction();
      slope = dot(this.g, d);
      if (!(slope < 0)) return { value: this.f, evaluations: 0, stepLength: 0, moved: false }; // g = 0: at a stationary point
    }
    const found = await this.backtrack(d, slope);
    if (!found) {
      // Nothing decreased f enough along d. With history, retry once along −g before declaring convergence.
      const spent = this.lastSearchEvaluations;
      if (this.pairs.length > 0) {
        this.reset();
        const retry = await this.step();
        return { ...retry, evaluations: spent + retry.evaluations };
      }
      return { value: this.f, evaluations: spent, stepLength: 0, moved: false };
    }
    const { t, xNew, fNew, gNew } = found;
    const s = new Float64Array(this.x.length);
    const y = new Float64Array(this.x.length);
    for (let i = 0; i < s.length; i++) {
      s[i] = xNew[i] - this.x[i];
      y[i] = gNew[i] - this.g[i];
    }
    const sy = dot(s, y);
    // Keep the pair only if it carries positive curvature; otherwise H would stop being positive definite.
    if (sy > 1e-10 * dot(y, y)) {
      this.pairs.push({ s, y, rho: 1 / sy });
      if (this.pairs.length > this.history) this.pairs.shift();
    }
    this.x.set(xNew);
    this.f = fNew;
    this.g = gNew;
    return { value: fNew, evaluations: this.lastSearchEvaluations, stepLength: t, moved: true };
  }

  private lastSearchEvaluations = 0;

  private direction(): Float64Array {
    let d: Float64Array;
    if (this.pairs.length > 0) {
      d = twoLoopDirection(this.g, this.pairs);
    } else {
      const scale = this.initialStep / Math.max(maxAbs(this.g), 1e-300);
      d = Float64Array.from(this.g, (v) => -v * scale);
    }
    if (this.bounds) {
      // Freeze coordinates held at a bound by the direction: moving them would only be clamped back.
      const [lo, hi] = this.bounds;
      for (let i = 0; i < d.length; i++) if ((this.x[i] <= lo && d[i] < 0) || (this.x[i] >= hi && d[i] > 0)) d[i] = 0;
    }
    return d;
  }

  /**
   * Backtracking from t = 1: each rejected t is replaced by the minimiser of the quadratic through f(0), f'(0) and
   * f(t), kept within [0.1·t, 0.5·t] so the search neither stalls nor overshoots (N&W §3.5).
   */
  private async backtrack(
    d: Float64Array,
    slope: number,
  ): Promise<{ t: number; xNew: Float64Array; fNew: number; gNew: Float64Array } | null> {
    let t = 1;
    const xNew = new Float64Array(this.x.length);
    this.lastSearchEvaluations = 0;
    const [lo, hi] = this.bounds ?? [-Infinity, Infinity];
    for (let k = 0; k < this.maxEvals; k++) {
      for (let i = 0; i < xNew.length; i++) xNew[i] = Math.min(hi, Math.max(lo, this.x[i] + t * d[i]));
      // The decrease the gradient predicts for the step actually taken (= t·slope when nothing was clamped).
      let predicted = 0;
      for (let i = 0; i < xNew.length; i++) predicted += this.g[i] * (xNew[i] - this.x[i]);
      if (!(predicted < 0)) {
        // Clamping turned the step uphill: a shorter one clamps less (not worth an evaluation).
        t *= 0.5;
        continue;
      }
      const e = await this.objective(xNew);
      this.evaluations++;
      this.lastSearchEvaluations++;
      if (Number.isFinite(e.value) && e.value <= this.f + this.c1 * predicted) {
        return { t, xNew, fNew: e.value, gNew: Float64Array.from(e.gradient) };
      }
      const quadratic = Number.isFinite(e.value) ? (-slope * t * t) / (2 * (e.value - this.f - slope * t)) : 0.1 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, quadratic));
    }
    return null;
  }
}
