/**
 * The transformer's output head: what turns the last convolution's 3 channels into the image (NHWC, 0–255 scale,
 * unclamped). Every head starts a fresh net near a sensible image, and none adds weights, so the checkpoint's model.json
 * topology (its head layer) is what says which head a model has; `outputHeadOf` reads it back.
 *
 *   'tanh'      tanh(x)·150 + 127.5 (Engstrom). Slope 150 at mid-grey: an Adam step moves pixels 150× further than
 *               with a linear head, and saturated pixels (|x| ≫ 1) get no gradient back.
 *   'softclip'  tanh(x/150)·150 + 127.5: the same range, slope 1 at mid-grey (x is in pixel units).
 *   'linear'    x, the last conv's bias started at 127.5 (pytorch/examples' head, which starts near 0).
 *   'residual'  photo + x: starts as the identity (the net outputs its input) and learns the change.
 */
import { tf } from '../backend/tf';
import { ResidualImageOutput, TanhImageOutput } from './layers';

export const OUTPUT_HEADS = ['tanh', 'softclip', 'linear', 'residual'] as const;
export type OutputHead = (typeof OUTPUT_HEADS)[number];

/** Engstrom's constants, shared by both tanh heads: range (−22.5, 277.5). */
export const TANH_SCALE = 150;
export const TANH_OFFSET = 127.5;
/** Where a linear head's bias starts: mid-grey, near the mean photo, instead of black. */
export const LINEAR_START_BIAS = 127.5;

type SymbolicTensor = tf.SymbolicTensor;

/**
 * Applies `head` to `last` (the last conv's output, after outputNorm if any). `lastConv` is that conv's layer: the
 * linear head starts its bias at mid-grey. `photo` is the net's input (the residual head adds it back).
 */
export function applyOutputHead(head: OutputHead, last: SymbolicTensor, lastConv: tf.layers.Layer, photo: SymbolicTensor, lastIsConv: boolean): SymbolicTensor {
  switch (head) {
    case 'tanh':
      return new TanhImageOutput({ name: 'output_tanh', scale: TANH_SCALE, offset: TANH_OFFSET }).apply(last) as SymbolicTensor;
    case 'softclip':
      return new TanhImageOutput({ name: 'output_softclip', scale: TANH_SCALE, offset: TANH_OFFSET, inputScale: 1 / TANH_SCALE }).apply(last) as SymbolicTensor;
    case 'residual':
      return new ResidualImageOutput({ name: 'output_residual' }).apply([photo, last]) as SymbolicTensor;
    case 'linear': {
      // Only when the conv's own bias is the output's offset (no norm after it).
      const bias = lastIsConv ? lastConv.weights[1] : undefined;
      if (bias) {
        const start = tf.fill([3], LINEAR_START_BIAS);
        bias.write(start);
        start.dispose();
      }
      return last;
    }
  }
}

/** Which head a built or loaded model has, read off its layers (old model.json files included). */
export function outputHeadOf(model: tf.LayersModel): OutputHead {
  for (const layer of model.layers) {
    if (layer instanceof ResidualImageOutput || layer.getClassName() === ResidualImageOutput.className) return 'residual';
    if (layer.getClassName() === TanhImageOutput.className) {
      const inputScale = (layer.getConfig() as { inputScale?: number }).inputScale ?? 1;
      return inputScale === 1 ? 'tanh' : 'softclip';
    }
  }
  return 'linear';
}
