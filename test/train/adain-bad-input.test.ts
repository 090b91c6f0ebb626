// Bad input to the AdaIN trainer (issue 14): a style folder with no images is one line naming --styles (not --data),
// and a checkpoint of the other kind given to --resume, either way, is one error naming both kinds.
import * as fs from 'fs';
import * as path from 'path';
import { saveAdainCheckpoint, saveCheckpoint } from '../../src/checkpoint';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { trainAdain } from '../../src/train/adain';
import { nstInProcess } from '../cli-in-process';
import { randomNet } from '../export/net-fixtures';
import { randomDecoder } from '../infer/arbitrary-fixtures';
import { makePhotos, tempDir } from './helpers';

const quiet = { log: () => {} };
const errorLines = (err: string) => err.split('\n').filter((l) => l.startsWith('nst: error'));

test('a --styles folder with no images: one error naming it and --styles', async () => {
  const photos = tempDir('nst-adain-bad-photos-');
  await makePhotos(photos, 2, 48, 40, 7);
  const empty = tempDir('nst-adain-no-styles-');
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'not an image');
  const run = trainAdain({ styles: [empty], data: [photos], out: tempDir(), imageSize: 32, batchSize: 1, width: 0.25, iterations: 1 }, { hooks: quiet });
  await expect(run).rejects.toThrow(new RegExp(`^no images for --styles found in '${empty}': --styles takes folders or globs of`));
});

test('--resume with the other kind of checkpoint, either way: one error naming both kinds', async () => {
  const dir = tempDir('nst-adain-kinds-');
  const perStyle = path.join(dir, 'per-style');
  const config = parseTransformerConfig({ width: 0.25, residualBlocks: 1 });
  const net = randomNet(config, 3);
  await saveCheckpoint(perStyle, { model: net, config });
  net.dispose();
  const adain = path.join(dir, 'adain');
  const decoder = randomDecoder({ width: 0.25 });
  await saveAdainCheckpoint(adain, { model: decoder, config: { width: 0.25 }, encoder: { arch: 'vgg19', preprocessing: 'caffe' } });
  decoder.dispose();

  const a = await nstInProcess(['train-adain', '--resume', perStyle, '--backend', 'cpu']);
  expect(a.code).toBe(1);
  expect(errorLines(a.err)).toEqual([expect.stringMatching(/per-style network \(kind 'transformer'.*but an AdaIN arbitrary-style decoder \(kind 'adain'\) is expected/)]);
  const b = await nstInProcess(['train', '--resume', adain, '--backend', 'cpu']);
  expect(b.code).toBe(1);
  expect(errorLines(b.err)).toEqual([expect.stringMatching(/AdaIN arbitrary-style decoder \(kind 'adain'\), but a per-style network \(kind 'transformer'.* is expected/)]);
});
