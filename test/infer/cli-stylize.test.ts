// nst stylize end to end, in-process through the real CLI parser, on a tiny random-weight checkpoint
// (width 0.125 → 4/8/16 channels, one residual block) so the pure-JS backend runs it in well under a second per image.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { saveCheckpoint } from '../../src/checkpoint';
import { buildCli } from '../../src/cli/main';
import { expandInputs } from '../../src/image/expand-inputs';
import { isSkipped, OutputPlan, planOutputs } from '../../src/infer/batch';
import { buildTransformer } from '../../src/nets/transformer';
import { makeTmpDir, patternImage, writePng } from './fixtures';
import { nstInProcess } from '../cli-in-process';

const dir = makeTmpDir('nst-cli-stylize-');
const ckpt = path.join(dir, 'tiny-ckpt');
const photos = path.join(dir, 'photos');

beforeAll(async () => {
  const config = { width: 0.125, residualBlocks: 1 };
  const model = buildTransformer(config);
  await saveCheckpoint(ckpt, { model, config });
  model.dispose();
  fs.mkdirSync(photos);
  await writePng(path.join(photos, 'a.png'), patternImage(32, 24, 1));
  await sharp({ create: { width: 20, height: 28, channels: 3, background: { r: 10, g: 200, b: 90 } } })
    .jpeg()
    .toFile(path.join(photos, 'b.jpg'));
  fs.writeFileSync(path.join(photos, 'broken.jpg'), 'definitely not a jpeg');
  fs.writeFileSync(path.join(photos, 'empty.png'), '');
  fs.writeFileSync(path.join(photos, 'notes.txt'), 'not an image, and not picked up from a folder');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const nst = nstInProcess;

describe('nst stylize', () => {
  it('processes a folder with a corrupt and an empty file: the rest are written, each bad one named, exit 1', async () => {
    const out = path.join(dir, 'styled');
    const r = await nst(['stylize', '--model', ckpt, photos, '--out', out]);
    expect(r.code).toBe(1);
    expect(fs.readdirSync(out).sort()).toEqual(['a.png', 'b.jpg']);
    const lines = r.err.split('\n');
    expect(lines.filter((l) => l.includes('broken.jpg'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('broken.jpg'))).toMatch(/cannot decode/);
    expect(lines.find((l) => l.includes('empty.png'))).toMatch(/empty file/);
    expect(r.err).toMatch(/stylized 2 images, 2 failed in [\d.]+ s: [\d.]+ images\/s, \d+ ms per megapixel/);
    const meta = await sharp(path.join(out, 'a.png')).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([32, 24, 'png']);
  });

  it('refuses an output path equal to an input, before doing anything', async () => {
    const input = path.join(photos, 'a.png');
    const before = fs.readFileSync(input);
    const r = await nst(['stylize', '--model', ckpt, input, '-o', input]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refusing to overwrite the input .*a\.png/);
    expect(fs.readFileSync(input).equals(before)).toBe(true);
    // Same for --out pointing at the inputs' own folder with no suffix.
    const r2 = await nst(['stylize', '--model', ckpt, input, '--out', photos, '--suffix', '']);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/refusing to overwrite/);
  });

  it('writes one file with -o, format from its extension, alpha kept, options applied', async () => {
    const rgba = Buffer.alloc(24 * 16 * 4, 200);
    for (let p = 0; p < 24 * 16; p++) rgba[p * 4 + 3] = p % 256;
    const input = path.join(dir, 'alpha.png');
    await sharp(rgba, { raw: { width: 24, height: 16, channels: 4 } }).png().toFile(input);
    const output = path.join(dir, 'alpha-out.webp');
    const r = await nst(['stylize', '-m', ckpt, input, '-o', output, '--max-size', '12', '--strength', '0.5', '--preserve-color', '--tile', '0']);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const meta = await sharp(output).metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(['webp', 12, 8, true]);
  });

  it('writes next to the input with the default suffix; a missing model (.onnx or folder) is named', async () => {
    const input = path.join(dir, 'solo.png');
    await writePng(input, patternImage(16, 16));
    const r = await nst(['stylize', '-m', ckpt, input, '--format', 'jpg']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'solo-stylized.jpg'))).toBe(true);
    const onnx = await nst(['stylize', '-m', path.join(dir, 'model.onnx'), input, '--out', path.join(dir, 'x')]);
    expect(onnx.code).toBe(1); // .onnx goes to the ONNX Runtime loader (src/infer/onnx-model.ts), which names the file
    expect(onnx.err).toMatch(/model\.onnx: ONNX model not found/);
    const missing = await nst(['stylize', '-m', path.join(dir, 'nope'), input, '--out', path.join(dir, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope: model not found/);
  });

  it('--help documents the options with examples', async () => {
    let help = '';
    await buildCli(['stylize', '--help'])
      .exitProcess(false)
      .parseAsync(['stylize', '--help'], {}, (_err, _argv, output) => {
        help = output;
      });
    for (const opt of ['--model', '--out', '--output', '--suffix', '--max-size', '--tile', '--strength', '--preserve-color', '--format', '--backend']) {
      expect(help).toContain(opt);
    }
    expect(help).toMatch(/Examples:/);
    expect(help).toMatch(/\.onnx/);
  });
});

describe('option validation at the boundary (the options schema)', () => {
  it('a bad value is a usage error (exit 2) naming each flag with the value typed, before any model loads', async () => {
    const input = path.join(photos, 'a.png');
    const r = await nst(['stylize', '-m', path.join(dir, 'nope'), input, '--strength', '2', '--tile', '5', '--memory-budget', '3', '--quality', '0', '--max-size', '1.5']);
    expect(r.code).toBe(2);
    const errors = r.err.split('\n').filter((l) => l.startsWith('nst: error'));
    expect(errors).toHaveLength(1);
    for (const m of [
      /--max-size 1\.5: must be a positive whole number of pixels/,
      /--tile 5: must be a whole number ≥ 16 \(or 0: never tile\)/,
      /--memory-budget 3: must be at least 16 \(MiB\)/,
      /--strength 2: must be between 0 and 1/,
      /--quality 0: must be a whole number 1–100/,
    ]) {
      expect(errors[0]).toMatch(m);
    }
    expect(r.err).not.toMatch(/model not found/);
  });
});

describe('input expansion and output planning', () => {
  it('expands folders (images only) and globs, and reports missing files and empty globs instead of failing', async () => {
    const entries = await expandInputs([photos, path.join(photos, '*.png'), path.join(dir, 'missing.png'), path.join(dir, '*.nothing')]);
    expect(entries.map((e) => [path.basename(e.path), e.problem])).toEqual([
      ['a.png', undefined],
      ['b.jpg', undefined],
      ['broken.jpg', undefined],
      ['empty.png', undefined],
      ['missing.png', 'no such file or folder'],
      ['*.nothing', 'the pattern matches no image files'],
    ]);
  });

  it('plans names with suffix and format; a name taken twice gets a numbered one, said in a note', () => {
    const plans = planOutputs(['x/a.png', 'y/b.tif'], { outDir: 'out', suffix: '-s' }) as OutputPlan[];
    expect(plans.map((p) => [p.output, p.format])).toEqual([
      [path.join('out', 'a-s.png'), 'png'],
      [path.join('out', 'b-s.png'), 'png'],
    ]);
    const twice = planOutputs(['x/a.png', 'y/a.png'], { outDir: 'out' }) as OutputPlan[];
    expect(twice.map((p) => p.output)).toEqual([path.join('out', 'a.png'), path.join('out', 'a-2.png')]);
    expect(twice[1].note).toBe(`renamed: ${path.join('out', 'a.png')} is taken by x/a.png`);
    // Case-only differences collide too (one file on case-insensitive filesystems).
    const cased = planOutputs(['x/Photo.png', 'y/photo.png'], { outDir: 'out' }) as OutputPlan[];
    expect(cased.map((p) => p.output)).toEqual([path.join('out', 'Photo.png'), path.join('out', 'photo-2.png')]);
    expect(() => planOutputs(['a.png', 'b.png'], { outFile: 'c.png' })).toThrow(/exactly one input/);
    // An input whose output would be itself is skipped; when that is every input the options are wrong.
    const mixed = planOutputs(['a.png', 'sub/b.png'], { outDir: '.', suffix: '' });
    expect(mixed.map(isSkipped)).toEqual([true, false]);
    expect(mixed[0]).toEqual({ input: 'a.png', skip: 'refusing to overwrite itself: choose another --out folder or --suffix' });
    expect(() => planOutputs(['a.png', 'b.png'], { outDir: '.', suffix: '' })).toThrow(/refusing to overwrite the input a\.png/);
  });
});
