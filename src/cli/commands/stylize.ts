/**
 * nst stylize --model CKPT INPUT... [--out DIR | -o FILE] [--suffix S] [--max-size N] [--tile N] [--strength x]
 *             [--preserve-color] [--format jpg|png|webp] [--backend B]
 * nst stylize --style PAINTING... [--model ADAIN_CKPT] [--alpha a] [--style-weights w,…] [--style-size N] INPUT...
 *             (arbitrary style, AdaIN: ./stylize-arbitrary.ts; every other option as above)
 *
 * Only argument handling and reporting live here: the options are declared, defaulted and validated once, by the zod
 * schema of src/infer/stylize-options.ts (flags derived by ../options-from-schema.ts); loading is src/infer/model.ts,
 * planning and the per-file loop src/infer/batch.ts, the image maths src/infer/stylize.ts.
 */
import { MultiBar, Presets } from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { expandInputs } from '../../image/expand-inputs';
import { BatchItem, BatchSummary, formatFileLine, formatSummary, isSkipped, planOutputs, stylizeFiles } from '../../infer/batch';
import { DEFAULT_WIDTHS, type NetworkWidths } from '../../infer/memory';
import { memoryBudgetBytes, StylizeCommandOptions, StylizeCommandOptionsInput, StylizeCommandOptionsSchema } from '../../infer/stylize-options';
import { loadStyleModel } from '../../infer/model';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';
import { describeIssues, flagOf } from '../../util/flag-names';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { expandStyles, openArbitraryStylizer } from './stylize-arbitrary';

export type StylizeArgs = BackendArgs &
  ArgsOf<StylizeCommandOptionsInput> & {
    inputs: string[];
    progress?: boolean;
  };

/**
 * The options the user gave, checked and defaulted by the schema once, at the boundary; an error names each flag
 * with the value typed (`--strength 2: must be between 0 and 1`).
 */
export function stylizeOptionsFromArgs(args: StylizeArgs): StylizeCommandOptions {
  const given: Record<string, unknown> = configFromArgs(StylizeCommandOptionsSchema, args);
  const r = StylizeCommandOptionsSchema.safeParse(given);
  if (!r.success) throw new UsageError(describeIssues(r.error, (field) => `${flagOf(field)} ${String(given[field])}`));
  return r.data;
}

function validate(args: StylizeArgs): StylizeCommandOptions {
  const o = stylizeOptionsFromArgs(args);
  if (args.inputs.length === 0) throw new UsageError('name at least one input image, folder or glob');
  if (!o.style?.length && !o.model) throw new UsageError('give --model CKPT (a trained style) or --style IMAGE (any painting, with the AdaIN model)');
  return o;
}

/** Exit code when every input was written. */
export const EXIT_ALL_WRITTEN = 0;
/** Exit code when at least one input was skipped or failed (the others were still written). Usage errors exit 2. */
export const EXIT_SOME_FAILED = 1;

/** Runs the command; returns the exit code (EXIT_SOME_FAILED when some input failed). Exposed for tests. */
export async function runStylize(args: StylizeArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const o = validate(args);
  // Plan everything before loading the model: an overwrite or a typo fails in milliseconds, not after a slow load.
  const inputs = await expandInputs(args.inputs);
  const items = planOutputs(inputs, {
    outDir: o.out,
    outFile: o.output,
    suffix: o.suffix,
    format: o.format,
  });
  const styles = o.style?.length ? await expandStyles(o.style) : undefined;
  let summary: BatchSummary;
  let backendName = '';
  if (items.every(isSkipped)) {
    // Nothing to stylize: account for each input without loading a model.
    summary = await stylizeFiles(() => {
      throw new Error('unreachable: every input is skipped');
    }, items, {}, { onFileDone: (r) => log(formatFileLine(r)) });
  } else {
    const backend = await startBackend(args);
    backendName = ` [${backend.name}]`;
    const model = styles ? await openArbitraryStylizer(o, styles) : await loadStyleModel(o.model!);
    try {
      if ('stylizer' in model) log(`nst: arbitrary style (AdaIN, ${model.source}): ${model.styles.map((s) => `${s.file} ×${s.weight.toFixed(2)}`).join(', ')}`);
      const stylizer = 'stylizer' in model ? model.stylizer : (model.model ?? model.forward);
      summary = await runWithProgress(stylizer, items, o, args.progress !== false, 'stylizer' in model ? DEFAULT_WIDTHS : model.network, log);
    } finally {
      model.dispose();
    }
  }
  log(`${formatSummary(summary)}${backendName}`);
  return summary.failed > 0 ? EXIT_SOME_FAILED : EXIT_ALL_WRITTEN;
}

