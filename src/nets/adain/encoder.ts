/**
 * The frozen VGG19 encoder of an AdaIN decoder, found the same way for stylizing and exporting:
 *
 *   loadAdainEncoder('relu3_1' | 'relu4_1', { encoderWeights?, log? }) -> Promise<LossNetwork>
 *
 * relu3_1: the embedded VGG19 (blocks 1–3, assets/vgg19-block1-3) unless `encoderWeights` names another file.
 * relu4_1: the loss-network lookup for a VGG19 with block 4 (--loss-weights / NST_LOSS_WEIGHTS / the cache folder):
 * users' full VGG19 files; the embedded one stops at block 3.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError, NstError } from '../../errors';
import { embeddedLossWeights, loadLossNetwork, loadVggFromFile } from '../loss-network';
import type { LossNetwork } from '../loss-network/types';

export interface AdainEncoderOptions {
  /** Encoder weights (a VGG19 file or tfjs folder); default: embedded for relu3_1, the VGG lookup for relu4_1. */
  encoderWeights?: string;
  log?: (line: string) => void;
}

export async function loadAdainEncoder(layer: string, options: AdainEncoderOptions = {}): Promise<LossNetwork> {
  if (options.encoderWeights) return loadLossNetwork({ net: 'vgg19', weights: options.encoderWeights, taps: [layer], log: options.log });
  const embedded = embeddedLossWeights();
  if (layer !== 'relu4_1' && fs.existsSync(path.join(embedded, 'model.json'))) return loadVggFromFile(embedded, 'vgg19');
  try {
    return await loadLossNetwork({ net: 'vgg19', taps: [layer], log: options.log });
  } catch (e) {
    // The loss-network message's fixes (other taps, vgg16, --loss-net) are a trainer's; a relu4_1 decoder needs this.
    if (!(e instanceof NstError)) throw e;
    throw new InputError(
      `this AdaIN decoder works at ${layer} and needs a VGG19 with block 4, which was not found (${e.message.split('. ')[0]}): run \`nst weights fetch vgg19\` or set NST_LOSS_WEIGHTS to a full VGG19 file`,
    );
  }
}
