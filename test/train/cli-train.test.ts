// nst train's command layer, in-process: options → one validated config, the explicit-tap error, --dry-run's estimate.
import * as path from 'path';
import { configFromArgs, runTrain } from '../../src/cli/commands/train';
import { UsageError } from '../../src/errors';
import { describeShared, sharedPath } from '../helpers';
import { makePhotos, tempDir } from './helpers';

describe('nst train options', () => {
  it('passes only the options given, with comma lists split', () => {
    expect(configFromArgs({ style: 's.jpg', data: ['d'], styleLayers: 'relu1_2, relu2_2', iterations: 5 })).toEqual({
      style: 's.jpg',
      data: ['d'],
      styleLayers: ['relu1_2', 'relu2_2'],
      iterations: 5,
    });
  });

  it('needs --style and --data unless resuming, and rejects bad values before any work', async () => {
    await expect(runTrain({ data: ['x'], out: 'o' }, () => {})).rejects.toThrow(/--style STYLE\.jpg is required/);
    await expect(runTrain({ style: 's.jpg', out: 'o' }, () => {})).rejects.toThrow(/--data DIR_OR_GLOB is required/);
    await expect(runTrain({ style: 's.jpg', data: ['d'], out: 'o', batchSize: 0 }, () => {})).rejects.toThrow(UsageError);
    await expect(runTrain({ style: 's.jpg', data: ['d'], out: 'o', iterations: 3, epochs: 1 }, () => {})).rejects.toThrow(/not both/);
  });
});

describeShared('nst train with the truncated VGG19 (../shared)', () => {
  let photos: string;
  let style: string;
  const vgg = sharedPath('models', 'vgg19-imagenet-block1-3', 'model');

  beforeAll(async () => {
    const root = tempDir();
    photos = path.join(root, 'photos');
    await makePhotos(photos, 3);
    style = (await makePhotos(path.join(root, 'style'), 1, 48, 48, 5))[0];
  });

  it('an explicitly named tap the network lacks is an error', async () => {
    await expect(
      runTrain({ style, data: [photos], out: tempDir(), lossNet: 'vgg19', lossWeights: vgg, styleLayers: 'relu1_2,relu4_3', progress: false }, () => {}),
    ).rejects.toThrow(/relu4_3/);
  });

  it('--dry-run times a few steps, says which taps it substituted, and prints the expected total', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(((s: string) => (lines.push(String(s)), true)) as never);
    const logs: string[] = [];
    try {
      const code = await runTrain(
        { style, data: [photos], lossNet: 'vgg19', lossWeights: vgg, imageSize: 32, width: 0.25, batchSize: 1, iterations: 1000, dryRun: true },
        (l) => logs.push(l),
      );
      expect(code).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(logs.join('\n')).toMatch(/style layer relu4_3 → relu3_4/);
    const out = lines.join('');
    expect(out).toMatch(/dry run on \S+: [\d.]+ s\/step at batch 1, 32²/);
    expect(out).toMatch(/expected: 1000 steps ≈ /);
  });
});
