// Tap resolution (defaults mapped onto what the loss network has, explicit taps never) and the pure loss maths.
import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { contentLoss, gram, perceptualLoss, styleLayerLoss, styleTargetsFrom, totalVariation } from '../../src/losses/perceptual';
import { resolveTaps } from '../../src/losses/taps';

const VGG19_BLOCK1_3 = ['relu1_1', 'relu1_2', 'relu2_1', 'relu2_2', 'relu3_1', 'relu3_2', 'relu3_3', 'relu3_4'];

describe('resolveTaps', () => {
  it('keeps the defaults on a full VGG', () => {
    const full = [...VGG19_BLOCK1_3, 'relu4_1', 'relu4_2', 'relu4_3', 'relu4_4'];
    expect(resolveTaps(full, {})).toEqual({ styleLayers: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'], contentLayer: 'relu2_2', notes: [] });
  });

  it('maps a missing default tap to the deepest available one and says so', () => {
    const r = resolveTaps(VGG19_BLOCK1_3, {}, 'vgg19 block1-3');
    expect(r.styleLayers).toEqual(['relu1_2', 'relu2_2', 'relu3_3', 'relu3_4']);
    expect(r.contentLayer).toBe('relu2_2');
    expect(r.notes).toEqual(['style layer relu4_3 → relu3_4 (vgg19 block1-3 has no relu4_3)']);
  });

  it('a missing tap named explicitly is an error listing what exists', () => {
    expect(() => resolveTaps(VGG19_BLOCK1_3, { styleLayers: ['relu1_2', 'relu4_3'] })).toThrow(UsageError);
    expect(() => resolveTaps(VGG19_BLOCK1_3, { contentLayer: 'relu4_2' })).toThrow(/no tap relu4_2: choose from relu1_1, .*relu3_4/);
  });

  it('spreads the defaults over a network with other tap names', () => {
    const r = resolveTaps(['a', 'b', 'c', 'd', 'e', 'f', 'g'], {}, 'other');
    expect(r.styleLayers).toEqual(['a', 'c', 'e', 'g']);
    expect(r.notes.length).toBe(2);
  });
});

describe('losses', () => {
  it('gram = F Fᵀ / (C·H·W) per image', () => {
    // one image, H=1, W=2, C=2: F = [[1,3],[2,4]] (C × HW)
    const f = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
    const g = gram(f);
    expect(g.shape).toEqual([1, 2, 2]);
    expect(Array.from(g.dataSync())).toEqual([10 / 4, 14 / 4, 14 / 4, 20 / 4]);
    tf.dispose([f, g]);
  });

  it('content, style and TV follow the mean-based definitions', () => {
    const a = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const b = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(contentLoss(a, b).dataSync()[0]).toBeCloseTo((1 + 4 + 9 + 16) / 4, 6);
    expect(contentLoss(a, b, 2).dataSync()[0]).toBeCloseTo(30 / 8, 6);
    // TV: vertical pairs (1,3),(2,4) → 4,4; horizontal (1,2),(3,4) → 1,1
    expect(totalVariation(a).dataSync()[0]).toBeCloseTo(4 + 1, 6);
    const target = gram(b);
    expect(styleLayerLoss(a, target).dataSync()[0]).toBeCloseTo((30 / 4) ** 2, 4);
    tf.dispose([a, b, target]);
  });

  it('the normalized style scale makes the loss independent of the style features\' magnitude', () => {
    const style = tf.randomUniform([1, 4, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const out = tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const loud = tf.mul(style, 10) as tf.Tensor4D;
    const loudOut = tf.mul(out, 10) as tf.Tensor4D;
    const t1 = styleTargetsFrom({ l: style }, true).l;
    const t2 = styleTargetsFrom({ l: loud }, true).l;
    const l1 = styleLayerLoss(out, t1.gram, t1.scale).dataSync()[0];
    const l2 = styleLayerLoss(loudOut, t2.gram, t2.scale).dataSync()[0];
    expect(l2).toBeCloseTo(l1, 4);
    tf.dispose([style, out, loud, loudOut, t1.gram, t2.gram]);
  });

  it('perceptualLoss totals the weighted terms and reports each style layer', () => {
    const y = tf.randomUniform([1, 8, 8, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
    const feats = { a: tf.relu(tf.sub(y, 100)) as tf.Tensor4D, b: tf.relu(tf.sub(y, 50)) as tf.Tensor4D };
    const targets = styleTargetsFrom({ a: tf.onesLike(feats.a) as tf.Tensor4D, b: tf.onesLike(feats.b) as tf.Tensor4D }, false);
    const l = perceptualLoss({
      output: y,
      outputFeatures: feats,
      contentFeatures: tf.zerosLike(feats.b) as tf.Tensor4D,
      contentLayer: 'b',
      styleTargets: targets,
      weights: { content: 2, style: 3, tv: 0.5 },
    });
    const v = (t: tf.Scalar) => t.dataSync()[0];
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    // float32 sums of values ~1e7: compare to 1e-6 relative
    expect(rel(v(l.style), v(l.styleLayers.a) + v(l.styleLayers.b))).toBeLessThan(1e-6);
    expect(rel(v(l.total), 2 * v(l.content) + 3 * v(l.style) + 0.5 * v(l.tv))).toBeLessThan(1e-6);
  });
});

describe('totalVariation', () => {
  test('equals the mean squared neighbour differences along H and W, for a batch of 3 (value and gradient, float64 reference, 1e-5 relative)', () => {
    const [b, h, w, c] = [3, 5, 4, 3];
    const data = Float32Array.from({ length: b * h * w * c }, (_, i) => ((i * 7919) % 256) + Math.sin(i));
    const at = (n: number, y: number, x: number, k: number) => ((n * h + y) * w + x) * c + k;
    let sh = 0;
    let sw = 0;
    const grad = new Float64Array(data.length);
    const nh = b * (h - 1) * w * c;
    const nw = b * h * (w - 1) * c;
    for (let n = 0; n < b; n++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++) {
            if (y + 1 < h) {
              const d = data[at(n, y + 1, x, k)] - data[at(n, y, x, k)];
              sh += d * d;
              grad[at(n, y + 1, x, k)] += (2 * d) / nh;
              grad[at(n, y, x, k)] -= (2 * d) / nh;
            }
            if (x + 1 < w) {
              const d = data[at(n, y, x + 1, k)] - data[at(n, y, x, k)];
              sw += d * d;
              grad[at(n, y, x + 1, k)] += (2 * d) / nw;
              grad[at(n, y, x, k)] -= (2 * d) / nw;
            }
          }
    const expected = (sh / nh + sw / nw) / 255 ** 2;
    const x = tf.tensor4d(data, [b, h, w, c]);
    const { value, grad: grads } = tf.valueAndGrad((t: tf.Tensor) => totalVariation(t as tf.Tensor4D, 255 ** 2))(x);
    expect(Math.abs(value.dataSync()[0] - expected) / expected).toBeLessThan(1e-5);
    const g = grads.dataSync();
    const scale = Math.max(...Array.from(grad, Math.abs));
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - grad[i] / 255 ** 2)).toBeLessThan(1e-5 * scale / 255 ** 2 + 1e-12);
    tf.dispose([x, value, grads]);
  });
});
