import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { saveAdainCheckpoint, saveCheckpoint } from '../../src/checkpoint';
import { InputError, UsageError } from '../../src/errors';
import { rgbToYCbCr } from '../../src/image/color';
import { pixelsToTensor } from '../../src/image/image-io';
import {
  embeddedAdainDecoderDir,
  loadArbitraryModel,
  StyleStatsCache,
  stylizeArbitrary,
  styleWeightsFor,
  type ArbitraryModel,
} from '../../src/infer/arbitrary';
import { ownedRanges, tileCores } from '../../src/infer/arbitrary/content-stats';
import { ChannelMoments } from '../../src/infer/channel-moments';
import { loadStyleModel } from '../../src/infer/model';
import { buildTransformer } from '../../src/nets/transformer';
import { channelStats } from '../../src/nets/adain';
import { randomArbitraryModel, randomDecoder } from './arbitrary-fixtures';
import { makeTmpDir, patternImage, writePng } from './fixtures';
import { slowTest } from '../helpers';

const meanAbs = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

describe('whole-image statistics from tiles (pure parts)', () => {
  test('owned ranges partition each axis, cut at the middle of each shared band, on the stride', () => {
    const r = ownedRanges([0, 192, 384], 256, 640, 4);
    expect(r).toEqual([[0, 224], [224, 416], [416, 640]]);
    const cores = tileCores(1200, 900, 256, 64, 4);
    const area = cores.reduce((n, c) => n + (c.x[1] - c.x[0]) * (c.y[1] - c.y[0]), 0);
    expect(area).toBe(1200 * 900);
    for (const c of cores) expect([...c.x, ...c.y].every((v) => v % 4 === 0)).toBe(true);
  });

  test('merging block moments (Chan et al.) equals the moments of all the data', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => 1000 + Math.sin(i) * 30 + (i % 7));
    const moments = new ChannelMoments(1);
    // Rows of one 1000-cell-wide, 1-channel map, added as three blocks of columns.
    for (const [a, b] of [[0, 10], [10, 400], [400, 1000]]) moments.add(data, 1000, a, 0, b - a, 1);
    const mean = data.reduce((s, v) => s + v, 0) / data.length;
    const variance = data.reduce((s, v) => s + (v - mean) ** 2, 0) / data.length;
    const got = moments.meanVariance();
    expect(got.mean[0]).toBeCloseTo(mean, 9);
    expect(got.variance[0]).toBeCloseTo(variance, 6);
  });

  test('style weights: normalised, one per style, positive sum', () => {
    expect(styleWeightsFor(2, [0.7, 0.3])).toEqual([0.7, 0.3]);
    expect(styleWeightsFor(3)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(() => styleWeightsFor(2, [1])).toThrow(/2 style images but 1 style weight/);
    expect(() => styleWeightsFor(1, [0])).toThrow(UsageError);
  });
});

