/**
 * Finds and loads the optional oneDNN addon built from native/ by `npm install` (scripts/build-native.js).
 * Loading never throws: the status says why the fast path is off so `nst doctor` and `--backend native` can tell the user.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../../paths';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAddon = Record<string, any>;

export interface NativeStatus {
  loaded: boolean;
  path?: string;
  /** Why it did not load, with the fix. */
  reason?: string;
  addon?: NativeAddon;
}

export const ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'build', 'Release', 'nst_native.node');
const HOW = 'apt-get install libdnnl-dev (macOS: brew install onednn), then npm run build:native';

let cached: NativeStatus | undefined;

export function nativeDisabledByEnv(): boolean {
  return process.env.NST_NATIVE === '0';
}

export function loadNativeAddon(): NativeStatus {
  if (cached) return cached;
  if (nativeDisabledByEnv()) return (cached = { loaded: false, reason: 'disabled by NST_NATIVE=0' });
  if (!fs.existsSync(ADDON_PATH)) {
    return (cached = { loaded: false, path: ADDON_PATH, reason: `addon not built (${ADDON_PATH} missing); ${HOW}` });
  }
  // libgomp reads this when the addon pulls it in. Spinning OpenMP threads stall for a whole scheduler timeslice at every
  // barrier when the cores are shared (measured: a 512K-element add took 12 ms instead of 0.08 ms); sleeping waits don't.
  if (!process.env.OMP_WAIT_POLICY) process.env.OMP_WAIT_POLICY = 'passive';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(ADDON_PATH) as NativeAddon;
    return (cached = { loaded: true, path: ADDON_PATH, addon });
  } catch (e) {
    return (cached = { loaded: false, path: ADDON_PATH, reason: `addon failed to load: ${(e as Error).message.split('\n')[0]}; ${HOW}` });
  }
}
