import type { tf } from '../../backend/tf';
import type { VggArch } from './vgg-layout';

export type LossNetworkArch = VggArch | 'mobilenetv2-fallback';

/** A frozen ImageNet feature extractor for perceptual losses. */
export interface LossNetwork {
  readonly arch: LossNetworkArch;
  /** The taps these weights can serve, shallow to deep. */
  readonly availableTaps: string[];
  /** One line for logs and checkpoints, e.g. "vgg19 (tfjs layers, block1-3) from /path". */
  readonly description: string;
  /** The input normalisation its weights expect (VGGs say; models trained against one, like AdaIN decoders, check it). */
  readonly preprocessing?: Preprocessing;
  /**
   * images: NHWC float RGB 0..255 (any size). Preprocessing happens inside. Differentiable w.r.t. `images`.
   * Returns one tensor per requested tap; the caller disposes them.
   */
  extract(images: tf.Tensor4D, taps: string[]): Record<string, tf.Tensor4D>;
  /**
   * Inference only (not differentiable): the features at one tap, as extract(images, [tap])[tap] to float
   * tolerance, through a whole-network native plan where one can run (less memory: only two activations alive).
   */
  encode?(images: tf.Tensor4D, tap: string): tf.Tensor4D;
  dispose(): void;
}

/** The input normalisation the weights were trained with. */
export type Preprocessing = 'caffe' | 'torch';

/** A conv's weights as read from a file, before they become tensors. Kernel layout is stated, not assumed. */
export interface RawConv {
  kernel: Float32Array;
  kernelShape: number[];
  /** HWIO: Keras/TF [3,3,in,out]; OIHW: PyTorch [out,in,3,3]. */
  layout: 'HWIO' | 'OIHW';
  bias: Float32Array;
}

/** What a format reader returns: the convs it found under canonical names (`block1_conv1`, …). */
export interface RawVggWeights {
  /** The format, for the description: "tfjs layers", "keras h5", "torchvision pth". */
  format: string;
  preprocessing: Preprocessing;
  convs: Map<string, RawConv>;
  /** Every conv name the file declares, including ones whose data is absent (truncated tfjs models). */
  declared: string[];
  /** The architecture the file says it is, when it says. */
  archHint?: VggArch;
}
