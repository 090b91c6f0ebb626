/**
 * Many files: plan where each output goes, and stylize them one by one so that every input is accounted for by one
 * result (written, or skipped with the reason) and no single input stops the batch. Used by `nst stylize`; usable on
 * its own. Inputs come from src/image/expand-inputs.ts (files, folders, globs), the expander training uses too.
 *
 *   planOutputs(inputs, target)               -> BatchItem[]   an OutputPlan per input, or a SkippedInput saying why
 *   stylizeFiles(model, items, options, on?)  -> Promise<BatchSummary>
 *   formatFileLine(result), formatSummary(summary)
 */
import * as path from 'path';
import { NstError, UsageError } from '../errors';
import { ExpandedInput } from '../image/expand-inputs';
import { encodeImage, ImageFormat, imageFormatFromPath } from '../image/image-io';
import { encodeKeptFormat, KeptFormat, keptFormatFromPath } from '../image/kept-formats';
import { stylize, StyleModel, StylizeOptions, StylizeResult } from './stylize';

export interface OutputTarget {
  /** Write every output into this folder (created if needed); files found in a folder argument keep their sub-folders. */
  outDir?: string;
  /** Write the single output to this file (only with one input). */
  outFile?: string;
  /** Appended to the base name (default: '' with outDir, '-stylized' when writing beside the input). */
  suffix?: string;
  /** Output format; default: from outFile's extension, else the input's if jpg/png/webp, else png. */
  format?: ImageFormat;
}

/** jpg/png/webp, or an input's own tiff/gif/avif kept to tell two same-named inputs apart. */
export type OutputFormat = ImageFormat | KeptFormat;

export interface OutputPlan {
  input: string;
  output: string;
  format: OutputFormat;
  /** Set when the output is not the default name because that name was taken: what happened, for the user. */
  note?: string;
}

/** An input that will not be stylized, and why (one clause; the input is named separately). */
export interface SkippedInput {
  input: string;
  skip: string;
}

export type BatchItem = OutputPlan | SkippedInput;

export function isSkipped(item: BatchItem): item is SkippedInput {
  return 'skip' in item;
}

export const DEFAULT_SUFFIX = '-stylized';

const EXTENSION: Record<ImageFormat, string> = { jpg: '.jpg', png: '.png', webp: '.webp' };

/**
 * Decides every output path before any work. The rules, in order:
 * - an output is never an input: an input whose own output would be itself is skipped (and if that is every input,
 *   the options are wrong: UsageError);
 * - the first input to want a name gets it; a later one whose default name is taken (by an earlier input's output,
 *   or by another input) keeps its own format if sharp can write it (photo.tiff beside photo.gif, both otherwise
 *   photo.png), else gets a numbered name (photo-2-stylized.png), never one another input would get by default;
 * - problems found while expanding (a folder named x.jpg, a glob matching nothing) become SkippedInputs, in place.
 */
export function planOutputs(inputs: ReadonlyArray<string | ExpandedInput>, target: OutputTarget): BatchItem[] {
  if (target.outFile && target.outDir) throw new UsageError('give either --out DIR or -o FILE, not both');
  const entries: ExpandedInput[] = inputs.map((i) => (typeof i === 'string' ? { path: i } : i));
  const files = entries.filter((e) => !e.problem);
  if (target.outFile && files.length > 1) {
    throw new UsageError(`-o FILE takes exactly one input, got ${files.length}: use --out DIR for several`);
  }
  const suffix = target.suffix ?? (target.outDir ? '' : DEFAULT_SUFFIX);
  const nameFor = (e: ExpandedInput, ext: string, n?: number): string => {
    const folder = target.outDir
      ? path.join(target.outDir, e.base ? path.relative(e.base, path.dirname(e.path)) : '')
      : path.dirname(e.path);
    return path.join(folder, `${path.basename(e.path, path.extname(e.path))}${n ? `-${n}` : ''}${suffix}${ext}`);
  };
  const defaultPlan = (e: ExpandedInput): OutputPlan => {
    if (target.outFile) {
      const format = target.format ?? imageFormatFromPath(target.outFile);
      if (!format) throw new UsageError(`${target.outFile}: unknown output extension: use .jpg, .png or .webp (or --format)`);
      return { input: e.path, output: target.outFile, format };
    }
    const format = target.format ?? imageFormatFromPath(e.path) ?? 'png';
    return { input: e.path, output: nameFor(e, EXTENSION[format]), format };
  };

  // Names that differ only in case are one file on macOS' and Windows' default filesystems: kept apart everywhere,
  // so a batch that works here does not silently overwrite its own outputs there.
  const key = (f: string) => path.resolve(f).toLowerCase();
  const inputKeys = new Map(files.map((e) => [key(e.path), e.path]));
  const defaults = new Map(files.map((e) => [e, defaultPlan(e)]));
  const selfOverwrites = files.filter((e) => key(defaults.get(e)!.output) === key(e.path));
  const refusal = (e: ExpandedInput) =>
    `refusing to overwrite the input ${e.path}: choose another ${target.outFile ? '-o file' : '--out folder'} or --suffix`;
  if (selfOverwrites.length > 0 && selfOverwrites.length === files.length) throw new UsageError(refusal(selfOverwrites[0]));
  // Names other inputs get by default are off limits to a renamed one, so renaming never starts a chain of collisions.
  const reserved = new Set([...defaults.values()].map((p) => key(p.output)));
  const claimed = new Map<string, string>();
  const isFree = (f: string) => !claimed.has(key(f)) && !inputKeys.has(key(f)) && !reserved.has(key(f));

  const choose = (e: ExpandedInput): OutputPlan => {
    const plan = defaults.get(e)!;
    const k = key(plan.output);
    const holder = claimed.get(k) ?? inputKeys.get(k);
    if (holder === undefined) return plan;
    const why = `${plan.output} is ${claimed.has(k) ? `taken by ${holder}` : `the input ${holder}`}`;
    const kept = target.format ? undefined : keptFormatFromPath(e.path);
    const keptName = nameFor(e, path.extname(e.path));
    if (kept && isFree(keptName)) return { input: e.path, output: keptName, format: kept, note: `kept ${kept}: ${why}` };
    const ext = EXTENSION[plan.format as ImageFormat];
    let n = 2;
    while (!isFree(nameFor(e, ext, n))) n++;
    return { ...plan, output: nameFor(e, ext, n), note: `renamed: ${why}` };
  };
  // Inputs whose default output keeps their own format (photo.png -> photo.png) claim first, so a converted
  // neighbour (photo.gif -> photo.png) is the one that moves aside.
  const keepsExtension = (e: ExpandedInput) => imageFormatFromPath(e.path) === defaults.get(e)!.format;
  const runnable = files.filter((e) => !selfOverwrites.includes(e));
  const chosen = new Map<ExpandedInput, OutputPlan>();
  for (const e of [...runnable.filter(keepsExtension), ...runnable.filter((e) => !keepsExtension(e))]) {
    const plan = choose(e);
    claimed.set(key(plan.output), e.path);
    chosen.set(e, plan);
  }
  return entries.map((e): BatchItem => {
    if (e.problem) return { input: e.path, skip: e.problem };
    return chosen.get(e) ?? { input: e.path, skip: refusal(e).replace(`the input ${e.path}`, 'itself') };
  });
}

