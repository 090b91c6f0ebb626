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

/** Mean and standard deviation (population) of each RGB channel of HWC pixels. */
export function channelMeanStd(rgb: Float32Array): { mean: [number, number, number]; std: [number, number, number] } {
  if (rgb.length === 0 || rgb.length % 3 !== 0) throw new Error(`channelMeanStd: length ${rgb.length} is not a positive multiple of 3`);
  const n = rgb.length / 3;
  const mean: [number, number, number] = [0, 0, 0];
  const m2: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < rgb.length; i += 3) for (let c = 0; c < 3; c++) mean[c] += rgb[i + c];
  for (let c = 0; c < 3; c++) mean[c] /= n;
  for (let i = 0; i < rgb.length; i += 3) for (let c = 0; c < 3; c++) m2[c] += (rgb[i + c] - mean[c]) ** 2;
  return { mean, std: [Math.sqrt(m2[0] / n), Math.sqrt(m2[1] / n), Math.sqrt(m2[2] / n)] };
}

/**
 * Per-channel colour match: each RGB channel of `photo` shifted and scaled so its mean and std are those of
 * `reference` (any size). It is AdaIN in pixel space — the cheapest "style" there is — so it is the baseline an
 * arbitrary-style network has to beat on the style loss. A flat photo channel (std 0) gets the reference's mean.
 * Values may leave 0–255 (encode clamps).
 */
export function matchColorStats(photo: Float32Array, reference: Float32Array): Float32Array {
  const p = channelMeanStd(photo);
  const r = channelMeanStd(reference);
  const gain = p.std.map((s, c) => (s > 0 ? r.std[c] / s : 0));
  const out = new Float32Array(photo.length);
  for (let i = 0; i < photo.length; i += 3) {
    for (let c = 0; c < 3; c++) out[i + c] = (photo[i + c] - p.mean[c]) * gain[c] + r.mean[c];
  }
  return out;
}
