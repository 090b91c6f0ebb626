// Tiles sharing the whole image's instance-norm statistics: the core tiling, the layer graph's geometry, and the exact
// method reproducing the untiled pass (random-weight nets of both layouts, in-memory and on-disk caches).
import { tf } from '../../src/backend/tf';
import { UsageError } from '../../src/errors';
import { cutNodes, edgeDepths, layerGraph } from '../../src/infer/layer-graph';
import { stylize } from '../../src/infer/stylize';
import { planExactPasses } from '../../src/infer/exact-passes';
import { boxDownscale, exactTiledForward } from '../../src/infer/tile-stats';
import { coreAxis, planCoreTiles } from '../../src/infer/tiling';
import { buildTransformer, ENGSTROM_CONFIG } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';
import { patternImage } from './fixtures';

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

describe('core tiling', () => {
  it.each([
    [300, 96, 12],
    [1200, 256, 8],
    [200, 96, 0],
    [64, 96, 12],
  ])('length %i, window %i, margin %i: cores partition the axis inside equal windows', (length, window, margin) => {
    const axis = coreAxis(length, window, margin, 4);
    const size = axis[0].end - axis[0].start;
    expect(size).toBeLessThanOrEqual(Math.min(length, window));
    // no larger than the largest core and its two margins need
    expect(size).toBeLessThanOrEqual(Math.ceil((Math.max(...axis.map((t) => t.coreEnd - t.coreStart)) + 2 * margin) / 4) * 4);
    expect(axis[0].coreStart).toBe(0);
    expect(axis[axis.length - 1].coreEnd).toBe(length);
    axis.forEach((t, i) => {
      if (i > 0) expect(t.coreStart).toBe(axis[i - 1].coreEnd);
      expect(t.coreEnd).toBeGreaterThan(t.coreStart);
      expect(t.end - t.start).toBe(size);
      expect(t.start % 4).toBe(0);
      // The margin is there wherever the axis goes on beyond the core.
      if (t.coreStart > 0) expect(t.coreStart - t.start).toBeGreaterThanOrEqual(margin);
      if (t.coreEnd < length) expect(t.end - t.coreEnd).toBeGreaterThanOrEqual(margin);
    });
  });

  it('covers every pixel of the image exactly once with cores', () => {
    const seen = new Uint8Array(300 * 200);
    for (const t of planCoreTiles(300, 200, 96, 12, 4)) {
      for (let y = t.core.top; y < t.core.top + t.core.height; y++) for (let x = t.core.left; x < t.core.left + t.core.width; x++) seen[y * 300 + x]++;
    }
    expect(seen.every((v) => v === 1)).toBe(true);
  });
});

describe('layer graph of the transformer', () => {
  const net = buildTransformer({});
  afterAll(() => net.dispose());

  it('finds the norms, the 1/4-resolution cuts and a receptive reach of about 60 px', () => {
    const g = layerGraph(net);
    expect(g.norms.map((i) => g.nodes[i].name)).toEqual([
      'in1', 'in2', 'in3',
      ...[1, 2, 3, 4, 5].flatMap((k) => [`res${k}_in1`, `res${k}_in2`]),
      'in4', 'in5',
    ]);
    const cuts = cutNodes(g).map((i) => g.nodes[i].name);
    for (const name of ['relu3', 'res1_add', 'res5_add', 'relu4']) expect(cuts).toContain(name);
    expect(cuts).not.toContain('res1_relu'); // inside a residual block the skip connection still needs its input
    expect(g.nodes.find((n) => n.name === 'relu3')!.scale).toBe(4);
    // conv1 4 + conv2 2 + conv3 4 + 10 res convs × 4 + deconv1 2 + deconv2 1 + deconv3 4 (+ cell rounding).
    const reach = edgeDepths(g, g.input)[g.output];
    expect(reach).toBeGreaterThanOrEqual(54);
    expect(reach).toBeLessThanOrEqual(72);
    expect(Math.max(...planExactPasses(g, 300, 200, 96).map((p) => p.margin))).toBeLessThanOrEqual(16);
  });
});

describe('exact passes of the transformer', () => {
  const net = buildTransformer({});
  afterAll(() => net.dispose());

  it('resume at the stored input of the norm before (one conv a pass) and join residual sums pointwise', () => {
    const g = layerGraph(net);
    const name = (i: number) => g.nodes[i].name;
    const passes = planExactPasses(g, 400, 300, 128).map((p) => ({ ...p, from: p.sources.map(name).join('+'), to: name(p.target) }));
    const pass = (to: string) => passes.find((p) => p.to === to)!;
    // one pass per norm, one per residual sum, one for the output
    expect(passes).toHaveLength(g.norms.length + 5 + 1);
    expect(pass('conv3').from).toBe(name(g.input));
    for (const k of [1, 2, 3, 4, 5]) {
      const block = k === 1 ? 'conv3' : `res${k - 1}_add`;
      expect(pass(`res${k}_conv1`).from).toBe(block);
      expect(pass(`res${k}_conv2`).from).toBe(`res${k}_conv1`);
      const join = pass(`res${k}_add`);
      expect(join.from).toBe(`${block}+res${k}_conv2`);
      expect(join.margin).toBe(0);
      expect(join.norm).toBeUndefined();
    }
    expect(pass('output_tanh').from).toBe('res5_add');
    // Every stored map is read by a later pass.
    passes.forEach((p, i) => p.stores.forEach((s) => expect(passes.slice(i + 1).some((q) => q.sources.includes(s))).toBe(true)));
  });
});

