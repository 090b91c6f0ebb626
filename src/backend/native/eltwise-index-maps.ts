/**
 * Per-axis index maps for mirror padding and nearest-neighbour resizing, computed with exactly the arithmetic of
 * tfjs' JS kernels (same double-precision expressions, same Math.round/Math.floor), so that the native gather and
 * scatter (native/src/eltwise_gather.cc) reproduce them bit for bit and cannot drift on rounding corner cases.
 */

export type MirrorPadMode = 'reflect' | 'symmetric';

/**
 * For one axis of length `size` padded by [before, after]: map[o] = the input coordinate output coordinate o copies.
 * As tfjs' MirrorPad: reflect mirrors around the edge element, symmetric repeats it.
 */
export function mirrorPadAxisMap(size: number, before: number, after: number, mode: MirrorPadMode): Int32Array {
  const offset = mode === 'reflect' ? 0 : 1;
  const start = before;
  const end = before + size;
  const map = new Int32Array(before + size + after);
  for (let o = 0; o < map.length; o++) {
    let c = o;
    if (c < start) c = start * 2 - c - offset;
    else if (c >= end) c = (end - 1) * 2 - c + offset;
    map[o] = c - start;
  }
  return map;
}

export function identityMap(size: number): Int32Array {
  const map = new Int32Array(size);
  for (let i = 0; i < size; i++) map[i] = i;
  return map;
}

/** tfjs' ResizeNearestNeighbor: the source row (or column) of each of `newSize` outputs along an axis of `oldSize`. */
export function resizeNearestAxisMap(oldSize: number, newSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const effectiveIn = alignCorners && newSize > 1 ? oldSize - 1 : oldSize;
  const effectiveOut = alignCorners && newSize > 1 ? newSize - 1 : newSize;
  const ratio = effectiveIn / effectiveOut;
  const map = new Int32Array(newSize);
  for (let o = 0; o < newSize; o++) {
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let src = Math.min(oldSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) src = Math.max(0, src);
    map[o] = src;
  }
  return map;
}
