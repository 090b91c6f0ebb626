/**
 * Crops at several scales with flips: the augmentation of the arbitrary-style trainer, whose few dozen paintings and
 * textures must look like many. A pure function of the file and the sample's seeded stream, so a resumed run sees the
 * same crops (data.ts draws `rng` from (seed, epoch, position)).
 */
import { decodeImage } from '../image/image-io';
import type { Rng } from '../util/rng';

export interface Augmentation {
  /** The shorter side is resized to `size × s`, s uniform in [minScale, maxScale], before the size×size crop. */
  minScale: number;
  maxScale: number;
  /** Mirror left–right with probability ½. */
  flip: boolean;
}

export async function loadAugmentedCrop(file: string, size: number, rng: Rng, aug: Augmentation): Promise<Float32Array> {
  const side = Math.max(size, Math.round(size * (aug.minScale + rng.next() * (aug.maxScale - aug.minScale))));
  const { width, height, rgb } = await decodeImage(file, { resize: { width: side, height: side, fit: 'outside' } });
  const x0 = width > size ? rng.int(width - size + 1) : 0;
  const y0 = height > size ? rng.int(height - size + 1) : 0;
  const flip = aug.flip && rng.next() < 0.5;
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const row = ((y0 + y) * width + x0) * 3;
    if (!flip) {
      out.set(rgb.subarray(row, row + size * 3), y * size * 3);
      continue;
    }
    for (let x = 0; x < size; x++) {
      const src = row + (size - 1 - x) * 3;
      const dst = (y * size + x) * 3;
      out[dst] = rgb[src];
      out[dst + 1] = rgb[src + 1];
      out[dst + 2] = rgb[src + 2];
    }
  }
  return out;
}
