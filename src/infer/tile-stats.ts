/**
 * Tiled stylization whose tiles share the whole image's instance-norm statistics, so that tile borders leave no seam.
 *
 *   exactTiledForward(graph, image, tile, options) -> Float32Array    reproduces the untiled pass (float rounding)
 *   downscaledStats(graph, image, maxPixels) -> Map<node, NormStats>   statistics of one pass over a smaller copy
 *   sharedStatsForward(graph, stats) -> StyleForward                  a forward pass that normalises with them
 *
 * Exact: the statistics of instance-norm layer k depend only on the layers before it, so one tiled pass per norm
 * layer, each normalising the earlier layers with the statistics already frozen, gathers layer k's statistics over
 * the tiles' cores (which partition the image) and freezes them. Each window is its core grown by the depth to which
 * the tile border's padding can reach at that layer (edgeDepths), so every core value is the untiled pass's; at the
 * image border the window ends where the image does and the network's own padding is the untiled pass's too. A pass
 * also stores the output of the latest "cut" node before its layer (e.g. a residual block's sum, at 1/4 resolution)
 * for the whole image, in memory or in a temporary file, and later passes start from it instead of from the image: a
 * pass then runs a few layers with margins of a few pixels, not the network up to layer k with margins up to ~60 px.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf } from '../backend/tf';
import type { RgbImage } from '../image/image-io';
import { networkSegmentPlan, plannedForwardWithStats, SegmentPlan } from '../nets/planned-forward';
import { ChannelMoments } from './channel-moments';
import { cutNodes, edgeDepths, LayerGraph, NormStats, runGraph } from './layer-graph';
import { InputGeometry, NETWORK_STRIDE, padForNetwork, roundUpTo, TRANSFORMER_INPUT } from './pad';
import type { StyleForward } from './stylize';
import { CoreTile, planCoreTiles } from './tiling';

/**
 * An activation for the whole (padded) image: `width`×`height` cells of `channels`, each cell `scale` input px, held
 * in memory (`data`) or, when it does not fit the memory budget, in a temporary file (`file`, row-major float32).
 */
export interface ActivationMap {
  width: number;
  height: number;
  channels: number;
  scale: number;
  data?: Float32Array;
  file?: { fd: number; path: string };
}

/** Cached activations may cost at most this much per image pixel (a 1/4-resolution map of 128 channels: 32 B). */
export const MAX_CACHE_BYTES_PER_PIXEL = 32;

function rowBytes(map: ActivationMap, values: Float32Array, at: number, cells: number): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset + at * BYTES_PER_FLOAT, cells * map.channels * BYTES_PER_FLOAT);
}

/** Copies `cells` cells of row y from column x into values[at…]. */
function readRow(map: ActivationMap, x: number, y: number, cells: number, values: Float32Array, at: number): void {
  const from = (y * map.width + x) * map.channels;
  if (map.data) values.set(map.data.subarray(from, from + cells * map.channels), at);
  else fs.readSync(map.file!.fd, rowBytes(map, values, at, cells), 0, cells * map.channels * BYTES_PER_FLOAT, from * BYTES_PER_FLOAT);
}

function writeRow(map: ActivationMap, x: number, y: number, cells: number, values: Float32Array, at: number): void {
  const to = (y * map.width + x) * map.channels;
  if (map.data) map.data.set(values.subarray(at, at + cells * map.channels), to);
  else fs.writeSync(map.file!.fd, rowBytes(map, values, at, cells), 0, cells * map.channels * BYTES_PER_FLOAT, to * BYTES_PER_FLOAT);
}

function releaseMap(map: ActivationMap): void {
  if (!map.file) return;
  fs.closeSync(map.file.fd);
  fs.rmSync(path.dirname(map.file.path), { recursive: true, force: true });
}

const BYTES_PER_FLOAT = 4;

export function imageMap(img: RgbImage): ActivationMap {
  return { width: img.width, height: img.height, channels: 3, scale: 1, data: img.rgb };
}

/** The cells of `map` under the input-pixel window (multiples of the map's scale) as a [1, h, w, C] tensor. */
export function cropMap(map: ActivationMap, left: number, top: number, width: number, height: number): tf.Tensor4D {
  const s = map.scale;
  const [x0, y0, w, h, c] = [left / s, top / s, width / s, height / s, map.channels];
  const out = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) readRow(map, x0, y0 + y, w, out, y * w * c);
  return tf.tensor4d(out, [1, h, w, c]);
}

/** Copies the core of a window's output (`values`, the window's cells at the map's scale) into `map`. */
export function writeCore(map: ActivationMap, values: Float32Array, tile: CoreTile): void {
  const s = map.scale;
  const c = map.channels;
  const ww = tile.width / s;
  const [cx, cy, cw, ch] = [(tile.core.left - tile.left) / s, (tile.core.top - tile.top) / s, tile.core.width / s, tile.core.height / s];
  for (let y = 0; y < ch; y++) writeRow(map, tile.core.left / s, tile.core.top / s + y, cw, values, ((cy + y) * ww + cx) * c);
}

