/**
 * TanhImageOutput: y = tanh(x) * scale + offset (Engstrom's head: scale 150, offset 127.5). A bounded head that starts
 * at mid-grey: with a linear head that starts near 0, short CPU training runs come out dark (see docs/checkpoint-format.md).
 */
import { tf } from '../../backend/tf';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = Array<number | null>;

export interface TanhImageOutputArgs extends NonNullable<LayerArgs> {
  scale?: number;
  offset?: number;
}

export class TanhImageOutput extends tf.layers.Layer {
  static className = 'NstTanhImageOutput';
  readonly scale: number;
  readonly offset: number;

  constructor(args: TanhImageOutputArgs = {}) {
    super(args);
    this.scale = args.scale ?? 150;
    this.offset = args.offset ?? 127.5;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.add(tf.mul(tf.tanh(x), this.scale), this.offset));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

tf.serialization.registerClass(TanhImageOutput);
