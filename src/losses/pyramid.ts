/**
 * A style term over an image pyramid (after Snelgrove 2017, "High-resolution multi-scale neural texture synthesis"):
 * level k matches the Grams of the output average-pooled by 2^k against those of the style image pooled alike.
 *
 * Why: a Gram at a tap only describes patterns as large as that tap's receptive field (~48 px at relu3_4, the deepest
 * tap of the embedded VGG blocks 1–3), so a painting's large shapes — udnie's folds — are out of reach of one level.
 * At level k the same tap sees 2^k times further on the output, and the style image pooled by the same factor keeps
 * its shapes' sizes in output pixels consistent with level 0's.
 *
 * Level 0 is the loss network's features as they are: a 1-level pyramid (also `levels` undefined: the option
 * omitted) is the plain perceptual loss.
 */
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import type { LossNetwork } from '../nets/loss-network/types';

/** The feature key of `tap` at pyramid `level` (level 0: the tap's own name; level 1 of relu3_4: "relu3_4@2"). */
export function pyramidKey(tap: string, level: number): string {
  return level === 0 ? tap : `${tap}@${2 ** level}`;
}

/** The smallest side a pyramid level may have: below it the deepest VGG taps are a pixel or two wide. */
export const MIN_PYRAMID_SIDE = 32;

/** Throws a UsageError naming `what` when an image of `side` px is below MIN_PYRAMID_SIDE at the coarsest of `levels`. */
export function checkPyramidSide(side: number, levels: number | undefined, what: string): void {
  if (levels === undefined || levels <= 1) return; // no pyramid: the loss network's own limits apply, as before
  const coarsest = Math.floor(side / 2 ** (levels - 1));
  if (coarsest < MIN_PYRAMID_SIDE) {
    throw new UsageError(
      `--style-pyramid ${levels}: ${what} of ${side} px is ${coarsest} px at its coarsest level (at least ${MIN_PYRAMID_SIDE}); use fewer levels or a larger size`,
    );
  }
}

/**
 * The loss network's features at `taps` (level 0) and at `styleLayers` on each coarser level, keyed by pyramidKey.
 * Differentiable w.r.t. `images`; the caller disposes the returned tensors.
 */
export function extractPyramid(lossNet: LossNetwork, images: tf.Tensor4D, taps: string[], styleLayers: string[], levels = 1): Record<string, tf.Tensor4D> {
  const out = lossNet.extract(images, taps);
  if (levels <= 1) return out;
  const coarser = tf.tidy(() => {
    const feats: Record<string, tf.Tensor4D> = {};
    let x = images;
    for (let level = 1; level < levels; level++) {
      x = tf.avgPool(x, 2, 2, 'valid');
      const f = lossNet.extract(x, styleLayers);
      for (const t of styleLayers) feats[pyramidKey(t, level)] = f[t];
    }
    return feats;
  });
  return { ...out, ...coarser };
}

/**
 * The style layer weights over the pyramid's keys: each tap's weight (default 1) divided by the number of levels, so
 * the style term is the mean over levels and keeps its balance against content at any depth of pyramid.
 */
export function pyramidLayerWeights(styleLayers: string[], levels = 1, weights: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (let level = 0; level < levels; level++) {
    for (const t of styleLayers) out[pyramidKey(t, level)] = (weights[t] ?? 1) / levels;
  }
  return out;
}
