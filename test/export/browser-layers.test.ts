/**
 * The WebGL-specific helpers of the browser layers module (src/export/browser-layers.ts), evaluated from its exact text
 * in Node: the banded instance-norm moments equal tf.moments, and off WebGL nothing changes. Their effect on a real
 * WebGL GPU is tested in Chromium by test/export/web.test.ts.
 */
import { tf } from '../../src/backend/tf';
import { BROWSER_LAYERS_MODULE } from '../../src/export';
import { maxAbsDiff } from '../helpers';
import { rng } from './net-fixtures';

type Moments = { mean: tf.Tensor; variance: tf.Tensor };
type Helpers = {
  instanceMoments(t: typeof tf, x: tf.Tensor4D, maxElements?: number): Moments;
  reduceElementLimit(t: typeof tf): number;
  withWebglDirectConv<T>(t: typeof tf, fn: () => T): T;
};

function evaluateHelpers(): Helpers {
  const body = BROWSER_LAYERS_MODULE.replace(/^export /gm, '');
  return new Function(`${body}\nreturn { instanceMoments, reduceElementLimit, withWebglDirectConv };`)() as Helpers;
}

describe('browser layers: WebGL texture-size helpers', () => {
  const helpers = evaluateHelpers();

  test('moments in bands of rows equal tf.moments over H and W (float32 rounding only)', () => {
    const [h, w, c] = [13, 7, 5];
    const r = rng(3);
    const x = tf.tensor4d(Float32Array.from({ length: h * w * c }, () => 200 * r() - 50), [1, h, w, c]);
    const whole = tf.moments(x, [1, 2], true);
    // 1 row, 3 rows (a short last band), all rows but one, and everything in one piece.
    for (const maxElements of [w * c, 3 * w * c + 2, (h - 1) * w * c, Infinity]) {
      const banded = helpers.instanceMoments(tf, x, maxElements);
      expect(banded.mean.shape).toEqual([1, 1, 1, c]);
      expect(banded.variance.shape).toEqual([1, 1, 1, c]);
      expect(maxAbsDiff(banded.mean.dataSync() as Float32Array, whole.mean.dataSync() as Float32Array)).toBeLessThan(1e-4);
      expect(maxAbsDiff(banded.variance.dataSync() as Float32Array, whole.variance.dataSync() as Float32Array)).toBeLessThan(1e-2); // variance ~3300
      tf.dispose([banded.mean, banded.variance]);
    }
    tf.dispose([x, whole.mean, whole.variance]);
  });

  test('off WebGL there is no limit and convolutions keep their defaults', () => {
    expect(tf.getBackend()).not.toBe('webgl');
    expect(helpers.reduceElementLimit(tf)).toBe(Infinity);
    expect(helpers.withWebglDirectConv(tf, () => 42)).toBe(42);
  });
});
