/**
 * tfjs kernels for the convolution family served by oneDNN (native/src/conv*.cc): Conv2D, FusedConv2D,
 * Conv2DBackpropInput, Conv2DBackpropFilter, MaxPool, MaxPoolGrad, BatchMatMul and DepthwiseConv2dNative (forward),
 * all float32 NHWC.
 *
 * Each kernel plans the call with the pure functions of conv-geometry.ts; whatever it cannot reproduce exactly
 * (NCHW, other dtypes, unsupported activations, odd broadcasts) goes to the JS kernel that was registered before,
 * captured when the factory runs. tfjs defines gradients per op, so tf.grad through Conv2D / FusedConv2D / MaxPool /
 * matMul reaches the native backprop kernels too.
 */
import { tf } from '../tf';
import { CpuBackendLike, floatValues, sizeOf } from './cpu-tensors';
import { installKernels } from './install';
import { KernelCallCounter, KernelCalls, withJsFallback } from './js-fallback';
import { UsageError } from '../../errors';
import type { NativeAddon } from './loader';
import { applicableStrategy, convGeometry, dataGradientAsForward, rotatedTransposedFilter, zeroPadNhwc, matMulPlan, poolGeometry, ConvGeometry, ConvShapeInfo, ConvStrategy, CONV_STRATEGIES } from './conv-geometry';

type KernelArgs = Parameters<tf.KernelFunc>[0];

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Pair = number | [number, number];

export const CONV_KERNEL_NAMES = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'MaxPool',
  'MaxPoolGrad',
  'BatchMatMul',
  'DepthwiseConv2dNative',
] as const;
export type ConvKernelName = (typeof CONV_KERNEL_NAMES)[number];

/** How many calls each kernel served natively and how many it handed to the JS kernel (tests, diagnostics). */
export type ConvKernelCalls = KernelCalls;

const calls = new KernelCallCounter();

export function convKernelCalls(): ConvKernelCalls {
  return calls.snapshot();
}

export function resetConvKernelCalls(): void {
  calls.reset();
}

/** Activation codes of native/src/conv.cc; activations absent here (prelu, elu, sigmoid...) use the JS kernel. */
const ACTIVATION_CODES = new Map<string, number>([
  ['linear', 0],
  ['relu', 1],
  ['relu6', 2],
  ['leakyrelu', 3],
]);

const shape4 = (s: readonly number[]): [number, number, number, number] => s as [number, number, number, number];
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function convInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: Record<string, unknown>,
  dilations: Pair,
  depthwise = false,
): ConvShapeInfo {
  return tf.backend_util.computeConv2DInfo(
    shape4(xShape),
    shape4(filterShape),
    attrs.strides as Pair,
    dilations,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    depthwise,
    tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC'),
  );
}

function poolInfo(xShape: readonly number[], attrs: Record<string, unknown>): ConvShapeInfo {
  return tf.backend_util.computePool2DInfo(
    shape4(xShape),
    attrs.filterSize as Pair,
    attrs.strides as Pair,
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
  );
}

/** The bias as one value per output channel, or undefined for shapes that broadcast some other way. */
function biasPerChannel(backend: CpuBackendLike, bias: tf.TensorInfo, channels: number): Float32Array | undefined {
  const values = floatValues(backend, bias);
  if (!values) return undefined;
  if (values.length === 1) return new Float32Array(channels).fill(values[0]);
  const trailingOnly = bias.shape.slice(0, -1).every((d) => d === 1);
  return values.length === channels && bias.shape[bias.shape.length - 1] === channels && trailingOnly ? values : undefined;
}

interface ConvFusion {
  bias: Float32Array | null;
  activation: number;
  alpha: number;
}

/** Reads FusedConv2D's bias and activation; undefined when the native conv cannot fuse them. */
function fusion(backend: CpuBackendLike, inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>, channels: number): ConvFusion | undefined {
  if (inputs.preluActivationWeights) return undefined;
  const activation = ACTIVATION_CODES.get((attrs.activation as string | undefined) ?? 'linear');
  if (activation === undefined) return undefined;
  const alpha = attrs.leakyreluAlpha as number | undefined;
  if (activation === ACTIVATION_CODES.get('leakyrelu') && typeof alpha !== 'number') return undefined;
  let bias: Float32Array | null = null;
  if (inputs.bias) {
    const b = biasPerChannel(backend, inputs.bias, channels);
    if (!b) return undefined;
    bias = b;
  }
  return { bias, activation, alpha: alpha ?? 0 };
}

