/** @jest-environment ./test/export/ort-environment.js */
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { transformerToOnnx } from '../../src/export/onnx';
import { ENGSTROM_CONFIG, parseTransformerConfig, TransformerConfigInput } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';
import { nchwToNhwc, nhwcToNchw, randomImage, randomNet, tfjsForward } from './net-fixtures';

/** Error budget on the 0–255 scale: float32 ops in another order, through 16+ layers. */
const TOLERANCE = 1e-2;

async function runOnnx(bytes: Uint8Array, image: Float32Array, h: number, w: number) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', nhwcToNchw(image, h, w), [1, 3, h, w]) });
    const y = out.output;
    const [, , oh, ow] = y.dims as number[];
    return { data: nchwToNhwc(y.data as Float32Array, oh, ow), dims: y.dims as number[] };
  } finally {
    await session.release();
  }
}

const VARIANTS: Array<[string, TransformerConfigInput]> = [
  ['default (nearest, reflect, tanh)', { width: 0.25 }],
  ['transposed upsampling', { width: 0.25, upsample: 'transposed' }],
  ['zero SAME padding', { width: 0.25, padding: 'zero' }],
  ['Engstrom preset', { ...ENGSTROM_CONFIG, width: 0.25 }],
  ['linear head, no bias, 2 residual blocks', { width: 0.25, output: 'linear', convBias: false, residualBlocks: 2, normEpsilon: 1e-3 }],
  ['softclip head', { width: 0.25, output: 'softclip' }],
  ['residual head (the photo padded to 4·⌈H/4⌉ at odd sizes)', { width: 0.25, output: 'residual', residualBlocks: 2 }],
];

// 48×40: even all the way down; 45×38 and 42×37: odd sizes at the stride-2 convs (TF 'SAME' pads 1+1 there, 0+1 on
// even sizes) and outputs larger than the input (4·⌈H/4⌉).
const SIZES: Array<[number, number]> = [
  [48, 40],
  [45, 38],
];

describe('ONNX export matches the tfjs network (onnxruntime-node, CPU)', () => {
  test.each(VARIANTS)('%s', async (_name, configInput) => {
    const config = parseTransformerConfig(configInput);
    const model = randomNet(config, 3);
    const bytes = transformerToOnnx(model, config);
    for (const [h, w] of SIZES) {
      const image = randomImage(h, w);
      const expected = tfjsForward(model, image, h, w);
      const got = await runOnnx(bytes, image, h, w);
      expect(got.dims).toEqual([1, 3, expected.shape[1], expected.shape[2]]);
      const err = maxAbsDiff(got.data, expected.data);
      let lo = Infinity, hi = -Infinity;
      for (const v of expected.data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      process.stderr.write(`onnx ${_name} ${h}x${w}: max abs error ${err.toExponential(2)} (output range ${lo.toFixed(1)}..${hi.toFixed(1)})\n`);
      expect(hi - lo).toBeGreaterThan(20); // the net is not a flat image: the comparison means something
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    }
    model.dispose();
  });

  test('the graph: opset 13, one node per layer as mapped in docs/export.md, weights named as in PyTorch', () => {
    const config = parseTransformerConfig({ width: 0.25 });
    const model = randomNet(config);
    const m = onnx.ModelProto.decode(transformerToOnnx(model, config));
    model.dispose();
    const graph = m.graph as onnx.GraphProto;
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const counts: Record<string, number> = {};
    for (const n of graph.node) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
    // 16 convs, each behind a reflection Pad; 15 norms; 10 ReLUs; 5 residual Adds + the head's Add; 2 Resizes.
    expect(counts).toEqual({ Pad: 16, Conv: 16, InstanceNormalization: 15, Relu: 10, Add: 6, Resize: 2, Tanh: 1, Mul: 1, Identity: 1 });
    const names = graph.initializer.map((t) => t.name);
    expect(names).toContain('conv1.conv2d.weight');
    expect(names).toContain('res5.in2.bias');
    const resize = graph.node.find((n) => n.opType === 'Resize')!;
    const attr = Object.fromEntries(resize.attribute!.map((a) => [a.name, new TextDecoder().decode(a.s!)]));
    expect(attr).toEqual({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  });

  test('dynamic input: N, H and W are symbolic; a batch is independent images', async () => {
    const config = parseTransformerConfig({ width: 0.25, residualBlocks: 1 });
    const model = randomNet(config);
    const session = await ort.InferenceSession.create(transformerToOnnx(model, config));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const meta = session.inputMetadata[0] as unknown as { shape: Array<number | string> };
    expect(meta.shape).toEqual(['batch', 3, 'height', 'width']);
    // A batch of two is two independent images (instance norm statistics are per image).
    const [h, w] = [20, 24];
    const a = nhwcToNchw(randomImage(h, w, 1), h, w);
    const b = nhwcToNchw(randomImage(h, w, 2), h, w);
    const pair = new Float32Array(a.length * 2);
    pair.set(a);
    pair.set(b, a.length);
    const batch = (await session.run({ input: new ort.Tensor('float32', pair, [2, 3, h, w]) })).output;
    expect(batch.dims).toEqual([2, 3, h, w]);
    const single = (await session.run({ input: new ort.Tensor('float32', b, [1, 3, h, w]) })).output;
    expect(maxAbsDiff((batch.data as Float32Array).slice(a.length), single.data as Float32Array)).toBeLessThanOrEqual(1e-3);
    await session.release();
    model.dispose();
  });
});
