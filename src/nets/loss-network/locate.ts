/**
 * Where loss-network weights come from. Each search entry (--loss-weights, NST_LOSS_WEIGHTS, the cache folder, the
 * VGG19 embedded in the package) expands to candidate files; a path the user named explicitly must exist.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../errors';
import { lossWeightsSearchPaths, PACKAGE_ROOT } from '../../paths';
import { KNOWN_WEIGHTS } from './catalog';
import { detectWeightFormat } from './formats/detect';
import { archFromFileName, VggArch } from './vgg-layout';

export interface WeightCandidate {
  /** Which search entry found it: '--loss-weights', 'NST_LOSS_WEIGHTS', 'cache (NST_HOME)', … */
  source: string;
  file: string;
  /** True when the user named this path: failures are then errors, never a silent move to the next candidate. */
  explicit: boolean;
}

/**
 * The VGG19 shipped with the package (blocks 1–3, TensorFlow.js layers; assets/vgg19-block1-3/README.md): the AdaIN
 * encoder, and the loss network whenever the user has installed no other.
 */
export function embeddedLossWeights(): string {
  return path.join(PACKAGE_ROOT, 'assets', 'vgg19-block1-3');
}

export const EMBEDDED_SOURCE = 'embedded (assets)';

/**
 * The full lookup order: the user-configurable places (--loss-weights, NST_LOSS_WEIGHTS, the cache folder; from
 * src/paths.ts), then the embedded VGG19. It comes last so that a complete VGG the user installed always wins over the
 * partial embedded one; the MobileNetV2 fallback is only reached when the package's assets are missing too.
 */
export function lossWeightSearchOrder(option?: string): Array<{ source: string; path: string }> {
  const out = lossWeightsSearchPaths(option);
  const embedded = embeddedLossWeights();
  if (fs.existsSync(path.join(embedded, 'model.json'))) out.push({ source: EMBEDDED_SOURCE, path: embedded });
  return out;
}

const EXPLICIT_SOURCES = new Set(['--loss-weights', 'NST_LOSS_WEIGHTS']);

/** Weight files in a folder, best first: the requested architecture, then known publisher names, then h5/pth/tfjs. */
export function weightFilesIn(dir: string, net: VggArch | 'auto'): string[] {
  const found: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (name.endsWith('.part')) continue;
    const format = detectWeightFormat(full);
    if (!format) continue;
    if (format !== 'tfjs-layers' && !archFromFileName(name)) continue; // an unrelated .h5/.pth
    found.push(full);
  }
  const preferred: VggArch = net === 'auto' ? 'vgg16' : net;
  const rank = (f: string): number => {
    const arch = archFromFileName(path.basename(f));
    const known = KNOWN_WEIGHTS.some((k) => k.fileName === path.basename(f));
    const format = detectWeightFormat(f);
    return (arch === preferred ? 0 : arch === undefined ? 1 : 2) * 100 + (known ? 0 : 10) + (format === 'keras-h5' ? 0 : format === 'torch-pth' ? 1 : 2);
  };
  return found.sort((a, b) => rank(a) - rank(b));
}

export function weightCandidates(
  option: string | undefined,
  net: VggArch | 'auto',
  entries: Array<{ source: string; path: string }> = lossWeightSearchOrder(option),
): WeightCandidate[] {
  const out: WeightCandidate[] = [];
  for (const entry of entries) {
    const explicit = EXPLICIT_SOURCES.has(entry.source);
    if (!fs.existsSync(entry.path)) {
      if (explicit) throw new InputError(`${entry.path} (from ${entry.source}) does not exist: fix the path, or run nst weights fetch vgg16`);
      continue;
    }
    const isDir = fs.statSync(entry.path).isDirectory();
    if (!isDir || detectWeightFormat(entry.path) === 'tfjs-layers') {
      out.push({ source: entry.source, file: entry.path, explicit });
      continue;
    }
    const files = weightFilesIn(entry.path, net);
    if (explicit && files.length === 0) {
      throw new InputError(`${entry.path} (from ${entry.source}) holds no VGG weights (.h5, .pth or model.json): see nst weights list`);
    }
    for (const file of files) out.push({ source: entry.source, file, explicit });
  }
  return out;
}