async function runWithProgress(
  model: Parameters<typeof stylizeFiles>[0],
  items: BatchItem[],
  o: StylizeCommandOptions,
  progress: boolean,
  network: NetworkWidths,
  log: (line: string) => void,
): Promise<BatchSummary> {
  // Bars only on an interactive stderr: one over files when there are several, one over the tiles of a large image.
  // Otherwise the one line per file is the progress.
  const interactive = progress && Boolean(process.stderr.isTTY);
  const bars = interactive
    ? new MultiBar({ stream: process.stderr, format: '{label} [{bar}] {value}/{total} {file}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic)
    : undefined;
  const bar = items.length > 1 ? bars?.create(items.length, 0, { label: 'images', file: '' }) : undefined;
  let tileBar: ReturnType<MultiBar['create']> | undefined;
  // The work between bar updates is synchronous (tfjs), so the bars' timer rarely fires: render explicitly.
  const say = (line: string) => {
    if (!bars) return log(line);
    bars.log(line + '\n');
    bars.update();
  };
  try {
    return await stylizeFiles(
      model,
      items,
      {
        maxSize: o.maxSize,
        tile: o.tile,
        overlap: o.overlap,
        memoryBudgetBytes: memoryBudgetBytes(o),
        tileStats: o.tileStats,
        strength: o.strength,
        strokeScale: o.strokeScale,
        preserveColor: o.preserveColor,
        network,
        quality: o.quality,
      },
      {
        onFileDone: (r, i) => {
          say(formatFileLine(r));
          bar?.update(i + 1, { file: r.input });
          if (tileBar) bars?.remove(tileBar);
          tileBar = undefined;
        },
        onTile: (done, total) => {
          if (!bars || total < 2) return;
          tileBar ??= bars.create(total, 0, { label: 'tiles ', file: '' });
          tileBar.update(done);
          bars.update();
        },
      },
    );
  } finally {
    bars?.stop();
  }
}

/** Flags from the options' schema; only the short aliases, and --style's repetition, are the command line's own. */
const STYLIZE_OPTIONS = optionsFromSchema(StylizeCommandOptionsSchema, {
  model: { alias: 'm' },
  output: { alias: 'o' },
  // Not an array option: that would swallow the inputs after it (`--style painting.jpg photo.jpg`). Repeating the
  // flag collects several styles (configFromArgs makes one a list of one).
  style: { array: false },
});

export const stylizeCommand: CommandModule<object, StylizeArgs> = {
  command: 'stylize <inputs..>',
  describe: 'apply a trained style model to images (files, folders or globs)',
  builder: (y: Argv) =>
    withBackendOption(
      withOptionGroups(
        y.positional('inputs', {
          type: 'string',
          array: true,
          describe: 'image files, folders (every .jpg/.png/.webp/.tif/... below them, sub-folders too) or quoted globs like "photos/**/*.jpg"',
        }),
        STYLIZE_OPTIONS,
        'Stylize options:',
        {
          'Output options:': ['out', 'output', 'suffix', 'format', 'quality'],
          'Arbitrary style (AdaIN) options:': ['style', 'styleWeights', 'alpha', 'styleSize'],
        },
      )
        .option('progress', { type: 'boolean', default: true, describe: 'progress bar on stderr for several files (--no-progress to hide)' })
        .conflicts('out', 'output')
        .example('$0 stylize -m checkpoints/udnie photo.jpg', 'writes photo-stylized.jpg next to photo.jpg')
        .example('$0 stylize -m checkpoints/udnie photos/ --out styled/', 'every image in photos/ into styled/, same names')
        .example('$0 stylize -m checkpoints/udnie "shots/**/*.png" --out styled --suffix -udnie --format webp', 'a glob (quoted), renamed, as webp')
        .example('$0 stylize -m checkpoints/udnie big.jpg -o big-udnie.png --max-size 2048 --strength 0.7 --preserve-color', 'one file, smaller, subtler, original colours')
        .example('$0 stylize -m checkpoints/udnie pano.jpg --out styled --tile 768', 'force 768-px tiles (less memory)')
        .example('$0 stylize --style starry.jpg photo.jpg', 'any painting as the style (AdaIN, the embedded model)')
        .example('$0 stylize --style a.jpg --style b.jpg --style-weights 0.7,0.3 --alpha 0.8 photos/ --out styled', 'a mix of two styles, a little weaker')
        .epilogue(
          'Outputs keep their input names (plus --suffix; with --out, the sub-folders of a folder input too); an input is never overwritten. ' +
            'Every input gets one line: where it was written, or "nst: skipped FILE: why" (missing, empty, undecodable, a folder named like an image, ...); ' +
            'one bad input never stops the others. Exit code: 0 when every input was written, 1 when any was skipped, 2 for a usage error. ' +
            'Two inputs that would get the same output name (photo.gif, photo.tiff) are told apart: the later keeps its own format (tiff/gif/avif) or gets a numbered name (photo-2-stylized.png), and its line says so. ' +
            'Images smaller than the network needs (1x1, 3x5) are padded and cropped back. ' +
            'Large images are processed in overlapping tiles automatically so memory stays bounded (see docs/stylize.md). ' +
            'Alpha is kept (png/webp; jpg is flattened onto white); EXIF orientation is applied, so outputs come out upright.',
        ),
    ) as unknown as Argv<StylizeArgs>,
  handler: handler(async (args: StylizeArgs) => runStylize(args)),
};
