import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { loadCheckpoint } from '../../src/checkpoint';
import { InputError } from '../../src/errors';
import { decodeImage } from '../../src/image/image-io';
import { detectImportFormat, engstromVariableNames, importEngstrom, importToCheckpoint } from '../../src/importers';
import { ENGSTROM_CONFIG } from '../../src/nets/transformer';
import { describeShared, sharedPath } from '../helpers';

const MODELS = 'models/engstrom-fast-style';

describe('Engstrom variable layout', () => {
  test('48 variables: kernel, IN shift (beta), IN scale (gamma) per conv, in creation order', () => {
    const names = engstromVariableNames();
    expect(names.size).toBe(48);
    expect(names.get('Variable')).toBe('conv1/kernel');
    expect(names.get('Variable_1')).toBe('in1/beta');
    expect(names.get('Variable_2')).toBe('in1/gamma');
    expect(names.get('Variable_9')).toBe('res1_conv1/kernel');
    expect(names.get('Variable_33')).toBe('res5_conv1/kernel');
    expect(names.get('Variable_39')).toBe('deconv1/kernel');
    expect(names.get('Variable_45')).toBe('deconv3/kernel');
    expect(names.get('Variable_47')).toBe('in6/gamma');
  });
});

describeShared('deeplearn.js / ml5 (Engstrom) import', () => {
  const styles = fs.existsSync(sharedPath(MODELS)) ? fs.readdirSync(sharedPath(MODELS)).sort() : [];
  let input: tf.Tensor4D;

  beforeAll(async () => {
    // 64×48 keeps six forward passes cheap on the pure-JS backend; 48 is a multiple of 4, so the size is preserved.
    const photo = fs.readdirSync(sharedPath('data/content/sample-pd')).sort()[0];
    const img = await decodeImage(sharedPath('data/content/sample-pd', photo), { resize: { width: 64, height: 48, fit: 'cover' } });
    input = tf.tensor4d(img.rgb, [1, 48, 64, 3]);
  });
  afterAll(() => input?.dispose());

  test('the six published styles are present', () => {
    expect(styles).toEqual(['la_muse', 'rain_princess', 'scream', 'udnie', 'wave', 'wreck']);
  });

  test.each(['la_muse', 'rain_princess', 'scream', 'udnie', 'wave', 'wreck'])(
    '%s imports with Engstrom config and stylizes a 64x48 photo to a 64x48 image in the tanh range',
    (style) => {
      const dir = sharedPath(MODELS, style);
      expect(detectImportFormat(dir)).toBe('engstrom-deeplearnjs');
      const net = importEngstrom(dir);
      expect(net.config).toEqual(ENGSTROM_CONFIG);
      expect(net.source.format).toBe('engstrom-deeplearnjs');
      const y = net.model.predict(input) as tf.Tensor;
      expect(y.shape).toEqual([1, 48, 64, 3]);
      const v = y.dataSync();
      let lo = Infinity, hi = -Infinity;
      for (const x of v) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
      // tanh*150+127.5 bounds the output to [-22.5, 277.5]; a real style uses a good part of 0..255.
      expect(lo).toBeGreaterThanOrEqual(-22.5);
      expect(hi).toBeLessThanOrEqual(277.5);
      expect(hi - lo).toBeGreaterThan(100);
      // Styles change the photo: the mean absolute difference from the input is large (measured 30–80 here).
      const diff = tf.tidy(() => tf.mean(tf.abs(tf.sub(y, input))).dataSync()[0]);
      expect(diff).toBeGreaterThan(10);
      y.dispose();
      net.model.dispose();
    },
  );

  test('import to a checkpoint, refuse to overwrite without force, replace with force', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-import-'));
    try {
      const out = path.join(root, 'wave');
      const r = await importToCheckpoint(sharedPath(MODELS, 'wave'), out);
      expect(r.format).toBe('engstrom-deeplearnjs');
      const loaded = await loadCheckpoint(out);
      expect(loaded.config).toEqual(ENGSTROM_CONFIG);
      expect(loaded.meta.source?.path).toBe(sharedPath(MODELS, 'wave'));
      expect(loaded.meta.source?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(loaded.meta.training).toBeUndefined();
      loaded.model.dispose();
      await expect(importToCheckpoint(sharedPath(MODELS, 'udnie'), out)).rejects.toThrow(/already exists.*--force/);
      await importToCheckpoint(sharedPath(MODELS, 'udnie'), out, { force: true });
      expect((await loadCheckpoint(out)).meta.source?.path).toBe(sharedPath(MODELS, 'udnie'));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a folder with a broken manifest is an InputError naming it', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-import-'));
    try {
      fs.writeFileSync(path.join(root, 'manifest.json'), JSON.stringify({ Variable: { filename: 'Variable', shape: [9, 9, 3, 32] } }));
      const err = (() => {
        try {
          importEngstrom(root);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err).toBeInstanceOf(InputError);
      expect(err!.message).toContain(root);
      expect(err!.message).toMatch(/lacks Variable_1/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
