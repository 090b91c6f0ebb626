import { tf } from '../tf';

/**
 * Puts kernel configs on tfjs' 'cpu' backend in place of what is registered under their names, and returns a function
 * that restores the previous kernels. Shared by the full native registration and the per-family installs that tests and
 * benches use to compare against the JS kernels in one process.
 */
export function installKernels(configs: tf.KernelConfig[]): () => void {
  const cpuConfigs = configs.map((c) => ({ ...c, backendName: 'cpu' }));
  const previous = cpuConfigs.map((c) => tf.getKernel(c.kernelName, 'cpu'));
  cpuConfigs.forEach((c, i) => {
    if (previous[i]) tf.unregisterKernel(c.kernelName, 'cpu');
    tf.registerKernel(c);
  });
  return () => {
    cpuConfigs.forEach((c, i) => {
      tf.unregisterKernel(c.kernelName, 'cpu');
      const old = previous[i];
      if (old) tf.registerKernel(old);
    });
  };
}
