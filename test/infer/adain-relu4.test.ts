/** @jest-environment ./test/export/ort-environment.js */
// AdaIN at relu4_1, with a synthetic VGG19 that has block 4 (random weights, test/loss-network/synthetic-vgg19.ts) and
// tiny images: the depth is chosen from the VGG found and stored in the checkpoint (old checkpoints = relu3_1), the
// decoder mirrors it, the style loss includes relu4_1, and stylizing and both exports (ONNX, tfjs web) work at it.
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { loadAdainCheckpoint, readAdainCheckpointMeta, saveAdainCheckpoint } from '../../src/checkpoint';
import { exportCheckpoint } from '../../src/export';
import { loadArbitraryModel, stylizeArbitrary } from '../../src/infer/arbitrary';
import { trainAdain } from '../../src/train/adain';
import { checkpointDirOf } from '../../src/train/session';
import { TrainLog, TRAIN_LOG_FILE } from '../../src/train/train-log';
import { tf } from '../../src/backend/tf';
import type { RgbImage } from '../../src/image/image-io';
import { withEnv } from '../helpers';
import { loadExportedAdain } from '../export/adain-web-fixtures';
import { writeSyntheticVgg19 } from '../loss-network/synthetic-vgg19';
import { makePhotos, tempDir } from '../train/helpers';
import { randomDecoder } from './arbitrary-fixtures';
import { patternImage } from './fixtures';

const quiet = { log: () => {} };
let vgg: string;
let photos: string;
let styles: string;
let emptyHome: string;
let ckpt: string; // a random relu4_1 decoder (not trained: its output varies by tens of levels)

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** No VGG anywhere but the embedded (blocks 1–3) one. */
const onlyEmbedded = <T>(fn: () => Promise<T>) => withEnv({ NST_HOME: emptyHome, NST_LOSS_WEIGHTS: undefined }, fn);

