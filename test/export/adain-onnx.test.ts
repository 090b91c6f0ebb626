/** @jest-environment ./test/export/ort-environment.js */
// nst export of an AdaIN checkpoint (random decoder, embedded VGG19 encoder) to ONNX, run in onnxruntime-node and
// compared with stylizeArbitrary on the same content and style.
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { saveAdainCheckpoint } from '../../src/checkpoint';
import { exportCheckpoint } from '../../src/export';
import { loadArbitraryModel, stylizeArbitrary, type ArbitraryModel } from '../../src/infer/arbitrary';
import { randomDecoder } from '../infer/arbitrary-fixtures';
import { makeTmpDir, patternImage } from '../infer/fixtures';
import type { RgbImage } from '../../src/image/image-io';

const nchw = (img: RgbImage) => {
  const out = new Float32Array(img.rgb.length);
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[c * n + p] = img.rgb[p * 3 + c];
  return new ort.Tensor('float32', out, [1, 3, img.height, img.width]);
};
const nhwc = (t: ort.Tensor) => {
  const [, , h, w] = t.dims as number[];
  const d = t.data as Float32Array;
  const out = new Float32Array(d.length);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = d[c * h * w + p];
  return out;
};

describe('AdaIN ONNX export', () => {
  const dir = makeTmpDir('nst-adain-onnx-');
  let model: ArbitraryModel;
  let file: string;
  beforeAll(async () => {
    const ckpt = path.join(dir, 'ckpt');
    const decoder = randomDecoder({ width: 0.25 });
    await saveAdainCheckpoint(ckpt, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
    decoder.dispose();
    file = path.join(dir, 'adain.onnx');
    const r = await exportCheckpoint(ckpt, { format: 'onnx', out: file });
    expect(r.files[0].bytes).toBeGreaterThan(1e6); // the VGG19 blocks 1–3 travel inside (≈ 9 MB)
    model = await loadArbitraryModel(ckpt);
  });
  afterAll(() => {
    model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('two image inputs and alpha; matches stylizeArbitrary within 0.05 levels', async () => {
    const m = onnx.ModelProto.decode(fs.readFileSync(file));
    expect(m.graph!.input!.map((i) => i.name)).toEqual(['content', 'style', 'alpha']);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    const content = patternImage(36, 28, 1);
    const style = patternImage(64, 48, 2);
    for (const alpha of [1, 0.4]) {
      const feeds = { content: nchw(content), style: nchw(style), alpha: new ort.Tensor('float32', Float32Array.of(alpha), [1]) };
      const out = (await session.run(feeds)).output;
      expect(out.dims).toEqual([1, 3, 28, 36]);
      const got = nhwc(out);
      const want = (await stylizeArbitrary(model, content, { name: 'style', image: style }, { styleSize: 64, alpha, tile: 0 })).rgb;
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
      process.stderr.write(`adain onnx vs tfjs, alpha ${alpha}: max |diff| ${max.toExponential(2)} levels\n`);
      expect(max).toBeLessThan(0.05);
    }
    await session.release();
  });
});
