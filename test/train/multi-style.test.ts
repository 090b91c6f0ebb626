// Multi-style training (conditional instance norm) on the shared machinery, on tiny runs (32² crops, width-0.25 net,
// stand-in loss network): exact resume with the style-index stream, the photos × styles preview, the checkpoint's
// style count and names, and --add-style training only the new style's γ/β.
import { styleCountOfConfig } from '../../src/nets/network';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { loadCheckpoint, readCheckpointMeta } from '../../src/checkpoint';
import { TrainConfigInput } from '../../src/train/config';
import { defaultDeps, TrainDeps } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { checkpointDirOf } from '../../src/train/session';
import { StyleIndexStream } from '../../src/train/style-stream';
import { TrainLog, TRAIN_LOG_FILE } from '../../src/train/train-log';
import { maxAbsDiff } from '../helpers';
import { checkpointWeights, makePhotos, resumableState, standInLossNetwork, tempDir } from './helpers';

let photos: string;
let styles: string[];

function deps(): TrainDeps {
  return { ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() };
}

function tinyConfig(out: string, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    style: styles.slice(0, 3),
    data: [photos],
    out,
    imageSize: 32,
    batchSize: 2,
    width: 0.25,
    iterations: 6,
    checkpointEvery: 100,
    previewEvery: 100,
    previewCount: 2,
    seed: 5,
    ...extra,
  };
}

const maxDiff = maxAbsDiff;

const quiet = { log: () => {} };

beforeAll(async () => {
  const root = tempDir();
  photos = path.join(root, 'photos');
  await makePhotos(photos, 5);
  styles = [];
  for (const seed of [99, 98, 97, 96]) styles.push((await makePhotos(path.join(root, `style${seed}`), 1, 64, 64, seed))[0]);
});

describe('the style-index stream', () => {
  it('visits every style once per epoch, in a seeded order, and resumes from its cursor', () => {
    const s = new StyleIndexStream([0, 1, 2], 5);
    const drawn = Array.from({ length: 9 }, () => s.next());
    for (let e = 0; e < 3; e++) expect(drawn.slice(3 * e, 3 * e + 3).map((d) => d.index).sort()).toEqual([0, 1, 2]);
    const resumed = new StyleIndexStream([0, 1, 2], 5, drawn[3].cursorAfter);
    expect(Array.from({ length: 5 }, () => resumed.next().index)).toEqual(drawn.slice(4).map((d) => d.index));
    expect(new StyleIndexStream([0, 1, 2], 6).order(0)).toHaveLength(3);
  });
});

