import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { InputError } from '../../src/errors';
import { loadVggFromFile } from '../../src/nets/loss-network';
import { archFromFeatureIndices, parseFeatureKey } from '../../src/nets/loss-network/formats/torch-pth';
import { maxAbsDiff, readF32, relError } from '../helpers';
import { OIHW_TO_HWIO, permuteArray } from '../../src/io/tensor-layout';

// scripts/make-h5-fixture.py writes the same block1 weights as a torchvision state_dict (OIHW) with torch.save.
const FIX = path.join(__dirname, '..', 'fixtures', 'vgg');

describe('torchvision .pth loss weights', () => {
  it('maps torchvision feature indices and tells VGG16 from VGG19', () => {
    expect(parseFeatureKey('features.16.weight')).toEqual({ index: 16, kind: 'weight' });
    expect(parseFeatureKey('module.features.0.bias')).toEqual({ index: 0, kind: 'bias' });
    expect(parseFeatureKey('classifier.0.weight')).toBeUndefined();
    expect(archFromFeatureIndices(new Set([0, 2, 5, 7, 10, 12, 14, 16, 19]))).toBe('vgg19');
    expect(archFromFeatureIndices(new Set([0, 2, 5, 7, 10, 12, 14, 17]))).toBe('vgg16');
    expect(archFromFeatureIndices(new Set([0, 2]))).toBeUndefined();
  });

  it('permutes OIHW kernels to HWIO exactly like tf.transpose(k, [2, 3, 1, 0])', () => {
    const shape = [5, 4, 3, 2];
    const src = Float32Array.from({ length: 120 }, (_, i) => i * 0.5 - 7);
    const expected = tf.tidy(() => tf.transpose(tf.tensor4d(src, shape as [number, number, number, number]), [2, 3, 1, 0]).dataSync());
    expect(Array.from(permuteArray(src, shape, OIHW_TO_HWIO))).toEqual(Array.from(expected));
  });

  it('loads block1 (OIHW → HWIO) and matches the numpy reference with torchvision preprocessing', async () => {
    const net = await loadVggFromFile(path.join(FIX, 'vgg16-features-block1.pth'));
    const x = tf.tensor4d(readF32(path.join(FIX, 'input-8x8.f32')), [1, 8, 8, 3]);
    try {
      expect(net.arch).toBe('vgg16');
      expect(net.availableTaps).toEqual(['relu1_1', 'relu1_2']);
      expect(net.description).toMatch(/^vgg16 \(torchvision pth, block1\) from /);
      const out = net.extract(x, ['relu1_2']);
      // float32 vs float64 numpy: relative error at float32 rounding level.
      expect(relError(out.relu1_2.dataSync(), readF32(path.join(FIX, 'relu1_2-8x8-torch.f32')))).toBeLessThan(1e-6);
      out.relu1_2.dispose();
    } finally {
      x.dispose();
      net.dispose();
    }
  });

  // torchvision's published VGG files (vgg16-397923af.pth, …) use torch's legacy (< 1.6) serialization.
  it('a legacy (torch < 1.6) file loads the same weights as the zip-format copy', async () => {
    const zip = await loadVggFromFile(path.join(FIX, 'vgg16-features-block1.pth'));
    const legacy = await loadVggFromFile(path.join(FIX, 'vgg16-legacy-block1.pth'));
    const x = tf.tensor4d(readF32(path.join(FIX, 'input-8x8.f32')), [1, 8, 8, 3]);
    try {
      expect(legacy.availableTaps).toEqual(['relu1_1']); // the legacy fixture holds features.0 only
      const a = zip.extract(x, ['relu1_1']);
      const b = legacy.extract(x, ['relu1_1']);
      expect(maxAbsDiff(a.relu1_1.dataSync(), b.relu1_1.dataSync())).toBe(0);
      tf.dispose([a.relu1_1, b.relu1_1]);
    } finally {
      x.dispose();
      zip.dispose();
      legacy.dispose();
    }
  });

  it('a .pth that is not a torch save is an InputError naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-pth-'));
    const fake = path.join(dir, 'vgg16-fake.pth');
    fs.copyFileSync(path.join(FIX, 'vgg16-notop-block1.h5'), fake);
    try {
      const attempt = loadVggFromFile(fake);
      await expect(attempt).rejects.toThrow(InputError);
      await expect(attempt).rejects.toThrow(/vgg16-fake\.pth/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
