/**
 * The passes of the exact tile statistics (./tile-stats.ts) over one image: which whole-image maps each pass reads,
 * what it computes, which maps it keeps for the passes after it, and the margin its windows need.
 *
 *   planExactPasses(graph, width, height, window, cache?, align?) -> ExactPass[]
 *
 * Instance norm k needs its input's statistics over the whole image before anything after it can run, so each norm
 * gets one tiled pass computing its input (the pass's target) with the norms before it frozen, and a last pass
 * computes the output. A pass starts from the stored maps nearest its target: it walks back from the target and stops
 * at the first stored map on every path. Each norm's input is stored when its map is small (at most
 * MAX_CACHE_BYTES_PER_PIXEL: the 1/4-resolution ones), so the next pass resumes one conv before its own norm instead
 * of re-running the layers since the last block boundary. Where the walk reaches two stored maps — the residual sum
 * norm(B) + X, whose parts are stored separately — a pass first computes the latest node that separates them from the
 * target (the sum itself: a pointwise pass, margin 0), stores it, and the target's pass runs from it alone, as a
 * native plan can. For the transformer that is one conv per norm, as in the untiled pass, where starting each pass
 * at the last block boundary ran a residual block's convs five times.
 */
import { cutNodes, edgeDepths, LayerGraph, neededNodes } from './layer-graph';
import { NETWORK_STRIDE, roundUpTo } from './pad';
import { CoreTile, planCoreTiles } from './tiling';

/** Stored activations may cost at most this much per image pixel (a 1/4-resolution map of 128 channels: 32 B). */
export const MAX_CACHE_BYTES_PER_PIXEL = 32;

const BYTES_PER_FLOAT = 4;

/** One tiled pass of the exact method. */
export interface ExactPass {
  /** The nodes whose whole-image maps the windows are cut from: the image, or maps stored by earlier passes. */
  sources: number[];
  /** The node the pass computes: its norm's input, a join of stored maps (a residual sum), or the network output. */
  target: number;
  /** The norm whose statistics the pass gathers over its target, if any. */
  norm?: number;
  /** Nodes whose whole-image maps the pass stores (its target and/or a cut before it), each read by a later pass. */
  stores: number[];
  margin: number;
  tiles: CoreTile[];
}

/** Bytes of `node`'s map per image pixel. */
function bytesPerPixel(graph: LayerGraph, node: number): number {
  const n = graph.nodes[node];
  return (n.channels * BYTES_PER_FLOAT) / (n.scale * n.scale);
}

type Draft = Omit<ExactPass, 'margin' | 'tiles'>;

/**
 * The passes for a width×height image (multiples of `align`) with windows of `window` px. Padding layers are never
 * stored (their output is not aligned with the image); `cache: false` stores nothing, so every pass starts from the
 * image.
 */
export function planExactPasses(graph: LayerGraph, width: number, height: number, window: number, cache = true, align = NETWORK_STRIDE): ExactPass[] {
  const storable = (n: number) =>
    cache && n !== graph.output && !graph.nodes[n].className.includes('Pad') && bytesPerPixel(graph, n) <= MAX_CACHE_BYTES_PER_PIXEL;
  const cuts = cutNodes(graph);
  const stored = new Set([graph.input]);
  const drafts: Draft[] = [];
  const add = (draft: Draft) => {
    drafts.push(draft);
    draft.stores.forEach((s) => stored.add(s));
  };
  for (const norm of [...graph.norms, undefined]) {
    const target = norm === undefined ? graph.output : graph.nodes[norm].inputs[0];
    let { nodes, feeds } = neededNodes(graph, [target], stored);
    if (feeds.length > 1) {
      // The latest storable node from which the target follows alone: computed (and stored) by a pass of its own.
      const join = [...nodes]
        .reverse()
        .find((c) => c !== target && storable(c) && neededNodes(graph, [target], new Set([...stored, c])).feeds.join() === String(c));
      if (join !== undefined) {
        add({ sources: neededNodes(graph, [join], stored).feeds, target: join, stores: [join] });
        ({ nodes, feeds } = neededNodes(graph, [target], stored));
      }
    }
    const stores = storable(target) ? [target] : [];
    if (!stores.length && feeds.length === 1) {
      // The target is too large to keep: a small cut on the way still spares later passes the layers before it.
      const cut = cuts.filter((c) => c > feeds[0] && c < target && storable(c) && nodes.includes(c)).pop();
      if (cut !== undefined) stores.push(cut);
    }
    add({ sources: feeds, target, norm, stores });
  }
  // Keep only the maps a later pass reads.
  const read = new Set(drafts.flatMap((d) => d.sources));
  return drafts.map((d) => {
    const stores = d.stores.filter((s) => read.has(s));
    const depth = edgeDepths(graph, d.sources);
    const margin = roundUpTo(Math.max(depth[d.target], ...stores.map((s) => depth[s])), align);
    return { ...d, stores, margin, tiles: planCoreTiles(width, height, window, margin, align) };
  });
}
