/**
 * Choosing the style of a multi-style network (conditional instance norm): how many styles a model serves, the style
 * weights a user's --style-index / --mix ask for, and setting them on every conditional norm of the model.
 *
 *   styleCountOf(model) -> number                        1 for a plain network
 *   resolveStyleWeights(count, choice, nameOf) -> number[] | undefined   validated, normalised to sum 1
 *   setStyleWeights(model, weights)                       before a forward pass
 */
import type { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { ConditionalInstanceNorm } from './layers/conditional-instance-norm';

/** Name of the style-weights input of exported multi-style models (ONNX: a float vector [styles]). */
export const STYLE_WEIGHTS_INPUT = 'style';

export interface StyleChoice {
  /** One style, 0-based. */
  styleIndex?: number;
  /** One weight per style; they are divided by their sum (which must be positive). */
  mix?: number[];
}

function conditionalNorms(model: tf.LayersModel): ConditionalInstanceNorm[] {
  return model.layers.filter((l): l is ConditionalInstanceNorm => l instanceof ConditionalInstanceNorm);
}

/** Styles the network serves: its conditional norms' N, or 1 for a plain (single-style) network. */
export function styleCountOf(model: tf.LayersModel): number {
  const norms = conditionalNorms(model);
  return norms.length ? norms[0].styles : 1;
}

/** One-hot weights of style `index` among `count`. */
export function oneHot(index: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (i === index ? 1 : 0));
}

/**
 * The style weights a choice means for a network of `count` styles, or undefined when nothing was chosen. UsageError
 * (one line naming the option, as `nameOf` spells it, and the valid range) for an index out of range, both options
 * at once, a mix of the wrong length or one whose weights do not sum to a positive number.
 */
export function resolveStyleWeights(count: number, choice: StyleChoice, nameOf: (field: keyof StyleChoice) => string = (f) => f): number[] | undefined {
  const { styleIndex, mix } = choice;
  if (styleIndex !== undefined && mix !== undefined) throw new UsageError(`give ${nameOf('styleIndex')} or ${nameOf('mix')}, not both`);
  const range = count > 1 ? `0–${count - 1}` : '0';
  if (styleIndex !== undefined) {
    if (!Number.isInteger(styleIndex) || styleIndex < 0 || styleIndex >= count) {
      throw new UsageError(`${nameOf('styleIndex')} ${styleIndex}: out of range; this model has ${count} style${count === 1 ? '' : 's'} (${range})`);
    }
    return oneHot(styleIndex, count);
  }
  if (mix !== undefined) {
    if (mix.length !== count) {
      throw new UsageError(`${nameOf('mix')} ${mix.join(',')}: ${mix.length} weight${mix.length === 1 ? '' : 's'} for a model of ${count} style${count === 1 ? '' : 's'}; give ${count} comma-separated weights`);
    }
    const sum = mix.reduce((a, b) => a + b, 0);
    if (!mix.every(Number.isFinite) || !(sum > 0)) {
      throw new UsageError(`${nameOf('mix')} ${mix.join(',')}: the weights must be numbers summing to a positive number (they are divided by their sum)`);
    }
    return mix.map((w) => w / sum);
  }
  return undefined;
}

/** Sets the style weights of every conditional norm of `model` (a plain network accepts only [1]). */
export function setStyleWeights(model: tf.LayersModel, weights: ArrayLike<number>): void {
  const norms = conditionalNorms(model);
  if (norms.length === 0) {
    if (weights.length !== 1) throw new UsageError(`${weights.length} style weights for a single-style network`);
    return;
  }
  for (const n of norms) n.setStyleWeights(weights);
}
