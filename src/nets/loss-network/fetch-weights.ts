/** `nst weights fetch` and `nst weights list` as library functions (the CLI only formats). */
import * as fs from 'fs';
import * as path from 'path';
import { nstHome } from '../../paths';
import { KNOWN_WEIGHTS, KnownWeights, ExpectedHash, knownWeightsFor } from './catalog';
import { downloadFile, DownloadError, hashFile, hashMatches } from './download';
import { lossWeightSearchOrder, weightCandidates } from './locate';
import type { VggArch } from './vgg-layout';

export type WeightsSource = KnownWeights['source'];

/**
 * Keras' notop .h5 by default: about 10× smaller than torchvision's files, which carry the 470 MB classifier we never
 * use. torchvision's (legacy torch format, read by src/io/torch-pth.ts) remain one option away.
 */
export const DEFAULT_SOURCE: WeightsSource = 'keras';

export interface FetchWeightsOptions {
  source?: WeightsSource;
  /** Replaces the publisher's folder URL (the file name is appended): mirrors, and tests. Default: NST_WEIGHTS_BASE_URL. */
  baseUrl?: string;
  /** Default: NST_HOME/weights. */
  cacheDir?: string;
  /** Overrides the catalog hash (tests serving their own fixture). */
  expected?: ExpectedHash;
  onProgress?: (received: number, total: number | undefined) => void;
  log?: (line: string) => void;
}

export function weightsCacheDir(): string {
  return path.join(nstHome(), 'weights');
}

/** Downloads (or finds already downloaded) the published weights for `arch`; returns the file path. */
export async function fetchWeights(arch: VggArch, o: FetchWeightsOptions = {}): Promise<{ file: string; known: KnownWeights; downloaded: boolean }> {
  const known = knownWeightsFor(arch, o.source ?? DEFAULT_SOURCE);
  const dir = o.cacheDir ?? weightsCacheDir();
  const dest = path.join(dir, known.fileName);
  if (fs.existsSync(dest)) {
    // A file under the publisher's name must be the publisher's file: check it rather than trust it.
    const expected = o.expected ?? known.hash;
    const actual = await hashFile(dest, expected.algorithm);
    if (!hashMatches(actual, expected)) {
      throw new DownloadError(
        `${dest} exists but its ${expected.algorithm} (${actual}) does not match ${expected.hex}: delete it and run nst weights fetch again ` +
          `(a re-saved copy should get another name, and be passed with --loss-weights)`,
      );
    }
    o.log?.(`${dest} already present (${expected.algorithm} verified)`);
    return { file: dest, known, downloaded: false };
  }
  const base = o.baseUrl ?? process.env.NST_WEIGHTS_BASE_URL;
  const url = base ? `${base.replace(/\/+$/, '')}/${known.fileName}` : known.url;
  await downloadFile({ url, dest, expected: o.expected ?? known.hash, onProgress: o.onProgress, log: o.log });
  return { file: dest, known, downloaded: true };
}

export interface WeightsListing {
  searched: Array<{ source: string; path: string; exists: boolean; files: string[] }>;
  catalog: Array<KnownWeights & { cached: boolean; path: string }>;
}

/** What `nst weights list` shows: each lookup place and the weight files found there, then the fetchable catalog. */
export function listWeights(option?: string): WeightsListing {
  const searched = lossWeightSearchOrder(option).map((e) => {
    const exists = fs.existsSync(e.path);
    let files: string[] = [];
    if (exists) {
      try {
        files = weightCandidates(undefined, 'auto', [{ source: e.source, path: e.path }]).map((c) => c.file);
      } catch {
        files = [];
      }
    }
    return { source: e.source, path: e.path, exists, files };
  });
  const dir = weightsCacheDir();
  const catalog = KNOWN_WEIGHTS.map((k) => ({ ...k, path: path.join(dir, k.fileName), cached: fs.existsSync(path.join(dir, k.fileName)) }));
  return { searched, catalog };
}
