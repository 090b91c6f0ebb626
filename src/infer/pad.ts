/**
 * Padding an RGB image up to what the network can take, and cropping back.
 *
 * The transformer downsamples twice by 2 and upsamples twice by 2: a side that is not a multiple of 4 comes back a few
 * pixels off (or misaligned). Its reflection paddings also need room: the 9×9 convs pad 4 (so at least 5 px) and the
 * residual blocks pad 1 at quarter resolution (so at least 2 px there, 8 px at the input): MIN_NETWORK_SIDE.
 * Padding the bottom/right edges (not zeros, which would darken the border through instance norm and the convs) and
 * cropping afterwards returns exactly the input size, even for a 1×1 image.
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

/** Smallest side the transformer accepts (see above); every padded side is at least this. */
export const MIN_NETWORK_SIDE = 8;

/**
 * Source index for position i of an axis of length n padded to `size`: the image itself, then a mirror image of it
 * (edge not repeated) when the padding fits in one reflection (size − n ≤ n − 1), else the last pixel repeated: a
 * side shorter than its padding (a 1×1 or 3×5 image going to 8×8) cannot be mirrored far enough, and bouncing back
 * and forth would tile it into a texture the network would then stylize as one.
 */
export function padIndex(i: number, n: number, size: number): number {
  if (i < n) return i;
  return size - n <= n - 1 ? reflectIndex(i, n) : n - 1;
}

/** Pads bottom and right to width × height (each ≥ the image's), mirrored or edge-repeated per axis (padIndex). */
export function padToSize(img: RgbImage, width: number, height: number): RgbImage {
  if (width < img.width || height < img.height) throw new Error(`pad ${img.width}x${img.height} to a smaller ${width}x${height}`);
  if (width === img.width && height === img.height) return img;
  const rgb = new Float32Array(width * height * 3);
  const xs = Int32Array.from({ length: width }, (_, x) => padIndex(x, img.width, width));
  for (let y = 0; y < height; y++) {
    const row = padIndex(y, img.height, height) * img.width;
    for (let x = 0; x < width; x++) {
      const s = (row + xs[x]) * 3;
      const d = (y * width + x) * 3;
      rgb[d] = img.rgb[s];
      rgb[d + 1] = img.rgb[s + 1];
      rgb[d + 2] = img.rgb[s + 2];
    }
  }
  return { width, height, rgb };
}

/** Pads bottom and right to width/height multiples of `multiple`. Returns the input itself if no padding is needed. */
export function padToMultiple(img: RgbImage, multiple = NETWORK_STRIDE): RgbImage {
  return padToSize(img, roundUpTo(img.width, multiple), roundUpTo(img.height, multiple));
}

/** What sizes a network takes: sides multiples of `stride`, at least `minSide` (the transformer's by default). */
export interface InputGeometry {
  stride: number;
  minSide: number;
}

export const TRANSFORMER_INPUT: InputGeometry = { stride: NETWORK_STRIDE, minSide: MIN_NETWORK_SIDE };

/** The padded size the network runs at: multiples of its stride (NETWORK_STRIDE), at least its minimum side. */
export function networkSize(width: number, height: number, geometry: InputGeometry = TRANSFORMER_INPUT): { width: number; height: number } {
  const side = (n: number) => Math.max(geometry.minSide, roundUpTo(n, geometry.stride));
  return { width: side(width), height: side(height) };
}

/** Pads to networkSize(): what stylize() runs the network on, cropped back afterwards. */
export function padForNetwork(img: RgbImage, geometry: InputGeometry = TRANSFORMER_INPUT): RgbImage {
  const { width, height } = networkSize(img.width, img.height, geometry);
  return padToSize(img, width, height);
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
