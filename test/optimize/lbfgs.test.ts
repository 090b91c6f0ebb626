// The optimizers as pure maths, on functions whose minimum is known.
import { Adam } from '../../src/optimize/adam';
import { dot, Lbfgs, twoLoopDirection } from '../../src/optimize/lbfgs';

/** Extended Rosenbrock: Σ 100(x[2i+1] − x[2i]²)² + (1 − x[2i])², minimum 0 at (1,…,1). */
function rosenbrock(x: Float64Array): { value: number; gradient: Float64Array } {
  const g = new Float64Array(x.length);
  let f = 0;
  for (let i = 0; i < x.length; i += 2) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] = -400 * x[i] * a - 2 * b;
    g[i + 1] = 200 * a;
  }
  return { value: f, gradient: g };
}

async function minimise(opt: Lbfgs, maxSteps: number): Promise<number> {
  await opt.start();
  let steps = 0;
  while (steps < maxSteps) {
    const r = await opt.step();
    steps++;
    if (!r.moved) break;
  }
  return steps;
}

describe('Lbfgs', () => {
  test('minimises the 2-D Rosenbrock function from (−1.2, 1) to (1, 1) within 1e-5', async () => {
    const opt = new Lbfgs([-1.2, 1], rosenbrock);
    const steps = await minimise(opt, 200);
    expect(Math.abs(opt.x[0] - 1)).toBeLessThan(1e-5);
    expect(Math.abs(opt.x[1] - 1)).toBeLessThan(1e-5);
    expect(opt.value).toBeLessThan(1e-10);
    // L-BFGS needs ~35–60 iterations here; gradient descent would need thousands.
    expect(steps).toBeLessThan(120);
  });

  test('minimises a 20-D Rosenbrock function (async objective) to its optimum', async () => {
    const x0 = Float64Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const opt = new Lbfgs(x0, async (x) => rosenbrock(x));
    await minimise(opt, 500);
    for (const v of opt.x) expect(Math.abs(v - 1)).toBeLessThan(1e-4);
  });

  test('every accepted step lowers f (Armijo), and most cost one evaluation', async () => {
    const opt = new Lbfgs([-1.2, 1], rosenbrock);
    let f = await opt.start();
    let steps = 0;
    for (let i = 0; i < 40; i++) {
      const r = await opt.step();
      if (!r.moved) break;
      expect(r.value).toBeLessThan(f);
      f = r.value;
      steps++;
    }
    expect(opt.evaluations).toBeLessThan(2 * steps + 1);
  });

  test('on an ill-conditioned quadratic (condition 1e4) it keeps pace with a reference L-BFGS', async () => {
    // SciPy's L-BFGS-B (m=10) on this problem: f = 7.7 after 50 iterations, 0.855 after 100, 2.7e-4 after 300.
    const n = 50;
    const diag = Float64Array.from({ length: n }, (_, i) => Math.pow(1e4, i / (n - 1)));
    const quad = (x: Float64Array) => ({
      value: 0.5 * x.reduce((s, v, i) => s + diag[i] * v * v, 0),
      gradient: Float64Array.from(x, (v, i) => diag[i] * v),
    });
    const opt = new Lbfgs(new Float64Array(n).fill(1), quad);
    await opt.start();
    const at: Record<number, number> = {};
    for (let i = 1; i <= 300; i++) at[i] = (await opt.step()).value;
    expect(at[50]).toBeLessThan(2 * 7.7);
    expect(at[100]).toBeLessThan(2 * 0.855);
    expect(at[300]).toBeLessThan(1e-3);
  });

  test('at a stationary point it reports no move and spends no evaluation', async () => {
    const opt = new Lbfgs([0, 0], (x) => ({ value: x[0] * x[0] + x[1] * x[1], gradient: [2 * x[0], 2 * x[1]] }));
    await opt.start();
    const r = await opt.step();
    expect(r.moved).toBe(false);
    expect(r.evaluations).toBe(0);
  });

  test('backtracks out of a region where f is infinite (a barrier)', async () => {
    // f = x² − log(1 − x²)... defined on (−1, 1) only; the first step from 0.9 along −g overshoots past −1.
    const f = (x: Float64Array) => {
      const v = x[0];
      if (Math.abs(v) >= 1) return { value: Infinity, gradient: [NaN] };
      return { value: v * v - Math.log(1 - v * v), gradient: [2 * v + (2 * v) / (1 - v * v)] };
    };
    const opt = new Lbfgs([0.9], f, { initialStep: 5 });
    await minimise(opt, 50);
    expect(Math.abs(opt.x[0])).toBeLessThan(1e-6);
  });

  test('the two-loop recursion with one pair equals the BFGS inverse-Hessian update of γI', () => {
    const s = Float64Array.from([0.5, -1, 2]);
    const y = Float64Array.from([1, -0.5, 3]);
    const g = Float64Array.from([0.3, 0.7, -1.1]);
    const rho = 1 / dot(s, y);
    const gamma = dot(s, y) / dot(y, y);
    // H = (I − ρ s yᵀ) γI (I − ρ y sᵀ) + ρ s sᵀ, explicitly.
    const n = 3;
    const H: number[][] = [];
    for (let i = 0; i < n; i++) {
      H.push([]);
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) {
          const left = (i === k ? 1 : 0) - rho * s[i] * y[k];
          const right = (k === j ? 1 : 0) - rho * y[k] * s[j];
          v += left * gamma * right;
        }
        H[i].push(v + rho * s[i] * s[j]);
      }
    }
    const expected = H.map((row) => -row.reduce((acc, h, j) => acc + h * g[j], 0));
    const d = twoLoopDirection(g, [{ s, y, rho }]);
    for (let i = 0; i < n; i++) expect(d[i]).toBeCloseTo(expected[i], 12);
  });

  test('with bounds, every iterate stays in the box and the constrained optimum is found', async () => {
    // Rosenbrock with x, y ≤ 0.5: the optimum is x = 0.5, y = x² = 0.25 (the unconstrained one, (1,1), is outside).
    const seen: number[] = [];
    const opt = new Lbfgs([-1.2, 0.4], (x) => {
      seen.push(...x);
      return rosenbrock(x);
    }, { bounds: [-2, 0.5] });
    await minimise(opt, 200);
    expect(Math.max(...seen)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(-2);
    expect(opt.x[0]).toBeCloseTo(0.5, 6);
    expect(opt.x[1]).toBeCloseTo(0.25, 4);
  });

  test('with bounds, a separable quadratic whose centre lies outside ends at the clamped centre', async () => {
    const c = [300, -20, 100, 255, 0];
    const f = (x: Float64Array) => ({
      value: x.reduce((s, v, i) => s + (i + 1) * (v - c[i]) ** 2, 0),
      gradient: Float64Array.from(x, (v, i) => 2 * (i + 1) * (v - c[i])),
    });
    const opt = new Lbfgs([128, 128, 128, 128, 128], f, { bounds: [0, 255], initialStep: 16 });
    await minimise(opt, 100);
    const expected = [255, 0, 100, 255, 0];
    expected.forEach((e, i) => expect(opt.x[i]).toBeCloseTo(e, 4));
  });

  test('rejects invalid options and a gradient of the wrong length', async () => {
    expect(() => new Lbfgs([1], rosenbrock, { history: 0 })).toThrow(RangeError);
    expect(() => new Lbfgs([1], rosenbrock, { bounds: [1, 1] })).toThrow(/empty/);
    await expect(new Lbfgs([1, 2, 3], () => ({ value: 0, gradient: [0] })).start()).rejects.toThrow(/gradient has 1 values/);
  });
});

describe('Adam', () => {
  test('a small rate decreases a convex quadratic at every step, and projection is applied', async () => {
    const quad = (x: Float64Array) => ({ value: x.reduce((s, v) => s + (v - 3) * (v - 3), 0), gradient: Float64Array.from(x, (v) => 2 * (v - 3)) });
    const opt = new Adam([0, 10, -4], quad, { lr: 0.05, project: (x) => x.forEach((v, i) => (x[i] = Math.min(v, 9))) });
    let f = await opt.start();
    for (let i = 0; i < 100; i++) {
      const r = await opt.step();
      expect(r.value).toBeLessThan(f);
      f = r.value;
      for (const v of opt.x) expect(v).toBeLessThanOrEqual(9);
    }
  });
});
