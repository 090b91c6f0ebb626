/**
 * Overlapping tiles and their feathered blending weights. Pure functions.
 *
 * Along each axis, tiles of a fixed size start at evenly spaced positions (multiples of the network stride, so every
 * tile sees the same down/upsampling phase as an untiled pass) with at least `overlap` pixels shared between
 * neighbours. In each shared band a tile's weight is 1 for the first quarter (its neighbour's edge, where the
 * neighbour's receptive field is cut off by the tile border, gets weight 0), ramps linearly across the middle half,
 * and is 0 for the last quarter. Per axis the weights of all tiles sum to exactly 1 at every pixel (normalised, which
 * only matters where three tiles overlap on a short axis), and a 2-D weight is the product of its two axis weights,
 * so 2-D weights also sum to 1.
 *
 * Core tiles (planCoreTiles) are for tiles that share the whole image's statistics: their cores partition the image
 * and each window extends a margin beyond its core, so the core's output is exact and needs no blending.
 */

export interface AxisTile {
  start: number;
  size: number;
  /** Blending weight for each of the tile's `size` positions. */
  weights: Float32Array;
}

export interface Tile {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Per-column and per-row weights; the weight of pixel (x, y) of the tile is weightX[x] * weightY[y]. */
  weightX: Float32Array;
  weightY: Float32Array;
}

/**
 * Start positions of tiles of `tile` pixels covering [0, length) with at least `overlap` shared between neighbours
 * (up to `align` less after rounding starts to multiples of `align`). `length` and `tile` should be multiples of `align`.
 */
export function tileStarts(length: number, tile: number, overlap: number, align = 1): number[] {
  if (tile >= length) return [0];
  if (overlap >= tile) throw new Error(`overlap ${overlap} must be smaller than the tile ${tile}`);
  const n = Math.ceil((length - overlap) / (tile - overlap));
  const span = length - tile;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = i === n - 1 ? span : Math.round((i * span) / (n - 1) / align) * align;
    if (starts.length === 0 || s > starts[starts.length - 1]) starts.push(s);
  }
  return starts;
}

/** Weight of a tile rising across the shared band [a, b) (neighbour on the left), at pixel x (centre x+0.5). */
function rampUp(x: number, a: number, b: number): number {
  const margin = (b - a) / 4;
  const lo = a + margin;
  const hi = b - margin;
  if (hi <= lo) return x + 0.5 >= (a + b) / 2 ? 1 : 0;
  return Math.min(1, Math.max(0, (x + 0.5 - lo) / (hi - lo)));
}

/** Blending weights of every tile along one axis; they sum to 1 at each position of [0, length). */
export function axisTiles(length: number, tile: number, overlap: number, align = 1): AxisTile[] {
  const size = Math.min(tile, length);
  const starts = tileStarts(length, size, overlap, align);
  const raw = starts.map((start, i) => {
    const w = new Float32Array(size);
    for (let k = 0; k < size; k++) {
      const x = start + k;
      let v = 1;
      if (i > 0) v = Math.min(v, rampUp(x, start, starts[i - 1] + size));
      if (i < starts.length - 1) v = Math.min(v, 1 - rampUp(x, starts[i + 1], start + size));
      w[k] = v;
    }
    return w;
  });
  // Normalise so the weights form a partition of unity even where three tiles overlap.
  const sum = new Float64Array(length);
  starts.forEach((s, i) => raw[i].forEach((v, k) => (sum[s + k] += v)));
  return starts.map((start, i) => {
    const weights = raw[i];
    for (let k = 0; k < size; k++) {
      const total = sum[start + k];
      // A position no tile claims cannot happen with margins of a quarter band; fall back to the nearest tile centre.
      weights[k] = total > 0 ? weights[k] / total : nearestTile(starts, size, start + k) === i ? 1 : 0;
    }
    return { start, size, weights };
  });
}

