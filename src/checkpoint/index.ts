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
