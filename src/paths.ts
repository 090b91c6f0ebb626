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

/** The partial VGG19 (block1–3, TensorFlow.js layers) in ../shared beside the checkout: good enough for a demo. */
export function sharedDemoLossWeights(): string {
  return path.resolve(PACKAGE_ROOT, '..', 'shared', 'models', 'vgg19-imagenet-block1-3', 'model');
}

/**
 * Where loss-network weights are looked for, in order: --loss-weights, NST_LOSS_WEIGHTS, the cache folder, then the
 * partial VGG19 in ../shared when it exists (development checkouts only). The MobileNetV2 fallback comes after all of
 * these and is not a path.
 */
export function lossWeightsSearchPaths(option?: string): Array<{ source: string; path: string }> {
  const out: Array<{ source: string; path: string }> = [];
  if (option) out.push({ source: '--loss-weights', path: option });
  if (process.env.NST_LOSS_WEIGHTS) out.push({ source: 'NST_LOSS_WEIGHTS', path: process.env.NST_LOSS_WEIGHTS });
  out.push({ source: 'cache (NST_HOME)', path: path.join(nstHome(), 'weights') });
  const shared = sharedDemoLossWeights();
  if (fs.existsSync(path.join(shared, 'model.json'))) out.push({ source: 'shared demo (../shared)', path: shared });
  return out;
}
