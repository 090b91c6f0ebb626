import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { tf } from '../../src/backend/tf';
import { blendStrength, preserveColor, rgbToYCbCr, yCbCrToRgb } from '../../src/image/color';
import { activationBytesPerPixel, maxTileSide } from '../../src/infer/memory';
import { cropRgb, padToMultiple, reflectIndex } from '../../src/infer/pad';
import { chooseTiling, stylize } from '../../src/infer/stylize';
import { axisTiles, planTiles, tileStarts } from '../../src/infer/tiling';
import { maxAbsDiff } from '../helpers';
import { makeLocalConvModel, makeTmpDir, patternImage } from './fixtures';

const identity = (x: tf.Tensor4D) => tf.clone(x);
const dir = makeTmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('padding to a multiple of 4', () => {
  it('reflects without repeating the edge, for any side length', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([0, 1, 2, 3, 2, 1, 0]);
    expect([0, 1, 2, 3].map((i) => reflectIndex(i, 1))).toEqual([0, 0, 0, 0]);
    expect([0, 1, 2, 3, 4].map((i) => reflectIndex(i, 2))).toEqual([0, 1, 0, 1, 0]);
  });

  it.each([
    [13, 7],
    [1, 1],
    [2, 5],
    [16, 8],
    [33, 18],
  ])('pads %ix%i and crops back to the same pixels', (w, h) => {
    const img = patternImage(w, h);
    const padded = padToMultiple(img, 4);
    expect(padded.width % 4).toBe(0);
    expect(padded.height % 4).toBe(0);
    expect(padded.width - w).toBeLessThan(4);
    const back = cropRgb(padded, 0, 0, w, h);
    expect(Array.from(back.rgb)).toEqual(Array.from(img.rgb));
  });

  it('stylize with an identity model returns the odd-sized input exactly, without leaking tensors', async () => {
    const img = patternImage(13, 7);
    const before = tf.memory().numTensors;
    const out = await stylize(identity, img);
    expect([out.width, out.height, out.tiles]).toEqual([13, 7, 1]);
    expect(maxAbsDiff(out.rgb, img.rgb)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tiling', () => {
  it('places aligned tiles with at least the requested overlap', () => {
    const starts = tileStarts(400, 128, 32, 4);
    expect(starts[0]).toBe(0);
    expect(starts[starts.length - 1]).toBe(400 - 128);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i] % 4).toBe(0);
      expect(starts[i - 1] + 128 - starts[i]).toBeGreaterThanOrEqual(32 - 4);
    }
    expect(tileStarts(100, 128, 32)).toEqual([0]);
  });

  it.each([
    [400, 128, 32],
    [132, 128, 32], // barely more than one tile
    [260, 128, 64], // three tiles overlapping on a short axis
    [4000, 1020, 64],
  ])('axis weights sum to 1 at every position (length %i, tile %i, overlap %i)', (length, tile, overlap) => {
    const tiles = axisTiles(length, tile, overlap, 4);
    const sum = new Float64Array(length);
    for (const t of tiles) t.weights.forEach((w, k) => (sum[t.start + k] += w));
    // Tolerance: float32 weights, 1e-6.
    for (let x = 0; x < length; x++) expect(Math.abs(sum[x] - 1)).toBeLessThan(1e-6);
    // Each tile's weight is 0 at its inner edges (where its receptive field is cut off) and ramps linearly.
    if (tiles.length > 1) {
      expect(tiles[1].weights[0]).toBe(0);
      expect(tiles[0].weights[tiles[0].size - 1]).toBe(0);
    }
  });

  it('2-D weights (products of axis weights) sum to 1 over the image', () => {
    const tiles = planTiles(200, 140, 64, 16, 4);
    const sum = new Float64Array(200 * 140);
    for (const t of tiles)
      for (let y = 0; y < t.height; y++)
        for (let x = 0; x < t.width; x++) sum[(t.top + y) * 200 + t.left + x] += t.weightX[x] * t.weightY[y];
    expect(Math.max(...Array.from(sum, (s) => Math.abs(s - 1)))).toBeLessThan(1e-6);
  });

  it('tiled equals untiled (within 1e-3 of 0–255) for a model whose receptive field is smaller than the overlap margin', async () => {
    // Stand-in: radius-2 receptive field; overlap 16 → the blend ignores 4 px at each tile's inner edge, so no tile
    // pixel with weight > 0 sees the tile border. The only difference left is float summation order.
    const model = makeLocalConvModel();
    const img = patternImage(100, 76);
    const before = tf.memory().numTensors;
    const whole = await stylize(model, img, { tile: 0 });
    const tiled = await stylize(model, img, { tile: 48, overlap: 16 });
    expect(whole.tiles).toBe(1);
    expect(tiled.tiles).toBeGreaterThan(4);
    expect(maxAbsDiff(tiled.rgb, whole.rgb)).toBeLessThan(1e-3);
    expect(maxAbsDiff(whole.rgb, img.rgb)).toBeGreaterThan(10); // the stand-in does change the image
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('tiles automatically when the activation estimate exceeds the memory budget', async () => {
    const perPixel = activationBytesPerPixel();
    expect(perPixel).toBe(978); // 4 bytes · 1.5 safety · (5·32 + 3) floats for widths 32/64/128
    expect(chooseTiling(1024, 1024, {})).toBeUndefined(); // 1 MP (1.03 GB estimated) fits the default 1 GiB
    expect(chooseTiling(1100, 1100, {})).toBeDefined(); // 1.2 MP does not
    const t = chooseTiling(4000, 3000, {});
    expect(t).toBeDefined();
    expect(t!.tile * t!.tile * perPixel).toBeLessThanOrEqual(1024 ** 3);
    expect(maxTileSide(1024 ** 3, perPixel)).toBe(t!.tile);
    // A tiny budget tiles even a small image, and the result still matches the untiled one for the local model.
    const model = makeLocalConvModel();
    const img = patternImage(96, 64);
    const seen: number[] = [];
    const auto = await stylize(model, img, { memoryBudgetBytes: 64 * 64 * perPixel, overlap: 16, onTile: (d) => seen.push(d) });
    expect(auto.tiles).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: auto.tiles }, (_, i) => i + 1));
    const whole = await stylize(model, img, { tile: 0 });
    expect(maxAbsDiff(auto.rgb, whole.rgb)).toBeLessThan(1e-3);
    model.dispose();
  });

  it('rejects a model that changes the image size, naming the shapes', async () => {
    const shrink = (x: tf.Tensor4D) => tf.slice(x, [0, 0, 0, 0], [1, 4, 4, 3]);
    await expect(stylize(shrink, patternImage(8, 8))).rejects.toThrow(/returned shape \[1,4,4,3\] for input \[1,8,8,3\]/);
  });
});

