// `--init-from RUN` (fine-tuning): a new run starts from another run's weights at step 0 with a fresh Adam and its own
// options; networks that differ are one error naming the fix. Tiny runs (32² crops, width 0.25, stand-in loss net).
import * as path from 'path';
import { UsageError } from '../../src/errors';
import { TrainConfigInput } from '../../src/train/config';
import { defaultDeps, TrainDeps } from '../../src/train/deps';
import { train } from '../../src/train/per-style';
import { readCheckpointMeta } from '../../src/checkpoint';
import { checkpointDirOf } from '../../src/train/session';
import { maxWeightDiff } from '../helpers';
import { checkpointWeights, makePhotos, savedTrainState, standInLossNetwork, tempDir } from './helpers';

let photos: string;
let style: string;
let source: string;

const deps = (): TrainDeps => ({ ...defaultDeps(), loadLossNetwork: async () => standInLossNetwork() });
const quiet = { log: () => {} };

function tiny(out: string, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return { style, data: [photos], out, imageSize: 32, batchSize: 1, width: 0.25, iterations: 3, checkpointEvery: 100, previewEvery: 100, previewCount: 1, seed: 5, ...extra };
}

beforeAll(async () => {
  const root = tempDir();
  photos = path.join(root, 'photos');
  await makePhotos(photos, 3);
  style = (await makePhotos(path.join(root, 'style'), 1, 64, 64, 99))[0];
  source = tempDir();
  await train(tiny(source), { deps: deps(), hooks: quiet });
});

describe('--init-from (fine-tuning)', () => {
  it("starts at step 0 from the source run's weights, not the seed's, and stores the option", async () => {
    const out = tempDir();
    const lines: string[] = [];
    // A rate of 1e-9 moves Adam's weights by ~1e-9 a step: the checkpoint after one step is the source's weights.
    const r = await train(tiny(out, { iterations: 1, lr: 1e-9, seed: 9, initFrom: source }), { deps: deps(), hooks: { log: (l) => lines.push(l) } });
    expect(r.step).toBe(1);
    expect(savedTrainState(out).step).toBe(1);
    expect(maxWeightDiff(await checkpointWeights(out), await checkpointWeights(source))).toBeLessThan(1e-6);
    expect(lines.join('\n')).toContain(`starting from the network weights of ${checkpointDirOf(source)}`);
    expect(readCheckpointMeta(checkpointDirOf(out)).training?.options).toMatchObject({ initFrom: source, lr: 1e-9 });

    // Without it the same seed-9 run starts elsewhere: the copy above is what made the weights equal.
    const fresh = tempDir();
    await train(tiny(fresh, { iterations: 1, lr: 1e-9, seed: 9 }), { deps: deps(), hooks: quiet });
    expect(maxWeightDiff(await checkpointWeights(fresh), await checkpointWeights(source))).toBeGreaterThan(1e-3);

    // A fine-tuned run resumes from its own checkpoint, not its source.
    const resumed = await train({ iterations: 2 }, { resume: out, deps: deps(), hooks: quiet });
    expect(resumed.step).toBe(2);
  });

  it('a network with other options is one error naming the fix', async () => {
    const error = await train(tiny(tempDir(), { width: 0.5, initFrom: source }), { deps: deps(), hooks: quiet }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^--init-from .*: its .* is .* in this run; fine-tuning needs the network options of that run/);
  });

  it('a folder with no checkpoint names the path it expected', async () => {
    const empty = tempDir();
    await expect(train(tiny(tempDir(), { initFrom: empty }), { deps: deps(), hooks: quiet })).rejects.toThrow(
      `--init-from ${empty}: no checkpoint there (expected ${checkpointDirOf(empty)})`,
    );
  });

  it('is refused beside --add-style', async () => {
    await expect(train({ addStyle: style, initFrom: source }, { resume: source, deps: deps(), hooks: quiet })).rejects.toThrow(/--add-style and --init-from/);
  });
});
