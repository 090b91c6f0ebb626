import type { tf } from '../tf';
import type { NativeAddon } from './loader';

/** Native kernel configs for the conv family; filled in by the native-kernels work (issue 8). */
export function convKernels(_addon: NativeAddon): tf.KernelConfig[] {
  return [];
}
