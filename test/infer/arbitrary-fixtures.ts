// A random AdaIN model for the arbitrary-style tests: the embedded VGG19 encoder and an untrained, seeded decoder whose
// last conv is drawn at full He scale too, so its output varies by tens of levels (a fresh decoder is near-flat, which
// would make size, tiling and colour tests pass trivially).
import { tf } from '../../src/backend/tf';
import { buildAdainDecoder, type AdainDecoderConfigInput } from '../../src/nets/adain';
import { embeddedLossWeights, loadVggFromFile } from '../../src/nets/loss-network';
import { createArbitraryModel, type ArbitraryModel } from '../../src/infer/arbitrary';

export function randomDecoder(config: AdainDecoderConfigInput = { width: 0.25 }, seed = 3): tf.LayersModel {
  const decoder = buildAdainDecoder(config);
  // Every kernel re-drawn from a seed at He scale (the builder's initialisers are unseeded, so tests would vary).
  decoder.layers
    .filter((l) => l.name.startsWith('dec_conv') && !l.name.endsWith('_pad'))
    .forEach((layer, k) => {
      const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
      const [kh, kw, cin] = kernel.shape;
      layer.setWeights([tf.randomNormal(kernel.shape, 0, Math.sqrt(2 / (kh * kw * cin)), 'float32', seed + k), bias]);
    });
  return decoder;
}

export async function randomArbitraryModel(config: AdainDecoderConfigInput = { width: 0.25 }): Promise<ArbitraryModel> {
  const encoder = await loadVggFromFile(embeddedLossWeights(), 'vgg19');
  return createArbitraryModel(randomDecoder(config), config, encoder);
}
