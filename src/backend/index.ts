export { tf } from './tf';
export * from './select';
export { loadNativeAddon } from './native/loader';
export { registerNativeKernels, unregisterNativeKernels, nativeKernelNames } from './native';
export { cpuInfo, describeCpu } from './cpu-info';
export type { CpuInfo, VectorIsa } from './cpu-info';
