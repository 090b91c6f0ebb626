// Native MirrorPad (and its fold gradient) and ResizeNearestNeighbor(+Grad) against tfjs' JS kernels, our composite
// MirrorPad gradient and a gather-based resize reference, on seeded random shapes (batch > 1, odd sizes, every attr combination).
// Tolerance: see eltwise-harness.ts (relative 1e-4; these kernels only move and add numbers, so they agree far closer).
import { tf } from '../../src/backend/tf';
import { mirrorPadGrad } from '../../src/nets/ops/reflect-pad';
import { resizeNearestAxisMap } from '../../src/backend/native/eltwise-index-maps';
import { relError } from '../helpers';
import {
  compareWithJs,
  describeNative,
  expectClose,
  expectRanNatively,
  int,
  randomTensor,
  readOutputs,
  rng,
  useJsBaseline,
  withAllLoopsParallel,
  withEltwiseKernels,
} from './eltwise-harness';

useJsBaseline();

type Paddings = Array<[number, number]>;

describeNative('native MirrorPad vs tfjs JS kernel and the composite fold gradient', () => {
  for (const mode of ['reflect', 'symmetric'] as const) {
    test(`${mode}: forward and gradient on random NHWC shapes and paddings (incl. N and C)`, () => {
      for (let seed = 0; seed < 8; seed++) {
        const r = rng(1000 + seed + (mode === 'reflect' ? 0 : 50));
        const shape = [int(r, 1, 3), int(r, 2, 9), int(r, 2, 9), int(r, 1, 5)];
        // reflect allows pads up to dim-1, symmetric up to dim; pad N and C only sometimes.
        const limit = (d: number) => (mode === 'reflect' ? d - 1 : d);
        const pads: Paddings = shape.map((d, i) => {
          const padThis = i === 1 || i === 2 || r() < 0.3;
          return padThis ? [int(r, 0, limit(d)), int(r, 0, limit(d))] : [0, 0];
        });
        const x = randomTensor(r, shape);
        const padded = pads.map(([b, a], i) => b + shape[i] + a);
        const w = randomTensor(r, padded);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, pads, mode), w)));
        // JS side: tfjs' forward kernel and our composite fold (the registered gradient when no native kernel).
        const res = compareWithJs(() => [tf.mirrorPad(x, pads, mode), grad(x)]);
        expectClose(res, `${mode} ${JSON.stringify(shape)} ${JSON.stringify(pads)}`);
        expectRanNatively(res, ['MirrorPad', 'NstMirrorPadGrad'], mode);
        tf.dispose([x, w]);
      }
    });
  }

  test('the native fold equals the composite fold called directly', () => {
    const r = rng(77);
    const dy = randomTensor(r, [2, 11, 10, 3]);
    const pads: Paddings = [[0, 0], [3, 3], [2, 1], [0, 0]];
    const attrs = { paddings: pads, mode: 'reflect' } as unknown as tf.NamedAttrMap;
    const fold = () =>
      withEltwiseKernels(() =>
        readOutputs(() => tf.engine().runKernel('NstMirrorPadGrad', { dy } as unknown as tf.NamedTensorMap, attrs) as tf.Tensor),
      );
    const { value: native, calls } = fold();
    const parallel = withAllLoopsParallel(fold).value;
    const composite = readOutputs(() => mirrorPadGrad(dy, pads, 'reflect'));
    expectClose({ js: composite, native, parallel, calls }, 'fold');
    expect(calls.native.NstMirrorPadGrad).toBe(1);
    dy.dispose();
  });

  test('rank 3 and int32 run the JS kernel', () => {
    const x3 = randomTensor(rng(5), [4, 5, 2]);
    const xi = tf.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3, 1], 'int32');
    const res = compareWithJs(() => [tf.mirrorPad(x3, [[1, 1], [2, 0], [0, 1]], 'reflect'), tf.mirrorPad(xi, [[0, 0], [1, 1], [1, 1], [0, 0]], 'symmetric')]);
    expect(res.native).toEqual(res.js);
    expect(res.calls.fallback.MirrorPad).toBe(2);
    tf.dispose([x3, xi]);
  });
});

/**
 * Nearest resizing written as two gathers along H and W with the forward's index maps (which the forward comparison
 * below checks against tfjs' kernel). Its gradient comes from tfjs' GatherV2 gradient (a segment sum), so it is an
 * independent reference for ResizeNearestNeighborGrad.
 */
