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
  return loadLossNetwork({ net: 'vgg19', taps: [layer], log: options.log });
}
