import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { tf } from '../../src/backend/tf';
import {
  decodeImage,
  encodeImage,
  encodeImageToBuffer,
  imageFormatFromPath,
  pixelsToTensor,
  tensorToPixels,
  tensorToPixelsBatch,
} from '../../src/image/image-io';
import { InputError } from '../../src/errors';
import { makeTmpDir, patternImage, toRawRgb, writePng } from './fixtures';

const dir = makeTmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('decodeImage', () => {
  it('decodes a PNG to float RGB 0-255 exactly', async () => {
    const img = patternImage(9, 7);
    const file = await writePng(path.join(dir, 'p.png'), img);
    const d = await decodeImage(file);
    expect([d.width, d.height, d.sourceWidth, d.sourceHeight]).toEqual([9, 7, 9, 7]);
    expect(d.alpha).toBeUndefined();
    const expected = toRawRgb(img);
    expect(Array.from(d.rgb)).toEqual(Array.from(expected));
  });

  it('honours EXIF orientation: a 6 (rotate 90° cw) image comes out upright', async () => {
    // Stored 4 wide x 2 high, left half red, right half blue; orientation 6 means "rotate 90° clockwise to view".
    const raw = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    const file = path.join(dir, 'exif.png');
    await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).withMetadata({ orientation: 6 }).png().toFile(file);
    const d = await decodeImage(file);
    // Upright: 2 wide x 4 high; after a clockwise turn the stored left (red) half is on top.
    expect([d.width, d.height]).toEqual([2, 4]);
    expect(Array.from(d.rgb.slice(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(d.rgb.slice(-3))).toEqual([0, 0, 255]);
    expect([d.sourceWidth, d.sourceHeight]).toEqual([2, 4]);
  });

  it('expands grayscale to 3 equal channels', async () => {
    const file = path.join(dir, 'gray.png');
    const g = Buffer.from(Array.from({ length: 12 }, (_, i) => i * 20));
    await sharp(g, { raw: { width: 4, height: 3, channels: 1 } }).toColourspace('b-w').png().toFile(file);
    const d = await decodeImage(file);
    expect(d.rgb.length).toBe(4 * 3 * 3);
    for (let p = 0; p < 12; p++) {
      expect(d.rgb[p * 3]).toBe(p * 20);
      expect(d.rgb[p * 3 + 1]).toBe(p * 20);
      expect(d.rgb[p * 3 + 2]).toBe(p * 20);
    }
  });

  it('splits alpha off and re-applies it on PNG encode', async () => {
    const rgba = Buffer.alloc(6 * 5 * 4);
    for (let p = 0; p < 30; p++) rgba.set([p * 8, 100, 200 - p * 5, p * 8], p * 4);
    const file = path.join(dir, 'alpha.png');
    await sharp(rgba, { raw: { width: 6, height: 5, channels: 4 } }).png().toFile(file);
    const d = await decodeImage(file);
    expect(d.alpha).toBeDefined();
    expect(Array.from(d.alpha!)).toEqual(Array.from({ length: 30 }, (_, p) => p * 8));
    const out = path.join(dir, 'alpha-out.png');
    await encodeImage(d, out);
    const back = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect(back.info.channels).toBe(4);
    expect(Array.from(back.data)).toEqual(Array.from(rgba));
  });

  it('converts 16-bit and CMYK images to 8-bit sRGB', async () => {
    const png16 = path.join(dir, 'deep.png');
    await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 200, g: 10, b: 30 } } })
      .toColourspace('rgb16')
      .png()
      .toFile(png16);
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const d16 = await decodeImage(png16);
    expect(Array.from(d16.rgb.slice(0, 3))).toEqual([200, 10, 30]);

    const cmyk = path.join(dir, 'cmyk.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 30 } } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toFile(cmyk);
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const dc = await decodeImage(cmyk);
    expect(dc.rgb.length).toBe(8 * 8 * 3);
    // A CMYK round trip through default profiles is not exact; the hue must survive (tolerance 15 levels).
    expect(Math.abs(dc.rgb[0] - 200)).toBeLessThan(15);
    expect(Math.abs(dc.rgb[1] - 10)).toBeLessThan(15);
    expect(Math.abs(dc.rgb[2] - 30)).toBeLessThan(15);
  });

  it('resizes with maxSize (never enlarging), resize cover and crop', async () => {
    const file = await writePng(path.join(dir, 'big.png'), patternImage(40, 20));
    const small = await decodeImage(file, { maxSize: 10 });
    expect([small.width, small.height, small.sourceWidth]).toEqual([10, 5, 40]);
    const same = await decodeImage(file, { maxSize: 100 });
    expect([same.width, same.height]).toEqual([40, 20]);
    const cover = await decodeImage(file, { resize: { width: 16, height: 16 } });
    expect([cover.width, cover.height]).toEqual([16, 16]);
    const crop = await decodeImage(file, { crop: { left: 3, top: 2, width: 5, height: 4 } });
    const full = await decodeImage(file);
    expect([crop.width, crop.height]).toEqual([5, 4]);
    expect(Array.from(crop.rgb.slice(0, 3))).toEqual(Array.from(full.rgb.slice((2 * 40 + 3) * 3, (2 * 40 + 3) * 3 + 3)));
  });

  it('names the file for missing, zero-byte and non-image inputs', async () => {
    const empty = path.join(dir, 'empty.jpg');
    fs.writeFileSync(empty, '');
    const junk = path.join(dir, 'junk.png');
    fs.writeFileSync(junk, 'this is not an image');
    const missing = path.join(dir, 'nope.png');
    for (const f of [empty, junk, missing]) {
      await expect(decodeImage(f)).rejects.toThrow(InputError);
      await expect(decodeImage(f)).rejects.toThrow(f);
    }
  });
});

