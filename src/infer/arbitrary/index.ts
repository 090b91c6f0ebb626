/** AdaIN arbitrary style transfer at inference: the model (encoder + decoder), style statistics, stylizeArbitrary. */
export { createArbitraryModel, embeddedAdainDecoderDir, loadAdainEncoder, loadArbitraryModel } from './model';
export type { ArbitraryModel, LoadArbitraryOptions } from './model';
export { DEFAULT_STYLE_SIZE, MIN_STYLE_SIDE, StyleStatsCache, loadStyleImage } from './style-stats';
export type { StyleSource } from './style-stats';
export { ArbitraryOptionsSchema, styleWeightsFor, stylizeArbitrary } from './stylize';
export type { ArbitraryOptions } from './stylize';
export { arbitraryBytesPerPixel, planArbitraryTiling } from './plan';
export { encodedStats } from './encode';
