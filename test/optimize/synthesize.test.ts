// nst synthesize: texture synthesis from noise by nst optimize's optimizer with the style loss only.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { UsageError } from '../../src/errors';
import { parseSize, synthesizeTexture } from '../../src/optimize';
import { makePhotos, standInLossNetwork, tempDir } from '../train/helpers';

describe('nst synthesize', () => {
  const root = tempDir('nst-synth-');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('WxH sizes: parsed, and anything else refused', () => {
    expect(parseSize('512x256')).toEqual({ width: 512, height: 256 });
    for (const bad of ['512', '8x8', '512x99999', 'axb']) expect(parseSize(bad)).toBeUndefined();
  });

  test('writes a WxH image from seeded noise whose style loss falls; the same seed gives the same texture', async () => {
    const style = (await makePhotos(path.join(root, 'style'), 1, 48, 48, 99))[0];
    const lossNetwork = standInLossNetwork();
    const run = (out: string, seed: number) =>
      synthesizeTexture({ style, size: '40x24', out: path.join(root, out), seed, steps: 8, styleLayers: ['relu1_2', 'relu2_2'] }, { lossNetwork, hooks: { log: () => {} } });
    const a = await run('a.png', 3);
    expect([a.width, a.height]).toEqual([40, 24]);
    expect((await sharp(a.output).metadata()).width).toBe(40);
    expect(a.losses.style).toBeLessThan(a.initialLosses.style * 0.8);
    expect(a.config.contentWeight).toBe(0); // only the style and TV terms count
    expect(a.config.init).toBe('noise');
    const b = await run('b.png', 3);
    expect(fs.readFileSync(b.output).equals(fs.readFileSync(a.output))).toBe(true);
    lossNetwork.dispose();
  });

  test('a bad --size or --out is one line naming the option', async () => {
    await expect(synthesizeTexture({ style: 's.jpg', size: '10x10' })).rejects.toThrow(/--size: must be WxH in px, each side 16–4096/);
    await expect(synthesizeTexture({ style: 's.jpg', size: '64x64', out: 'x.txt' })).rejects.toThrow(UsageError);
  });
});
