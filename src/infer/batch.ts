/**
 * Many files: expand inputs (files, folders, globs), plan where each output goes, and stylize them one by one so a
 * bad file is reported and skipped instead of stopping the batch. Used by `nst stylize`; usable on its own.
 *
 *   expandInputs(args)                        -> Promise<string[]>
 *   planOutputs(inputs, target)               -> OutputPlan[]      (throws UsageError before any work if an output
 *                                                                   would overwrite an input or two outputs collide)
 *   stylizeFiles(model, plans, options, on?)  -> Promise<BatchSummary>
 */
import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';
import { InputError, NstError, UsageError } from '../errors';
import { encodeImage, IMAGE_EXTENSIONS, ImageFormat, imageFormatFromPath } from '../image/image-io';
import { stylize, StyleModel, StylizeOptions, StylizeResult } from './stylize';

/**
 * Files to process, in argument order, without duplicates: a folder contributes its image files (by extension, not
 * recursive, sorted), a glob its matches, anything else is taken as a file path as given, even when it does not exist,
 * so that stylizeFiles reports it by name like any other unreadable input.
 */
export async function expandInputs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const key = path.resolve(f);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(f);
    }
  };
  for (const arg of args) {
    const stat = fs.statSync(arg, { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      const exts = IMAGE_EXTENSIONS.map((e) => e.slice(1)).join(',');
      const files = await fg(`*.{${exts}}`, { cwd: arg, caseSensitiveMatch: false, onlyFiles: true });
      files.sort().forEach((f) => add(path.join(arg, f)));
    } else if (!stat && fg.isDynamicPattern(arg)) {
      const files = await fg(arg, { onlyFiles: true, caseSensitiveMatch: false });
      if (files.length === 0) throw new UsageError(`${arg}: the pattern matches no files`);
      files.sort().forEach(add);
    } else {
      add(arg);
    }
  }
  return out;
}

export interface OutputTarget {
  /** Write every output into this folder (created if needed). */
  outDir?: string;
  /** Write the single output to this file (only with one input). */
  outFile?: string;
  /** Appended to the base name (default: '' with outDir, '-stylized' when writing beside the input). */
  suffix?: string;
  /** Output format; default: from outFile's extension, else the input's if jpg/png/webp, else png. */
  format?: ImageFormat;
}

export interface OutputPlan {
  input: string;
  output: string;
  format: ImageFormat;
}

export const DEFAULT_SUFFIX = '-stylized';

const EXTENSION: Record<ImageFormat, string> = { jpg: '.jpg', png: '.png', webp: '.webp' };

/** Decides every output path up front, and refuses (before any work) to overwrite an input or to write one file twice. */
export function planOutputs(inputs: string[], target: OutputTarget): OutputPlan[] {
  if (target.outFile && target.outDir) throw new UsageError('give either --out DIR or -o FILE, not both');
  if (target.outFile && inputs.length !== 1) {
    throw new UsageError(`-o FILE takes exactly one input, got ${inputs.length}: use --out DIR for several`);
  }
  const plans = inputs.map((input): OutputPlan => {
    if (target.outFile) {
      const format = target.format ?? imageFormatFromPath(target.outFile);
      if (!format) throw new UsageError(`${target.outFile}: unknown output extension: use .jpg, .png or .webp (or --format)`);
      return { input, output: target.outFile, format };
    }
    const format = target.format ?? imageFormatFromPath(input) ?? 'png';
    const suffix = target.suffix ?? (target.outDir ? '' : DEFAULT_SUFFIX);
    const base = path.basename(input, path.extname(input));
    const folder = target.outDir ?? path.dirname(input);
    return { input, output: path.join(folder, `${base}${suffix}${EXTENSION[format]}`), format };
  });
  const inputKeys = new Set(inputs.map((f) => path.resolve(f)));
  const outputs = new Map<string, string>();
  for (const p of plans) {
    const key = path.resolve(p.output);
    if (inputKeys.has(key)) {
      throw new UsageError(`refusing to overwrite the input ${p.output}: choose another --out folder, -o file or --suffix`);
    }
    const other = outputs.get(key);
    if (other !== undefined) {
      throw new UsageError(`${other} and ${p.input} would both be written to ${p.output}: use --suffix or separate runs`);
    }
    outputs.set(key, p.input);
  }
  return plans;
}

