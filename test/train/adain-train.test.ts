// The arbitrary-style trainer on the shared machinery, on tiny runs (32² crops, batch 2, width-0.25 decoder, the
// embedded VGG19): exact resume of both data streams and the LR schedule, the outputs a run writes, the checkpoint
// kind, hold-outs, and the CLI.
import * as fs from 'fs';
import * as path from 'path';
import { loadAdainCheckpoint, readCheckpointKind } from '../../src/checkpoint';
import { trainAdain } from '../../src/train/adain';
import { inverseTimeDecay } from '../../src/train/loop';
import { maxWeightDiff } from '../helpers';
import type { AdainTrainConfigInput } from '../../src/train/adain-config';
import { checkpointDirOf } from '../../src/train/session';
import { TrainLog, TRAIN_LOG_FILE } from '../../src/train/train-log';
import { makePhotos, resumableState, tempDir } from './helpers';

let photos: string;
let styles: string;
const quiet = { log: () => {} };

beforeAll(async () => {
  const root = tempDir('nst-adain-');
  photos = path.join(root, 'photos');
  styles = path.join(root, 'styles');
  await makePhotos(photos, 5, 48, 40, 7);
  await makePhotos(styles, 3, 64, 56, 99);
});

function tiny(out: string, extra: Partial<AdainTrainConfigInput> = {}): AdainTrainConfigInput {
  return { styles: [styles], data: [photos], out, imageSize: 32, batchSize: 2, width: 0.25, iterations: 4, checkpointEvery: 100, previewEvery: 100, previewCount: 2, seed: 3, ...extra };
}

async function weightsOf(outDir: string): Promise<Map<string, Float32Array>> {
  const { model } = await loadAdainCheckpoint(checkpointDirOf(outDir));
  const out = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
  model.dispose();
  return out;
}

test('inverse-time decay: lr / (1 + decay·step)', () => {
  const f = inverseTimeDecay(5e-5);
  expect(f(1e-4, 0)).toBe(1e-4);
  expect(f(1e-4, 20000)).toBeCloseTo(5e-5, 15);
});

test('resumed training equals uninterrupted training (4 steps vs 2 + 2): photos, styles and the rate continue exactly', async () => {
  const a = tempDir('nst-adain-a-');
  const b = tempDir('nst-adain-b-');
  const full = await trainAdain(tiny(a), { hooks: quiet });
  expect(full.step).toBe(4);
  expect(full.encoderLayer).toBe('relu3_1');
  await trainAdain(tiny(b, { iterations: 2 }), { hooks: quiet });
  expect(resumableState(b).streams?.style).toBeDefined();
  await trainAdain({ iterations: 4 }, { resume: b, hooks: quiet });

  const [wa, wb] = [await weightsOf(a), await weightsOf(b)];
  expect(maxWeightDiff(wa, wb)).toBeLessThanOrEqual(1e-5);
  expect(resumableState(b)).toEqual(resumableState(a));
  const [la, lb] = [new TrainLog(path.join(a, TRAIN_LOG_FILE)).read(), new TrainLog(path.join(b, TRAIN_LOG_FILE)).read()];
  expect(lb.map((r) => r.step)).toEqual([1, 2, 3, 4]);
  for (let i = 0; i < 4; i++) {
    expect(Math.abs(lb[i].total - la[i].total)).toBeLessThanOrEqual(1e-5 * Math.abs(la[i].total));
    expect(lb[i].lr).toBe(la[i].lr);
    expect(Object.keys(lb[i].styleLayers)).toEqual(['relu1_1', 'relu2_1', 'relu3_1']);
  }
  expect(la[3].lr).toBeLessThan(la[0].lr); // the schedule decays
});

test('writes an AdaIN checkpoint, the log, a photos × styles preview grid and the loss curve; hold-outs stay out', async () => {
  const out = tempDir('nst-adain-out-');
  const held = fs.readdirSync(styles).sort()[0];
  const r = await trainAdain(tiny(out, { iterations: 2, previewEvery: 1, holdOut: [held] }), { hooks: quiet });
  expect(r.trainingStyles).toBe(2);
  expect(r.heldOut).toEqual([held]);
  expect(readCheckpointKind(checkpointDirOf(out))).toBe('adain');
  const { meta } = await loadAdainCheckpoint(checkpointDirOf(out));
  expect(meta.training?.steps).toBe(2);
  expect((meta.training?.results as { trainingStyles: string[] }).trainingStyles).not.toContain(held);
  expect(fs.existsSync(path.join(out, 'preview-step-000001.png'))).toBe(true);
  expect(fs.readFileSync(path.join(out, 'loss-curve.svg'), 'utf8')).toMatch(/^<svg/);
  await expect(trainAdain(tiny(tempDir(), { holdOut: ['nope.jpg'] }), { hooks: quiet })).rejects.toThrow(/--hold-out nope\.jpg: no style image of that name/);
});