export interface FileResult {
  input: string;
  /** Where it was (to be) written; absent when the input was skipped before planning an output. */
  plan?: OutputPlan;
  ok: boolean;
  /** One line naming the file, when it failed or was skipped. */
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

/** The reason as one line that names the input (most InputErrors already start with the file's path). */
function describeFailure(input: string, e: unknown): string {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  const reason = e instanceof NstError ? first : `internal error, please report it (${first})`;
  return reason.includes(input) ? reason : `${input}: ${reason}`;
}

async function writeOutput(out: StylizeResult, plan: OutputPlan, quality: number | undefined): Promise<void> {
  try {
    if (plan.format === 'jpg' || plan.format === 'png' || plan.format === 'webp') {
      await encodeImage(out, plan.output, { format: plan.format, quality });
    } else {
      await encodeKeptFormat(out, plan.output, plan.format);
    }
  } catch (e) {
    if (e instanceof NstError) throw e;
    throw new NstError(`${plan.output}: cannot write (${(e as Error).message.split('\n')[0]})`);
  }
}

/**
 * Stylizes each planned file in turn. Every item gives exactly one FileResult, in order: written, or failed with a
 * one-line reason naming the file (a skipped item, an unreadable or undecodable input, a failed write, or anything
 * else that goes wrong with that one image), and the batch goes on.
 */
export async function stylizeFiles(
  model: StyleModel | FileStylizer,
  items: BatchItem[],
  options: Omit<StylizeOptions, 'onTile'> & { quality?: number } = {},
  callbacks: BatchCallbacks = {},
): Promise<BatchSummary> {
  const start = Date.now();
  const results: FileResult[] = [];
  let megapixels = 0;
  const { quality, ...stylizeOptions } = options;
  for (const [i, item] of items.entries()) {
    let r: FileResult;
    if (isSkipped(item)) {
      r = { input: item.input, ok: false, error: `${item.input}: ${item.skip}` };
    } else {
      try {
        const out = isFileStylizer(model)
          ? await model.stylizeFile(item.input, callbacks.onTile)
          : await stylize(model, item.input, { ...stylizeOptions, onTile: callbacks.onTile });
        await writeOutput(out, item, quality);
        megapixels += (out.width * out.height) / 1e6;
        r = { input: item.input, plan: item, ok: true, result: { width: out.width, height: out.height, tiles: out.tiles, ms: out.ms } };
      } catch (e) {
        r = { input: item.input, plan: item, ok: false, error: describeFailure(item.input, e) };
      }
    }
    results.push(r);
    callbacks.onFileDone?.(r, i, items.length);
  }
  const failed = results.filter((r) => !r.ok).length;
  return { results, succeeded: results.length - failed, failed, ms: Date.now() - start, megapixels };
}

/** The one line a file gets: `in -> out (WxH[, N tiles], ms)[; renamed: …]`, or `nst: skipped in: reason`. */
export function formatFileLine(r: FileResult): string {
  if (!r.ok || !r.plan || !r.result) return `nst: skipped ${r.error}`;
  const tiles = r.result.tiles > 1 ? `, ${r.result.tiles} tiles` : '';
  const note = r.plan.note ? `; ${r.plan.note}` : '';
  return `${r.input} -> ${r.plan.output} (${r.result.width}x${r.result.height}${tiles}, ${r.result.ms} ms)${note}`;
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