describe('tiles with shared statistics through a random-weight network', () => {
  it('exact (the default): 300x200 in 96-px tiles equals the untiled pass up to float rounding', async () => {
    const net = buildTransformer({}); // the default: pytorch/examples layout with a tanh head
    const img = patternImage(300, 200, 3);
    const whole = await stylize(net, img, { tile: 0 });
    const before = tf.memory().numTensors;
    const tiled = await stylize(net, img, { tile: 96 });
    expect(tf.memory().numTensors).toBe(before);
    expect(tiled.tileStats).toBe('exact');
    const perTile = await stylize(net, img, { tile: 96, tileStats: 'per-tile' });
    const diff = meanAbsDiff(tiled.rgb, whole.rgb);
    process.stderr.write(
      `300x200, tile 96, random default net: exact mean ${diff.toExponential(2)} max ${maxAbsDiff(tiled.rgb, whole.rgb).toExponential(2)}; ` +
        `per-tile mean ${meanAbsDiff(perTile.rgb, whole.rgb).toFixed(2)} of 255\n`,
    );
    expect(diff).toBeLessThan(3); // the goal for the default method, in levels of 255
    // Float rounding only: the tiles' float32 statistics differ from the fused kernel's in the last bits.
    expect(maxAbsDiff(tiled.rgb, whole.rgb)).toBeLessThan(0.05);
    net.dispose();
  });

  it('exact also holds for the Engstrom layout (zero padding, transposed convs, output norm) with maps on disk', async () => {
    const net = buildTransformer(ENGSTROM_CONFIG);
    const img = patternImage(160, 120, 5);
    const whole = await stylize(net, img, { tile: 0 });
    // memoryBytes 0: every cached activation map goes to a temporary file.
    const graph = layerGraph(net);
    const out = await exactTiledForward(graph, img, 64, { memoryBytes: 0 });
    const diff = maxAbsDiff(out, whole.rgb);
    process.stderr.write(`160x120, tile 64, random Engstrom-layout net, disk cache: exact max |diff| ${diff.toExponential(2)}\n`);
    // This layout normalises the output itself and feeds tanh × 150, which magnifies float rounding more.
    expect(diff).toBeLessThan(0.1);
    net.dispose();
  });

  it.each(['exact', 'downscaled', 'per-tile'] as const)('%s: the event loop runs between windows (a server stays responsive)', async (tileStats) => {
    const net = buildTransformer({ width: 0.25, residualBlocks: 1 });
    const img = patternImage(96, 64);
    let ticks = 0;
    const seen: number[] = [];
    const timer = setInterval(() => ticks++, 0);
    try {
      await stylize(net, img, { tile: 32, tileStats, onTile: () => seen.push(ticks) });
    } finally {
      clearInterval(timer);
      net.dispose();
    }
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[seen.length - 1]).toBeGreaterThan(seen[0]);
  });

  it('needs a tf.LayersModel for shared statistics; a plain function falls back to per-tile statistics', async () => {
    const net = buildTransformer({ width: 0.25, residualBlocks: 1 });
    const forward = (x: tf.Tensor4D) => net.predict(x) as tf.Tensor;
    const img = patternImage(64, 48);
    await expect(stylize(forward, img, { tile: 32, tileStats: 'exact' })).rejects.toThrow(UsageError);
    expect((await stylize(forward, img, { tile: 32 })).tileStats).toBe('per-tile');
    expect((await stylize(net, img, { tile: 32, tileStats: 'downscaled' })).tileStats).toBe('downscaled');
    net.dispose();
  });
});

describe('box downscaling for the downscaled statistics', () => {
  it('averages whole blocks and partial edge blocks', () => {
    const img = { width: 3, height: 2, rgb: Float32Array.from({ length: 18 }, (_, i) => i) };
    const small = boxDownscale(img, 2);
    expect([small.width, small.height]).toEqual([2, 1]);
    // Pixel (0,0) averages pixels (0,0) (1,0) (0,1) (1,1); pixel (1,0) averages the last column.
    expect(Array.from(small.rgb)).toEqual([6, 7, 8, 10.5, 11.5, 12.5]);
  });
});
