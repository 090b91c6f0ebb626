export { tf } from './tf';
export * from './select';
export { loadNativeAddon } from './native/loader';
export { registerNativeKernels, unregisterNativeKernels, nativeKernelNames } from './native';
