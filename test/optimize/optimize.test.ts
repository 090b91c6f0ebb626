// optimizeImage and its objective on tiny images with a small random stand-in loss network (no ../shared needed).
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { InputError, UsageError } from '../../src/errors';
import { PerceptualObjective } from '../../src/optimize/objective';
import { optimizeImage } from '../../src/optimize';
import { decodeImage } from '../../src/image/image-io';
import type { LossNetwork } from '../../src/nets/loss-network/types';
import { makePhotos, standInLossNetwork, tempDir } from '../train/helpers';

let dir: string;
let contentFile: string;
let styleFile: string;
let lossNet: LossNetwork;

beforeAll(async () => {
  dir = tempDir('nst-optimize-');
  [contentFile, styleFile] = await makePhotos(path.join(dir, 'in'), 2, 32, 32, 11);
  lossNet = standInLossNetwork(5);
});

afterAll(() => {
  lossNet.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const base = () => ({ content: contentFile, style: styleFile, size: 32, styleLayers: ['relu1_2', 'relu2_2', 'relu3_3'] });
const quiet = { log: () => {} };

describe('optimizeImage (stand-in loss network, 32x32)', () => {
  test('Adam with a small rate lowers the loss at every step', async () => {
    const r = await optimizeImage(
      { ...base(), output: path.join(dir, 'adam.png'), optimizer: 'adam', lr: 0.5, steps: 12, init: 'noise' },
      { lossNetwork: lossNet, hooks: quiet },
    );
    const totals = [r.initialLosses.total, ...r.history.map((h) => h.total)];
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeLessThan(totals[i - 1]);
    expect(r.steps).toBe(12);
    expect(r.evaluations).toBe(12 + 1); // start + one per step
  });

  test('L-BFGS lowers the style loss from the content photo and never raises the total', async () => {
    const r = await optimizeImage(
      { ...base(), output: path.join(dir, 'lbfgs.png'), optimizer: 'lbfgs', steps: 8 },
      { lossNetwork: lossNet, hooks: quiet },
    );
    expect(r.initialLosses.content).toBe(0); // started at the content photo
    expect(r.losses.style).toBeLessThan(0.5 * r.initialLosses.style);
    const totals = [r.initialLosses.total, ...r.history.map((h) => h.total)];
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeLessThanOrEqual(totals[i - 1]);
  });

  test('writes the image and <output>.json with the final losses, steps and options', async () => {
    const output = path.join(dir, 'sub', 'result.png');
    const r = await optimizeImage({ ...base(), output, steps: 3, previewEvery: 2 }, { lossNetwork: lossNet, hooks: quiet });
    const img = await decodeImage(output);
    expect([img.width, img.height]).toEqual([32, 32]);
    const json = JSON.parse(fs.readFileSync(`${output}.json`, 'utf8'));
    expect(r.lossesFile).toBe(path.resolve(`${output}.json`));
    for (const k of ['content', 'style', 'tv', 'total']) expect(typeof json.losses[k]).toBe('number');
    expect(json.losses.total).toBeCloseTo(r.losses.total, 6);
    expect(json.steps).toBe(3);
    expect(json.history).toHaveLength(3);
    expect(json.options).toMatchObject({ steps: 3, optimizer: 'lbfgs', size: 32, previewEvery: 2 });
    expect(json.weights).toEqual({ content: 1, style: 5, tv: 1 });
    expect(json.optimizer).toEqual({ name: 'lbfgs', lr: 16 });
    // A preview at step 2 only: the last step is the output itself.
    expect(fs.existsSync(path.join(dir, 'sub', 'result.step-000002.png'))).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'sub')).filter((f) => f.includes('.step-'))).toHaveLength(1);
  });

  test('the total in the file is the weighted sum of its terms, scored on the image as written', async () => {
    const output = path.join(dir, 'weighted.png');
    const r = await optimizeImage(
      { ...base(), output, steps: 2, contentWeight: 2, styleWeight: 3, tvWeight: 4 },
      { lossNetwork: lossNet, hooks: quiet },
    );
    const l = r.losses;
    expect(l.total).toBeCloseTo(2 * l.content + 3 * l.style + 4 * l.tv, 4);
    expect(Object.keys(l.styleLayers)).toEqual(['relu1_2', 'relu2_2', 'relu3_3']);
  });

  test('the reported losses are those of the file written (L-BFGS keeps every iterate inside 0..255)', async () => {
    const output = path.join(dir, 'rescored.png');
    const styleLayers = ['relu1_2', 'relu2_2', 'relu3_3'];
    const r = await optimizeImage({ ...base(), output, steps: 6, init: 'noise' }, { lossNetwork: lossNet, hooks: quiet });
    const obj = new PerceptualObjective({
      lossNet,
      content: await decodeImage(contentFile, { maxSize: 32 }),
      style: await decodeImage(styleFile, { resize: { width: 32, height: 32, fit: 'inside' } }),
      styleLayers,
      contentLayer: r.contentLayer,
      weights: { content: 1, style: 5, tv: 1 },
      lossScale: 'normalized',
    });
    try {
      const rescored = await obj.evaluate((await decodeImage(output)).rgb);
      // Only the 8-bit rounding of the PNG separates the two: well under 1% here.
      expect(Math.abs(rescored.value - r.losses.total)).toBeLessThan(0.01 * r.losses.total);
    } finally {
      obj.dispose();
    }
  });

  test('--preserve-color keeps the photo chroma: a grey photo gives a grey result', async () => {
    const grey = path.join(dir, 'grey.png');
    const sharp = (await import('sharp')).default;
    const buf = Buffer.alloc(32 * 32 * 3);
    for (let i = 0; i < 32 * 32; i++) buf.fill((i * 7) % 256, i * 3, i * 3 + 3);
    await sharp(buf, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(grey);
    const output = path.join(dir, 'kept.png');
    await optimizeImage({ ...base(), content: grey, output, steps: 2, preserveColor: true }, { lossNetwork: lossNet, hooks: quiet });
    const img = await decodeImage(output);
    let maxChroma = 0;
    for (let i = 0; i < img.rgb.length; i += 3) {
      maxChroma = Math.max(maxChroma, Math.abs(img.rgb[i] - img.rgb[i + 1]), Math.abs(img.rgb[i + 1] - img.rgb[i + 2]));
    }
    expect(maxChroma).toBeLessThanOrEqual(1); // 8-bit rounding only
  });

  test('memory stays flat: no tensor outlives a run', async () => {
    const before = tf.memory().numTensors;
    await optimizeImage({ ...base(), output: path.join(dir, 'mem.png'), steps: 4, optimizer: 'adam' }, { lossNetwork: lossNet, hooks: quiet });
    await optimizeImage({ ...base(), output: path.join(dir, 'mem2.png'), steps: 4 }, { lossNetwork: lossNet, hooks: quiet });
    expect(tf.memory().numTensors).toBe(before);
  });

  test('shouldStop ends the run after the current step and still writes the image and losses', async () => {
    const output = path.join(dir, 'stopped.png');
    const r = await optimizeImage({ ...base(), output, steps: 50 }, { lossNetwork: lossNet, hooks: { ...quiet, shouldStop: () => true } });
    expect(r.stoppedEarly).toBe(true);
    expect(r.steps).toBe(1);
    expect(JSON.parse(fs.readFileSync(`${output}.json`, 'utf8')).stoppedEarly).toBe(true);
  });
});

