/**
 * Native mirror padding and nearest-neighbour resizing, forward and backward, as index-map gathers and scatter-adds
 * (see eltwise-index-maps.ts for the maps, native/src/eltwise_gather.cc for the data movement). Rank-4 float32 only;
 * anything else runs the JS kernels.
 *
 * MIRROR_PAD_GRAD_KERNEL has no tfjs counterpart: tfjs' own MirrorPad gradient is wrong (it drops what the border cells
 * received), and src/nets/ops/reflect-pad.ts replaces it with a fold that dispatches here when this kernel is
 * registered for the active backend.
 */
import { tf } from '../tf';
import { MIRROR_PAD_GRAD_KERNEL } from '../kernel-contracts';
import { floatValues, sizeOf } from './cpu-tensors';
import { AxisMaps, EltwiseAddon, KernelArgs, withJsFallback } from './eltwise-support';
import {
  identityMap,
  MirrorPadMode,
  mirrorPadAxisMap,
  resizeNearestAxisMap,
} from './eltwise-index-maps';

interface MirrorPadAttrs {
  paddings: Array<[number, number]>;
  mode: MirrorPadMode;
}

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
  size: [number, number];
}

/** Maps from a padded tensor's coordinates to the unpadded one's, and the padded shape. */
function mirrorPadMaps(xShape: number[], { paddings, mode }: MirrorPadAttrs): { maps: AxisMaps; padded: number[] } {
  const maps = xShape.map((d, i) => mirrorPadAxisMap(d, paddings[i][0], paddings[i][1], mode)) as AxisMaps;
  return { maps, padded: maps.map((m) => m.length) };
}

function mirrorPad(addon: EltwiseAddon): tf.KernelConfig {
  return withJsFallback('MirrorPad', ({ inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs;
    const xv = floatValues(backend, x);
    if (!xv || x.shape.length !== 4) return undefined;
    const { maps, padded } = mirrorPadMaps(x.shape, attrs as unknown as MirrorPadAttrs);
    const out = new Float32Array(sizeOf(padded));
    addon.gather4F32(xv, x.shape, maps, out);
    return backend.makeTensorInfo(padded, 'float32', out);
  });
}

/** dx of MirrorPad from dy: every padded cell's gradient added onto the input cell it copied. */
function mirrorPadGrad(addon: EltwiseAddon): tf.KernelConfig {
  return withJsFallback(MIRROR_PAD_GRAD_KERNEL, ({ inputs, backend, attrs }: KernelArgs) => {
    const { dy } = inputs;
    const dyv = floatValues(backend, dy);
    if (!dyv || dy.shape.length !== 4) return undefined; // no JS kernel: withJsFallback throws, never guesses
    const a = attrs as unknown as MirrorPadAttrs;
    const xShape = dy.shape.map((d, i) => d - a.paddings[i][0] - a.paddings[i][1]);
    const { maps } = mirrorPadMaps(xShape, a);
    const dx = new Float32Array(sizeOf(xShape));
    addon.scatterAdd4F32(dyv, dy.shape, maps, dx, xShape);
    return backend.makeTensorInfo(xShape, 'float32', dx);
  });
}

function resizeNearest(addon: EltwiseAddon): tf.KernelConfig {
  return withJsFallback('ResizeNearestNeighbor', ({ inputs, backend, attrs }: KernelArgs) => {
    const { images } = inputs;
    const xv = floatValues(backend, images);
    if (!xv || images.shape.length !== 4) return undefined;
    const { alignCorners, halfPixelCenters, size } = attrs as unknown as ResizeAttrs;
    const [n, h, w, c] = images.shape;
    const maps: AxisMaps = [
      identityMap(n),
      resizeNearestAxisMap(h, size[0], alignCorners, halfPixelCenters),
      resizeNearestAxisMap(w, size[1], alignCorners, halfPixelCenters),
      identityMap(c),
    ];
    const outShape = [n, size[0], size[1], c];
    const out = new Float32Array(sizeOf(outShape));
    addon.gather4F32(xv, images.shape, maps, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  });
}

/**
 * The exact adjoint of resizeNearest: each dy cell is added onto the input cell the forward pass copied it from, using
 * the forward's own index maps. This deliberately differs from tfjs 4.22's JS ResizeNearestNeighborGrad in two cases
 * where that kernel is wrong (test/native/eltwise-gather.test.ts proves both with the adjoint identity):
 *  - batch > 1: it offsets dy by the *input's* batch stride, so every image after the first reads the wrong rows;
 *  - halfPixelCenters: it ignores the attribute and scatters with the non-half-pixel mapping.
 * For batch 1 without halfPixelCenters (the nets' 2x upsampling) both give identical results.
 */
function resizeNearestGrad(addon: EltwiseAddon): tf.KernelConfig {
  return withJsFallback('ResizeNearestNeighborGrad', ({ inputs, backend, attrs }: KernelArgs) => {
    const { images, dy } = inputs;
    const dyv = floatValues(backend, dy);
    if (!dyv || images.dtype !== 'float32' || images.shape.length !== 4 || dy.shape.length !== 4) return undefined;
    const { alignCorners, halfPixelCenters } = attrs as unknown as ResizeAttrs;
    const [n, h, w, c] = images.shape;
    const maps: AxisMaps = [
      identityMap(n),
      resizeNearestAxisMap(h, dy.shape[1], alignCorners, Boolean(halfPixelCenters)),
      resizeNearestAxisMap(w, dy.shape[2], alignCorners, Boolean(halfPixelCenters)),
      identityMap(c),
    ];
    const dx = new Float32Array(sizeOf(images.shape));
    addon.scatterAdd4F32(dyv, dy.shape, maps, dx, images.shape);
    return backend.makeTensorInfo(images.shape, 'float32', dx);
  });
}

export function gatherKernels(addon: EltwiseAddon): tf.KernelConfig[] {
  return [mirrorPad(addon), mirrorPadGrad(addon), resizeNearest(addon), resizeNearestGrad(addon)];
}
