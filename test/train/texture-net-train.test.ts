// `nst train --arch texture-net`: the per-style trainer builds Ulyanov's texture net from networkConfigFor(config),
// with the same losses, loop and checkpoint as the transformer.
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../../src/checkpoint';
import { UsageError } from '../../src/errors';
import { parseTrainConfig } from '../../src/train/config';
import { defaultDeps, networkConfigFor } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { checkpointDirOf } from '../../src/train/session';
import { makePhotos, standInLossNetwork, tempDir } from './helpers';

describe('nst train --arch texture-net', () => {
  test('a config without --arch (every config stored before texture nets) is a transformer', () => {
    const stored = parseTrainConfig({ style: 's.jpg', data: ['d'], out: 'o' });
    expect(stored.arch).toBeUndefined();
    expect(networkConfigFor(stored)).not.toHaveProperty('arch');
    expect(networkConfigFor({ ...stored, arch: 'texture-net' })).toMatchObject({ arch: 'texture-net', scales: 5, channels: 8, output: 'softclip' });
    expect(() => networkConfigFor({ ...stored, arch: 'texture-net', outputNorm: true })).toThrow(/--output-norm applies to --arch transformer only/);
  });

  test('trains with the shared machinery: the loss falls, the checkpoint loads as a texture net, resume continues', async () => {
    const root = tempDir();
    const photos = path.join(root, 'photos');
    await makePhotos(photos, 4, 48, 48);
    const style = (await makePhotos(path.join(root, 'style'), 1, 48, 48, 99))[0];
    const out = path.join(root, 'run');
    const deps = { ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() };
    const totals: number[] = [];
    const config = { style, data: [photos], out, imageSize: 32, batchSize: 2, iterations: 12, previewCount: 1, seed: 5, arch: 'texture-net' as const, lr: 0.01, crop: 'center' as const };
    await train(config, { deps, hooks: { log: () => {}, onStep: (r) => totals.push(r.losses.total) } });
    expect(totals).toHaveLength(12);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(totals.slice(-3))).toBeLessThan(mean(totals.slice(0, 3)));
    const loaded = await loadCheckpoint(checkpointDirOf(out));
    expect(loaded.config).toMatchObject({ arch: 'texture-net', scales: 5 });
    expect(loaded.model.getLayer('j0_concat').getClassName()).toBe('Concatenate');
    loaded.model.dispose();
    await train({ iterations: 13 }, { resume: out, deps, hooks: { log: () => {} } });
    const resumed = await loadCheckpoint(checkpointDirOf(out));
    expect(resumed.meta.training?.steps).toBe(13);
    expect(resumed.config).toMatchObject({ arch: 'texture-net' });
    resumed.model.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a crop size the texture net cannot take is one line naming the option and the sizes it takes', async () => {
    const root = tempDir();
    const deps = { ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() };
    const run = train({ style: 'none.jpg', data: [root], out: path.join(root, 'o'), imageSize: 40, arch: 'texture-net' }, { deps, hooks: { log: () => {} } });
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow('--image-size 40: this network takes multiples of 16 px, at least 32 (e.g. 48)');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
