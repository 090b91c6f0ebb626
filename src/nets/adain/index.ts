/** AdaIN arbitrary style transfer: the AdaIN maths and the decoder (the encoder is the loss network's VGG19). */
export {
  ADAIN_EPSILON,
  adain,
  adainAffine,
  adainWithStats,
  blendAlpha,
  channelStats,
  disposeStats,
  mixedAdain,
} from './stats';
export type { ChannelAffine, ChannelStats } from './stats';
export {
  ADAIN_ENCODER_LAYERS,
  AdainDecoderConfig,
  DECODER_OUTPUT_BIAS_RGB,
  ENCODER_CHANNELS,
  ENCODER_STRIDE,
  adainDecoderSteps,
  adainDecoderWeightSpecs,
  buildAdainDecoder,
  parseAdainDecoderConfig,
} from './decoder';
export type { AdainDecoderConfigInput, AdainEncoderLayer, DecoderStep } from './decoder';
export { loadAdainEncoder } from './encoder';
export type { AdainEncoderOptions } from './encoder';
