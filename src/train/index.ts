/**
 * Training, as a library (the CLI's `nst train` is a thin layer over this):
 *
 *   import { train } from 'nst';
 *   const result = await train({ style: 'udnie.jpg', data: ['photos/'], out: 'checkpoints/udnie', iterations: 2000 });
 *   await train({ iterations: 4000 }, { resume: 'checkpoints/udnie' });   // continue exactly
 */
export { train } from './per-style';
export type { TrainResult } from './per-style';
export { checkpointDirOf } from './session';
export { TrainingDivergedError } from './loop';
export type { TrainHooks, StepReport, StepLosses, TrainingTask } from './task';
export { parseTrainConfig, TrainConfigSchema, DEFAULT_WEIGHTS, totalSteps } from './config';
export type { TrainConfig, TrainConfigInput } from './config';
export { gram, contentLoss, styleLayerLoss, styleLoss, totalVariation, perceptualLoss, styleTargetsFrom } from '../losses/perceptual';
export type { StyleTarget, LossWeights, PerceptualLoss } from '../losses/perceptual';
export { listImages, loadCroppedImage, BatchStream, epochOrder } from './data';
export type { Batch, DataCursor, DataStats } from './data';
export { resolveTaps, DEFAULT_STYLE_LAYERS, DEFAULT_CONTENT_LAYER } from '../losses/taps';
export { Rng } from '../util/rng';
export { defaultDeps } from './deps';
export type { TrainDeps, CheckpointStore } from './deps';
export { installStopSignals } from '../util/signals';
