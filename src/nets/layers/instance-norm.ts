/**
 * InstanceNorm: affine instance normalization over H and W, per image and channel (NHWC), as PyTorch's
 * InstanceNorm2d(affine=True, track_running_stats=False) and Engstrom's `_instance_norm`: biased variance, `epsilon`
 * inside the square root. Weights: `gamma` (scale, init 1) and `beta` (shift, init 0), both [C].
 *
 * Runs the `instanceNorm` op, which uses the native fused kernel when one is registered.
 */
import { tf } from '../../backend/tf';
import { instanceNorm } from '../ops/instance-norm';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = Array<number | null>;
type LayerVariable = ReturnType<tf.layers.Layer['addWeight']>;

export interface InstanceNormArgs extends NonNullable<LayerArgs> {
  epsilon: number;
}

export class InstanceNorm extends tf.layers.Layer {
  static className = 'NstInstanceNorm';
  readonly epsilon: number;
  private gamma?: LayerVariable;
  private beta?: LayerVariable;

  constructor(args: InstanceNormArgs) {
    super(args);
    if (!(args.epsilon > 0)) throw new Error(`InstanceNorm: epsilon must be > 0, got ${args.epsilon}`);
    this.epsilon = args.epsilon;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = s[s.length - 1];
    if (channels === null) throw new Error(`InstanceNorm ${this.name}: the channel count must be known`);
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return instanceNorm(x, this.gamma!.read() as tf.Tensor1D, this.beta!.read() as tf.Tensor1D, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(InstanceNorm);
