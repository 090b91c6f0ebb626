/**
 * The ES module a browser app imports, beside model.json, to load an nst tfjs web model:
 *
 *   import { loadNstModel } from './model/nst-layers.js';
 *   const model = await loadNstModel(tf, './model/model.json');   // tf = the page's TensorFlow.js
 *
 * It re-implements our four custom layers (src/nets/layers) with plain public tfjs ops, registered under the same class
 * names, so the exported model.json is the checkpoint's own topology, loadable by tf.loadLayersModel. It takes `tf` as a
 * parameter instead of importing it: the page may load tfjs from a <script> tag, a bundler or a CDN, and this module
 * must not pull in anything Node-only (our src/nets/layers import the native-kernel ops and Node's tfjs setup).
 *
 * It is kept here as text because it ships inside the exported folder, not as part of this package's compiled code;
 * test/export/tfjs-web.test.ts evaluates this exact text in Node, and test/export/web.test.ts runs it in Chromium.
 */
export const BROWSER_LAYERS_FILE = 'nst-layers.js';

export const BROWSER_LAYERS_MODULE = `// nst custom layers for TensorFlow.js (written by \`nst export --format tfjs\`).
// Usage: import { loadNstModel } from './nst-layers.js'; const model = await loadNstModel(tf, 'model.json');
// Model input: [1, H, W, 3] float RGB 0-255; output: [1, 4*ceil(H/4), 4*ceil(W/4), 3] on the same scale, unclamped.

const registered = new WeakSet();

function firstShape(inputShape) {
  return Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
}

function firstTensor(inputs) {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** Registers NstReflectionPad2D, NstInstanceNorm, NstTanhImageOutput and NstResidualImageOutput with this tf's layer serialization. */
export function registerNstLayers(tf) {
  if (registered.has(tf)) return;
  registered.add(tf);

  // PyTorch's ReflectionPad2d on H and W of NHWC: the edge row is not repeated.
  class NstReflectionPad2D extends tf.layers.Layer {
    static className = 'NstReflectionPad2D';
    constructor(config) {
      super(config);
      this.padding = config.padding;
    }
    computeOutputShape(inputShape) {
      const s = firstShape(inputShape);
      const grow = (d) => (d === null ? null : d + 2 * this.padding);
      return [s[0], grow(s[1]), grow(s[2]), s[3]];
    }
    call(inputs) {
      const x = firstTensor(inputs);
      const p = this.padding;
      return p === 0 ? x : tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
    }
    getConfig() {
      return { ...super.getConfig(), padding: this.padding };
    }
  }

  // Affine instance norm over H and W: biased variance, epsilon inside the square root.
  class NstInstanceNorm extends tf.layers.Layer {
    static className = 'NstInstanceNorm';
    constructor(config) {
      super(config);
      this.epsilon = config.epsilon;
    }
    build(inputShape) {
      const s = firstShape(inputShape);
      const channels = s[s.length - 1];
      this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    computeOutputShape(inputShape) {
      return inputShape;
    }
    call(inputs) {
      return tf.tidy(() => {
        const x = firstTensor(inputs);
        const { mean, variance } = tf.moments(x, [1, 2], true);
        const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
        return tf.add(tf.mul(normalized, this.gamma.read()), this.beta.read());
      });
    }
    getConfig() {
      return { ...super.getConfig(), epsilon: this.epsilon };
    }
  }

  // tanh(x * inputScale) * scale + offset: Engstrom's bounded image head (inputScale 1), or the softclip head.
  class NstTanhImageOutput extends tf.layers.Layer {
    static className = 'NstTanhImageOutput';
    constructor(config) {
      super(config);
      this.scale = config.scale ?? 150;
      this.offset = config.offset ?? 127.5;
      this.inputScale = config.inputScale ?? 1;
    }
    computeOutputShape(inputShape) {
      return inputShape;
    }
    call(inputs) {
      return tf.tidy(() => tf.add(tf.mul(tf.tanh(tf.mul(firstTensor(inputs), this.inputScale)), this.scale), this.offset));
    }
    getConfig() {
      return { ...super.getConfig(), scale: this.scale, offset: this.offset, inputScale: this.inputScale };
    }
  }

  // photo + delta (the residual head): the photo reflection-padded at the bottom and right to delta's size.
  class NstResidualImageOutput extends tf.layers.Layer {
    static className = 'NstResidualImageOutput';
    computeOutputShape(inputShape) {
      return inputShape[1];
    }
    call(inputs) {
      const [photo, delta] = inputs;
      return tf.tidy(() => {
        const dh = delta.shape[1] - photo.shape[1];
        const dw = delta.shape[2] - photo.shape[2];
        const base = dh > 0 || dw > 0 ? tf.mirrorPad(photo, [[0, 0], [0, dh], [0, dw], [0, 0]], 'reflect') : photo;
        return tf.add(base, delta);
      });
    }
  }

  for (const cls of [NstReflectionPad2D, NstInstanceNorm, NstTanhImageOutput, NstResidualImageOutput]) tf.serialization.registerClass(cls);
}

/** Registers the layers, then loads the model (a URL, or any tf.io handler). */
export async function loadNstModel(tf, modelUrl) {
  registerNstLayers(tf);
  return tf.loadLayersModel(modelUrl);
}
`;
