// `--budget` and the crop-size curriculum: the pure planner, duration parsing, and tiny real runs (stand-in loss
// network) on a fake clock, so that what the run plans and where it stops depend on no machine's speed.
import * as path from 'path';
import { planBudget } from '../../src/train/budget';
import { imageSizeAt, parseTrainConfig, TrainConfigInput } from '../../src/train/config';
import { defaultDeps, TrainDeps } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { checkpointDirOf } from '../../src/train/session';
import { formatDuration, parseDuration } from '../../src/util/duration';
import { makePhotos, savedTrainState, standInLossNetwork, tempDir } from './helpers';
import { loadCheckpoint } from '../../src/checkpoint';

let photos: string;
let style: string;

beforeAll(async () => {
  const root = tempDir();
  photos = path.join(root, 'photos');
  await makePhotos(photos, 5);
  style = (await makePhotos(path.join(root, 'style'), 1, 64, 64, 99))[0];
});

/** Deps whose loss network records the size of every batch it sees (the photos' and the outputs' alike). */
function recordingDeps(sizes: number[] = []): TrainDeps {
  return {
    ...defaultDeps(),
    loadLossNetwork: async () => {
      const net = standInLossNetwork();
      const extract = net.extract.bind(net);
      net.extract = (images, wanted) => {
        sizes.push(images.shape[1]);
        return extract(images, wanted);
      };
      return net;
    },
  };
}

function tinyConfig(out: string, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return { style, data: [photos], out, imageSize: 32, batchSize: 2, width: 0.25, checkpointEvery: 100, previewEvery: 100, previewCount: 2, seed: 5, ...extra };
}

const stateOf = savedTrainState;

/** A clock that moves `msPerCall` every time it is read: every step, preview and checkpoint costs fake time. */
function fakeClock(msPerCall: number): () => number {
  let now = 0;
  return () => (now += msPerCall);
}

