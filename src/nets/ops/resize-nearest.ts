/**
 * A correct gradient for nearest-neighbour resizing on the pure-JS CPU backend.
 *
 * tfjs 4.22's JS ResizeNearestNeighborGrad reads the wrong rows of dy for every image after the first (and ignores
 * halfPixelCenters), so training the upsampling layers at batch > 1 on the pure-JS path gets wrong gradients
 * (test/ops/resize-nearest.test.ts shows it). Importing this module replaces the op's gradient: the native kernel and other
 * backends' kernels are used as they are; on the pure-JS backend an integer ×k upsampling (what the transformer does) is
 * folded back by two reshape-sums, and any other resize runs the kernel one image at a time, where it is right.
 */
import { tf } from '../../backend/tf';
import { nativeKernelNames } from '../../backend/native';

const GRAD_KERNEL = 'ResizeNearestNeighborGrad';

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
  size: [number, number];
}

/** d images for y = nearest-upsample(x, ×fh, ×fw) with integer factors and default sampling: sum each fh×fw block. */
export function foldIntegerUpsample(dy: tf.Tensor4D, fh: number, fw: number): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  const h = oh / fh;
  const w = ow / fw;
  return tf.tidy(() => {
    // [n*h, fh, ow*c] → sum rows of each block; then [n*h*w, fw, c] → sum columns. Each sum reduces one middle axis.
    const rows = tf.sum(tf.reshape(dy, [n * h, fh, ow * c]), 1);
    const cols = tf.sum(tf.reshape(rows, [n * h * w, fw, c]), 1);
    return tf.reshape(cols, [n, h, w, c]) as tf.Tensor4D;
  });
}

function perImageKernel(dy: tf.Tensor4D, images: tf.Tensor4D, attrs: ResizeAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const parts = tf.unstack(dy).map((d, i) =>
      tf.engine().runKernel(
        GRAD_KERNEL,
        { dy: tf.expandDims(d, 0), images: tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]) } as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor4D,
    );
    return tf.concat(parts, 0) as tf.Tensor4D;
  });
}

export function resizeNearestGrad(dy: tf.Tensor4D, images: tf.Tensor4D, attrs: ResizeAttrs): tf.Tensor4D {
  const pureJsCpu = tf.getBackend() === 'cpu' && !nativeKernelNames().includes(GRAD_KERNEL);
  if (!pureJsCpu) {
    return tf.engine().runKernel(GRAD_KERNEL, { dy, images } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const [, h, w] = images.shape;
  const [, oh, ow] = dy.shape;
  const integerUpsample = oh % h === 0 && ow % w === 0 && !attrs.alignCorners && !attrs.halfPixelCenters;
  if (integerUpsample) return foldIntegerUpsample(dy, oh / h, ow / w);
  return perImageKernel(dy, images, attrs);
}

tf.registerGradient({
  kernelName: 'ResizeNearestNeighbor',
  inputsToSave: ['images'],
  gradFunc: (dy, saved, attrs) => {
    const [images] = saved as tf.Tensor4D[];
    return { images: () => resizeNearestGrad(dy as tf.Tensor4D, images, attrs as unknown as ResizeAttrs) };
  },
});
