import * as fs from 'fs';
import { tf } from '../../src/backend/tf';
import {
  BROWSER_LAYERS_FILE,
  BROWSER_LAYERS_MODULE,
  float32ToFloat16,
  quantizeWeights,
  TFJS_MODEL_JSON,
  TFJS_WEIGHTS_FILE,
  transformerToTfjsWeb,
  WeightQuantization,
} from '../../src/export';
import { importEngstrom } from '../../src/importers';
import { decodeImage } from '../../src/image/image-io';
import { cropRgb } from '../../src/infer/pad';
import { InstanceNorm } from '../../src/nets/layers';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { describeShared, maxAbsDiff, sharedPath } from '../helpers';
import { randomImage, randomNet, tfjsForward } from './net-fixtures';

type BrowserLayers = { registerNstLayers(t: typeof tf): void; loadNstModel(t: typeof tf, url: unknown): Promise<tf.LayersModel> };

/** Evaluates the exact module text the export writes (ES `export`s turned into a returned object). */
function evaluateBrowserModule(): BrowserLayers {
  const body = BROWSER_LAYERS_MODULE.replace(/^export /gm, '');
  expect(body).not.toMatch(/\b(require|import)\s*\(/); // nothing Node-only, nothing fetched
  return new Function(`${body}\nreturn { registerNstLayers, loadNstModel };`)() as BrowserLayers;
}

/** Loads an exported folder's files with the browser layers (as a page would, from memory instead of HTTP). */
async function loadExported(files: Record<string, string | Uint8Array>): Promise<tf.LayersModel> {
  const json = JSON.parse(files[TFJS_MODEL_JSON] as string) as tf.io.ModelJSON;
  const weights = files[TFJS_WEIGHTS_FILE] as Uint8Array;
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  });
  return evaluateBrowserModule().loadNstModel(tf, handler);
}

const byteSize = (files: Record<string, string | Uint8Array>) => (files[TFJS_WEIGHTS_FILE] as Uint8Array).byteLength;

