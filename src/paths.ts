import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The package root (where package.json lives), whether running from src/ (tests) or dist/src/ (built CLI). */
export const PACKAGE_ROOT: string = (() => {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'native'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..');
    dir = up;
  }
})();

/** Cache folder for downloaded weights and other per-user state: NST_HOME, default ~/.cache/nst. */
export function nstHome(): string {
  return process.env.NST_HOME || path.join(os.homedir(), '.cache', 'nst');
}

/**
 * Where loss-network weights are looked for, in order: --loss-weights, NST_LOSS_WEIGHTS, then the cache folder.
 * (The loss-network loader appends the embedded partial VGG19 in assets/, then its MobileNetV2 fallback: see
 * lossWeightSearchOrder in src/nets/loss-network/locate.ts.)
 */
export function lossWeightsSearchPaths(option?: string): Array<{ source: string; path: string }> {
  const out: Array<{ source: string; path: string }> = [];
  if (option) out.push({ source: '--loss-weights', path: option });
  if (process.env.NST_LOSS_WEIGHTS) out.push({ source: 'NST_LOSS_WEIGHTS', path: process.env.NST_LOSS_WEIGHTS });
  out.push({ source: 'cache (NST_HOME)', path: path.join(nstHome(), 'weights') });
  return out;
}
