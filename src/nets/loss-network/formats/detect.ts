/** Tells the weight format from the path alone (extension, or a directory holding model.json). */
import * as fs from 'fs';
import * as path from 'path';

export type WeightFormat = 'tfjs-layers' | 'keras-h5' | 'torch-pth';

export function detectWeightFormat(p: string): WeightFormat | undefined {
  const lower = p.toLowerCase();
  if (lower.endsWith('.h5') || lower.endsWith('.hdf5') || lower.endsWith('.keras.h5')) return 'keras-h5';
  if (lower.endsWith('.pth') || lower.endsWith('.pt')) return 'torch-pth';
  if (lower.endsWith('.json')) return 'tfjs-layers';
  if (fs.existsSync(p) && fs.statSync(p).isDirectory() && fs.existsSync(path.join(p, 'model.json'))) return 'tfjs-layers';
  return undefined;
}
