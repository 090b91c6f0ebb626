import type { tf } from '../backend/tf';
import type { SourceInfo } from '../checkpoint/format';
import type { TransformerConfig } from '../nets/transformer';

/** A network read from another tool's files, ready to save as a checkpoint or to run. */
export interface ImportedNetwork {
  model: tf.LayersModel;
  config: TransformerConfig;
  source: SourceInfo;
}
