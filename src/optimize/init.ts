/** The starting image of an optimization: the content photo itself, or seeded uniform noise (Gatys' original). */
import type { RgbImage } from '../image/image-io';
import { Rng } from '../util/rng';

export type InitMode = 'content' | 'noise';

/** HWC RGB 0..255 pixels of the same size as `content`; noise is a pure function of `seed`. */
export function initialPixels(content: RgbImage, mode: InitMode, seed: number): Float64Array {
  if (mode === 'content') return Float64Array.from(content.rgb);
  const rng = Rng.fromSeed(seed, 0x6a7e);
  return Float64Array.from({ length: content.rgb.length }, () => rng.next() * 255);
}

/** The box every iterate stays in: what an 8-bit image can hold. */
export const PIXEL_BOUNDS = [0, 255] as const;

/** Projection onto valid pixels, in place: what Adam applies after each update (L-BFGS takes PIXEL_BOUNDS). */
export function clampPixels(x: Float64Array): void {
  const [lo, hi] = PIXEL_BOUNDS;
  for (let i = 0; i < x.length; i++) x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}
