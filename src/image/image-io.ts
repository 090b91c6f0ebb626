/**
 * Image files <-> float RGB pixels <-> tensors. The one place that decodes and encodes images, shared by stylize,
 * the training data pipeline and the preview grid.
 *
 * Conventions (everything in this module):
 * - pixels are HWC, row-major, float32, RGB in 0–255 (sRGB, not linearised), the range every network here takes;
 * - decoding honours EXIF orientation (`.rotate()`), converts grayscale / CMYK / 16-bit / palette images to 8-bit sRGB
 *   (sharp's colourspace conversion, embedded ICC profiles respected), and splits alpha off so it can be re-applied on
 *   encode: networks only ever see 3 channels;
 * - encoding clamps to 0–255 and rounds; the format follows the file extension (jpg/jpeg, png, webp) unless forced.
 *
 * Exported API:
 *   decodeImage(source, options?)          -> Promise<DecodedImage>   file path or Buffer; optional maxSize/resize/crop
 *   encodeImage(image, file, options?)     -> Promise<void>           writes a file; format from the extension
 *   encodeImageToBuffer(image, format, o?) -> Promise<Buffer>
 *   imageFormatFromPath(file)              -> ImageFormat | undefined
 *   pixelsToTensor(image | image[])        -> tf.Tensor4D             [N,H,W,3] (images of one size)
 *   tensorToPixels(tensor)                 -> RgbImage                from [1,H,W,3] or [H,W,3]; values kept unclamped
 *   tensorToPixelsBatch(tensor)            -> RgbImage[]              from [N,H,W,3]
 *   resizeImage(image, width, height)      -> Promise<EncodableImage> Lanczos, alpha resized with it
 *   fitWithin(width, height, maxSize)      -> {width, height}         the maxSize rule, never enlarging
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { tf } from '../backend/tf';
import { InputError, UsageError } from '../errors';

/** Float RGB pixels, HWC, 0–255 (values outside the range are allowed until encode clamps them). */
export interface RgbImage {
  width: number;
  height: number;
  /** length width*height*3 */
  rgb: Float32Array;
}

/** A decoded image: RGB for the network, plus the alpha plane (0–255, length width*height) when the file had one. */
export interface DecodedImage extends RgbImage {
  alpha?: Uint8Array;
  /** Size of the upright source image before any resize or crop. */
  sourceWidth: number;
  sourceHeight: number;
}

/** What encode accepts: RGB and optionally an alpha plane of the same size to re-apply. */
export interface EncodableImage extends RgbImage {
  alpha?: Uint8Array;
}

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Downscale (never upscale) so that the longest side is at most this many pixels, keeping the aspect ratio. */
  maxSize?: number;
  /**
   * Resize to a target box (sharp semantics): `fit: 'cover'` with both sides = scale the short side and centre-crop,
   * the usual training crop; 'fill' stretches; 'inside'/'contain' fit within. Applied after maxSize.
   */
  resize?: { width?: number; height?: number; fit?: 'cover' | 'contain' | 'fill' | 'inside' | 'outside' };
  /** A crop in the coordinates of the (rotated, resized) image, e.g. a random training crop. Applied last. */
  crop?: Region;
}

