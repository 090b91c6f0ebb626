/**
 * The ES module an AdaIN (arbitrary-style) web export ships beside its two layers models, to stylize with any style
 * image in the browser:
 *
 *   import { loadNstAdainModel } from './model/nst-adain.js';
 *   const m = await loadNstAdainModel(tf, './model/model.json');
 *   const style = m.styleStats(styleImage);            // [1,H,W,3] float RGB 0–255; cached by the caller
 *   const out = m.stylize(photo, style, 0.8);          // [1,H,W,3] 0–255 unclamped (H, W multiples of m.stride)
 *
 * The maths is nst's (src/nets/adain/stats.ts, src/infer/arbitrary): σ = sqrt(var + eps) over H and W, AdaIN with the
 * content's own statistics, alpha·target + (1 − alpha)·content; the style image is cropped top-left to a multiple of
 * the stride first, as nst does. It imports nst-layers.js (the decoder's reflection padding, WebGL-safe moments and
 * convolution) and, like it, takes `tf` as a parameter. Kept as text: it ships inside the exported folder;
 * test/export/adain-tfjs-web.test.ts evaluates it in Node and test/export/web-arbitrary.test.ts in Chromium.
 */
export const BROWSER_ADAIN_FILE = 'nst-adain.js';

export const BROWSER_ADAIN_MODULE = `// nst arbitrary-style (AdaIN) model for TensorFlow.js (written by \`nst export ADAIN_CKPT --format tfjs\`).
// Usage: import { loadNstAdainModel } from './nst-adain.js'; const m = await loadNstAdainModel(tf, 'model.json');
//        const s = m.styleStats(styleImage); const out = m.stylize(photo, s, alpha); ... m.disposeStats(s); m.dispose();
// Images: [1, H, W, 3] float RGB 0-255. stylize() needs H and W multiples of m.stride (pad first: m.stylizePadded does).
import { instanceMoments, loadNstModel, reduceElementLimit } from './nst-layers.js';

/** Per-channel mean and sqrt(var + eps) over H and W, each [1, 1, 1, C]. */
export function channelStats(tf, features, eps) {
  return tf.tidy(() => {
    const { mean, variance } = instanceMoments(tf, features, reduceElementLimit(tf));
    return { mean, std: tf.sqrt(tf.add(variance, eps)) };
  });
}

/** AdaIN(content, style) blended with the content features by alpha (1 = full style). */
export function adainBlend(tf, content, style, alpha, eps) {
  return tf.tidy(() => {
    const c = channelStats(tf, content, eps);
    const target = tf.add(tf.mul(tf.div(tf.sub(content, c.mean), c.std), style.std), style.mean);
    if (alpha >= 1) return target;
    return tf.add(tf.mul(target, alpha), tf.mul(content, 1 - alpha));
  });
}

/**
 * Loads the decoder (model.json) and the encoder it names (metadata nst.encoder.model, beside it). Either argument
 * may also be a tf.io handler (then give the encoder's too).
 */
export async function loadNstAdainModel(tf, modelUrl, encoderUrl) {
  const decoder = await loadNstModel(tf, modelUrl);
  const meta = (decoder.getUserDefinedMetadata() || {}).nst;
  if (!meta || meta.kind !== 'adain') {
    decoder.dispose();
    throw new Error('this model.json is not an nst AdaIN (arbitrary-style) export; load it with loadNstModel');
  }
  const encoder = await loadNstModel(tf, encoderUrl || new URL(meta.encoder.model, new URL(modelUrl, globalThis.location?.href)).href);
  const { stride, eps } = meta.adain;
  const encode = (x) => encoder.predict(x);
  return {
    encoder,
    decoder,
    metadata: meta,
    stride,
    layer: meta.network.encoderLayer,
    /** A style image's statistics at the encoder layer (cropped to a multiple of the stride). Dispose with disposeStats. */
    styleStats(image) {
      return tf.tidy(() => {
        const [, h, w] = image.shape;
        const ch = Math.floor(h / stride) * stride;
        const cw = Math.floor(w / stride) * stride;
        if (ch === 0 || cw === 0) throw new Error(\`a style image must be at least \${stride}×\${stride} pixels, got \${w}×\${h}\`);
        const cropped = ch === h && cw === w ? image : tf.slice(image, [0, 0, 0, 0], [1, ch, cw, 3]);
        return channelStats(tf, encode(cropped), eps);
      });
    },
    disposeStats(stats) {
      tf.dispose([stats.mean, stats.std]);
    },
    /** The photo (sides multiples of stride) in the style of \`stats\`, alpha 0..1. */
    stylize(photo, stats, alpha = 1) {
      return tf.tidy(() => {
        const features = encode(photo);
        return decoder.predict(adainBlend(tf, features, stats, alpha, eps));
      });
    },
    /** Any size: reflect-pads bottom/right to a multiple of the stride, stylizes, crops back (unclamped). */
    stylizePadded(photo, stats, alpha = 1) {
      return tf.tidy(() => {
        const [, h, w] = photo.shape;
        const ph = (stride - (h % stride)) % stride;
        const pw = (stride - (w % stride)) % stride;
        const x = ph || pw ? tf.mirrorPad(photo, [[0, 0], [0, ph], [0, pw], [0, 0]], 'reflect') : photo;
        const y = this.stylize(x, stats, alpha);
        return ph || pw ? tf.slice(y, [0, 0, 0, 0], [1, h, w, 3]) : y;
      });
    },
    dispose() {
      encoder.dispose();
      decoder.dispose();
    },
  };
}
`;