/** Builds one kernel config whose body returns undefined to mean "let the JS kernel do it". */
function nativeKernel(name: ConvKernelName, body: (args: KernelArgs, backend: CpuBackendLike) => tf.TensorInfo | undefined): tf.KernelConfig {
  return withJsFallback(name, (args) => body(args, args.backend as CpuBackendLike), calls);
}

export interface ConvKernelOptions {
  /**
   * Forces one strategy for every conv instead of choosing per shape (benchmarks; NST_CONV_STRATEGY=blocked|winograd|
   * plain|narrowOut does the same from the environment). oneDNN still falls back to blocked direct where it lacks the choice.
   */
  strategy?: ConvStrategy;
}

function strategyFromEnv(): ConvStrategy | undefined {
  const raw = process.env.NST_CONV_STRATEGY;
  if (!raw || raw === 'auto') return undefined;
  if (!Object.hasOwn(CONV_STRATEGIES, raw)) {
    throw new UsageError(`NST_CONV_STRATEGY=${raw} is not one of ${Object.keys(CONV_STRATEGIES).join(', ')} or auto; unset it or pick one`);
  }
  return raw as ConvStrategy;
}

/** The conv-family kernel configs, to register on tfjs' 'cpu' backend (see ./index.ts). */
export function convKernels(addon: NativeAddon, options: ConvKernelOptions = {}): tf.KernelConfig[] {
  const forced = options.strategy ?? strategyFromEnv();
  const strategy = (g: ConvGeometry): number => CONV_STRATEGIES[applicableStrategy(forced, g)];

  const conv2D = (args: KernelArgs, backend: CpuBackendLike, fused: boolean): tf.TensorInfo | undefined => {
    const { x, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const xs = floatValues(backend, x);
    const ws = floatValues(backend, filter);
    if (!x || !filter || !xs || !ws || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
    const geometry = convGeometry(convInfo(x.shape, filter.shape, attrs, (attrs.dilations as Pair | undefined) ?? 1));
    if (!geometry) return undefined;
    const fuse = fused ? fusion(backend, args.inputs, attrs, geometry[6]) : { bias: null, activation: 0, alpha: 0 };
    if (!fuse) return undefined;
    const outShape = [geometry[0], geometry[4], geometry[5], geometry[6]];
    const out = new Float32Array(sizeOf(outShape));
    addon.convForward(xs, ws, fuse.bias, out, geometry, fuse.activation, fuse.alpha, strategy(geometry));
    return backend.makeTensorInfo(outShape, 'float32', out);
  };

  return [
    nativeKernel('Conv2D', (args, backend) => conv2D(args, backend, false)),
    nativeKernel('FusedConv2D', (args, backend) => conv2D(args, backend, true)),

    nativeKernel('Conv2DBackpropInput', (args, backend) => {
      const { dy, filter } = args.inputs;
      const attrs = args.attrs ?? {};
      const dys = floatValues(backend, dy);
      const ws = floatValues(backend, filter);
      const inputShape = attrs.inputShape as number[];
      if (!dy || !filter || !dys || !ws || dy.shape.length !== 4 || filter.shape.length !== 4 || inputShape?.length !== 4) return undefined;
      const info = convInfo(inputShape, filter.shape, attrs, 1);
      const geometry = convGeometry(info);
      if (!geometry || !sameShape(dy.shape, [geometry[0], geometry[4], geometry[5], geometry[6]])) return undefined;
      const out = new Float32Array(sizeOf(inputShape));
      const asForward = dataGradientAsForward(geometry);
      if (asForward) {
        const [n, , , ic, oh, ow, oc, kh, kw] = geometry;
        const padded = zeroPadNhwc(dys, [n, oh, ow, oc], asForward.pad);
        const rotated = rotatedTransposedFilter(ws, kh, kw, ic, oc);
        addon.convForward(padded, rotated, null, out, asForward.geometry, 0, 0, strategy(asForward.geometry));
      } else {
        addon.convBackwardData(dys, ws, out, geometry, strategy(geometry));
      }
      return backend.makeTensorInfo([...inputShape], 'float32', out);
    }),

    nativeKernel('Conv2DBackpropFilter', (args, backend) => {
      const { x, dy } = args.inputs;
      const attrs = args.attrs ?? {};
      const xs = floatValues(backend, x);
      const dys = floatValues(backend, dy);
      const filterShape = attrs.filterShape as number[];
      if (!x || !dy || !xs || !dys || x.shape.length !== 4 || dy.shape.length !== 4 || filterShape?.length !== 4) return undefined;
      const geometry = convGeometry(convInfo(x.shape, filterShape, attrs, 1));
      if (!geometry || !sameShape(dy.shape, [geometry[0], geometry[4], geometry[5], geometry[6]])) return undefined;
      const out = new Float32Array(sizeOf(filterShape));
      addon.convBackwardWeights(xs, dys, out, geometry, strategy(geometry));
      return backend.makeTensorInfo([...filterShape], 'float32', out);
    }),

    nativeKernel('MaxPool', (args, backend) => {
      const { x } = args.inputs;
      const xs = floatValues(backend, x);
      if (!x || !xs || x.shape.length !== 4) return undefined;
      const geometry = poolGeometry(poolInfo(x.shape, args.attrs ?? {}));
      if (!geometry) return undefined;
      const outShape = [geometry[0], geometry[4], geometry[5], geometry[3]];
      const out = new Float32Array(sizeOf(outShape));
      addon.maxPool(xs, out, geometry);
      return backend.makeTensorInfo(outShape, 'float32', out);
    }),

    nativeKernel('MaxPoolGrad', (args, backend) => {
      const { dy, input } = args.inputs;
      const xs = floatValues(backend, input);
      const dys = floatValues(backend, dy);
      if (!input || !dy || !xs || !dys || input.shape.length !== 4) return undefined;
      const geometry = poolGeometry(poolInfo(input.shape, args.attrs ?? {}));
      if (!geometry || !sameShape(dy.shape, [geometry[0], geometry[4], geometry[5], geometry[3]])) return undefined;
      const out = new Float32Array(xs.length);
      addon.maxPoolGrad(xs, dys, out, geometry);
      return backend.makeTensorInfo([...input.shape], 'float32', out);
    }),

    // Forward only (inference nets such as MobileNet); its gradient kernels stay on tfjs' JS code.
    nativeKernel('DepthwiseConv2dNative', (args, backend) => {
      const { x, filter } = args.inputs;
      const attrs = args.attrs ?? {};
      const xs = floatValues(backend, x);
      const ws = floatValues(backend, filter);
      if (!x || !filter || !xs || !ws || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
      const dilations = (attrs.dilations as Pair | undefined) ?? 1;
      const geometry = convGeometry(convInfo(x.shape, filter.shape, attrs, dilations, true));
      if (!geometry) return undefined;
      const outShape = [geometry[0], geometry[4], geometry[5], geometry[6]];
      const out = new Float32Array(sizeOf(outShape));
      addon.depthwiseForward(xs, ws, out, geometry, filter.shape[3], CONV_STRATEGIES.plain);
      return backend.makeTensorInfo(outShape, 'float32', out);
    }),

    nativeKernel('BatchMatMul', (args, backend) => {
      const { a, b } = args.inputs;
      const attrs = args.attrs ?? {};
      const as = floatValues(backend, a);
      const bs = floatValues(backend, b);
      if (!a || !b || !as || !bs) return undefined;
      const transposeA = Boolean(attrs.transposeA);
      const transposeB = Boolean(attrs.transposeB);
      const plan = matMulPlan(a.shape, b.shape, transposeA, transposeB);
      if (!plan) return undefined;
      const out = new Float32Array(sizeOf(plan.outShape));
      addon.batchMatMul(as, bs, out, plan.geometry, transposeA, transposeB);
      return backend.makeTensorInfo(plan.outShape, 'float32', out);
    }),
  ];
}

/**
 * Installs only the conv-family kernels on tfjs' 'cpu' backend (not the whole native set) and returns a function that
 * puts the previous kernels back. For benchmarks and tests that compare against the JS kernels in one process.
 */
export function installConvKernels(addon: NativeAddon, options: ConvKernelOptions = {}): () => void {
  return installKernels(convKernels(addon, options));
}
