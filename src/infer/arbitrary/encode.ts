/** Encoding whole images with an ArbitraryModel's encoder: tile by tile when the budget says so. */
import type { tf } from '../../backend/tf';
import type { RgbImage } from '../../image/image-io';
import type { ChannelStats } from '../../nets/adain';
import { cropRgb } from '../pad';
import { globalContentStats, tileEncoder, type TileEncoder } from './content-stats';
import type { ArbitraryModel } from './model';
import { planArbitraryTiling, type ArbitraryTiling, type ArbitraryTilingOptions } from './plan';

export function encoderOf(model: ArbitraryModel): TileEncoder {
  const { encoder } = model;
  // One tap, inference: the encoder's native plan when it has one (faster, two activations alive instead of all).
  const extract = encoder.encode
    ? (x: tf.Tensor4D, taps: string[]) => Object.fromEntries(taps.map((t) => [t, encoder.encode!(x, t)]))
    : (x: tf.Tensor4D, taps: string[]) => encoder.extract(x, taps);
  return tileEncoder(extract, model.layer);
}

/**
 * Channel statistics of an image's features at the model's layer (a style image: cropped to a multiple of the
 * stride — at most stride−1 rows and columns — so tiles line up with feature cells).
 */
export function encodedStats(model: ArbitraryModel, img: RgbImage, tiling: ArbitraryTilingOptions = {}): Promise<ChannelStats> {
  const s = model.stride;
  const w = Math.floor(img.width / s) * s;
  const h = Math.floor(img.height / s) * s;
  const cropped = cropRgb(img, 0, 0, w, h);
  const plan: ArbitraryTiling = planArbitraryTiling(w, h, s, model.layer, tiling);
  return globalContentStats(encoderOf(model), cropped, plan.tiles, plan.cores, s);
}