function nearestTile(starts: number[], size: number, x: number): number {
  let best = 0;
  starts.forEach((s, i) => {
    if (Math.abs(s + size / 2 - x) < Math.abs(starts[best] + size / 2 - x)) best = i;
  });
  return best;
}

/**
 * The 2-D tiling of a width×height image, tiles in row-major order. The 2-D weight is the product of the axis weights,
 * kept factored (a 1024² tile's full weight map would be 4 MB per tile).
 */
export function planTiles(width: number, height: number, tile: number, overlap: number, align = 1): Tile[] {
  const xs = axisTiles(width, tile, overlap, align);
  const ys = axisTiles(height, tile, overlap, align);
  return ys.flatMap((ty) =>
    xs.map((tx) => ({ left: tx.start, top: ty.start, width: tx.size, height: ty.size, weightX: tx.weights, weightY: ty.weights })),
  );
}

/** A window run through the network and the core of it whose output is kept (cores partition the image). */
export interface CoreTile {
  left: number;
  top: number;
  width: number;
  height: number;
  core: { left: number; top: number; width: number; height: number };
}

/**
 * Cores partitioning [0, length) at multiples of `align`, each inside a window that extends at least `margin` beyond
 * it wherever the axis goes on. Every window has the same size: one shape per pass lets a backend reuse its compiled
 * kernels (and a plan its instance). That size is at most `window` (or `length` if shorter; at least 4·margin, so a
 * core is never mostly margin), and no more than the largest core and its two margins need: 1500 px in two cores
 * of 750 take windows of 750 + 2·margin, not of a 1044 tile (39 % more pixels to run).
 */
export function coreAxis(length: number, window: number, margin: number, align = 1): Array<{ start: number; end: number; coreStart: number; coreEnd: number }> {
  const side = Math.min(length, Math.max(window, 4 * margin));
  const cuts = (count: number) => Array.from({ length: count + 1 }, (_, i) => (i === count ? length : Math.round((i * length) / count / align) * align));
  const fits = (b: number[]) => b.slice(1).every((end, i) => Math.min(length, end + margin) - Math.max(0, b[i] - margin) <= side);
  let n = 1;
  while (!fits(cuts(n))) n++;
  const b = cuts(n);
  const largest = Math.max(...b.slice(1).map((end, i) => end - b[i]));
  const size = Math.min(side, Math.ceil((largest + 2 * margin) / align) * align);
  return b.slice(1).map((coreEnd, i) => {
    const start = Math.min(Math.max(0, b[i] - margin), length - size);
    return { start, end: start + size, coreStart: b[i], coreEnd };
  });
}

/** The 2-D core tiling of a width×height image, row-major. */
export function planCoreTiles(width: number, height: number, window: number, margin: number, align = 1): CoreTile[] {
  const xs = coreAxis(width, window, margin, align);
  const ys = coreAxis(height, window, margin, align);
  return ys.flatMap((ty) =>
    xs.map((tx) => ({
      left: tx.start,
      top: ty.start,
      width: tx.end - tx.start,
      height: ty.end - ty.start,
      core: { left: tx.coreStart, top: ty.coreStart, width: tx.coreEnd - tx.coreStart, height: ty.coreEnd - ty.coreStart },
    })),
  );
}

/** Adds a tile's output (its own RGB, tile-sized) into `acc` (the whole image's RGB) with the tile's feathered weights. */
export function accumulateTile(acc: Float32Array, imageWidth: number, t: Tile, out: Float32Array): void {
  for (let y = 0; y < t.height; y++) {
    const wy = t.weightY[y];
    if (wy === 0) continue;
    const row = ((t.top + y) * imageWidth + t.left) * 3;
    for (let x = 0; x < t.width; x++) {
      const w = wy * t.weightX[x];
      if (w === 0) continue;
      const s = (y * t.width + x) * 3;
      const d = row + x * 3;
      acc[d] += w * out[s];
      acc[d + 1] += w * out[s + 1];
      acc[d + 2] += w * out[s + 2];
    }
  }
}