describe('bad inputs are one clear error each', () => {
  const run = (over: Record<string, unknown>) =>
    optimizeImage({ ...base(), output: path.join(dir, 'bad.png'), steps: 2, ...over }, { lossNetwork: lossNet, hooks: quiet });

  test('missing content file', async () => {
    const missing = path.join(dir, 'nope.jpg');
    await expect(run({ content: missing })).rejects.toThrow(InputError);
    await expect(run({ content: missing })).rejects.toThrow(`${missing}: file not found`);
  });

  test('a style file that is not an image', async () => {
    const text = path.join(dir, 'style.jpg');
    fs.writeFileSync(text, 'this is not a picture\n');
    await expect(run({ style: text })).rejects.toThrow(InputError);
    await expect(run({ style: text })).rejects.toThrow(new RegExp(`${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot decode as an image`));
  });

  test('--steps 0', async () => {
    await expect(run({ steps: 0 })).rejects.toThrow(UsageError);
    await expect(run({ steps: 0 })).rejects.toThrow('--steps: must be at least 1');
  });

  test('an output name without an image extension', async () => {
    await expect(run({ output: path.join(dir, 'out.txt') })).rejects.toThrow(/unknown image extension: name the output .png, .jpg or .webp/);
  });

  test('a tap the loss network lacks, named explicitly', async () => {
    await expect(run({ styleLayers: ['relu5_1'] })).rejects.toThrow(/has no tap relu5_1/);
  });

  test('no file is written when an input is bad', () => {
    expect(fs.existsSync(path.join(dir, 'bad.png'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'bad.png.json'))).toBe(false);
  });
});

describe('PerceptualObjective', () => {
  test('its gradient matches central finite differences (normalized scale, 16x16)', async () => {
    const content = await decodeImage(contentFile, { maxSize: 16 });
    const style = await decodeImage(styleFile, { maxSize: 16 });
    const obj = new PerceptualObjective({
      lossNet,
      content,
      style,
      styleLayers: ['relu1_2', 'relu2_2'],
      contentLayer: 'relu2_2',
      weights: { content: 1, style: 1, tv: 1e-3 },
      lossScale: 'normalized',
    });
    try {
      const x = Float64Array.from(content.rgb, (v, i) => v + ((i * 37) % 11) - 5); // off the content optimum
      const e = await obj.evaluate(x);
      const h = 2; // grey levels: float32 losses need a large step for a readable difference
      for (const i of [0, 101, 389, 767]) {
        const plus = Float64Array.from(x);
        const minus = Float64Array.from(x);
        plus[i] += h;
        minus[i] -= h;
        const fd = ((await obj.evaluate(plus)).value - (await obj.evaluate(minus)).value) / (2 * h);
        // 5% of the larger of the two, or an absolute floor for near-zero components.
        expect(Math.abs(e.gradient[i] - fd)).toBeLessThan(0.05 * Math.max(Math.abs(fd), Math.abs(e.gradient[i])) + 1e-6);
      }
    } finally {
      obj.dispose();
    }
  });
});
