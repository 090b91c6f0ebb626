/**
 * How much memory a forward pass of the transformation network needs, per input pixel, to decide when to tile.
 *
 * The net has three resolutions: full (width w1, default 32: the 9×9 input conv, the last upsampling and the 9×9
 * output conv), 1/2 (w2 = 64) and 1/4 (w3 = 128: the residual blocks). Inside one layer call tfjs keeps several
 * intermediates of that layer alive until the call returns (padded input, conv output, instance-norm temporaries:
 * centred, scaled, shifted, then the ReLU), and the layer's input is alive too. So the peak is at the stage that
 * maximises  liveCopies·w_s/scale_s² + (input of that stage), in float32, and the full-resolution stage dominates:
 * with the defaults 4·(8·32 + 64/4) ≈ 1.1 KB per pixel. `liveCopies` = 8 was checked against tf.memory() peaks of the
 * real network (see docs/stylize.md); it is deliberately on the high side.
 */

export interface NetworkWidths {
  /** Channels at full, 1/2 and 1/4 resolution (Johnson et al.: 32, 64, 128). */
  widths: readonly [number, number, number];
  /**
   * 'nearest' (resize ×2 then conv) materialises the upsampled w2- and w3-channel maps at the higher resolution before
   * the conv narrows them; 'transposed' does not. Default 'nearest' (the larger estimate).
   */
  upsample?: 'nearest' | 'transposed';
}

export const DEFAULT_WIDTHS: NetworkWidths = { widths: [32, 64, 128] };

/** Tensors of one stage's width kept alive at once inside a layer call (see the module comment). */
export const LIVE_COPIES = 8;

const BYTES_PER_FLOAT = 4;

/** Estimated peak activation bytes per input pixel for one forward pass. */
export function activationBytesPerPixel(net: NetworkWidths = DEFAULT_WIDTHS, liveCopies = LIVE_COPIES): number {
  const [w1, w2, w3] = net.widths;
  // Nearest upsampling: the ×2 map and its padded copy, at the new resolution, with the input's width.
  const up = (net.upsample ?? 'nearest') === 'nearest' ? 2 : 0;
  const full = liveCopies * w1 + Math.max(3, w2 / 4 + up * w2); // fed by RGB, or by the 1/2-res stage
  const half = (liveCopies * w2) / 4 + Math.max(w1, w3 / 16 + (up * w3) / 4); // fed by full-res, or by 1/4-res
  const quarter = (liveCopies * w3) / 16 + w3 / 16; // residual blocks keep their input for the skip connection
  // + the tile's own RGB input and output tensors.
  return BYTES_PER_FLOAT * (Math.max(full, half, quarter) + 6);
}

/** Default activation budget: 1 GiB, so images up to about 0.95 MP (980×980) run in one pass. */
export const DEFAULT_MEMORY_BUDGET_BYTES = 1024 ** 3;

/**
 * The largest square tile side (a multiple of `align`) whose forward pass fits `budgetBytes`,
 * never below `minTile` (tiles smaller than a few times the overlap would be mostly overlap).
 */
export function maxTileSide(budgetBytes: number, bytesPerPixel: number, align = 4, minTile = 128): number {
  const side = Math.floor(Math.sqrt(budgetBytes / bytesPerPixel) / align) * align;
  return Math.max(minTile, side);
}
