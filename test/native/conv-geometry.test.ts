// The pure planners behind the native conv kernels: they must accept exactly what oneDNN can reproduce and refuse
// the rest (the kernels then use tfjs' JS code). No addon needed.
import { tf } from '../../src/backend/tf';
import {
  applicableStrategy, convGeometry, convStrategy, dataGradientAsForward, fitTrailingPad, matMulPlan, poolGeometry,
  rotatedTransposedFilter, zeroPadNhwc, ConvGeometry,
} from '../../src/backend/native/conv-geometry';

describe('fitTrailingPad', () => {
  it('keeps a trailing pad that already satisfies oneDNN output-size rule', () => {
    // 'same' 3x3 stride 1 on 5: pads 1/1, out 5.
    expect(fitTrailingPad(5, 5, 3, 1, 1, 1)).toBe(1);
  });
  it('grows the trailing pad when tfjs rounds the output size up (ceil)', () => {
    // in 6, k 3, stride 2, no pad: floor gives 2 outputs, ceil asks for 3 -> one zero column at the end.
    expect(fitTrailingPad(6, 3, 3, 2, 0, 0)).toBe(1);
  });
  it('shrinks a trailing pad no output reads', () => {
    // in 4, k 1, stride 2, pads 0/1: tfjs says 2 outputs, floor((4+1-1)/2)+1 = 3 -> drop the unused pad.
    expect(fitTrailingPad(4, 2, 1, 2, 0, 1)).toBe(0);
  });
  it('refuses an output that no non-negative pad produces', () => {
    expect(fitTrailingPad(9, 2, 3, 1, 0, 0)).toBeUndefined();
  });
});

describe('convGeometry', () => {
  const info = (pad: 'same' | 'valid' | number, strides: number, dilations: number, rounding?: 'ceil' | 'floor') =>
    tf.backend_util.computeConv2DInfo([2, 7, 6, 3], [3, 2, 3, 4], strides, dilations, pad, rounding, false, 'channelsLast');

  it('flattens a strided same conv into the addon layout', () => {
    expect(convGeometry(info('same', 2, 1))).toEqual([2, 7, 6, 3, 4, 3, 4, 3, 2, 2, 2, 1, 1, 1, 0, 1, 0]);
  });
  it('keeps dilations tfjs-style', () => {
    const g = convGeometry(info('valid', 1, 2));
    expect(g?.slice(11, 13)).toEqual([2, 2]);
    expect(g?.slice(4, 6)).toEqual([3, 4]);
  });
  it('refuses NCHW', () => {
    const nchw = tf.backend_util.computeConv2DInfo([2, 3, 7, 6], [3, 2, 3, 4], 1, 1, 'same', undefined, false, 'channelsFirst');
    expect(convGeometry(nchw)).toBeUndefined();
  });
});

describe('dataGradientAsForward', () => {
  // The style net's output layer: 9x9 valid conv 32 -> 3 on a reflection-padded 264x264 input.
  const outputLayer: ConvGeometry = [4, 264, 264, 32, 256, 256, 3, 9, 9, 1, 1, 1, 1, 0, 0, 0, 0];

  it('turns a narrow conv\'s data gradient into a forward conv of dy over the full window', () => {
    expect(dataGradientAsForward(outputLayer)).toEqual({
      geometry: [4, 272, 272, 3, 264, 264, 32, 9, 9, 1, 1, 1, 1, 0, 0, 0, 0],
      pad: [8, 8, 8, 8],
    });
  });
  it("pads by what the forward pass did not: a 'same' 3x3 conv stays 'same'", () => {
    expect(dataGradientAsForward([1, 9, 9, 16, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1])?.pad).toEqual([1, 1, 1, 1]);
  });
  it("leaves strided and wide convs to oneDNN's own gradient", () => {
    expect(dataGradientAsForward([1, 12, 10, 9, 4, 3, 1, 5, 5, 2, 2, 1, 1, 0, 0, 0, 0])).toBeUndefined();
    expect(dataGradientAsForward([1, 9, 9, 16, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1])).toBeUndefined();
  });
  it('rotates the filter 180° and swaps its in/out channels', () => {
    // HWIO [2, 1, 2, 3]: value = 100·y + 10·i + o.
    const w = new Float32Array(12);
    for (let y = 0; y < 2; y++) for (let i = 0; i < 2; i++) for (let o = 0; o < 3; o++) w[(y * 2 + i) * 3 + o] = 100 * y + 10 * i + o;
    const r = rotatedTransposedFilter(w, 2, 1, 2, 3); // [2, 1, 3, 2]
    expect(r[(0 * 3 + 2) * 2 + 1]).toBe(100 * 1 + 10 * 1 + 2);
    expect(r[(1 * 3 + 0) * 2 + 1]).toBe(10 * 1 + 0);
  });
  it('zero-pads an NHWC batch', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]); // [2, 1, 2, 2]
    const p = zeroPadNhwc(x, [2, 1, 2, 2], [1, 0, 0, 1]); // [2, 2, 3, 2]
    expect(Array.from(p)).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0]);
  });
});

