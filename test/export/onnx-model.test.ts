/** @jest-environment ./test/export/ort-environment.js */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { transformerToOnnx } from '../../src/export';
import { decodeImage } from '../../src/image/image-io';
import { isOnnxModelPath, loadOnnxStyleModel } from '../../src/infer/onnx-model';
import { stylize } from '../../src/infer/stylize';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { describeShared, maxAbsDiff, readF32, sharedPath } from '../helpers';
import { randomImage, randomNet } from './net-fixtures';

describe('ONNX style model (onnxruntime-node) behind the stylize interface', () => {
  const config = parseTransformerConfig({ width: 0.25, residualBlocks: 2 });
  const model = randomNet(config, 4);
  let tmp: string;
  let file: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-onnx-model-'));
    file = path.join(tmp, 'style.onnx');
    fs.writeFileSync(file, transformerToOnnx(model, config));
  });
  afterAll(() => {
    model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('stylize() gives the tfjs model\'s result, in one pass and in tiles (odd size: padded to 4 and cropped)', async () => {
    const onnxModel = await loadOnnxStyleModel(file, { threads: 1 });
    expect(onnxModel.configKnown).toBe(true);
    expect(onnxModel.config).toEqual(config);
    expect(onnxModel.network.widths).toEqual([8, 16, 32]);
    const image = { width: 50, height: 37, rgb: randomImage(37, 50) };
    for (const tile of [0, 32]) {
      const before = tf.memory().numTensors;
      const got = await stylize(onnxModel.forward, image, { tile, overlap: 8 });
      // A plain forward function: each tile normalised by its own statistics, as ONNX Runtime's graph does (stylize may
      // pool instance-norm statistics across tiles when handed a LayersModel).
      const expected = await stylize((x) => model.predict(x) as tf.Tensor, image, { tile, overlap: 8 });
      expect(got.tiles).toBe(expected.tiles);
      expect([got.width, got.height]).toEqual([50, 37]);
      const err = maxAbsDiff(got.rgb, expected.rgb);
      process.stderr.write(`onnx-model stylize (tile ${tile}, ${got.tiles} pass(es)): max abs error vs tfjs ${err.toExponential(2)}\n`);
      expect(err).toBeLessThanOrEqual(1e-2);
      expect(tf.memory().numTensors).toBe(before); // forward's tensors are all disposed
    }
    onnxModel.dispose();
    expect(() => onnxModel.forward(tf.zeros([1, 4, 4, 3]))).toThrow(/disposed/);
  });

  test('recognises .onnx paths; a missing or non-ONNX file is a clear InputError', async () => {
    expect(isOnnxModelPath('a/b/Style.ONNX')).toBe(true);
    expect(isOnnxModelPath('checkpoints/udnie')).toBe(false);
    await expect(loadOnnxStyleModel(path.join(tmp, 'nope.onnx'))).rejects.toThrow(/nope\.onnx: ONNX model not found/);
    const junk = path.join(tmp, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model');
    await expect(loadOnnxStyleModel(junk)).rejects.toThrow(/junk\.onnx: ONNX Runtime cannot load it/);
  });
});

describeShared('a foreign ONNX model (PyTorch\'s own torch.onnx export of the fixture net)', () => {
  test('loads with the default config and reproduces PyTorch', async () => {
    const m = await loadOnnxStyleModel(sharedPath('models/pytorch-examples-transformer/transformer.onnx'), { threads: 2 });
    expect(m.configKnown).toBe(false);
    const img = await decodeImage(sharedPath('models/pytorch-examples-transformer/input.png'));
    const got = await stylize(m.forward, img);
    const err = maxAbsDiff(got.rgb, readF32(sharedPath('models/pytorch-examples-transformer/expected-output.f32')));
    process.stderr.write(`onnx-model on PyTorch's transformer.onnx: max abs error ${err.toExponential(2)}\n`);
    expect(err).toBeLessThanOrEqual(1e-2);
    m.dispose();
  });
});
