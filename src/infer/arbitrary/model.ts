/**
 * An AdaIN arbitrary-style model: the frozen VGG19 encoder plus a trained decoder.
 *
 *   loadArbitraryModel(dir?, options) -> Promise<ArbitraryModel>   default: the decoder embedded in assets/adain-decoder
 *   createArbitraryModel(decoder, config, encoder)                   from objects in memory (tests, the trainer's previews)
 *
 * The encoder must be the network the decoder was trained against. For relu3_1 decoders that is the embedded VGG19
 * (blocks 1–3, Keras caffe preprocessing) unless `encoderWeights` names another; relu4_1 needs a full VGG19, found by
 * the loss-network lookup (net vgg19) — with the preprocessing the checkpoint records, or it is refused.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../../backend/tf';
import { embeddedAdainDecoderDir, loadAdainCheckpoint, readCheckpointKind, wrongKindError, type AdainNstJson } from '../../checkpoint';
import { InputError } from '../../errors';
import type { LossNetwork } from '../../nets/loss-network/types';
import { loadAdainEncoder, type AdainEncoderOptions } from '../../nets/adain/encoder';
import { AdainDecoderConfig, ENCODER_STRIDE, parseAdainDecoderConfig, type AdainDecoderConfigInput } from '../../nets/adain';

export { embeddedAdainDecoderDir };

export interface ArbitraryModel {
  readonly encoder: LossNetwork;
  readonly decoder: tf.LayersModel;
  readonly config: AdainDecoderConfig;
  /** The encoder tap AdaIN works at (config.encoderLayer). */
  readonly layer: string;
  /** Image sides must be multiples of this (the encoder's max-pools before `layer`). */
  readonly stride: number;
  /** What was loaded, for logs: the checkpoint folder, or 'in-memory decoder'. */
  readonly source: string;
  readonly meta?: AdainNstJson;
  dispose(): void;
}

/** Wraps a decoder and encoder; the model owns both (dispose frees them). */
export function createArbitraryModel(
  decoder: tf.LayersModel,
  config: AdainDecoderConfigInput | AdainDecoderConfig,
  encoder: LossNetwork,
  source = 'in-memory decoder',
  meta?: AdainNstJson,
): ArbitraryModel {
  const parsed = parseAdainDecoderConfig(config);
  if (!encoder.availableTaps.includes(parsed.encoderLayer)) {
    throw new InputError(`the encoder ${encoder.description} has no ${parsed.encoderLayer}, which this decoder needs (taps: ${encoder.availableTaps.join(', ')})`);
  }
  let disposed = false;
  return {
    encoder,
    decoder,
    config: parsed,
    layer: parsed.encoderLayer,
    stride: ENCODER_STRIDE[parsed.encoderLayer],
    source,
    meta,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      decoder.dispose();
      encoder.dispose();
    },
  };
}

export type LoadArbitraryOptions = AdainEncoderOptions;
export { loadAdainEncoder };

/**
 * Opens an AdaIN checkpoint folder (default: the embedded decoder) and its encoder. A per-style checkpoint here is
 * one error naming both kinds; so is a missing embedded decoder (with the fix).
 */
export async function loadArbitraryModel(dir?: string, options: LoadArbitraryOptions = {}): Promise<ArbitraryModel> {
  const target = dir ?? embeddedAdainDecoderDir();
  if (!dir && !fs.existsSync(path.join(target, 'nst.json'))) {
    throw new InputError(`this nst has no embedded AdaIN decoder (${target} is missing): pass --model ADAIN_CKPT (an AdaIN checkpoint folder)`);
  }
  const kind = fs.existsSync(target) && fs.statSync(target).isDirectory() ? readCheckpointKind(target) : undefined;
  if (kind && kind !== 'adain') throw wrongKindError(target, kind, 'adain');
  const ckpt = await loadAdainCheckpoint(target);
  let encoder: LossNetwork;
  try {
    encoder = await loadAdainEncoder(ckpt.config.encoderLayer, options);
  } catch (e) {
    ckpt.model.dispose();
    throw e;
  }
  const expected = ckpt.meta.encoder.preprocessing;
  const actual = encoder.preprocessing;
  if (actual && actual !== expected) {
    ckpt.model.dispose();
    encoder.dispose();
    throw new InputError(
      `${ckpt.dir}: the decoder was trained with a ${expected}-preprocessed VGG19, but the encoder found is ${encoder.description} (${actual}): set NST_LOSS_WEIGHTS to the VGG19 it was trained on`,
    );
  }
  return createArbitraryModel(ckpt.model, ckpt.config, encoder, ckpt.dir, ckpt.meta);
}
