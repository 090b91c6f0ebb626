// nst export of an AdaIN checkpoint (random decoder, embedded VGG19 encoder) to a TensorFlow.js web folder: loaded in
// Node with the exact module texts the folder ships (nst-layers.js, nst-adain.js), it must reproduce stylizeArbitrary;
// quantized weights shrink the folder; `nst export adain` exports the embedded decoder.
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { saveAdainCheckpoint } from '../../src/checkpoint';
import {
  ADAIN_ENCODER_JSON,
  ADAIN_ENCODER_WEIGHTS,
  BROWSER_ADAIN_FILE,
  BROWSER_LAYERS_FILE,
  exportCheckpoint,
  TFJS_MODEL_JSON,
  TFJS_WEIGHTS_FILE,
} from '../../src/export';
import { loadArbitraryModel, stylizeArbitrary, type ArbitraryModel } from '../../src/infer/arbitrary';
import { nstInProcess } from '../cli-in-process';
import { loadExportedAdain } from './adain-web-fixtures';
import { randomDecoder } from '../infer/arbitrary-fixtures';
import { makeTmpDir, patternImage } from '../infer/fixtures';
import type { RgbImage } from '../../src/image/image-io';

const toTensor = (img: RgbImage) => tf.tensor4d(img.rgb, [1, img.height, img.width, 3]);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('AdaIN tfjs web export', () => {
  const dir = makeTmpDir('nst-adain-web-');
  const ckpt = path.join(dir, 'ckpt');
  let model: ArbitraryModel;
  beforeAll(async () => {
    const decoder = randomDecoder({ width: 0.25 });
    await saveAdainCheckpoint(ckpt, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
    decoder.dispose();
    model = await loadArbitraryModel(ckpt);
  });
  afterAll(() => {
    model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the folder (decoder, encoder, both modules) reproduces stylizeArbitrary in Node within 0.05 levels, at alpha 1 and 0.5', async () => {
    const out = path.join(dir, 'web');
    const r = await exportCheckpoint(ckpt, { format: 'tfjs', out });
    expect(r.files.map((f) => path.basename(f.path)).sort()).toEqual(
      [TFJS_MODEL_JSON, TFJS_WEIGHTS_FILE, ADAIN_ENCODER_JSON, ADAIN_ENCODER_WEIGHTS, BROWSER_LAYERS_FILE, BROWSER_ADAIN_FILE].sort(),
    );
    const meta = JSON.parse(fs.readFileSync(path.join(out, TFJS_MODEL_JSON), 'utf8')).userDefinedMetadata.nst;
    expect(meta).toMatchObject({ kind: 'adain', network: { encoderLayer: 'relu3_1', width: 0.25 }, encoder: { model: 'encoder.json', preprocessing: 'caffe' }, adain: { stride: 4 } });
    const web = await loadExportedAdain(out);
    const content = patternImage(42, 37, 1); // odd sizes: the module's reflect padding and crop
    const style = patternImage(64, 50, 2);
    const stats = web.styleStats(toTensor(style));
    for (const alpha of [1, 0.5]) {
      const y = web.stylizePadded(toTensor(content), stats, alpha);
      expect(y.shape).toEqual([1, 37, 42, 3]);
      const want = (await stylizeArbitrary(model, content, { name: 'style', image: style }, { styleSize: 64, alpha, tile: 0 })).rgb;
      const d = maxDiff(y.dataSync(), want);
      process.stderr.write(`adain tfjs web (Node, float32) vs stylizeArbitrary, alpha ${alpha}: max |diff| ${d.toExponential(2)} levels\n`);
      expect(d).toBeLessThan(0.05);
      y.dispose();
    }
    web.disposeStats(stats);
    web.dispose();
  });

  test('--quantize float16 halves both weight files and stays within 3 levels (measured 1.9)', async () => {
    const out = path.join(dir, 'web16');
    await exportCheckpoint(ckpt, { format: 'tfjs', out, quantize: 'float16' });
    const full = path.join(dir, 'web');
    for (const f of [TFJS_WEIGHTS_FILE, ADAIN_ENCODER_WEIGHTS]) {
      expect(fs.statSync(path.join(out, f)).size).toBe(fs.statSync(path.join(full, f)).size / 2);
    }
    const web = await loadExportedAdain(out);
    const content = patternImage(32, 24, 3);
    const style = patternImage(48, 48, 4);
    const stats = web.styleStats(toTensor(style));
    const y = web.stylizePadded(toTensor(content), stats, 1);
    const want = (await stylizeArbitrary(model, content, { name: 'style', image: style }, { styleSize: 48, tile: 0 })).rgb;
    const d = maxDiff(y.dataSync(), want);
    process.stderr.write(`adain tfjs web float16 vs float32 stylizeArbitrary: max |diff| ${d.toFixed(2)} levels\n`);
    expect(d).toBeLessThan(3);
    tf.dispose([y, stats.mean, stats.std]);
    web.dispose();
  });

  test('nst export adain --format tfjs exports the embedded decoder', async () => {
    const out = path.join(dir, 'embedded');
    const r = await nstInProcess(['export', 'adain', '--format', 'tfjs', '--out', out, '--backend', 'cpu']);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/exported tfjs -> .*embedded \(6 files, \d+ KiB\)/);
    const meta = JSON.parse(fs.readFileSync(path.join(out, TFJS_MODEL_JSON), 'utf8')).userDefinedMetadata.nst;
    expect(meta.kind).toBe('adain');
    expect(meta.network.encoderLayer).toBe('relu3_1');
  });
});
