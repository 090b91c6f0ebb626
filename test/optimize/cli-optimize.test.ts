// `nst optimize` through the real CLI parser: errors are one line and an exit code; with ../shared's truncated VGG19
// a tiny run writes the image and its losses.
import * as fs from 'fs';
import * as path from 'path';
import { nstInProcess as nst } from '../cli-in-process';
import { describeShared, sharedPath } from '../helpers';
import { exitOf, makePhotos, tempDir } from '../train/helpers';
import { spawn } from 'child_process';

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

  test.each(['SIGINT', 'SIGTERM'] as const)('%s stops after the current step, writes the image so far and exits 130/143 (the built CLI)', async (sig) => {
    const out = path.join(dir, `stopped-${sig}`, 'out.png');
    const bin = path.resolve(__dirname, '..', '..', 'bin', 'nst.js');
    const child = spawn(process.execPath, [
      bin, 'optimize', '--content', photo, '--style', sharedPath('data', 'styles', 'udnie.jpg'), '-o', out, '--steps', '100000', '--size', '40',
      '--loss-weights', sharedPath('models', 'vgg19-imagenet-block1-3', 'model'), '--no-progress',
    ], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const exited = exitOf(child);
    // Printed (on stderr) before the first step; the stop is checked after each step.
    // (An early exit also ends the wait, so the assertions below report it instead of a timeout.)
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => /note: style layer relu4_3/.test((err += d.toString())) && resolve());
      child.on('exit', () => resolve());
    });
    child.kill(sig);
    const { code, stderr } = await exited;
    expect(code).toBe(sig === 'SIGINT' ? 130 : 143);
    expect(stderr).toMatch(/stopped at step \d+; writing the current image/);
    const json = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
    expect(json.steps).toBeGreaterThanOrEqual(1);
    expect(json.steps).toBeLessThan(100000);
    expect(fs.statSync(out).size).toBeGreaterThan(0);
  }, 120000);
});
