// `nst optimize` through the real CLI parser: errors are one line and an exit code; with ../shared's truncated VGG19
// a tiny run writes the image and its losses.
import * as fs from 'fs';
import * as path from 'path';
import { nstInProcess as nst } from '../cli-in-process';
import { describeShared, sharedPath } from '../helpers';
import { makePhotos, tempDir } from '../train/helpers';

let dir: string;
let photo: string;

beforeAll(async () => {
  dir = tempDir('nst-optimize-cli-');
  [photo] = await makePhotos(path.join(dir, 'in'), 1, 40, 32, 3);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('nst optimize: bad inputs', () => {
  test('--steps 0 exits 2 with one line naming the option', async () => {
    const r = await nst(['optimize', '--content', photo, '--style', photo, '-o', path.join(dir, 'o.png'), '--steps', '0', '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('nst: error: nst optimize: --steps: must be at least 1');
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  test('a missing content file exits 1 naming the file', async () => {
    const missing = path.join(dir, 'missing.jpg');
    const r = await nst(['optimize', '--content', missing, '--style', photo, '-o', path.join(dir, 'o.png'), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`nst: error: ${missing}: file not found`);
  });

  test('a style file that is not an image exits 1 naming the file', async () => {
    const notImage = path.join(dir, 'style.png');
    fs.writeFileSync(notImage, '{"not": "an image"}');
    const r = await nst(['optimize', '--content', photo, '--style', notImage, '-o', path.join(dir, 'o.png'), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`nst: error: ${notImage}: cannot decode as an image`);
  });
});

describeShared('nst optimize with the truncated VGG19 of ../shared', () => {
  test('3 L-BFGS steps at 40x32 lower the loss and write out.png + out.png.json', async () => {
    const out = path.join(dir, 'real', 'out.png');
    const r = await nst([
      'optimize',
      '--content', photo,
      '--style', sharedPath('data', 'styles', 'udnie.jpg'),
      '-o', out,
      '--steps', '3',
      '--size', '40',
      '--loss-weights', sharedPath('models', 'vgg19-imagenet-block1-3', 'model'),
      '--no-progress',
    ]);
    expect(r.code).toBe(0);
    // The defaults name relu4_3, which block1-3 weights lack: substituted, and said so.
    expect(r.err).toMatch(/note: style layer relu4_3 → relu3_4/);
    const json = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
    expect(json.steps).toBe(3);
    expect(json.width).toBe(40);
    expect(json.losses.total).toBeLessThan(json.initialLosses.total);
    expect(json.lossNetwork).toMatch(/^vgg19/);
    expect(fs.statSync(out).size).toBeGreaterThan(0);
  });
});
