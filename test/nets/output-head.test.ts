import { tf } from '../../src/backend/tf';
import { ResidualImageOutput, TanhImageOutput } from '../../src/nets/layers';
import { OUTPUT_HEADS, outputHeadOf } from '../../src/nets/output-head';
import { buildTransformer, ENGSTROM_CONFIG, PYTORCH_EXAMPLES_CONFIG } from '../../src/nets/transformer';

const SLIM = { width: 0.25, residualBlocks: 1 } as const;

/** A smooth photo-like image: a gradient plus a few stripes, 0–255. */
function photo(h: number, w: number): tf.Tensor4D {
  return tf.tidy(() => {
    const yy = tf.reshape(tf.linspace(0, 1, h), [1, h, 1, 1]);
    const xx = tf.reshape(tf.linspace(0, 1, w), [1, 1, w, 1]);
    const r = tf.add(tf.mul(yy, 200), tf.mul(tf.sin(tf.mul(xx, 12)), 25));
    const g = tf.add(tf.mul(xx, 180), 30);
    const b = tf.sub(220, tf.mul(tf.add(yy, xx), 90));
    return tf.concat([tf.broadcastTo(r, [1, h, w, 1]), tf.broadcastTo(g, [1, h, w, 1]), tf.broadcastTo(b, [1, h, w, 1])], 3) as tf.Tensor4D;
  });
}

describe('output heads', () => {
  test('every head: output shape 4·ceil(H/4) × 4·ceil(W/4) × 3, and outputHeadOf reads the head back from the model', () => {
    for (const output of OUTPUT_HEADS) {
      const model = buildTransformer({ ...SLIM, output });
      expect(outputHeadOf(model)).toBe(output);
      for (const [h, w] of [[16, 24], [13, 22]]) {
        const y = tf.tidy(() => model.predict(photo(h, w)) as tf.Tensor);
        expect(y.shape).toEqual([1, 4 * Math.ceil(h / 4), 4 * Math.ceil(w / 4), 3]);
        y.dispose();
      }
      model.dispose();
    }
    // Imported presets keep their heads.
    for (const [config, head] of [[PYTORCH_EXAMPLES_CONFIG, 'linear'], [ENGSTROM_CONFIG, 'tanh']] as const) {
      const model = buildTransformer({ ...config, width: 0.25, residualBlocks: 1 });
      expect(outputHeadOf(model)).toBe(head);
      model.dispose();
    }
  });

  test('a fresh residual net reproduces its input (within 2 of 255); a fresh linear, softclip or tanh net starts at its bias, mid-grey', () => {
    const x = photo(32, 28);
    const residual = buildTransformer({ ...SLIM, output: 'residual' });
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(residual.predict(x) as tf.Tensor, x))).dataSync()[0]);
    expect(diff).toBeLessThan(2);
    residual.dispose();
    for (const output of ['linear', 'softclip', 'tanh'] as const) {
      const model = buildTransformer({ ...SLIM, output });
      const { mean, variance } = tf.tidy(() => tf.moments(model.predict(x) as tf.Tensor));
      const [m, s] = [mean.dataSync()[0], Math.sqrt(variance.dataSync()[0])];
      // The linear and softclip heads start flatter than tanh (slope 1 instead of 150 at mid-grey).
      expect(Math.abs(m - 127.5)).toBeLessThan(output === 'tanh' ? 30 : 1);
      expect(s).toBeLessThan(output === 'tanh' ? 40 : 1);
      if (output === 'linear') expect(Array.from(model.getLayer('deconv3').getWeights()[1].dataSync())).toEqual([127.5, 127.5, 127.5]);
      tf.dispose([mean, variance]);
      model.dispose();
    }
    x.dispose();
  });

  test('TanhImageOutput: inputScale 1 is tanh(x)·150+127.5 (and is left out of its config); softclip has slope 1 at mid-grey', () => {
    const x = tf.tensor1d([-300, -1, 0, 0.5, 1, 300]);
    const tanh = new TanhImageOutput({ scale: 150, offset: 127.5 });
    const soft = new TanhImageOutput({ scale: 150, offset: 127.5, inputScale: 1 / 150 });
    const expected = [-300, -1, 0, 0.5, 1, 300].map((v) => Math.tanh(v) * 150 + 127.5);
    const got = (tanh.apply(x) as tf.Tensor).dataSync();
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 3));
    expect(tanh.getConfig()).not.toHaveProperty('inputScale');
    const s = (soft.apply(x) as tf.Tensor).dataSync();
    expect(s[3] - s[2]).toBeCloseTo(0.5, 3); // slope 1 near 0
    expect(s[0]).toBeGreaterThan(-22.5);
    expect(s[5]).toBeLessThan(277.5);
    expect(s[5]).toBeGreaterThan(250); // 300 px above grey lands near the top of the range
    x.dispose();
  });

  test('ResidualImageOutput pads the photo by reflection at the bottom/right to the delta size; gradients reach delta', () => {
    const layer = new ResidualImageOutput();
    const q = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const d = tf.fill([1, 4, 4, 1], 10) as tf.Tensor4D;
    const z = layer.apply([q, d]) as tf.Tensor;
    expect(Array.from(z.dataSync())).toEqual([11, 12, 13, 12, 14, 15, 16, 15, 17, 18, 19, 18, 14, 15, 16, 15]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(layer.apply([q, t as tf.Tensor4D]) as tf.Tensor))(d);
    expect(Array.from(g.dataSync())).toEqual(new Array(16).fill(1));
    tf.dispose([q, d, z, g]);
  });
});
