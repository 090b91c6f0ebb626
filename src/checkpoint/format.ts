/**
 * The checkpoint directory layout and `nst.json` schema (documented in docs/checkpoint-format.md).
 *
 *   <dir>/model.json   tfjs layers model: topology + weightsManifest (standard tfjs format, loadable by tfjs)
 *   <dir>/weights.bin  all weights, float32 little-endian, in manifest order
 *   <dir>/nst.json     NstJson below; written last, so a directory without it is never a checkpoint
 *   <dir>/<extra>      files the writer added (optimizer / RNG state, previews …), listed in nst.json `extraFiles`
 */
import { z } from 'zod';
import { NetworkConfigSchema } from '../nets/network';

/** Bump on any change an older nst could misread; loaders refuse versions above the one they know. */
export const CHECKPOINT_FORMAT_VERSION = 1;

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const NST_JSON = 'nst.json';
export const RESERVED_FILES: readonly string[] = [MODEL_JSON, WEIGHTS_BIN, NST_JSON];

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');

/** How the network was trained. Loose: the trainer may add fields; these are the ones others read. */
export const TrainingInfo = z.looseObject({
  styleImage: z.looseObject({ name: z.string(), sha256: Sha256 }),
  /** e.g. 'vgg19-imagenet (relu1_2, relu2_2, relu3_3, relu4_3)'. */
  lossNetwork: z.string(),
  /** Loss weights, e.g. { content: 1, style: 5, tv: 1e-6 }. */
  weights: z.record(z.string(), z.number()),
  /** Optimizer steps completed. */
  steps: z.number().int().nonnegative(),
  /** Last measured loss terms (absent before the first step). */
  finalLosses: z.record(z.string(), z.number()).optional(),
  /** The full training options as given (for resume / reproduction). */
  options: z.record(z.string(), z.unknown()),
  /** Anything else the run measured (time, images/s …). */
  results: z.record(z.string(), z.unknown()).optional(),
});
export type TrainingInfo = z.infer<typeof TrainingInfo>;

/** Where an imported network came from. */
export const SourceInfo = z.looseObject({
  /** 'pytorch-examples' | 'engstrom-deeplearnjs' | … */
  format: z.string(),
  /** The path given to `nst import` (absolute). */
  path: z.string(),
  /** sha256 of the imported file (for a folder: of its manifest.json). */
  sha256: Sha256.optional(),
  importedAt: z.string().optional(),
});
export type SourceInfo = z.infer<typeof SourceInfo>;

export const NstJson = z.looseObject({
  formatVersion: z.number().int().positive(),
  /** The architecture's config: a transformer's (no `arch`) or a texture net's (`arch: 'texture-net'`). */
  network: NetworkConfigSchema,
  training: TrainingInfo.optional(),
  source: SourceInfo.optional(),
  /** ISO 8601. */
  createdAt: z.string(),
  /** nst package version that wrote it. */
  nstVersion: z.string(),
  /** A multi-style network's style names (network.styles of them, in style-index order), e.g. the style images' names. */
  styleNames: z.array(z.string()).optional(),
  /** Extra files in the directory (written by saveCheckpoint's extraFiles). */
  extraFiles: z.array(z.string()).default([]),
});
export type NstJson = z.infer<typeof NstJson>;

/** What a writer supplies; formatVersion, network, nstVersion and extraFiles are filled in by saveCheckpoint. */
export interface CheckpointMetaInput {
  training?: TrainingInfo;
  source?: SourceInfo;
  /** A multi-style network's style names, one per style. */
  styleNames?: string[];
  /** Default: now. */
  createdAt?: string;
}

/** Extra-file names: plain file names, so they cannot escape the directory or shadow the model files. */
export function checkExtraFileName(name: string): string | undefined {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) return `extra file name '${name}' must be a plain file name ([A-Za-z0-9._-], no leading dot)`;
  if (RESERVED_FILES.includes(name)) return `extra file name '${name}' is reserved`;
  return undefined;
}
