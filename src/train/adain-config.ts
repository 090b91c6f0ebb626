/**
 * The arbitrary-style (AdaIN) trainer's configuration: one zod schema, validated once at the boundary and stored whole
 * in every checkpoint, like the per-style trainer's (config.ts), whose run fields it shares.
 */
import { z } from 'zod';
import { UsageError } from '../errors';
import { LOSS_NETS } from '../losses/loss-network';

export const AdainTrainConfigSchema = z
  .object({
    /** Folders and/or globs of style images (paintings, textures). */
    styles: z.array(z.string().min(1)).min(1),
    /** Folders and/or globs of content photos. */
    data: z.array(z.string().min(1)).min(1),
    /** Output folder: checkpoint, log, previews, loss curve. */
    out: z.string().min(1),
    /** Style files (base names) kept out of training, to judge how the decoder does on styles it never saw. */
    holdOut: z.array(z.string().min(1)).default([]),
    /** The encoder tap AdaIN works at; auto = relu4_1 when the VGG19 found has block 4, else relu3_1. */
    encoderLayer: z.enum(['auto', 'relu3_1', 'relu4_1']).default('auto'),
    /** Decoder channel multiplier. */
    width: z.number().positive().max(4).default(1),
    /** Normalized loss scale (src/losses/adain.ts): both terms start near 1. */
    contentWeight: z.number().nonnegative().default(1),
    styleWeight: z.number().nonnegative().default(2),
    lr: z.number().positive().max(1).default(5e-4),
    /** Inverse-time decay: the rate at step t is lr / (1 + lrDecay · t) (the reference: 1e-4 and 5e-5). */
    lrDecay: z.number().nonnegative().default(5e-5),
    batchSize: z.number().int().positive().max(64).default(8),
    /** Training crop size (square), for photos and styles alike. */
    imageSize: z.number().int().min(32).max(1024).default(256),
    /** Crops are taken after resizing the shorter side to imageSize × a scale in [minScale, maxScale]; flipped half the time. */
    minScale: z.number().min(1).max(8).default(1),
    maxScale: z.number().min(1).max(8).default(2),
    epochs: z.number().positive().default(1),
    iterations: z.number().int().positive().optional(),
    checkpointEvery: z.number().int().positive().default(250),
    previewEvery: z.number().int().positive().default(250),
    seed: z.number().int().nonnegative().default(1),
    /** Loss-network weights (a VGG19) file or folder; default: the lookup of `nst weights list`, ending at the embedded one. */
    lossWeights: z.string().min(1).optional(),
    lossNet: z.enum(LOSS_NETS).default('vgg19'),
    /** Photos and styles of the preview grid (default: the first few of each, held-out styles first). */
    previewImages: z.array(z.string()).optional(),
    previewStyles: z.array(z.string()).optional(),
    previewCount: z.number().int().positive().max(8).default(4),
    prefetch: z.number().int().positive().max(64).default(2),
  })
  .strict()
  .refine((c) => c.minScale <= c.maxScale, { message: 'minScale must not exceed maxScale', path: ['minScale'] })
  .refine((c) => c.lossNet === 'vgg19' || c.lossNet === 'auto', { message: 'the AdaIN encoder is a VGG19', path: ['lossNet'] });

export type AdainTrainConfig = z.infer<typeof AdainTrainConfigSchema>;
export type AdainTrainConfigInput = z.input<typeof AdainTrainConfigSchema>;

/** Fields a resumed run may change; the rest come from the checkpoint so the run continues as it began. */
export const ADAIN_RESUMABLE_OVERRIDES = ['out', 'epochs', 'iterations', 'checkpointEvery', 'previewEvery', 'prefetch'] as const;

export function parseAdainTrainConfig(input: unknown, where = 'AdaIN training config'): AdainTrainConfig {
  const r = AdainTrainConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UsageError(`${where}: ${issues}`);
  }
  return r.data;
}
