/**
 * Adaptive instance normalisation (Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance
 * Normalization", ICCV 2017) as pure, differentiable tensor maths on NHWC features.
 *
 *   AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y)
 *
 * with μ, σ the per-image, per-channel mean and standard deviation over H and W. σ = sqrt(var + eps): the eps sits
 * inside the square root so a flat channel (var 0, common in ReLU features) gives a finite σ and a finite gradient.
 */
import { tf } from '../../backend/tf';

/** The default eps of the statistics (PyTorch's instance-norm eps, which the reference implementation uses too). */
export const ADAIN_EPSILON = 1e-5;

/** Per-image, per-channel statistics of NHWC features, each [B, 1, 1, C] so they broadcast over H and W. */
export interface ChannelStats {
  mean: tf.Tensor4D;
  std: tf.Tensor4D;
}

/** μ and σ = sqrt(var + eps) over H and W of each image and channel. */
export function channelStats(features: tf.Tensor4D, eps = ADAIN_EPSILON): ChannelStats {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(features, [1, 2], true);
    return { mean: mean as tf.Tensor4D, std: tf.sqrt(tf.add(variance, eps)) as tf.Tensor4D };
  });
}

/** Disposes both tensors of a ChannelStats. */
export function disposeStats(stats: ChannelStats): void {
  stats.mean.dispose();
  stats.std.dispose();
}

/**
 * Content features renormalised to the style's statistics. `styleMean`/`styleStd` are [B|1, 1, 1, C] (one style per
 * image, or one for the whole batch); the content statistics are taken from `content` itself with the same eps.
 */
export function adain(content: tf.Tensor4D, styleMean: tf.Tensor4D, styleStd: tf.Tensor4D, eps = ADAIN_EPSILON): tf.Tensor4D {
  return tf.tidy(() => {
    const c = channelStats(content, eps);
    return adainWithStats(content, c, { mean: styleMean, std: styleStd });
  });
}

/**
 * AdaIN with the content statistics given rather than measured: tiled inference normalises every tile with the
 * whole image's statistics, so that tiles agree with each other and with the untiled result.
 */
export function adainWithStats(content: tf.Tensor4D, contentStats: ChannelStats, styleStats: ChannelStats): tf.Tensor4D {
  return tf.tidy(
    () => tf.add(tf.mul(tf.div(tf.sub(content, contentStats.mean), contentStats.std), styleStats.std), styleStats.mean) as tf.Tensor4D,
  );
}

/** The content–style trade-off at test time: α·t + (1−α)·content (α = 1: full style, 0: the content's own features). */
export function blendAlpha(target: tf.Tensor4D, content: tf.Tensor4D, alpha: number): tf.Tensor4D {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  if (alpha === 1) return tf.clone(target);
  if (alpha === 0) return tf.clone(content);
  return tf.tidy(() => tf.add(tf.mul(target, alpha), tf.mul(content, 1 - alpha)) as tf.Tensor4D);
}

/** The sum of one non-negative weight per style (positive), or a RangeError naming `where`. */
function checkedWeightSum(where: string, styles: number, weights: number[]): number {
  if (styles === 0) throw new RangeError(`${where}: at least one style`);
  if (weights.length !== styles) throw new RangeError(`${where}: ${styles} styles but ${weights.length} weights`);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.some((w) => !(w >= 0)) || !(sum > 0)) throw new RangeError(`${where}: weights must be non-negative with a positive sum, got ${weights.join(',')}`);
  return sum;
}

/**
 * Style interpolation: Σ wₖ·AdaIN(content, styleₖ) with the weights normalised to sum 1 (the paper's weighted mix of
 * AdaIN targets). `contentStats` may be given (tiled inference), else it is measured on `content`.
 */
export function mixedAdain(
  content: tf.Tensor4D,
  styles: ChannelStats[],
  weights: number[],
  contentStats?: ChannelStats,
  eps = ADAIN_EPSILON,
): tf.Tensor4D {
  const sum = checkedWeightSum('mixedAdain', styles.length, weights);
  return tf.tidy(() => {
    const c = contentStats ?? channelStats(content, eps);
    const normalised = tf.div(tf.sub(content, c.mean), c.std);
    // Σ wₖ(σₖ·n + μₖ) = (Σ wₖσₖ)·n + Σ wₖμₖ: one mix of the statistics instead of K full-size targets.
    const std = tf.addN(styles.map((s, k) => tf.mul(s.std, weights[k] / sum)));
    const mean = tf.addN(styles.map((s, k) => tf.mul(s.mean, weights[k] / sum)));
    return tf.add(tf.mul(normalised, std), mean) as tf.Tensor4D;
  });
}

/** A per-channel affine map x·scale + shift of NHWC features. */
export interface ChannelAffine {
  scale: Float32Array;
  shift: Float32Array;
}

/**
 * The AdaIN target of the decoder as a per-channel affine map of the content features f:
 *
 *   α·(S·(f − μ)/σ + M) + (1 − α)·f  =  f·(α·S/σ + 1 − α) + α·(M − S·μ/σ)
 *
 * with μ, σ the content's statistics and S = Σ wₖσₖ, M = Σ wₖμₖ the styles' mixed by the weights (normalised to sum
 * 1), so mixedAdain and blendAlpha together cost one multiply-add a value, which a decoder plan can fuse (scale > 0:
 * every σ includes the eps). Pure maths on the [1,1,1,C] statistics' values.
 */
export function adainAffine(content: { mean: ArrayLike<number>; std: ArrayLike<number> }, styles: Array<{ mean: ArrayLike<number>; std: ArrayLike<number> }>, weights: number[], alpha: number): ChannelAffine {
  const sum = checkedWeightSum('adainAffine', styles.length, weights);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  const c = content.mean.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    let m = 0;
    styles.forEach((st, i) => {
      s += (weights[i] / sum) * st.std[k];
      m += (weights[i] / sum) * st.mean[k];
    });
    const ratio = s / content.std[k];
    scale[k] = alpha * ratio + 1 - alpha;
    shift[k] = alpha * (m - ratio * content.mean[k]);
  }
  return { scale, shift };
}
