/**
 * The training data pipeline: photos from folders or globs → decoded, shorter side resized to `imageSize`, cropped
 * square (random or centre) → batches of NHWC RGB 0..255 float32, decoded ahead of the training step.
 *
 * Order and crops are a pure function of (seed, epoch, position): epoch e visits the files in the order
 * Rng.fromSeed(seed, e).shuffle(files), and the crop of position i uses Rng.fromSeed(seed, e, i). So the state needed
 * to resume exactly is a cursor {epoch, index}, no matter how far the prefetch queue has read ahead.
 */
import * as path from 'path';
import sharp from 'sharp';
import { InputError } from '../errors';
import { expandInputs, IMAGE_EXTENSIONS } from '../image/expand-inputs';
import { decodeImage } from '../image/image-io';
import { Rng } from '../util/rng';

/** The next sample to read: position `index` in epoch `epoch`'s shuffled order. */
export interface DataCursor {
  epoch: number;
  index: number;
}

export type CropMode = 'random' | 'center';

export interface BatchStreamOptions {
  imageSize: number;
  batchSize: number;
  seed: number;
  crop?: CropMode;
  /** Batches decoded ahead of the consumer (default 2). */
  prefetch?: number;
  /** Warnings (one per corrupt file). */
  log?: (line: string) => void;
  /** How one sample is read (default: loadCroppedImage with `crop`); `rng` is the sample's own seeded stream. */
  load?: (file: string, size: number, rng: Rng) => Promise<Float32Array>;
}

export interface Batch {
  /** NHWC RGB 0..255, batchSize × imageSize × imageSize × 3. */
  data: Float32Array;
  shape: [number, number, number, number];
  files: string[];
  /** Where the stream stands once this batch is consumed: save it to resume right after this batch. */
  cursorAfter: DataCursor;
}

export interface DataStats {
  batches: number;
  /** Total time the consumer waited inside next() (ideally ~0: the prefetch queue keeps ahead). */
  waitMs: number;
  /** Total time spent decoding (in the background). */
  decodeMs: number;
  /** Photos that could not be read or decoded (each warned about once), left out of every batch since. */
  skippedFiles: number;
  skippedPaths: string[];
}

/**
 * The training photos of `sources` (files, folders, globs: the rules of src/image/expand-inputs.ts, which nst stylize
 * uses too — folders are searched recursively) as a sorted, de-duplicated list of absolute paths. Sorting makes the
 * list — and so the seeded order — independent of the file system's listing order and of the order of the sources.
 * A source that gives no image (a missing path, a folder named like an image, a glob matching nothing) is a warning,
 * and an error only when no photo at all is found.
 */
export async function listImages(
  sources: string[],
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  flag = '--data',
): Promise<string[]> {
  const found = new Set<string>();
  for (const entry of await expandInputs(sources)) {
    if (entry.problem) log(`nst: warning: ${flag} ${entry.path}: ${entry.problem}`);
    else found.add(path.resolve(entry.path));
  }
  const files = [...found].sort();
  if (files.length === 0) {
    const what = flag === '--data' ? 'training images' : `images for ${flag}`;
    throw new InputError(`no ${what} found in ${sources.map((s) => `'${s}'`).join(', ')}: ${flag} takes folders or globs of ${IMAGE_EXTENSIONS.join(' ')} files`);
  }
  return files;
}

/**
 * Photos more elongated than this are centre-cropped square before resizing: scaling a 1×3000 strip's short side to
 * 256 would first make a 256×768000 image (gigabytes as floats), enough to end a night's run.
 */
export const MAX_TRAINING_ASPECT = 4;

/** Decodes one photo, resizes its shorter side to `size` and crops a size×size square: HWC RGB 0..255. */
export async function loadCroppedImage(file: string, size: number, crop: CropMode, rng?: Rng): Promise<Float32Array> {
  const fit = (await isElongated(file)) ? 'cover' : 'outside';
  const { width, height, rgb } = await decodeImage(file, { resize: { width: size, height: size, fit } });
  const pick = (span: number) => (span <= 0 ? 0 : crop === 'random' && rng ? rng.int(span + 1) : Math.floor(span / 2));
  const x0 = pick(width - size);
  const y0 = pick(height - size);
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const src = ((y0 + y) * width + x0) * 3;
    out.set(rgb.subarray(src, src + size * 3), y * size * 3);
  }
  return out;
}

/** Whether the photo's sides differ by more than MAX_TRAINING_ASPECT (from its header; undecodable: left to decodeImage). */
async function isElongated(file: string): Promise<boolean> {
  try {
    const { width, height } = await sharp(file).metadata();
    return !!width && !!height && Math.max(width, height) > MAX_TRAINING_ASPECT * Math.min(width, height);
  } catch {
    return false;
  }
}

/** The file order of one epoch. */
export function epochOrder(files: readonly string[], seed: number, epoch: number): string[] {
  return Rng.fromSeed(seed, epoch).shuffle(files);
}

