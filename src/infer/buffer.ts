/**
 * Stylize an encoded image held in memory and get the encoded result back: what a service does with an upload.
 *
 *   stylizeBuffer(model, image, options) -> Promise<StylizedBuffer>
 *
 * Decoding, the network and encoding are the library's own (decodeImage, stylize / stylizeArbitrary,
 * encodeImageToBuffer). `checkpoint` is called between the steps and after every tile, so a caller can abandon a
 * request that ran out of time (by throwing) without interrupting a forward pass half-way.
 */
import { InputError, UsageError } from '../errors';
import { decodeImage, encodeImageToBuffer, type ImageFormat } from '../image/image-io';
import { stylizeArbitrary } from './arbitrary';
import type { OpenedModel } from './open-model';
import { stylize } from './stylize';

export interface BufferStylizeOptions {
  /** 0 = unchanged … 1 = fully stylized (default 1). */
  strength?: number;
  preserveColor?: boolean;
  /** Downscale so the longest side is at most this before stylizing (never enlarges). */
  maxSize?: number;
  /** Arbitrary-style models: the style image (encoded) — required for them, refused for per-style models. */
  style?: Buffer;
  /** Arbitrary-style models: style strength in feature space (default 1). */
  alpha?: number;
  /** Arbitrary-style models: longest side the style image is resized to (default 512). */
  styleSize?: number;
  /** Output format (default png) and jpg/webp quality. */
  format?: ImageFormat;
  quality?: number;
  memoryBudgetBytes?: number;
  /** Called between steps and after each tile; throw from it to stop. */
  checkpoint?: () => void;
}

export interface StylizedBuffer {
  data: Buffer;
  format: ImageFormat;
  width: number;
  height: number;
  /** Forward passes (tiles) run. */
  tiles: number;
  /** Wall time of the network (decode and encode excluded), ms. */
  ms: number;
}

/** decodeImage, its error naming the part of the request (`image`, `style`) rather than `<buffer>`. */
async function decodeNamed(data: Buffer, name: string, options: { maxSize?: number } = {}) {
  try {
    return await decodeImage(data, options);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.message.replace(/^<buffer>|^empty buffer/, (m) => (m === '<buffer>' ? name : `${name}: empty`)));
    throw e;
  }
}

export async function stylizeBuffer(model: OpenedModel, image: Buffer, o: BufferStylizeOptions = {}): Promise<StylizedBuffer> {
  const checkpoint = o.checkpoint ?? (() => undefined);
  const onTile = () => checkpoint();
  if (model.kind === 'style' && o.style) throw new UsageError('a style image is only for the arbitrary-style (AdaIN) model; this model has its style built in');
  if (model.kind === 'arbitrary' && !o.style) throw new UsageError('the arbitrary-style (AdaIN) model needs a style image');
  const content = await decodeNamed(image, 'image', { maxSize: o.maxSize });
  checkpoint();
  const common = { strength: o.strength, preserveColor: o.preserveColor, memoryBudgetBytes: o.memoryBudgetBytes, onTile };
  let result;
  if (model.kind === 'style') {
    result = await stylize(model.style.model ?? model.style.forward, content, { ...common, network: model.network });
  } else {
    const style = await decodeNamed(o.style!, 'style');
    checkpoint();
    result = await stylizeArbitrary(model.arbitrary, content, { name: 'style image', image: style }, { ...common, alpha: o.alpha, styleSize: o.styleSize });
  }
  checkpoint();
  const format = o.format ?? 'png';
  const data = await encodeImageToBuffer(result, format, { quality: o.quality });
  return { data, format, width: result.width, height: result.height, tiles: result.tiles, ms: result.ms };
}
