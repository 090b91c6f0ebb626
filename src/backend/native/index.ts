/**
 * Registers the oneDNN kernels into tfjs' CPU backend, replacing the pure-JS kernels in place: tensors stay in the CPU
 * backend's typed arrays (no copies), and gradients, which tfjs defines per op, dispatch to the native kernels too.
 */
import { tf } from '../tf';
import { loadNativeAddon, NativeAddon } from './loader';
import { convKernels } from './conv-kernels';
import { eltwiseKernels } from './eltwise-kernels';

export type KernelFactory = (addon: NativeAddon) => tf.KernelConfig[];

const FACTORIES: KernelFactory[] = [convKernels, eltwiseKernels];

let registered: string[] | undefined;
const replaced = new Map<string, tf.KernelConfig>();

/** Kernel names currently served natively (empty when the addon is not registered). */
export function nativeKernelNames(): string[] {
  return registered ? [...registered] : [];
}

/** Replaces the CPU backend's kernels with native ones. Returns the kernel names replaced. Idempotent. */
export function registerNativeKernels(addon: NativeAddon = requireAddon()): string[] {
  if (registered) return registered;
  const names: string[] = [];
  for (const factory of FACTORIES) {
    for (const config of factory(addon)) {
      const cfg = { ...config, backendName: 'cpu' };
      const old = tf.getKernel(cfg.kernelName, 'cpu');
      if (old) {
        replaced.set(cfg.kernelName, old);
        tf.unregisterKernel(cfg.kernelName, 'cpu');
      }
      tf.registerKernel(cfg);
      names.push(cfg.kernelName);
    }
  }
  registered = names;
  return names;
}

/** Puts the pure-JS kernels back (used by tests that compare native against JS in one process). */
export function unregisterNativeKernels(): void {
  if (!registered) return;
  for (const name of registered) {
    tf.unregisterKernel(name, 'cpu');
    const old = replaced.get(name);
    if (old) tf.registerKernel(old);
  }
  replaced.clear();
  registered = undefined;
}

function requireAddon(): NativeAddon {
  const status = loadNativeAddon();
  if (!status.loaded || !status.addon) throw new Error(`native addon unavailable: ${status.reason}`);
  return status.addon;
}
