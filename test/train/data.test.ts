// The data pipeline: listing, decoding/cropping, seeded order, resumable cursor, corrupt files, empty sets.
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../src/errors';
import { BatchStream, epochOrder, listImages, loadCroppedImage } from '../../src/train/data';
import { Rng } from '../../src/util/rng';
import { makePhotos, tempDir } from './helpers';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = tempDir('nst-data-');
  files = await makePhotos(path.join(dir, 'a'), 5, 48, 40);
  fs.mkdirSync(path.join(dir, 'a', 'sub'));
  files.push(...(await makePhotos(path.join(dir, 'a', 'sub'), 1, 40, 60, 11)));
  fs.writeFileSync(path.join(dir, 'a', 'notes.txt'), 'not an image');
});

describe('listImages', () => {
  it('expands folders recursively and globs, sorted and de-duplicated, images only', async () => {
    const listed = await listImages([path.join(dir, 'a'), path.join(dir, 'a', 'photo1.png'), `${dir}/a/*.png`]);
    expect(listed).toEqual([...files].sort());
  });

  it('an empty data set is a clear InputError', async () => {
    const empty = tempDir('nst-empty-');
    await expect(listImages([empty])).rejects.toThrow(InputError);
    await expect(listImages([empty])).rejects.toThrow(/no training images found in .*--data takes folders or globs/);
  });
});

describe('loadCroppedImage', () => {
  it('resizes the shorter side and crops a square; centre crops are deterministic', async () => {
    const a = await loadCroppedImage(files[0], 32, 'center');
    const b = await loadCroppedImage(files[0], 32, 'center');
    expect(a.length).toBe(32 * 32 * 3);
    expect(a).toEqual(b);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(255);
  });

  it('random crops depend on the RNG only', async () => {
    const a = await loadCroppedImage(files[0], 16, 'random', Rng.fromSeed(1, 2, 3));
    const b = await loadCroppedImage(files[0], 16, 'random', Rng.fromSeed(1, 2, 3));
    expect(a).toEqual(b);
  });
});

describe('BatchStream', () => {
  const take = async (s: BatchStream, n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await s.next());
    return out;
  };

  it('visits every photo once per epoch, in a seeded order, batches spanning epoch ends', async () => {
    const sorted = [...files].sort();
    const s = new BatchStream(sorted, { imageSize: 16, batchSize: 4, seed: 9 });
    const batches = await take(s, 3); // 12 samples = 2 epochs of 6
    s.close();
    const seen = batches.flatMap((b) => b.files);
    expect(seen.slice(0, 6)).toEqual(epochOrder(sorted, 9, 0));
    expect(seen.slice(6, 12)).toEqual(epochOrder(sorted, 9, 1));
    expect(new Set(seen.slice(0, 6)).size).toBe(6);
    expect(batches[2].cursorAfter).toEqual({ epoch: 2, index: 0 });
    expect(batches[0].shape).toEqual([4, 16, 16, 3]);
    expect(s.stats().batches).toBe(3);
  });

  it('a stream started at a saved cursor continues exactly as the uninterrupted one', async () => {
    const sorted = [...files].sort();
    const a = new BatchStream(sorted, { imageSize: 16, batchSize: 4, seed: 3 });
    const all = await take(a, 3);
    a.close();
    const b = new BatchStream(sorted, { imageSize: 16, batchSize: 4, seed: 3 }, all[0].cursorAfter);
    const rest = await take(b, 2);
    b.close();
    expect(rest[0].files).toEqual(all[1].files);
    expect(rest[1].data).toEqual(all[2].data);
  });

  it('skips unreadable files with one warning each, counts them, and still fills batches', async () => {
    const bad = path.join(dir, 'broken.jpg');
    fs.writeFileSync(bad, Buffer.from('definitely not a jpeg'));
    const warnings: string[] = [];
    const list = [...files, bad].sort();
    const s = new BatchStream(list, { imageSize: 16, batchSize: 3, seed: 1, log: (l) => warnings.push(l) });
    const batches = await take(s, 6); // 18 samples: three epochs, the bad file met three times
    s.close();
    expect(batches.every((b) => b.files.length === 3 && !b.files.includes(bad))).toBe(true);
    expect(warnings.filter((w) => w.includes('broken.jpg'))).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipping unreadable image .*broken\.jpg/);
    expect(s.stats().skippedFiles).toBe(1);
  });

  it('a data set with no decodable photo is an error, not a hang', async () => {
    const bad = path.join(dir, 'only-bad.png');
    fs.writeFileSync(bad, 'nope');
    const s = new BatchStream([bad], { imageSize: 16, batchSize: 2, seed: 1, log: () => {} });
    await expect(s.next()).rejects.toThrow(/none of the 1 training images could be decoded/);
    s.close();
  });
});

describe('Rng', () => {
  it('is reproducible from its seed and from a saved state', () => {
    const a = Rng.fromSeed(42);
    const first = [a.next(), a.next()];
    const state = a.state();
    const next = [a.next(), a.next()];
    expect([Rng.fromSeed(42).next(), Rng.fromSeed(42).next()][0]).toBe(first[0]);
    const b = new Rng(state);
    expect([b.next(), b.next()]).toEqual(next);
  });

  it('gives unrelated streams for neighbouring seeds and uniform-looking values', () => {
    expect(Rng.fromSeed(1).nextUint32()).not.toBe(Rng.fromSeed(2).nextUint32());
    const r = Rng.fromSeed(5);
    const xs = Array.from({ length: 20000 }, () => r.next());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
