// nst stylize --style (AdaIN) end to end, in-process through the real CLI parser, with a random-weight AdaIN decoder
// (width 0.25) in a temporary checkpoint: the embedded default decoder is not assumed to exist.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { saveAdainCheckpoint, saveCheckpoint } from '../../src/checkpoint';
import { buildCli } from '../../src/cli/main';
import { buildTransformer } from '../../src/nets/transformer';
import { randomDecoder } from '../infer/arbitrary-fixtures';
import { makeTmpDir, patternImage, writePng } from '../infer/fixtures';
import { nstInProcess } from '../cli-in-process';

const dir = makeTmpDir('nst-cli-arbitrary-');
const adain = path.join(dir, 'adain-ckpt');
const perStyle = path.join(dir, 'per-style-ckpt');
const photos = path.join(dir, 'photos');
const styles = path.join(dir, 'styles');

beforeAll(async () => {
  const decoder = randomDecoder({ width: 0.25 });
  await saveAdainCheckpoint(adain, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
  decoder.dispose();
  const net = buildTransformer({ width: 0.125, residualBlocks: 1 });
  await saveCheckpoint(perStyle, { model: net, config: { width: 0.125, residualBlocks: 1 } });
  net.dispose();
  fs.mkdirSync(photos);
  fs.mkdirSync(styles);
  fs.mkdirSync(path.join(dir, 'no-images'));
  await writePng(path.join(photos, 'a.png'), patternImage(36, 28, 1));
  await sharp({ create: { width: 21, height: 30, channels: 3, background: { r: 10, g: 200, b: 90 } } }).jpeg().toFile(path.join(photos, 'b.jpg'));
  fs.writeFileSync(path.join(photos, 'broken.jpg'), 'not a jpeg');
  await writePng(path.join(styles, 'one.png'), patternImage(64, 48, 2));
  await writePng(path.join(styles, 'two.png'), patternImage(48, 64, 7));
  await writePng(path.join(dir, 'tiny-style.png'), patternImage(24, 12, 3));
  fs.writeFileSync(path.join(dir, 'junk-style.jpg'), 'not an image');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const nst = nstInProcess;

const errorLines = (err: string) => err.split('\n').filter((l) => l.startsWith('nst: error'));

describe('nst stylize --style (arbitrary style)', () => {
  it('stylizes a folder like a painting: good files written at their size, a broken one named and skipped, exit 1', async () => {
    const out = path.join(dir, 'styled');
    const r = await nst(['stylize', '--style', path.join(styles, 'one.png'), '--model', adain, photos, '--out', out, '--style-size', '64', '--no-progress']);
    expect(r.code).toBe(1);
    expect(fs.readdirSync(out).sort()).toEqual(['a.png', 'b.jpg']);
    expect(r.err).toMatch(/nst: arbitrary style \(AdaIN, .*adain-ckpt\): .*one\.png ×1\.00/);
    expect(r.err.split('\n').filter((l) => l.includes('broken.jpg'))).toHaveLength(1);
    expect(r.err).toMatch(/stylized 2 images, 1 failed/);
    const meta = await sharp(path.join(out, 'b.jpg')).metadata();
    expect([meta.width, meta.height]).toEqual([21, 30]);
  });

  it('the documented form: --style PAINTING INPUT, the input after the style', async () => {
    const file = path.join(photos, 'a-stylized.png');
    const r = await nst(['stylize', '--style', path.join(styles, 'one.png'), path.join(photos, 'a.png'), '--model', adain, '--style-size', '64']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(file)).toBe(true);
    fs.rmSync(file);
  });

  it('mixes two styles by --style-weights, with --alpha, --preserve-color and -o', async () => {
    const file = path.join(dir, 'mixed.png');
    const r = await nst([
      'stylize', '--style', path.join(styles, 'one.png'), '--style', path.join(styles, 'two.png'), '--style-weights', '0.7,0.3',
      '--alpha', '0.5', '--preserve-color', '--model', adain, path.join(photos, 'a.png'), '-o', file, '--style-size', '64',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/one\.png ×0\.70, .*two\.png ×0\.30/);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('a style folder contributes its images; a folder with none, an undecodable or a too-small style is one line', async () => {
    const ok = await nst(['stylize', '--style', styles, '--model', adain, path.join(photos, 'a.png'), '-o', path.join(dir, 'folder.png'), '--style-size', '64']);
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/one\.png ×0\.50, .*two\.png ×0\.50/);
    for (const [style, message] of [
      [path.join(dir, 'no-images'), /style .*no-images: is a folder with no images/],
      [path.join(dir, 'junk-style.jpg'), /style .*junk-style\.jpg: cannot decode as an image/],
      [path.join(dir, 'tiny-style.png'), /style .*tiny-style\.png: 24×12 is too small/],
    ] as const) {
      const r = await nst(['stylize', '--style', style, '--model', adain, path.join(photos, 'a.png'), '-o', path.join(dir, 'x.png')]);
      expect(r.code).toBe(1);
      expect(errorLines(r.err)).toHaveLength(1);
      expect(errorLines(r.err)[0]).toMatch(message);
    }
  });

  it('the wrong kind of checkpoint either way is one error naming both kinds', async () => {
    const a = await nst(['stylize', '--style', path.join(styles, 'one.png'), '--model', perStyle, path.join(photos, 'a.png'), '-o', path.join(dir, 'y.png')]);
    expect(a.code).toBe(1);
    expect(errorLines(a.err)).toEqual([expect.stringMatching(/per-style network \(kind 'transformer'.*AdaIN arbitrary-style decoder \(kind 'adain'\) is expected/)]);
    const b = await nst(['stylize', '--model', adain, path.join(photos, 'a.png'), '-o', path.join(dir, 'z.png')]);
    expect(b.code).toBe(1);
    expect(errorLines(b.err)).toEqual([expect.stringMatching(/AdaIN arbitrary-style decoder \(kind 'adain'\), but a per-style network .*use it as `nst stylize --style PAINTING --model /)]);
  });

  it('usage errors exit 2 with one line: no model and no style, bad alpha, weights that do not match the styles', async () => {
    const none = await nst(['stylize', path.join(photos, 'a.png')]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/give --model CKPT .* or --style IMAGE/);
    const alpha = await nst(['stylize', '--style', path.join(styles, 'one.png'), '--alpha', '2', path.join(photos, 'a.png')]);
    expect(alpha.code).toBe(2);
    expect(alpha.err).toMatch(/--alpha 2: must be between 0 and 1/);
    const weights = await nst(['stylize', '--style', path.join(styles, 'one.png'), '--style-weights', '0.7,0.3', '--model', adain, path.join(photos, 'a.png'), '-o', path.join(dir, 'w.png')]);
    expect(weights.code).toBe(2);
    expect(weights.err).toMatch(/1 style image but 2 style weights/);
    const junk = await nst(['stylize', '--style', path.join(styles, 'one.png'), '--style-weights', '0.7,x', '--model', adain, path.join(photos, 'a.png'), '-o', path.join(dir, 'w.png')]);
    expect(junk.code).toBe(2);
    expect(junk.err).toMatch(/--style-weights 0\.7,x: give comma-separated numbers/);
  });

  it('--help documents --style, --alpha, --style-weights and --style-size', async () => {
    let help = '';
    await buildCli(['stylize', '--help'])
      .exitProcess(false)
      .parseAsync(['stylize', '--help'], {}, (_err, _argv, output) => {
        help = output;
      });
    for (const opt of ['--style ', '--alpha', '--style-weights', '--style-size']) expect(help).toContain(opt);
    expect(help).toMatch(/stylize --style starry\.jpg photo\.jpg/);
  });
});
