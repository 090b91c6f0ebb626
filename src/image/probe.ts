/**
 * An encoded image's size from its header, without decoding its pixels: the cheap check a server makes before it
 * lets an upload near the decoder (a 40-byte PNG may claim 100000×100000 pixels: decoding it would need 30 GB).
 */
import sharp from 'sharp';
import { InputError } from '../errors';

export interface ImageHeader {
  /** Upright size (EXIF orientations 5–8 swap the stored width and height). */
  width: number;
  height: number;
  /** The container sharp recognised: 'jpeg', 'png', 'webp', 'gif', 'tiff', … */
  format: string;
}

/** Reads the header of an encoded image; InputError (naming `name`) when the bytes are not an image sharp knows. */
export async function probeImage(data: Buffer, name = 'image'): Promise<ImageHeader> {
  if (data.length === 0) throw new InputError(`${name}: empty (0 bytes), not an image`);
  let meta: sharp.Metadata;
  try {
    // No pixel limit here: metadata() only parses the header, and the caller wants the claimed size to judge it.
    meta = await sharp(data, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (e) {
    throw new InputError(`${name}: not an image nst can read (${(e as Error).message.split('\n')[0]})`);
  }
  if (!meta.width || !meta.height || !meta.format) throw new InputError(`${name}: not an image nst can read (no size in its header)`);
  const swapped = (meta.orientation ?? 1) >= 5;
  return { width: swapped ? meta.height : meta.width, height: swapped ? meta.width : meta.height, format: meta.format };
}
