import { tf } from '../../src/backend/tf';
import { preprocess } from '../../src/nets/loss-network';

// One pixel (R,G,B) = (200, 100, 50) and one (0, 255, 128), computed by hand.
const PIXELS = [200, 100, 50, 0, 255, 128];

describe('loss-network preprocessing', () => {
  it('caffe: RGB→BGR, 0..255, minus [103.939, 116.779, 123.68]', () => {
    const x = tf.tensor4d(PIXELS, [1, 1, 2, 3]);
    const y = preprocess(x, 'caffe');
    // pixel 1 BGR = (50, 100, 200) → (50-103.939, 100-116.779, 200-123.68)
    // pixel 2 BGR = (128, 255, 0)  → (128-103.939, 255-116.779, 0-123.68)
    const expected = [-53.939, -16.779, 76.32, 24.061, 138.221, -123.68];
    const got = Array.from(y.dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    tf.dispose([x, y]);
  });

  it('torch: RGB/255, minus [0.485, 0.456, 0.406], over [0.229, 0.224, 0.225]', () => {
    const x = tf.tensor4d(PIXELS, [1, 1, 2, 3]);
    const y = preprocess(x, 'torch');
    // (200/255-0.485)/0.229 = 0.784314/… = 1.307047…, (100/255-0.456)/0.224 = -0.285014…, (50/255-0.406)/0.225 = -0.932985…
    // (0-0.485)/0.229 = -2.117904…, (1-0.456)/0.224 = 2.428571…, (128/255-0.406)/0.225 = 0.426492…
    const expected = [1.307047, -0.285014, -0.932985, -2.117904, 2.428571, 0.426492];
    const got = Array.from(y.dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    tf.dispose([x, y]);
  });

  it('passes gradients through (d/dx of sum over caffe output is 1 per input element)', () => {
    const x = tf.tensor4d(PIXELS, [1, 1, 2, 3]);
    const g = tf.grad((t) => tf.sum(preprocess(t as tf.Tensor4D, 'caffe')))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    tf.dispose([x, g]);
  });
});
