import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint, readCheckpointMeta } from '../../src/checkpoint';
import { outputHeadOf } from '../../src/nets/output-head';
import { parseTrainConfig, TRAIN_OUTPUT_HEAD } from '../../src/train/config';
import { defaultDeps, networkConfigFor } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { checkpointDirOf } from '../../src/train/session';
import { makePhotos, standInLossNetwork, tempDir } from './helpers';

describe('the network a new nst train run builds', () => {
  test('the training head (softclip) at the chosen width; everything else the transformer defaults', () => {
    expect(TRAIN_OUTPUT_HEAD).toBe('softclip');
    const c = networkConfigFor({ width: 0.5 });
    expect(c).toMatchObject({ output: 'softclip', outputNorm: false, width: 0.5, upsample: 'nearest', padding: 'reflect' });
  });

  test('--head and --output-norm choose the network of a new run; a stored config without them still parses', () => {
    expect(networkConfigFor({ width: 1, head: 'tanh', outputNorm: true })).toMatchObject({ output: 'tanh', outputNorm: true, width: 1 });
    const stored = parseTrainConfig({ style: 's.jpg', data: ['d'], out: 'o' });
    expect(stored.head).toBeUndefined();
    expect(networkConfigFor(stored).output).toBe('softclip');
    expect(() => parseTrainConfig({ style: 's.jpg', data: ['d'], out: 'o', head: 'sigmoid' })).toThrow(/head/);
  });
});

describe('resuming a run made with another head', () => {
  test('a tanh run (the old default) resumes as tanh, and its checkpoint keeps saying so', async () => {
    const root = tempDir();
    const photos = path.join(root, 'photos');
    await makePhotos(photos, 3);
    const style = (await makePhotos(path.join(root, 'style'), 1, 48, 48, 99))[0];
    const out = path.join(root, 'run');
    const deps = { ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() };
    const config = { style, data: [photos], out, imageSize: 32, batchSize: 1, width: 0.25, iterations: 1, previewCount: 1, seed: 5, head: 'tanh' as const };
    await train(config, { deps, hooks: { log: () => {} } });
    // The stored config of a run from before --head existed: no head field, so the default says softclip.
    const ckpt = checkpointDirOf(out);
    const metaFile = path.join(ckpt, 'nst.json');
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    delete meta.training.options.head;
    fs.writeFileSync(metaFile, JSON.stringify(meta));
    expect(readCheckpointMeta(checkpointDirOf(out)).network.output).toBe('tanh');
    await train({ iterations: 2 }, { resume: out, deps, hooks: { log: () => {} } });
    const loaded = await loadCheckpoint(checkpointDirOf(out));
    expect(loaded.meta.training?.steps).toBe(2);
    expect(loaded.config.output).toBe('tanh');
    expect(outputHeadOf(loaded.model)).toBe('tanh');
    loaded.model.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
});
