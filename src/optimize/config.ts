/**
 * The options of one per-image optimization (Gatys et al.): one zod schema, validated once at the boundary (CLI or
 * library caller), and written whole into the final-losses file so a result can be reproduced. Each field's
 * description is also its `nst optimize --help` line.
 *
 * The loss options are the ones `nst train` composes (src/losses/options.ts: same taps, same loss scales), so an
 * optimized image and a trained network's output are scored by the same perceptual loss, which is what makes the
 * comparison in bench/optimize.ts meaningful.
 */
import { z } from 'zod';
import { UsageError } from '../errors';
import { imageFormatFromPath } from '../image/image-io';
import { lossOptionsShape } from '../losses/options';
import { flagOf, parseOrUsageError } from '../util/flag-names';

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
    content: z.string().min(1).describe('the photo whose content is kept'),
    style: z.string().min(1).describe('the style image'),
    output: z.string().min(1).describe('output image (.png/.jpg/.webp); the final losses go to <output>.json'),
    steps: z.number().int().min(1, 'must be at least 1').max(100000).default(200).describe('optimizer iterations'),
    size: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .default(256)
      .describe('longest side of the result in px; the photo is downscaled, never enlarged'),
    ...lossOptionsShape({ weights: DEFAULT_WEIGHTS, styleSizeFrom: 'size' }),
    init: z
      .enum(['content', 'noise'])
      .default('content')
      .describe("start from the content photo (converges in far fewer steps) or from seeded noise (Gatys' original)"),
    optimizer: z
      .enum(OPTIMIZERS)
      .default(DEFAULT_OPTIMIZER)
      .describe('lbfgs reaches a lower loss than adam in the same time (measured: docs/optimize.md)'),
    lr: z
      .number()
      .positive()
      .max(1000)
      .optional()
      .meta({
        description: 'adam: grey levels per step; lbfgs: largest pixel change of the first step',
        defaultDescription: Object.entries(DEFAULT_LR).map(([k, v]) => `${k} ${v}`).join(', '),
      }),
    preserveColor: z
      .boolean()
      .default(false)
      .describe("keep the photo's colours: the result's luminance with the photo's chroma (YCbCr), applied on output"),
    previewEvery: z.number().int().nonnegative().default(0).describe('write <output stem>.step-NNNNNN.<ext> every N steps (0 = never)'),
    seed: z.number().int().nonnegative().default(1).describe('seed of the noise initialisation'),
  })
  .strict();

export type OptimizeConfig = z.infer<typeof OptimizeConfigSchema>;
export type OptimizeConfigInput = z.input<typeof OptimizeConfigSchema>;

/** The flag the user typed for a field: `output` is usually given as -o. */
const optimizeFlagOf = (field: string): string => (field === 'output' ? '-o/--output' : flagOf(field));

export function parseOptimizeConfig(input: unknown): OptimizeConfig {
  const config = parseOrUsageError(OptimizeConfigSchema, input, 'nst optimize', optimizeFlagOf);
  if (!imageFormatFromPath(config.output)) {
    throw new UsageError(`-o ${config.output}: unknown image extension: name the output .png, .jpg or .webp`);
  }
  return config;
}

export function learningRateOf(config: Pick<OptimizeConfig, 'lr' | 'optimizer'>): number {
  return config.lr ?? DEFAULT_LR[config.optimizer];
}