describe('tfjs web export', () => {
  const config = parseTransformerConfig({ width: 0.25 });
  const [h, w] = [44, 36];

  test('the folder holds model.json, weights.bin and the layers module; loaded with the browser layers it reproduces the net', async () => {
    const model = randomNet(config, 5);
    const files = await transformerToTfjsWeb(model, config);
    expect(Object.keys(files).sort()).toEqual([BROWSER_LAYERS_FILE, TFJS_MODEL_JSON, TFJS_WEIGHTS_FILE].sort());
    const json = JSON.parse(files[TFJS_MODEL_JSON] as string);
    expect(json.format).toBe('layers-model');
    expect(json.userDefinedMetadata.nst.network).toEqual(config);
    expect(json.weightsManifest[0].paths).toEqual([TFJS_WEIGHTS_FILE]);

    const loaded = await loadExported(files);
    // The browser classes, not src/nets/layers', built the norms: the module really is self-sufficient.
    const norm = loaded.layers.find((l) => l.getClassName() === 'NstInstanceNorm')!;
    expect(norm).toBeDefined();
    expect(norm).not.toBeInstanceOf(InstanceNorm);
    const image = randomImage(h, w);
    const err = maxAbsDiff(tfjsForward(loaded, image, h, w).data, tfjsForward(model, image, h, w).data);
    process.stderr.write(`tfjs web float32: max abs error vs the checkpoint net ${err.toExponential(2)}\n`);
    // The browser layers use composite instance norm; the native backend's fused kernel sums in double, so the two
    // round differently: measured 1.2e-3 on the 0..255 scale (5e-6 relative).
    expect(err).toBeLessThanOrEqual(5e-3);
    loaded.dispose();
    model.dispose();
  });

  test.each(['softclip', 'residual'] as const)('the %s head loads with the browser layers and reproduces the net at an odd size', async (output) => {
    const headConfig = parseTransformerConfig({ width: 0.25, residualBlocks: 1, output });
    const model = randomNet(headConfig, 6);
    const loaded = await loadExported(await transformerToTfjsWeb(model, headConfig));
    const [oh, ow] = [43, 38];
    const image = randomImage(oh, ow);
    const want = tfjsForward(model, image, oh, ow);
    const got = tfjsForward(loaded, image, oh, ow);
    expect(got.shape).toEqual([1, 44, 40, 3]);
    const err = maxAbsDiff(got.data, want.data);
    process.stderr.write(`tfjs web ${output} head: max abs error vs the checkpoint net ${err.toExponential(2)}\n`);
    expect(err).toBeLessThanOrEqual(5e-3); // as above: composite vs fused instance norm
    loaded.dispose();
    model.dispose();
  });

  test.each<[WeightQuantization, number, number]>([
    // [dtype, size ratio vs float32, max abs error on 0–255 allowed for this random net]
    ['float16', 0.5, 2],
    ['uint8', 0.25, 25],
  ])('--quantize %s: tfjs decodes it; size and error measured', async (dtype, ratio, tolerance) => {
    const model = randomNet(config, 5);
    const full = await transformerToTfjsWeb(model, config);
    const files = await transformerToTfjsWeb(model, config, { quantize: dtype });
    const json = JSON.parse(files[TFJS_MODEL_JSON] as string);
    for (const spec of json.weightsManifest[0].weights) {
      expect(spec.dtype).toBe('float32');
      expect(spec.quantization.dtype).toBe(dtype);
      if (dtype === 'uint8') expect(Object.keys(spec.quantization).sort()).toEqual(['dtype', 'min', 'scale']);
    }
    expect(byteSize(files)).toBe(byteSize(full) * ratio);
    const loaded = await loadExported(files);
    const image = randomImage(h, w);
    const err = maxAbsDiff(tfjsForward(loaded, image, h, w).data, tfjsForward(model, image, h, w).data);
    process.stderr.write(`tfjs web ${dtype} (width 0.25 random net): weights ${byteSize(full)} -> ${byteSize(files)} bytes, max abs output error ${err.toFixed(3)} (0-255)\n`);
    expect(err).toBeLessThanOrEqual(tolerance);
    loaded.dispose();
    model.dispose();
  });

  test('float32ToFloat16: exact values, rounding to nearest even, subnormals, overflow, NaN', () => {
    const bits = float32ToFloat16(Float32Array.of(1, -2, 65504, 65520, 1e-8, 2 ** -24, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, -Infinity, 0.1));
    expect([...bits]).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0000, 0x0001, 0x0400, 0x3c00, 0x3c02, 0x7e00, 0xfc00, 0x2e66]);
  });

  test('uint8 quantization reproduces each tensor within scale/2 and maps min and max exactly', () => {
    const values = Float32Array.of(-1, -0.5, 0, 0.25, 3, 7, 7, 7); // tensor a: 4 values, tensor b: 4 (constant-ish)
    const data = new Uint8Array(values.buffer);
    const specs = [
      { name: 'a', shape: [4], dtype: 'float32' },
      { name: 'b', shape: [2, 2], dtype: 'float32' },
    ];
    const q = quantizeWeights(specs, data, 'uint8');
    const a = q.specs[0].quantization!;
    expect(a.min).toBe(-1);
    expect(a.scale).toBeCloseTo(1.25 / 255, 8);
    expect(q.data[0]).toBe(0);
    expect(q.data[3]).toBe(255);
    for (let i = 0; i < 4; i++) expect(Math.abs(q.data[i] * a.scale! + a.min! - values[i])).toBeLessThanOrEqual(a.scale! / 2 + 1e-7);
  });
});

// A published, trained network: realistic numbers for docs/export.md (size, and what quantization costs).
describeShared('tfjs web export of a trained network (Engstrom udnie)', () => {
  test('float16 and uint8: size and max output error on a photo (64 px wide)', async () => {
    const net = importEngstrom(sharedPath('models/engstrom-fast-style/udnie'));
    const photo = await decodeImage(sharedPath('data/content/sample-pd', fs.readdirSync(sharedPath('data/content/sample-pd')).sort()[0]), { maxSize: 64 });
    const [ph, pw] = [photo.height - (photo.height % 4), photo.width - (photo.width % 4)];
    const image = cropRgb(photo, 0, 0, pw, ph).rgb;
    const reference = tfjsForward(net.model, image, ph, pw).data;
    const full = await transformerToTfjsWeb(net.model, net.config);
    const report: string[] = [`float32 ${byteSize(full)} bytes`];
    for (const dtype of ['float16', 'uint8'] as const) {
      const files = await transformerToTfjsWeb(net.model, net.config, { quantize: dtype });
      const loaded = await loadExported(files);
      const got = tfjsForward(loaded, image, ph, pw).data;
      const err = maxAbsDiff(got, reference);
      let sum = 0;
      for (let i = 0; i < got.length; i++) sum += Math.abs(got[i] - reference[i]);
      report.push(`${dtype} ${byteSize(files)} bytes, max abs error ${err.toFixed(3)}, mean ${(sum / got.length).toFixed(4)}`);
      expect(err).toBeLessThanOrEqual(dtype === 'float16' ? 2 : 60);
      loaded.dispose();
    }
    process.stderr.write(`tfjs web udnie (0-255 scale): ${report.join('; ')}\n`);
    net.model.dispose();
  });
});
