import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { adainLoss, adainStyleLayers } from '../../src/losses/adain';
import {
  adain,
  adainDecoderWeightSpecs,
  blendAlpha,
  buildAdainDecoder,
  channelStats,
  DECODER_OUTPUT_BIAS_RGB,
  mixedAdain,
  parseAdainDecoderConfig,
} from '../../src/nets/adain';

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('AdaIN maths', () => {
  test('channelStats: mean and sqrt(var + eps) over H, W per image and channel, shaped [B,1,1,C]', () => {
    // image 0, channel 0: 1,2,3,4 → mean 2.5, var 1.25; channel 1 constant 7 → std sqrt(eps)
    const x = tf.tensor4d([1, 7, 2, 7, 3, 7, 4, 7, 0, 0, 0, 0, 0, 0, 8, 8], [2, 2, 2, 2]);
    const { mean, std } = channelStats(x, 1e-4);
    expect(mean.shape).toEqual([2, 1, 1, 2]);
    expect(std.shape).toEqual([2, 1, 1, 2]);
    const m = values(mean);
    const s = values(std);
    expect(m[0]).toBeCloseTo(2.5, 6);
    expect(m[1]).toBeCloseTo(7, 6);
    expect(s[0]).toBeCloseTo(Math.sqrt(1.25 + 1e-4), 6);
    expect(s[1]).toBeCloseTo(Math.sqrt(1e-4), 6);
    expect(m[2]).toBeCloseTo(2, 6); // image 1, channel 0: 0,0,0,8
    expect(s[2]).toBeCloseTo(Math.sqrt(12 + 1e-4), 5);
    tf.dispose([x, mean, std]);
  });

  test("adain output has the style's per-channel mean and std (to eps), the content's spatial pattern", () => {
    const content = tf.randomNormal([2, 6, 5, 4], 3, 2, 'float32', 1) as tf.Tensor4D;
    const style = tf.randomNormal([2, 9, 7, 4], -1, 5, 'float32', 2) as tf.Tensor4D;
    const s = channelStats(style);
    const out = adain(content, s.mean, s.std);
    expect(out.shape).toEqual(content.shape);
    const o = channelStats(out, 0);
    const [om, os, sm, ss] = [values(o.mean), values(o.std), values(s.mean), values(s.std)];
    for (let i = 0; i < om.length; i++) {
      expect(Math.abs(om[i] - sm[i])).toBeLessThan(1e-4);
      expect(Math.abs(os[i] - ss[i]) / ss[i]).toBeLessThan(1e-4); // eps 1e-5 against variances of ~4: ≤ 1e-5 relative
    }
    // AdaIN is a per-channel affine map of the content: correlation with the content stays 1.
    const c0 = values(tf.slice(content, [0, 0, 0, 0], [1, -1, -1, 1]));
    const o0 = values(tf.slice(out, [0, 0, 0, 0], [1, -1, -1, 1]));
    const corr = (a: number[], b: number[]) => {
      const ma = a.reduce((x, y) => x + y) / a.length, mb = b.reduce((x, y) => x + y) / b.length;
      let num = 0, da = 0, db = 0;
      a.forEach((v, i) => { num += (v - ma) * (b[i] - mb); da += (v - ma) ** 2; db += (b[i] - mb) ** 2; });
      return num / Math.sqrt(da * db);
    };
    expect(corr(c0, o0)).toBeGreaterThan(0.99999);
    tf.dispose([content, style, s.mean, s.std, out, o.mean, o.std]);
  });

  test('one style ([1,1,1,C]) broadcasts over a batch', () => {
    const content = tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const mean = tf.tensor4d([10, -5], [1, 1, 1, 2]);
    const std = tf.tensor4d([2, 0.5], [1, 1, 1, 2]);
    const o = channelStats(adain(content, mean, std), 0);
    for (let b = 0; b < 3; b++) {
      expect(values(o.mean)[b * 2]).toBeCloseTo(10, 4);
      expect(values(o.std)[b * 2 + 1]).toBeCloseTo(0.5, 4);
    }
  });

  test('blendAlpha: 0 gives the content features, 1 the target, 0.5 the midpoint; out of range throws', () => {
    const content = tf.randomNormal([1, 3, 3, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const s = channelStats(tf.randomNormal([1, 5, 5, 2], 4, 3, 'float32', 5) as tf.Tensor4D);
    const t = adain(content, s.mean, s.std);
    expect(values(blendAlpha(t, content, 0))).toEqual(values(content));
    expect(values(blendAlpha(t, content, 1))).toEqual(values(t));
    const half = values(blendAlpha(t, content, 0.5));
    const [tv, cv] = [values(t), values(content)];
    half.forEach((v, i) => expect(v).toBeCloseTo((tv[i] + cv[i]) / 2, 5));
    expect(() => blendAlpha(t, content, 1.5)).toThrow(/alpha must be in \[0, 1\]/);
  });

  test('mixedAdain equals the weighted mix of the single-style targets (weights normalised)', () => {
    const content = tf.randomNormal([1, 4, 4, 3], 1, 2, 'float32', 6) as tf.Tensor4D;
    const a = channelStats(tf.randomNormal([1, 6, 6, 3], 5, 1, 'float32', 7) as tf.Tensor4D);
    const b = channelStats(tf.randomNormal([1, 6, 6, 3], -2, 4, 'float32', 8) as tf.Tensor4D);
    const mix = values(mixedAdain(content, [a, b], [7, 3]));
    const ta = values(adain(content, a.mean, a.std));
    const tb = values(adain(content, b.mean, b.std));
    mix.forEach((v, i) => expect(v).toBeCloseTo(0.7 * ta[i] + 0.3 * tb[i], 4));
    expect(() => mixedAdain(content, [a, b], [1])).toThrow(/2 styles but 1 weights/);
  });

  test('gradients flow through channelStats and adain to the content', () => {
    const content = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 9) as tf.Tensor4D;
    const mean = tf.tensor4d([1, 2], [1, 1, 1, 2]);
    const std = tf.tensor4d([3, 4], [1, 1, 1, 2]);
    const weights = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 10);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(adain(x as tf.Tensor4D, mean, std), weights)))(content);
    const gv = values(g);
    expect(gv.every(Number.isFinite)).toBe(true);
    expect(Math.max(...gv.map(Math.abs))).toBeGreaterThan(1e-3);
    // A constant channel (var 0) still has a finite gradient: eps is inside the sqrt.
    const flat = tf.fill([1, 3, 3, 1], 2) as tf.Tensor4D;
    const gf = tf.grad((x: tf.Tensor) => tf.sum(channelStats(x as tf.Tensor4D).std))(flat);
    expect(values(gf).every(Number.isFinite)).toBe(true);
  });
});