export const IMAGE_FORMATS = ['jpg', 'png', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** jpg/webp quality when none is given. */
export const DEFAULT_QUALITY = 92;

export interface EncodeOptions {
  /** Overrides the format the file extension implies. */
  format?: ImageFormat;
  /** jpg/webp quality 1–100 (default DEFAULT_QUALITY). */
  quality?: number;
}

/** Extensions treated as images when scanning folders and globs: one list, kept by the input expander. */
export { IMAGE_EXTENSIONS } from './expand-inputs';

/** Builds the sharp pipeline shared by decode paths: orientation, optional resizes and crop. */
function decodePipeline(source: string | Buffer, options: DecodeOptions): sharp.Sharp {
  // failOn 'error' rather than the default 'warning' so a slightly damaged JPEG (a common camera artefact) still decodes,
  // while a file that cannot be decoded at all still throws.
  let img = sharp(source, { failOn: 'error' }).rotate();
  if (options.maxSize !== undefined) {
    if (!(options.maxSize >= 1)) throw new UsageError(`maxSize must be a positive number of pixels, got ${options.maxSize}`);
    img = img.resize({
      width: Math.floor(options.maxSize),
      height: Math.floor(options.maxSize),
      fit: 'inside',
      withoutEnlargement: true,
    });
  }
  if (options.resize) {
    // sharp applies one resize per pipeline (a second call replaces the first), so the two cannot be combined.
    if (options.maxSize !== undefined) {
      throw new UsageError('decodeImage: give either maxSize or resize, not both');
    }
    img = img.resize({ ...options.resize, fit: options.resize.fit ?? 'cover' });
  }
  return img;
}

function describeSource(source: string | Buffer): string {
  return typeof source === 'string' ? source : '<buffer>';
}

/**
 * Decodes an image file (or encoded Buffer) into float RGB 0–255 plus its alpha plane.
 * Throws InputError with one line naming the file for missing, empty, truncated or non-image inputs.
 */
export async function decodeImage(source: string | Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const name = describeSource(source);
  if (typeof source === 'string') {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(source);
    } catch {
      throw new InputError(`${source}: file not found`);
    }
    if (stat.isDirectory()) throw new InputError(`${source}: is a folder, not an image`);
    if (stat.size === 0) throw new InputError(`${source}: empty file (0 bytes), not an image`);
  } else if (source.length === 0) {
    throw new InputError('empty buffer (0 bytes), not an image');
  }

  let data: Buffer;
  let info: sharp.OutputInfo;
  let sourceWidth: number;
  let sourceHeight: number;
  try {
    const pipeline = decodePipeline(source, options);
    const meta = await sharp(source, { failOn: 'error' }).metadata();
    // EXIF orientations 5–8 swap width and height.
    const swapped = (meta.orientation ?? 1) >= 5;
    sourceWidth = (swapped ? meta.height : meta.width) ?? 0;
    sourceHeight = (swapped ? meta.width : meta.height) ?? 0;
    let out = pipeline;
    if (options.crop) {
      // extract after resize needs its own pipeline stage: materialise the resized image first.
      const resized = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      out = sharp(resized.data, {
        raw: { width: resized.info.width, height: resized.info.height, channels: resized.info.channels as 3 | 4 },
      }).extract(options.crop);
    }
    ({ data, info } = await out.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new InputError(`${name}: cannot decode as an image (${(e as Error).message.split('\n')[0]})`);
  }
  return { ...splitChannels(data, info.width, info.height, info.channels), sourceWidth, sourceHeight };
}

/** Interleaved 8-bit RGB or RGBA -> float RGB plane + optional alpha plane. */
function splitChannels(data: Buffer, width: number, height: number, channels: number): EncodableImage {
  const n = width * height;
  const rgb = new Float32Array(n * 3);
  if (channels === 3) {
    for (let i = 0; i < n * 3; i++) rgb[i] = data[i];
    return { width, height, rgb };
  }
  if (channels !== 4) throw new InputError(`unexpected channel count ${channels} after sRGB conversion`);
  const alpha = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    rgb[p * 3] = data[p * 4];
    rgb[p * 3 + 1] = data[p * 4 + 1];
    rgb[p * 3 + 2] = data[p * 4 + 2];
    alpha[p] = data[p * 4 + 3];
  }
  return { width, height, rgb, alpha };
}

/** Float RGB (+ alpha) -> interleaved 8-bit, clamped and rounded. */
function interleave(image: EncodableImage): { data: Buffer; channels: 3 | 4 } {
  const { width, height, rgb, alpha } = image;
  const n = width * height;
  if (rgb.length !== n * 3) throw new UsageError(`image data has ${rgb.length} values, expected ${n * 3} for ${width}x${height} RGB`);
  if (alpha && alpha.length !== n) throw new UsageError(`alpha has ${alpha.length} values, expected ${n}`);
  const channels = alpha ? 4 : 3;
  const data = Buffer.alloc(n * channels);
  // `v > 0` is false for NaN, so a NaN (a diverged network) becomes black instead of poisoning the encoder.
  const toByte = (v: number) => (v > 0 ? (v >= 255 ? 255 : Math.round(v)) : 0);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) data[p * channels + c] = toByte(rgb[p * 3 + c]);
    if (alpha) data[p * 4 + 3] = alpha[p];
  }
  return { data, channels };
}

/** The format an output file name implies, or undefined for an unknown extension. */
export function imageFormatFromPath(file: string): ImageFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpg';
  if (ext === '.png') return 'png';
  if (ext === '.webp') return 'webp';
  return undefined;
}

/**
 * Encodes to jpg/png/webp. Alpha is re-applied for png and webp; JPEG has no alpha, so the image is flattened onto
 * white (what a viewer shows for a transparent background) rather than leaving whatever the network painted there.
 */
