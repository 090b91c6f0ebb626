/** Weights file → VGG feature extractor: read the format, settle the architecture, check the taps. */
import * as path from 'path';
import { InputError, UsageError } from '../../errors';
import { detectWeightFormat, WeightFormat } from './formats/detect';
import { readKerasH5Vgg } from './formats/keras-h5';
import { readTfjsLayersVgg } from './formats/tfjs-layers';
import { readTorchVgg } from './formats/torch-pth';
import type { RawVggWeights } from './types';
import { VggFeatureExtractor, presentPrefix } from './vgg-net';
import { VggArch, archFromFileName } from './vgg-layout';

export async function readVggWeights(file: string, format: WeightFormat): Promise<RawVggWeights> {
  switch (format) {
    case 'tfjs-layers':
      return readTfjsLayersVgg(file);
    case 'keras-h5':
      return readKerasH5Vgg(file);
    case 'torch-pth':
      return readTorchVgg(file);
  }
}

/**
 * The architecture: what the file says, else what was asked for, else its file name; a file that says one thing when
 * the user asked for the other is a usage error. Files truncated to block1–2 cannot tell (the two nets are identical
 * there), so they default to vgg16 — which serves the same taps.
 */
export function settleArch(raw: RawVggWeights, requested: VggArch | 'auto', file: string): VggArch {
  const fromFile = raw.archHint ?? archFromFileName(file);
  if (requested !== 'auto' && fromFile && fromFile !== requested) {
    throw new UsageError(`${file} holds ${fromFile} weights but --loss-net ${requested} was asked for: pass the matching file or --loss-net ${fromFile}`);
  }
  return requested !== 'auto' ? requested : (fromFile ?? 'vgg16');
}

function blockRange(arch: VggArch, raw: RawVggWeights): string {
  const prefix = presentPrefix(arch, raw.convs);
  const last = prefix[prefix.length - 1]?.block ?? 0;
  return last === 5 ? 'all blocks' : last <= 1 ? 'block1' : `block1-${last}`;
}

export async function loadVggFromFile(file: string, requested: VggArch | 'auto' = 'auto'): Promise<VggFeatureExtractor> {
  const format = detectWeightFormat(file);
  if (!format) {
    throw new InputError(
      `${file}: unknown loss-network weight format — pass a Keras .h5, a torchvision .pth, or a TensorFlow.js model.json (or its folder)`,
    );
  }
  const raw = await readVggWeights(file, format);
  const arch = settleArch(raw, requested, file);
  const description = `${arch} (${raw.format}, ${blockRange(arch, raw)}) from ${path.resolve(file)}`;
  return new VggFeatureExtractor(arch, raw, description, file);
}
