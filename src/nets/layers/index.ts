/** Importing this module registers every custom layer with tfjs' serialization, so tf.loadLayersModel can rebuild them. */
export { ReflectionPad2D } from './reflection-pad';
export { InstanceNorm } from './instance-norm';
export { TanhImageOutput } from './tanh-image-output';
export { ResidualImageOutput } from './residual-image-output';
export { ConditionalInstanceNorm, CONDITIONAL_NORM_CLASS } from './conditional-instance-norm';
