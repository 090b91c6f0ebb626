/**
 * Saving and loading nst checkpoints (layout and schema: ./format.ts, docs/checkpoint-format.md).
 *
 *   saveCheckpoint(dir, { model, config, meta, extraFiles? }) -> Promise<NstJson>   atomic; replaces an existing checkpoint
 *   loadCheckpoint(dir)            -> Promise<LoadedCheckpoint>                     { model, config, meta, dir }
 *   readCheckpointMeta(dir)        -> NstJson                                        nst.json only, validated (cheap)
 *   readExtraFile(dir, name)       -> Promise<Buffer | undefined>                    undefined when absent
 *   isCheckpointDir(dir)           -> boolean
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { InputError, UsageError } from '../errors';
import { PACKAGE_ROOT } from '../paths';
import { outputHeadOf } from '../nets/output-head';
import { NetworkConfig, networkWeightSpecs, parseNetworkConfig, styleCountOfConfig } from '../nets/network';
import type { TextureNetConfigInput } from '../nets/texture-net';
import type { TransformerConfigInput } from '../nets/transformer';
import { leftoverSiblings, OLD_MARK, replaceDirAtomic, writeFileDurable } from '../util/atomic-write';
import {
  CHECKPOINT_FORMAT_VERSION,
  checkExtraFileName,
  CheckpointMetaInput,
  MODEL_JSON,
  NST_JSON,
  NstJson,
  SourceInfo,
  TrainingInfo,
  WEIGHTS_BIN,
} from './format';
import { expectKind } from './kind';
import { modelFromFiles, modelToFiles } from './model-artifacts';

export interface SaveCheckpointOptions {
  model: tf.LayersModel;
  /** The config the model was built with (recorded, and checked against the model's weights on load). */
  config: TransformerConfigInput | TextureNetConfigInput | NetworkConfig;
  meta?: CheckpointMetaInput;
  /** Written into the same atomic directory: optimizer state, RNG state, previews … */
  extraFiles?: Record<string, Uint8Array | string>;
}

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  config: NetworkConfig;
  meta: NstJson;
  /** Absolute path of the checkpoint directory. */
  dir: string;
}

let cachedVersion: string | undefined;
export function nstVersion(): string {
  if (!cachedVersion) {
    try {
      cachedVersion = String(JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version);
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

export function isCheckpointDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, NST_JSON));
}

/** `nst train` writes its checkpoint into `OUT/checkpoint/`: accept the run folder wherever a checkpoint is read. */
export const TRAINING_RUN_CHECKPOINT = 'checkpoint';

export function resolveCheckpointDir(dir: string): string {
  const inRun = path.join(dir, TRAINING_RUN_CHECKPOINT);
  return !isCheckpointDir(dir) && isCheckpointDir(inRun) ? inRun : dir;
}

