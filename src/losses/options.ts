/**
 * The perceptual-loss options every trainer and `nst optimize` share: one zod shape, composed into each run's schema
 * (TrainConfigSchema, OptimizeConfigSchema), so a loss option is named, validated, defaulted and described in one place.
 * The descriptions are also the CLI help (src/cli/options-from-schema.ts).
 *
 * Only the default weights differ between runs (a trainer needs more content weight than an optimization that starts
 * from the photo), so the shape is made by a factory taking them.
 */
import { z } from 'zod';
import { LOSS_NETS } from './loss-network';
import { DEFAULT_CONTENT_LAYER, DEFAULT_STYLE_LAYERS } from './taps';

export interface LossWeights {
  content: number;
  style: number;
  tv: number;
}

export const LOSS_SCALES = ['normalized', 'reference'] as const;
export type LossScale = (typeof LOSS_SCALES)[number];

export interface LossOptionsDefaults {
  weights: LossWeights;
  /** The field whose value a missing `styleSize` takes (the run's content size: `imageSize`, `size`). */
  styleSizeFrom: string;
}

/**
 * The loss options as object fields, to spread into a run's `z.object({...})`. Field names are stored in checkpoints
 * and loss files: renaming one breaks `--resume` of old runs.
 */
export function lossOptionsShape({ weights, styleSizeFrom }: LossOptionsDefaults) {
  return {
    contentWeight: z
      .number()
      .nonnegative()
      .default(weights.content)
      .describe('content loss weight (normalized scale, see docs/training.md): higher = more of the photo kept'),
    styleWeight: z.number().nonnegative().default(weights.style).describe('style loss weight: higher = more style, less photo'),
    tvWeight: z.number().nonnegative().default(weights.tv).describe('total-variation weight: smooths high-frequency noise'),
    /** Omitted = the defaults, mapped onto what the loss network has (and said so); named taps are never substituted. */
    styleLayers: z
      .array(z.string().min(1))
      .min(1, 'name at least one tap, e.g. relu1_2,relu2_2,relu3_3')
      .optional()
      .meta({ description: 'comma-separated loss-network taps for the style term', list: 'comma', defaultDescription: DEFAULT_STYLE_LAYERS.join(',') }),
    contentLayer: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'loss-network tap for the content term', defaultDescription: DEFAULT_CONTENT_LAYER }),
    /** Extra weight per style layer (default 1 each); library and stored configs only (no flag syntax for a map). */
    styleLayerWeights: z.record(z.string(), z.number().nonnegative()).optional(),
    lossScale: z
      .enum(LOSS_SCALES)
      .default('normalized')
      .describe("normalized divides each term by a constant fixed at the start; reference is the PyTorch fixture's scale"),
    lossNet: z
      .enum(LOSS_NETS)
      .default('auto')
      .describe('loss network: auto = a VGG found by the weights lookup, else the MobileNetV2 fallback (with a warning)'),
    lossWeights: z.string().min(1).optional().describe('loss-network weights file or folder (else NST_LOSS_WEIGHTS, then the cache)'),
    styleSize: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .optional()
      .meta({ description: 'longest side of the style image as the loss network sees it', defaultFrom: styleSizeFrom }),
    /** Optional rather than defaulted, so configs stored before it existed parse unchanged; omitted = 1 level. */
    stylePyramid: z
      .number()
      .int()
      .min(1)
      .max(4)
      .optional()
      .meta({
        description: 'levels of the style term: 2 also matches the style and the output at half size, for shapes larger than the loss network sees (docs/training.md)',
        defaultDescription: '1',
      }),
  };
}

/** The loss options alone, e.g. to validate or document them apart from a run. */
export function lossOptionsSchema(defaults: LossOptionsDefaults) {
  return z.object(lossOptionsShape(defaults)).strict();
}

export type LossOptions = z.infer<ReturnType<typeof lossOptionsSchema>>;

/** The loss options' field names, whatever the defaults (e.g. to group their flags in --help). */
export const LOSS_OPTION_FIELDS = Object.keys(
  lossOptionsShape({ weights: { content: 0, style: 0, tv: 0 }, styleSizeFrom: '' }),
) as Array<keyof ReturnType<typeof lossOptionsShape>>;
