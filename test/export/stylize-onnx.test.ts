/** @jest-environment ./test/export/ort-environment.js */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { tf } from '../../src/backend/tf';
import { runStylize } from '../../src/cli/commands/stylize';
import { transformerToOnnx } from '../../src/export';
import { decodeImage } from '../../src/image/image-io';
import { loadStyleModel } from '../../src/infer/model';
import { stylize } from '../../src/infer/stylize';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';
import { randomImage, randomNet } from './net-fixtures';

describe('nst stylize with an exported .onnx model', () => {
  const config = parseTransformerConfig({ width: 0.25, residualBlocks: 1 });
  const model = randomNet(config, 13);
  let tmp: string;
  let onnxFile: string;
  let photo: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-stylize-onnx-'));
    onnxFile = path.join(tmp, 'style.onnx');
    fs.writeFileSync(onnxFile, transformerToOnnx(model, config));
    photo = path.join(tmp, 'photo.png');
    const [w, h] = [30, 22];
    await sharp(Buffer.from(Uint8Array.from(randomImage(h, w, 5), (v) => Math.round(v))), { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(photo);
  });
  afterAll(() => {
    model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('loadStyleModel dispatches .onnx to ONNX Runtime', async () => {
    const loaded = await loadStyleModel(onnxFile);
    expect(loaded.config).toEqual(config);
    const got = await stylize(loaded.forward, photo);
    const expected = await stylize((x) => model.predict(x) as tf.Tensor, photo);
    expect(maxAbsDiff(got.rgb, expected.rgb)).toBeLessThanOrEqual(1e-2);
    loaded.dispose();
  });

  test('the stylize command writes the image', async () => {
    const out = path.join(tmp, 'out.png');
    const lines: string[] = [];
    const code = await runStylize(
      { model: onnxFile, inputs: [photo], output: out, strength: 1, preserveColor: false, progress: false, backend: 'cpu' },
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    const img = await decodeImage(out);
    expect([img.width, img.height]).toEqual([30, 22]);
  });
});