describe('stylizeArbitrary (random decoder, embedded VGG19 encoder)', () => {
  let model: ArbitraryModel;
  let dir: string;
  let styleA: string;
  let styleB: string;
  beforeAll(async () => {
    model = await randomArbitraryModel();
    dir = makeTmpDir('nst-arbitrary-');
    styleA = await writePng(path.join(dir, 'a.png'), patternImage(64, 48, 2));
    styleB = await writePng(path.join(dir, 'b.png'), patternImage(40, 56, 5));
  });
  afterAll(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('any size in, same size out; alpha 0 is the decoder applied to the content features', async () => {
    const content = patternImage(37, 29, 1);
    const styled = await stylizeArbitrary(model, content, styleA, { styleSize: 64 });
    expect([styled.width, styled.height, styled.rgb.length]).toEqual([37, 29, 37 * 29 * 3]);
    expect(styled.tiles).toBe(1);

    const recon = await stylizeArbitrary(model, patternImage(36, 28, 1), styleA, { alpha: 0, styleSize: 64 });
    const direct = tf.tidy(() => {
      const f = model.encoder.extract(pixelsToTensor(patternImage(36, 28, 1)), ['relu3_1']).relu3_1;
      return (model.decoder.predict(f) as tf.Tensor).dataSync() as Float32Array;
    });
    // Float noise only: the plan and the per-op kernels sum in different orders, and on AVX2 both run Winograd
    // F(4x4, 3x3), whose transforms cost a few 1e-6 of relative precision (measured 1.3e-3 mean on the 0-255 scale).
    expect(meanAbs(recon.rgb, direct)).toBeLessThan(5e-3);
    // …and the style changes it: alpha 1 differs from the reconstruction by more than float noise.
    const full = await stylizeArbitrary(model, patternImage(36, 28, 1), styleA, { styleSize: 64 });
    expect(meanAbs(full.rgb, direct)).toBeGreaterThan(0.5);
  });

  test('style weights [1, 0] give the first style; [0.5, 0.5] lies between', async () => {
    const content = patternImage(32, 32, 3);
    const a = await stylizeArbitrary(model, content, styleA, { styleSize: 64 });
    const b = await stylizeArbitrary(model, content, styleB, { styleSize: 64 });
    const a0 = await stylizeArbitrary(model, content, [styleA, styleB], { styleWeights: [1, 0], styleSize: 64 });
    expect(meanAbs(a0.rgb, a.rgb)).toBeLessThan(1e-3);
    const mix = await stylizeArbitrary(model, content, [styleA, styleB], { styleWeights: [0.5, 0.5], styleSize: 64 });
    expect(meanAbs(mix.rgb, a.rgb)).toBeGreaterThan(0);
    expect(meanAbs(mix.rgb, a.rgb)).toBeLessThan(meanAbs(a.rgb, b.rgb));
  });

  test('style statistics are computed once per style and size, and reused across images', async () => {
    const cache = new StyleStatsCache(model);
    // The encoder runs through its native plan (encode) when it has one, else through extract: count both.
    const spies = [jest.spyOn(model.encoder, 'extract'), ...(model.encoder.encode ? [jest.spyOn(model.encoder as Required<typeof model.encoder>, 'encode')] : [])];
    const calls = () => spies.reduce((n, s) => n + s.mock.calls.length, 0);
    for (const seed of [1, 2, 3]) await stylizeArbitrary(model, patternImage(24, 24, seed), styleA, { cache, styleSize: 64 });
    // One encoding of the style + one per content image.
    expect(calls()).toBe(4);
    expect(cache.size).toBe(1);
    await stylizeArbitrary(model, patternImage(24, 24, 1), styleA, { cache, styleSize: 48 });
    expect(cache.size).toBe(2);
    spies.forEach((s) => s.mockRestore());
    cache.dispose();
  });

  test("preserveColor keeps the content's chroma: YCbCr Cb/Cr of the (unclamped) result equal the content's", async () => {
    const content = patternImage(32, 24, 4);
    const plain = await stylizeArbitrary(model, content, styleA, { styleSize: 64 });
    const out = await stylizeArbitrary(model, content, styleA, { preserveColor: true, styleSize: 64 });
    let chromaMoved = 0;
    for (let i = 0; i < out.rgb.length; i += 3) {
      const [y, cb, cr] = rgbToYCbCr(out.rgb[i], out.rgb[i + 1], out.rgb[i + 2]);
      const [, cb0, cr0] = rgbToYCbCr(content.rgb[i], content.rgb[i + 1], content.rgb[i + 2]);
      const [yPlain, cbPlain] = rgbToYCbCr(plain.rgb[i], plain.rgb[i + 1], plain.rgb[i + 2]);
      expect(Math.abs(cb - cb0)).toBeLessThan(1e-2);
      expect(Math.abs(cr - cr0)).toBeLessThan(1e-2);
      expect(Math.abs(y - yPlain)).toBeLessThan(1e-2); // luminance from the stylized result
      chromaMoved = Math.max(chromaMoved, Math.abs(cbPlain - cb0));
    }
    expect(chromaMoved).toBeGreaterThan(1); // without it the chroma does change
  });

  test('tiled: the event loop runs between tiles (a server stays responsive)', async () => {
    const content = patternImage(160, 120, 2);
    let ticks = 0;
    const seen: number[] = [];
    const timer = setInterval(() => ticks++, 0);
    try {
      await stylizeArbitrary(model, content, styleA, { tile: 64, styleSize: 64, onTile: () => seen.push(ticks) });
    } finally {
      clearInterval(timer);
    }
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[seen.length - 1]).toBeGreaterThan(seen[0]);
  });

  test('bad style inputs are one InputError naming the file', async () => {
    const content = patternImage(16, 16, 1);
    const junk = path.join(dir, 'junk.jpg');
    fs.writeFileSync(junk, 'not an image');
    const tiny = await writePng(path.join(dir, 'tiny.png'), patternImage(20, 10, 1));
    await expect(stylizeArbitrary(model, content, junk)).rejects.toThrow(new RegExp(`^style ${junk.replace(/[.]/g, '\\.')}: cannot decode`));
    await expect(stylizeArbitrary(model, content, tiny)).rejects.toThrow(/style .*tiny\.png: 20×10 is too small \(the shorter side must be at least 32 px\)/);
    await expect(stylizeArbitrary(model, content, dir)).rejects.toThrow(/is a folder; give a style image file/);
    await expect(stylizeArbitrary(model, content, path.join(dir, 'nope.png'))).rejects.toThrow(InputError);
  });

  slowTest('AdaIN tiled vs untiled at 1200×900')('tiled output matches untiled at 1200×900 with tile 256: the tiles share the whole-image statistics', async () => {
    const content = patternImage(1200, 900, 6);
    const untiled = await stylizeArbitrary(model, content, styleA, { tile: 0 });
    const tiled = await stylizeArbitrary(model, content, styleA, { tile: 256 });
    expect(untiled.tiles).toBe(1);
    expect(tiled.tiles).toBeGreaterThan(20);
    const diff = meanAbs(tiled.rgb, untiled.rgb);
    // The bound is the tiling promise (3 levels); measured 0.001 (docs/adain.md).
    process.stderr.write(`arbitrary tiled vs untiled 1200x900 tile 256: mean |diff| ${diff.toFixed(3)} levels over ${tiled.tiles} tiles\n`);
    expect(diff).toBeLessThan(3);
    // The output varies (a flat image would match trivially).
    const { variance } = tf.tidy(() => tf.moments(tf.tensor1d(untiled.rgb)));
    expect(Math.sqrt(variance.dataSync()[0])).toBeGreaterThan(5);
    // 422 s here once: the untiled pass's encoder plan ran its last conv on oneDNN's reference kernel (fixed in
    // native/src/plan.cc; test/native/network-plan.test.ts guards it); 13 s since.
  });
});

