// The whole-network native plan (native/src/plan.cc via src/nets/planned-forward.ts) against the per-op path
// (model.predict on the native tfjs kernels): the same network, seeded weights, odd sizes and batches, every output
// head, an output norm, non-multiple-of-16 widths. Also: a weight change (setWeights, an optimizer step) rebuilds the
// plan, and networks the plan cannot run fall back to predict. network-plan-avx2.test.ts reruns this file with
// ONEDNN_MAX_CPU_ISA=AVX2 (8-lane blocks, the AVX2 narrow kernel and our AVX2 Winograd).
//
// Tolerance: max |plan − predict| ≤ 1e-4 × the output's range (+1e-3 absolute for the output-norm net, whose last
// norm divides by the std of a near-constant image). Both are float32 sums in different orders (Winograd against
// direct, blocked against NHWC); a wrong layer is off by O(range).
import { tf } from '../../src/backend/tf';
import { buildTransformer, TransformerConfigInput } from '../../src/nets/transformer';
import { networkPlanFor, networkPlanOps, networkSegmentPlan, plannedAffineForward, plannedForward, plannedForwardWithStats } from '../../src/nets/planned-forward';
import { planExactPasses } from '../../src/infer/exact-passes';
import { layerGraph, NormStats, runGraph } from '../../src/infer/layer-graph';
import { adainAffine, blendAlpha, buildAdainDecoder, channelStats, mixedAdain, type ChannelStats } from '../../src/nets/adain';
import { VggFeatureExtractor } from '../../src/nets/loss-network/vgg-net';
import { vggLayout } from '../../src/nets/loss-network/vgg-layout';
import type { RawConv } from '../../src/nets/loss-network/types';
import { describeNative, maxAbsDiff, seededRandom } from '../helpers';

const expectedLanes = process.env.ONEDNN_MAX_CPU_ISA?.toUpperCase() === 'AVX2' ? 8 : undefined;

/** A net whose last conv is scaled up so the output varies across the image (a fresh net is nearly flat grey). */
function net(config: TransformerConfigInput, seed = 1): tf.LayersModel {
  const m = buildTransformer({ output: 'linear', ...config }, { seed });
  const last = m.getLayer('deconv3');
  const [k, b] = last.getWeights();
  last.setWeights([tf.mul(k, 30), b]);
  return m;
}

function input(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.randomUniform(shape, 0, 255, 'float32', seed) as tf.Tensor4D;
}

/** On 8-lane (AVX2) plans the 3×3 stride-1 convs between blocked activations run our Winograd (native/src/winograd.cc). */
function expectOwnWinogradOnAvx2(info: { lanes: number; implementations: string[] }) {
  if (info.lanes === 8) expect(info.implementations).toContain('winograd_4x3:avx2');
  // On 16 lanes oneDNN's F(4×4, 3×3) is taken over its F(2×2, 3×3) (native/src/common.h, PreferWinograd4x3): every
  // oneDNN 2.6 build with AVX-512 Winograd has the 4×3 kernel.
  if (info.lanes === 16) expect(info.implementations.filter((i) => i.includes('wino_2x3'))).toEqual([]);
}

function compare(model: tf.LayersModel, x: tf.Tensor4D, absExtra = 0) {
  const planned = plannedForward(model)(x);
  const reference = model.predict(x) as tf.Tensor;
  expect(planned.shape).toEqual(reference.shape);
  const a = planned.dataSync() as Float32Array;
  const b = reference.dataSync() as Float32Array;
  let lo = Infinity, hi = -Infinity;
  for (const v of b) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const err = maxAbsDiff(a, b);
  tf.dispose([planned, reference]);
  return { err, range: hi - lo, ok: err <= 1e-4 * (hi - lo) + absExtra };
}

