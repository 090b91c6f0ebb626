import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import {
  CHECKPOINT_FORMAT_VERSION,
  loadCheckpoint,
  readCheckpointMeta,
  readExtraFile,
  saveCheckpoint,
  TrainingInfo,
} from '../../src/checkpoint';
import { InputError, UsageError } from '../../src/errors';
import { buildTransformer, parseTransformerConfig, TransformerConfigInput } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';

// A slim net keeps every save/load/forward here well under a second on the pure-JS backend.
const SMALL: TransformerConfigInput = { width: 0.25, residualBlocks: 1 };
const TRAINING: TrainingInfo = {
  styleImage: { name: 'udnie.jpg', sha256: 'a'.repeat(64) },
  lossNetwork: 'vgg19 relu1_2,relu2_2,relu3_3,relu4_3',
  weights: { content: 1, style: 5, tv: 1e-6 },
  steps: 3,
  finalLosses: { content: 1.5, style: 2.5, tv: 0.5, total: 4.5 },
  options: { batchSize: 2, lr: 1e-3 },
};

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-ckpt-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function weightsOf(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

/** Sets every weight to a distinct deterministic pattern so a mixed-up load cannot pass by accident. */
function fillWeights(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((w, i) => {
    const t = tf.tidy(() => tf.randomNormal(w.shape as number[], 0, 0.1, 'float32', seed + i));
    w.write(t);
    t.dispose();
  });
}

function siblingsOf(dir: string): string[] {
  return fs.readdirSync(path.dirname(dir)).filter((n) => n !== path.basename(dir));
}

describe('checkpoint round trip', () => {
  test('weights, config, metadata, extra files and predictions survive save + load exactly', async () => {
    const config = parseTransformerConfig({ ...SMALL, output: 'tanh' });
    const model = buildTransformer(config);
    fillWeights(model, 1);
    const dir = path.join(root, 'ckpt');
    const written = await saveCheckpoint(dir, {
      model,
      config,
      meta: { training: TRAINING },
      extraFiles: { 'optimizer.bin': new Uint8Array([1, 2, 3, 250]), 'rng.json': '{"seed":7}' },
    });
    expect(written.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'nst.json', 'optimizer.bin', 'rng.json', 'weights.bin']);
    expect(siblingsOf(dir)).toEqual([]); // no temp or old dirs left behind

    const loaded = await loadCheckpoint(dir);
    expect(loaded.dir).toBe(path.resolve(dir));
    expect(loaded.config).toEqual(config);
    expect(loaded.meta.training).toEqual(TRAINING);
    expect(loaded.meta.extraFiles).toEqual(['optimizer.bin', 'rng.json']);
    expect(readCheckpointMeta(dir)).toEqual(loaded.meta);
    expect(loaded.meta.nstVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isNaN(Date.parse(loaded.meta.createdAt))).toBe(false);

    const before = weightsOf(model);
    const after = weightsOf(loaded.model);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, v] of before) expect(maxAbsDiff(after.get(name)!, v)).toBe(0);

    const x = tf.randomUniform([1, 16, 20, 3], 0, 255, 'float32', 3);
    const [y0, y1] = [model.predict(x) as tf.Tensor, loaded.model.predict(x) as tf.Tensor];
    expect(maxAbsDiff(y1.dataSync(), y0.dataSync())).toBe(0);
    tf.dispose([x, y0, y1]);

    expect(Array.from((await readExtraFile(dir, 'optimizer.bin'))!)).toEqual([1, 2, 3, 250]);
    expect((await readExtraFile(dir, 'rng.json'))!.toString('utf8')).toBe('{"seed":7}');
    expect(await readExtraFile(dir, 'absent.bin')).toBeUndefined();
    model.dispose();
    loaded.model.dispose();
  });

  test('model.json is plain tfjs: the custom layers round-trip through tf.loadLayersModel', async () => {
    const config = parseTransformerConfig({ ...SMALL, upsample: 'transposed', padding: 'zero', outputNorm: true, output: 'linear' });
    const model = buildTransformer(config);
    const dir = path.join(root, 'c');
    await saveCheckpoint(dir, { model, config });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const classes = new Set(JSON.stringify(json.modelTopology).match(/"class_name":"Nst\w+"/g));
    expect([...classes].sort()).toEqual(['"class_name":"NstInstanceNorm"']);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.model.getLayer('in6')).toBeDefined();
    model.dispose();
    loaded.model.dispose();
  });

  test('saving again replaces the checkpoint and leaves nothing beside it', async () => {
    const config = parseTransformerConfig(SMALL);
    const a = buildTransformer(config);
    const b = buildTransformer(config);
    fillWeights(a, 10);
    fillWeights(b, 20);
    const dir = path.join(root, 'ckpt');
    await saveCheckpoint(dir, { model: a, config, extraFiles: { 'old-only.txt': 'x' } });
    await saveCheckpoint(dir, { model: b, config });
    const loaded = await loadCheckpoint(dir);
    expect(maxAbsDiff(weightsOf(loaded.model).get('conv1/kernel')!, weightsOf(b).get('conv1/kernel')!)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'old-only.txt'))).toBe(false);
    expect(siblingsOf(dir)).toEqual([]);
    [a, b, loaded.model].forEach((m) => m.dispose());
  });
});