function resizeByGather(x: tf.Tensor4D, size: [number, number], alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor {
  const rows = tf.tensor1d(resizeNearestAxisMap(x.shape[1], size[0], alignCorners, halfPixelCenters), 'int32');
  const cols = tf.tensor1d(resizeNearestAxisMap(x.shape[2], size[1], alignCorners, halfPixelCenters), 'int32');
  return tf.gather(tf.gather(x, rows, 1), cols, 2);
}

describeNative('native ResizeNearestNeighbor(+Grad) vs tfjs JS kernels', () => {
  const combos: Array<[boolean, boolean]> = [
    [false, false],
    [true, false],
    [false, true],
  ];
  for (const [alignCorners, halfPixelCenters] of combos) {
    test(`alignCorners=${alignCorners} halfPixelCenters=${halfPixelCenters}: up, down and odd scales, forward and gradient`, () => {
      for (let seed = 0; seed < 10; seed++) {
        const r = rng(2000 + seed + (alignCorners ? 100 : 0) + (halfPixelCenters ? 200 : 0));
        const shape = [int(r, 1, 3), int(r, 1, 9), int(r, 1, 9), int(r, 1, 4)];
        const size: [number, number] = seed === 0 ? [shape[1] * 2, shape[2] * 2] : [int(r, 1, 17), int(r, 1, 17)];
        const label = `resize ${JSON.stringify(shape)} -> ${size} ac=${alignCorners} hpc=${halfPixelCenters}`;
        const x = randomTensor(r, shape);
        const w = randomTensor(r, [shape[0], size[0], size[1], shape[3]]);
        const resize = (t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, alignCorners, halfPixelCenters);
        const gradOf = (f: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)));
        // Forward: tfjs' JS kernel, and the gather formulation, must both agree with the native kernel.
        const fwd = compareWithJs(() => [resize(x), resizeByGather(x as tf.Tensor4D, size, alignCorners, halfPixelCenters)]);
        expectClose({ ...fwd, js: [fwd.js[0], fwd.js[0]] }, `${label} forward`);
        expectRanNatively(fwd, ['ResizeNearestNeighbor'], label);
        // Gradient: against the gather reference always; against tfjs' JS kernel where that one is right.
        const reference = readOutputs(() => gradOf((t) => resizeByGather(t as tf.Tensor4D, size, alignCorners, halfPixelCenters))(x));
        const nativeGrad = () => withEltwiseKernels(() => readOutputs(() => gradOf(resize)(x)));
        const { value: native, calls } = nativeGrad();
        const parallel = withAllLoopsParallel(nativeGrad).value;
        expectClose({ js: reference, native, parallel, calls }, `${label} gradient`);
        expect(calls.native.ResizeNearestNeighborGrad).toBe(1);
        if (shape[0] === 1 && !halfPixelCenters) expectClose({ js: readOutputs(() => gradOf(resize)(x)), native, calls }, `${label} vs JS`);
        tf.dispose([x, w]);
      }
    });
  }

  test("tfjs' own JS gradient is wrong for batch > 1 and for halfPixelCenters; the native one matches the reference", () => {
    const r = rng(31);
    const cases: Array<[number[], [number, number], boolean]> = [
      [[2, 3, 4, 2], [6, 8], false],
      [[1, 5, 3, 1], [7, 4], true],
    ];
    for (const [shape, size, hpc] of cases) {
      const x = randomTensor(r, shape);
      const w = randomTensor(r, [shape[0], size[0], size[1], shape[3]]);
      const loss = (f: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)));
      const resize = (t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, false, hpc);
      const reference = readOutputs(() => loss((t) => resizeByGather(t as tf.Tensor4D, size, false, hpc))(x));
      const js = readOutputs(() => loss(resize)(x));
      const { value: native } = withEltwiseKernels(() => readOutputs(() => loss(resize)(x)));
      expect(relError(js[0], reference[0])).toBeGreaterThan(0.1);
      expect(relError(native[0], reference[0])).toBeLessThan(1e-6);
      tf.dispose([x, w]);
    }
  });

  test('the common 2x upsampling gradient sums each 2x2 block', () => {
    const dy = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
    const x = tf.zeros([1, 2, 2, 1]);
    const res = compareWithJs(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [4, 4]), dy)))(x));
    expect(Array.from(res.native[0])).toEqual([1 + 2 + 5 + 6, 3 + 4 + 7 + 8, 9 + 10 + 13 + 14, 11 + 12 + 15 + 16]);
    expect(res.native).toEqual(res.js);
    tf.dispose([dy, x]);
  });

  test('int32 images run the JS kernel', () => {
    const xi = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32');
    const res = compareWithJs(() => tf.image.resizeNearestNeighbor(xi, [3, 3]));
    expect(res.native).toEqual(res.js);
    expect(res.calls.fallback.ResizeNearestNeighbor).toBe(1);
    xi.dispose();
  });
});
