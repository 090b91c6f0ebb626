/** @jest-environment ./test/export/ort-environment.js */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { saveCheckpoint } from '../../src/checkpoint';
import { exportCheckpoint } from '../../src/export';
import { parseTransformerConfig } from '../../src/nets/transformer';
import { nstInProcess } from '../cli-in-process';
import { maxAbsDiff } from '../helpers';
import { nchwToNhwc, nhwcToNchw, randomImage, randomNet, tfjsForward } from './net-fixtures';

const nst = (...args: string[]) => nstInProcess(args);

describe('nst export', () => {
  const config = parseTransformerConfig({ width: 0.25, residualBlocks: 2 });
  let tmp: string;
  let ckpt: string;
  const model = randomNet(config, 9);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-export-'));
    ckpt = path.join(tmp, 'ckpt');
    await saveCheckpoint(ckpt, { model, config });
  });
  afterAll(() => {
    model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('--format onnx writes a model ONNX Runtime runs, matching the checkpoint', async () => {
    const out = path.join(tmp, 'style.onnx');
    const r = await nst('export', ckpt, '--format', 'onnx', '--out', out, '--backend', 'cpu');
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/exported onnx -> .*style\.onnx \(1 file, [\d.]+ KiB\)/);
    const [h, w] = [36, 28];
    const image = randomImage(h, w);
    const session = await ort.InferenceSession.create(out);
    const y = (await session.run({ input: new ort.Tensor('float32', nhwcToNchw(image, h, w), [1, 3, h, w]) })).output;
    await session.release();
    expect(maxAbsDiff(nchwToNhwc(y.data as Float32Array, h, w), tfjsForward(model, image, h, w).data)).toBeLessThanOrEqual(1e-2);
  });

  test('an existing output is kept without --force and replaced with it', async () => {
    const out = path.join(tmp, 'kept.onnx');
    fs.writeFileSync(out, 'precious');
    const refused = await nst('export', ckpt, '--format', 'onnx', '--out', out, '--backend', 'cpu');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^nst: error: .*kept\.onnx: already exists; pass --force to replace it/m);
    expect(fs.readFileSync(out, 'utf8')).toBe('precious');
    const forced = await nst('export', ckpt, '--format', 'onnx', '--out', out, '--force', '--backend', 'cpu');
    expect(forced.code).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(100000);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]); // no temp files left behind
  });

  test('--format tfjs --quantize uint8 writes the web folder; --force replaces a previous export but not another folder', async () => {
    const out = path.join(tmp, 'web-model');
    const r = await nst('export', ckpt, '--format', 'tfjs', '--quantize', 'uint8', '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/exported tfjs, uint8 weights -> .*web-model \(3 files/);
    expect(fs.readdirSync(out).sort()).toEqual(['model.json', 'nst-layers.js', 'weights.bin']);
    expect((await nst('export', ckpt, '--format', 'tfjs', '--out', out, '--force', '--backend', 'cpu')).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).userDefinedMetadata.nst.quantization).toBe('none');

    const unrelated = path.join(tmp, 'photos');
    fs.mkdirSync(unrelated);
    fs.writeFileSync(path.join(unrelated, 'holiday.jpg'), 'x');
    const refused = await nst('export', ckpt, '--format', 'tfjs', '--out', unrelated, '--force', '--backend', 'cpu');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/photos: is a folder that is not an nst export \(no model\.json\)/);
    expect(fs.readdirSync(unrelated)).toEqual(['holiday.jpg']);
  });

  test('a missing or broken checkpoint is a one-line error naming it, and nothing is written', async () => {
    const out = path.join(tmp, 'never.onnx');
    const missing = await nst('export', path.join(tmp, 'nope'), '--format', 'onnx', '--out', out, '--backend', 'cpu');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^nst: error: .*nope/m);
    expect(missing.err.trim().split('\n')).toHaveLength(1);

    const broken = path.join(tmp, 'broken');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'nst.json'), '{"formatVersion": 1, "network": {"width": "wide"}}');
    const bad = await nst('export', broken, '--format', 'onnx', '--out', out, '--backend', 'cpu');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/^nst: error: .*broken/m);

    const noWeights = path.join(tmp, 'no-weights');
    await saveCheckpoint(noWeights, { model, config });
    fs.rmSync(path.join(noWeights, 'weights.bin'));
    const partial = await nst('export', noWeights, '--format', 'tfjs', '--out', path.join(tmp, 'never-web'), '--backend', 'cpu');
    expect(partial.code).toBe(1);
    expect(partial.err).toMatch(/^nst: error: .*no-weights: cannot load the model/m);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'never-web'))).toBe(false);
  });

  test('--quantize with --format onnx is refused before any work', async () => {
    await expect(exportCheckpoint(ckpt, { format: 'onnx', out: path.join(tmp, 'q.onnx'), quantize: 'uint8' })).rejects.toThrow(
      /--quantize applies to --format tfjs only/,
    );
  });
});
