/**
 * AdaIN (arbitrary-style) checkpoints: the same directory layout as per-style ones (./format.ts: model.json +
 * weights.bin, nst.json last) with `kind: 'adain'` and the decoder's config as `network`:
 *
 *   { "formatVersion": 1, "kind": "adain", "network": { "encoderLayer": "relu3_1", "width": 1 },
 *     "encoder": { "arch": "vgg19", "preprocessing": "caffe", "description": "…" }, "training": { … }, … }
 *
 *   saveAdainCheckpoint(dir, { model, config, encoder, training?, extraFiles? }) -> Promise<AdainNstJson>
 *   loadAdainCheckpoint(dir)  -> Promise<LoadedAdainCheckpoint>   a per-style checkpoint here is a wrongKindError
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { tf } from '../backend/tf';
import { InputError, UsageError } from '../errors';
import { AdainDecoderConfig, AdainDecoderConfigInput, adainDecoderWeightSpecs, parseAdainDecoderConfig } from '../nets/adain/decoder';
import { nstVersion, readRawNstJson, resolveCheckpointDir, writeCheckpointDir } from './checkpoint';
import { CHECKPOINT_FORMAT_VERSION, MODEL_JSON, NST_JSON } from './format';
import { expectKind } from './kind';
import { modelFromFiles } from './model-artifacts';
import { PACKAGE_ROOT } from '../paths';

/** Where the package's default AdaIN decoder lives (an AdaIN checkpoint folder). */
export function embeddedAdainDecoderDir(): string {
  return path.join(PACKAGE_ROOT, 'assets', 'adain-decoder');
}

/** The frozen encoder the decoder was trained against: inference must use the same weights and preprocessing. */
export const AdainEncoderInfo = z.looseObject({
  arch: z.literal('vgg19'),
  preprocessing: z.enum(['caffe', 'torch']),
  /** The loss network's description line, e.g. "vgg19 (tfjs layers, block1-3) from …". */
  description: z.string().optional(),
});
export type AdainEncoderInfo = z.infer<typeof AdainEncoderInfo>;

/** How the decoder was trained. Loose: the trainer records what it likes; `steps` is the one field others read. */
export const AdainTrainingInfo = z.looseObject({
  steps: z.number().int().nonnegative(),
  weights: z.record(z.string(), z.number()).optional(),
  finalLosses: z.record(z.string(), z.number()).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
export type AdainTrainingInfo = z.infer<typeof AdainTrainingInfo>;

export const AdainNstJson = z.looseObject({
  formatVersion: z.number().int().positive(),
  kind: z.literal('adain'),
  network: AdainDecoderConfig,
  encoder: AdainEncoderInfo,
  training: AdainTrainingInfo.optional(),
  createdAt: z.string(),
  nstVersion: z.string(),
  extraFiles: z.array(z.string()).default([]),
});
export type AdainNstJson = z.infer<typeof AdainNstJson>;

export interface SaveAdainCheckpointOptions {
  model: tf.LayersModel;
  config: AdainDecoderConfigInput | AdainDecoderConfig;
  encoder: AdainEncoderInfo;
  training?: AdainTrainingInfo;
  createdAt?: string;
  extraFiles?: Record<string, Uint8Array | string>;
}

export interface LoadedAdainCheckpoint {
  model: tf.LayersModel;
  config: AdainDecoderConfig;
  meta: AdainNstJson;
  dir: string;
}

const issuesOf = (e: z.ZodError) => e.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** Atomic, like saveCheckpoint: a temp dir beside `dir`, nst.json last, renamed into place. */
export async function saveAdainCheckpoint(dir: string, options: SaveAdainCheckpointOptions): Promise<AdainNstJson> {
  const config = parseAdainDecoderConfig(options.config, `${dir}: decoder config`);
  const encoder = AdainEncoderInfo.safeParse(options.encoder);
  if (!encoder.success) throw new UsageError(`${dir}: invalid encoder metadata (${issuesOf(encoder.error)})`);
  if (options.training) {
    const r = AdainTrainingInfo.safeParse(options.training);
    if (!r.success) throw new UsageError(`${dir}: invalid training metadata (${issuesOf(r.error)})`);
  }
  const nstJson = {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    kind: 'adain' as const,
    network: config,
    encoder: encoder.data,
    ...(options.training ? { training: options.training } : {}),
    createdAt: options.createdAt ?? new Date().toISOString(),
    nstVersion: nstVersion(),
  };
  return writeCheckpointDir(dir, options.model, nstJson, options.extraFiles);
}

/** Reads and validates an AdaIN checkpoint's nst.json; a per-style checkpoint is a wrongKindError. */
export function readAdainCheckpointMeta(dir: string): AdainNstJson {
  const { raw, file } = readRawNstJson(dir);
  expectKind(raw, file, 'adain');
  const r = AdainNstJson.safeParse(raw);
  if (!r.success) throw new InputError(`${file}: invalid (${issuesOf(r.error)})`);
  return r.data;
}

export async function loadAdainCheckpoint(dir: string): Promise<LoadedAdainCheckpoint> {
  const abs = path.resolve(resolveCheckpointDir(dir));
  const meta = readAdainCheckpointMeta(abs);
  let model: tf.LayersModel;
  try {
    model = await modelFromFiles(fs.readFileSync(path.join(abs, MODEL_JSON), 'utf8'), (file) => {
      const resolved = path.resolve(abs, file);
      if (path.dirname(resolved) !== abs) throw new Error(`weights path '${file}' points outside the checkpoint`);
      return fs.readFileSync(resolved);
    });
  } catch (e) {
    throw new InputError(`${abs}: cannot load the decoder (${(e as Error).message.split('\n')[0]})`);
  }
  const expected = adainDecoderWeightSpecs(meta.network).map((w) => `${w.name}[${w.shape}]`).sort();
  const actual = model.weights.map((w) => `${w.originalName}[${w.shape}]`).sort();
  if (expected.join('|') !== actual.join('|')) {
    model.dispose();
    throw new InputError(`${abs}: model.json does not match the decoder config in ${NST_JSON} (different weights)`);
  }
  return { model, config: meta.network, meta, dir: abs };
}
