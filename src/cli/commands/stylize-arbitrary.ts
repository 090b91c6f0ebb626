/**
 * The arbitrary-style half of `nst stylize` (--style IMAGE…): which style images, their weights, and the AdaIN model
 * as a FileStylizer for the shared batch loop (src/infer/batch.ts). The maths is src/infer/arbitrary/.
 */
import { InputError, UsageError } from '../../errors';
import type { FileStylizer } from '../../infer/batch';
import { expandInputs } from '../../image/expand-inputs';
import { DEFAULT_STYLE_SIZE, loadArbitraryModel, StyleStatsCache, styleWeightsFor, stylizeArbitrary } from '../../infer/arbitrary';

export interface ArbitraryStylizeArgs {
  model?: string;
  style?: string[];
  styleWeights?: string;
  alpha?: number;
  styleSize?: number;
  maxSize?: number;
  tile?: number;
  overlap?: number;
  memoryBudget?: number;
  strength: number;
  preserveColor: boolean;
}

/** Style images named by --style: files, folders of images or globs, in order. A folder with none is an error. */
export async function expandStyles(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    const entries = await expandInputs([arg]);
    const problem = entries.find((e) => e.problem);
    if (problem) throw new InputError(`style ${problem.path}: ${problem.problem}`);
    const files = entries.map((e) => e.path);
    if (files.length === 0) throw new InputError(`style ${arg}: the folder holds no images (jpg, png, webp, tif …)`);
    out.push(...files);
  }
  return out;
}

/** "--style-weights 0.7,0.3" → normalised weights, one per style. */
export function parseStyleWeights(text: string | undefined, count: number): number[] {
  if (text === undefined) return styleWeightsFor(count);
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UsageError(`--style-weights ${text}: give comma-separated numbers, one per --style (e.g. 0.7,0.3)`);
  }
  return styleWeightsFor(count, values);
}

export function validateArbitrary(args: ArbitraryStylizeArgs): void {
  if (args.alpha !== undefined && !(args.alpha >= 0 && args.alpha <= 1)) throw new UsageError(`--alpha ${args.alpha}: must be between 0 and 1`);
  if (args.styleSize !== undefined && !(Number.isInteger(args.styleSize) && args.styleSize >= 32)) {
    throw new UsageError(`--style-size ${args.styleSize}: must be a whole number ≥ 32 (pixels)`);
  }
}

export interface OpenedArbitrary {
  stylizer: FileStylizer;
  /** Style files and their weights, for the log line. */
  styles: Array<{ file: string; weight: number }>;
  source: string;
  dispose(): void;
}

/**
 * Loads the AdaIN model (the embedded default unless --model) and measures every style once, before any content
 * image: a bad style is one error for the whole run, not one per input.
 */
export async function openArbitraryStylizer(args: ArbitraryStylizeArgs, styleFiles: string[]): Promise<OpenedArbitrary> {
  const weights = parseStyleWeights(args.styleWeights, styleFiles.length);
  const model = await loadArbitraryModel(args.model);
  const cache = new StyleStatsCache(model);
  const styleSize = args.styleSize ?? DEFAULT_STYLE_SIZE;
  const memoryBudgetBytes = args.memoryBudget !== undefined ? args.memoryBudget * 1024 ** 2 : undefined;
  try {
    for (const f of styleFiles) await cache.get(f, styleSize, memoryBudgetBytes);
  } catch (e) {
    cache.dispose();
    model.dispose();
    throw e;
  }
  const stylizer: FileStylizer = {
    stylizeFile: (input, onTile) =>
      stylizeArbitrary(model, input, styleFiles, {
        styleWeights: weights,
        alpha: args.alpha,
        styleSize,
        preserveColor: args.preserveColor,
        strength: args.strength,
        maxSize: args.maxSize,
        tile: args.tile,
        overlap: args.overlap,
        memoryBudgetBytes,
        cache,
        onTile,
      }),
  };
  return {
    stylizer,
    styles: styleFiles.map((file, i) => ({ file, weight: weights[i] })),
    source: model.source,
    dispose: () => {
      cache.dispose();
      model.dispose();
    },
  };
}
