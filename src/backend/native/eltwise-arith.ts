/**
 * Native broadcasting arithmetic (Add, Sub, Multiply, RealDiv, SquaredDifference), the ReLU path (Relu, and Step,
 * which tfjs' Relu gradient `dy * step(x)` runs) and the Square/Sqrt that losses and Adam run on every step.
 * float32 only; other dtypes run the JS kernels.
 */
import { tf } from '../tf';
import { floatValues, sizeOf } from './cpu-tensors';
import { BinaryOp, EltwiseAddon, KernelArgs, UnaryOp, withJsFallback } from './eltwise-support';

const BINARY: Array<[string, BinaryOp]> = [
  ['Add', 'add'],
  ['Sub', 'sub'],
  ['Multiply', 'mul'],
  ['RealDiv', 'div'],
  ['SquaredDifference', 'sqdiff'],
];

function binaryKernel(addon: EltwiseAddon, kernelName: string, op: BinaryOp): tf.KernelConfig {
  return withJsFallback(kernelName, ({ inputs, backend }: KernelArgs) => {
    const { a, b } = inputs;
    const av = floatValues(backend, a);
    const bv = floatValues(backend, b);
    if (!av || !bv) return undefined;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = new Float32Array(sizeOf(outShape));
    addon.binaryF32(op, av, a.shape, bv, b.shape, out, outShape);
    return backend.makeTensorInfo(outShape, 'float32', out);
  });
}

function unaryKernel(addon: EltwiseAddon, kernelName: string, op: UnaryOp, param?: (attrs: tf.NamedAttrMap) => number) {
  return withJsFallback(kernelName, ({ inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs;
    const xv = floatValues(backend, x);
    if (!xv) return undefined;
    const out = new Float32Array(xv.length);
    addon.unaryF32(op, xv, out, param ? param(attrs ?? {}) : 0);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  });
}

export function arithmeticKernels(addon: EltwiseAddon): tf.KernelConfig[] {
  return [
    ...BINARY.map(([name, op]) => binaryKernel(addon, name, op)),
    unaryKernel(addon, 'Relu', 'relu'),
    unaryKernel(addon, 'Step', 'step', (attrs) => Number(attrs.alpha ?? 0)),
    unaryKernel(addon, 'Square', 'square'),
    unaryKernel(addon, 'Sqrt', 'sqrt'),
  ];
}
