// Stylizing with a multi-style network (conditional instance norm): a style index or a mix equals a single-style
// network holding that style's (or the mixed) γ/β; the tiled pass with exact whole-image statistics works with it;
// checkpoints record style count and names; bad --style-index / --mix are one line naming the option and the range.
import { styleCountOfConfig } from '../../src/nets/network';
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { loadCheckpoint, saveCheckpoint } from '../../src/checkpoint';
import { loadStyleModel } from '../../src/infer/model';
import { stylize } from '../../src/infer/stylize';
import { buildTransformer, TransformerConfigInput } from '../../src/nets/transformer';
import { resolveStyleWeights, styleCountOf } from '../../src/nets/style-weights';
import { Rng } from '../../src/util/rng';
import { nstInProcess } from '../cli-in-process';
import { maxAbsDiff } from '../helpers';
import { makeTmpDir, patternImage, writePng } from './fixtures';

const CONFIG: TransformerConfigInput = { width: 0.25, output: 'softclip' };
const STYLES = 3;

/** A 3-style net with random γ/β rows (so the styles differ) and random other weights from the seed. */
function multiStyleNet(): tf.LayersModel {
  const net = buildTransformer({ ...CONFIG, styles: STYLES }, { seed: 4 });
  const rng = Rng.fromSeed(11);
  for (const w of net.weights) {
    if (!/_?in\d\/|in\d+\//.test(w.originalName) || w.shape.length !== 2) continue;
    const base = w.originalName.endsWith('gamma') ? 1 : 0;
    const v = tf.tensor(Float32Array.from({ length: w.shape[0]! * w.shape[1]! }, () => base + (rng.next() - 0.5)), w.shape as number[]);
    w.write(v);
    v.dispose();
  }
  return net;
}

/** The single-style net with the same weights and, in every norm, γ/β = Σ weights[k] · row k. */
function singleStyleTwin(multi: tf.LayersModel, weights: number[]): tf.LayersModel {
  const single = buildTransformer(CONFIG, { seed: 4 });
  const byName = new Map(multi.weights.map((w) => [w.originalName, w]));
  for (const w of single.weights) {
    const m = byName.get(w.originalName)!;
    const v = tf.tidy(() => (m.shape.length === 2 ? tf.reshape(tf.matMul(tf.tensor2d([weights]), m.read() as tf.Tensor2D), [-1]) : m.read().clone()));
    w.write(v);
    v.dispose();
  }
  return single;
}

describe('a multi-style network', () => {
  const multi = multiStyleNet();
  const img = patternImage(40, 36);
  afterAll(() => multi.dispose());

  it('holds one γ/β row per style', () => {
    expect(styleCountOf(multi)).toBe(STYLES);
    expect(multi.weights.find((w) => w.originalName === 'in1/gamma')!.shape).toEqual([STYLES, 8]);
  });

  it.each([0, 1, 2])('styleIndex %i equals the single-style network with that style’s γ/β (max diff < 1e-3 levels)', async (k) => {
    const single = singleStyleTwin(multi, [0, 1, 2].map((i) => (i === k ? 1 : 0)));
    const a = await stylize(multi, img, { styleIndex: k });
    const b = await stylize(single, img);
    single.dispose();
    expect(maxAbsDiff(a.rgb, b.rgb)).toBeLessThan(1e-3);
  });

  it('the styles differ, and a mix interpolates γ/β (weights divided by their sum)', async () => {
    const s0 = await stylize(multi, img, { styleIndex: 0 });
    const s1 = await stylize(multi, img, { styleIndex: 1 });
    expect(maxAbsDiff(s0.rgb, s1.rgb)).toBeGreaterThan(0.1);
    const mixed = await stylize(multi, img, { mix: [0.6, 1.4, 0] });
    const single = singleStyleTwin(multi, [0.3, 0.7, 0]);
    const b = await stylize(single, img);
    single.dispose();
    expect(maxAbsDiff(mixed.rgb, b.rgb)).toBeLessThan(1e-3);
  });

  it('--stroke-scale runs the chosen style (an index or a mix) at the reduced size, as the single-style twin does', async () => {
    const cases: Array<[{ styleIndex?: number; mix?: number[] }, number[]]> = [[{ styleIndex: 1 }, [0, 1, 0]], [{ mix: [1, 0, 3] }, [0.25, 0, 0.75]]];
    for (const [choice, weights] of cases) {
      const single = singleStyleTwin(multi, weights);
      const a = await stylize(multi, img, { ...choice, strokeScale: 2 });
      const b = await stylize(single, img, { strokeScale: 2 });
      single.dispose();
      expect([a.width, a.height]).toEqual([img.width, img.height]);
      expect(maxAbsDiff(a.rgb, b.rgb)).toBeLessThan(1e-3);
      // …and it is not the plain pass.
      const plain = await stylize(multi, img, choice);
      expect(maxAbsDiff(a.rgb, plain.rgb)).toBeGreaterThan(0.1);
    }
  });

  it('tiles with exact whole-image statistics equal the untiled pass (conditional norms in the layer graph)', async () => {
    const big = patternImage(120, 100, 3);
    const whole = await stylize(multi, big, { styleIndex: 2, tile: 0 });
    const tiled = await stylize(multi, big, { styleIndex: 2, tile: 48, overlap: 8, tileStats: 'exact' });
    expect(tiled.tiles).toBeGreaterThan(1);
    expect(tiled.tileStats).toBe('exact');
    expect(maxAbsDiff(tiled.rgb, whole.rgb)).toBeLessThan(0.05);
    const downscaled = await stylize(multi, big, { mix: [1, 1, 1], tile: 48, overlap: 8, tileStats: 'downscaled' });
    expect(downscaled.tileStats).toBe('downscaled');
  });

  it('bad choices are one line naming the option and the valid range', () => {
    expect(() => resolveStyleWeights(3, { styleIndex: 3 })).toThrow(/^styleIndex 3: out of range; this model has 3 styles \(0–2\)$/);
    expect(() => resolveStyleWeights(3, { mix: [0.5, 0.5] })).toThrow(/^mix 0.5,0.5: 2 weights for a model of 3 styles; give 3 comma-separated weights$/);
    expect(() => resolveStyleWeights(3, { mix: [1, -1, 0] })).toThrow(/^mix 1,-1,0: the weights must be numbers summing to a positive number/);
    expect(() => resolveStyleWeights(3, { styleIndex: 1, mix: [1, 0, 0] })).toThrow(/not both/);
    expect(resolveStyleWeights(1, { styleIndex: 0 })).toEqual([1]);
    expect(resolveStyleWeights(3, {})).toBeUndefined();
    return expect(stylize(multi, img, { styleIndex: 7 })).rejects.toThrow(/^stylize option styleIndex 7: out of range; this model has 3 styles \(0–2\)$/);
  });
});

describe('multi-style checkpoints', () => {
  const dir = makeTmpDir();
  const ckpt = path.join(dir, 'three');
  const photo = path.join(dir, 'photo.png');
  beforeAll(async () => {
    const net = multiStyleNet();
    await saveCheckpoint(ckpt, { model: net, config: { ...CONFIG, styles: STYLES }, meta: { styleNames: ['candy.jpg', 'mosaic.jpg', 'udnie.jpg'] } });
    net.dispose();
    await writePng(photo, patternImage(40, 36));
  });

  it('store the style count, the names and the γ/β per style; a single-style checkpoint is written as before (no styles field)', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(ckpt, 'nst.json'), 'utf8'));
    expect(meta.network.styles).toBe(3);
    expect(meta.styleNames).toEqual(['candy.jpg', 'mosaic.jpg', 'udnie.jpg']);
    const loaded = await loadStyleModel(ckpt);
    expect([loaded.styles, loaded.styleNames]).toEqual([3, ['candy.jpg', 'mosaic.jpg', 'udnie.jpg']]);
    loaded.dispose();
    const single = path.join(dir, 'single');
    const net = buildTransformer(CONFIG, { seed: 1 });
    await saveCheckpoint(single, { model: net, config: CONFIG });
    net.dispose();
    const singleMeta = JSON.parse(fs.readFileSync(path.join(single, 'nst.json'), 'utf8'));
    expect(singleMeta.network).not.toHaveProperty('styles');
    expect(singleMeta).not.toHaveProperty('styleNames');
    const back = await loadCheckpoint(single);
    expect(styleCountOfConfig(back.config)).toBe(1);
    back.model.dispose();
  });

  it('a loaded model takes styleIndex / mix through the library stylize', async () => {
    const loaded = await loadStyleModel(ckpt);
    const a = await stylize(loaded, photo, { styleIndex: 2 });
    const b = await stylize(loaded.model!, photo, { styleIndex: 2 });
    const c = await stylize(loaded, photo, { styleIndex: 0 });
    loaded.dispose();
    expect(maxAbsDiff(a.rgb, b.rgb)).toBe(0);
    expect(maxAbsDiff(a.rgb, c.rgb)).toBeGreaterThan(0.1);
  });

  it('nst stylize: --style-index, --mix, the style-0 default said once, and one-line errors naming the flag and range', async () => {
    const out = path.join(dir, 'out');
    const ok = await nstInProcess(['stylize', '-m', ckpt, photo, photo.replace('photo', 'photo'), '--out', out, '--style-index', '1', '--no-progress', '--backend', 'cpu']);
    expect([ok.code, ok.err]).toEqual([0, expect.not.stringMatching(/using style 0/)]);
    const byDefault = await nstInProcess(['stylize', '-m', ckpt, photo, '--out', path.join(dir, 'out0'), '--no-progress', '--backend', 'cpu']);
    expect(byDefault.code).toBe(0);
    expect(byDefault.err.match(/serves 3 styles \(0 candy.jpg, 1 mosaic.jpg, 2 udnie.jpg\); using style 0/g)).toHaveLength(1);
    const mixed = await nstInProcess(['stylize', '-m', ckpt, photo, '--out', path.join(dir, 'outm'), '--mix', '0.3,0.7,0', '--no-progress', '--backend', 'cpu']);
    expect(mixed.code).toBe(0);

    const bad = async (...args: string[]) => {
      const r = await nstInProcess(['stylize', '-m', ckpt, photo, '--out', path.join(dir, 'bad'), '--no-progress', '--backend', 'cpu', ...args]);
      expect(r.code).toBe(2);
      return r.err.trim().split('\n').filter((l) => !l.startsWith('nst: backend')).join('\n');
    };
    expect(await bad('--style-index', '3')).toMatch(/--style-index 3: out of range; this model has 3 styles \(0–2\)$/);
    expect(await bad('--mix', '0.5,0.5')).toMatch(/--mix 0.5,0.5: 2 weights for a model of 3 styles; give 3 comma-separated weights$/);
    expect(await bad('--mix', '1,-1,0')).toMatch(/--mix 1,-1,0: the weights must be numbers summing to a positive number/);
    expect(await bad('--mix', 'a,b')).toMatch(/--mix a,b: give comma-separated numbers, one weight per style/);
  });
});
