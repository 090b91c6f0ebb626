/**
 * The arbitrary-style half of `nst stylize` (--style IMAGE…) and of queued stylize jobs (src/queue): which style
 * images, their weights, and the AdaIN model as a FileStylizer for the shared batch loop (./batch.ts). The maths is
 * ./arbitrary/. Not re-exported by ./arbitrary/index.ts: it reads ./stylize-options.ts, which reads that index.
 */
import { InputError } from '../errors';
import type { FileStylizer } from './batch';
import { expandInputs } from '../image/expand-inputs';
import { memoryBudgetBytes as budgetBytes, parseNumberList, type StylizeCommandOptions } from './stylize-options';
import { loadArbitraryModel, StyleStatsCache, styleWeightsFor, stylizeArbitrary } from './arbitrary';

/** The validated options the arbitrary-style half reads. */
export type ArbitraryStylizeOptions = Pick<
  StylizeCommandOptions,
  'model' | 'styleWeights' | 'alpha' | 'styleSize' | 'maxSize' | 'tile' | 'overlap' | 'memoryBudget' | 'strength' | 'preserveColor' | 'strokeScale'
>;

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
export async function openArbitraryStylizer(args: ArbitraryStylizeOptions, styleFiles: string[]): Promise<OpenedArbitrary> {
  // The schema has already refused a --style-weights that is not a list of numbers.
  const weights = styleWeightsFor(styleFiles.length, args.styleWeights === undefined ? undefined : parseNumberList(args.styleWeights));
  const model = await loadArbitraryModel(args.model);
  const cache = new StyleStatsCache(model);
  const styleSize = args.styleSize;
  const memoryBudgetBytes = budgetBytes(args);
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
        strokeScale: args.strokeScale,
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
