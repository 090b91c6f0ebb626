/**
 * TanhImageOutput: y = tanh(x · inputScale) * scale + offset, a bounded head that starts at mid-grey.
 *  - Engstrom's head: scale 150, offset 127.5, inputScale 1 (the default, and what model.json files without
 *    `inputScale` mean). Its slope at mid-grey is 150 pixel values per unit of x.
 *  - the 'softclip' head: inputScale 1/scale, slope 1 at mid-grey, so the last conv works in pixel units as a linear
 *    head does and only values near the ends of the range are squashed (see docs/training.md, "Output head").
 */
import { tf } from '../../backend/tf';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = Array<number | null>;

export interface TanhImageOutputArgs extends NonNullable<LayerArgs> {
  scale?: number;
  offset?: number;
  inputScale?: number;
}

export class TanhImageOutput extends tf.layers.Layer {
  static className = 'NstTanhImageOutput';
  readonly scale: number;
  readonly offset: number;
  readonly inputScale: number;

  constructor(args: TanhImageOutputArgs = {}) {
    super(args);
    this.scale = args.scale ?? 150;
    this.offset = args.offset ?? 127.5;
    this.inputScale = args.inputScale ?? 1;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const pre = this.inputScale === 1 ? x : tf.mul(x, this.inputScale);
      return tf.add(tf.mul(tf.tanh(pre), this.scale), this.offset);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    // inputScale only when it is not 1, so Engstrom-head model.json files stay as they were.
    return { ...super.getConfig(), scale: this.scale, offset: this.offset, ...(this.inputScale !== 1 ? { inputScale: this.inputScale } : {}) };
  }
}

tf.serialization.registerClass(TanhImageOutput);
