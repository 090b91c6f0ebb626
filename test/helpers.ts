import * as fs from 'fs';
import * as path from 'path';

/** ../shared beside the checkout: data, reference models and yardsticks (see its README). */
export const SHARED = path.resolve(__dirname, '..', '..', 'shared');
export const hasShared = fs.existsSync(path.join(SHARED, 'README.md'));

/** `describe` when `available`, else `describe.skip` that says `why` on stderr: suites never pass silently. */
export function describeIf(available: boolean, why: string): jest.Describe {
  return available
    ? describe
    : (((name: string, fn: () => void) => {
        process.stderr.write(`SKIPPED (${why}): ${name}\n`);
        return describe.skip(name, fn);
      }) as unknown as jest.Describe);
}

/** For suites that need ../shared. */
export const describeShared: jest.Describe = describeIf(hasShared, `../shared not found at ${SHARED}`);

/** For suites that need the oneDNN addon (built by npm install when libdnnl-dev is present). */
export const describeNative: jest.Describe = (() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const status = (require('../src/backend/native/loader') as typeof import('../src/backend/native/loader')).loadNativeAddon();
  return describeIf(status.loaded, `native addon not available: ${status.reason}`);
})();

/** A tiny deterministic PRNG (mulberry32) in [0, 1), so a failing random case replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED, ...parts);
}

export function readF32(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The largest difference between same-named weights of two models (every name of `a` must be in `b`). */
export function maxWeightDiff(a: Map<string, ArrayLike<number>>, b: Map<string, ArrayLike<number>>): number {
  let m = 0;
  for (const [name, va] of a) {
    const vb = b.get(name);
    if (!vb) throw new Error(`weight ${name} missing`);
    m = Math.max(m, maxAbsDiff(va, vb));
  }
  return m;
}

/** ||a-b|| / ||b||, the relative error measure the PyTorch fixtures state their tolerances in. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/**
 * Whether this test file will run on the pure-JS CPU backend (decided before the backend is selected, so suites can
 * mark minutes-long tests as skipped there — visibly — instead of returning early and passing).
 */
export function willRunPureJs(): boolean {
  const forced = process.env.NST_BACKEND;
  if (forced && forced !== 'auto') return forced === 'cpu';
  for (const mod of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(mod);
      return false;
    } catch {
      /* not installed */
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return !(require('../src/backend/native/loader') as typeof import('../src/backend/native/loader')).loadNativeAddon().loaded;
}

/** `test`, or `test.skip` with a note on stderr when it would take minutes on the pure-JS backend (NST_SLOW_TESTS=1 runs it). */
export function slowTest(what: string): jest.It {
  if (willRunPureJs() && !process.env.NST_SLOW_TESTS) {
    process.stderr.write(`SKIPPED on the pure-JS cpu backend (slow): ${what}; set NST_SLOW_TESTS=1 to run it\n`);
    return test.skip;
  }
  return test;
}

/** Runs `fn` with these environment variables set (undefined = unset), then puts the previous values back. */
export function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  return fn().finally(() => {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
}