describe('AdaIN decoder', () => {
  test('relu3_1: output size = input × 4, 3 channels, stable weight names', () => {
    const model = buildAdainDecoder({ encoderLayer: 'relu3_1', width: 0.25 });
    expect(model.inputs[0].shape).toEqual([null, null, null, 256]);
    for (const [h, w] of [[4, 4], [5, 7]]) {
      const y = tf.tidy(() => model.predict(tf.randomNormal([2, h, w, 256])) as tf.Tensor);
      expect(y.shape).toEqual([2, 4 * h, 4 * w, 3]);
      y.dispose();
    }
    const config = parseAdainDecoderConfig({ encoderLayer: 'relu3_1', width: 0.25 });
    expect(model.weights.map((v) => v.originalName)).toEqual(adainDecoderWeightSpecs(config).map((s) => s.name));
    expect(model.weights.map((v) => v.shape)).toEqual(adainDecoderWeightSpecs(config).map((s) => s.shape));
    expect(model.weights.map((v) => v.originalName).filter((n) => n.endsWith('/kernel'))).toEqual(
      ['dec_conv3_1', 'dec_conv2_2', 'dec_conv2_1', 'dec_conv1_2', 'dec_conv1_1'].map((n) => `${n}/kernel`),
    );
    model.dispose();
  });

  test('relu3_1 at width 1: the mirror of VGG19 block 1–3 (256→128, 128→128, 128→64, 64→64, 64→3)', () => {
    const specs = adainDecoderWeightSpecs(parseAdainDecoderConfig({}));
    expect(specs.filter((s) => s.name.endsWith('/kernel')).map((s) => s.shape)).toEqual([
      [3, 3, 256, 128], [3, 3, 128, 128], [3, 3, 128, 64], [3, 3, 64, 64], [3, 3, 64, 3],
    ]);
  });

  test('relu4_1 is the published decoder: 3,505,219 parameters, output = input × 8', () => {
    const model = buildAdainDecoder({ encoderLayer: 'relu4_1' });
    expect(model.countParams()).toBe(3505219); // the PyTorch reference decoder's parameter count
    expect(model.getLayer('dec_conv4_1').weights[0].shape).toEqual([3, 3, 512, 256]);
    const y = tf.tidy(() => model.predict(tf.zeros([1, 2, 3, 512])) as tf.Tensor);
    expect(y.shape).toEqual([1, 16, 24, 3]);
    y.dispose();
    model.dispose();
  });

  test('a fresh decoder outputs a near-flat image around the ImageNet mean colour', () => {
    const model = buildAdainDecoder({ width: 0.25 });
    const y = tf.tidy(() => model.predict(tf.relu(tf.randomNormal([1, 6, 6, 256], 0, 50, 'float32', 11))) as tf.Tensor);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    values(mean).forEach((m, c) => expect(Math.abs(m - DECODER_OUTPUT_BIAS_RGB[c])).toBeLessThan(25));
    values(variance).forEach((v) => expect(Math.sqrt(v)).toBeLessThan(40));
    model.dispose();
  });

  test('a bad config is a UsageError naming the field', () => {
    expect(() => buildAdainDecoder({ encoderLayer: 'relu5_1' } as never)).toThrow(UsageError);
    expect(() => parseAdainDecoderConfig({ width: -1 })).toThrow(/width/);
  });
});

