import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { loadVggFromFile } from '../../src/nets/loss-network';
import { describeShared, sharedPath } from '../helpers';

// The partial VGG19 in ../shared: block1–3 present, block4/5 listed in the manifest but absent.
describeShared('truncated VGG19 (tfjs layers, ../shared)', () => {
  const dir = sharedPath('models', 'vgg19-imagenet-block1-3', 'model');

  it('loads what is there and serves relu1_1 … relu3_4 only', async () => {
    const net = await loadVggFromFile(dir);
    try {
      expect(net.arch).toBe('vgg19');
      expect(net.availableTaps).toEqual(['relu1_1', 'relu1_2', 'relu2_1', 'relu2_2', 'relu3_1', 'relu3_2', 'relu3_3', 'relu3_4']);
      expect(net.description).toMatch(/^vgg19 \(tfjs layers, block1-3\) from .*vgg19-imagenet-block1-3/);
      const img = tf.randomUniform([1, 32, 40, 3], 0, 255, 'float32', 7) as tf.Tensor4D;
      const out = net.extract(img, ['relu1_1', 'relu2_2', 'relu3_4']);
      expect(out.relu1_1.shape).toEqual([1, 32, 40, 64]);
      expect(out.relu2_2.shape).toEqual([1, 16, 20, 128]);
      expect(out.relu3_4.shape).toEqual([1, 8, 10, 256]);
      expect(out.relu3_4.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(out.relu3_4.max().dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([img, out.relu1_1, out.relu2_2, out.relu3_4]);
    } finally {
      net.dispose();
    }
  });

  it('refuses relu4_1 with a UsageError naming the tap and what is available', async () => {
    const net = await loadVggFromFile(dir);
    const img = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    try {
      expect(() => net.extract(img, ['relu2_2', 'relu4_1'])).toThrow(UsageError);
      expect(() => net.extract(img, ['relu4_1'])).toThrow(/tap relu4_1 not available .*available taps are relu1_1, .*relu3_4$/);
    } finally {
      img.dispose();
      net.dispose();
    }
  });

  it('is differentiable w.r.t. the input image and leaks no tensors', async () => {
    const net = await loadVggFromFile(dir);
    const img = tf.randomUniform([1, 32, 32, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const g = tf.grad((x) => tf.sum(net.extract(x as tf.Tensor4D, ['relu2_1']).relu2_1))(img);
    expect(g.shape).toEqual([1, 32, 32, 3]);
    expect(tf.tidy(() => tf.abs(g).sum()).dataSync()[0]).toBeGreaterThan(0);
    const sum = tf.memory().numTensors - before;
    expect(sum).toBe(2); // only the gradient and that sum survive: no intermediates leak
    tf.dispose([g]);
    img.dispose();
    net.dispose();
  });
});
