import { NotImplementedError } from '../../../errors';
import type { RawVggWeights } from '../types';

export function readKerasH5Vgg(file: string): RawVggWeights {
  throw new NotImplementedError(`reading Keras .h5 loss weights (${file})`);
}
