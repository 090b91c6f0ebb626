/**
 * Padding an RGB image up to a multiple of the network's total stride, and cropping back.
 *
 * The transformer downsamples twice by 2 and upsamples twice by 2: a side that is not a multiple of 4 comes back a few
 * pixels off (or misaligned). Padding the bottom/right edges by reflection (not zeros, which would darken the border
 * through instance norm and the convs) and cropping afterwards returns exactly the input size.
 */
import type { RgbImage } from '../image/image-io';

/** Total downsampling factor of the transformation network. */
export const NETWORK_STRIDE = 4;

export function roundUpTo(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * Source index for position i of a reflected axis of length n (edge not repeated: …2 1 [0 1 2 … n−1] n−2 …),
 * bouncing as often as needed, so any padding works even for a 1- or 2-pixel side.
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** Pads bottom and right by reflection to width/height multiples of `multiple`. Returns the input itself if no padding is needed. */
export function padToMultiple(img: RgbImage, multiple = NETWORK_STRIDE): RgbImage {
  const width = roundUpTo(img.width, multiple);
  const height = roundUpTo(img.height, multiple);
  if (width === img.width && height === img.height) return img;
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = reflectIndex(y, img.height);
    for (let x = 0; x < width; x++) {
      const s = (sy * img.width + reflectIndex(x, img.width)) * 3;
      const d = (y * width + x) * 3;
      rgb[d] = img.rgb[s];
      rgb[d + 1] = img.rgb[s + 1];
      rgb[d + 2] = img.rgb[s + 2];
    }
  }
  return { width, height, rgb };
}

/** The top-left `width`×`height` window of `img` starting at (left, top). */
export function cropRgb(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height) {
    throw new Error(`crop ${width}x${height}+${left}+${top} outside ${img.width}x${img.height}`);
  }
  if (left === 0 && top === 0 && width === img.width && height === img.height) return img;
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const s = ((top + y) * img.width + left) * 3;
    rgb.set(img.rgb.subarray(s, s + width * 3), y * width * 3);
  }
  return { width, height, rgb };
}