test('build, save, load and dispose leave no tensors behind', async () => {
  const config = parseTransformerConfig(SMALL);
  const before = tf.memory().numTensors;
  const model = buildTransformer(config);
  const dir = path.join(root, 'ckpt');
  await saveCheckpoint(dir, { model, config });
  const loaded = await loadCheckpoint(dir);
  model.dispose();
  loaded.model.dispose();
  expect(tf.memory().numTensors).toBe(before);
});

describe('the output head in nst.json', () => {
  test('an old nst.json without network.output loads as the tanh head, with identical predictions', async () => {
    const config = parseTransformerConfig({ ...SMALL, output: 'tanh' });
    const model = buildTransformer(config);
    fillWeights(model, 11);
    const dir = path.join(root, 'old');
    await saveCheckpoint(dir, { model, config });
    const file = path.join(dir, 'nst.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete json.network.output;
    fs.writeFileSync(file, JSON.stringify(json));
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config.output).toBe('tanh');
    const x = tf.randomUniform([1, 12, 12, 3], 0, 255, 'float32', 4);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.model.predict(x) as tf.Tensor];
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    tf.dispose([x, a, b]);
    loaded.model.dispose();
    model.dispose();
  });

  test('the head recorded is the model\'s own; an nst.json naming another head is an InputError', async () => {
    const model = buildTransformer({ ...SMALL, output: 'residual' });
    const dir = path.join(root, 'residual');
    // A config that names another head (a resumed run whose trainer now defaults to another one) records the model's.
    const meta = await saveCheckpoint(dir, { model, config: { ...SMALL, output: 'softclip' } });
    expect(meta.network.output).toBe('residual');
    expect(readCheckpointMeta(dir).network.output).toBe('residual');
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config.output).toBe('residual');
    loaded.model.dispose();
    const file = path.join(dir, 'nst.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...json, network: { ...json.network, output: 'linear' } }));
    const err = await loadCheckpoint(dir).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/residual output head but nst\.json says linear/);
    model.dispose();
  });
});

describe('checkpoint atomicity', () => {
  test('a save that fails midway (an extra file producer throws) leaves the previous checkpoint loadable', async () => {
    const config = parseTransformerConfig(SMALL);
    const old = buildTransformer(config);
    fillWeights(old, 30);
    const dir = path.join(root, 'ckpt');
    await saveCheckpoint(dir, { model: old, config, meta: { training: TRAINING } });

    const extraFiles: Record<string, Uint8Array> = { 'first.bin': new Uint8Array(10) };
    Object.defineProperty(extraFiles, 'second.bin', {
      enumerable: true,
      get() {
        throw new Error('simulated crash while serializing optimizer state');
      },
    });
    const next = buildTransformer(config);
    await expect(saveCheckpoint(dir, { model: next, config, extraFiles })).rejects.toThrow('simulated crash');

    const loaded = await loadCheckpoint(dir);
    expect(maxAbsDiff(weightsOf(loaded.model).get('in1/gamma')!, weightsOf(old).get('in1/gamma')!)).toBe(0);
    expect(loaded.meta.training?.steps).toBe(3);
    expect(siblingsOf(dir)).toEqual([]); // the failed save removed its temp dir
    [old, next, loaded.model].forEach((m) => m.dispose());
  });

  test('a process killed (SIGKILL) mid-save leaves the previous checkpoint loadable; the next save cleans up', async () => {
    const config = parseTransformerConfig(SMALL);
    const old = buildTransformer(config);
    fillWeights(old, 40);
    const dir = path.join(root, 'ckpt');
    await saveCheckpoint(dir, { model: old, config });

    const child = spawnSync(process.execPath, [path.join(__dirname, 'crash-during-save.child.js'), dir, JSON.stringify(config)], {
      encoding: 'utf8',
      timeout: 120000,
    });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toContain('crashing');
    const leftovers = siblingsOf(dir);
    expect(leftovers).toHaveLength(1); // the dead save's temp dir
    expect(leftovers[0]).toMatch(/^\.ckpt\.tmp-\d+-/);

    const loaded = await loadCheckpoint(dir);
    expect(maxAbsDiff(weightsOf(loaded.model).get('conv1/kernel')!, weightsOf(old).get('conv1/kernel')!)).toBe(0);
    await saveCheckpoint(dir, { model: old, config });
    expect(siblingsOf(dir)).toEqual([]);
    [old, loaded.model].forEach((m) => m.dispose());
  });

  test('after a crash between the two renames, load names the intact previous checkpoint', async () => {
    const config = parseTransformerConfig(SMALL);
    const model = buildTransformer(config);
    const dir = path.join(root, 'ckpt');
    await saveCheckpoint(dir, { model, config });
    const backup = path.join(root, '.ckpt.old-99999-abcd');
    fs.renameSync(dir, backup); // the state right after "rename old away"
    await expect(loadCheckpoint(dir)).rejects.toThrow(new RegExp(`interrupted.*${backup.replace(/\./g, '\\.')}`));
    model.dispose();
  });

  test('a save removes backups and temp dirs of dead processes once the target exists, but not a live one\'s', async () => {
    const config = parseTransformerConfig(SMALL);
    const model = buildTransformer(config);
    const dir = path.join(root, 'ckpt');
    await saveCheckpoint(dir, { model, config });
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process
    const stale = [`.ckpt.old-${deadPid}-abcd`, `.ckpt.tmp-${deadPid}-abcd`];
    const live = `.ckpt.tmp-${process.ppid}-beef`; // a concurrent writer that is still running
    for (const n of [...stale, live]) fs.mkdirSync(path.join(root, n));
    await saveCheckpoint(dir, { model, config });
    expect(siblingsOf(dir)).toEqual([live]);
    model.dispose();
  });
});

