/**
 * How much memory a forward pass of the transformation network needs, per input pixel, to decide when to tile.
 *
 * The net has three resolutions: full (width w1, default 32: the 9×9 input conv, the last upsampling and the 9×9
 * output conv), 1/2 (w2 = 64) and 1/4 (w3 = 128: the residual blocks). Inside one layer call tfjs keeps several
 * intermediates of that layer alive until the call returns (padded input, conv output, instance-norm temporaries),
 * and the layer's input is alive too. So the peak is at the stage that maximises liveCopies·w_s/scale_s² + (that
 * stage's input), in float32, and the full-resolution stage dominates.
 *
 * Measured (tf.profile peakBytes, pure-JS cpu backend, slope between 64² and 96² inputs so the weights cancel):
 * 652 bytes = 163 floats per pixel for both the pytorch/examples net (nearest upsampling) and Engstrom's
 * (transposed), i.e. 5·w1 + 3 — liveCopies = 5. The estimate multiplies by SAFETY = 1.5 for what tf.memory() does
 * not see: a native backend's scratch buffers and, on the pure-JS backend, freed typed arrays that the garbage
 * collector has not reclaimed yet. Default widths: 4 · 1.5 · 163 ≈ 980 bytes per pixel.
 */

import { isTextureNetConfig, NetworkConfig, networkGeometry } from '../nets/network';
import { transformerChannels } from '../nets/transformer';

export interface NetworkWidths {
  /** Channels at full, 1/2 and 1/4 resolution (Johnson et al.: 32, 64, 128; scaled by the config's width). */
  widths: [number, number, number];
  /**
   * Input sides must be multiples of this, and at least `minSide` (stylize pads and crops back): 4 and 8 for the
   * transformer (the default), 16 and 32 for a 5-scale texture net (src/nets/network.ts networkGeometry).
   */
  stride?: number;
  minSide?: number;
}

export const DEFAULT_WIDTHS: NetworkWidths = { widths: [32, 64, 128] };

/** Tensors of one stage's width alive at once inside a layer call (measured, see the module comment). */
export const LIVE_COPIES = 5;

/** Headroom over the measured tensor peak for memory tfjs does not track. */
export const SAFETY = 1.5;

const BYTES_PER_FLOAT = 4;

/** Estimated peak activation bytes per input pixel for one forward pass (including SAFETY). */
export function activationBytesPerPixel(net: NetworkWidths = DEFAULT_WIDTHS, liveCopies = LIVE_COPIES): number {
  const [w1, w2, w3] = net.widths;
  const full = liveCopies * w1 + 3; // full-res layers, fed by RGB (or by the 1/2-res stage: w2/4 < 3 + …)
  const half = (liveCopies * w2) / 4 + w1; // conv2 keeps its full-res input alive
  const quarter = (liveCopies * w3) / 16 + w3 / 16; // residual blocks keep their input for the skip connection
  return Math.round(BYTES_PER_FLOAT * SAFETY * Math.max(full, half, quarter));
}

/** Default activation budget: 1 GiB, so images up to about 1.1 MP (1040×1040) run in one pass. */
export const DEFAULT_MEMORY_BUDGET_BYTES = 1024 ** 3;

/**
 * Memory the exact tile statistics may hold their whole-image maps in (beyond it they go to a temporary file): half the
 * activation budget, or a quarter of the memory free now when that is more. Why the second: the maps are the image's
 * data, like its RGB copies, not one pass's activations, and the default 1 GiB budget leaves 512 MB, one and a third of
 * a 4000×3000 photo's 384 MB maps (three are live at once): machines with gigabytes free read and wrote most of them
 * through a file (its residual sums alone took ~3 of ~27 s, AMD EPYC). A machine short of memory still gets the file.
 */
export function mapMemoryBytes(budgetBytes: number, freeBytes: number): number {
  return Math.max(budgetBytes / 2, freeBytes / 4);
}

/**
 * The largest square tile side (a multiple of `align`) whose forward pass fits `budgetBytes`,
 * never below `minTile` (tiles smaller than a few times the overlap would be mostly overlap).
 */
export function maxTileSide(budgetBytes: number, bytesPerPixel: number, align = 4, minTile = 128): number {
  const side = Math.floor(Math.sqrt(budgetBytes / bytesPerPixel) / align) * align;
  return Math.max(minTile, side);
}

/** What stylize needs to know of a network: its widths for the estimate above, and its geometry. */
export function networkWidths(config: NetworkConfig): NetworkWidths {
  if (isTextureNetConfig(config)) {
    // Its widest stage is the full-resolution join (scales × channels); the 1/2 and 1/4 stages are narrower.
    const full = config.scales * config.channels;
    return { widths: [full, full, full], ...networkGeometry(config) };
  }
  const { c1, c2, c3 } = transformerChannels(config);
  return { widths: [c1, c2, c3] };
}
