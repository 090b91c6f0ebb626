import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint, readCheckpointMeta } from '../../src/checkpoint';
import { outputHeadOf } from '../../src/nets/output-head';
import { UsageError } from '../../src/errors';
import { defaultDeps, networkConfigFor, TRAIN_OUTPUT_HEAD } from '../../src/train/deps';
import { checkpointDirOf, train } from '../../src/train/loop';
import { makePhotos, standInLossNetwork, tempDir } from './helpers';

describe('the network a new nst train run builds', () => {
  test('the training head (softclip) at the chosen width; everything else the transformer defaults', () => {
    expect(TRAIN_OUTPUT_HEAD).toBe('softclip');
    const c = networkConfigFor({ width: 0.5 }, {});
    expect(c).toMatchObject({ output: 'softclip', outputNorm: false, width: 0.5, upsample: 'nearest', padding: 'reflect' });
  });

  test('NST_TRAIN_NETWORK overrides fields for experiments; --width still wins; bad values are UsageErrors', () => {
    expect(networkConfigFor({ width: 1 }, { NST_TRAIN_NETWORK: '{"output":"tanh","outputNorm":true,"width":2}' })).toMatchObject({
      output: 'tanh',
      outputNorm: true,
      width: 1,
    });
    expect(() => networkConfigFor({ width: 1 }, { NST_TRAIN_NETWORK: '{output:tanh}' })).toThrow(UsageError);
    expect(() => networkConfigFor({ width: 1 }, { NST_TRAIN_NETWORK: '{"output":"sigmoid"}' })).toThrow(/NST_TRAIN_NETWORK.*output/);
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
    const config = { style, data: [photos], out, imageSize: 32, batchSize: 1, width: 0.25, iterations: 1, previewCount: 1, seed: 5 };
    process.env.NST_TRAIN_NETWORK = '{"output":"tanh"}';
    try {
      await train(config, { deps, hooks: { log: () => {} } });
    } finally {
      delete process.env.NST_TRAIN_NETWORK;
    }
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
