// Training data from a folder of odd files: the same images nst stylize would take from it, unreadable photos skipped
// with a warning and counted (never a crash mid-run), tiny and very elongated photos used, resume still exact.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { expandInputs } from '../../src/image/expand-inputs';
import { BatchStream, listImages, loadCroppedImage } from '../../src/train/data';
import { defaultDeps } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { loadPreviewBatch } from '../../src/train/preview';
import { makeOddFolder, patternImage, toRawRgb } from '../infer/fixtures';
import { makePhotos, standInLossNetwork, tempDir } from './helpers';

let odd: string;

beforeAll(async () => {
  odd = await makeOddFolder(path.join(tempDir('nst-odd-data-'), 'odd'));
  await makePhotos(odd, 3, 40, 48);
  // A truncated JPEG (half its bytes), a zero-byte file and a 2×300 strip, beside the odd folder's own.
  const jpeg = await sharp(toRawRgb(patternImage(64, 64)), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
  fs.writeFileSync(path.join(odd, 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  fs.writeFileSync(path.join(odd, 'zero.png'), '');
  await sharp(toRawRgb(patternImage(2, 300)), { raw: { width: 2, height: 300, channels: 3 } }).png().toFile(path.join(odd, 'tall.png'));
});

describe('listImages on odd files', () => {
  it('lists exactly what nst stylize expands from the folder, and warns about the folder named x.jpg', async () => {
    const warnings: string[] = [];
    const listed = await listImages([odd], (l) => warnings.push(l));
    const stylizeSees = (await expandInputs([odd])).filter((e) => !e.problem).map((e) => path.resolve(e.path));
    expect(listed).toEqual([...stylizeSees].sort());
    expect(listed.map((f) => path.relative(odd, f))).toContain(path.join('x.jpg', 'inner.png'));
    expect(listed.some((f) => f.includes('.hidden'))).toBe(false);
    expect(warnings).toEqual([`nst: warning: --data ${path.join(odd, 'x.jpg')}: is a folder named like an image, not an image`]);
  });
});

describe('BatchStream over odd files', () => {
  const take = async (s: BatchStream, n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await s.next());
    return out;
  };

  it('tiny and elongated photos come out as full crops', async () => {
    for (const f of ['one.png', 'strip.png', 'small.png', 'tall.png']) {
      const crop = await loadCroppedImage(path.join(odd, f), 16, 'random');
      expect(crop.length).toBe(16 * 16 * 3);
      expect(crop.every((v) => v >= 0 && v <= 255)).toBe(true);
    }
  });

  it('skips each unreadable photo once with a counted warning, fills every batch, and resumes exactly', async () => {
    const files = await listImages([odd], () => {});
    const warnings: string[] = [];
    const opts = { imageSize: 16, batchSize: 3, seed: 4, log: (l: string) => warnings.push(l) };
    const a = new BatchStream(files, opts);
    const all = await take(a, 2 * Math.ceil(files.length / 3) + 1); // a little over two epochs
    a.close();
    const bad = a.stats().skippedPaths.map((f) => path.basename(f)).sort();
    expect(bad).toEqual(expect.arrayContaining(['corrupt.jpg', 'zero.png']));
    expect(a.stats().skippedFiles).toBe(bad.length);
    expect(warnings).toHaveLength(bad.length);
    expect(warnings.find((w) => w.includes('corrupt.jpg'))).toMatch(
      new RegExp(`^nst: warning: skipping unreadable image .*corrupt\\.jpg \\(\\d of ${files.length} photos skipped so far\\): cannot decode as an image`),
    );
    expect(all.every((b) => b.files.length === 3 && b.data.every(Number.isFinite))).toBe(true);
    expect(all.flatMap((b) => b.files).some((f) => bad.includes(path.basename(f)))).toBe(false);

    // Resuming from any batch's cursor (a fresh stream that has to meet the bad files again) gives the same batches.
    for (const k of [0, 2]) {
      const b = new BatchStream(files, { ...opts, log: () => {} }, all[k].cursorAfter);
      const rest = await take(b, 2);
      b.close();
      expect(rest.map((x) => x.files)).toEqual([all[k + 1].files, all[k + 2].files]);
      expect(rest[1].data).toEqual(all[k + 2].data);
    }
  });

  it('nst train runs through them: unreadable photos are counted in the result, not a crash', async () => {
    const style = (await makePhotos(path.join(tempDir(), 'style'), 1, 48, 48, 99))[0];
    const logs: string[] = [];
    const result = await train(
      {
        style,
        data: [odd],
        out: tempDir(),
        imageSize: 16,
        batchSize: 4,
        width: 0.25,
        iterations: 5,
        checkpointEvery: 100,
        previewEvery: 100,
        previewImages: [path.join(odd, 'photo0.png')],
        seed: 2,
      },
      { deps: { ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() }, hooks: { log: (l) => logs.push(l) } },
    );
    expect(result.step).toBe(5);
    expect(result.data.skippedFiles).toBeGreaterThanOrEqual(2);
    expect(result.data.skippedPaths.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['corrupt.jpg', 'zero.png']));
    expect(logs.filter((l) => l.includes('skipping unreadable image'))).toHaveLength(result.data.skippedFiles);
  });
});

test('an unreadable preview photo is left out of the grid with a warning, and the run goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-preview-'));
  const good = path.join(dir, 'good.png');
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 20, b: 20 } } }).png().toFile(good);
  fs.writeFileSync(path.join(dir, 'bad.jpg'), 'not a jpeg');
  const lines: string[] = [];
  const batch = await loadPreviewBatch([path.join(dir, 'bad.jpg'), good], 16, (l) => lines.push(l));
  expect(batch?.shape).toEqual([1, 16, 16, 3]);
  batch?.dispose();
  expect(lines).toEqual([expect.stringMatching(/^nst: warning: preview image .*bad\.jpg left out: /)]);
  expect(await loadPreviewBatch([path.join(dir, 'bad.jpg')], 16, () => {})).toBeUndefined();
  fs.rmSync(dir, { recursive: true, force: true });
});
