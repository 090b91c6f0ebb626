import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { torchWeightMap } from '../../src/nets/torch-mapping';
import { InstanceNorm, ReflectionPad2D, TanhImageOutput } from '../../src/nets/layers';
import {
  buildTransformer,
  ENGSTROM_CONFIG,
  parseTransformerConfig,
  PYTORCH_EXAMPLES_CONFIG,
  transformerChannels,
  transformerWeightSpecs,
} from '../../src/nets/transformer';

const SLIM = { width: 0.25, residualBlocks: 1 } as const;

describe('transformer network', () => {
  test('pytorch/examples config: 1,679,235 parameters, weights named and ordered as the torch mapping', () => {
    const model = buildTransformer(PYTORCH_EXAMPLES_CONFIG);
    expect(model.countParams()).toBe(1679235); // TransformerNet's parameter count in PyTorch
    const map = torchWeightMap(PYTORCH_EXAMPLES_CONFIG);
    expect(model.weights.map((w) => w.originalName)).toEqual(map.map((e) => e.tfName));
    expect(model.weights.map((w) => w.shape)).toEqual(map.map((e) => e.tfShape));
    expect(transformerWeightSpecs(PYTORCH_EXAMPLES_CONFIG)).toEqual(map.map((e) => ({ name: e.tfName, shape: e.tfShape })));
    expect(map[0]).toMatchObject({ torchName: 'conv1.conv2d.weight', tfName: 'conv1/kernel', torchShape: [32, 3, 9, 9], tfShape: [9, 9, 3, 32] });
    expect(map.find((e) => e.tfName === 'res3_in2/gamma')!.torchName).toBe('res3.in2.weight');
    model.dispose();
  });

  test('Engstrom config: no biases, transposed upsampling, an IN after the last conv', () => {
    const model = buildTransformer(ENGSTROM_CONFIG);
    const names = model.weights.map((w) => w.originalName);
    expect(names.some((n) => n.endsWith('/bias'))).toBe(false);
    expect(names).toContain('in6/gamma');
    expect(model.getLayer('deconv1').getClassName()).toBe('Conv2DTranspose');
    expect(model.getLayer('deconv1').weights[0].shape).toEqual([3, 3, 64, 128]); // [h, w, out, in], as Engstrom stores it
    model.dispose();
  });

  test('any input size: output is 4*ceil(H/4) x 4*ceil(W/4), for both paddings and upsamplings', () => {
    for (const extra of [{}, { padding: 'zero', upsample: 'transposed' }] as const) {
      const model = buildTransformer({ ...SLIM, ...extra });
      for (const [h, w] of [[16, 24], [13, 22]]) {
        const y = tf.tidy(() => model.predict(tf.zeros([2, h, w, 3])) as tf.Tensor);
        expect(y.shape).toEqual([2, 4 * Math.ceil(h / 4), 4 * Math.ceil(w / 4), 3]);
        y.dispose();
      }
      model.dispose();
    }
    const model = buildTransformer(SLIM);
    expect(() => model.predict(tf.zeros([1, 4, 8, 3]))).toThrow(/image too small .*at least 5×5/);
    model.dispose();
  });

  test('a fresh default (tanh) net outputs a near-flat mid-grey image; a fresh linear net starts at 127.5 too', () => {
    const x = tf.randomUniform([1, 32, 32, 3], 0, 255, 'float32', 1);
    for (const output of ['tanh', 'linear'] as const) {
      const model = buildTransformer({ ...SLIM, output });
      const { mean, variance } = tf.tidy(() => tf.moments(model.predict(x) as tf.Tensor));
      const [m, s] = [mean.dataSync()[0], Math.sqrt(variance.dataSync()[0])];
      expect(Math.abs(m - 127.5)).toBeLessThan(30);
      expect(s).toBeLessThan(40);
      tf.dispose([mean, variance]);
      model.dispose();
    }
    x.dispose();
  });

  test('width scales the channels; bad configs are UsageErrors naming the field', () => {
    expect(transformerChannels(parseTransformerConfig({ width: 0.5 }))).toEqual({ c1: 16, c2: 32, c3: 64 });
    expect(() => parseTransformerConfig({ upsample: 'bilinear' })).toThrow(UsageError);
    expect(() => parseTransformerConfig({ normEpsilon: -1 })).toThrow(/normEpsilon/);
    expect(() => parseTransformerConfig({ widht: 1 })).toThrow(/widht|unrecognized/i);
    expect(parseTransformerConfig(undefined)).toEqual({
      upsample: 'nearest',
      padding: 'reflect',
      convBias: true,
      normEpsilon: 1e-5,
      output: 'tanh',
      outputNorm: false,
      width: 1,
      residualBlocks: 5,
      styles: 1,
    });
    expect(() => parseTransformerConfig({ styles: 0 })).toThrow(/styles/);
  });

  test('gradients reach every weight and are finite', () => {
    const model = buildTransformer({ ...SLIM, output: 'linear' });
    const x = tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 2);
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, model.trainableWeights.map((w) => w.read() as tf.Variable));
    const trainable = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    expect(Object.keys(grads).sort()).toEqual([...trainable].sort());
    for (const g of Object.values(grads)) expect(Number.isFinite(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]))).toBe(true);
    // The last conv's kernel must get a non-zero gradient (biases before an IN legitimately get ~0).
    const lastKernel = grads[(model.getLayer('deconv3').weights[0].read() as tf.Variable).name];
    expect(tf.tidy(() => tf.max(tf.abs(lastKernel)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([x, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('custom layers', () => {
  test('ReflectionPad2D pads like PyTorch and its gradient folds the border back (corrected MirrorPad)', () => {
    const layer = new ReflectionPad2D({ padding: 1 });
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync()).slice(0, 5)).toEqual([5, 4, 5, 6, 5]); // padded row 0 mirrors row 1
    const g = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
    // Rows/cols are used [1,3,1] times: the gradient of the sum is their outer product.
    expect(Array.from(g.dataSync())).toEqual([1, 3, 1, 3, 9, 3, 1, 3, 1]);
    tf.dispose([x, y, g]);
  });

  test('InstanceNorm normalizes each image and channel over H, W, then scales and shifts', () => {
    const layer = new InstanceNorm({ epsilon: 1e-5 });
    const x = tf.randomNormal([2, 6, 5, 3], 10, 4, 'float32', 3);
    layer.apply(x); // build
    const gamma = tf.tensor1d([1, 2, 3]);
    const beta = tf.tensor1d([0, -1, 5]);
    layer.setWeights([gamma, beta]);
    const y = layer.apply(x) as tf.Tensor;
    const { mean, variance } = tf.moments(y, [1, 2]);
    const m = Array.from(mean.dataSync());
    const s = Array.from(variance.dataSync()).map(Math.sqrt);
    [0, -1, 5, 0, -1, 5].forEach((b, i) => expect(m[i]).toBeCloseTo(b, 4));
    [1, 2, 3, 1, 2, 3].forEach((g, i) => expect(s[i]).toBeCloseTo(g, 3));
    expect(layer.weights.map((w) => w.originalName.split('/').pop())).toEqual(['gamma', 'beta']);
    tf.dispose([x, gamma, beta, y, mean, variance]);
  });

  test('TanhImageOutput maps 0 to 127.5 and saturates to 127.5 ± 150', () => {
    const y = new TanhImageOutput().apply(tf.tensor1d([0, 100, -100])) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([127.5, 277.5, -22.5]);
    y.dispose();
  });
});
