/**
 * ConditionalInstanceNorm (Dumoulin, Shlens & Kudlur 2017, "A Learned Representation for Artistic Style"): the
 * instance norm of a network that serves N styles, each with its own scale and shift. Weights: `gamma` [N, C] (init 1)
 * and `beta` [N, C] (init 0), one row per style. The layer applies γ = wᵀ·gamma and β = wᵀ·beta for the style weights
 * w (length N): one-hot = one style, a convex mix = interpolated styles.
 *
 * Why the weights are state of the layer (setStyleWeights) and not a second model input: the network stays a
 * single-input model, so every path that runs it — training, previews, the tiled pass with whole-image statistics
 * (src/infer/layer-graph.ts), the browser export — runs it unchanged; the style is chosen before the forward pass
 * (JavaScript runs a forward pass without interleaving, so this cannot race). The exports (ONNX, tfjs web) turn the
 * weights into an input of the exported model.
 *
 * Gradient: γ is a matmul of the (constant) weights with the table, so a one-hot step's gradient reaches only that
 * style's row (exact zeros elsewhere).
 */
import { tf } from '../../backend/tf';
import { instanceNorm } from '../ops/instance-norm';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = Array<number | null>;
type LayerVariable = ReturnType<tf.layers.Layer['addWeight']>;

export interface ConditionalInstanceNormArgs extends NonNullable<LayerArgs> {
  epsilon: number;
  /** Number of styles N (≥ 2; a one-style network uses the plain InstanceNorm). */
  styles: number;
}

export const CONDITIONAL_NORM_CLASS = 'NstConditionalInstanceNorm';

export class ConditionalInstanceNorm extends tf.layers.Layer {
  static className = CONDITIONAL_NORM_CLASS;
  readonly epsilon: number;
  readonly styles: number;
  private gamma?: LayerVariable;
  private beta?: LayerVariable;
  /** [1, N], kept (not tidied away); style 0 until set. */
  private weights1xN: tf.Tensor2D;

  constructor(args: ConditionalInstanceNormArgs) {
    super(args);
    if (!(args.epsilon > 0)) throw new Error(`ConditionalInstanceNorm: epsilon must be > 0, got ${args.epsilon}`);
    if (!Number.isInteger(args.styles) || args.styles < 1) throw new Error(`ConditionalInstanceNorm: styles must be a whole number ≥ 1, got ${args.styles}`);
    this.epsilon = args.epsilon;
    this.styles = args.styles;
    this.weights1xN = tf.keep(tf.oneHot([0], this.styles).toFloat() as tf.Tensor2D);
  }

  /** Style weights (length N) for the coming forward passes; the layer keeps its own copy. */
  setStyleWeights(weights: ArrayLike<number>): void {
    if (weights.length !== this.styles) throw new Error(`${this.name}: ${weights.length} style weights for ${this.styles} styles`);
    const next = tf.keep(tf.tensor2d(Array.from(weights), [1, this.styles], 'float32'));
    this.weights1xN.dispose();
    this.weights1xN = next;
  }

  styleWeights(): Float32Array {
    return this.weights1xN.dataSync() as Float32Array;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = s[s.length - 1];
    if (channels === null) throw new Error(`ConditionalInstanceNorm ${this.name}: the channel count must be known`);
    this.gamma = this.addWeight('gamma', [this.styles, channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [this.styles, channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /** γ and β for the current style weights ([C] each; the caller disposes them). */
  mixedGammaBeta(): [tf.Tensor1D, tf.Tensor1D] {
    return tf.tidy(() => {
      const mix = (table: LayerVariable) => tf.reshape(tf.matMul(this.weights1xN, table.read() as tf.Tensor2D), [-1]) as tf.Tensor1D;
      return [mix(this.gamma!), mix(this.beta!)];
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      const [gamma, beta] = this.mixedGammaBeta();
      return instanceNorm(x, gamma, beta, this.epsilon);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, styles: this.styles };
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const r = super.dispose();
    if (r.refCountAfterDispose === 0) this.weights1xN.dispose();
    return r;
  }
}

tf.serialization.registerClass(ConditionalInstanceNorm);
