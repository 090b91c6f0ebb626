/**
 * Imports pytorch/examples fast_neural_style TransformerNet state_dicts (.pth, torch >= 1.6 zip format), e.g. the
 * published candy / mosaic / rain_princess / udnie models. Stale `inN.running_mean/var` keys are ignored.
 * The channel width and number of residual blocks are read from the weights, so slim variants import too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { readTorchStateDict, TorchStateDict } from '../io/torch-pth';
import { parseTransformerConfig, PYTORCH_EXAMPLES_CONFIG, TransformerConfig } from '../nets/transformer';
import { buildImported } from './build-imported';
import { setWeightsFromTorchStateDict } from '../nets/torch-mapping';
import type { ImportedNetwork } from './types';

export const PYTORCH_EXAMPLES_FORMAT = 'pytorch-examples';

/** The config a pytorch/examples state_dict needs: their architecture, width and depth read from the weights. */
export function configFromTorchStateDict(dict: TorchStateDict, source: string): TransformerConfig {
  const conv1 = dict.get('conv1.conv2d.weight');
  if (!conv1 || conv1.shape.length !== 4) {
    throw new InputError(`${source}: no conv1.conv2d.weight, so not a pytorch/examples fast_neural_style TransformerNet state_dict`);
  }
  const residualBlocks = new Set([...dict.keys()].map((k) => /^res(\d+)\./.exec(k)?.[1]).filter(Boolean)).size;
  return parseTransformerConfig({ ...PYTORCH_EXAMPLES_CONFIG, width: conv1.shape[0] / 32, residualBlocks }, source);
}

export function importPytorchExamples(file: string): ImportedNetwork {
  const abs = path.resolve(file);
  const bytes = readBytes(abs);
  const dict = readTorchStateDict(bytes, abs);
  const config = configFromTorchStateDict(dict, abs);
  return buildImported(config, { format: PYTORCH_EXAMPLES_FORMAT, path: abs, hashed: bytes }, (model) =>
    setWeightsFromTorchStateDict(model, config, dict, abs),
  );
}

function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
