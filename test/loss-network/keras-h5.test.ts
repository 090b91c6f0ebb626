import * as path from 'path';
import { tf } from '../../src/backend/tf';
import { InputError, UsageError } from '../../src/errors';
import { loadVggFromFile } from '../../src/nets/loss-network';
import { kerasWeightKind } from '../../src/nets/loss-network/formats/keras-h5';
import { maxAbsDiff, readF32, relError } from '../helpers';

// Fixtures from scripts/make-h5-fixture.py: random VGG block1 weights with Keras' real names, in three layouts.
const FIX = path.join(__dirname, '..', 'fixtures', 'vgg');
const LEGACY_H5 = path.join(FIX, 'vgg16-notop-block1.h5');
const KERAS2_H5 = path.join(FIX, 'vgg19-keras2-block1.h5');
const TFJS = path.join(FIX, 'vgg16-block1-tfjs');

function input8(): tf.Tensor4D {
  return tf.tensor4d(readF32(path.join(FIX, 'input-8x8.f32')), [1, 8, 8, 3]);
}

describe('Keras .h5 loss weights', () => {
  it('names the kernel and bias datasets of both Keras generations', () => {
    expect(kerasWeightKind('block1_conv1_W_1:0')).toBe('kernel');
    expect(kerasWeightKind('block1_conv1_b_1:0')).toBe('bias');
    expect(kerasWeightKind('block1_conv1/kernel:0')).toBe('kernel');
    expect(kerasWeightKind('block1_conv1/bias:0')).toBe('bias');
    expect(kerasWeightKind('bn/moving_mean:0')).toBeUndefined();
  });

  it('the published-notop layout loads block1 and matches an independent numpy reference (caffe preprocessing)', async () => {
    const net = await loadVggFromFile(LEGACY_H5);
    try {
      expect(net.arch).toBe('vgg16'); // from the file name: block1 alone cannot tell
      expect(net.availableTaps).toEqual(['relu1_1', 'relu1_2']);
      expect(net.description).toMatch(/^vgg16 \(keras h5, block1\) from /);
      const x = input8();
      const out = net.extract(x, ['relu1_1', 'relu1_2']);
      // float32 convs vs float64 numpy, activations up to ~1e3: relative error within float32 rounding (1e-6).
      expect(relError(out.relu1_1.dataSync(), readF32(path.join(FIX, 'relu1_1-8x8.f32')))).toBeLessThan(1e-6);
      expect(relError(out.relu1_2.dataSync(), readF32(path.join(FIX, 'relu1_2-8x8.f32')))).toBeLessThan(1e-6);
      tf.dispose([x, out.relu1_1, out.relu1_2]);
    } finally {
      net.dispose();
    }
  });

  it('gives the same activations as the same weights in TensorFlow.js layers format', async () => {
    const h5 = await loadVggFromFile(LEGACY_H5);
    const tfjs = await loadVggFromFile(TFJS);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 255, 'float32', 11) as tf.Tensor4D;
    try {
      // The tfjs copy lists block2_conv1 without its shard: it serves block1 only, like the .h5.
      expect(tfjs.availableTaps).toEqual(['relu1_1', 'relu1_2']);
      const a = h5.extract(x, ['relu1_2']);
      const b = tfjs.extract(x, ['relu1_2']);
      expect(a.relu1_2.shape).toEqual([2, 32, 32, 64]);
      expect(maxAbsDiff(a.relu1_2.dataSync(), b.relu1_2.dataSync())).toBe(0); // same bytes, same ops
      tf.dispose([a.relu1_2, b.relu1_2]);
    } finally {
      tf.dispose(x);
      h5.dispose();
      tfjs.dispose();
    }
  });

  it('a Keras 2 whole-model save (model_weights, …/kernel:0) loads the same weights', async () => {
    const legacy = await loadVggFromFile(LEGACY_H5);
    const keras2 = await loadVggFromFile(KERAS2_H5, 'vgg19');
    const x = input8();
    try {
      expect(keras2.arch).toBe('vgg19');
      const a = legacy.extract(x, ['relu1_2']);
      const b = keras2.extract(x, ['relu1_2']);
      expect(maxAbsDiff(a.relu1_2.dataSync(), b.relu1_2.dataSync())).toBe(0);
      tf.dispose([a.relu1_2, b.relu1_2]);
    } finally {
      x.dispose();
      legacy.dispose();
      keras2.dispose();
    }
  });

  it('a file named vgg19 used as --loss-net vgg16 is a usage error', async () => {
    await expect(loadVggFromFile(KERAS2_H5, 'vgg16')).rejects.toThrow(UsageError);
    await expect(loadVggFromFile(KERAS2_H5, 'vgg16')).rejects.toThrow(/holds vgg19 weights but --loss-net vgg16/);
  });

  it('a file that is not HDF5 is an InputError naming it', async () => {
    await expect(loadVggFromFile(path.join(FIX, 'input-8x8.f32'))).rejects.toThrow(/unknown loss-network weight format/);
    await expect(loadVggFromFile(path.join(TFJS, 'group1-shard1of1') + '.h5')).rejects.toThrow(InputError);
  });
});
