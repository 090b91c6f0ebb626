// Stylizing with a texture net (src/nets/texture-net.ts): any input size (padded to its 16-px geometry and cropped
// back), tiles (exact whole-image statistics through its poolings and joins), and stroke scale.
import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { networkWidths } from '../../src/infer/memory';
import { inputGeometry, stylize } from '../../src/infer/stylize';
import { resizeFloat, strokeScaledSize, withStrokeScale } from '../../src/infer/stroke-scale';
import { buildTextureNet, parseTextureNetConfig } from '../../src/nets/texture-net';
import { buildTransformer } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';
import * as fs from 'fs';
import * as path from 'path';
import { stylizeOptionsFromArgs, StylizeArgs } from '../../src/cli/commands/stylize';
import { stylizeArbitrary } from '../../src/infer/arbitrary';
import { randomArbitraryModel } from './arbitrary-fixtures';
import { makeTmpDir, patternImage, writePng } from './fixtures';

const config = parseTextureNetConfig({ arch: 'texture-net', scales: 5, channels: 4 });
const net = buildTextureNet(config, { seed: 11 });
afterAll(() => net.dispose());

describe('stylize with a texture net', () => {
  test('its geometry is read off the model (or given by loadStyleModel): multiples of 16, at least 32', () => {
    expect(inputGeometry(net)).toEqual({ stride: 16, minSide: 32 });
    expect(networkWidths(config)).toMatchObject({ stride: 16, minSide: 32 });
    expect(inputGeometry(buildTransformer({ width: 0.25, residualBlocks: 0 }))).toEqual({ stride: 4, minSide: 8 });
  });

  test.each([
    [37, 21],
    [5, 3],
    [64, 48],
  ])('%ix%i (not a multiple of 16) comes back at its own size, finite, no tensor leaked', async (w, h) => {
    const before = tf.memory().numTensors;
    const out = await stylize(net, patternImage(w, h));
    expect([out.width, out.height]).toEqual([w, h]);
    expect(out.rgb.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('tiled with exact statistics (16-px aligned windows through its poolings and joins) equals the untiled pass', async () => {
    const img = patternImage(200, 152);
    const whole = await stylize(net, img);
    const tiled = await stylize(net, img, { tile: 96 });
    expect(tiled.tiles).toBeGreaterThan(1);
    expect(tiled.tileStats).toBe('exact');
    const err = maxAbsDiff(whole.rgb, tiled.rgb);
    process.stderr.write(`texture net 200x152 in 96-px exact tiles: ${tiled.tiles} windows, max |tiled − untiled| ${err.toExponential(2)}\n`);
    expect(err).toBeLessThan(1e-2);
    for (const tileStats of ['downscaled', 'per-tile'] as const) {
      const other = await stylize(net, img, { tile: 96, overlap: 16, tileStats });
      expect([other.width, other.height, other.tileStats]).toEqual([200, 152, tileStats]);
    }
  });
});

describe('--stroke-scale', () => {
  const transformer = buildTransformer({ width: 0.25, residualBlocks: 1 }, { seed: 3 });
  afterAll(() => transformer.dispose());

  test('scale 1 equals plain stylize, bit for bit', async () => {
    const img = patternImage(40, 28);
    for (const model of [net, transformer]) {
      const plain = await stylize(model, img);
      const one = await stylize(model, img, { strokeScale: 1 });
      expect(maxAbsDiff(plain.rgb, one.rgb)).toBe(0);
    }
  });

  test('scale 2: the network runs at half size, the output has the input size', async () => {
    const img = patternImage(50, 34);
    const sizes: number[][] = [];
    const spy = (x: tf.Tensor4D) => (sizes.push(x.shape.slice(1, 3)), transformer.predict(x) as tf.Tensor);
    const out = await stylize(spy, img, { strokeScale: 2 });
    expect([out.width, out.height]).toEqual([50, 34]);
    expect(strokeScaledSize(50, 34, 2)).toEqual({ width: 25, height: 17 });
    expect(sizes).toEqual([[20, 28]]); // 17×25 padded to multiples of 4
    const tex = await stylize(net, img, { strokeScale: 2.5 });
    expect([tex.width, tex.height]).toEqual([50, 34]);
  });

  test("'luminance' detail puts back exactly what shrinking took from the photo; 'none' is plain upsampling", async () => {
    const img = patternImage(32, 24);
    const identity = async (p: { width: number; height: number; rgb: Float32Array }) => ({ ...p, rgb: p.rgb.slice() });
    const plain = await withStrokeScale(img, 2, identity, 'none');
    const detailed = await withStrokeScale(img, 2, identity, 'luminance');
    // With an identity "network" the detail restores the photo's luminance: Y(result) = Y(photo) up to 8-bit rounding.
    const luma = (rgb: Float32Array, i: number) => 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
    let errDetail = 0;
    let errPlain = 0;
    for (let i = 0; i < 32 * 24; i++) {
      errDetail = Math.max(errDetail, Math.abs(luma(detailed.rgb, i) - luma(img.rgb, i)));
      errPlain = Math.max(errPlain, Math.abs(luma(plain.rgb, i) - luma(img.rgb, i)));
    }
    expect(errDetail).toBeLessThan(1e-3);
    expect(errPlain).toBeGreaterThan(5);
    expect(resizeFloat(img, 32, 24)).toBe(img.rgb);
  });

  test('arbitrary style (AdaIN): ×1 equals the plain pass, ×2 keeps the content size', async () => {
    const model = await randomArbitraryModel();
    const dir = makeTmpDir('nst-stroke-');
    try {
      const style = await writePng(path.join(dir, 's.png'), patternImage(48, 40, 2));
      const content = patternImage(44, 30, 1);
      const plain = await stylizeArbitrary(model, content, style, { styleSize: 48 });
      const one = await stylizeArbitrary(model, content, style, { styleSize: 48, strokeScale: 1 });
      expect(maxAbsDiff(plain.rgb, one.rgb)).toBe(0);
      const two = await stylizeArbitrary(model, content, style, { styleSize: 48, strokeScale: 2 });
      expect([two.width, two.height, two.rgb.length]).toEqual([44, 30, 44 * 30 * 3]);
    } finally {
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a scale below 1 or absurd is one line naming the option and the valid range', async () => {
    const args = (strokeScale: number) => ({ inputs: ['a.jpg'], model: 'm', strokeScale, $0: 'nst', _: [] }) as unknown as StylizeArgs;
    expect(() => stylizeOptionsFromArgs(args(0.5))).toThrow('--stroke-scale 0.5: must be a number from 1 (off) to 8');
    expect(() => stylizeOptionsFromArgs(args(100))).toThrow('--stroke-scale 100: must be a number from 1 (off) to 8');
    await expect(stylize(transformer, patternImage(8, 8), { strokeScale: 0.5 })).rejects.toThrow('stylize option strokeScale: must be a number from 1 (off) to 8');
    await expect(stylize(transformer, patternImage(8, 8), { strokeScale: 100 })).rejects.toThrow(UsageError);
  });
});
