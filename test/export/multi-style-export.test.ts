/** @jest-environment ./test/export/ort-environment.js */
// Exports of a multi-style network take the style weights as an input (a vector of one weight per style): the ONNX
// graph run by onnxruntime-node, and the tfjs web folder loaded with the browser layers, against our forward pass.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { tf } from '../../src/backend/tf';
import { saveCheckpoint } from '../../src/checkpoint';
import { exportCheckpoint, TFJS_MODEL_JSON, TFJS_WEIGHTS_FILE, transformerToOnnx, transformerToTfjsWeb, BROWSER_LAYERS_MODULE } from '../../src/export';
import { loadOnnxStyleModel } from '../../src/infer/onnx-model';
import { setStyleWeights } from '../../src/nets/style-weights';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';
import { nchwToNhwc, nhwcToNchw, randomImage, randomNet, tfjsForward } from './net-fixtures';

/** As test/export/onnx.test.ts: float32 ops in another order through 16+ layers, on the 0–255 scale. */
const TOLERANCE = 1e-2;
const CHOICES: Array<[string, number[]]> = [
  ['style 0', [1, 0, 0]],
  ['style 2', [0, 0, 1]],
  ['a mix', [0.2, 0.5, 0.3]],
];

describe('multi-style exports take the style weights as an input', () => {
  const config = parseTransformerConfig({ width: 0.25, styles: 3 });
  const model = randomNet(config, 8);
  const [h, w] = [45, 38];
  const image = randomImage(h, w);
  afterAll(() => model.dispose());

  test.each(CHOICES)('ONNX, %s: onnxruntime-node equals our forward pass', async (_name, weights) => {
    const bytes = transformerToOnnx(model, config);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    try {
      expect(session.inputNames).toEqual(['input', 'style']);
      setStyleWeights(model, weights);
      const expected = tfjsForward(model, image, h, w);
      const out = await session.run({
        input: new ort.Tensor('float32', nhwcToNchw(image, h, w), [1, 3, h, w]),
        style: new ort.Tensor('float32', Float32Array.from(weights), [3]),
      });
      const [, , oh, ow] = out.output.dims as number[];
      const err = maxAbsDiff(nchwToNhwc(out.output.data as Float32Array, oh, ow), expected.data);
      process.stderr.write(`onnx multi-style ${_name}: max abs error ${err.toExponential(2)}\n`);
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await session.release();
      setStyleWeights(model, [1, 0, 0]);
    }
  });

  test('the styles really differ (the comparisons above mean something)', () => {
    setStyleWeights(model, [1, 0, 0]);
    const a = tfjsForward(model, image, h, w).data;
    setStyleWeights(model, [0, 0, 1]);
    const b = tfjsForward(model, image, h, w).data;
    setStyleWeights(model, [1, 0, 0]);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(5);
  });

  test('nst export → an .onnx whose loaded model (what nst stylize -m X.onnx runs) takes the style weights; style count and names from its metadata', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-ms-export-'));
    const ckpt = path.join(dir, 'ckpt');
    await saveCheckpoint(ckpt, { model, config, meta: { styleNames: ['a.jpg', 'b.jpg', 'c.jpg'] } });
    const file = path.join(dir, 'm.onnx');
    await exportCheckpoint(ckpt, { format: 'onnx', out: file });
    const loaded = await loadOnnxStyleModel(file, { threads: 1 });
    try {
      expect([loaded.styles, loaded.styleNames]).toEqual([3, ['a.jpg', 'b.jpg', 'c.jpg']]);
      loaded.setStyleWeights([0, 1, 0]);
      setStyleWeights(model, [0, 1, 0]);
      const got = tf.tidy(() => loaded.forward(tf.tensor4d(image, [1, h, w, 3])).dataSync() as Float32Array);
      expect(maxAbsDiff(got, tfjsForward(model, image, h, w).data)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      loaded.dispose();
      setStyleWeights(model, [1, 0, 0]);
    }
  });

  test.each(CHOICES)('tfjs web, %s: the browser layers take predict(x, { styleWeights }) and equal our forward pass', async (_name, weights) => {
    const files = await transformerToTfjsWeb(model, config, { styleNames: ['a', 'b', 'c'] });
    const json = JSON.parse(files[TFJS_MODEL_JSON] as string) as tf.io.ModelJSON;
    expect(json.userDefinedMetadata).toMatchObject({ nst: { styles: 3, styleNames: ['a', 'b', 'c'] } });
    const data = files[TFJS_WEIGHTS_FILE] as Uint8Array;
    const handler = tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    });
    const body = BROWSER_LAYERS_MODULE.replace(/^export /gm, '');
    const browser = new Function(`${body}\nreturn { loadNstModel, styleCount };`)() as {
      loadNstModel(t: typeof tf, url: unknown): Promise<tf.LayersModel>;
      styleCount(m: tf.LayersModel): number;
    };
    const loaded = await browser.loadNstModel(tf, handler);
    expect(browser.styleCount(loaded)).toBe(3);
    setStyleWeights(model, weights);
    const expected = tfjsForward(model, image, h, w).data;
    setStyleWeights(model, [1, 0, 0]);
    const got = tf.tidy(() => (loaded.predict(tf.tensor4d(image, [1, h, w, 3]), { styleWeights: weights } as never) as tf.Tensor).dataSync() as Float32Array);
    loaded.dispose();
    // As the single-style browser export: composite instance norm against the native fused kernel (tfjs-web.test.ts).
    expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(5e-3);
  });
});
