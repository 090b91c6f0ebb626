/** @jest-environment ./test/export/ort-environment.js */
// Exports of the texture net (src/nets/texture-net.ts): ONNX (run by onnxruntime-node against our tfjs forward), the
// tfjs web folder (loaded with the browser layers' module text), and a checkpoint → .onnx → nst stylize round trip.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { tf } from '../../src/backend/tf';
import { saveCheckpoint } from '../../src/checkpoint';
import { BROWSER_LAYERS_MODULE, exportCheckpoint, TFJS_MODEL_JSON, TFJS_WEIGHTS_FILE, textureNetToOnnx, transformerToTfjsWeb } from '../../src/export';
import { loadStyleModel } from '../../src/infer/model';
import { stylize } from '../../src/infer/stylize';
import { buildTextureNet, parseTextureNetConfig, TextureNetConfig } from '../../src/nets/texture-net';
import { maxAbsDiff, seededRandom } from '../helpers';
import { nchwToNhwc, nhwcToNchw, randomImage, tfjsForward } from './net-fixtures';

const TOLERANCE = 1e-2;

/** A texture net with random (not freshly initialised) weights, so its output is far from flat grey. */
function randomTextureNet(config: TextureNetConfig, seed = 3): tf.LayersModel {
  const model = buildTextureNet(config);
  const r = seededRandom(seed);
  for (const w of model.weights) {
    const [layer, kind] = w.originalName.split('/');
    const shape = w.shape as number[];
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5);
    if (kind === 'kernel') {
      const [kh, kw, a, b] = shape;
      const limit = Math.sqrt(6 / (kh * kw * (a + b))) * (layer === 'out_conv' && config.output !== 'tanh' ? 30 : 1);
      values.forEach((u, i) => (values[i] = 2 * u * limit));
    } else if (kind === 'gamma') values.forEach((u, i) => (values[i] = 1 + u));
    else if (kind === 'bias' && layer === 'out_conv' && config.output === 'linear') values.forEach((u, i) => (values[i] = 127.5 + u));
    const t = tf.tensor(values, shape);
    w.write(t);
    t.dispose();
  }
  return model;
}

async function runOnnx(bytes: Uint8Array, image: Float32Array, h: number, w: number) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', nhwcToNchw(image, h, w), [1, 3, h, w]) });
    const [, , oh, ow] = out.output.dims as number[];
    return { data: nchwToNhwc(out.output.data as Float32Array, oh, ow), dims: out.output.dims as number[] };
  } finally {
    await session.release();
  }
}

describe('texture net → ONNX matches the tfjs forward (onnxruntime-node, CPU)', () => {
  test.each(['softclip', 'tanh', 'linear', 'residual'] as const)('%s head', async (output) => {
    const config = parseTextureNetConfig({ arch: 'texture-net', scales: 4, channels: 4, output });
    const model = randomTextureNet(config);
    const bytes = textureNetToOnnx(model, config);
    for (const [h, w] of [[32, 48], [64, 40]]) {
      const image = randomImage(h, w);
      const expected = tfjsForward(model, image, h, w);
      const got = await runOnnx(bytes, image, h, w);
      expect(got.dims).toEqual([1, 3, h, w]);
      const err = maxAbsDiff(got.data, expected.data);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of expected.data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      process.stderr.write(`onnx texture-net ${output} ${h}x${w}: max abs error ${err.toExponential(2)} (output range ${lo.toFixed(1)}..${hi.toFixed(1)})\n`);
      expect(hi - lo).toBeGreaterThan(20);
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    }
    model.dispose();
  });
});

describe('texture net checkpoints export and run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-texexport-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = parseTextureNetConfig({ arch: 'texture-net', channels: 4 });

  test('nst export --format onnx, then stylize the .onnx at a size that is not a multiple of 16: equals the checkpoint', async () => {
    const model = randomTextureNet(config, 5);
    const ckpt = path.join(dir, 'ckpt');
    await saveCheckpoint(ckpt, { model, config });
    const onnxFile = path.join(dir, 'tex.onnx');
    const r = await exportCheckpoint(ckpt, { format: 'onnx', out: onnxFile });
    expect(r.config).toMatchObject({ arch: 'texture-net' });
    const fromCkpt = await loadStyleModel(ckpt);
    const fromOnnx = await loadStyleModel(onnxFile);
    expect(fromOnnx.network).toMatchObject({ stride: 16, minSide: 32 });
    const img = { width: 45, height: 37, rgb: randomImage(37, 45) };
    const a = await stylize(fromCkpt.model!, img, { network: fromCkpt.network });
    const b = await stylize(fromOnnx.forward, img, { network: fromOnnx.network });
    expect([b.width, b.height]).toEqual([45, 37]);
    expect(maxAbsDiff(a.rgb, b.rgb)).toBeLessThan(TOLERANCE);
    fromCkpt.dispose();
    fromOnnx.dispose();
    model.dispose();
  });

  test('tfjs web export: the browser layers load it and it computes what the checkpoint does', async () => {
    const model = randomTextureNet(config, 6);
    const files = await transformerToTfjsWeb(model, config);
    const meta = (JSON.parse(files[TFJS_MODEL_JSON] as string) as { userDefinedMetadata: { nst: { network: unknown; io: string } } }).userDefinedMetadata.nst;
    expect(meta.network).toMatchObject({ arch: 'texture-net' });
    expect(meta.io).toMatch(/multiples of 16/);
    const json = JSON.parse(files[TFJS_MODEL_JSON] as string) as tf.io.ModelJSON;
    const weights = files[TFJS_WEIGHTS_FILE] as Uint8Array;
    const handler = tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    });
    const body = BROWSER_LAYERS_MODULE.replace(/^export /gm, '');
    const browser = new Function(`${body}\nreturn { loadNstModel };`)() as { loadNstModel(t: typeof tf, url: unknown): Promise<tf.LayersModel> };
    const loaded = await browser.loadNstModel(tf, handler);
    const image = randomImage(32, 48);
    expect(maxAbsDiff(tfjsForward(loaded, image, 32, 48).data, tfjsForward(model, image, 32, 48).data)).toBeLessThan(1e-3);
    loaded.dispose();
    model.dispose();
  });
});