describe('multi-style training', () => {
  it('resumed training equals uninterrupted training (6 steps vs 3 + 3, within 1e-5), styles drawn from the stream', async () => {
    const a = tempDir();
    const b = tempDir();
    await train(tinyConfig(a), { deps: deps(), hooks: quiet });
    await train(tinyConfig(b, { iterations: 3 }), { deps: deps(), hooks: quiet });
    expect(resumableState(b).streams?.styles).toEqual({ epoch: 1, index: 0 });
    await train({ iterations: 6 }, { resume: b, deps: deps(), hooks: quiet });

    const wa = await checkpointWeights(a);
    const wb = await checkpointWeights(b);
    expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
    const worst = Math.max(...[...wa].map(([name, va]) => maxDiff(va, wb.get(name)!)));
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(resumableState(b)).toEqual(resumableState(a));
    const la = new TrainLog(path.join(a, TRAIN_LOG_FILE)).read();
    const lb = new TrainLog(path.join(b, TRAIN_LOG_FILE)).read();
    for (let i = 0; i < 6; i++) expect(Math.abs(lb[i].total - la[i].total)).toBeLessThanOrEqual(1e-5 * Math.abs(la[i].total));

    // Each style's γ/β rows moved away from their initial 1 / 0 (every style was trained).
    const gamma = wa.get('in1/gamma')!;
    const channels = gamma.length / 3;
    for (let k = 0; k < 3; k++) expect(maxDiff(gamma.subarray(k * channels, (k + 1) * channels), new Float32Array(channels).fill(1))).toBeGreaterThan(0);
  });

  it('records the style count and names, and previews photos × styles', async () => {
    const out = tempDir();
    await train(tinyConfig(out, { iterations: 1, previewEvery: 1 }), { deps: deps(), hooks: quiet });
    const meta = readCheckpointMeta(checkpointDirOf(out));
    expect(styleCountOfConfig(meta.network)).toBe(3);
    expect(meta.styleNames).toEqual(styles.slice(0, 3).map((s) => path.basename(s)));
    expect((meta.training as { styleImages?: unknown[] }).styleImages).toHaveLength(3);
    const { model } = await loadCheckpoint(checkpointDirOf(out));
    expect(model.weights.find((w) => w.originalName === 'res1_in2/beta')!.shape).toEqual([3, 32]);
    model.dispose();
    // 1 row of photos + 3 rows of styles, 2 photos across: 4 rows of 32 px + 5 gaps of 4.
    const png = await sharp(path.join(out, 'preview-latest.png')).metadata();
    expect([png.width, png.height]).toEqual([2 * 32 + 3 * 4, 4 * 32 + 5 * 4]);
  });

  it('--add-style trains only the new style’s γ/β: every other weight, and the old styles’ rows, stay exactly as they were', async () => {
    const base = tempDir();
    await train(tinyConfig(base, { iterations: 3 }), { deps: deps(), hooks: quiet });
    const plus = path.join(tempDir(), 'plus');
    const r = await train({ addStyle: styles[3], iterations: 3, out: plus }, { resume: base, deps: deps(), hooks: quiet });
    expect(r.step).toBe(3);
    const before = await checkpointWeights(base);
    const after = await checkpointWeights(plus);
    const meta = readCheckpointMeta(checkpointDirOf(plus));
    expect(styleCountOfConfig(meta.network)).toBe(4);
    expect(meta.styleNames).toEqual(styles.map((s) => path.basename(s)));
    for (const [name, old] of before) {
      const now = after.get(name)!;
      if (now.length === old.length) {
        expect([name, maxDiff(old, now)]).toEqual([name, 0]);
      } else {
        // A γ/β table: rows 0–2 unchanged, row 3 trained away from where it started (the mean of rows 0–2).
        const c = old.length / 3;
        expect([name, maxDiff(old, now.subarray(0, 3 * c))]).toEqual([name, 0]);
        const mean = Float32Array.from({ length: c }, (_, j) => (old[j] + old[c + j] + old[2 * c + j]) / 3);
        expect(maxDiff(mean, now.subarray(3 * c))).toBeGreaterThan(0);
      }
    }
    // The original run is untouched (the new network went to --out).
    expect(styleCountOfConfig(readCheckpointMeta(checkpointDirOf(base)).network)).toBe(3);

    // An interrupted add-style run resumes exactly, still training only the new style (2 + 1 steps = 3 steps).
    const split = path.join(tempDir(), 'split');
    await train({ addStyle: styles[3], iterations: 2, out: split }, { resume: base, deps: deps(), hooks: quiet });
    await train({ iterations: 3 }, { resume: split, deps: deps(), hooks: quiet });
    const resumed = await checkpointWeights(split);
    const worst = Math.max(...[...after].map(([name, v]) => maxDiff(v, resumed.get(name)!)));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('--add-style on a single-style checkpoint is one line naming the option and the valid range', async () => {
    const single = tempDir();
    await train(tinyConfig(single, { style: styles[0], iterations: 1 }), { deps: deps(), hooks: quiet });
    await expect(train({ addStyle: styles[3] }, { resume: single, deps: deps(), hooks: quiet })).rejects.toThrow(
      /^--add-style: .* holds a network of 1 style; --add-style needs a multi-style checkpoint \(2–255 styles/,
    );
    await expect(train({ addStyle: styles[3] }, { deps: deps(), hooks: quiet })).rejects.toThrow(/--add-style needs --resume/);
  });
});