/** One tiled pass of the exact method. */
export interface ExactPass {
  /** The node whose whole-image output the windows are cut from (the image input, or a cached cut node). */
  source: number;
  /** The norm whose statistics this pass gathers (over its input), or undefined for the final output pass. */
  norm?: number;
  /** A cut node whose output this pass stores for the whole image, for the passes after it. */
  store?: number;
  margin: number;
  tiles: CoreTile[];
}

function mapBytes(graph: LayerGraph, node: number, width: number, height: number): number {
  const n = graph.nodes[node];
  return (width / n.scale) * (height / n.scale) * n.channels * BYTES_PER_FLOAT;
}

/**
 * The passes of the exact method for a width×height image (multiples of 4) with windows of `window` px. A pass stores
 * the latest cut node before its norm whose map costs at most MAX_CACHE_BYTES_PER_PIXEL (the 1/4-resolution ones;
 * padding layers are never stored: their output is not aligned with the image); `cache: false` stores none.
 */
export function planExactPasses(graph: LayerGraph, width: number, height: number, window: number, cache = true, align = NETWORK_STRIDE): ExactPass[] {
  const storable = cutNodes(graph).filter(
    (c) => !graph.nodes[c].className.includes('Pad') && mapBytes(graph, c, 1, 1) <= MAX_CACHE_BYTES_PER_PIXEL,
  );
  const passes: ExactPass[] = [];
  let source = graph.input;
  for (const norm of [...graph.norms, undefined]) {
    const target = norm === undefined ? graph.output : graph.nodes[norm].inputs[0];
    const store = norm === undefined || !cache ? undefined : storable.filter((c) => c > source && c < norm).pop();
    const depth = edgeDepths(graph, source);
    const margin = roundUpTo(Math.max(depth[target], store === undefined ? 0 : depth[store]), align);
    passes.push({ source, norm, store, margin, tiles: planCoreTiles(width, height, window, margin, align) });
    if (store !== undefined) source = store;
  }
  return passes;
}

function normEpsilon(graph: LayerGraph, norm: number): number {
  return (graph.nodes[norm].layer.getConfig() as { epsilon: number }).epsilon;
}

/**
 * The exact method over a padded image (sides multiples of 4): returns the output RGB, equal to the untiled pass up to
 * float rounding. `onTile` counts windows over all passes.
 */
export function exactTiledForward(
  graph: LayerGraph,
  img: RgbImage,
  window: number,
  options: { memoryBytes: number; cache?: boolean; onTile?: (done: number, total: number) => void; align?: number },
): Float32Array {
  // `align`: the network's stride (4; 16 for a 5-scale texture net), so every window sees the untiled pass's phase of
  // each down- and upsampling and every resolution's cells are whole.
  const passes = planExactPasses(graph, img.width, img.height, window, options.cache ?? true, options.align ?? NETWORK_STRIDE);
  const total = passes.reduce((s, p) => s + p.tiles.length, 0);
  const stats = new Map<number, NormStats>();
  const output: ActivationMap = { ...imageMap(img), data: new Float32Array(img.rgb.length) };
  let source = imageMap(img);
  let stored: ActivationMap | undefined;
  let done = 0;
  try {
    for (const pass of passes) {
      const target = pass.norm === undefined ? graph.output : graph.nodes[pass.norm].inputs[0];
      const scale = graph.nodes[target].scale;
      const moments = pass.norm === undefined ? undefined : new ChannelMoments(graph.nodes[target].channels);
      // The map being read and the one being written must fit in memory together; else the new one goes to disk.
      const held = pass.source === graph.input ? 0 : (source.data?.byteLength ?? 0);
      stored = pass.store === undefined ? undefined : emptyMap(graph, pass.store, img.width, img.height, options.memoryBytes - held);
      const targets = pass.store === undefined ? [target] : [target, pass.store];
      const segments = segmentPlans(graph, pass.source, targets);
      const byLayer = statsByLayer(graph, stats);
      for (const tile of pass.tiles) {
        const feed = cropMap(source, tile.left, tile.top, tile.width, tile.height);
        const [y, cut] = segments
          ? segments.map((s) => s.run(feed, byLayer))
          : runGraph(graph, { feeds: new Map([[pass.source, feed]]), targets, stats });
        feed.dispose();
        const values = y.dataSync() as Float32Array;
        const { core } = tile;
        if (moments) {
          const [x0, y0] = [(core.left - tile.left) / scale, (core.top - tile.top) / scale];
          moments.add(values, tile.width / scale, x0, y0, core.width / scale, core.height / scale);
        } else {
          writeCore(output, values, tile);
        }
        if (stored) writeCore(stored, cut.dataSync() as Float32Array, tile);
        tf.dispose([y, cut]);
        options.onTile?.(++done, total);
      }
      segments?.forEach((s) => s.dispose());
      if (pass.norm !== undefined) stats.set(pass.norm, moments!.stats(normEpsilon(graph, pass.norm)));
      if (stored) {
        releaseMap(source);
        source = stored;
        stored = undefined;
      }
    }
  } finally {
    releaseMap(source);
    if (stored) releaseMap(stored);
  }
  return output.data!;
}