describeNative('whole-network native plan', () => {
  test.each<[string, TransformerConfigInput, [number, number, number, number], number]>([
    ['pytorch/examples net', {}, [1, 36, 44, 3], 0],
    ['residual head, batch 2', { output: 'residual' }, [2, 32, 28, 3], 0],
    ['tanh head with an output norm', { output: 'tanh', outputNorm: true }, [1, 24, 40, 3], 1e-3],
    ['softclip head, width 0.75 (channels not a multiple of 16), 2 blocks', { output: 'softclip', width: 0.75, residualBlocks: 2 }, [1, 28, 28, 3], 0],
    ['width 0.5, odd size', { width: 0.5 }, [1, 30, 22, 3], 0],
  ])('%s equals model.predict', (_, config, shape, absExtra) => {
    const model = net(config);
    const x = input(shape, 7);
    const r = compare(model, x, absExtra);
    expect(r.range).toBeGreaterThan(1);
    expect(r).toMatchObject({ ok: true });
    const info = networkPlanFor(model)!.plan.info();
    if (expectedLanes) expect(info.lanes).toBe(expectedLanes);
    expect(info.implementations.some((s) => s.startsWith('ref'))).toBe(false);
    expectOwnWinogradOnAvx2(info);
    x.dispose();
    model.dispose();
  });

  test('a weight change rebuilds the plan (setWeights, then an optimizer step)', () => {
    const model = net({ residualBlocks: 1 });
    const x = input([1, 20, 20, 3], 3);
    const forward = plannedForward(model);
    const before = forward(x);
    const first = networkPlanFor(model)!.plan;
    expect(networkPlanFor(model)!.plan).toBe(first); // unchanged weights: the same plan

    const conv = model.getLayer('res1_conv1');
    const [k, b] = conv.getWeights();
    conv.setWeights([tf.mul(k, -1), b]);
    expect(networkPlanFor(model)!.plan).not.toBe(first);
    const afterSet = forward(x);
    expect(maxAbsDiff(afterSet.dataSync(), before.dataSync())).toBeGreaterThan(1e-2);
    expect(compare(model, x)).toMatchObject({ ok: true });

    // Training assigns new values to the variables: the next inference must see them.
    const optimizer = tf.train.adam(0.05);
    optimizer.minimize(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    const afterStep = forward(x);
    expect(maxAbsDiff(afterStep.dataSync(), afterSet.dataSync())).toBeGreaterThan(1e-3);
    expect(compare(model, x)).toMatchObject({ ok: true });
    tf.dispose([before, afterSet, afterStep, x]);
    optimizer.dispose();
    model.dispose();
  });

  test('networks without a plan (transposed upsampling, strided zero padding) fall back to predict', () => {
    for (const config of [{ upsample: 'transposed' as const }, { padding: 'zero' as const }]) {
      const model = buildTransformer(config, { seed: 2 });
      expect(typeof networkPlanOps(model)).toBe('string');
      expect(networkPlanFor(model)).toBeUndefined();
      const x = input([1, 16, 16, 3], 1);
      const a = plannedForward(model)(x);
      const b = model.predict(x) as tf.Tensor;
      expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
      tf.dispose([a, b, x]);
      model.dispose();
    }
  });

  test('the AdaIN decoder (convs + ReLU + upsampling, no norms) equals model.predict', () => {
    const model = buildAdainDecoder({ encoderLayer: 'relu3_1', width: 0.25 }, { seed: 4 });
    const x = tf.randomUniform([1, 9, 7, 256], 0, 4, 'float32', 5) as tf.Tensor4D;
    const r = compare(model, x);
    expect(r.range).toBeGreaterThan(0.1);
    expect(r).toMatchObject({ ok: true });
    expect(networkPlanFor(model)).toBeDefined();
    expect(networkPlanFor(model)!.plan.info().implementations.some((s) => s.startsWith('ref'))).toBe(false);
    expectOwnWinogradOnAvx2(networkPlanFor(model)!.plan.info());
    x.dispose();
    model.dispose();
  });

  test('the AdaIN decoder with its target fused in front (two styles mixed, alpha 0.6) equals the tfjs target + predict', () => {
    const model = buildAdainDecoder({ encoderLayer: 'relu3_1', width: 0.25 }, { seed: 6 });
    const f = tf.randomUniform([1, 11, 9, 256], 0, 6, 'float32', 7) as tf.Tensor4D;
    const style = (seed: number) => ({
      mean: tf.randomUniform([1, 1, 1, 256], 0, 3, 'float32', seed) as tf.Tensor4D,
      // one near-flat channel: the smallest σ the eps allows
      std: tf.concat([tf.fill([1, 1, 1, 1], Math.sqrt(1e-5)), tf.randomUniform([1, 1, 1, 255], 0.1, 4, 'float32', seed + 1)], 3) as tf.Tensor4D,
    });
    const styles = [style(8), style(10)];
    const content = channelStats(f);
    const want = tf.tidy(() => model.predict(blendAlpha(mixedAdain(f, styles, [0.3, 0.7], content), f, 0.6)) as tf.Tensor);
    const values = (s: ChannelStats) => ({ mean: s.mean.dataSync(), std: s.std.dataSync() });
    const fused = plannedAffineForward(model);
    expect(fused).toBeDefined();
    const got = fused!(f, adainAffine(values(content), styles.map(values), [0.3, 0.7], 0.6));
    const b = want.dataSync() as Float32Array;
    const range = Math.max(...b) - Math.min(...b);
    expect(range).toBeGreaterThan(0.1);
    expect(got.shape).toEqual(want.shape);
    expect(maxAbsDiff(got.dataSync() as Float32Array, b)).toBeLessThanOrEqual(1e-4 * range + 1e-5);
    tf.dispose([f, got, want, content.mean, content.std, ...styles.flatMap((s) => [s.mean, s.std])]);
    model.dispose();
  });

  test('the VGG encoder\'s planned encode (zero padding, ReLU, max pools) equals extract, caffe and torch preprocessing', () => {
    for (const preprocessing of ['caffe', 'torch'] as const) {
      const rand = seededRandom(preprocessing === 'caffe' ? 11 : 12);
      const convs = new Map<string, RawConv>();
      for (const spec of vggLayout('vgg19')) {
        const n = 9 * spec.inChannels * spec.outChannels;
        const std = Math.sqrt(2 / (9 * spec.inChannels));
        convs.set(spec.name, {
          kernel: Float32Array.from({ length: n }, () => (rand() * 2 - 1) * std * 1.7),
          kernelShape: [3, 3, spec.inChannels, spec.outChannels],
          layout: 'HWIO',
          bias: Float32Array.from({ length: spec.outChannels }, () => rand() * 0.1),
        });
        if (spec.tap === 'relu3_1') break;
      }
      const vgg = new VggFeatureExtractor('vgg19', { preprocessing, convs }, 'random vgg19', 'test');
      const x = input([1, 30, 26, 3], 9);
      for (const tap of ['relu1_1', 'relu2_1', 'relu3_1']) {
        const planned = vgg.encode(x, tap);
        const reference = vgg.extract(x, [tap])[tap];
        expect(planned.shape).toEqual(reference.shape);
        const ref = reference.dataSync();
        const scale = Math.max(...Array.from(ref, Math.abs));
        expect(scale).toBeGreaterThan(0);
        expect(maxAbsDiff(planned.dataSync(), ref)).toBeLessThanOrEqual(1e-4 * scale);
        // No oneDNN reference kernel: the last conv writing NHWC from blocked input once fell back to one, ~1000x slower.
        expect(vgg.encodePlanInfo(tap)!.implementations.filter((s) => s.startsWith('ref'))).toEqual([]);
        if (tap !== 'relu1_1') expectOwnWinogradOnAvx2(vgg.encodePlanInfo(tap)!); // relu1_1's only conv reads the image
        tf.dispose([planned, reference]);
      }
      x.dispose();
      vgg.dispose();
    }
  });

  test('the plan describes the transformer as 16 convs, 15 norms, 5 residual marks and 2 fused upsamplings', () => {
    const model = buildTransformer({}, { seed: 3 });
    const d = networkPlanOps(model);
    if (typeof d === 'string') throw new Error(d);
    const count = (kind: string) => d.ops.filter((o) => o.kind === kind).length;
    expect([count('conv'), count('norm'), count('mark'), count('upsample')]).toEqual([16, 15, 5, 2]);
    expect(d.ops.filter((o) => o.kind === 'norm' && o.addMarked).length).toBe(5);
    expect(d.tail.map((l) => l.getClassName())).toEqual(['NstTanhImageOutput']);
    model.dispose();
  });
});

/** Per-norm statistics (node → mean, rstd) of a plausible spread, seeded. */
function randomStats(model: tf.LayersModel, seed: number): Map<number, NormStats> {
  const graph = layerGraph(model);
  const rand = seededRandom(seed);
  return new Map(
    graph.norms.map((n) => {
      const c = graph.nodes[n].channels;
      return [n, { mean: Float32Array.from({ length: c }, () => rand() * 4 - 2), rstd: Float32Array.from({ length: c }, () => 0.2 + rand()) }];
    }),
  );
}

// Tiles of one image normalised with the whole image's statistics (src/infer/tile-stats.ts) run through the plan with
// each norm's statistics given: the same as the layer-by-layer pass with them, within the tolerance above.
describeNative('whole-network native plan with frozen norm statistics', () => {
  test.each<[string, TransformerConfigInput, [number, number, number, number]]>([
    ['default layout', {}, [1, 28, 36, 3]],
    ['width 0.75, 2 blocks, batch 2 (the same statistics for both images)', { width: 0.75, residualBlocks: 2 }, [2, 24, 20, 3]],
  ])('%s: equals runGraph with the same statistics', (_, config, shape) => {
    const model = net(config);
    const graph = layerGraph(model);
    const stats = randomStats(model, 5);
    const forward = plannedForwardWithStats(model, new Map([...stats].map(([n, st]) => [graph.nodes[n].layer, st])));
    expect(forward).toBeDefined();
    const x = input(shape, 9);
    const planned = forward!(x);
    const [reference] = runGraph(graph, { feeds: new Map([[graph.input, x]]), targets: [graph.output], stats });
    const b = reference.dataSync() as Float32Array;
    let lo = Infinity, hi = -Infinity;
    for (const v of b) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    expect(hi - lo).toBeGreaterThan(1);
    expect(maxAbsDiff(planned.dataSync() as Float32Array, b)).toBeLessThanOrEqual(1e-4 * (hi - lo));
    // and not the plan's own statistics: the frozen ones change the result
    const own = plannedForward(model)(x);
    expect(maxAbsDiff(own.dataSync() as Float32Array, b)).toBeGreaterThan(1e-2 * (hi - lo));
    tf.dispose([x, planned, reference, own]);
    model.dispose();
  });

  test('no plan when a norm runs after the last conv (an output norm) or a norm has no statistics', () => {
    const withOutputNorm = net({ output: 'tanh', outputNorm: true });
    expect(plannedForwardWithStats(withOutputNorm, new Map([...randomStats(withOutputNorm, 2)].map(([n, st]) => [layerGraph(withOutputNorm).nodes[n].layer, st])))).toBeUndefined();
    const plain = net({ residualBlocks: 1 });
    expect(plannedForwardWithStats(plain, new Map())).toBeUndefined();
    withOutputNorm.dispose();
    plain.dispose();
  });
});

// The exact tile statistics' passes (src/infer/tile-stats.ts) on plan segments: from a cut (the image, relu3's or a
// residual block's output, or a norm's input) to a norm's input or a stored cut, the norms before frozen. Each
// segment against runGraph with the same statistics: segments that start at a norm, keep their input as a residual
// skip, end at a norm (+ add) or run the output head as a tail.
describeNative('plans for part of a network (the exact passes\' segments)', () => {
  test.each<[string, TransformerConfigInput]>([
    ['default layout, tanh head', { output: 'tanh' }],
    ['width 0.75, 2 blocks', { width: 0.75, residualBlocks: 2 }],
  ])('%s: every segment equals runGraph', (_, config) => {
    const model = net(config);
    const graph = layerGraph(model);
    const stats = randomStats(model, 3);
    const byLayer = new Map([...stats].map(([n, st]) => [graph.nodes[n].layer, st]));
    const x = input([1, 40, 48, 3], 4);
    let segments = 0;
    for (const pass of planExactPasses(graph, 48, 40, 48)) {
      // Passes joining two maps (a residual sum) run layer by layer, not on a plan.
      if (pass.sources.length !== 1) continue;
      const [source] = pass.sources;
      const [feed] = source === graph.input ? [x] : runGraph(graph, { feeds: new Map([[graph.input, x]]), targets: [source], stats });
      for (const t of new Set([pass.target, ...pass.stores])) {
        const segment = networkSegmentPlan(model, source, t);
        expect(segment).toBeDefined();
        const got = segment!.run(feed, byLayer);
        const [want] = runGraph(graph, { feeds: new Map([[source, feed]]), targets: [t], stats });
        const b = want.dataSync() as Float32Array;
        let lo = Infinity, hi = -Infinity;
        for (const v of b) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        expect(got.shape).toEqual(want.shape);
        expect(maxAbsDiff(got.dataSync() as Float32Array, b)).toBeLessThanOrEqual(1e-4 * (hi - lo) + 1e-5);
        tf.dispose([got, want]);
        segment!.dispose();
        segments++;
      }
      if (feed !== x) feed.dispose();
    }
    expect(segments).toBeGreaterThan(graph.norms.length);
    x.dispose();
    model.dispose();
  });
});