/**
 * An endless stream of batches, `prefetch` batches decoded ahead. Batches may span an epoch boundary (the last,
 * partial batch of an epoch is completed from the next epoch), so no photo is ever dropped.
 *
 * A photo that cannot be read or decoded (corrupt, truncated, deleted since listing) is warned about once, counted in
 * stats(), and never tried again by this stream; its place goes to the next position of the order, as if it were not
 * in the list. The batches stay a function of (seed, epoch, position) and of which photos are unreadable, so a run
 * resumed from a cursor meets the same photos — the unreadable ones fail again the same way — and resume stays exact.
 */
export class BatchStream {
  private readonly crop: CropMode;
  private readonly prefetch: number;
  private readonly log: (line: string) => void;
  private readonly orders = new Map<number, string[]>();
  private readonly bad = new Set<string>();
  private queue: Array<Promise<Batch>> = [];
  private lastCursor: Promise<DataCursor>;
  private closed = false;
  private readonly stats_: DataStats = { batches: 0, waitMs: 0, decodeMs: 0, skippedFiles: 0, skippedPaths: [] };

  constructor(
    readonly files: readonly string[],
    private readonly opts: BatchStreamOptions,
    start: DataCursor = { epoch: 0, index: 0 },
  ) {
    if (files.length === 0) throw new InputError('the training data set is empty');
    this.crop = opts.crop ?? 'random';
    this.prefetch = Math.max(1, opts.prefetch ?? 2);
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    this.lastCursor = Promise.resolve(start);
    for (let i = 0; i < this.prefetch; i++) this.enqueue();
  }

  /** The next batch; measures how long the caller had to wait for it. */
  async next(): Promise<Batch> {
    if (this.closed) throw new Error('BatchStream is closed');
    const t0 = performance.now();
    const batch = await this.queue.shift()!;
    this.stats_.waitMs += performance.now() - t0;
    this.stats_.batches++;
    this.enqueue();
    return batch;
  }

  stats(): DataStats {
    return { ...this.stats_, skippedPaths: [...this.stats_.skippedPaths] };
  }

  /** Stops reading ahead; pending decodes finish in the background and are dropped. */
  close(): void {
    this.closed = true;
    for (const p of this.queue) p.catch(() => {});
    this.queue = [];
  }

  private enqueue(): void {
    const produced = this.lastCursor.then((cursor) => this.produce(cursor));
    this.lastCursor = produced.then((b) => b.cursorAfter);
    this.lastCursor.catch(() => {}); // the error surfaces through next()
    produced.catch(() => {});
    this.queue.push(produced);
  }

  private order(epoch: number): string[] {
    let o = this.orders.get(epoch);
    if (!o) {
      o = epochOrder(this.files, this.opts.seed, epoch);
      this.orders.set(epoch, o);
      this.orders.delete(epoch - 2);
    }
    return o;
  }

  private async produce(start: DataCursor): Promise<Batch> {
    const { imageSize: size, batchSize } = this.opts;
    const t0 = performance.now();
    const data = new Float32Array(batchSize * size * size * 3);
    const files: string[] = [];
    let cursor = { ...start };
    let attempts = 0;
    while (files.length < batchSize) {
      if (this.closed) throw new Error('BatchStream is closed');
      // Decode the still-missing slots in parallel (sharp works on its own threads), in position order.
      const want = batchSize - files.length;
      const slots: Array<{ file: string; cursor: DataCursor }> = [];
      while (slots.length < want) {
        const order = this.order(cursor.epoch);
        const file = order[cursor.index];
        slots.push({ file, cursor: { ...cursor } });
        cursor = cursor.index + 1 >= order.length ? { epoch: cursor.epoch + 1, index: 0 } : { epoch: cursor.epoch, index: cursor.index + 1 };
      }
      const decoded = await Promise.all(
        slots.map(async (s) => {
          if (this.bad.has(s.file)) return undefined;
          try {
            const rng = Rng.fromSeed(this.opts.seed, s.cursor.epoch, s.cursor.index);
            return await (this.opts.load ? this.opts.load(s.file, size, rng) : loadCroppedImage(s.file, size, this.crop, rng));
          } catch (e) {
            this.markBad(s.file, e as Error);
            return undefined;
          }
        }),
      );
      decoded.forEach((img, k) => {
        if (!img) return;
        data.set(img, files.length * size * size * 3);
        files.push(slots[k].file);
      });
      attempts += slots.length;
      if (this.bad.size >= this.files.length || (files.length === 0 && attempts > 2 * this.files.length)) {
        throw new InputError(`none of the ${this.files.length} training images could be decoded (first: ${this.files[0]})`);
      }
    }
    this.stats_.decodeMs += performance.now() - t0;
    return { data, shape: [batchSize, size, size, 3], files, cursorAfter: cursor };
  }

  private markBad(file: string, e: Error): void {
    if (this.bad.has(file)) return;
    this.bad.add(file);
    this.stats_.skippedFiles++;
    this.stats_.skippedPaths.push(file);
    const count = `${this.stats_.skippedFiles} of ${this.files.length} photos skipped so far`;
    const reason = e.message.split('\n')[0];
    this.log(`nst: warning: skipping unreadable image ${file} (${count}): ${reason.startsWith(`${file}: `) ? reason.slice(file.length + 2) : reason}`);
  }
}
