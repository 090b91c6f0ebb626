/**
 * The exact tile statistics' residual sums, x + norm(b) with the norm frozen to the whole image's statistics, computed
 * over the whole stored maps at once.
 *
 *   residualJoin(graph, target, stats, mapData, out) -> boolean   the sum written into `out`, or false (not that shape)
 *
 * Why: the sum is pointwise, so windows buy nothing; run window by window through tfjs ops it made a tensor per op
 * per window, and the five sums of a 4000×3000 photo took ~3 s of its ~27 (AMD EPYC, AVX-512) for a few hundred
 * million multiply-adds. In the native addon when it is built, else here.
 */
import { loadNativeAddon } from '../backend/native/loader';
import { ConditionalInstanceNorm } from '../nets/layers/conditional-instance-norm';
import type { LayerGraph, NormStats } from './layer-graph';

/** Per channel, the frozen norm as y = x·scale + shift. */
function normAffine(graph: LayerGraph, norm: number, stats: NormStats): { scale: Float32Array; shift: Float32Array } {
  const layer = graph.nodes[norm].layer;
  const [gamma, beta] = layer instanceof ConditionalInstanceNorm ? layer.mixedGammaBeta() : layer.getWeights();
  const g = gamma.dataSync() as Float32Array;
  const b = beta.dataSync() as Float32Array;
  if (layer instanceof ConditionalInstanceNorm) {
    gamma.dispose();
    beta.dispose();
  }
  const scale = Float32Array.from(g, (v, c) => v * stats.rstd[c]);
  const shift = Float32Array.from(b, (v, c) => v - stats.mean[c] * scale[c]);
  return { scale, shift };
}

/**
 * Writes `target`'s map into `out` when it is Add(x, norm(b)) (either order) of two maps at hand, the norm's statistics
 * known: `mapData(node)` gives a stored map's values (channels last) or undefined. False when it is not.
 */
export function residualJoin(
  graph: LayerGraph,
  target: number,
  stats: Map<number, NormStats>,
  mapData: (node: number) => Float32Array | undefined,
  out: Float32Array,
): boolean {
  const node = graph.nodes[target];
  if (node.className !== 'Add' || node.inputs.length !== 2) return false;
  const norm = node.inputs.find((i) => stats.has(i) && graph.norms.includes(i));
  if (norm === undefined) return false;
  const skip = node.inputs.find((i) => i !== norm);
  const b = mapData(graph.nodes[norm].inputs[0]);
  const x = skip === undefined ? undefined : mapData(skip);
  if (!x || !b || x.length !== out.length || b.length !== out.length) return false;
  const channels = node.channels;
  const { scale, shift } = normAffine(graph, norm, stats.get(norm)!);
  const addon = loadNativeAddon().addon;
  if (typeof addon?.affineAddF32 === 'function') {
    addon.affineAddF32(x, b, scale, shift, out);
    return true;
  }
  for (let i = 0; i < out.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = x[i + c] + b[i + c] * scale[c] + shift[c];
  }
  return true;
}
