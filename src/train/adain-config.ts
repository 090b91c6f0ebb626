/**
 * The arbitrary-style (AdaIN) trainer's configuration: one zod schema, validated once at the boundary and stored whole
 * in every checkpoint, like the per-style trainer's (config.ts). Its loss weights are the shared loss options
 * (src/losses/options.ts); each field's description is also its `nst train-adain --help` line.
 */
import { z } from 'zod';
import { lossOptionsShape } from '../losses/options';
import { parseOrUsageError } from '../util/flag-names';
import { budgetField } from './budget';
import { initFromField } from './init-from';

/** On the normalized AdaIN loss scale (src/losses/adain.ts) both terms start near 1. */
export const ADAIN_DEFAULT_WEIGHTS = { content: 1, style: 2, tv: 0 } as const;

const { contentWeight, styleWeight, lossWeights } = lossOptionsShape({ weights: ADAIN_DEFAULT_WEIGHTS, styleSizeFrom: 'imageSize' });

export const AdainTrainConfigSchema = z
  .object({
    styles: z.array(z.string().min(1)).min(1).describe('style images: folders and/or globs (paintings, textures)'),
    data: z.array(z.string().min(1)).min(1).describe('content photos: folders and/or globs'),
    out: z.string().min(1).describe('output folder: checkpoint/, train-log.jsonl, previews, loss-curve.svg'),
    holdOut: z.array(z.string().min(1)).default([]).describe('style file names kept out of training, to judge styles the decoder never saw'),
    encoderLayer: z
      .enum(['auto', 'relu3_1', 'relu4_1'])
      .default('auto')
      .describe('the encoder tap AdaIN works at; auto = relu4_1 when the VGG19 found has block 4, else relu3_1'),
    width: z.number().positive().max(4).default(1).describe('decoder channel multiplier'),
    contentWeight,
    styleWeight,
    lr: z.number().positive().max(1).default(5e-4).describe('Adam learning rate'),
    lrDecay: z.number().nonnegative().default(5e-5).describe('inverse-time decay: the rate at step t is lr / (1 + decay·t)'),
    batchSize: z.number().int().positive().max(64).default(8).describe('photo–style pairs per step'),
    imageSize: z.number().int().min(32).max(1024).default(256).describe('training crop size in px, for photos and styles alike'),
    minScale: z.number().min(1).max(8).default(1).describe('smallest resize of the shorter side before cropping, × image size'),
    maxScale: z.number().min(1).max(8).default(2).describe('largest resize of the shorter side before cropping, × image size (crops are flipped half the time)'),
    epochs: z.number().positive().default(1).describe('passes over the photos (ignored when --iterations is given)'),
    iterations: z.number().int().positive().optional().describe('total optimizer steps (instead of --epochs)'),
    budget: budgetField,
    initFrom: initFromField,
    checkpointEvery: z.number().int().positive().default(250).describe('steps between checkpoints (always one at the end)'),
    previewEvery: z.number().int().positive().default(250).describe('steps between preview grids and loss-curve updates'),
    seed: z.number().int().nonnegative().default(1).describe('seed for weights, orders and crops'),
    lossWeights,
    lossNet: z.literal('vgg19').default('vgg19').describe('the encoder, which is also the loss network'),
    previewImages: z.array(z.string()).optional().meta({ description: 'photos of the preview grid', defaultDescription: 'the first training photos' }),
    previewStyles: z.array(z.string()).optional().meta({ description: 'styles of the preview grid', defaultDescription: 'held-out styles first' }),
    previewCount: z.number().int().positive().max(8).default(4).describe('photos and styles in the preview grid'),
    prefetch: z.number().int().positive().max(64).default(2).describe('batches decoded ahead of the training step'),
  })
  .strict()
  .refine((c) => c.minScale <= c.maxScale, { message: 'must not exceed --max-scale', path: ['minScale'] });

export type AdainTrainConfig = z.infer<typeof AdainTrainConfigSchema>;
export type AdainTrainConfigInput = z.input<typeof AdainTrainConfigSchema>;

/** Fields a resumed run may change; the rest come from the checkpoint so the run continues as it began. */
export const ADAIN_RESUMABLE_OVERRIDES = ['out', 'epochs', 'iterations', 'budget', 'checkpointEvery', 'previewEvery', 'prefetch'] as const;

export function parseAdainTrainConfig(input: unknown, where = 'AdaIN training config', nameOf: (field: string) => string = (f) => f): AdainTrainConfig {
  return parseOrUsageError(AdainTrainConfigSchema, input, where, nameOf);
}
