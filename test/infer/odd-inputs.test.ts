// Batches of odd inputs through the library: tiny images, a corrupt file, a folder named like an image, inputs whose
// outputs share a name. The same folder goes through the built CLI in test/cli/stylize-batch.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { tf } from '../../src/backend/tf';
import { expandInputs } from '../../src/image/expand-inputs';
import { formatFileLine, isSkipped, OutputPlan, planOutputs, stylizeFiles } from '../../src/infer/batch';
import { cropRgb, MIN_NETWORK_SIDE, padForNetwork, padIndex } from '../../src/infer/pad';
import { stylize } from '../../src/infer/stylize';
import { buildTransformer } from '../../src/nets/transformer';
import { makeOddFolder, makeTmpDir, patternImage } from './fixtures';

const dir = makeTmpDir('nst-odd-');
const odd = path.join(dir, 'odd');
// The real architecture (its reflection paddings are what tiny images trip over), at 1/8 width so it runs in ms;
// built once the backend is chosen (test/setup-backend.ts).
let net: ReturnType<typeof buildTransformer>;

beforeAll(async () => {
  net = buildTransformer({ width: 0.125, residualBlocks: 1 });
  await makeOddFolder(odd);
});
afterAll(() => {
  net.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tiny images', () => {
  it('pad to at least 8×8: mirrored where one reflection reaches, the edge repeated where not', () => {
    // 5 → 8 needs 3 ≤ 5−1: a mirror; 3 → 8 needs 5 > 3−1: the last pixel repeated.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => padIndex(i, 5, 8))).toEqual([0, 1, 2, 3, 4, 3, 2, 1]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => padIndex(i, 3, 8))).toEqual([0, 1, 2, 2, 2, 2, 2, 2]);
    for (const [w, h] of [[1, 1], [1, 7], [3, 5], [9, 2]]) {
      const img = patternImage(w, h);
      const padded = padForNetwork(img);
      expect([padded.width, padded.height]).toEqual([Math.max(MIN_NETWORK_SIDE, Math.ceil(w / 4) * 4), Math.max(MIN_NETWORK_SIDE, Math.ceil(h / 4) * 4)]);
      expect(Array.from(cropRgb(padded, 0, 0, w, h).rgb)).toEqual(Array.from(img.rgb));
    }
    const one = padForNetwork(patternImage(1, 1));
    expect(new Set(Array.from({ length: 64 }, (_, p) => one.rgb[p * 3])).size).toBe(1);
  });

  it.each([
    [1, 1],
    [1, 7],
    [7, 1],
    [3, 5],
  ])('stylize runs the real network on %i×%i and returns that size, finite, without leaking tensors', async (w, h) => {
    const before = tf.memory().numTensors;
    const out = await stylize(net, patternImage(w, h));
    expect([out.width, out.height, out.rgb.length]).toEqual([w, h, w * h * 3]);
    expect(out.rgb.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a batch of odd inputs', () => {
  it('expands the folder recursively, reports the folder named x.jpg, never lists the dotfile', async () => {
    const entries = await expandInputs([odd]);
    expect(entries.map((e) => [path.relative(odd, e.path), e.problem ?? ''])).toEqual([
      ['corrupt.jpg', ''],
      ['one.png', ''],
      ['photo.gif', ''],
      ['photo.heic', ''],
      ['photo.png', ''],
      ['photo.tiff', ''],
      ['small.png', ''],
      ['strip.png', ''],
      ['x.jpg', 'is a folder named like an image, not an image'],
      [path.join('x.jpg', 'inner.png'), ''],
    ]);
  });

  it('photo.gif and photo.tiff (both photo.png by default): the second keeps its tiff; a heic gets a numbered name', () => {
    const pair = planOutputs(['p/photo.gif', 'p/photo.tiff'], {}) as OutputPlan[];
    expect(pair.map((p) => [p.output, p.format, p.note])).toEqual([
      [path.join('p', 'photo-stylized.png'), 'png', undefined],
      [path.join('p', 'photo-stylized.tiff'), 'tiff', `kept tiff: ${path.join('p', 'photo-stylized.png')} is taken by p/photo.gif`],
    ]);
    const four = planOutputs(['p/photo.gif', 'p/photo.heic', 'p/photo.png', 'p/photo.tiff'], {}) as OutputPlan[];
    expect(four.map((p) => path.basename(p.output))).toEqual(['photo-stylized.gif', 'photo-2-stylized.png', 'photo-stylized.png', 'photo-stylized.tiff']);
    // A forced format cannot be kept: numbered names instead.
    const forced = planOutputs(['p/photo.gif', 'p/photo.tiff'], { format: 'webp' }) as OutputPlan[];
    expect(forced.map((p) => path.basename(p.output))).toEqual(['photo-stylized.webp', 'photo-2-stylized.webp']);
  });

  it('gives every input exactly one result naming it, writes all the images, and goes on past the bad ones', async () => {
    const out = path.join(dir, 'styled');
    const items = planOutputs(await expandInputs([odd]), { outDir: out });
    const lines: string[] = [];
    const summary = await stylizeFiles(net, items, {}, { onFileDone: (r) => lines.push(formatFileLine(r)) });
    expect(summary.results).toHaveLength(10);
    expect([summary.succeeded, summary.failed]).toEqual([8, 2]);
    expect(lines).toHaveLength(10);
    summary.results.forEach((r, i) => expect(lines[i]).toContain(r.input));
    expect(lines.find((l) => l.includes('corrupt.jpg'))).toMatch(/^nst: skipped .*corrupt\.jpg: cannot decode as an image/);
    expect(lines.find((l) => l.endsWith('x.jpg: is a folder named like an image, not an image'))).toMatch(/^nst: skipped /);
    expect(lines.find((l) => l.includes('photo.heic'))).toMatch(/-> .*photo-2\.png .*; renamed: .*photo\.png is taken by .*photo\.png$/);

    const meta = async (f: string) => {
      const m = await sharp(path.join(out, f)).metadata();
      return [m.format, m.width, m.height];
    };
    expect(await meta('one.png')).toEqual(['png', 1, 1]);
    expect(await meta('strip.png')).toEqual(['png', 1, 7]);
    expect(await meta('small.png')).toEqual(['png', 3, 5]);
    expect(await meta('photo.png')).toEqual(['png', 10, 6]);
    expect(await meta('photo.gif')).toEqual(['gif', 10, 6]);
    expect(await meta('photo.tiff')).toEqual(['tiff', 10, 6]);
    expect(await meta('photo-2.png')).toEqual(['png', 10, 6]);
    expect(await meta(path.join('x.jpg', 'inner.png'))).toEqual(['png', 6, 4]);
    expect(items.filter(isSkipped)).toHaveLength(1);
  });
});
