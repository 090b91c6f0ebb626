/** Small random networks and images for the export tests: deterministic, with weights that make every layer matter. */
import { tf } from '../../src/backend/tf';
import { buildTransformer, TransformerConfig } from '../../src/nets/transformer';
import { seededRandom } from '../helpers';

export const rng = seededRandom;

/**
 * A deterministic net with random weights that exercise every layer: Glorot-uniform kernels from `seed`, norm scales
 * 0.5–1.5 and shifts ±0.5 (fresh nets have 1 and 0, which would hide a swapped scale/shift), biases ±0.5, and the
 * last conv at full Glorot scale (tanh head: tanh's argument spans ~±2) or 30× (the heads whose last conv works in
 * pixel units — linear, softclip, residual: the image spans ~0–255) — the builder starts it at 1/10, which makes the
 * output a near-flat grey (or the photo) that proves little.
 */
export function randomNet(config: TransformerConfig, seed = 1): tf.LayersModel {
  const model = buildTransformer(config);
  const linear = config.output === 'linear';
  const pixelUnits = config.output !== 'tanh';
  const r = rng(seed);
  for (const w of model.weights) {
    const [layer, kind] = w.originalName.split('/');
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    let limit = 0;
    if (kind === 'kernel') {
      const [kh, kw, a, b] = shape;
      limit = Math.sqrt(6 / (kh * kw * (a + b))) * (layer === 'deconv3' && pixelUnits ? 30 : 1);
    }
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const u = r() - 0.5;
      if (kind === 'gamma') values[i] = 1 + u;
      else if (kind === 'beta' || kind === 'bias') values[i] = u + (linear && layer === 'deconv3' && kind === 'bias' ? 127.5 : 0);
      else values[i] = 2 * u * limit;
    }
    const t = tf.tensor(values, shape);
    w.write(t);
    t.dispose();
  }
  return model;
}

/** A smooth-ish random RGB image 0–255 (NHWC data), like a photo rather than white noise. */
export function randomImage(height: number, width: number, seed = 7): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(height * width * 3);
  const phase = [r() * 6, r() * 6, r() * 6];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 127.5 + 80 * Math.sin(x / (3 + c) + phase[c]) * Math.cos(y / (4 + c)) + 40 * (r() - 0.5);
        out[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return out;
}

export function nhwcToNchw(data: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) out[c * h * w + y * w + x] = data[(y * w + x) * 3 + c];
  return out;
}

export function nchwToNhwc(data: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = data[c * h * w + y * w + x];
  return out;
}

/** The tfjs model's output for an NHWC image: data (NHWC) and its shape. */
export function tfjsForward(model: tf.LayersModel, image: Float32Array, h: number, w: number): { data: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor4d(image, [1, h, w, 3])) as tf.Tensor;
    return { data: y.dataSync() as Float32Array, shape: y.shape };
  });
}
