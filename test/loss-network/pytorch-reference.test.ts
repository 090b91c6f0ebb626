import * as fs from 'fs';
import { tf } from '../../src/backend/tf';
import { loadVggFromFile } from '../../src/nets/loss-network';
import { describeShared, readF32, relError, sharedPath } from '../helpers';

// An independent check of the real VGG19 weights, the caffe preprocessing and the gradient through the network:
// ../shared/models/pytorch-train-step holds PyTorch float64 losses (and d loss / d image) computed through this same
// partial VGG19. We recompute its content and per-layer style losses from its stored images (see its fixture.json
// for the definitions) with our loss network.
describeShared('loss network vs PyTorch (pytorch-train-step fixture)', () => {
  const dir = sharedPath('models', 'pytorch-train-step');
  const fx = JSON.parse(fs.readFileSync(`${dir}/fixture.json`, 'utf8'));
  const load4 = (f: string, shape: number[]) => tf.tensor4d(readF32(`${dir}/${f}`), shape as [number, number, number, number]);

  function gram(f: tf.Tensor4D): tf.Tensor3D {
    const [n, h, w, c] = f.shape;
    const m = tf.reshape(f, [n, h * w, c]);
    return tf.div(tf.matMul(m, m, true, false), c * h * w) as tf.Tensor3D;
  }

  function termImageGrad(term: string): Float32Array {
    const e = fx['grad-terms.f32'].find((g: { term: string; name: string }) => g.term === term && g.name === '__image__');
    const all = readF32(`${dir}/grad-terms.f32`);
    return all.subarray(e.offset_floats, e.offset_floats + 2 * 64 * 64 * 3);
  }

  it('content and per-layer style losses, and their gradients w.r.t. the image, match PyTorch', async () => {
    const net = await loadVggFromFile(sharedPath('models', 'vgg19-imagenet-block1-3', 'model'));
    const batch = load4('batch.f32', fx.inputs['batch.f32']);
    const style = load4('style.f32', fx.inputs['style.f32']);
    const y = load4('output.f32', [2, 64, 64, 3]);
    const styleLayers = ['relu1_2', 'relu2_2', 'relu3_3'];
    try {
      const styleGrams = tf.tidy(() => {
        const f = net.extract(style, styleLayers);
        return styleLayers.map((t) => gram(f[t]));
      });
      const contentTarget = tf.tidy(() => net.extract(batch, ['relu2_2']).relu2_2);
      const contentLoss = (img: tf.Tensor4D) => tf.mean(tf.squaredDifference(net.extract(img, ['relu2_2']).relu2_2, contentTarget)) as tf.Scalar;
      const styleLayerLosses = (img: tf.Tensor4D) => {
        const f = net.extract(img, styleLayers);
        return styleLayers.map((t, i) => tf.mean(tf.squaredDifference(gram(f[t]), styleGrams[i])) as tf.Scalar);
      };
      const styleLoss = (img: tf.Tensor4D) => tf.addN(styleLayerLosses(img)) as tf.Scalar;

      // float32 through up to 7 convs vs PyTorch float64. Measured on the cpu backend: 2.5e-8 (content), 2e-8–6e-8 (style
      // per layer); we allow 1e-5, room for other backends' conv algorithms (e.g. Winograd, ~1e-6).
      const content = tf.tidy(() => contentLoss(y)).dataSync()[0];
      expect(Math.abs(content - fx.losses.content) / fx.losses.content).toBeLessThan(1e-5);
      const perLayer = tf.tidy(() => tf.stack(styleLayerLosses(y))).dataSync();
      styleLayers.forEach((t, i) => {
        const v = perLayer[i];
        expect({ tap: t, rel: Math.abs(v - fx.losses.style_per_layer[t]) / fx.losses.style_per_layer[t] < 1e-5 }).toEqual({ tap: t, rel: true });
      });

      // Gradients w.r.t. the image. Measured: 3.1e-7 (content), 1.7e-7 (style); the fixture's float32 hint is ~2e-3.
      // We allow 1e-4.
      const gContent = tf.grad((img) => contentLoss(img as tf.Tensor4D))(y);
      const gStyle = tf.grad((img) => styleLoss(img as tf.Tensor4D))(y);
      expect(relError(gContent.dataSync(), termImageGrad('content'))).toBeLessThan(1e-4);
      expect(relError(gStyle.dataSync(), termImageGrad('style'))).toBeLessThan(1e-4);
      tf.dispose([gContent, gStyle, contentTarget, ...styleGrams]);
    } finally {
      tf.dispose([batch, style, y]);
      net.dispose();
    }
  });
});
