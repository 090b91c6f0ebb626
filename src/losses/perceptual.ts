/**
 * Perceptual losses of Johnson et al. (2016), as pure functions of tensors: no state, no I/O, no engine settings.
 *
 * Two scales share these definitions (see docs/training.md):
 *  - the *reference* scale (`scale` factors of 1) is exactly the definitions of ../shared/models/pytorch-train-step:
 *    mean-squared feature error, Gram = F Fᵀ / (C·H·W), mean-squared Gram error per layer, mean-squared TV;
 *  - the *normalized* scale used for training divides each term by a constant fixed before training (per style layer
 *    the mean square of the style Gram, for content the mean square of the content features, for TV 255²), so every
 *    term starts near 1 whatever the style, layer or image size, and default weights need no tuning by orders of
 *    magnitude. Dividing by a constant only rescales a term's gradient; the optimum of each term is unchanged.
 */
import { tf } from '../backend/tf';

/** Per-image Gram matrices of NHWC features: [B, C, C], G = F Fᵀ / (C·H·W) with F = C × (H·W). */
export function gram(features: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w, c] = features.shape;
    const flat = tf.reshape(features, [b, h * w, c]);
    return tf.div(tf.matMul(flat, flat, true, false), c * h * w) as tf.Tensor3D;
  });
}

/** Mean over all elements of (output features − content features)², divided by `scale`. */
export function contentLoss(outputFeatures: tf.Tensor4D, contentFeatures: tf.Tensor4D, scale = 1): tf.Scalar {
  return tf.tidy(() => tf.div(tf.mean(tf.squaredDifference(outputFeatures, contentFeatures)), scale) as tf.Scalar);
}

/** One style layer: mean over batch and C×C of (G(output) − G(style))², the style Gram [1,C,C] broadcast over the batch. */
export function styleLayerLoss(outputFeatures: tf.Tensor4D, styleGram: tf.Tensor3D, scale = 1): tf.Scalar {
  return tf.tidy(() => {
    const g = gram(outputFeatures);
    return tf.div(tf.mean(tf.squaredDifference(g, styleGram)), scale) as tf.Scalar;
  });
}

/** The style target of one layer: its Gram (batch of one) and the constant its loss is divided by. */
export interface StyleTarget {
  gram: tf.Tensor3D;
  /** 1 for the reference scale; mean(G²) of the style Gram for the normalized scale. */
  scale: number;
}

export interface StyleLossResult {
  total: tf.Scalar;
  perLayer: Record<string, tf.Scalar>;
}

/** Weighted sum over layers of `styleLayerLoss`; `layerWeights` defaults to 1 for every layer. */
export function styleLoss(
  outputFeatures: Record<string, tf.Tensor4D>,
  targets: Record<string, StyleTarget>,
  layerWeights: Record<string, number> = {},
): StyleLossResult {
  const perLayer: Record<string, tf.Scalar> = {};
  for (const [layer, target] of Object.entries(targets)) {
    const feats = outputFeatures[layer];
    if (!feats) throw new Error(`styleLoss: no output features for style layer ${layer}`);
    perLayer[layer] = styleLayerLoss(feats, target.gram, target.scale);
  }
  const total = tf.tidy(() =>
    Object.entries(perLayer).reduce<tf.Scalar>(
      (acc, [layer, l]) => tf.add(acc, tf.mul(l, layerWeights[layer] ?? 1)),
      tf.scalar(0),
    ),
  );
  return { total, perLayer };
}

/**
 * Total variation: mean((y[h+1]−y[h])²) + mean((y[w+1]−y[w])²) over all neighbour pairs and channels, divided by
 * `scale` (255² for the normalized scale, which measures it in 0..1 units).
 */
export function totalVariation(images: tf.Tensor4D, scale = 1): tf.Scalar {
  return tf.tidy(() => {
    const dh = tf.square(neighbourDifferences(images, 'h'));
    const dw = tf.square(neighbourDifferences(images, 'w'));
    return tf.div(tf.add(tf.mean(dh), tf.mean(dw)), scale) as tf.Scalar;
  });
}

/**
 * y[h+1] − y[h] (axis 'h') or y[w+1] − y[w] ('w') per channel, as a valid conv with a fixed [−1, 1] kernel. Slicing
 * the shifted windows instead runs tfjs' element-by-element JS Slice (and Pad in the backward pass) wherever a window
 * is not one contiguous block — every batch above 1 — which took ~30 % of a batch-4 training step; a conv and its
 * input gradient run on the backend's conv kernels. The values are the same: (−1)·a + 1·b is b − a exactly.
 */
