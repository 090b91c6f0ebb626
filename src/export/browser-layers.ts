/**
 * The ES module a browser app imports, beside model.json, to load an nst tfjs web model:
 *
 *   import { loadNstModel } from './model/nst-layers.js';
 *   const model = await loadNstModel(tf, './model/model.json');   // tf = the page's TensorFlow.js
 *
 * It re-implements our custom layers (src/nets/layers) with plain public tfjs ops, registered under the same class
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
// A multi-style model (model.json userDefinedMetadata.nst.styles > 1) also takes the style weights, one per style
// (one-hot = one style; a mix interpolates the styles' instance-norm scales and shifts):
//   model.predict(x, { styleWeights: [0, 1, 0] })   (or setStyleWeights(model, w) once, then model.predict(x))
// On tfjs' WebGL backend, predict() switches tfjs to its packed direct convolution and the instance norms reduce in
// bands of rows: tfjs' defaults would ask for textures past the GPU's limit on photos of a few hundred pixels and up.

const registered = new WeakSet();

function firstShape(inputShape) {
  return Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
}

function firstTensor(inputs) {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/**
 * The largest tensor tfjs' WebGL backend can reduce in one piece, in elements, or Infinity on other backends.
 * WebGL reductions read an unpacked texture (one float per texel) of the whole input, which tfjs shapes as square as it
 * can: past WEBGL_MAX_TEXTURE_SIZE² elements it fails ("Requested texture size [..] greater than WebGL maximum"), e.g. a
 * 32-channel full-resolution activation of a 2048×2048 photo on an 8192 GPU. Half the square leaves room for the
 * non-square shapes sizeToSquarishShape picks.
 */
export function reduceElementLimit(tf) {
  if (tf.getBackend() !== 'webgl') return Infinity;
  const side = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  return Math.floor((side * side) / 2);
}

/**
 * tf.moments(x, [1, 2], keepDims) of an NHWC batch of one, as two passes over bands of rows when x has more than
 * maxElements values: the band sums add up to the same mean and (biased) variance, and each band fits the backend.
 */
export function instanceMoments(tf, x, maxElements = Infinity) {
  const [n, h, w, c] = x.shape;
  if (n * h * w * c <= maxElements) return tf.moments(x, [1, 2], true);
  return tf.tidy(() => {
    const rows = Math.max(1, Math.floor(maxElements / (n * w * c)));
    const bands = [];
    for (let top = 0; top < h; top += rows) bands.push(tf.slice(x, [0, top, 0, 0], [n, Math.min(rows, h - top), w, c]));
    const count = h * w;
    const sumOver = (f) => tf.div(tf.addN(bands.map((band) => tf.sum(f(band), [1, 2], true))), count);
    const mean = sumOver((band) => band);
    const variance = sumOver((band) => tf.square(tf.sub(band, mean)));
    return { mean, variance };
  });
}

/** (x − mean) / sqrt(variance + epsilon) over H and W: both instance norms before their γ and β. */
function instanceNormalize(tf, x, epsilon) {
  const { mean, variance } = instanceMoments(tf, x, reduceElementLimit(tf));
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
}

/**
 * Runs fn (which dispatches tfjs ops, e.g. model.predict) with tfjs' packed direct convolution on the WebGL backend.
 * WebGL's default convolution (WEBGL_CONV_IM2COL) first copies every k×k patch into a [k·k·Cin, H·W] matrix: for the
 * 9×9 output conv of a full-width net (32 channels) that is 2592 × H·W values, 12960² texels at 720×360 — past the
 * 8192² texture limit of most GPUs and of SwiftShader. WEBGL_EXP_CONV's Conv2DPackedProgram reads the input in place.
 * The flag is restored afterwards: other models on the page keep tfjs' defaults.
 */
