/**
 * Reflection padding with a correct gradient.
 *
 * tfjs 4.22's MirrorPad gradient only slices the interior of dy and drops what the reflected border cells received,
 * so training through reflection padding silently gets wrong gradients (see test/ops/reflect-pad.test.ts). Importing
 * this module replaces that gradient, for every backend, with one that folds the border back onto the cells it mirrors:
 * a native kernel (MIRROR_PAD_GRAD_KERNEL) when the active backend has one, else the composite fold below.
 */
import { MIRROR_PAD_GRAD_KERNEL } from '../../backend/kernel-contracts';
import { tf } from '../../backend/tf';

export type PadMode = 'reflect' | 'symmetric';

/** tfjs' own MirrorPad gradient as registered before this module replaces it (test/ops/reflect-pad.test.ts runs it). */
export const tfjsMirrorPadGradient: tf.GradConfig | undefined = tf.getGradient('MirrorPad');


/** Pads H and W of an NHWC tensor by reflection (the edge row is not repeated, as in PyTorch's ReflectionPad2d). */
export function reflectPad2d(x: tf.Tensor4D, top: number, bottom = top, left = top, right = left): tf.Tensor4D {
  return tf.mirrorPad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], 'reflect');
}

/** d x from d y for mirror padding along one axis: the interior, plus each border reversed onto what it mirrors. */
function foldAxis(dy: tf.Tensor, axis: number, before: number, after: number, mode: PadMode): tf.Tensor {
  if (before === 0 && after === 0) return dy;
  const size = dy.shape[axis] - before - after;
  const offset = mode === 'reflect' ? 1 : 0;
  const sliceAlong = (start: number, len: number) => {
    const begin = dy.shape.map(() => 0);
    const sz = [...dy.shape];
    begin[axis] = start;
    sz[axis] = len;
    return tf.slice(dy, begin, sz);
  };
  const padAlong = (t: tf.Tensor, lo: number, hi: number) =>
    tf.pad(t, dy.shape.map((_, i) => (i === axis ? [lo, hi] : [0, 0])) as Array<[number, number]>);
  let dx = sliceAlong(before, size);
  if (before > 0) {
    // dy[before-1-k] mirrors x[offset+k], k = 0..before-1.
    const head = tf.reverse(sliceAlong(0, before), axis);
    dx = tf.add(dx, padAlong(head, offset, size - offset - before));
  }
  if (after > 0) {
    // dy[before+size+k] mirrors x[size-1-offset-k].
    const tail = tf.reverse(sliceAlong(before + size, after), axis);
    dx = tf.add(dx, padAlong(tail, size - offset - after, offset));
  }
  return dx;
}

export function mirrorPadGrad(dy: tf.Tensor, paddings: Array<[number, number]>, mode: PadMode): tf.Tensor {
  return tf.tidy(() => paddings.reduce((g, [b, a], axis) => foldAxis(g, axis, b, a, mode), dy));
}

/** The fold in one native pass where the active backend has the kernel (rank-4 float32), else the composite one. */
function mirrorPadGradDispatch(dy: tf.Tensor, paddings: Array<[number, number]>, mode: PadMode): tf.Tensor {
  if (dy.rank === 4 && dy.dtype === 'float32' && tf.getKernel(MIRROR_PAD_GRAD_KERNEL, tf.getBackend())) {
    const attrs = { paddings, mode };
    return tf.engine().runKernel(MIRROR_PAD_GRAD_KERNEL, { dy } as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return mirrorPadGrad(dy, paddings, mode);
}

tf.registerGradient({
  kernelName: 'MirrorPad',
  inputsToSave: ['x'],
  gradFunc: (dy, _saved, attrs) => {
    const { paddings, mode } = attrs as unknown as { paddings: Array<[number, number]>; mode: PadMode };
    return { x: () => mirrorPadGradDispatch(dy as tf.Tensor, paddings, mode) };
  },
});
