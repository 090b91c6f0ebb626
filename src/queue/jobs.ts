/**
 * What a queued job carries, checked by the worker with these schemas before any work (a job written by another nst
 * version, or by hand, fails at once with the field named instead of half-way through).
 *
 * Storage: jobs carry *paths*, never image bytes. Every submitter and worker must see the same files at the same
 * absolute paths (one NFS/SMB/CephFS mount, or a Kubernetes ReadWriteMany volume, mounted at the same place
 * everywhere; docs/serve.md, "Queued jobs"). That keeps Redis small (a 24 MP photo is ~10 MB; 10 000 of them would
 * not fit in a Redis node's memory) and lets a retried job re-read its input.
 *
 *   stylize   one input image → one output file (per image; a huge image is tiled inside its worker, bounded by
 *             --memory-budget, with the same tiling as nst stylize)
 *   train     one style image → one checkpoint folder (src/train's train(); a retried job resumes its checkpoint)
 */
import { z } from 'zod';
import { IMAGE_FORMATS } from '../image/image-io';
import { KEPT_FORMATS } from '../image/kept-formats';
import { StylizeCommandOptionsSchema } from '../infer/stylize-options';
import { styleImagesOf, TrainConfigSchema } from '../train/config';

export const JOB_KINDS = ['stylize', 'train'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

const absolutePath = z.string().refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), { error: 'must be an absolute path' });

/** The stylize options of a job: nst stylize's, less where outputs go (the job names its one output itself). */
export const QueuedStylizeOptionsSchema = StylizeCommandOptionsSchema.omit({ out: true, output: true, suffix: true, format: true });
export type QueuedStylizeOptions = z.output<typeof QueuedStylizeOptionsSchema>;

export const StylizeJobSchema = z
  .object({
    kind: z.literal('stylize'),
    /** The submission this job belongs to (nst status groups by it). */
    batch: z.string(),
    input: absolutePath,
    output: absolutePath,
    format: z.enum([...IMAGE_FORMATS, ...KEPT_FORMATS]),
    /** Set when the output name is not the default one (name collisions, as in nst stylize). */
    note: z.string().optional(),
    options: QueuedStylizeOptionsSchema,
  })
  .strict();

export const TrainJobSchema = z
  .object({
    kind: z.literal('train'),
    batch: z.string(),
    /** A complete training config (paths absolute); `out` is this style's run folder. */
    config: TrainConfigSchema,
  })
  .strict();

export const JobDataSchema = z.discriminatedUnion('kind', [StylizeJobSchema, TrainJobSchema]);

export type StylizeJob = z.output<typeof StylizeJobSchema>;
export type TrainJob = z.output<typeof TrainJobSchema>;
export type JobData = z.output<typeof JobDataSchema>;
/** What a submitter stores: defaults may be left to the worker's parse. */
export type JobDataInput = z.input<typeof JobDataSchema>;

/** What a finished job returns (BullMQ stores it as the job's return value). */
export type JobResult =
  | { kind: 'stylize'; input: string; output: string; width: number; height: number; tiles: number; ms: number; worker: string; note?: string }
  | { kind: 'train'; style: string; checkpointDir: string; step: number; totalSteps: number; worker: string };

/** Progress a running job reports: units done of total (tiles of an image, steps of a training run). */
export interface JobProgress {
  done: number;
  total: number;
  unit: 'tiles' | 'steps';
}

/** The input a job is about, for lines and status (its image, or its style image). */
export function jobSubject(data: JobDataInput): string {
  return data.kind === 'stylize' ? data.input : styleImagesOf(data.config).join(', ');
}

export function isJobProgress(p: unknown): p is JobProgress {
  const o = p as Partial<JobProgress> | undefined;
  return typeof o === 'object' && o !== null && typeof o.done === 'number' && typeof o.total === 'number';
}
