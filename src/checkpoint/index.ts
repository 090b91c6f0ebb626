export * from './checkpoint';
export {
  CHECKPOINT_FORMAT_VERSION,
  CheckpointMetaInput,
  MODEL_JSON,
  NST_JSON,
  NstJson,
  SourceInfo,
  TrainingInfo,
  WEIGHTS_BIN,
} from './format';
export { CHECKPOINT_KINDS, readCheckpointKind, wrongKindError } from './kind';
export type { CheckpointKind } from './kind';
export {
  AdainEncoderInfo,
  AdainNstJson,
  AdainTrainingInfo,
  embeddedAdainDecoderDir,
  loadAdainCheckpoint,
  readAdainCheckpointMeta,
  saveAdainCheckpoint,
} from './adain';
export type { LoadedAdainCheckpoint, SaveAdainCheckpointOptions } from './adain';