export function withWebglDirectConv(tf, fn) {
  if (tf.getBackend() !== 'webgl') return fn();
  const env = tf.env();
  let before;
  try {
    before = env.getBool('WEBGL_EXP_CONV');
  } catch {
    return fn(); // a tfjs without that flag: nothing to switch
  }
  env.set('WEBGL_EXP_CONV', true);
  try {
    return fn();
  } finally {
    env.set('WEBGL_EXP_CONV', before);
  }
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
        const normalized = instanceNormalize(tf, firstTensor(inputs), this.epsilon);
        return tf.add(tf.mul(normalized, this.gamma.read()), this.beta.read());
      });
    }
    getConfig() {
      return { ...super.getConfig(), epsilon: this.epsilon };
    }
  }

  // A multi-style network's instance norm (Dumoulin et al.): gamma and beta hold one row per style ([N, C]); the
  // norm applies styleWeights · gamma and styleWeights · beta (style 0 until setStyleWeights is called).
  class NstConditionalInstanceNorm extends tf.layers.Layer {
    static className = 'NstConditionalInstanceNorm';
    constructor(config) {
      super(config);
      this.epsilon = config.epsilon;
      this.styles = config.styles;
      this.weights1xN = tf.keep(tf.tensor2d([Array.from({ length: this.styles }, (_, i) => (i === 0 ? 1 : 0))]));
    }
    setStyleWeights(weights) {
      if (weights.length !== this.styles) throw new Error(this.name + ': ' + weights.length + ' style weights for ' + this.styles + ' styles');
      const next = tf.keep(tf.tensor2d([Array.from(weights)]));
      this.weights1xN.dispose();
      this.weights1xN = next;
    }
    build(inputShape) {
      const s = firstShape(inputShape);
      const channels = s[s.length - 1];
      this.gamma = this.addWeight('gamma', [this.styles, channels], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [this.styles, channels], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    computeOutputShape(inputShape) {
      return inputShape;
    }
    call(inputs) {
      return tf.tidy(() => {
        const mix = (table) => tf.reshape(tf.matMul(this.weights1xN, table.read()), [-1]);
        const normalized = instanceNormalize(tf, firstTensor(inputs), this.epsilon);
        return tf.add(tf.mul(normalized, mix(this.gamma)), mix(this.beta));
      });
    }
    getConfig() {
      return { ...super.getConfig(), epsilon: this.epsilon, styles: this.styles };
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

  for (const cls of [NstReflectionPad2D, NstInstanceNorm, NstConditionalInstanceNorm, NstTanhImageOutput, NstResidualImageOutput]) {
    tf.serialization.registerClass(cls);
  }
}

/** How many styles a loaded model serves (1 for a single-style network). */
export function styleCount(model) {
  const norm = model.layers.find((l) => l.getClassName() === 'NstConditionalInstanceNorm');
  return norm ? norm.styles : 1;
}

/** Sets the style weights (one per style) the model's coming predict() calls apply. */
export function setStyleWeights(model, weights) {
  const norms = model.layers.filter((l) => l.getClassName() === 'NstConditionalInstanceNorm');
  if (norms.length === 0 && weights.length !== 1) throw new Error(weights.length + ' style weights for a single-style model');
  for (const norm of norms) norm.setStyleWeights(weights);
}

/**
 * Registers the layers, then loads the model (a URL, or any tf.io handler). Its predict() runs under
 * withWebglDirectConv, so that large images fit a WebGL GPU's textures; call the model through predict(), which also
 * takes a multi-style model's style weights: predict(x, { styleWeights }).
 */
export async function loadNstModel(tf, modelUrl) {
  registerNstLayers(tf);
  const model = await tf.loadLayersModel(modelUrl);
  const predict = model.predict.bind(model);
  model.predict = (x, config) => {
    const { styleWeights, ...rest } = config ?? {};
    if (styleWeights !== undefined) setStyleWeights(model, styleWeights);
    return withWebglDirectConv(tf, () => predict(x, rest));
  };
  return model;
}
`;
