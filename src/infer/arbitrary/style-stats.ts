/**
 * Style statistics: a style image's per-channel mean and std at the encoder layer, computed once per (file, styleSize)
 * and reused for every content image of a batch — encoding a 512-px painting costs about as much as stylizing a photo.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../errors';
import { decodeImage, EncodableImage, resizeImage } from '../../image/image-io';
import { disposeStats, type ChannelStats } from '../../nets/adain';
import type { ArbitraryModel } from './model';
import { encodedStats } from './encode';

/** Default longest side a style image is resized to before encoding (the paper's 512). */
export const DEFAULT_STYLE_SIZE = 512;

/** Style images smaller than this (shorter side, before resizing) carry too little texture to measure. */
export const MIN_STYLE_SIDE = 32;

/** A style given as a file path, or as pixels with a name for messages and the cache key. */
export type StyleSource = string | { name: string; image: EncodableImage };

const nameOf = (s: StyleSource) => (typeof s === 'string' ? s : s.name);

/** Decodes and checks a style image, then resizes it so its longest side is `styleSize`. */
export async function loadStyleImage(source: StyleSource, styleSize = DEFAULT_STYLE_SIZE): Promise<EncodableImage> {
  const name = nameOf(source);
  let img: EncodableImage;
  if (typeof source === 'string') {
    if (fs.existsSync(source) && fs.statSync(source).isDirectory()) {
      throw new InputError(`style ${source}: is a folder; give a style image file (jpg, png, webp …)`);
    }
    try {
      img = await decodeImage(source);
    } catch (e) {
      throw new InputError(`style ${(e as Error).message}`);
    }
  } else {
    img = source.image;
  }
  const shorter = Math.min(img.width, img.height);
  if (shorter < MIN_STYLE_SIDE) {
    throw new InputError(`style ${name}: ${img.width}×${img.height} is too small (the shorter side must be at least ${MIN_STYLE_SIDE} px)`);
  }
  const scale = styleSize / Math.max(img.width, img.height);
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  return resizeImage({ width: img.width, height: img.height, rgb: img.rgb }, width, height);
}

/** Caches style statistics by file (absolute path, size, mtime) and styleSize. dispose() frees them all. */
export class StyleStatsCache {
  private readonly entries = new Map<string, ChannelStats>();

  constructor(private readonly model: ArbitraryModel) {}

  get size(): number {
    return this.entries.size;
  }

  key(source: StyleSource, styleSize: number): string {
    if (typeof source !== 'string') return `mem:${source.name}:${styleSize}`;
    const abs = path.resolve(source);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    return `${abs}:${st?.size ?? 0}:${st?.mtimeMs ?? 0}:${styleSize}`;
  }

  /** The statistics of a style (computed on first use). They stay owned by the cache: do not dispose them. */
  async get(source: StyleSource, styleSize = DEFAULT_STYLE_SIZE, memoryBudgetBytes?: number): Promise<ChannelStats> {
    const key = this.key(source, styleSize);
    const hit = this.entries.get(key);
    if (hit) return hit;
    const img = await loadStyleImage(source, styleSize);
    const stats = await encodedStats(this.model, img, { memoryBudgetBytes });
    this.entries.set(key, stats);
    return stats;
  }

  dispose(): void {
    for (const s of this.entries.values()) disposeStats(s);
    this.entries.clear();
  }
}
