/**
 * `nst import` as a library: detect another tool's network format, read it into our transformer, save a checkpoint.
 *
 *   detectImportFormat(path)               -> 'pytorch-examples' | 'engstrom-deeplearnjs'
 *   importNetwork(path)                    -> ImportedNetwork { model, config, source }
 *   importToCheckpoint(path, out, {force}) -> Promise<{ out, format, config }>
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { isCheckpointDir, saveCheckpoint } from '../checkpoint/checkpoint';
import type { TransformerConfig } from '../nets/transformer';
import { ENGSTROM_FORMAT, importEngstrom } from './engstrom';
import { importPytorchExamples, PYTORCH_EXAMPLES_FORMAT } from './pytorch-examples';
import type { ImportedNetwork } from './types';

export type ImportFormat = typeof PYTORCH_EXAMPLES_FORMAT | typeof ENGSTROM_FORMAT;
export type { ImportedNetwork } from './types';
export { importPytorchExamples, configFromTorchStateDict } from './pytorch-examples';
export { importEngstrom, engstromVariableNames } from './engstrom';

export function detectImportFormat(input: string): ImportFormat {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch {
    throw new InputError(`${input}: not found`);
  }
  if (stat.isDirectory()) {
    if (fs.existsSync(path.join(input, 'manifest.json'))) return ENGSTROM_FORMAT;
    throw new InputError(`${input}: folder without manifest.json; give a .pth file or a deeplearn.js/ml5 checkpoint folder`);
  }
  if (path.basename(input) === 'manifest.json') return ENGSTROM_FORMAT;
  const head = Buffer.alloc(4);
  const fd = fs.openSync(input, 'r');
  try {
    fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return PYTORCH_EXAMPLES_FORMAT;
  if (head[0] === 0x80 || /\.(pth|pt)$/i.test(input)) return PYTORCH_EXAMPLES_FORMAT; // the reader explains legacy files
  throw new InputError(`${input}: unknown format; nst import reads PyTorch .pth state_dicts and deeplearn.js/ml5 checkpoint folders`);
}

export function importNetwork(input: string): ImportedNetwork {
  return detectImportFormat(input) === ENGSTROM_FORMAT ? importEngstrom(input) : importPytorchExamples(input);
}

export interface ImportResult {
  out: string;
  format: ImportFormat;
  config: TransformerConfig;
}

/** Imports `input` and saves it as a checkpoint at `out`; an existing checkpoint there is replaced only with force. */
export async function importToCheckpoint(input: string, out: string, options: { force?: boolean } = {}): Promise<ImportResult> {
  const target = path.resolve(out);
  if (fs.existsSync(target) && !options.force) {
    const what = isCheckpointDir(target) ? 'a checkpoint' : 'something';
    throw new UsageError(`${target}: ${what} already exists there; pass --force to replace it, or choose another --out`);
  }
  const net = importNetwork(input);
  try {
    await saveCheckpoint(target, { model: net.model, config: net.config, meta: { source: net.source } });
  } finally {
    net.model.dispose();
  }
  return { out: target, format: net.source.format as ImportFormat, config: net.config };
}