describe('poolGeometry', () => {
  it('plans a same 3x3 stride 2 pool', () => {
    const info = tf.backend_util.computePool2DInfo([1, 5, 5, 2], 3, 2, 1, 'same');
    expect(poolGeometry(info)).toEqual([1, 5, 5, 2, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1]);
  });
  it('refuses windows that lie wholly in the padding', () => {
    const info = tf.backend_util.computePool2DInfo([1, 4, 4, 1], 2, 1, 1, [[0, 0], [2, 0], [0, 0], [0, 0]]);
    expect(poolGeometry(info)).toBeUndefined();
  });
});

describe('matMulPlan', () => {
  it('collapses batch dims and honours transposes', () => {
    expect(matMulPlan([2, 3, 7, 5], [2, 3, 4, 7], true, true)).toEqual({ geometry: [6, 6, 5, 7, 4], outShape: [2, 3, 5, 4] });
  });
  it('broadcasts a batch of one, including a rank-2 operand', () => {
    expect(matMulPlan([3, 4, 5], [5, 6], false, false)).toEqual({ geometry: [3, 1, 4, 5, 6], outShape: [3, 4, 6] });
    expect(matMulPlan([1, 4, 5], [3, 5, 6], false, false)?.outShape).toEqual([3, 4, 6]);
  });
  it('refuses broadcasts that need more than a batch of one, and mismatched inner dims', () => {
    expect(matMulPlan([2, 1, 4, 5], [1, 3, 5, 6], false, false)).toBeUndefined();
    expect(matMulPlan([4, 5], [6, 7], false, false)).toBeUndefined();
  });
  it('refuses batch dims that do not broadcast at all', () => {
    expect(matMulPlan([2, 4, 5], [3, 5, 6], false, false)).toBeUndefined();
    expect(matMulPlan([2, 1, 4, 5], [3, 5, 6], false, false)).toBeUndefined(); // outer [2,3]: a batch of 2 is not 6 nor 1
  });
});

describe('convStrategy', () => {
  // [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr]
  const conv = (ic: number, oc: number, k: number, s: number, d = 1): ConvGeometry =>
    [1, 64, 64, ic, 64 / s, 64 / s, oc, k, k, s, s, d, d, 1, 1, 1, 1];

  it('uses Winograd for wide 3x3 stride-1 dense convs (the residual blocks, VGG)', () => {
    expect(convStrategy(conv(128, 128, 3, 1))).toBe('winograd');
    expect(convStrategy(conv(64, 32, 3, 1))).toBe('winograd');
  });
  it('runs few-output-channel convs (the 9x9 32->3 output layer) on the narrow-output kernel', () => {
    expect(convStrategy(conv(32, 3, 9, 1))).toBe('narrowOut');
    expect(convStrategy(conv(4, 3, 3, 1))).toBe('plain');
  });
  it('keeps narrow and strided convs on NHWC', () => {
    expect(convStrategy(conv(3, 32, 9, 1))).toBe('plain');
    expect(convStrategy(conv(32, 64, 3, 2))).toBe('plain');
  });
  it('uses blocked direct for other wide convs', () => {
    expect(convStrategy(conv(64, 64, 1, 1))).toBe('blocked');
    expect(convStrategy(conv(64, 64, 3, 1, 2))).toBe('blocked');
  });
  it('honours a forced strategy where it applies', () => {
    expect(applicableStrategy('blocked', conv(128, 128, 3, 1))).toBe('blocked');
    expect(applicableStrategy('narrowOut', conv(32, 3, 9, 1))).toBe('narrowOut');
    expect(applicableStrategy('narrowOut', conv(32, 64, 3, 1))).toBe('plain');
    expect(applicableStrategy(undefined, conv(128, 128, 3, 1))).toBe('winograd');
  });
});
