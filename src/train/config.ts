/**
 * The training run's configuration: one zod schema, validated once at the boundary (CLI or library caller), stored
 * whole in every checkpoint so a run can be resumed and audited.
 */
import { z } from 'zod';
import { UsageError } from '../errors';

/**
 * Defaults on the normalized loss scale (docs/training.md): each term starts near 1, whatever the style or size.
 * Content is weighted like style because runs here are hundreds to a few thousand steps: at 1 : 5 the network spent
 * them painting style blobs over grey without learning to keep the photo (measured in docs/quality.md).
 */
export const DEFAULT_WEIGHTS = { content: 5, style: 5, tv: 1 } as const;

export const TrainConfigSchema = z
  .object({
    /** Style image file. */
    style: z.string().min(1),
    /** Folders and/or globs of content photos (jpg/png/webp). */
    data: z.array(z.string().min(1)).min(1),
    /** Output folder: checkpoint, log, previews, loss curve. */
    out: z.string().min(1),
    contentWeight: z.number().nonnegative().default(DEFAULT_WEIGHTS.content),
    styleWeight: z.number().nonnegative().default(DEFAULT_WEIGHTS.style),
    tvWeight: z.number().nonnegative().default(DEFAULT_WEIGHTS.tv),
    /** Loss-network taps; omitted = the defaults, mapped onto what the loss network has (and said so). */
    styleLayers: z.array(z.string().min(1)).min(1).optional(),
    contentLayer: z.string().min(1).optional(),
    /** Extra weight per style layer (default 1 each). */
    styleLayerWeights: z.record(z.string(), z.number().nonnegative()).optional(),
    /** 'normalized' (default) divides each term by a constant fixed at the start; 'reference' is the PyTorch fixture scale. */
    lossScale: z.enum(['normalized', 'reference']).default('normalized'),
    lr: z.number().positive().max(1).default(1e-3),
    batchSize: z.number().int().positive().max(256).default(4),
    /** Passes over the data; ignored when `iterations` is given. */
    epochs: z.number().positive().default(2),
    /** Total optimizer steps (overrides epochs). */
    iterations: z.number().int().positive().optional(),
    checkpointEvery: z.number().int().positive().default(500),
    previewEvery: z.number().int().positive().default(100),
    /** Training crop size (square). */
    imageSize: z.number().int().min(16).max(4096).default(256),
    /** Longest side of the style image as the loss network sees it (default: imageSize). */
    styleSize: z.number().int().min(16).max(4096).optional(),
    /** Transformer channel multiplier (1 = 32/64/128 channels). */
    width: z.number().positive().max(8).default(1),
    seed: z.number().int().nonnegative().default(1),
    /** Loss network: a VGG found by search (auto: VGG, else the MobileNetV2 fallback with a warning), or one forced. */
    lossNet: z.enum(['auto', 'vgg16', 'vgg19', 'mobilenetv2']).default('auto'),
    /** Loss-network weights file or folder (else NST_LOSS_WEIGHTS, then the cache). */
    lossWeights: z.string().min(1).optional(),
    crop: z.enum(['random', 'center']).default('random'),
    /** Photos stylized into the preview grid (default: the first few training photos, centre-cropped). */
    previewImages: z.array(z.string()).optional(),
    previewCount: z.number().int().positive().max(16).default(4),
    /** Batches decoded ahead of the training step. */
    prefetch: z.number().int().positive().max(64).default(2),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** Fields a resumed run may change; every other field is taken from the checkpoint so the run continues as it began. */
export const RESUMABLE_OVERRIDES = ['out', 'epochs', 'iterations', 'checkpointEvery', 'previewEvery', 'prefetch'] as const;

export function parseTrainConfig(input: unknown, where = 'training config'): TrainConfig {
  const r = TrainConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UsageError(`${where}: ${issues}`);
  }
  return r.data;
}

/** Total optimizer steps of a run over `datasetSize` photos. */
export function totalSteps(config: Pick<TrainConfig, 'iterations' | 'epochs' | 'batchSize'>, datasetSize: number): number {
  return config.iterations ?? Math.max(1, Math.ceil((config.epochs * datasetSize) / config.batchSize));
}
