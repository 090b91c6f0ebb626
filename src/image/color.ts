/**
 * Colour maths on float RGB 0–255 pixel arrays (HWC). Pure functions, no tensors: they run once per output image.
 *
 * YCbCr is full-range BT.601 (the JPEG/JFIF definition), so "take Y from the stylized image and CbCr from the input"
 * keeps the input's hue and saturation while the network's strokes and shading come through the luminance.
 */

const KR = 0.299;
const KG = 0.587;
const KB = 0.114;

/** Y, Cb, Cr of one RGB pixel (0–255 scale, chroma centred on 128). */
export function rgbToYCbCr(r: number, g: number, b: number): [number, number, number] {
  const y = KR * r + KG * g + KB * b;
  return [y, 128 + (b - y) / (2 * (1 - KB)), 128 + (r - y) / (2 * (1 - KR))];
}

/** The exact inverse of rgbToYCbCr. */
export function yCbCrToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const r = y + 2 * (1 - KR) * (cr - 128);
  const b = y + 2 * (1 - KB) * (cb - 128);
  const g = (y - KR * r - KB * b) / KG;
  return [r, g, b];
}

/**
 * Luminance-only transfer: Y from `stylized`, Cb/Cr from `original` (same length). Returns a new array; values may leave
 * 0–255 where the combination is out of gamut (encode clamps).
 */
export function preserveColor(stylized: Float32Array, original: Float32Array): Float32Array {
  if (stylized.length !== original.length) throw new Error(`preserveColor: length ${stylized.length} vs ${original.length}`);
  const out = new Float32Array(stylized.length);
  for (let i = 0; i < out.length; i += 3) {
    const y = KR * stylized[i] + KG * stylized[i + 1] + KB * stylized[i + 2];
    const [, cb, cr] = rgbToYCbCr(original[i], original[i + 1], original[i + 2]);
    const [r, g, b] = yCbCrToRgb(y, cb, cr);
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
  }
  return out;
}

/** strength·stylized + (1−strength)·original, per value; strength 0 returns a copy of `original`, 1 of `stylized`. */
export function blendStrength(stylized: Float32Array, original: Float32Array, strength: number): Float32Array {
  if (stylized.length !== original.length) throw new Error(`blendStrength: length ${stylized.length} vs ${original.length}`);
  if (strength <= 0) return original.slice();
  if (strength >= 1) return stylized.slice();
  const out = new Float32Array(stylized.length);
  for (let i = 0; i < out.length; i++) out[i] = strength * stylized[i] + (1 - strength) * original[i];
  return out;
}
