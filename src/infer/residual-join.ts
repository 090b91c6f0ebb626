/**
 * The exact tile statistics' residual sums, skip + norm(b) with the norms frozen to the whole image's statistics,
 * computed over the whole stored maps at once (skip: a stored map, or a frozen norm and ReLU of one).
 *
 *   residualJoin(graph, target, stats, mapData, out) -> boolean   the sum written into `out`, or false (not that shape)
 *
 * Why: the sum is pointwise, so windows buy nothing; run window by window through tfjs ops it made a tensor per op
 * per window, and the five sums of a 4000×3000 photo took ~3 s of its ~27 (AMD EPYC, AVX-512) for a few hundred
 * million multiply-adds. In the native addon when it is built, else here.
 */
import { loadNativeAddon } from '../backend/native/loader';
import { tf } from '../backend/tf';
import { normGammaBeta, type LayerGraph, type NormStats } from './layer-graph';

/** Per channel, the frozen norm as y = x·scale + shift. */
function normAffine(graph: LayerGraph, norm: number, stats: NormStats): Affine {
  const [g, b] = tf.tidy(() => normGammaBeta(graph.nodes[norm].layer).map((t) => t.dataSync() as Float32Array));
  const scale = Float32Array.from(g, (v, c) => v * stats.rstd[c]);
  const shift = Float32Array.from(b, (v, c) => v - stats.mean[c] * scale[c]);
  return { scale, shift };
}

interface Affine {
  scale: Float32Array;
  shift: Float32Array;
}

/** The skip operand: a map at hand, or a frozen norm of one, optionally through a ReLU (the first block's relu3). */
function skipOperand(
  graph: LayerGraph,
  node: number,
  stats: Map<number, NormStats>,
  mapData: (node: number) => Float32Array | undefined,
): { x: Float32Array; affine?: Affine; relu: boolean } | undefined {
  const direct = mapData(node);
  if (direct) return { x: direct, relu: false };
  let n = node;
  const relu = graph.nodes[n].className === 'ReLU' && (graph.nodes[n].layer.getConfig() as { maxValue?: number | null }).maxValue == null;
  if (relu) n = graph.nodes[n].inputs[0];
  if (!graph.norms.includes(n) || !stats.has(n)) return undefined;
  const x = mapData(graph.nodes[n].inputs[0]);
  return x ? { x, affine: normAffine(graph, n, stats.get(n)!), relu } : undefined;
}

/**
 * Writes `target`'s map into `out` when it is Add(skip, norm(b)) (either order) with b a map at hand and skip a map, or
 * a frozen norm (and ReLU) of one, the norms' statistics known: `mapData(node)` gives a stored map's values (channels
 * last) or undefined. False when it is not.
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
  const b = mapData(graph.nodes[norm].inputs[0]);
  const skip = skipOperand(graph, node.inputs.find((i) => i !== norm) ?? norm, stats, mapData);
  if (!skip || !b || skip.x.length !== out.length || b.length !== out.length) return false;
  const { scale, shift } = normAffine(graph, norm, stats.get(norm)!);
  const addon = loadNativeAddon().addon;
  if (typeof addon?.affineAddF32 === 'function') {
    if (skip.affine) addon.affineAddF32(skip.x, b, scale, shift, out, skip.affine.scale, skip.affine.shift, skip.relu);
    else addon.affineAddF32(skip.x, b, scale, shift, out);
    return true;
  }
  const channels = node.channels;
  const { x, affine, relu } = skip;
  for (let i = 0; i < out.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      let g = affine ? x[i + c] * affine.scale[c] + affine.shift[c] : x[i + c];
      if (relu && g < 0) g = 0;
      out[i + c] = g + b[i + c] * scale[c] + shift[c];
    }
  }
  return true;
}
