// The training loop's promises, on tiny runs (32² crops, width-0.25 net, stand-in loss network): exact resume,
// the NaN/Inf guard, the outputs it writes, graceful SIGINT/SIGTERM and surviving kill -9 mid-save.
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { loadCheckpoint } from '../../src/checkpoint';
import { TrainConfigInput } from '../../src/train/config';
import { defaultDeps, TrainDeps } from '../../src/train/deps';
import { TrainingDivergedError } from '../../src/train/loop';
import { train } from '../../src/train/per-style';
import { checkpointDirOf } from '../../src/train/session';
import { checkpointStore } from '../../src/train/checkpoint-store';
import { TrainLog, TRAIN_LOG_FILE } from '../../src/train/train-log';
import { maxWeightDiff } from '../helpers';
import { checkpointWeights, exitOf, makePhotos, resumableState, spawnTs, standInLossNetwork, tempDir, waitForLine } from './helpers';

const CHILD = path.join(__dirname, 'fixtures', 'train-child.ts');

let photos: string;
let style: string;

function deps(): TrainDeps {
  return { ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() };
}

function tinyConfig(out: string, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    style,
    data: [photos],
    out,
    imageSize: 32,
    batchSize: 2,
    width: 0.25,
    iterations: 4,
    checkpointEvery: 100,
    previewEvery: 100,
    previewCount: 2,
    seed: 5,
    ...extra,
  };
}

const quiet = { log: () => {} };

beforeAll(async () => {
  const root = tempDir();
  photos = path.join(root, 'photos');
  await makePhotos(photos, 5);
  style = (await makePhotos(path.join(root, 'style'), 1, 64, 64, 99))[0];
});

