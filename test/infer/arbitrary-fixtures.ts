// A random AdaIN model for the arbitrary-style tests: the embedded VGG19 encoder and an untrained decoder whose last
// conv is re-drawn at full He scale, so its output varies by tens of levels (a fresh decoder is near-flat, which would
// make size, tiling and colour tests pass trivially).
import { tf } from '../../src/backend/tf';
import { buildAdainDecoder, type AdainDecoderConfigInput } from '../../src/nets/adain';
import { embeddedLossWeights, loadVggFromFile } from '../../src/nets/loss-network';
import { createArbitraryModel, type ArbitraryModel } from '../../src/infer/arbitrary';

export function randomDecoder(config: AdainDecoderConfigInput = { width: 0.25 }, seed = 3): tf.LayersModel {
  const decoder = buildAdainDecoder(config);
  const last = decoder.getLayer('dec_conv1_1');
  const [kernel, bias] = last.getWeights() as [tf.Tensor4D, tf.Tensor1D];
  const [kh, kw, cin] = kernel.shape;
  last.setWeights([tf.randomNormal(kernel.shape, 0, Math.sqrt(2 / (kh * kw * cin)), 'float32', seed), bias]);
  return decoder;
}

export async function randomArbitraryModel(config: AdainDecoderConfigInput = { width: 0.25 }): Promise<ArbitraryModel> {
  const encoder = await loadVggFromFile(embeddedLossWeights(), 'vgg19');
  return createArbitraryModel(randomDecoder(config), config, encoder);
}
