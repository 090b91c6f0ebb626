/**
 * One stylize job: load (or reuse) its model, stylize the input exactly as `nst stylize` does (src/infer: same
 * options, same tiling, same AdaIN path), and write the output with the one atomic-write helper. The output is
 * therefore idempotent: a retried or duplicated job (a stalled one that its first worker still finished) replaces
 * it with identical bytes, and a worker killed mid-write leaves only a hidden `.NAME.tmp-PID-*` sibling, never a
 * truncated output.
 */
import * as fs from 'fs';
import * as path from 'path';
import { encodeImageToBuffer } from '../image/image-io';
import { encodeKeptFormatToBuffer } from '../image/kept-formats';
import { loadStyleModel } from '../infer/model';
import { openArbitraryStylizer } from '../infer/open-arbitrary';
import { stylize, StylizeResult } from '../infer/stylize';
import { fileStylizeOptions } from '../infer/stylize-options';
import { writeFileAtomic } from '../util/atomic-write';
import type { JobResult, StylizeJob } from './jobs';
import { ModelCache } from './model-cache';

/** A loaded model, as the worker caches it: whole files in, stylized pixels out. */
export interface CachedStylizer {
  stylizeFile(input: string, options: StylizeJob['options'], onTile?: (done: number, total: number) => void): Promise<StylizeResult>;
  dispose(): void;
}

/**
 * The cache key: the checkpoint for a per-style model; for arbitrary style everything the opened stylizer bakes in
 * (styles, their mix, and the options openArbitraryStylizer captures).
 */
export function modelKey(o: StylizeJob['options']): string {
  return o.style?.length ? `adain:${JSON.stringify(o)}` : `model:${o.model}`;
}

async function openStylizer(o: StylizeJob['options']): Promise<CachedStylizer> {
  if (o.style?.length) {
    const opened = await openArbitraryStylizer(o, o.style);
    return { stylizeFile: (input, _o, onTile) => opened.stylizer.stylizeFile(input, onTile), dispose: () => opened.dispose() };
  }
  const loaded = await loadStyleModel(o.model!);
  return {
    stylizeFile: (input, options, onTile) => {
      const { quality: _quality, ...opts } = fileStylizeOptions(options, loaded.network);
      return stylize(loaded.model ?? loaded.forward, input, { ...opts, onTile });
    },
    dispose: () => loaded.dispose(),
  };
}

export async function encodeOutput(out: StylizeResult, format: StylizeJob['format'], quality: number): Promise<Buffer> {
  return format === 'jpg' || format === 'png' || format === 'webp'
    ? encodeImageToBuffer(out, format, { quality })
    : encodeKeptFormatToBuffer(out, format);
}

export async function runStylizeJob(
  job: StylizeJob,
  models: ModelCache<CachedStylizer>,
  worker: string,
  onTile?: (done: number, total: number) => void,
): Promise<JobResult> {
  const o = job.options;
  if (!o.style?.length && !o.model) throw new Error('unreachable: the submitter checks for --model or --style');
  const out = await models.with(modelKey(o), () => openStylizer(o), (m) => m.stylizeFile(job.input, o, onTile));
  const bytes = await encodeOutput(out, job.format, o.quality);
  await fs.promises.mkdir(path.dirname(job.output), { recursive: true });
  writeFileAtomic(job.output, bytes);
  return { kind: 'stylize', input: job.input, output: job.output, width: out.width, height: out.height, tiles: out.tiles, ms: out.ms, worker, note: job.note };
}
