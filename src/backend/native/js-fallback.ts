/**
 * The rule every native kernel family follows: the native body may decline a case (returns undefined) and then
 * tfjs' own JS kernel of the same name runs, so an unsupported case is slow, never wrong. Each family counts how
 * often it ran natively and how often it fell back (tests use the counts to prove the native path ran).
 */
import { tf } from '../tf';

/** Calls per kernel name served natively and handed to the JS kernel. */
export interface KernelCalls {
  native: Record<string, number>;
  fallback: Record<string, number>;
}

/** One family's counters. */
export class KernelCallCounter {
  private calls: KernelCalls = { native: {}, fallback: {} };

  count(path: keyof KernelCalls, kernelName: string): void {
    this.calls[path][kernelName] = (this.calls[path][kernelName] ?? 0) + 1;
  }

  /** A copy: later calls do not change it. */
  snapshot(): KernelCalls {
    return { native: { ...this.calls.native }, fallback: { ...this.calls.fallback } };
  }

  reset(): void {
    this.calls = { native: {}, fallback: {} };
  }
}

type TfKernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * A kernel config for tfjs' 'cpu' backend whose native body may decline; it then runs the JS kernel of the same
 * name, captured now, before the native one replaces it in the registry.
 */
export function withJsFallback(
  kernelName: string,
  native: (args: TfKernelArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined,
  counter: KernelCallCounter,
): tf.KernelConfig {
  const js = tf.getKernel(kernelName, 'cpu');
  const kernelFunc: tf.KernelFunc = (args) => {
    const out = native(args);
    if (out !== undefined) {
      counter.count('native', kernelName);
      return out;
    }
    counter.count('fallback', kernelName);
    if (!js) throw new Error(`${kernelName}: the native kernel cannot handle these inputs and no JS kernel was registered before it`);
    return js.kernelFunc(args);
  };
  return { kernelName, backendName: 'cpu', kernelFunc };
}
