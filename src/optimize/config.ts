/**
 * The options of one per-image optimization (Gatys et al.): one zod schema, validated once at the boundary (CLI or
 * library caller), and written whole into the final-losses file so a result can be reproduced.
 *
 * The loss options mean exactly what they mean for `nst train` (same taps, same loss scales, same default weights):
 * an optimized image and a trained network's output are scored by the same perceptual loss, which is what makes the
 * comparison in bench/optimize.ts meaningful.
 */
import { z } from 'zod';
import { UsageError } from '../errors';
import { imageFormatFromPath } from '../image/image-io';

/**
 * Per-image optimization starts from the photo itself, so it needs no content-heavy start: 1 : 5 gives the Gatys look
 * (docs/optimize.md).
 */
export const DEFAULT_WEIGHTS = { content: 1, style: 5, tv: 1 } as const;

export const OPTIMIZERS = ['adam', 'lbfgs'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Chosen by measurement on a 2-core CPU (docs/optimize.md): L-BFGS reaches a lower loss in the same wall time. */
export const DEFAULT_OPTIMIZER: OptimizerName = 'lbfgs';

/**
 * Adam's step in grey levels per pixel (it normalises by the gradient's RMS, so the loss scale does not matter).
 * For L-BFGS the rate only sizes the first, steepest-descent step (no pixel moves more than `lr` grey levels);
 * afterwards the curvature estimate sets the step.
 */
export const DEFAULT_LR: Record<OptimizerName, number> = { adam: 16, lbfgs: 16 };

export const OptimizeConfigSchema = z
  .object({
    /** The photo whose content is kept. */
    content: z.string().min(1),
    /** The style image. */
    style: z.string().min(1),
    /** Output image file (.png, .jpg or .webp); the final losses go to `<output>.json`. */
    output: z.string().min(1),
    steps: z.number().int().min(1, 'must be at least 1').max(100000).default(200),
    /** Longest side of the optimized image (the content photo is downscaled to it, never enlarged). */
    size: z.number().int().min(16).max(4096).default(256),
    /** Longest side of the style image as the loss network sees it (default: size). */
    styleSize: z.number().int().min(16).max(4096).optional(),
    contentWeight: z.number().nonnegative().default(DEFAULT_WEIGHTS.content),
    styleWeight: z.number().nonnegative().default(DEFAULT_WEIGHTS.style),
    tvWeight: z.number().nonnegative().default(DEFAULT_WEIGHTS.tv),
    /** 'normalized' (default) divides each term by a constant fixed at the start, as nst train does. */
    lossScale: z.enum(['normalized', 'reference']).default('normalized'),
    /** Start from the content photo (converges in far fewer steps) or from seeded uniform noise (Gatys' original). */
    init: z.enum(['content', 'noise']).default('content'),
    optimizer: z.enum(OPTIMIZERS).default(DEFAULT_OPTIMIZER),
    /** Default per optimizer: DEFAULT_LR. */
    lr: z.number().positive().max(1000).optional(),
    /** Keep the content photo's colours: the result's luminance with the photo's chroma (YCbCr), applied on output. */
    preserveColor: z.boolean().default(false),
    styleLayers: z.array(z.string().min(1)).min(1).optional(),
    contentLayer: z.string().min(1).optional(),
    styleLayerWeights: z.record(z.string(), z.number().nonnegative()).optional(),
    /** Write `<output stem>.step-NNNNNN.png` every N steps (0 = never). */
    previewEvery: z.number().int().nonnegative().default(0),
    lossNet: z.enum(['auto', 'vgg16', 'vgg19', 'mobilenetv2']).default('auto'),
    lossWeights: z.string().min(1).optional(),
    /** Seeds the noise initialisation. */
    seed: z.number().int().nonnegative().default(1),
  })
  .strict();

export type OptimizeConfig = z.infer<typeof OptimizeConfigSchema>;
export type OptimizeConfigInput = z.input<typeof OptimizeConfigSchema>;

/** camelCase field → the CLI flag that sets it, so an error names what the user typed. */
function flagOf(field: string): string {
  return field === 'output' ? '-o/--output' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function parseOptimizeConfig(input: unknown): OptimizeConfig {
  const r = OptimizeConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues
      .map((i) => `${i.path.length ? flagOf(String(i.path[0])) + (i.path.length > 1 ? `.${i.path.slice(1).join('.')}` : '') : '(options)'}: ${i.message}`)
      .join('; ');
    throw new UsageError(`nst optimize: ${issues}`);
  }
  const config = r.data;
  if (!imageFormatFromPath(config.output)) {
    throw new UsageError(`-o ${config.output}: unknown image extension: name the output .png, .jpg or .webp`);
  }
  return config;
}

export function learningRateOf(config: Pick<OptimizeConfig, 'lr' | 'optimizer'>): number {
  return config.lr ?? DEFAULT_LR[config.optimizer];
}