export async function encodeImageToBuffer(image: EncodableImage, format: ImageFormat, options: EncodeOptions = {}): Promise<Buffer> {
  const { data, channels } = interleave(image);
  const quality = options.quality ?? DEFAULT_QUALITY;
  let img = sharp(data, { raw: { width: image.width, height: image.height, channels } });
  switch (format) {
    case 'jpg':
      if (channels === 4) img = img.flatten({ background: { r: 255, g: 255, b: 255 } });
      return img.jpeg({ quality, mozjpeg: false }).toBuffer();
    case 'png':
      return img.png().toBuffer();
    case 'webp':
      return img.webp({ quality }).toBuffer();
  }
}

/** Writes `image` to `file`, creating its folder; the format comes from options.format or the extension. */
export async function encodeImage(image: EncodableImage, file: string, options: EncodeOptions = {}): Promise<void> {
  const format = options.format ?? imageFormatFromPath(file);
  if (!format) {
    throw new UsageError(`${file}: unknown image extension '${path.extname(file)}': use .jpg, .png or .webp (or give a format)`);
  }
  const buf = await encodeImageToBuffer(image, format, options);
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.promises.writeFile(file, buf);
}

/** Images (all the same size) -> one [N,H,W,3] float32 tensor. The caller disposes it. */
export function pixelsToTensor(images: RgbImage | RgbImage[]): tf.Tensor4D {
  const list = Array.isArray(images) ? images : [images];
  if (list.length === 0) throw new UsageError('pixelsToTensor: no images');
  const { width, height } = list[0];
  for (const im of list) {
    if (im.width !== width || im.height !== height) {
      throw new UsageError(`pixelsToTensor: images differ in size (${im.width}x${im.height} vs ${width}x${height}); resize or crop first`);
    }
  }
  const plane = width * height * 3;
  let values: Float32Array;
  if (list.length === 1) {
    values = list[0].rgb;
  } else {
    values = new Float32Array(plane * list.length);
    list.forEach((im, i) => values.set(im.rgb, i * plane));
  }
  return tf.tensor4d(values, [list.length, height, width, 3], 'float32');
}

/** One image from a [1,H,W,3] or [H,W,3] tensor (values copied, not clamped). Does not dispose the tensor. */
export function tensorToPixels(t: tf.Tensor): RgbImage {
  if (t.rank === 4 && t.shape[0] !== 1) {
    throw new UsageError(`tensorToPixels: expected one image, got a batch of ${t.shape[0]}; use tensorToPixelsBatch`);
  }
  const [height, width, channels] = t.rank === 4 ? t.shape.slice(1) : t.shape;
  if (!(t.rank === 3 || t.rank === 4) || channels !== 3) {
    throw new UsageError(`tensorToPixels: expected [1,H,W,3] or [H,W,3], got [${t.shape.join(',')}]`);
  }
  return { width, height, rgb: new Float32Array(t.dataSync()) };
}

/** Every image of a [N,H,W,3] tensor. Does not dispose the tensor. */
export function tensorToPixelsBatch(t: tf.Tensor4D): RgbImage[] {
  const [n, height, width, channels] = t.shape;
  if (channels !== 3) throw new UsageError(`tensorToPixelsBatch: expected 3 channels, got ${channels}`);
  const all = t.dataSync() as Float32Array;
  const plane = width * height * 3;
  return Array.from({ length: n }, (_, i) => ({ width, height, rgb: all.slice(i * plane, (i + 1) * plane) }));
}

/**
 * Resamples RGB (and alpha, if any) to width×height with sharp's Lanczos filter (antialiased, unlike a tensor
 * resizeBilinear). Values are rounded to 8 bits on the way, which is how the image came in.
 */
export async function resizeImage(image: EncodableImage, width: number, height: number): Promise<EncodableImage> {
  if (width === image.width && height === image.height) return image;
  const { data, channels } = interleave(image);
  const { data: out, info } = await sharp(data, { raw: { width: image.width, height: image.height, channels } })
    .resize({ width, height, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return splitChannels(out, info.width, info.height, info.channels);
}

/** The size after downscaling so the longest side is at most maxSize (never enlarging), as decodeImage's maxSize does. */
export function fitWithin(width: number, height: number, maxSize: number): { width: number; height: number } {
  const scale = Math.min(1, maxSize / Math.max(width, height));
  if (scale === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
