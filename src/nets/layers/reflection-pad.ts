/**
 * ReflectionPad2D: pads H and W of an NHWC tensor by reflection (PyTorch's ReflectionPad2d), so a following 'valid'
 * convolution sees image-like borders instead of zeros — zero padding leaves dark/bright frames on stylized images.
 *
 * Uses `reflectPad2d` from the ops module, whose import replaces tfjs' wrong MirrorPad gradient with a correct one.
 */
import { tf } from '../../backend/tf';
import { UsageError } from '../../errors';
import { reflectPad2d } from '../ops/reflect-pad';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = Array<number | null>;

export interface ReflectionPad2DArgs extends NonNullable<LayerArgs> {
  /** Cells added on every side of H and W. */
  padding: number;
}

export class ReflectionPad2D extends tf.layers.Layer {
  static className = 'NstReflectionPad2D';
  readonly padding: number;

  constructor(args: ReflectionPad2DArgs) {
    super(args);
    if (!Number.isInteger(args.padding) || args.padding < 0) {
      throw new Error(`ReflectionPad2D: padding must be a non-negative integer, got ${args.padding}`);
    }
    this.padding = args.padding;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const grow = (d: number | null) => (d === null ? null : d + 2 * this.padding);
    return [s[0], grow(s[1]), grow(s[2]), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (this.padding === 0) return x;
    const [, h, w] = x.shape;
    if (h <= this.padding || w <= this.padding) {
      // Reflection needs at least padding+1 cells; say so instead of tfjs' generic assertion.
      throw new UsageError(`image too small for reflection padding in ${this.name}: ${h}×${w} at this layer (the network needs at least 5×5 pixels)`);
    }
    return reflectPad2d(x, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}

tf.serialization.registerClass(ReflectionPad2D);