describe('arbitrary-style checkpoints', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTmpDir('nst-adain-ckpt-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('save → loadArbitraryModel round-trips the decoder and picks the embedded encoder', async () => {
    const decoder = randomDecoder({ width: 0.25 });
    const ckpt = path.join(dir, 'adain');
    const meta = await saveAdainCheckpoint(ckpt, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' }, training: { steps: 3 } });
    expect(meta.kind).toBe('adain');
    const loaded = await loadArbitraryModel(ckpt);
    expect(loaded.layer).toBe('relu3_1');
    expect(loaded.encoder.description).toMatch(/vgg19 .*assets/);
    const x = tf.randomNormal([1, 3, 3, 256], 0, 1, 'float32', 1);
    const a = (decoder.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.decoder.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    loaded.dispose();
    decoder.dispose();
  });

  test('a per-style checkpoint for the AdaIN loader, and an AdaIN one for the per-style loader, are one clear error each', async () => {
    const perStyle = path.join(dir, 'per-style');
    const net = buildTransformer({ width: 0.25, residualBlocks: 1 });
    await saveCheckpoint(perStyle, { model: net, config: { width: 0.25, residualBlocks: 1 } });
    net.dispose();
    await expect(loadArbitraryModel(perStyle)).rejects.toThrow(
      /per-style network \(kind 'transformer'.*but an AdaIN arbitrary-style decoder \(kind 'adain'\) is expected here — use it as `nst stylize -m /,
    );
    const adainDir = path.join(dir, 'adain2');
    const decoder = randomDecoder({ width: 0.25 });
    await saveAdainCheckpoint(adainDir, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
    decoder.dispose();
    await expect(loadStyleModel(adainDir)).rejects.toThrow(
      /AdaIN arbitrary-style decoder \(kind 'adain'\), but a per-style network \(kind 'transformer'.* is expected here — use it as `nst stylize --style PAINTING --model /,
    );
  });

  test('a decoder trained on another preprocessing than the encoder found is refused', async () => {
    const ckpt = path.join(dir, 'torch-trained');
    const decoder = randomDecoder({ width: 0.25 });
    await saveAdainCheckpoint(ckpt, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'torch' } });
    decoder.dispose();
    await expect(loadArbitraryModel(ckpt)).rejects.toThrow(/trained with a torch-preprocessed VGG19, but the encoder found is vgg19/);
  });

  test('the embedded default decoder loads, or its absence is an error with the fix', async () => {
    if (fs.existsSync(path.join(embeddedAdainDecoderDir(), 'nst.json'))) {
      const m = await loadArbitraryModel();
      expect(m.source).toBe(embeddedAdainDecoderDir());
      m.dispose();
    } else {
      await expect(loadArbitraryModel()).rejects.toThrow(/no embedded AdaIN decoder .*pass --model/);
    }
  });

  test('AdaIN statistics of a decoded tile equal the global ones when the tile is the image', () => {
    // channelStats on one tile = the untiled pass: a guard that the single-pass path measures the tile itself.
    const f = tf.randomNormal([1, 4, 4, 3], 2, 1, 'float32', 1) as tf.Tensor4D;
    const s = channelStats(f);
    expect(s.mean.shape).toEqual([1, 1, 1, 3]);
  });
});