describe('strength and colour', () => {
  const negative = (x: tf.Tensor4D) => tf.sub(255, x);

  it('strength 0 returns the input; 0.5 is the midpoint', async () => {
    const img = patternImage(12, 9);
    const zero = await stylize(negative, img, { strength: 0 });
    expect(maxAbsDiff(zero.rgb, img.rgb)).toBe(0);
    const half = await stylize(negative, img, { strength: 0.5 });
    // (255 - v)/2 + v/2 = 127.5 everywhere (tolerance: float32 rounding).
    expect(maxAbsDiff(half.rgb, new Float32Array(img.rgb.length).fill(127.5))).toBeLessThan(1e-4);
    await expect(stylize(negative, img, { strength: 1.5 })).rejects.toThrow(/strength/);
  });

  it('YCbCr conversion round-trips', () => {
    for (const [r, g, b] of [
      [0, 0, 0],
      [255, 255, 255],
      [200, 10, 30],
      [12, 240, 99],
    ]) {
      const [r2, g2, b2] = yCbCrToRgb(...rgbToYCbCr(r, g, b));
      expect(Math.abs(r2 - r) + Math.abs(g2 - g) + Math.abs(b2 - b)).toBeLessThan(1e-9);
    }
  });

  it('preserve-color keeps the input chroma and takes luminance from the stylized image', async () => {
    const img = patternImage(16, 12);
    // A "style" that swaps channels and darkens: changes both hue and luminance.
    const swap = (x: tf.Tensor4D) => tf.tidy(() => tf.mul(tf.reverse(x, 3), 0.8));
    const plain = await stylize(swap, img);
    const kept = await stylize(swap, img, { preserveColor: true });
    let chromaDiff = 0, lumaDiff = 0, plainChromaDiff = 0;
    for (let i = 0; i < img.rgb.length; i += 3) {
      const [, cbIn, crIn] = rgbToYCbCr(img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]);
      const [yOut, cbOut, crOut] = rgbToYCbCr(kept.rgb[i], kept.rgb[i + 1], kept.rgb[i + 2]);
      const [yStyl, cbStyl, crStyl] = rgbToYCbCr(plain.rgb[i], plain.rgb[i + 1], plain.rgb[i + 2]);
      chromaDiff = Math.max(chromaDiff, Math.abs(cbOut - cbIn), Math.abs(crOut - crIn));
      lumaDiff = Math.max(lumaDiff, Math.abs(yOut - yStyl));
      plainChromaDiff = Math.max(plainChromaDiff, Math.abs(cbStyl - cbIn), Math.abs(crStyl - crIn));
    }
    expect(chromaDiff).toBeLessThan(1e-3); // float32 storage
    expect(lumaDiff).toBeLessThan(1e-3);
    expect(plainChromaDiff).toBeGreaterThan(10); // without the option the chroma does change
    // Pure helpers agree with the library path.
    expect(maxAbsDiff(preserveColor(plain.rgb, img.rgb), kept.rgb)).toBe(0);
    expect(maxAbsDiff(blendStrength(plain.rgb, img.rgb, 0), img.rgb)).toBe(0);
  });
});

describe('files in, pixels out', () => {
  it('keeps alpha, honours EXIF orientation and maxSize', async () => {
    // 40x20 stored, orientation 6 → upright 20x40; RGBA with a gradient alpha.
    const raw = Buffer.alloc(40 * 20 * 4);
    for (let p = 0; p < 800; p++) raw.set([(p * 7) % 256, 90, 200, p % 256], p * 4);
    const file = path.join(dir, 'rgba-rotated.png');
    await sharp(raw, { raw: { width: 40, height: 20, channels: 4 } }).withMetadata({ orientation: 6 }).png().toFile(file);
    const out = await stylize(identity, file);
    expect([out.width, out.height]).toEqual([20, 40]);
    expect(out.alpha).toBeDefined();
    // Upright pixel (x=0, y=0) was stored at (x=0, y=19) — bottom-left — for a clockwise turn.
    expect(out.alpha![0]).toBe((19 * 40) % 256);
    const small = await stylize(identity, file, { maxSize: 10 });
    expect([small.width, small.height]).toEqual([5, 10]);
    expect(small.alpha!.length).toBe(50);
  });
});
