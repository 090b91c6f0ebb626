/**
 * Registers the oneDNN kernels into tfjs' CPU backend, replacing the pure-JS kernels in place: tensors stay in the CPU
 * backend's typed arrays (no copies), and gradients, which tfjs defines per op, dispatch to the native kernels too.
 */
import { tf } from '../tf';
import { loadNativeAddon, NativeAddon } from './loader';
import { convKernels } from './conv-kernels';
import { eltwiseKernels } from './eltwise-kernels';
import { installKernels } from './install';

export type KernelFactory = (addon: NativeAddon) => tf.KernelConfig[];

const FACTORIES: KernelFactory[] = [convKernels, eltwiseKernels];

let registered: { names: string[]; restore: () => void } | undefined;

/** Kernel names currently served natively (empty when the addon is not registered). */
export function nativeKernelNames(): string[] {
  return registered ? [...registered.names] : [];
}

/** Replaces the CPU backend's kernels with native ones. Returns the kernel names replaced. Idempotent. */
export function registerNativeKernels(addon: NativeAddon = requireAddon()): string[] {
  if (!registered) {
    const configs = FACTORIES.flatMap((factory) => factory(addon));
    registered = { names: configs.map((c) => c.kernelName), restore: installKernels(configs) };
  }
  return [...registered.names];
}

/** Puts the pure-JS kernels back (used by tests that compare native against JS in one process). */
export function unregisterNativeKernels(): void {
  registered?.restore();
  registered = undefined;
}

function requireAddon(): NativeAddon {
  const status = loadNativeAddon();
  if (!status.loaded || !status.addon) throw new Error(`native addon unavailable: ${status.reason}`);
  return status.addon;
}