function neighbourDifferences(images: tf.Tensor4D, axis: 'h' | 'w'): tf.Tensor4D {
  const c = images.shape[3];
  const k = new Float32Array(2 * c * c);
  for (let ch = 0; ch < c; ch++) {
    k[ch * c + ch] = -1;
    k[c * c + ch * c + ch] = 1;
  }
  const kernel = tf.tensor4d(k, axis === 'h' ? [2, 1, c, c] : [1, 2, c, c]);
  return tf.conv2d(images, kernel, 1, 'valid');
}

export interface LossWeights {
  content: number;
  style: number;
  tv: number;
}

export interface PerceptualLossInput {
  /** The transformer's output, NHWC RGB 0..255 (unclamped). */
  output: tf.Tensor4D;
  /** Loss-network features of the output, at least the content layer and every style layer. */
  outputFeatures: Record<string, tf.Tensor4D>;
  /** Loss-network features of the input photos at the content layer. */
  contentFeatures: tf.Tensor4D;
  contentLayer: string;
  styleTargets: Record<string, StyleTarget>;
  weights: LossWeights;
  styleLayerWeights?: Record<string, number>;
  /** Divides the content term (1 = reference scale). */
  contentScale?: number;
  /** Divides the TV term (1 = reference scale). */
  tvScale?: number;
}

/** The terms of a perceptual loss: each unweighted, the style term per layer, and the weighted total. */
export interface LossTermsOf<T> {
  content: T;
  style: T;
  styleLayers: Record<string, T>;
  tv: T;
  total: T;
}

/** The loss as tensors (inside the gradient tape). */
export type PerceptualLoss = LossTermsOf<tf.Scalar>;
/** The loss as numbers: what training steps, optimization steps and logs report. */
export type LossValues = LossTermsOf<number>;

export function perceptualLoss(input: PerceptualLossInput): PerceptualLoss {
  const { weights } = input;
  const outContent = input.outputFeatures[input.contentLayer];
  if (!outContent) throw new Error(`perceptualLoss: no output features for content layer ${input.contentLayer}`);
  const content = contentLoss(outContent, input.contentFeatures, input.contentScale ?? 1);
  const style = styleLoss(input.outputFeatures, input.styleTargets, input.styleLayerWeights);
  const tv = totalVariation(input.output, input.tvScale ?? 1);
  const total = tf.tidy(() =>
    tf.addN([tf.mul(content, weights.content), tf.mul(style.total, weights.style), tf.mul(tv, weights.tv)]) as tf.Scalar,
  );
  return { content, style: style.total, styleLayers: style.perLayer, tv, total };
}

/** Style targets from loss-network features of one style image (batch 1); `normalize` picks the training scale. */
export function styleTargetsFrom(features: Record<string, tf.Tensor4D>, normalize: boolean): Record<string, StyleTarget> {
  const out: Record<string, StyleTarget> = {};
  for (const [layer, f] of Object.entries(features)) {
    const g = gram(f);
    const scale = normalize ? Math.max(tf.tidy(() => tf.mean(tf.square(g)).dataSync()[0]), 1e-12) : 1;
    out[layer] = { gram: g, scale };
  }
  return out;
}

/** The constant the content term is divided by on the normalized scale: mean square of the content features. */
export function contentScaleOf(contentFeatures: tf.Tensor4D): number {
  return Math.max(tf.tidy(() => tf.mean(tf.square(contentFeatures)).dataSync()[0]), 1e-12);
}

/** The TV divisor on the normalized scale: TV measured on 0..1 images. */
export const NORMALIZED_TV_SCALE = 255 * 255;

/**
 * The terms a step reports (content, style, tv, then every style key the loss has — a pyramid's coarser levels too), as
 * one list to read back in a single transfer, with the style keys to name them by (termValues).
 */
export function reportedTerms(loss: PerceptualLoss): { tensors: tf.Scalar[]; styleKeys: string[] } {
  const styleKeys = Object.keys(loss.styleLayers);
  return { tensors: [loss.content, loss.style, loss.tv, ...styleKeys.map((k) => loss.styleLayers[k])], styleKeys };
}

/** The numbers of reportedTerms' list, in its order, beside the total. */
export function termValues(total: number, values: number[], styleKeys: string[]): LossValues {
  const [content, style, tv, ...perKey] = values;
  return { total, content, style, tv, styleLayers: Object.fromEntries(styleKeys.map((k, i) => [k, perKey[i]])) };
}