describe('encode', () => {
  it('chooses the format from the extension', async () => {
    const img = patternImage(8, 8);
    for (const ext of ['jpg', 'jpeg', 'png', 'webp']) {
      const f = path.join(dir, `out.${ext}`);
      await encodeImage(img, f);
      expect((await sharp(f).metadata()).format).toBe(ext === 'jpg' ? 'jpeg' : ext);
    }
    expect(imageFormatFromPath('a/b.JPEG')).toBe('jpg');
    expect(imageFormatFromPath('a/b.gif')).toBeUndefined();
    await expect(encodeImage(img, path.join(dir, 'x.gif'))).rejects.toThrow(/unknown image extension/);
  });

  it('clamps out-of-range values and NaN', async () => {
    const img = { width: 2, height: 1, rgb: new Float32Array([-20, 300, NaN, 127.6, 0.4, 255]) };
    const buf = await encodeImageToBuffer(img, 'png');
    const back = await sharp(buf).raw().toBuffer();
    expect(Array.from(back)).toEqual([0, 255, 0, 128, 0, 255]);
  });
});

describe('pixels <-> tensors', () => {
  it('round-trips one image and a batch', () => {
    const a = patternImage(5, 3, 1);
    const b = patternImage(5, 3, 2);
    const t = pixelsToTensor(a);
    expect(t.shape).toEqual([1, 3, 5, 3]);
    expect(Array.from(tensorToPixels(t).rgb)).toEqual(Array.from(a.rgb));
    t.dispose();
    const tb = pixelsToTensor([a, b]);
    expect(tb.shape).toEqual([2, 3, 5, 3]);
    const [a2, b2] = tensorToPixelsBatch(tb);
    expect(Array.from(a2.rgb)).toEqual(Array.from(a.rgb));
    expect(Array.from(b2.rgb)).toEqual(Array.from(b.rgb));
    tb.dispose();
    expect(() => pixelsToTensor([a, patternImage(4, 3)])).toThrow(/differ in size/);
    const before = tf.memory().numTensors;
    tensorToPixels(tf.zeros([2, 2, 3]));
    expect(tf.memory().numTensors).toBe(before + 1); // the caller's tensor is not disposed for them
  });
});
