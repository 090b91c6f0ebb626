/**
 * Writing an image in its input's own format when that is not jpg/png/webp: how a batch keeps `photo.gif` and
 * `photo.tiff` apart instead of writing both to `photo.png`.
 *
 *   keptFormatFromPath(file)             -> KeptFormat | undefined   the input's format, if sharp can write it here
 *   encodeKeptFormat(image, file, format) -> Promise<void>
 *   encodeKeptFormatToBuffer(image, format) -> Promise<Buffer>   (for callers that write it themselves, atomically)
 *
 * HEIC/HEIF is read but not written: sharp's prebuilt libvips has no HEVC encoder ("heifsave: Unsupported
 * compression"), and AV1 inside a .heic would be a file most HEIC readers refuse.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { EncodableImage, encodeImageToBuffer } from './image-io';

export const KEPT_FORMATS = ['tiff', 'gif', 'avif'] as const;
export type KeptFormat = (typeof KEPT_FORMATS)[number];

export const KEPT_EXTENSION: Record<KeptFormat, string> = { tiff: '.tiff', gif: '.gif', avif: '.avif' };

export function keptFormatFromPath(file: string): KeptFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  if (ext === '.gif') return 'gif';
  if (ext === '.avif') return 'avif';
  return undefined;
}

/**
 * Encodes through a lossless PNG first: image-io owns the clamping, rounding and alpha handling, and this path only
 * runs for the few inputs whose names collide, so the extra encode costs nothing that matters.
 */
export async function encodeKeptFormatToBuffer(image: EncodableImage, format: KeptFormat): Promise<Buffer> {
  const png = sharp(await encodeImageToBuffer(image, 'png'));
  const encoded = format === 'tiff' ? png.tiff() : format === 'gif' ? png.gif() : png.avif();
  return encoded.toBuffer();
}

export async function encodeKeptFormat(image: EncodableImage, file: string, format: KeptFormat): Promise<void> {
  const buf = await encodeKeptFormatToBuffer(image, format);
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.promises.writeFile(file, buf);
}