describe('training loop', () => {
  it('resumed training equals uninterrupted training (4 steps vs 2 + 2, within 1e-5)', async () => {
    const a = tempDir();
    const b = tempDir();
    await train(tinyConfig(a), { deps: deps(), hooks: quiet });
    const first = await train(tinyConfig(b, { iterations: 2 }), { deps: deps(), hooks: quiet });
    expect(first.step).toBe(2);
    const resumed = await train({ iterations: 4 }, { resume: b, deps: deps(), hooks: quiet });
    expect(resumed.step).toBe(4);

    const wa = await checkpointWeights(a);
    const wb = await checkpointWeights(b);
    expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
    expect(maxWeightDiff(wa, wb)).toBeLessThanOrEqual(1e-5);
    // The weights did move (a resume that silently restarted or froze would also "agree" with nothing).
    const sa = resumableState(a);
    expect(sa.step).toBe(4);
    expect(resumableState(b)).toEqual(sa);
    // Same losses logged for steps 3 and 4.
    const la = new TrainLog(path.join(a, TRAIN_LOG_FILE)).read();
    const lb = new TrainLog(path.join(b, TRAIN_LOG_FILE)).read();
    expect(lb.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) expect(Math.abs(lb[i].total - la[i].total)).toBeLessThanOrEqual(1e-5 * Math.abs(la[i].total));
  });

  it('--lr-decay: the rate at step t is lr / (1 + decay·t), so a huge decay freezes the weights after step 1', async () => {
    const one = tempDir();
    const frozen = tempDir();
    const constant = tempDir();
    await train(tinyConfig(one, { iterations: 1 }), { deps: deps(), hooks: quiet });
    await train(tinyConfig(frozen, { iterations: 3, lrDecay: 1e9 }), { deps: deps(), hooks: quiet });
    await train(tinyConfig(constant, { iterations: 3 }), { deps: deps(), hooks: quiet });
    const w1 = await checkpointWeights(one);
    // Steps 2 and 3 run at ≤ 4e-12: Adam's unit-scale updates move no weight by more than ~1e-11.
    expect(maxWeightDiff(w1, await checkpointWeights(frozen))).toBeLessThanOrEqual(1e-7);
    // Without the decay the same two steps do move them.
    expect(maxWeightDiff(w1, await checkpointWeights(constant))).toBeGreaterThan(1e-4);
    expect(resumableState(frozen).learningRate).toBe(4e-3);
  });

  it('writes the JSONL log, a preview grid and the loss curve', async () => {
    const out = tempDir();
    await train(tinyConfig(out, { iterations: 2, previewEvery: 1 }), { deps: deps(), hooks: quiet });
    const log = new TrainLog(path.join(out, TRAIN_LOG_FILE)).read();
    expect(log.map((r) => r.step)).toEqual([1, 2]);
    for (const r of log) {
      expect(Number.isFinite(r.total) && Number.isFinite(r.content) && Number.isFinite(r.style) && Number.isFinite(r.tv)).toBe(true);
      expect(Object.keys(r.styleLayers).sort()).toEqual(['relu1_2', 'relu2_2', 'relu3_3']);
    }
    expect(fs.existsSync(path.join(out, 'preview-step-000001.png'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'preview-latest.png'))).toBe(true);
    const svg = fs.readFileSync(path.join(out, 'loss-curve.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
  });

  it('a non-finite loss restores the last checkpoint and halves the learning rate, once', async () => {
    const out = tempDir();
    const lines: string[] = [];
    let injected = false;
    const result = await train(tinyConfig(out, { checkpointEvery: 2, lr: 1e-3 }), {
      deps: deps(),
      // Once: the retried step 3 (from the restored step-2 checkpoint) then succeeds.
      hooks: { log: (l) => lines.push(l), injectNonFinite: (step) => step === 3 && !injected && (injected = true) },
    });
    expect(result.step).toBe(4);
    const state = resumableState(out);
    expect(state.lrHalved).toBe(true);
    expect(state.learningRate).toBeCloseTo(5e-4, 12);
    expect(lines.join('\n')).toMatch(/loss became NaN at step 3; restored the checkpoint of step 2 and halved the learning rate to 0\.0005/);
  });

  it('a second non-finite loss stops with a clear error', async () => {
    const out = tempDir();
    await expect(
      train(tinyConfig(out, { checkpointEvery: 2 }), { deps: deps(), hooks: { log: () => {}, injectNonFinite: (s) => s >= 3 } }),
    ).rejects.toThrow(TrainingDivergedError);
    await expect(
      train(tinyConfig(tempDir(), { checkpointEvery: 2 }), { deps: deps(), hooks: { log: () => {}, injectNonFinite: (s) => s >= 3 } }),
    ).rejects.toThrow(/training diverged; lower --lr or --style-weight/);
    // The checkpoint on disk is still the last good one.
    expect(resumableState(out).step).toBe(2);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s saves a checkpoint and exits cleanly', async (sig) => {
    const out = tempDir();
    const child = spawnTs(CHILD, [JSON.stringify(tinyConfig(out, { iterations: 1000 }))]);
    const exited = exitOf(child);
    await waitForLine(child, /STEP 1\n/);
    child.kill(sig);
    const { code, stderr } = await exited;
    expect(code).toBe(sig === 'SIGINT' ? 130 : 143);
    expect(stderr).toMatch(/stopped at step \d+; checkpoint saved/);
    const state = resumableState(out);
    expect(state.step).toBeGreaterThanOrEqual(1);
    expect(state.step).toBeLessThan(1000);
    const { model } = await loadCheckpoint(checkpointDirOf(out));
    model.dispose();
  });

  it('kill -9 in the middle of a save leaves a loadable checkpoint', async () => {
    for (const delayMs of [0, 3, 15]) {
      const out = tempDir();
      const child = spawnTs(CHILD, [JSON.stringify(tinyConfig(out, { iterations: 1000, checkpointEvery: 1 }))]);
      const exited = exitOf(child);
      await waitForLine(child, /SAVING 2\n/);
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      const { signal } = await exited;
      expect(signal).toBe('SIGKILL');
      // What resume does: recover an interrupted save if needed, then load.
      const store = checkpointStore(() => {});
      expect(store.exists(checkpointDirOf(out))).toBe(true);
      const model = await store.loadModel(checkpointDirOf(out));
      model.dispose();
      expect([1, 2, 3]).toContain(resumableState(out).step);
      // And training resumes from it.
      const r = await train({ iterations: resumableState(out).step + 1 }, { resume: out, deps: deps(), hooks: quiet });
      expect(r.step).toBe(resumableState(out).step);
    }
  });

  it('keeps the number of tensors bounded over steps', async () => {
    const out = tempDir();
    const counts: number[] = [];
    await train(tinyConfig(out, { iterations: 5 }), { deps: deps(), hooks: { log: () => {}, onStep: () => counts.push(tf.memory().numTensors) } });
    expect(counts[4]).toBe(counts[1]);
  });
});
