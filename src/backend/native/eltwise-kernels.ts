import type { tf } from '../tf';
import type { NativeAddon } from './loader';

/** Native kernel configs for the eltwise family; filled in by the native-kernels work (issue 8). */
export function eltwiseKernels(_addon: NativeAddon): tf.KernelConfig[] {
  return [];
}