/** Norm statistics keyed by the norm's layer (as plans take them) instead of its graph node. */
const statsByLayer = (graph: LayerGraph, stats: Map<number, NormStats>) => new Map([...stats].map(([node, s]) => [graph.nodes[node].layer, s]));

/**
 * Native plans for a pass's targets fed with `source`'s map (one segment per target, the norms before them frozen):
 * the windows then run like the untiled pass instead of one tfjs kernel per layer. Undefined when plans cannot run
 * here or a segment has a layer they do not describe (the pass then runs layer by layer).
 */
function segmentPlans(graph: LayerGraph, source: number, targets: number[]): SegmentPlan[] | undefined {
  // Node i of a layer graph is layer i of its model.
  const plans = targets.map((t) => networkSegmentPlan(graph.model, source, t));
  if (plans.every((p) => p !== undefined)) return plans as SegmentPlan[];
  plans.forEach((p) => p?.dispose());
  return undefined;
}

/** A zeroed map for `node`'s output over the image: in memory if it fits `memoryBytes`, else in a temporary file. */
function emptyMap(graph: LayerGraph, node: number, width: number, height: number, memoryBytes: number): ActivationMap {
  const n = graph.nodes[node];
  const [w, h] = [width / n.scale, height / n.scale];
  const map: ActivationMap = { width: w, height: h, channels: n.channels, scale: n.scale };
  const bytes = w * h * n.channels * BYTES_PER_FLOAT;
  if (bytes <= memoryBytes) return { ...map, data: new Float32Array(w * h * n.channels) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-tile-stats-'));
  const file = path.join(dir, `${n.name}.f32`);
  const fd = fs.openSync(file, 'w+');
  fs.ftruncateSync(fd, bytes);
  return { ...map, file: { fd, path: file } };
}

/** Averages `factor`×`factor` blocks (a partial block at the right/bottom edge averages what it has). */
export function boxDownscale(img: RgbImage, factor: number): RgbImage {
  if (factor <= 1) return img;
  const width = Math.ceil(img.width / factor);
  const height = Math.ceil(img.height / factor);
  const sum = new Float64Array(width * height * 3);
  const count = new Float64Array(width * height);
  for (let y = 0; y < img.height; y++) {
    const row = Math.floor(y / factor) * width;
    for (let x = 0; x < img.width; x++) {
      const d = row + Math.floor(x / factor);
      const s = (y * img.width + x) * 3;
      sum[d * 3] += img.rgb[s];
      sum[d * 3 + 1] += img.rgb[s + 1];
      sum[d * 3 + 2] += img.rgb[s + 2];
      count[d]++;
    }
  }
  return { width, height, rgb: Float32Array.from(sum, (v, i) => v / count[Math.floor(i / 3)]) };
}

/**
 * Every norm's statistics from one untiled pass over the image box-downscaled by the smallest whole factor that
 * brings it to at most `maxPixels` (the memory of one tile), each norm using its input's own statistics as usual.
 */
export function downscaledStats(graph: LayerGraph, img: RgbImage, maxPixels: number, geometry: InputGeometry = TRANSFORMER_INPUT): Map<number, NormStats> {
  const factor = Math.max(1, Math.ceil(Math.sqrt((img.width * img.height) / maxPixels)));
  const small = padForNetwork(boxDownscale(img, factor), geometry);
  const collect = new Map<number, NormStats>();
  const x = tf.tensor4d(small.rgb, [1, small.height, small.width, 3]);
  const [y] = runGraph(graph, { feeds: new Map([[graph.input, x]]), targets: [graph.output], stats: new Map(), collect });
  tf.dispose([x, y]);
  return collect;
}

/**
 * A forward pass normalising every norm with the given statistics (tiles then agree on them): the whole-network
 * native plan when it can run the model, else layer by layer.
 */
export function sharedStatsForward(graph: LayerGraph, stats: Map<number, NormStats>): StyleForward {
  const planned = plannedForwardWithStats(graph.model, statsByLayer(graph, stats));
  if (planned) return (x) => planned(x) as tf.Tensor4D;
  return (x) => runGraph(graph, { feeds: new Map([[graph.input, x]]), targets: [graph.output], stats })[0];
}