beforeAll(async () => {
  const root = tempDir('nst-relu4-');
  vgg = writeSyntheticVgg19(path.join(root, 'vgg19-synthetic'));
  emptyHome = path.join(root, 'home');
  fs.mkdirSync(emptyHome);
  photos = path.join(root, 'photos');
  styles = path.join(root, 'styles');
  await makePhotos(photos, 3, 48, 40, 7);
  await makePhotos(styles, 2, 64, 56, 99);
  ckpt = path.join(root, 'relu4-ckpt');
  const decoder = randomDecoder({ encoderLayer: 'relu4_1', width: 0.25 });
  await saveAdainCheckpoint(ckpt, { model: decoder, config: { encoderLayer: 'relu4_1', width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
  decoder.dispose();
});

test('training with encoderLayer auto and a VGG19 with block 4: relu4_1, stored in the checkpoint; style loss over relu1_1…relu4_1; a resume keeps it', async () => {
  const out = tempDir('nst-relu4-train-');
  const config = { styles: [styles], data: [photos], out, imageSize: 32, batchSize: 2, width: 0.25, iterations: 2, checkpointEvery: 100, previewEvery: 100, previewCount: 2, seed: 3, lossWeights: vgg };
  const r = await trainAdain(config, { hooks: quiet });
  expect(r.encoderLayer).toBe('relu4_1');
  expect(r.styleLayers).toEqual(['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1']);
  const log = new TrainLog(path.join(out, TRAIN_LOG_FILE)).read();
  expect(Object.keys(log[1].styleLayers)).toEqual(['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1']);
  for (const row of log) expect(Number.isFinite(row.total)).toBe(true);
  const { meta, model } = await loadAdainCheckpoint(checkpointDirOf(out));
  expect(meta.network.encoderLayer).toBe('relu4_1');
  expect(model.inputs[0].shape[3]).toBe(512); // the decoder mirrors the encoder from relu4_1
  model.dispose();
  // The run's --loss-weights and its depth come from the checkpoint.
  const resumed = await trainAdain({ iterations: 3 }, { resume: out, hooks: quiet });
  expect([resumed.step, resumed.encoderLayer]).toEqual([3, 'relu4_1']);
});

test('encoderLayer relu4_1 without a VGG19 that has block 4 is one clear error; auto then trains at relu3_1', async () => {
  const base = { styles: [styles], data: [photos], imageSize: 32, batchSize: 2, width: 0.25, iterations: 1, checkpointEvery: 100, previewEvery: 100, previewCount: 2 };
  await expect(onlyEmbedded(() => trainAdain({ ...base, out: tempDir('nst-relu4-no-'), encoderLayer: 'relu4_1' }, { hooks: quiet }))).rejects.toThrow(
    /relu4_1 not available from vgg19 \(tfjs layers, block1-3\).*nst weights fetch/,
  );
  const r = await onlyEmbedded(() => trainAdain({ ...base, out: tempDir('nst-relu4-auto-') }, { hooks: quiet }));
  expect(r.encoderLayer).toBe('relu3_1');
});

test('an old checkpoint (no encoderLayer in nst.json) is relu3_1', async () => {
  const dir = tempDir('nst-relu4-old-');
  const decoder = randomDecoder({ width: 0.25 });
  await saveAdainCheckpoint(dir, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
  decoder.dispose();
  const file = path.join(dir, 'nst.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete json.network.encoderLayer;
  fs.writeFileSync(file, JSON.stringify(json));
  expect(readAdainCheckpointMeta(dir).network.encoderLayer).toBe('relu3_1');
  const model = await loadArbitraryModel(dir);
  expect([model.layer, model.stride]).toEqual(['relu3_1', 4]);
  model.dispose();
});

test('stylizing at relu4_1: the encoder from encoderWeights or NST_LOSS_WEIGHTS (stride 8, any size); none with block 4 is a clear error', async () => {
  const content = patternImage(45, 30, 1); // not multiples of 8
  const style = { name: 'style', image: patternImage(64, 48, 2) };
  const a = await loadArbitraryModel(ckpt, { encoderWeights: vgg });
  expect([a.layer, a.stride]).toEqual(['relu4_1', 8]);
  const ra = await stylizeArbitrary(a, content, style, { styleSize: 64, tile: 0 });
  expect([ra.width, ra.height]).toEqual([45, 30]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ra.rgb) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  expect(hi - lo).toBeGreaterThan(20);
  // Tiles of 32 px line up with the stride-8 feature cells and come back at the image's size.
  const tiled = await stylizeArbitrary(a, content, style, { styleSize: 64, tile: 32 });
  expect(tiled.tiles).toBeGreaterThan(1);
  expect([tiled.width, tiled.height, tiled.rgb.length]).toEqual([45, 30, ra.rgb.length]);
  a.dispose();
  const b = await withEnv({ NST_LOSS_WEIGHTS: vgg }, () => loadArbitraryModel(ckpt));
  const rb = await stylizeArbitrary(b, content, style, { styleSize: 64, tile: 0 });
  expect(maxDiff(rb.rgb, ra.rgb)).toBe(0);
  b.dispose();
  await expect(onlyEmbedded(() => loadArbitraryModel(ckpt))).rejects.toThrow(/works at relu4_1 and needs a VGG19 with block 4.*tap relu4_1 not available.*nst weights fetch vgg19/);
  await expect(onlyEmbedded(() => exportCheckpoint(ckpt, { format: 'tfjs', out: path.join(tempDir('nst-relu4-x-'), 'web') }))).rejects.toThrow(/needs a VGG19 with block 4/);
});

test('ONNX and tfjs web exports at relu4_1 (encoder from NST_LOSS_WEIGHTS) match stylizeArbitrary', async () => {
  const dir = tempDir('nst-relu4-export-');
  const model = await loadArbitraryModel(ckpt, { encoderWeights: vgg });
  const content = patternImage(40, 32, 3); // multiples of 8: the ONNX graph takes them as they are
  const style = patternImage(64, 48, 4);
  const want = (await stylizeArbitrary(model, content, { name: 'style', image: style }, { styleSize: 64, tile: 0, alpha: 0.7 })).rgb;
  model.dispose();
  await withEnv({ NST_LOSS_WEIGHTS: vgg }, async () => {
    await exportCheckpoint(ckpt, { format: 'onnx', out: path.join(dir, 'a.onnx') });
    await exportCheckpoint(ckpt, { format: 'tfjs', out: path.join(dir, 'web') });
  });
  const nchw = (img: RgbImage) => {
    const n = img.width * img.height;
    const out = new Float32Array(n * 3);
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[c * n + p] = img.rgb[p * 3 + c];
    return new ort.Tensor('float32', out, [1, 3, img.height, img.width]);
  };
  const session = await ort.InferenceSession.create(path.join(dir, 'a.onnx'), { intraOpNumThreads: 1 });
  const y = (await session.run({ content: nchw(content), style: nchw(style), alpha: new ort.Tensor('float32', Float32Array.of(0.7), [1]) })).output;
  await session.release();
  expect(y.dims).toEqual([1, 3, 32, 40]);
  const d = y.data as Float32Array;
  const n = 32 * 40;
  const onnxNhwc = Float32Array.from({ length: n * 3 }, (_, i) => d[(i % 3) * n + Math.floor(i / 3)]);
  const onnxErr = maxDiff(onnxNhwc, want);

  const web = await loadExportedAdain(path.join(dir, 'web'));
  expect([web.layer, web.stride]).toEqual(['relu4_1', 8]);
  const stats = web.styleStats(tf.tensor4d(style.rgb, [1, 48, 64, 3]));
  const out = web.stylizePadded(tf.tensor4d(content.rgb, [1, 32, 40, 3]), stats, 0.7);
  const webErr = maxDiff(out.dataSync(), want);
  tf.dispose([out, stats.mean, stats.std]);
  web.dispose();
  process.stderr.write(`relu4_1 exports vs stylizeArbitrary: ONNX max |diff| ${onnxErr.toExponential(2)}, tfjs web ${webErr.toExponential(2)} levels\n`);
  expect(onnxErr).toBeLessThan(0.05);
  expect(webErr).toBeLessThan(0.05);
});
