/**
 * nst stylize --model CKPT INPUT... [--out DIR | -o FILE] [--suffix S] [--max-size N] [--tile N] [--strength x]
 *             [--preserve-color] [--format jpg|png|webp] [--backend B]
 * nst stylize --style PAINTING... [--model ADAIN_CKPT] [--alpha a] [--style-weights w,…] [--style-size N] INPUT...
 *             (arbitrary style, AdaIN: ./stylize-arbitrary.ts; every other option as above)
 *
 * Only argument handling and reporting live here: loading is src/infer/model.ts, planning and the per-file loop
 * src/infer/batch.ts, the image maths src/infer/stylize.ts.
 */
import { MultiBar, Presets } from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { expandInputs } from '../../image/expand-inputs';
import { BatchItem, BatchSummary, formatFileLine, formatSummary, isSkipped, planOutputs, stylizeFiles } from '../../infer/batch';
import { IMAGE_FORMATS, ImageFormat } from '../../image/image-io';
import { DEFAULT_WIDTHS, type NetworkWidths } from '../../infer/memory';
import { TILE_STATS_METHODS, TileStatsMethod } from '../../infer/stylize';
import { loadStyleModel } from '../../infer/model';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';
import { expandStyles, openArbitraryStylizer, validateArbitrary } from './stylize-arbitrary';

export interface StylizeArgs extends BackendArgs {
  model?: string;
  style?: string[];
  styleWeights?: string;
  /** Defaults to 1 (yargs sets it; library callers may omit it). */
  alpha?: number;
  styleSize?: number;
  inputs: string[];
  out?: string;
  output?: string;
  suffix?: string;
  maxSize?: number;
  tile?: number;
  overlap?: number;
  memoryBudget?: number;
  tileStats?: TileStatsMethod;
  strength: number;
  preserveColor: boolean;
  format?: string;
  quality?: number;
  progress: boolean;
}

function checkNumber(name: string, v: number | undefined, ok: (n: number) => boolean, what: string): void {
  if (v !== undefined && (!Number.isFinite(v) || !ok(v))) throw new UsageError(`--${name} ${v}: must be ${what}`);
}

