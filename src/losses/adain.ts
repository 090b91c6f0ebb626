/**
 * The AdaIN decoder's training loss (Huang & Belongie 2017, §5.1), as pure functions of tensors.
 *
 *   content = MSE(f(g(t)), t)                     at the encoder layer: the decoded image re-encodes to the target t
 *   style   = Σ_layers MSE(μ(fᵢ(g(t))), μ(fᵢ(s))) + MSE(σ(fᵢ(g(t))), σ(fᵢ(s)))
 *   total   = contentWeight·content + styleWeight·style
 *
 * μ, σ per image and channel over H, W (../nets/adain/stats). The style statistics are per image ([B,1,1,C], each
 * content image paired with its own style) or one style for the batch ([1,1,1,C]).
 *
 * Scale. The reference scale ('raw') is the plain MSEs above, as the authors' code computes them; their magnitudes
 * depend on the encoder's preprocessing (caffe VGG features run to hundreds) and differ per layer by orders of
 * magnitude, so default weights would not transfer. The 'normalized' scale (the default) divides each term by a
 * constant computed from the targets only — content by mean(t²), each style layer by mean(μₛ²) + mean(σₛ²) — so every
 * term is ~1 for a decoder whose output features are ~0 and the style layers weigh alike: with it, style weight ~1–10
 * is the useful range. The divisors do not depend on the decoder, so they rescale gradients without moving the optimum
 * of any term.
 */
import { tf } from '../backend/tf';
import { channelStats, type ChannelStats } from '../nets/adain/stats';
import type { AdainEncoderLayer } from '../nets/adain/decoder';

export type AdainLossScale = 'normalized' | 'raw';

/** The style layers of the paper for a decoder working at `encoderLayer`: relu1_1 … that layer. */
export function adainStyleLayers(encoderLayer: AdainEncoderLayer): string[] {
  return encoderLayer === 'relu4_1' ? ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1'] : ['relu1_1', 'relu2_1', 'relu3_1'];
}

export interface AdainLossInput {
  /** Encoder features of the decoded image: the content layer and every style layer. */
  outputFeatures: Record<string, tf.Tensor4D>;
  /** The AdaIN target t the decoder was given (at `contentLayer`). */
  target: tf.Tensor4D;
  /** Style statistics per style layer. */
  styleStats: Record<string, ChannelStats>;
  /** The style layers to sum over (e.g. adainStyleLayers('relu3_1')). */
  layers: string[];
  /** The encoder layer t lives at. */
  contentLayer: string;
  styleWeight: number;
  contentWeight?: number;
  /** 'normalized' (default) or 'raw': see the module comment. */
  scale?: AdainLossScale;
  /** eps of the output's statistics (that of the style statistics is whatever made them). */
  eps?: number;
}

export interface AdainLoss {
  total: tf.Scalar;
  /** Unweighted content term. */
  content: tf.Scalar;
  /** Unweighted style term (the sum over layers). */
  style: tf.Scalar;
  styleLayers: Record<string, tf.Scalar>;
}

const FLOOR = 1e-12;

/** MSE between the output's statistics and the style's at one layer, divided by `scale`. */
export function adainStyleLayerLoss(outputFeatures: tf.Tensor4D, style: ChannelStats, normalize: boolean, eps?: number): tf.Scalar {
  return tf.tidy(() => {
    const out = channelStats(outputFeatures, eps);
    const raw = tf.add(tf.mean(tf.squaredDifference(out.mean, style.mean)), tf.mean(tf.squaredDifference(out.std, style.std)));
    if (!normalize) return raw as tf.Scalar;
    const divisor = tf.maximum(tf.add(tf.mean(tf.square(style.mean)), tf.mean(tf.square(style.std))), FLOOR);
    return tf.div(raw, divisor) as tf.Scalar;
  });
}

/** MSE between the re-encoded output and the target, divided by mean(t²) when normalised. */
export function adainContentLoss(outputFeatures: tf.Tensor4D, target: tf.Tensor4D, normalize: boolean): tf.Scalar {
  return tf.tidy(() => {
    const raw = tf.mean(tf.squaredDifference(outputFeatures, target));
    if (!normalize) return raw as tf.Scalar;
    return tf.div(raw, tf.maximum(tf.mean(tf.square(target)), FLOOR)) as tf.Scalar;
  });
}

export function adainLoss(input: AdainLossInput): AdainLoss {
  const normalize = (input.scale ?? 'normalized') === 'normalized';
  const outContent = input.outputFeatures[input.contentLayer];
  if (!outContent) throw new Error(`adainLoss: no output features for content layer ${input.contentLayer}`);
  if (input.layers.length === 0) throw new Error('adainLoss: no style layers');
  const styleLayers: Record<string, tf.Scalar> = {};
  for (const layer of input.layers) {
    const feats = input.outputFeatures[layer];
    const stats = input.styleStats[layer];
    if (!feats) throw new Error(`adainLoss: no output features for style layer ${layer}`);
    if (!stats) throw new Error(`adainLoss: no style statistics for style layer ${layer}`);
    styleLayers[layer] = adainStyleLayerLoss(feats, stats, normalize, input.eps);
  }
  const content = adainContentLoss(outContent, input.target, normalize);
  const style = tf.tidy(() => tf.addN(Object.values(styleLayers)) as tf.Scalar);
  const total = tf.tidy(() => tf.add(tf.mul(content, input.contentWeight ?? 1), tf.mul(style, input.styleWeight)) as tf.Scalar);
  return { total, content, style, styleLayers };
}
