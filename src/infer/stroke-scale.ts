/**
 * Stroke scale: bigger brush strokes from any style network, by running it on the photo shrunk by `scale` and bringing
 * the photo's fine detail back at full size.
 *
 *   withStrokeScale(photo, scale, run, detail?) -> Promise<StrokeScaled>
 *
 * A feed-forward style net paints strokes of a fixed size in pixels (its receptive field and the Gram statistics it
 * learnt at its training size), so running it at 1/scale makes every stroke `scale` times larger relative to the
 * image. Upsampling that result alone blurs the photo's edges and texture ('none'); 'luminance' (the default) adds
 * the photo's high-frequency luminance back: photo − upsample(downsample(photo)), i.e. exactly what the shrinking
 * removed from the photo, so edges stay crisp while colours and strokes come from the stylized image.
 *
 * The downsampling is sharp's Lanczos (as every resize of nst), the upsampling bilinear on floats (no 8-bit rounding
 * of the unclamped network output); the photo's low-pass uses the same pair, so at scale 1 nothing changes at all.
 */
import { z } from 'zod';
import { tf } from '../backend/tf';
import { EncodableImage, resizeImage, RgbImage } from '../image/image-io';

export const MAX_STROKE_SCALE = 8;
const RANGE = `a number from 1 (off) to ${MAX_STROKE_SCALE}`;

/** The option, declared once for per-style, arbitrary-style (and any later) stylizing: `--stroke-scale 2`. */
export const strokeScaleField = z
  .number({ error: `must be ${RANGE}` })
  .min(1, { error: `must be ${RANGE}` })
  .max(MAX_STROKE_SCALE, { error: `must be ${RANGE}` });

export const STROKE_DETAIL = ['luminance', 'none'] as const;
export type StrokeDetail = (typeof STROKE_DETAIL)[number];

const LUMA = [0.299, 0.587, 0.114] as const;

/** Bilinear resize of float RGB (half-pixel centres, as sharp and PyTorch's align_corners=False). */
export function resizeFloat(img: RgbImage, width: number, height: number): Float32Array {
  if (img.width === width && img.height === height) return img.rgb;
  return tf.tidy(() => {
    const x = tf.tensor4d(img.rgb, [1, img.height, img.width, 3]);
    return tf.image.resizeBilinear(x, [height, width], false, true).dataSync() as Float32Array;
  });
}

/** The size a photo is stylized at for `scale`: each side divided by it, at least 1 px. */
export function strokeScaledSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: Math.max(1, Math.round(width / scale)), height: Math.max(1, Math.round(height / scale)) };
}

/**
 * Runs `run` on `photo` shrunk by `scale` and returns its output at the photo's size, with the photo's lost detail
 * added back per `detail`. `run` must return an image of the size it was given.
 */
export async function withStrokeScale<R extends RgbImage>(
  photo: EncodableImage,
  scale: number,
  run: (small: EncodableImage) => Promise<R>,
  detail: StrokeDetail = 'luminance',
): Promise<{ rgb: Float32Array; result: R }> {
  const { width, height } = photo;
  if (scale === 1) {
    const result = await run(photo);
    return { rgb: result.rgb, result };
  }
  const size = strokeScaledSize(width, height, scale);
  const small = await resizeImage({ width, height, rgb: photo.rgb }, size.width, size.height);
  const result = await run(small);
  const rgb = resizeFloat(result, width, height);
  if (detail === 'luminance') {
    const blurred = resizeFloat(small, width, height);
    for (let i = 0; i < width * height; i++) {
      const p = i * 3;
      let d = 0;
      for (let c = 0; c < 3; c++) d += LUMA[c] * (photo.rgb[p + c] - blurred[p + c]);
      rgb[p] += d;
      rgb[p + 1] += d;
      rgb[p + 2] += d;
    }
  }
  return { rgb, result };
}