/** Validates the numeric options once, at the boundary, with messages that name the option. */
function validate(args: StylizeArgs): void {
  checkNumber('max-size', args.maxSize, (n) => Number.isInteger(n) && n >= 1, 'a positive whole number of pixels');
  checkNumber('tile', args.tile, (n) => Number.isInteger(n) && (n === 0 || n >= 16), 'a whole number ≥ 16 (or 0: never tile)');
  checkNumber('overlap', args.overlap, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
  checkNumber('memory-budget', args.memoryBudget, (n) => n >= 16, 'at least 16 (MiB)');
  checkNumber('strength', args.strength, (n) => n >= 0 && n <= 1, 'between 0 and 1');
  checkNumber('quality', args.quality, (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number 1–100');
  if (args.inputs.length === 0) throw new UsageError('name at least one input image, folder or glob');
  if (args.style?.length) validateArbitrary(args);
  else if (!args.model) throw new UsageError('give --model CKPT (a trained style) or --style IMAGE (any painting, with the AdaIN model)');
}

/** Exit code when every input was written. */
export const EXIT_ALL_WRITTEN = 0;
/** Exit code when at least one input was skipped or failed (the others were still written). Usage errors exit 2. */
export const EXIT_SOME_FAILED = 1;

/** Runs the command; returns the exit code (EXIT_SOME_FAILED when some input failed). Exposed for tests. */
export async function runStylize(args: StylizeArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  validate(args);
  // Plan everything before loading the model: an overwrite or a typo fails in milliseconds, not after a slow load.
  const inputs = await expandInputs(args.inputs);
  const items = planOutputs(inputs, {
    outDir: args.out,
    outFile: args.output,
    suffix: args.suffix,
    format: args.format as ImageFormat | undefined,
  });
  const styles = args.style?.length ? await expandStyles(args.style) : undefined;
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
    const model = styles ? await openArbitraryStylizer(args, styles) : await loadStyleModel(args.model!);
    try {
      if ('stylizer' in model) log(`nst: arbitrary style (AdaIN, ${model.source}): ${model.styles.map((s) => `${s.file} ×${s.weight.toFixed(2)}`).join(', ')}`);
      const stylizer = 'stylizer' in model ? model.stylizer : (model.model ?? model.forward);
      summary = await runWithProgress(stylizer, items, args, 'stylizer' in model ? DEFAULT_WIDTHS : model.network, log);
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
  args: StylizeArgs,
  network: NetworkWidths,
  log: (line: string) => void,
): Promise<BatchSummary> {
  // Bars only on an interactive stderr: one over files when there are several, one over the tiles of a large image.
  // Otherwise the one line per file is the progress.
  const interactive = args.progress && Boolean(process.stderr.isTTY);
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
        maxSize: args.maxSize,
        tile: args.tile,
        overlap: args.overlap,
        memoryBudgetBytes: args.memoryBudget !== undefined ? args.memoryBudget * 1024 ** 2 : undefined,
        tileStats: args.tileStats,
        strength: args.strength,
        preserveColor: args.preserveColor,
        network,
        quality: args.quality,
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

const FORMAT_CHOICES: readonly string[] = IMAGE_FORMATS;

export const stylizeCommand: CommandModule<object, StylizeArgs> = {
  command: 'stylize <inputs..>',
  describe: 'apply a trained style model to images (files, folders or globs)',
  builder: (y: Argv) =>
    withBackendOption(
      y
        .positional('inputs', {
          type: 'string',
          array: true,
          describe: 'image files, folders (every .jpg/.png/.webp/.tif/... below them, sub-folders too) or quoted globs like "photos/**/*.jpg"',
        })
        .option('model', {
          alias: 'm',
          type: 'string',
          describe:
            'checkpoint folder written by nst train or nst import, or an .onnx file (nst export; run by ONNX Runtime); ' +
            'with --style: an AdaIN checkpoint (default: the embedded one)',
        })
        .option('style', {
          // Not `array: true`: that would swallow the inputs after it (`--style painting.jpg photo.jpg`). Repeating
          // the flag collects several styles.
          type: 'string',
          describe: 'arbitrary style: stylize like this painting (image file, folder or glob; repeat --style to mix styles) with the AdaIN model',
          coerce: (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]),
        })
        .option('style-weights', { type: 'string', describe: 'with several --style: their mix, comma-separated (e.g. 0.7,0.3; default equal)' })
        .option('alpha', { type: 'number', default: 1, describe: 'with --style: style strength in feature space, 0 = content only … 1 = full style' })
        .option('style-size', { type: 'number', describe: 'with --style: resize style images to this longest side before measuring them (default 512)' })
        .option('out', { type: 'string', describe: 'write outputs into this folder, keeping the input names (+ --suffix)' })
        .option('output', { alias: 'o', type: 'string', describe: 'write the single output to this file (format from its extension)' })
        .option('suffix', {
          type: 'string',
          describe: `appended to each output name (default: none with --out, "-stylized" when writing next to the inputs)`,
        })
        .option('format', { type: 'string', choices: FORMAT_CHOICES, describe: 'output format (default: the input\'s if jpg/png/webp, else png)' })
        .option('max-size', { type: 'number', describe: 'downscale so the longest side is at most N px before stylizing (never enlarges)' })
        .option('tile', {
          type: 'number',
          describe: 'process in overlapping tiles of N px (default: automatic, only when the image would not fit the memory budget; 0 = never tile)',
        })
        .option('overlap', { type: 'number', describe: 'pixels shared by neighbouring tiles, cross-faded (default 64)' })
        .option('memory-budget', {
          type: 'number',
          describe: 'MiB of activations one forward pass may use; larger images are tiled to fit (default 1024, ≈ 1 MP per pass)',
        })
        .option('tile-stats', {
          choices: TILE_STATS_METHODS,
          describe: "instance-norm statistics of tiles: exact (whole image's, several cheap passes), downscaled (one small pass) or per-tile (default exact)",
        })
        .option('strength', { type: 'number', default: 1, describe: 'blend with the original: 0 = unchanged, 1 = fully stylized' })
        .option('preserve-color', {
          type: 'boolean',
          default: false,
          describe: "keep the input's colours: luminance from the stylized image, chroma (YCbCr) from the input",
        })
        .option('quality', { type: 'number', describe: 'jpg/webp quality 1–100 (default 92)' })
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
