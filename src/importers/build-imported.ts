import type { tf } from '../backend/tf';
import { buildTransformer, TransformerConfig } from '../nets/transformer';
import { sha256Hex } from './sha256';
import type { ImportedNetwork } from './types';

/**
 * The common end of every importer: builds our transformer for the config read from the file, lets the importer
 * write its weights into it (the model is disposed if that throws) and records where the network came from.
 * `hashed` is what identifies the source: the file's bytes, or a folder's manifest text.
 */
export function buildImported(
  config: TransformerConfig,
  source: { format: string; path: string; hashed: Uint8Array | string },
  writeWeights: (model: tf.LayersModel) => void,
): ImportedNetwork {
  const model = buildTransformer(config);
  try {
    writeWeights(model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    model,
    config,
    source: { format: source.format, path: source.path, sha256: sha256Hex(source.hashed), importedAt: new Date().toISOString() },
  };
}