export interface FileResult {
  plan: OutputPlan;
  ok: boolean;
  /** One line naming the file, when it failed. */
  error?: string;
  result?: Pick<StylizeResult, 'width' | 'height' | 'tiles' | 'ms'>;
}

export interface BatchSummary {
  results: FileResult[];
  succeeded: number;
  failed: number;
  /** Wall time of the whole batch including decode and encode, ms. */
  ms: number;
  /** Output megapixels written. */
  megapixels: number;
}

/**
 * A model that stylizes whole files itself (the AdaIN model: it needs the whole image's statistics, not a per-tile
 * forward pass), for stylizeFiles in place of a StyleModel.
 */
export interface FileStylizer {
  stylizeFile(input: string, onTile?: (done: number, total: number) => void): Promise<StylizeResult>;
}

function isFileStylizer(m: StyleModel | FileStylizer): m is FileStylizer {
  return typeof m === 'object' && typeof (m as FileStylizer).stylizeFile === 'function';
}

export interface BatchCallbacks {
  onFileDone?(r: FileResult, index: number, total: number): void;
  onTile?(done: number, total: number): void;
}

/**
 * Stylizes each planned file in turn. A file that cannot be read, decoded or written becomes a failed FileResult with
 * a one-line reason (NstErrors only: a bug still throws), and the batch goes on.
 */
export async function stylizeFiles(
  model: StyleModel | FileStylizer,
  plans: OutputPlan[],
  options: Omit<StylizeOptions, 'onTile'> & { quality?: number } = {},
  callbacks: BatchCallbacks = {},
): Promise<BatchSummary> {
  const start = Date.now();
  const results: FileResult[] = [];
  let megapixels = 0;
  const { quality, ...stylizeOptions } = options;
  for (const [i, plan] of plans.entries()) {
    let r: FileResult;
    try {
      const out = isFileStylizer(model)
        ? await model.stylizeFile(plan.input, callbacks.onTile)
        : await stylize(model, plan.input, { ...stylizeOptions, onTile: callbacks.onTile });
      try {
        await encodeImage(out, plan.output, { format: plan.format, quality });
      } catch (e) {
        if (e instanceof NstError) throw e;
        throw new InputError(`${plan.output}: cannot write (${(e as Error).message.split('\n')[0]})`);
      }
      megapixels += (out.width * out.height) / 1e6;
      r = { plan, ok: true, result: { width: out.width, height: out.height, tiles: out.tiles, ms: out.ms } };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      r = { plan, ok: false, error: e.message };
    }
    results.push(r);
    callbacks.onFileDone?.(r, i, plans.length);
  }
  const failed = results.filter((r) => !r.ok).length;
  return { results, succeeded: results.length - failed, failed, ms: Date.now() - start, megapixels };
}

/** The one-line summary: counts, images per second and milliseconds per megapixel. */
export function formatSummary(s: BatchSummary): string {
  const seconds = s.ms / 1000;
  const perSecond = seconds > 0 ? s.succeeded / seconds : 0;
  const msPerMp = s.megapixels > 0 ? s.ms / s.megapixels : 0;
  const failed = s.failed ? `, ${s.failed} failed` : '';
  return (
    `stylized ${s.succeeded} image${s.succeeded === 1 ? '' : 's'}${failed} in ${seconds.toFixed(1)} s: ` +
    `${perSecond >= 1 ? perSecond.toFixed(2) : perSecond.toPrecision(2)} images/s, ${Math.round(msPerMp)} ms per megapixel`
  );
}
