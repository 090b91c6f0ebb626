/**
 * The training run's configuration: one zod schema, validated once at the boundary (CLI or library caller), stored
 * whole in every checkpoint so a run can be resumed and audited. The loss options are the shared ones
 * (src/losses/options.ts); each field's description is also its `nst train --help` line.
 */
import { z } from 'zod';
import { lossOptionsShape } from '../losses/options';
import { ARCHS } from '../nets/network';
import { OUTPUT_HEADS } from '../nets/output-head';
import { budgetField } from './budget';
import { initFromField } from './init-from';
import { MAX_STYLES } from '../nets/transformer';
import { parseOrUsageError } from '../util/flag-names';

/**
 * Defaults on the normalized loss scale (docs/training.md): each term starts near 1, whatever the style or size.
 * Content weighs twice style because runs here are hundreds to a few thousand steps: at 1 : 5 the network spent them
 * painting style blobs over grey without learning to keep the photo (docs/quality.md), and at 5 : 5 its strokes still
 * left held-out content above a flat grey image's at 300 steps; 10 : 5 is below it on content and style there
 * (docs/training.md, "Content weight").
 */
/** The output head of new `nst train` runs (measured against the others in docs/training.md, "Output head"). */
export const TRAIN_OUTPUT_HEAD = 'softclip' as const;

export const DEFAULT_WEIGHTS = { content: 10, style: 5, tv: 1 } as const;

export const TrainConfigSchema = z
  .object({
    // One path (every run before multi-style networks stored a string) or several: one network serving each style.
    style: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(MAX_STYLES)])
      .describe('the style image; repeat --style to train one network serving several styles (conditional instance norm)'),
    addStyle: z
      .string()
      .min(1)
      .optional()
      .describe('with --resume of a multi-style run: learn this one more style by training only its instance-norm γ/β (the rest stays frozen)'),
    data: z.array(z.string().min(1)).min(1).describe('content photos: folders and/or globs (jpg/png/webp)'),
    out: z.string().min(1).describe('output folder: checkpoint/, train-log.jsonl, previews, loss-curve.svg'),
    ...lossOptionsShape({ weights: DEFAULT_WEIGHTS, styleSizeFrom: 'imageSize' }),
    // 4e-3, not Johnson's 1e-3: with the slope-1 softclip head it lowers style, content and palette distance on
    // held-out photos at every milestone to 300 steps at the defaults (docs/training.md, "Learning rate").
    lr: z.number().positive().max(1).default(4e-3).describe('Adam learning rate'),
    // Optional (no default), like head: stored configs parse unchanged, and runs to a few thousand steps keep the
    // constant rate their defaults were measured with.
    lrDecay: z
      .number()
      .nonnegative()
      .optional()
      .meta({ description: 'inverse-time decay for long runs: the rate at step t is lr / (1 + decay·t), e.g. 2e-4 ends an 8-hour run near 1e-3', defaultDescription: '0 (constant)' }),
    // 1, not Johnson's 4: at equal wall-clock (4, 8, 12 minutes at 256²) batch 1's cheaper steps were ahead on held-out
    // style, content and palette at every milestone (docs/training.md, "Convergence per CPU-minute").
    batchSize: z.number().int().positive().max(256).default(1).describe('photos per step'),
    epochs: z.number().positive().default(2).describe('passes over the photos (ignored when --iterations is given)'),
    iterations: z.number().int().positive().optional().describe('total optimizer steps (instead of --epochs)'),
    budget: budgetField,
    initFrom: initFromField,
    checkpointEvery: z.number().int().positive().default(500).describe('steps between checkpoints (always one at the end)'),
    previewEvery: z.number().int().positive().default(100).describe('steps between preview grids and loss-curve updates'),
    imageSize: z.number().int().min(16).max(4096).default(256).describe('training crop size in px (square)'),
    startSize: z.number().int().min(16).max(4096).optional().describe('a curriculum: crops of this size for the first --start-steps steps, then --image-size'),
    startSteps: z.number().int().nonnegative().optional().describe('steps at --start-size before the crops grow to --image-size'),
    width: z.number().positive().max(8).default(1).describe('network channel multiplier: 1 = 32/64/128 channels; 0.5 is ~4x faster'),
    // Optional, like head: configs stored before texture nets existed parse unchanged (and train a transformer).
    arch: z
      .enum(ARCHS)
      .optional()
      .meta({ description: "network: Johnson's transformer, or Ulyanov's multi-scale texture-net (crops a multiple of 16; --width does not apply)", defaultDescription: 'transformer' }),
    // Optional (no default) so that configs stored before these options existed still parse unchanged; a resumed run
    // trains the network its checkpoint holds whatever they say.
    head: z
      .enum(OUTPUT_HEADS)
      .optional()
      .meta({ description: 'output head: softclip/linear start at mid-grey with slope 1, tanh saturates, residual starts at the photo (docs/training.md)', defaultDescription: TRAIN_OUTPUT_HEAD }),
    outputNorm: z.boolean().optional().meta({ description: 'an instance norm after the last conv (as in Engstrom’s networks)', defaultDescription: 'false' }),
    seed: z.number().int().nonnegative().default(1).describe('seed for weights, photo order and crops'),
    crop: z.enum(['random', 'center']).default('random').describe('crop position: random (seeded, per photo and epoch) or the centre'),
    previewImages: z
      .array(z.string())
      .optional()
      .meta({ description: 'photos stylized into the preview grid', defaultDescription: 'the first training photos, centre-cropped' }),
    previewCount: z.number().int().positive().max(16).default(4).describe('photos in the preview grid'),
    prefetch: z.number().int().positive().max(64).default(2).describe('batches decoded ahead of the training step'),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** Fields a resumed run may change; every other field is taken from the checkpoint so the run continues as it began. */
export const RESUMABLE_OVERRIDES = ['out', 'epochs', 'iterations', 'budget', 'checkpointEvery', 'previewEvery', 'prefetch'] as const;

/** Errors name each field as `nameOf` says: the field itself for stored configs, its flag for the CLI (flagOf). */
export function parseTrainConfig(input: unknown, where = 'training config', nameOf: (field: string) => string = (f) => f): TrainConfig {
  return parseOrUsageError(TrainConfigSchema, input, where, nameOf);
}

/** The crop size of a (1-based) step: `startSize` for the first `startSteps` steps of a curriculum, then `imageSize`. */
export function imageSizeAt(config: Pick<TrainConfig, 'imageSize' | 'startSize' | 'startSteps'>, step: number): number {
  return config.startSize !== undefined && step <= (config.startSteps ?? 0) ? config.startSize : config.imageSize;
}

/** The style images of a run, in style-index order (a one-style run may store a plain string). */
export function styleImagesOf(config: Pick<TrainConfig, 'style'>): string[] {
  return typeof config.style === 'string' ? [config.style] : config.style;
}

/** Total optimizer steps of a run over `datasetSize` photos. */
export function totalSteps(config: Pick<TrainConfig, 'iterations' | 'epochs' | 'batchSize'>, datasetSize: number): number {
  return config.iterations ?? Math.max(1, Math.ceil((config.epochs * datasetSize) / config.batchSize));
}
