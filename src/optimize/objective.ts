/**
 * The perceptual loss of one image as a function of its pixels: value, gradient and each term. It is the training
 * loss (src/losses/perceptual.ts) with the transformer taken out — the image itself is the variable.
 *
 * Content features and style Grams are computed once here and reused by every evaluation; each evaluation is one
 * forward and one backward pass of the loss network, and frees every tensor it made.
 */
import { tf } from '../backend/tf';
import type { LossNetwork } from '../nets/loss-network/types';
import {
  contentScaleOf,
  LossWeights,
  NORMALIZED_TV_SCALE,
  perceptualLoss,
  reportedTerms,
  StyleTarget,
  styleTargetsFrom,
  termValues,
  type LossValues,
} from '../losses/perceptual';
import { checkPyramidSide, extractPyramid, pyramidLayerWeights } from '../losses/pyramid';
import type { RgbImage } from '../image/image-io';
import type { Evaluation } from './lbfgs';

/** The unweighted terms (style summed over layers with their layer weights) and the weighted total. */
/** The loss terms of one evaluation (the perceptual loss's shape, as numbers). */
export type LossTerms = LossValues;

export interface ImageEvaluation extends Evaluation {
  gradient: Float32Array;
  terms: LossTerms;
}

export interface PerceptualObjectiveOptions {
  lossNet: LossNetwork;
  /** The photo whose content is kept; fixes the size of the optimized image. */
  content: RgbImage;
  /** The style image at the size the loss network should see it. */
  style: RgbImage;
  styleLayers: string[];
  contentLayer: string;
  weights: LossWeights;
  styleLayerWeights?: Record<string, number>;
  lossScale: 'normalized' | 'reference';
  /** Levels of the style term's pyramid (../losses/pyramid.ts); omitted or 1: the plain loss. */
  stylePyramid?: number;
}

export class PerceptualObjective {
  readonly width: number;
  readonly height: number;
  private readonly contentFeatures: tf.Tensor4D;
  private readonly styleTargets: Record<string, StyleTarget>;
  private readonly contentScale: number;
  private readonly taps: string[];
  /** The style term's weight per feature key, over the pyramid's levels. */
  private readonly styleLayerWeights: Record<string, number>;

  constructor(private readonly options: PerceptualObjectiveOptions) {
    const { lossNet, content, style, styleLayers, contentLayer, lossScale, stylePyramid } = options;
    checkPyramidSide(Math.min(content.width, content.height), stylePyramid, 'the image (shorter side)');
    checkPyramidSide(Math.min(style.width, style.height), stylePyramid, 'the style image (shorter side)');
    this.width = content.width;
    this.height = content.height;
    this.taps = [...new Set([...styleLayers, contentLayer])];
    this.styleLayerWeights = pyramidLayerWeights(styleLayers, stylePyramid, options.styleLayerWeights);
    const normalized = lossScale === 'normalized';
    this.contentFeatures = tf.tidy(() => {
      const x = tf.tensor4d(content.rgb, [1, content.height, content.width, 3]);
      return lossNet.extract(x, [contentLayer])[contentLayer];
    });
    const styleFeatures = tf.tidy(() => extractPyramid(lossNet, tf.tensor4d(style.rgb, [1, style.height, style.width, 3]), styleLayers, styleLayers, stylePyramid));
    this.styleTargets = styleTargetsFrom(styleFeatures, normalized);
    tf.dispose(Object.values(styleFeatures));
    this.contentScale = normalized ? contentScaleOf(this.contentFeatures) : 1;
  }

  /** Pixels as HWC RGB 0..255 (length width·height·3). */
  async evaluate(pixels: ArrayLike<number>): Promise<ImageEvaluation> {
    const { lossNet, contentLayer, styleLayers, weights, lossScale, stylePyramid } = this.options;
    const image = tf.tensor4d(pixels instanceof Float32Array ? pixels : Float32Array.from(pixels), [1, this.height, this.width, 3]);
    let kept: tf.Scalar[] = [];
    let styleKeys: string[] = [];
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor4D) => {
      const features = extractPyramid(lossNet, x, this.taps, styleLayers, stylePyramid);
      const loss = perceptualLoss({
        output: x,
        outputFeatures: features,
        contentFeatures: this.contentFeatures,
        contentLayer,
        styleTargets: this.styleTargets,
        weights,
        styleLayerWeights: this.styleLayerWeights,
        contentScale: this.contentScale,
        tvScale: lossScale === 'normalized' ? NORMALIZED_TV_SCALE : 1,
      });
      // valueAndGrad disposes everything made inside but the result: keep the terms we report.
      const reported = reportedTerms(loss);
      kept = reported.tensors.map((t) => tf.keep(t));
      styleKeys = reported.styleKeys;
      return loss.total;
    })(image);
    const stacked = tf.stack([value, ...kept]);
    try {
      const [values, gradient] = await Promise.all([stacked.data(), grad.data() as Promise<Float32Array>]);
      const [total, ...rest] = Array.from(values);
      return { value: total, gradient, terms: termValues(total, rest, styleKeys) };
    } finally {
      tf.dispose([image, value, grad, stacked, ...kept]);
    }
  }

  dispose(): void {
    this.contentFeatures.dispose();
    tf.dispose(Object.values(this.styleTargets).map((t) => t.gram));
  }
}