function validateMeta(meta: CheckpointMetaInput, dir: string): void {
  if (meta.training) {
    const r = TrainingInfo.safeParse(meta.training);
    if (!r.success) throw new UsageError(`${dir}: invalid training metadata (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  }
  if (meta.source) {
    const r = SourceInfo.safeParse(meta.source);
    if (!r.success) throw new UsageError(`${dir}: invalid source metadata (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  }
}

/**
 * Writes a checkpoint atomically: into a temp dir beside `dir`, every file fsynced, nst.json last, then renamed into
 * place (an existing checkpoint is renamed away and removed only after). Refuses to replace a non-empty directory
 * that is not a checkpoint.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<NstJson> {
  // The head is recorded as the model has it: the heads add no weights, so a config that names another one (a resumed
  // run whose trainer now defaults to a different head) would otherwise pass every load-time check and mislead.
  const config = { ...parseNetworkConfig(options.config, `${dir}: network config`), output: outputHeadOf(options.model) };
  const meta = options.meta ?? {};
  validateMeta(meta, dir);
  const styleCount = styleCountOfConfig(config);
  if (meta.styleNames && meta.styleNames.length !== styleCount) {
    throw new UsageError(`${dir}: ${meta.styleNames.length} style names for a network of ${styleCount} styles`);
  }
  // A single-style network is written without `styles`, exactly as before multi-style networks existed.
  const { styles, ...network } = { styles: styleCount, ...config };
  const written = await writeCheckpointDir(dir, options.model, {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    network: styles > 1 ? config : network,
    ...(styles > 1 ? { styleNames: meta.styleNames ?? Array.from({ length: styles }, (_, i) => `style ${i}`) } : {}),
    ...(meta.training ? { training: meta.training } : {}),
    ...(meta.source ? { source: meta.source } : {}),
    createdAt: meta.createdAt ?? new Date().toISOString(),
    nstVersion: nstVersion(),
  }, options.extraFiles);
  return { ...written, network: config };
}

/**
 * The atomic write of every kind of checkpoint: into a temp dir beside `dir`, each file fsynced, the extras, nst.json
 * (`meta` plus the extras' names) last, then renamed into place (an existing checkpoint is renamed away and removed
 * only after). Refuses to replace a non-empty directory that is not a checkpoint.
 */
export async function writeCheckpointDir<M extends object>(
  dir: string,
  model: tf.LayersModel,
  meta: M,
  extras: Record<string, Uint8Array | string> = {},
): Promise<M & { extraFiles: string[] }> {
  for (const name of Object.keys(extras)) {
    const problem = checkExtraFileName(name);
    if (problem) throw new UsageError(`${dir}: ${problem}`);
  }
  const nstJson = { ...meta, extraFiles: Object.keys(extras) };
  const files = await modelToFiles(model, WEIGHTS_BIN);
  await replaceDirAtomic(
    dir,
    (temp) => {
      writeFileDurable(path.join(temp, WEIGHTS_BIN), files.weights);
      writeFileDurable(path.join(temp, MODEL_JSON), files.modelJson);
      // Read each value as it is written, so a failing producer aborts the save with nothing replaced.
      for (const name of Object.keys(extras)) writeFileDurable(path.join(temp, name), extras[name]);
      writeFileDurable(path.join(temp, NST_JSON), JSON.stringify(nstJson, null, 2) + '\n');
    },
    (existing) =>
      isCheckpointDir(existing) || (fs.statSync(existing).isDirectory() && fs.readdirSync(existing).length === 0)
        ? undefined
        : `${existing}: exists and is not an nst checkpoint (no ${NST_JSON}); refusing to replace it — choose another path`,
  );
  return nstJson;
}

function missingDirMessage(abs: string): string {
  const backups = leftoverSiblings(abs, OLD_MARK).filter(isCheckpointDir);
  if (backups.length) {
    return `${abs}: checkpoint not found, but a save to it was interrupted; the previous checkpoint is intact at ${backups[0]} — rename it to ${abs}`;
  }
  return `${abs}: checkpoint not found`;
}

/**
 * A checkpoint folder's nst.json, parsed, with a format version this nst reads: what every kind's reader starts from.
 * InputError naming the path for anything unusable (missing folder — or one left by an interrupted save —, a file, no
 * or unreadable nst.json, a version from a newer nst).
 */
export function readRawNstJson(dir: string): { raw: unknown; file: string } {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) throw new InputError(missingDirMessage(abs));
  if (!fs.statSync(abs).isDirectory()) throw new InputError(`${abs}: not a checkpoint directory (it is a file)`);
  const file = path.join(abs, NST_JSON);
  if (!fs.existsSync(file)) throw new InputError(`${abs}: not an nst checkpoint (no ${NST_JSON}; incomplete or not written by nst)`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: unreadable (${(e as Error).message})`);
  }
  const version = (raw as { formatVersion?: unknown })?.formatVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new InputError(`${file}: unknown checkpoint formatVersion ${JSON.stringify(version)} (this nst reads 1..${CHECKPOINT_FORMAT_VERSION})`);
  }
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new InputError(
      `${file}: checkpoint formatVersion ${version} was written by a newer nst; this nst (${nstVersion()}) reads up to ${CHECKPOINT_FORMAT_VERSION} — upgrade nst`,
    );
  }
  return { raw, file };
}

/** Reads and validates nst.json (no model loading): InputError naming the path for anything unusable. */
export function readCheckpointMeta(dir: string): NstJson {
  const { raw, file } = readRawNstJson(dir);
  // An AdaIN checkpoint's `network` is another schema: say which kind it is rather than list schema mismatches.
  expectKind(raw, file, 'transformer');
  const r = NstJson.safeParse(raw);
  if (!r.success) {
    throw new InputError(`${file}: invalid (${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`);
  }
  return r.data;
}

/** Loads a checkpoint: the model (with its weights), its validated network config and metadata. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const abs = path.resolve(resolveCheckpointDir(dir));
  const meta = readCheckpointMeta(abs);
  const config = meta.network;
  if (meta.styleNames && meta.styleNames.length !== styleCountOfConfig(config)) {
    throw new InputError(`${abs}: ${NST_JSON} names ${meta.styleNames.length} styles but its network has ${styleCountOfConfig(config)}`);
  }
  let model: tf.LayersModel;
  try {
    const modelJson = fs.readFileSync(path.join(abs, MODEL_JSON), 'utf8');
    model = await modelFromFiles(modelJson, (file) => {
      const resolved = path.resolve(abs, file);
      if (path.dirname(resolved) !== abs) throw new Error(`weights path '${file}' points outside the checkpoint`);
      return fs.readFileSync(resolved);
    });
  } catch (e) {
    throw new InputError(`${abs}: cannot load the model (${(e as Error).message.split('\n')[0]})`);
  }
  // Names and shapes: a model whose weights differ from what `network` describes would mislead every reader of nst.json.
  const expected = networkWeightSpecs(config).map((w) => `${w.name}[${w.shape}]`).sort();
  const actual = model.weights.map((w) => `${w.originalName}[${w.shape}]`).sort();
  if (expected.join('|') !== actual.join('|')) {
    model.dispose();
    throw new InputError(`${abs}: model.json does not match the network config in ${NST_JSON} (different weights)`);
  }
  const head = outputHeadOf(model);
  if (head !== config.output) {
    model.dispose();
    throw new InputError(`${abs}: model.json has a ${head} output head but ${NST_JSON} says ${config.output}`);
  }
  return { model, config, meta, dir: abs };
}

/** An extra file saved with the checkpoint, or undefined if it has none by that name. */
export async function readExtraFile(dir: string, name: string): Promise<Buffer | undefined> {
  const problem = checkExtraFileName(name);
  if (problem) throw new UsageError(problem);
  const file = path.join(path.resolve(dir), name);
  try {
    return await fs.promises.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${file}: cannot read (${(e as Error).message})`);
  }
}
