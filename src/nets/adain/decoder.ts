/**
 * The AdaIN decoder (Huang & Belongie 2017) as a tfjs LayersModel: it inverts the frozen VGG19 encoder, mapping AdaIN
 * targets at `encoderLayer` back to an RGB image. It mirrors the encoder — 3×3 reflection-padded convs + ReLU, a nearest
 * ×2 upsampling where the encoder max-pools, no normalisation (norm layers would wash out the style statistics AdaIN
 * just put in) — and ends in a linear conv on the 0–255 scale.
 *
 *   relu3_1: conv3_1 256→128, up, conv2_2 128→128, conv2_1 128→64, up, conv1_2 64→64, conv1_1 64→3
 *   relu4_1: conv4_1 512→256, up, conv3_4 conv3_3 conv3_2 256→256, conv3_1 256→128, up, conv2_2 128, conv2_1 128→64,
 *            up, conv1_2 64, conv1_1 64→3   (the published decoder)
 *
 * Each conv is named after the encoder conv it mirrors, `dec_convB_I` (weights `dec_convB_I/kernel`, `/bias`): these
 * names key checkpoints and must not change. Helper layers are `dec_convB_I_pad`, `dec_reluB_I` and `dec_upB` (the
 * upsampling into block B's resolution). Input [null, null, null, C] (C = 256 for relu3_1, 512 for relu4_1); the
 * output is (input size) × 4 for relu3_1, × 8 for relu4_1, unclamped.
 */
import { z } from 'zod';
import { tf } from '../../backend/tf';
import { UsageError } from '../../errors';
import { ReflectionPad2D } from '../layers';
import { layerSeeds } from '../seeds';
// Its gradient replaces tfjs' JS one, which is wrong past the first image of a batch.
import '../ops/resize-nearest';

export const ADAIN_ENCODER_LAYERS = ['relu3_1', 'relu4_1'] as const;
export type AdainEncoderLayer = (typeof ADAIN_ENCODER_LAYERS)[number];

export const AdainDecoderConfig = z
  .object({
    /** The encoder tap the AdaIN layer works at (the paper: relu4_1; the embedded 3-block VGG serves up to relu3_x). */
    encoderLayer: z.enum(ADAIN_ENCODER_LAYERS).default('relu3_1'),
    /** Channel multiplier of the hidden convs (the input stays the encoder's width, the output 3 channels). */
    width: z.number().positive().max(4).default(1),
  })
  .strict();
export type AdainDecoderConfig = z.infer<typeof AdainDecoderConfig>;
export type AdainDecoderConfigInput = z.input<typeof AdainDecoderConfig>;

export function parseAdainDecoderConfig(input: unknown, where = 'decoder config'): AdainDecoderConfig {
  const r = AdainDecoderConfig.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UsageError(`${where}: invalid AdaIN decoder config (${issues})`);
  }
  return r.data;
}

/** VGG19 channels of each encoder tap the decoder can start from. */
export const ENCODER_CHANNELS: Record<AdainEncoderLayer, number> = { relu3_1: 256, relu4_1: 512 };

/** How much smaller than the image the encoder's features at a layer are (max-pools before it). */
export const ENCODER_STRIDE: Record<AdainEncoderLayer, number> = { relu3_1: 4, relu4_1: 8 };

/** One step of the decoder, in forward order. */
export type DecoderStep =
  | { kind: 'conv'; layer: string; inChannels: number; outChannels: number; relu: boolean }
  | { kind: 'up'; layer: string };