describe('checkpoint errors', () => {
  async function saved(name = 'ckpt'): Promise<string> {
    const config = parseTransformerConfig(SMALL);
    const model = buildTransformer(config);
    const dir = path.join(root, name);
    await saveCheckpoint(dir, { model, config });
    model.dispose();
    return dir;
  }

  test('a newer formatVersion is a clear InputError naming the file', async () => {
    const dir = await saved();
    const file = path.join(dir, 'nst.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...json, formatVersion: CHECKPOINT_FORMAT_VERSION + 1 }));
    const err = await loadCheckpoint(dir).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/newer nst.*upgrade/);
    fs.writeFileSync(file, JSON.stringify({ ...json, formatVersion: 'one' }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/unknown checkpoint formatVersion "one"/);
  });

  test('broken directories are InputErrors naming the path', async () => {
    const dir = await saved();
    fs.rmSync(path.join(dir, 'weights.bin'));
    const err = await loadCheckpoint(dir).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(path.resolve(dir));
    fs.rmSync(path.join(dir, 'nst.json'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/not an nst checkpoint \(no nst.json/);
    await expect(loadCheckpoint(path.join(root, 'nope'))).rejects.toThrow(/nope: checkpoint not found/);
    const wrong = await saved('other');
    const file = path.join(wrong, 'nst.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...json, network: { ...json.network, width: 0.5 } }));
    await expect(loadCheckpoint(wrong)).rejects.toThrow(/does not match the network config/);
  });

  test('refuses to replace a folder that is not a checkpoint, and bad extra file names', async () => {
    const config = parseTransformerConfig(SMALL);
    const model = buildTransformer(config);
    const dir = path.join(root, 'photos');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'holiday.jpg'), 'x');
    await expect(saveCheckpoint(dir, { model, config })).rejects.toThrow(/not an nst checkpoint.*refusing/);
    expect(fs.readdirSync(dir)).toEqual(['holiday.jpg']);
    await expect(saveCheckpoint(path.join(root, 'c'), { model, config, extraFiles: { '../evil': 'x' } })).rejects.toBeInstanceOf(UsageError);
    await expect(saveCheckpoint(path.join(root, 'c'), { model, config, extraFiles: { 'nst.json': 'x' } })).rejects.toThrow(/reserved/);
    model.dispose();
  });
});

describe('a training run folder', () => {
  it('loads as the checkpoint inside it (OUT/checkpoint), as nst stylize and nst export accept it', async () => {
    const { saveCheckpoint, loadCheckpoint, resolveCheckpointDir } = await import('../../src/checkpoint');
    const { buildTransformer } = await import('../../src/nets/transformer');
    const fsm = await import('fs');
    const os = await import('os');
    const pathm = await import('path');
    const run = fsm.mkdtempSync(pathm.join(os.tmpdir(), 'nst-run-'));
    const model = buildTransformer({ width: 0.25, residualBlocks: 1 });
    await saveCheckpoint(pathm.join(run, 'checkpoint'), { model, config: { width: 0.25, residualBlocks: 1 } });
    expect(resolveCheckpointDir(run)).toBe(pathm.join(run, 'checkpoint'));
    const loaded = await loadCheckpoint(run);
    expect(loaded.dir).toBe(pathm.join(run, 'checkpoint'));
    expect(loaded.config).toMatchObject({ width: 0.25 });
    loaded.model.dispose();
    model.dispose();
    fsm.rmSync(run, { recursive: true, force: true });
  });
});
