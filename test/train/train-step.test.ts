// End-to-end check of the training maths against PyTorch (../shared/models/pytorch-train-step, float64): the
// pytorch/examples network imported from its .pth, the truncated VGG19 loss network, the Gram matrices, each loss
// term on the fixture's exact (mean-based, "reference scale") definitions, and the gradient of the total loss for
// every parameter (PyTorch layout) and for the output image.
import * as fs from 'fs';
import { tf } from '../../src/backend/tf';
import { setWeightsFromTorchStateDict, tfToTorchLayout, torchWeightMap } from '../../src/nets/torch-mapping';
import { readTorchStateDict } from '../../src/io/torch-pth';
import { loadLossNetwork, LossNetwork } from '../../src/nets/loss-network';
import { buildTransformer, PYTORCH_EXAMPLES_CONFIG } from '../../src/nets/transformer';
import { perceptualLoss, styleTargetsFrom, StyleTarget } from '../../src/losses/perceptual';
import { describeShared, readF32, relError, sharedPath } from '../helpers';

const dir = (...p: string[]) => sharedPath('models', 'pytorch-train-step', ...p);

interface GradEntry {
  name: string;
  shape: number[];
  offset_floats: number;
}

describeShared('training step vs PyTorch (pytorch-train-step fixture)', () => {
  let fixture: {
    weights: { content: number; style: number; tv: number };
    losses: { content: number; style: number; tv: number; total: number; style_per_layer: Record<string, number> };
    'grad-total.f32': GradEntry[];
    zero_gradient_params: string[];
    largest_gradient_norm: number;
  };
  let model: tf.LayersModel;
  let lossNet: LossNetwork;
  let x: tf.Tensor4D;
  let contentFeatures: tf.Tensor4D;
  let targets: Record<string, StyleTarget>;
  let gradTotal: Float32Array;
  const styleLayers = ['relu1_2', 'relu2_2', 'relu3_3'];
  const contentLayer = 'relu2_2';

  beforeAll(async () => {
    fixture = JSON.parse(fs.readFileSync(dir('fixture.json'), 'utf8'));
    gradTotal = readF32(dir('grad-total.f32'));
    model = buildTransformer(PYTORCH_EXAMPLES_CONFIG);
    setWeightsFromTorchStateDict(
      model,
      PYTORCH_EXAMPLES_CONFIG,
      readTorchStateDict(sharedPath('models', 'pytorch-examples-transformer', 'transformer.pth')),
    );
    lossNet = await loadLossNetwork({ net: 'vgg19', weights: sharedPath('models', 'vgg19-imagenet-block1-3', 'model'), taps: styleLayers });
    x = tf.tensor4d(readF32(dir('batch.f32')), [2, 64, 64, 3]);
    const style = tf.tensor4d(readF32(dir('style.f32')), [1, 96, 96, 3]);
    const styleFeats = lossNet.extract(style, styleLayers);
    targets = styleTargetsFrom(styleFeats, false);
    tf.dispose([style, ...Object.values(styleFeats)]);
    contentFeatures = tf.tidy(() => lossNet.extract(x, [contentLayer])[contentLayer]);
  });

  afterAll(() => {
    model?.dispose();
    lossNet?.dispose();
    tf.dispose([x, contentFeatures, ...Object.values(targets ?? {}).map((t) => t.gram)]);
  });

  const lossOf = (y: tf.Tensor4D) =>
    perceptualLoss({
      output: y,
      outputFeatures: lossNet.extract(y, styleLayers),
      contentFeatures,
      contentLayer,
      styleTargets: targets,
      weights: fixture.weights,
    });

  const slice = (name: string): { entry: GradEntry; data: Float32Array } => {
    const entry = fixture['grad-total.f32'].find((e) => e.name === name)!;
    const size = entry.shape.reduce((a, b) => a * b, 1);
    return { entry, data: gradTotal.subarray(entry.offset_floats, entry.offset_floats + size) };
  };

  it('output, every loss term and the total match (relative 1e-4)', () => {
    const values = tf.tidy(() => {
      const y = model.apply(x) as tf.Tensor4D;
      const l = lossOf(y);
      const expectedY = readF32(dir('output.f32'));
      const yErr = relError(y.dataSync(), expectedY);
      return {
        yErr,
        content: l.content.dataSync()[0],
        style: l.style.dataSync()[0],
        tv: l.tv.dataSync()[0],
        total: l.total.dataSync()[0],
        perLayer: Object.fromEntries(styleLayers.map((k) => [k, l.styleLayers[k].dataSync()[0]])),
      };
    });
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    expect(values.yErr).toBeLessThan(1e-5);
    expect(rel(values.content, fixture.losses.content)).toBeLessThan(1e-4);
    expect(rel(values.style, fixture.losses.style)).toBeLessThan(1e-4);
    expect(rel(values.tv, fixture.losses.tv)).toBeLessThan(1e-4);
    expect(rel(values.total, fixture.losses.total)).toBeLessThan(1e-4);
    for (const k of styleLayers) expect(rel(values.perLayer[k], fixture.losses.style_per_layer[k])).toBeLessThan(1e-4);
  });

  it('d loss / d output image matches __image__ (relative 5e-3)', () => {
    const y = tf.tidy(() => model.predict(x) as tf.Tensor4D);
    const g = tf.grad((out: tf.Tensor) => lossOf(out as tf.Tensor4D).total)(y);
    const err = relError(g.dataSync(), slice('__image__').data);
    tf.dispose([y, g]);
    expect(err).toBeLessThan(5e-3);
  });

  it('the gradient of every parameter matches grad-total.f32 in PyTorch layout (relative 5e-3)', () => {
    const weights = model.trainableWeights;
    const { value, grads } = tf.variableGrads(
      () => lossOf(model.apply(x, { training: true }) as tf.Tensor4D).total,
      weights.map((w) => w.read() as tf.Variable),
    );
    value.dispose();
    const byOriginal = new Map(weights.map((w) => [w.originalName, grads[(w.read() as tf.Variable).name]]));
    const failures: string[] = [];
    let worst = 0;
    const entries = torchWeightMap(PYTORCH_EXAMPLES_CONFIG);
    expect(entries.length).toBe(fixture['grad-total.f32'].length - 1); // every parameter, plus __image__
    for (const e of entries) {
      const ours = byOriginal.get(e.tfName);
      if (!ours) {
        failures.push(`${e.torchName}: no gradient`);
        continue;
      }
      const oursTorch = tfToTorchLayout(e, ours.dataSync() as Float32Array);
      const ref = slice(e.torchName).data;
      if (fixture.zero_gradient_params.includes(e.torchName)) {
        // Exactly 0 in exact arithmetic: compare float noise against the largest gradient norm.
        const norm = Math.sqrt(oursTorch.reduce((a, v) => a + v * v, 0));
        if (norm / fixture.largest_gradient_norm > 1e-4) failures.push(`${e.torchName}: |g|=${norm} should be ~0`);
      } else {
        const err = relError(oursTorch, ref);
        worst = Math.max(worst, err);
        if (!(err <= 5e-3)) failures.push(`${e.torchName}: relative error ${err.toExponential(2)}`);
      }
    }
    tf.dispose(Object.values(grads));
    process.stderr.write(`train-step: worst parameter-gradient relative error ${worst.toExponential(2)}\n`);
    expect(failures).toEqual([]);
  });
});
