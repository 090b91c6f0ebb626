// The style term over an image pyramid (src/losses/pyramid.ts): its keys and level weights, that level k is the loss
// network on the image pooled by 2^k (value and gradient), and --style-pyramid through nst train (stored, resumed,
// refused when a level would be too small).
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { styleLoss, styleTargetsFrom } from '../../src/losses/perceptual';
import { checkPyramidSide, extractPyramid, pyramidLayerWeights } from '../../src/losses/pyramid';
import type { RgbImage } from '../../src/image/image-io';
import { PerceptualObjective } from '../../src/optimize/objective';
import { defaultDeps, TrainDeps } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { TrainLog, TRAIN_LOG_FILE } from '../../src/train/train-log';
import { makePhotos, standInLossNetwork, tempDir } from './helpers';

const LAYERS = ['relu1_2', 'relu2_2'];
const quiet = { log: () => {} };
const deps = (): TrainDeps => ({ ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() });

function image(seed: number, size = 64): tf.Tensor4D {
  return tf.tidy(() => tf.mul(tf.randomUniform([1, size, size, 3], 0, 1, 'float32', seed), 255) as tf.Tensor4D);
}

describe('style pyramid', () => {
  it('names level k of a tap tap@2^k and weighs each level 1/levels', () => {
    expect(Object.keys(pyramidLayerWeights(LAYERS, 1))).toEqual(LAYERS);
    expect(Object.keys(pyramidLayerWeights(LAYERS, 3))).toEqual(['relu1_2', 'relu2_2', 'relu1_2@2', 'relu2_2@2', 'relu1_2@4', 'relu2_2@4']);
    expect(pyramidLayerWeights(LAYERS, 2, { relu2_2: 4 })).toEqual({ relu1_2: 0.5, relu2_2: 2, 'relu1_2@2': 0.5, 'relu2_2@2': 2 });
  });

  it('level 1 is the loss network on the image average-pooled by 2; the style term is the mean of the levels (1e-5)', () => {
    const net = standInLossNetwork();
    const out = image(1);
    const style = image(2);
    const pooled = (x: tf.Tensor4D) => tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D;
    const feats = extractPyramid(net, out, ['relu2_2', 'relu1_2'], LAYERS, 2);
    expect(Object.keys(feats).sort()).toEqual(['relu1_2', 'relu1_2@2', 'relu2_2', 'relu2_2@2']);
    const direct = net.extract(pooled(out), LAYERS);
    expect(tf.max(tf.abs(tf.sub(feats['relu2_2@2'], direct.relu2_2))).dataSync()[0]).toBeLessThan(1e-5);

    const targets = styleTargetsFrom(extractPyramid(net, style, LAYERS, LAYERS, 2), true);
    const both = styleLoss(feats, targets, pyramidLayerWeights(LAYERS, 2)).total.dataSync()[0];
    const level0 = styleLoss(net.extract(out, LAYERS), styleTargetsFrom(net.extract(style, LAYERS), true)).total.dataSync()[0];
    const level1 = styleLoss(direct, styleTargetsFrom(net.extract(pooled(style), LAYERS), true)).total.dataSync()[0];
    expect(level1).not.toBeCloseTo(level0, 3);
    expect(Math.abs(both - (level0 + level1) / 2)).toBeLessThan(1e-5 * Math.max(1, both));
    net.dispose();
  });

  it('carries the gradient of a coarse level back to every input pixel', () => {
    const net = standInLossNetwork();
    const x = image(3, 32);
    const g = tf.grad((im) => tf.sum(extractPyramid(net, im as tf.Tensor4D, [], ['relu1_2'], 2)['relu1_2@2']))(x);
    // Each 2×2 block of pixels shares one pooled pixel; none is left without a gradient.
    expect(tf.min(tf.abs(tf.sum(g, 3))).dataSync()[0]).toBeGreaterThan(0);
    net.dispose();
  });

  it('refuses a level below 32 px with one line naming the image and the fix', () => {
    expect(() => checkPyramidSide(16, 1, 'the training crop')).not.toThrow(); // one level: no pyramid, no limit
    expect(() => checkPyramidSide(64, 2, 'the training crop')).not.toThrow();
    expect(() => checkPyramidSide(64, 3, 'the training crop')).toThrow(UsageError);
    expect(() => checkPyramidSide(64, 3, 'the training crop')).toThrow(/--style-pyramid 3: the training crop of 64 px is 16 px .*use fewer levels/);
  });

  it('nst optimize: the objective\'s style term is the mean of the plain one and the plain one on pooled images (1e-4)', async () => {
    const net = standInLossNetwork();
    const rgb = (x: tf.Tensor4D): RgbImage => ({ width: x.shape[2], height: x.shape[1], rgb: x.dataSync() as Float32Array });
    const [photo, style, current] = [image(4), image(5), image(6)];
    const pool = (x: tf.Tensor4D) => tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D;
    const objective = (content: tf.Tensor4D, styleImage: tf.Tensor4D, stylePyramid: number) =>
      new PerceptualObjective({ lossNet: net, content: rgb(content), style: rgb(styleImage), styleLayers: LAYERS, contentLayer: 'relu2_2',
        weights: { content: 1, style: 1, tv: 0 }, lossScale: 'normalized', stylePyramid });
    const style2 = (await objective(photo, style, 2).evaluate(rgb(current).rgb)).terms.style;
    const level0 = (await objective(photo, style, 1).evaluate(rgb(current).rgb)).terms.style;
    const level1 = (await objective(pool(photo), pool(style), 1).evaluate(rgb(pool(current)).rgb)).terms.style;
    expect(Math.abs(style2 - (level0 + level1) / 2)).toBeLessThan(1e-4 * Math.max(1, style2));
    net.dispose();
  });

  describe('nst train --style-pyramid', () => {
    let photos: string;
    let style: string;
    beforeAll(async () => {
      const root = tempDir();
      photos = path.join(root, 'photos');
      await makePhotos(photos, 3, 72, 72);
      style = (await makePhotos(path.join(root, 'style'), 1, 96, 96, 99))[0];
    });
    const config = (out: string, extra: Record<string, unknown> = {}) => ({
      style,
      data: [photos],
      out,
      imageSize: 64,
      batchSize: 1,
      width: 0.25,
      iterations: 2,
      checkpointEvery: 100,
      previewEvery: 100,
      previewCount: 1,
      seed: 5,
      ...extra,
    });

    it('trains on the pyramid, stores it in the checkpoint and keeps it on resume', async () => {
      const plain = tempDir();
      const pyr = tempDir();
      await train(config(plain), { deps: deps(), hooks: quiet });
      const first = await train(config(pyr, { stylePyramid: 2 }), { deps: deps(), hooks: quiet });
      expect(first.config.stylePyramid).toBe(2);
      const at = (dir: string) => new TrainLog(path.join(dir, TRAIN_LOG_FILE)).read();
      // Same seed, photos and first weights, so the same first content term; the extra level's gradient makes the
      // second step's weights, hence its losses, differ (at step 1 both style terms are ~3: the grey start's Grams ≈ 0).
      expect(at(pyr)[0].content).toBeCloseTo(at(plain)[0].content, 5);
      expect(at(pyr)[1].total).not.toBeCloseTo(at(plain)[1].total, 4);
      // The log names every level's term, and the style term is their mean (every tap weighs 1).
      const logged = at(pyr)[1];
      const keys = Object.keys(logged.styleLayers);
      const level0 = Object.keys(at(plain)[1].styleLayers);
      expect(keys.sort()).toEqual([...level0, ...level0.map((k) => `${k}@2`)].sort());
      const sum = Object.values(logged.styleLayers).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum / 2 - logged.style)).toBeLessThan(1e-5 * Math.max(1, logged.style));
      const resumed = await train({ iterations: 3 }, { resume: pyr, deps: deps(), hooks: quiet });
      expect(resumed.config.stylePyramid).toBe(2);
      expect(resumed.step).toBe(3);
    });

    it('refuses crops too small for the levels before training', async () => {
      await expect(train(config(tempDir(), { stylePyramid: 3 }), { deps: deps(), hooks: quiet })).rejects.toThrow(/--style-pyramid 3: the training crop of 64 px is 16 px/);
    });
  });
});
