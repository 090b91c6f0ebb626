// Tiny generated images for the infer tests (nothing read from ../shared).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { tf } from '../../src/backend/tf';
import type { RgbImage } from '../../src/image/image-io';

export function makeTmpDir(prefix = 'nst-infer-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A smooth colourful test pattern with some texture (so stylization and chroma tests have something to see). */
export function patternImage(width: number, height: number, seed = 1): RgbImage {
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = 128 + 100 * Math.sin((x + seed) / 5);
      rgb[i + 1] = 128 + 100 * Math.cos((y * seed) / 7);
      rgb[i + 2] = 128 + 90 * Math.sin((x + y) / 3 + seed);
    }
  }
  return { width, height, rgb };
}

/** Interleaved uint8 of a float RGB image, for sharp's raw input. */
export function toRawRgb(img: RgbImage): Buffer {
  const b = Buffer.alloc(img.rgb.length);
  for (let i = 0; i < img.rgb.length; i++) b[i] = Math.max(0, Math.min(255, Math.round(img.rgb[i])));
  return b;
}

export async function writePng(file: string, img: RgbImage): Promise<string> {
  await sharp(toRawRgb(img), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(file);
  return file;
}

/**
 * A stand-in "style network" made of tf ops: two 3x3 convs with ReLU (receptive field 5x5, i.e. radius 2) and fixed
 * pseudo-random weights, a per-channel affine so the output differs visibly from the input. Pure and local: no
 * normalisation over the image, so tiled and untiled outputs must agree up to float rounding.
 */
export function makeLocalConvModel(seed = 7): { predict(x: tf.Tensor4D): tf.Tensor4D; dispose(): void; receptiveRadius: number } {
  const w1 = tf.randomNormal([3, 3, 3, 8], 0, 0.2, 'float32', seed) as tf.Tensor4D;
  const w2 = tf.randomNormal([3, 3, 8, 3], 0, 0.2, 'float32', seed + 1) as tf.Tensor4D;
  return {
    receptiveRadius: 2,
    predict: (x) =>
      tf.tidy(() => {
        const h = tf.relu(tf.conv2d(tf.div(x, 255) as tf.Tensor4D, w1, 1, 'same'));
        return tf.add(tf.mul(tf.conv2d(h, w2, 1, 'same'), 255), tf.mul(x, 0.5)) as tf.Tensor4D;
      }),
    dispose: () => {
      w1.dispose();
      w2.dispose();
    },
  };
}

/**
 * A folder of the odd inputs a new user's photo folder holds, for the batch tests (stylize and training):
 *   one.png 1×1, strip.png 1×7, small.png 3×5 — smaller than the network's 8×8 minimum;
 *   corrupt.jpg — text, not an image;  .hidden.jpg — a dotfile (never listed);
 *   x.jpg/ — a folder named like an image, holding inner.png 6×4;
 *   photo.png, photo.gif, photo.tiff, photo.heic (PNG bytes: decoded by content) — 10×6, one output name between them.
 */
export async function makeOddFolder(root: string): Promise<string> {
  fs.mkdirSync(path.join(root, 'x.jpg'), { recursive: true });
  await writePng(path.join(root, 'one.png'), patternImage(1, 1));
  await writePng(path.join(root, 'strip.png'), patternImage(1, 7));
  await writePng(path.join(root, 'small.png'), patternImage(3, 5));
  await writePng(path.join(root, 'x.jpg', 'inner.png'), patternImage(6, 4));
  fs.writeFileSync(path.join(root, 'corrupt.jpg'), 'definitely not a jpeg');
  fs.writeFileSync(path.join(root, '.hidden.jpg'), 'a resource fork, not a photo');
  const photo = sharp(toRawRgb(patternImage(10, 6, 3)), { raw: { width: 10, height: 6, channels: 3 } });
  await photo.clone().png().toFile(path.join(root, 'photo.png'));
  await photo.clone().gif().toFile(path.join(root, 'photo.gif'));
  await photo.clone().tiff().toFile(path.join(root, 'photo.tiff'));
  await photo.clone().png().toFile(path.join(root, 'photo.heic'));
  return root;
}
