/**
 * Input normalisation, as differentiable tensor maths. Both schemes are a per-channel affine map of RGB 0..255
 * (plus a channel flip for caffe), so we express them as `x * scale - offset` in the network's channel order.
 */
import { tf } from '../../backend/tf';
import type { Preprocessing } from './types';

/** Keras "caffe" mode: BGR order, 0..255, minus the ImageNet mean in BGR order. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;
/** torchvision: RGB 0..1, minus mean, divided by std. */
export const TORCH_MEAN_RGB = [0.485, 0.456, 0.406] as const;
export const TORCH_STD_RGB = [0.229, 0.224, 0.225] as const;

/** Per-channel `scale` and `offset` such that preprocessed = input[..., order] * scale - offset. */
export function affineFor(p: Preprocessing): { flipToBgr: boolean; scale: number[]; offset: number[] } {
  if (p === 'caffe') return { flipToBgr: true, scale: [1, 1, 1], offset: [...CAFFE_MEAN_BGR] };
  return {
    flipToBgr: false,
    scale: TORCH_STD_RGB.map((s) => 1 / (255 * s)),
    offset: TORCH_MEAN_RGB.map((m, i) => m / TORCH_STD_RGB[i]),
  };
}

/**
 * images: NHWC RGB 0..255 → what the network expects. The channel flip and scale are one 1×1 convolution (a permutation
 * times a diagonal: exact in float32): tfjs' Reverse has only a slow element-by-element JS kernel, which cost as much
 * as all of VGG's block-1 convolutions on the native backend.
 */
export function preprocess(images: tf.Tensor4D, p: Preprocessing): tf.Tensor4D {
  const { flipToBgr, scale, offset } = affineFor(p);
  return tf.tidy(() => {
    // kernel[in][out]: output channel o reads input channel (flip ? 2 − o : o).
    const k = new Float32Array(9);
    for (let o = 0; o < 3; o++) k[(flipToBgr ? 2 - o : o) * 3 + o] = scale[o];
    return tf.sub(tf.conv2d(images, tf.tensor4d(k, [1, 1, 3, 3]), 1, 'valid'), tf.tensor1d(offset)) as tf.Tensor4D;
  });
}