describe('AdaIN loss', () => {
  test('terms, per-layer values, the raw scale by hand, and gradients to the decoder', () => {
    const layers = adainStyleLayers('relu3_1');
    expect(layers).toEqual(['relu1_1', 'relu2_1', 'relu3_1']);
    const feats = (seed: number, mean: number) =>
      Object.fromEntries(layers.map((l, i) => [l, tf.randomNormal([2, 4 >> i || 1, 4 >> i || 1, 3], mean, 2, 'float32', seed + i) as tf.Tensor4D]));
    const out = feats(20, 0);
    const styleStats = Object.fromEntries(Object.entries(feats(30, 5)).map(([l, f]) => [l, channelStats(f)]));
    const target = tf.randomNormal([2, 1, 1, 3], 1, 1, 'float32', 40) as tf.Tensor4D;
    const raw = adainLoss({ outputFeatures: out, target, styleStats, layers, contentLayer: 'relu3_1', styleWeight: 10, scale: 'raw' });
    const expectContent = tf.tidy(() => tf.mean(tf.squaredDifference(out.relu3_1, target)).dataSync()[0]);
    expect(raw.content.dataSync()[0]).toBeCloseTo(expectContent, 4);
    const o = channelStats(out.relu2_1);
    const s = styleStats.relu2_1;
    const expectLayer = tf.tidy(() => tf.add(tf.mean(tf.squaredDifference(o.mean, s.mean)), tf.mean(tf.squaredDifference(o.std, s.std))).dataSync()[0]);
    expect(raw.styleLayers.relu2_1.dataSync()[0]).toBeCloseTo(expectLayer, 4);
    const sumLayers = layers.reduce((a, l) => a + raw.styleLayers[l].dataSync()[0], 0);
    expect(raw.style.dataSync()[0]).toBeCloseTo(sumLayers, 4);
    expect(raw.total.dataSync()[0]).toBeCloseTo(expectContent + 10 * sumLayers, 3);

    // Normalised: output features of 0 give exactly 1 per term (content: mean(t²)/mean(t²); style: (μ²+σ²)/(μ²+σ²)).
    const zeros = Object.fromEntries(layers.map((l) => [l, tf.zerosLike(out[l])]));
    const norm = adainLoss({ outputFeatures: zeros, target, styleStats, layers, contentLayer: 'relu3_1', styleWeight: 1, eps: 0 });
    expect(norm.content.dataSync()[0]).toBeCloseTo(1, 5);
    for (const l of layers) expect(norm.styleLayers[l].dataSync()[0]).toBeCloseTo(1, 4);

    // Gradients reach a decoder's weights through a (toy) encoder.
    const decoder = buildAdainDecoder({ width: 0.125 });
    const x = tf.randomNormal([2, 2, 2, 256], 0, 1, 'float32', 50);
    const { grads } = tf.variableGrads(() => {
      const img = decoder.apply(x) as tf.Tensor4D; // [2,8,8,3]
      const f1 = tf.relu(img) as tf.Tensor4D;
      const f2 = tf.avgPool(f1, 2, 2, 'valid') as tf.Tensor4D;
      const f3 = tf.avgPool(f2, 2, 2, 'valid') as tf.Tensor4D;
      const t3 = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
      return adainLoss({ outputFeatures: { relu1_1: f1, relu2_1: f2, relu3_1: f3 }, target: t3, styleStats, layers, contentLayer: 'relu3_1', styleWeight: 1 }).total;
    }, decoder.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    const first = Object.values(grads)[0];
    expect(Object.keys(grads).length).toBe(decoder.trainableWeights.length);
    expect(values(first).every(Number.isFinite)).toBe(true);
    expect(Math.max(...values(first).map(Math.abs))).toBeGreaterThan(0);
    decoder.dispose();
  });
});
