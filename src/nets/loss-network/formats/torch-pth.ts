import { NotImplementedError } from '../../../errors';
import type { RawVggWeights } from '../types';

export async function readTorchVgg(file: string): Promise<RawVggWeights> {
  throw new NotImplementedError(`reading torchvision .pth loss weights (${file})`);
}
