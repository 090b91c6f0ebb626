import { tf } from '../../src/backend/tf';
import { buildNetwork, networkGeometry, parseNetworkConfig } from '../../src/nets/network';
import { buildTextureNet, parseTextureNetConfig, textureNetParamCount, textureNetWeightSpecs } from '../../src/nets/texture-net';

const SMALL = parseTextureNetConfig({ arch: 'texture-net', scales: 3, channels: 4 });

describe('texture network (Ulyanov et al. 2016)', () => {
  test('5 scales × 8 channels: weights named and shaped as textureNetWeightSpecs, 40 channels at full resolution', () => {
    const config = parseTextureNetConfig({ arch: 'texture-net' });
    const model = buildTextureNet(config, { seed: 1 });
    const actual = model.weights.map((w) => `${w.originalName}[${w.shape}]`).sort();
    const expected = textureNetWeightSpecs(config).map((w) => `${w.name}[${w.shape}]`).sort();
    expect(actual).toEqual(expected);
    expect(model.countParams()).toBe(textureNetParamCount(config));
    expect(model.getLayer('j0_conv1').weights[0].shape).toEqual([3, 3, 40, 40]);
    expect(model.getLayer('out_conv').weights[0].shape).toEqual([1, 1, 40, 3]);
    model.dispose();
  });

  test('output has the input shape for sides that are multiples of the stride; batch of 2', () => {
    const model = buildTextureNet(SMALL, { seed: 2 });
    expect(networkGeometry(SMALL)).toEqual({ stride: 4, minSide: 8 });
    for (const [h, w] of [[8, 8], [16, 24], [20, 12]]) {
      const y = tf.tidy(() => model.predict(tf.randomUniform([2, h, w, 3], 0, 255)) as tf.Tensor);
      expect(y.shape).toEqual([2, h, w, 3]);
      y.dispose();
    }
    model.dispose();
  });

  test('a fresh net starts near mid-grey (softclip head, small last kernel), weights a function of the seed', () => {
    const a = buildTextureNet(SMALL, { seed: 3 });
    const b = buildTextureNet(SMALL, { seed: 3 });
    const x = tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 7);
    const ya = a.predict(x) as tf.Tensor;
    const yb = b.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(ya, 127.5))).dataSync()[0]).toBeLessThan(30);
    expect(tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0]).toBe(0);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  test('parseNetworkConfig dispatches on arch; transformer configs (no arch, or arch transformer) stay transformers', () => {
    expect(parseNetworkConfig({ arch: 'texture-net', scales: 4 })).toMatchObject({ arch: 'texture-net', scales: 4, channels: 8 });
    expect(parseNetworkConfig({ width: 0.5 })).not.toHaveProperty('arch');
    expect(parseNetworkConfig({ arch: 'transformer', width: 0.5 })).toMatchObject({ width: 0.5 });
    expect(() => parseNetworkConfig({ arch: 'texture-net', scales: 0 }, 'nst.json')).toThrow(/nst.json: invalid texture-net config \(scales/);
    const m = buildNetwork(parseNetworkConfig({ arch: 'texture-net', scales: 2, channels: 2 }));
    expect(m.name).toBe('texture_net');
    m.dispose();
  });

  test('one Adam step on a style-like target lowers the loss (gradients flow through every branch)', () => {
    const model = buildTextureNet(SMALL, { seed: 4 });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 255, 'float32', 5);
    const target = tf.randomUniform([2, 16, 16, 3], 0, 255, 'float32', 6);
    const opt = tf.train.adam(1e-2);
    const lossOf = () => tf.losses.meanSquaredError(target, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const before = tf.tidy(() => lossOf().dataSync()[0]);
    const { grads, value } = tf.variableGrads(lossOf);
    // every branch's first conv gets a gradient
    for (const k of [0, 1, 2]) {
      const g = grads[model.getLayer(`s${k}_conv1`).weights[0].name];
      expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    for (let i = 0; i < 5; i++) opt.minimize(lossOf);
    const after = tf.tidy(() => lossOf().dataSync()[0]);
    expect(after).toBeLessThan(before);
    tf.dispose([x, target]);
    opt.dispose();
    model.dispose();
  });
});