/** The decoder's steps for a config: what the builder makes, and what exporters walk. */
export function adainDecoderSteps(config: AdainDecoderConfig): DecoderStep[] {
  const ch = (n: number) => Math.max(1, Math.round(n * config.width));
  // Mirror of the encoder from `encoderLayer` down: [encoder conv name, its in-channels (our out), its out (our in)].
  const mirror: Array<[string, number] | 'up'> =
    config.encoderLayer === 'relu4_1'
      ? [['4_1', 256], 'up', ['3_4', 256], ['3_3', 256], ['3_2', 256], ['3_1', 128], 'up', ['2_2', 128], ['2_1', 64], 'up', ['1_2', 64], ['1_1', 3]]
      : [['3_1', 128], 'up', ['2_2', 128], ['2_1', 64], 'up', ['1_2', 64], ['1_1', 3]];
  const steps: DecoderStep[] = [];
  let inChannels = ENCODER_CHANNELS[config.encoderLayer];
  let block = Number(config.encoderLayer[4]);
  for (const m of mirror) {
    if (m === 'up') {
      block -= 1;
      steps.push({ kind: 'up', layer: `dec_up${block}` });
      continue;
    }
    const [name, out] = m;
    const last = name === '1_1';
    const outChannels = last ? 3 : ch(out);
    steps.push({ kind: 'conv', layer: `dec_conv${name}`, inChannels, outChannels, relu: !last });
    inChannels = outChannels;
  }
  return steps;
}

/** Every weight of the decoder for a config, in forward order: saved name and shape. */
export function adainDecoderWeightSpecs(config: AdainDecoderConfig): Array<{ name: string; shape: number[] }> {
  return adainDecoderSteps(config).flatMap((s) =>
    s.kind === 'conv'
      ? [
          { name: `${s.layer}/kernel`, shape: [3, 3, s.inChannels, s.outChannels] },
          { name: `${s.layer}/bias`, shape: [s.outChannels] },
        ]
      : [],
  );
}

/**
 * Where the last conv's bias starts: the ImageNet mean colour (RGB), so a fresh decoder outputs a near-flat image of
 * the average photo's colour. That is the colour the caffe-preprocessed encoder maps to ~0, and the closest flat image
 * (in MSE) to typical photos and paintings — slightly closer than mid-grey 127.5, which is what it replaces.
 */
export const DECODER_OUTPUT_BIAS_RGB = [123.68, 116.779, 103.939] as const;

type SymbolicTensor = tf.SymbolicTensor;

/** Builds the decoder with fresh weights (He-initialised hidden convs, a small last kernel, bias at the mean colour). */
export function buildAdainDecoder(configInput: AdainDecoderConfigInput | AdainDecoderConfig = {}, options: { seed?: number } = {}): tf.LayersModel {
  const config = parseAdainDecoderConfig(configInput);
  const seeds = layerSeeds(options.seed);
  const input = tf.input({ shape: [null, null, ENCODER_CHANNELS[config.encoderLayer]], name: 'features', dtype: 'float32' });
  let y: SymbolicTensor = input;
  for (const s of adainDecoderSteps(config)) {
    if (s.kind === 'up') {
      y = tf.layers.upSampling2d({ name: s.layer, size: [2, 2], interpolation: 'nearest' }).apply(y) as SymbolicTensor;
      continue;
    }
    const b = s.layer.slice('dec_conv'.length);
    y = new ReflectionPad2D({ padding: 1, name: `${s.layer}_pad` }).apply(y) as SymbolicTensor;
    y = tf.layers
      .conv2d({
        name: s.layer,
        filters: s.outChannels,
        kernelSize: 3,
        padding: 'valid',
        useBias: true,
        // No normalisation: He init keeps the ReLU stack's activations at the input's scale. The last conv starts
        // small so a fresh decoder is a near-flat image at the bias colour rather than noise of ±hundreds.
        kernelInitializer: s.relu
          ? tf.initializers.heNormal({ seed: seeds() })
          : tf.initializers.varianceScaling({ scale: 0.01, mode: 'fanAvg', distribution: 'uniform', seed: seeds() }),
      })
      .apply(y) as SymbolicTensor;
    if (s.relu) {
      y = tf.layers.reLU({ name: `dec_relu${b}` }).apply(y) as SymbolicTensor;
    } else {
      const bias = tf.tensor1d([...DECODER_OUTPUT_BIAS_RGB]);
      (y.sourceLayer as tf.layers.Layer).weights[1].write(bias);
      bias.dispose();
    }
  }
  return tf.model({ inputs: input, outputs: y, name: `adain_decoder_${config.encoderLayer}` });
}
