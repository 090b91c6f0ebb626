/**
 * ResidualImageOutput: y = photo + delta, the head of a net that starts as the identity. Inputs [photo, delta], both
 * NHWC RGB; `delta` (the last conv) is 4·ceil(H/4) × 4·ceil(W/4), so a photo whose sides are not multiples of 4 is first
 * padded at the bottom and right by reflection (as src/infer/pad.ts pads inputs) to delta's size.
 *
 * The photo is an input of the net, not a weight: no gradient has to flow through the padding.
 */
import { tf } from '../../backend/tf';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = Array<number | null>;

export class ResidualImageOutput extends tf.layers.Layer {
  static className = 'NstResidualImageOutput';

  constructor(args: NonNullable<LayerArgs> = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    return shapes[1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length !== 2) throw new Error(`${this.name}: expects [photo, delta]`);
    const [photo, delta] = inputs as [tf.Tensor4D, tf.Tensor4D];
    return tf.tidy(() => {
      const dh = delta.shape[1] - photo.shape[1];
      const dw = delta.shape[2] - photo.shape[2];
      if (dh < 0 || dw < 0) throw new Error(`${this.name}: delta ${delta.shape} is smaller than the photo ${photo.shape}`);
      const base = dh > 0 || dw > 0 ? tf.mirrorPad(photo, [[0, 0], [0, dh], [0, dw], [0, 0]], 'reflect') : photo;
      return tf.add(base, delta);
    });
  }
}

tf.serialization.registerClass(ResidualImageOutput);
