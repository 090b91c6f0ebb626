/**
 * The options of `nst stylize`, declared once: the CLI derives its flags (name, type, choices, description, the
 * default shown in --help) from this schema (src/cli/options-from-schema.ts) and validates the given values with it.
 *
 * The stylizing fields are the libraries' own (StylizeOptionsSchema, ArbitraryOptionsSchema), so their range checks
 * and messages live there; this adds what a batch of files needs (where outputs go, their format and quality) and the
 * memory budget in MiB, as a user types it. Defaults are the libraries' defaults, so a left-out flag and the flag at
 * its default stylize alike.
 */
import { z } from 'zod';
import { DEFAULT_QUALITY, IMAGE_FORMATS } from '../image/image-io';
import { ArbitraryOptionsSchema, DEFAULT_STYLE_SIZE } from './arbitrary';
import { DEFAULT_MEMORY_BUDGET_BYTES, type NetworkWidths } from './memory';
import { DEFAULT_OVERLAP, DEFAULT_TILE_STATS, StylizeOptionsSchema, type StylizeOptions } from './stylize';

const MIB = 1024 ** 2;
/** Below this the tiles would be mostly overlap; also catches a budget given in bytes or GiB by mistake. */
export const MIN_MEMORY_BUDGET_MIB = 16;

/** "0.7,0.3" → [0.7, 0.3]; undefined when any part is not a number. */
export function parseNumberList(text: string): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  return parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v)) ? undefined : values;
}

const library = StylizeOptionsSchema.shape;
const arbitrary = ArbitraryOptionsSchema.shape;

export const StylizeCommandOptionsSchema = z
  .object({
    model: z
      .string()
      .optional()
      .describe(
        'checkpoint folder written by nst train or nst import, or an .onnx file (nst export; run by ONNX Runtime); ' +
          'with --style: an AdaIN checkpoint (the embedded one if left out)',
      ),
    style: z
      .array(z.string())
      .optional()
      .describe('arbitrary style: stylize like this painting (image file, folder or glob; repeat --style to mix styles) with the AdaIN model'),
    styleWeights: z
      .string()
      .refine((t) => parseNumberList(t) !== undefined, { error: 'give comma-separated numbers, one per --style (e.g. 0.7,0.3)' })
      .optional()
      .describe('with several --style: their mix, comma-separated (e.g. 0.7,0.3)')
      .meta({ defaultDescription: 'equal' }),
    styleIndex: library.styleIndex
      .describe('a multi-style model (nst train with several --style): which of its styles, 0-based')
      .meta({ defaultDescription: '0' }),
    mix: z
      .string()
      .refine((t) => parseNumberList(t) !== undefined, { error: 'give comma-separated numbers, one weight per style of the model (e.g. 0.3,0.7)' })
      .optional()
      .describe("a multi-style model: mix its styles' instance-norm γ/β, one weight per style, comma-separated (e.g. 0.3,0.7; divided by their sum)"),
    alpha: arbitrary.alpha.default(1).describe('with --style: style strength in feature space, 0 = content only … 1 = full style'),
    styleSize: arbitrary.styleSize.default(DEFAULT_STYLE_SIZE).describe('with --style: resize style images to this longest side before measuring them'),
    out: z.string().optional().describe('write outputs into this folder, keeping the input names (+ --suffix)'),
    output: z.string().optional().describe('write the single output to this file (format from its extension)'),
    suffix: z
      .string()
      .optional()
      .describe('appended to each output name')
      .meta({ defaultDescription: 'none with --out, "-stylized" when writing next to the inputs' }),
    format: z.enum(IMAGE_FORMATS).optional().describe('output format').meta({ defaultDescription: "the input's if jpg/png/webp, else png" }),
    maxSize: library.maxSize.describe('downscale so the longest side is at most N px before stylizing (never enlarges)'),
    tile: library.tile
      .describe('process in overlapping tiles of N px; 0 = never tile')
      .meta({ defaultDescription: 'only when the image would not fit the memory budget' }),
    overlap: library.overlap.default(DEFAULT_OVERLAP).describe('pixels shared by neighbouring tiles, cross-faded'),
    memoryBudget: z
      .number({ error: `must be at least ${MIN_MEMORY_BUDGET_MIB} (MiB)` })
      .min(MIN_MEMORY_BUDGET_MIB, { error: `must be at least ${MIN_MEMORY_BUDGET_MIB} (MiB)` })
      .default(DEFAULT_MEMORY_BUDGET_BYTES / MIB)
      .describe('MiB of activations one forward pass may use; larger images are tiled to fit (1024 ≈ 1 MP per pass)'),
    // Shown, not applied: left out, a model without instance-norm layers to gather from (ONNX, a plain function) falls
    // back to per-tile, while an explicit --tile-stats exact for it is an error.
    tileStats: library.tileStats
      .describe("instance-norm statistics of tiles: exact (whole image's, several cheap passes), downscaled (one small pass) or per-tile (what an .onnx model gets)")
      .meta({ defaultDescription: JSON.stringify(DEFAULT_TILE_STATS) }),
    strokeScale: library.strokeScale
      .default(1)
      .describe('larger brush strokes: stylize at 1/N of the size and add the photo’s fine luminance detail back at full size (1 = off)'),
    strength: library.strength.default(1).describe('blend with the original: 0 = unchanged, 1 = fully stylized'),
    preserveColor: library.preserveColor.default(false).describe("keep the input's colours: luminance from the stylized image, chroma (YCbCr) from the input"),
    quality: z
      .number({ error: 'must be a whole number 1–100' })
      .int({ error: 'must be a whole number 1–100' })
      .min(1, { error: 'must be a whole number 1–100' })
      .max(100, { error: 'must be a whole number 1–100' })
      .default(DEFAULT_QUALITY)
      .describe('jpg/webp quality'),
  })
  .strict();

export type StylizeCommandOptionsInput = z.input<typeof StylizeCommandOptionsSchema>;
export type StylizeCommandOptions = z.output<typeof StylizeCommandOptionsSchema>;

/** The budget as the libraries take it. */
export function memoryBudgetBytes(o: Pick<StylizeCommandOptions, 'memoryBudget'>): number {
  return o.memoryBudget * MIB;
}

/** What stylize() (and the per-file loop, which adds the output quality) takes from the options, for a per-style model. */
export function fileStylizeOptions(o: StylizeCommandOptions, network: NetworkWidths): Omit<StylizeOptions, 'onTile'> & { quality: number } {
  return {
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
  };
}
