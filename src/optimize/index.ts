/**
 * Per-image style optimization (Gatys et al. 2016): the quality reference beside the fast network.
 *
 *   optimizeImage(options, { hooks, lossNetwork })  -> Promise<OptimizeResult>   writes the image and <output>.json
 *   PerceptualObjective                             the training loss of one image's pixels: value, gradient, terms
 *   Lbfgs, Adam                                     the optimizers, pure maths over Float64Array
 */
export { optimizeImage, OptimizationDivergedError } from './run';
export { parseSize, parseSynthesizeConfig, synthesizeTexture, SynthesizeConfigSchema } from './synthesize';
export type { SynthesizeConfig, SynthesizeConfigInput } from './synthesize';
export type { OptimizeResult, OptimizeHooks, OptimizeOptions, StepRecord } from './run';
export {
  OptimizeConfigSchema,
  parseOptimizeConfig,
  learningRateOf,
  DEFAULT_OPTIMIZER,
  DEFAULT_LR,
  OPTIMIZERS,
} from './config';
export type { OptimizeConfig, OptimizeConfigInput, OptimizerName } from './config';
export { PerceptualObjective } from './objective';
export type { LossTerms, ImageEvaluation, PerceptualObjectiveOptions } from './objective';
export { Lbfgs, twoLoopDirection } from './lbfgs';
export type { Evaluation, Objective, LbfgsOptions, LbfgsStepResult } from './lbfgs';
export { Adam } from './adam';
export type { AdamOptions } from './adam';
export { initialPixels, clampPixels } from './init';
export { lossesFileOf, previewFileOf } from './output';