describe('durations', () => {
  it('reads 8h, 1h30m, 90m, 45s and plain seconds; rejects the rest', () => {
    expect(parseDuration('8h')).toBe(28800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('45s')).toBe(45);
    expect(parseDuration('3600')).toBe(3600);
    expect(parseDuration('1.5h')).toBe(5400);
    for (const bad of ['8x', 'h', '', '-1h', '1h 30']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('writes durations rounded once to whole minutes (never "7 h 60 min")', () => {
    expect(formatDuration(28790)).toBe('8 h 0 min');
    expect(formatDuration(5400)).toBe('1 h 30 min');
    expect(formatDuration(3540)).toBe('59 min');
    expect(formatDuration(3570)).toBe('1 h 0 min');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(40)).toBe('40 s');
  });

  it('the config stores the budget in seconds and names a bad one', () => {
    expect(parseTrainConfig({ style: 's.jpg', data: ['d'], out: 'o', budget: '2h' }).budget).toBe(7200);
    expect(parseTrainConfig({ style: 's.jpg', data: ['d'], out: 'o', budget: 7200 }).budget).toBe(7200);
    expect(() => parseTrainConfig({ style: 's.jpg', data: ['d'], out: 'o', budget: 'soon' })).toThrow(/'soon' is not a duration/);
  });
});

describe('planBudget', () => {
  const base = { budgetSeconds: 3600, elapsedSeconds: 0, step: 0, secondsPerStep: 10, checkpointSeconds: 2, previewSeconds: 1 };

  it('plans the most steps whose time, checkpoints and previews included, fits the budget', () => {
    const plan = planBudget(base);
    expect(plan.expectedSeconds).toBeLessThanOrEqual(3600);
    // One more step would not fit.
    expect(plan.expectedSeconds + 10).toBeGreaterThan(3600 - 1);
    expect(plan.totalSteps).toBeGreaterThan(340);
    expect(plan.totalSteps).toBeLessThan(360);
    expect(plan.checkpointEvery).toBe(60); // ~10 min at 10 s/step
    expect(plan.previewEvery).toBe(30); // 24 previews over ~350 steps would be every ~15 steps (150 s): at most every 5 min
    expect(planBudget({ ...base, budgetSeconds: 8 * 3600 }).previewEvery).toBe(120); // 8 h: 24 previews, one per 20 min
  });

  it('costs a later stage of larger crops by its ratio', () => {
    const flat = planBudget(base);
    const staged = planBudget({ ...base, secondsPerStep: 2.5, laterStage: { fromStep: 101, ratio: 4 } });
    // 100 steps at 2.5 s leave 3350 s for 10-s steps: about 100 + 330.
    expect(staged.totalSteps).toBeGreaterThan(flat.totalSteps);
    expect(staged.totalSteps).toBeGreaterThan(420);
    expect(staged.totalSteps).toBeLessThan(440);
    expect(staged.expectedSeconds).toBeLessThanOrEqual(3600);
  });

  it('a budget already used up plans no more steps', () => {
    expect(planBudget({ ...base, elapsedSeconds: 3600, step: 50 }).totalSteps).toBe(50);
  });
});

describe('curriculum', () => {
  it('crops of --start-size for the first --start-steps steps, then --image-size', () => {
    const c = { imageSize: 32, startSize: 16, startSteps: 2 };
    expect([1, 2, 3, 4].map((s) => imageSizeAt(c, s))).toEqual([16, 16, 32, 32]);
    expect(imageSizeAt({ imageSize: 32 }, 1)).toBe(32);
  });

  it('trains at the sizes it says, and a run resumed across the boundary equals an uninterrupted one', async () => {
    const sizes: number[] = [];
    const a = tempDir();
    const b = tempDir();
    const cfg = { startSize: 16, startSteps: 2, iterations: 4 };
    await train(tinyConfig(a, cfg), { deps: recordingDeps(sizes), hooks: { log: () => {} } });
    // Each step extracts features of the photos and of the output: two calls at the step's size.
    const perStep = sizes.filter((_, i) => i % 2 === 0);
    expect(perStep.slice(-4)).toEqual([16, 16, 32, 32]);

    await train(tinyConfig(b, { ...cfg, iterations: 1 }), { deps: recordingDeps(), hooks: { log: () => {} } });
    await train({ iterations: 4 }, { resume: b, deps: recordingDeps(), hooks: { log: () => {} } });
    const wa = (await loadCheckpoint(checkpointDirOf(a))).model;
    const wb = (await loadCheckpoint(checkpointDirOf(b))).model;
    let maxDiff = 0;
    wa.weights.forEach((w, i) => {
      const x = w.read().dataSync();
      const y = wb.weights[i].read().dataSync();
      for (let k = 0; k < x.length; k++) maxDiff = Math.max(maxDiff, Math.abs(x[k] - y[k]));
    });
    wa.dispose();
    wb.dispose();
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    expect(stateOf(b).step).toBe(4);
  });

  it('needs both --start-size and --start-steps', async () => {
    await expect(train(tinyConfig(tempDir(), { startSize: 16, iterations: 1 }), { deps: recordingDeps(), hooks: { log: () => {} } })).rejects.toThrow(
      /--start-size and --start-steps/,
    );
  });
});

describe('--budget runs', () => {
  it('plans from its measured rate, says so, and ends with a checkpoint inside the budget', async () => {
    const out = tempDir();
    const lines: string[] = [];
    const r = await train(tinyConfig(out, { budget: 6 }), { deps: recordingDeps(), hooks: { log: (l) => lines.push(l), clock: fakeClock(100) } });
    expect(lines.some((l) => /^nst: budget 6 s: \d+\.\d+ s\/step measured \(batch 2, 32²\) → \d+ steps/.test(l))).toBe(true);
    const state = stateOf(out);
    expect(state.step).toBe(r.step);
    expect(r.step).toBeGreaterThan(5);
    expect(r.totalSteps).toBe(r.step); // the end was planned or brought forward to the step it stopped at
    expect(state.elapsedSeconds!).toBeLessThanOrEqual(6);
    expect(r.stoppedEarly).toBe(false);
  });

  it('a resumed run gets what is left of its budget: none left stops at once, a larger --budget continues it', async () => {
    const out = tempDir();
    await train(tinyConfig(out, { budget: 3 }), { deps: recordingDeps(), hooks: { log: () => {}, clock: fakeClock(100) } });
    const first = stateOf(out);
    const lines: string[] = [];
    const again = await train({ budget: 1 }, { resume: out, deps: recordingDeps(), hooks: { log: (l) => lines.push(l), clock: fakeClock(100) } });
    expect(again.step).toBe(first.step);
    expect(lines.some((l) => /budget of this run is used up/.test(l))).toBe(true);
    const more = await train({ budget: 6 }, { resume: out, deps: recordingDeps(), hooks: { log: () => {}, clock: fakeClock(100) } });
    expect(more.step).toBeGreaterThan(first.step);
    const state = stateOf(out);
    expect(state.elapsedSeconds!).toBeGreaterThan(first.elapsedSeconds!);
    expect(state.elapsedSeconds!).toBeLessThanOrEqual(6);
  });
});
