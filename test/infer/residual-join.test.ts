// The exact tile statistics' residual sums over whole maps (src/infer/residual-join.ts) against the layer-by-layer
// evaluation of the same nodes, on the native addon and on its JavaScript fallback; and the maps' memory allowance.
import { tf } from '../../src/backend/tf';
import { layerGraph, LayerGraph, NormStats, runGraph } from '../../src/infer/layer-graph';
import { mapMemoryBytes } from '../../src/infer/memory';
import { residualJoin } from '../../src/infer/residual-join';
import { buildTransformer } from '../../src/nets/transformer';
import { maxAbsDiff } from '../helpers';

const index = (g: LayerGraph, name: string) => g.nodes.findIndex((n) => n.name === name);

function randomMap(length: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 8 - 4);
}

describe('residual sums over whole maps', () => {
  const net = buildTransformer({});
  const graph = layerGraph(net);
  const target = index(graph, 'res2_add');
  const skip = index(graph, 'res1_add');
  const norm = index(graph, 'res2_in2');
  const conv = index(graph, 'res2_conv2');
  const [h, w, c] = [5, 7, graph.nodes[target].channels];
  const x = randomMap(h * w * c, 1);
  const b = randomMap(h * w * c, 2);
  const stats = new Map<number, NormStats>([[norm, { mean: randomMap(c, 3), rstd: randomMap(c, 4).map((v) => Math.abs(v) + 0.1) }]]);
  const maps = new Map([[skip, x], [conv, b]]);
  afterAll(() => net.dispose());

  function reference(): Float32Array {
    const feeds = new Map([[skip, tf.tensor4d(x, [1, h, w, c])], [conv, tf.tensor4d(b, [1, h, w, c])]]);
    const [y] = runGraph(graph, { feeds, targets: [target], stats });
    const out = y.dataSync() as Float32Array;
    tf.dispose([y, ...feeds.values()]);
    return out;
  }

  it('equals the layers evaluated on the same maps (x + frozen norm of b), within float rounding', () => {
    const out = new Float32Array(x.length);
    expect(residualJoin(graph, target, stats, (n) => maps.get(n), out)).toBe(true);
    expect(maxAbsDiff(out, reference())).toBeLessThan(1e-4);
  });

  it('gives the same sums without the native addon', () => {
    const out = new Float32Array(x.length);
    jest.isolateModules(() => {
      jest.doMock('../../src/backend/native/loader', () => ({ loadNativeAddon: () => ({ loaded: false, reason: 'test' }) }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fallback = require('../../src/infer/residual-join') as typeof import('../../src/infer/residual-join');
      expect(fallback.residualJoin(graph, target, stats, (n) => maps.get(n), out)).toBe(true);
    });
    expect(maxAbsDiff(out, reference())).toBeLessThan(1e-4);
  });

  it("the first block's sum, whose skip is relu3 of the stored conv3 map, equals the layers too", () => {
    const first = index(graph, 'res1_add');
    const [in3, in2] = [index(graph, 'in3'), index(graph, 'res1_in2')];
    const [conv3, res1conv2] = [index(graph, 'conv3'), index(graph, 'res1_conv2')];
    const firstStats = new Map<number, NormStats>([
      [in3, { mean: randomMap(c, 5), rstd: randomMap(c, 6).map((v) => Math.abs(v) + 0.1) }],
      [in2, stats.get(norm)!],
    ]);
    const firstMaps = new Map([[conv3, x], [res1conv2, b]]);
    const feeds = new Map([[conv3, tf.tensor4d(x, [1, h, w, c])], [res1conv2, tf.tensor4d(b, [1, h, w, c])]]);
    const [y] = runGraph(graph, { feeds, targets: [first], stats: firstStats });
    const want = y.dataSync() as Float32Array;
    tf.dispose([y, ...feeds.values()]);
    expect(Math.min(...want)).toBeLessThan(0); // the ReLU's zeros plus a norm: negative values, so the order matters
    const out = new Float32Array(x.length);
    expect(residualJoin(graph, first, firstStats, (n) => firstMaps.get(n), out)).toBe(true);
    expect(maxAbsDiff(out, want)).toBeLessThan(1e-4);
    jest.isolateModules(() => {
      jest.doMock('../../src/backend/native/loader', () => ({ loadNativeAddon: () => ({ loaded: false, reason: 'test' }) }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fallback = require('../../src/infer/residual-join') as typeof import('../../src/infer/residual-join');
      const js = new Float32Array(x.length);
      expect(fallback.residualJoin(graph, first, firstStats, (n) => firstMaps.get(n), js)).toBe(true);
      expect(maxAbsDiff(js, want)).toBeLessThan(1e-4);
    });
    // Without the skip norm's statistics it declines.
    expect(residualJoin(graph, first, new Map([[in2, stats.get(norm)!]]), (n) => firstMaps.get(n), out)).toBe(false);
  });

  it('declines what is not a sum of two maps at hand', () => {
    const out = new Float32Array(x.length);
    // A conv is no sum, and a missing map or statistic stops it too.
    expect(residualJoin(graph, conv, stats, (n) => maps.get(n), out)).toBe(false);
    expect(residualJoin(graph, target, stats, (n) => (n === skip ? x : undefined), out)).toBe(false);
    expect(residualJoin(graph, target, new Map(), (n) => maps.get(n), out)).toBe(false);
    expect(residualJoin(graph, target, stats, (n) => maps.get(n), new Float32Array(3))).toBe(false);
  });
});

describe('memory for the whole-image maps', () => {
  it('is half the budget, or a quarter of the free memory when that is more', () => {
    expect(mapMemoryBytes(1024 ** 3, 1024 ** 3)).toBe(512 * 1024 ** 2);
    expect(mapMemoryBytes(1024 ** 3, 16 * 1024 ** 3)).toBe(4 * 1024 ** 3);
    expect(mapMemoryBytes(8 * 1024 ** 3, 0)).toBe(4 * 1024 ** 3);
  });
});
