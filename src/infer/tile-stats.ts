/**
 * Tiled stylization whose tiles share the whole image's instance-norm statistics, so that tile borders leave no seam.
 *
 *   exactTiledForward(graph, image, tile, options) -> Promise<Float32Array>   reproduces the untiled pass (float rounding)
 *   downscaledStats(graph, image, maxPixels) -> Map<node, NormStats>   statistics of one pass over a smaller copy
 *   sharedStatsForward(graph, stats) -> StyleForward                  a forward pass that normalises with them
 *
 * Exact: the statistics of instance-norm layer k depend only on the layers before it, so one tiled pass per norm
 * layer, each normalising the earlier layers with the statistics already frozen, gathers layer k's statistics over
 * the tiles' cores (which partition the image) and freezes them. Each window is its core grown by the depth to which
 * the tile border's padding can reach at that layer (edgeDepths), so every core value is the untiled pass's; at the
 * image border the window ends where the image does and the network's own padding is the untiled pass's too. Passes
 * store small activations (a norm's input, a residual sum, at 1/4 resolution) for the whole image, in memory or in a
 * temporary file, and later passes start from them instead of from the image (./exact-passes.ts plans which): a pass
 * then runs one conv or so with margins of a few pixels, not the network up to layer k with margins up to ~60 px.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf } from '../backend/tf';
import type { RgbImage } from '../image/image-io';
import type { Shape4 } from '../backend/native/network-plan';
import { networkSegmentPlan, plannedForwardWithStats, SegmentPlan } from '../nets/planned-forward';
import { ChannelMoments } from './channel-moments';
import { planExactPasses } from './exact-passes';
import { residualJoin } from './residual-join';
import { LayerGraph, NormStats, runGraph } from './layer-graph';
import { InputGeometry, NETWORK_STRIDE, padForNetwork, TRANSFORMER_INPUT } from './pad';
import type { StyleForward } from './stylize';
import type { CoreTile } from './tiling';
import { yieldToEventLoop } from '../util/yield';

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

/**
 * The cells of `map` under the input-pixel window (multiples of the map's scale), channels last, in `into` when it has
 * their size (a pass's windows reuse one array per size, so its pages stay faulted in).
 */
function cropValues(map: ActivationMap, left: number, top: number, width: number, height: number, into?: Float32Array): Float32Array {
  const s = map.scale;
  const [x0, y0, w, h, c] = [left / s, top / s, width / s, height / s, map.channels];
  const out = into?.length === w * h * c ? into : new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) readRow(map, x0, y0 + y, w, out, y * w * c);
  return out;
}

/** The cells of `map` under the input-pixel window (multiples of the map's scale) as a [1, h, w, C] tensor. */
export function cropMap(map: ActivationMap, left: number, top: number, width: number, height: number): tf.Tensor4D {
  const s = map.scale;
  return tf.tensor4d(cropValues(map, left, top, width, height), [1, height / s, width / s, map.channels]);
}

/** Copies the core of a window's output (`values`, the window's cells at the map's scale) into `map`. */
export function writeCore(map: ActivationMap, values: Float32Array, tile: CoreTile): void {
  const s = map.scale;
  const c = map.channels;
  const ww = tile.width / s;
  const [cx, cy, cw, ch] = [(tile.core.left - tile.left) / s, (tile.core.top - tile.top) / s, tile.core.width / s, tile.core.height / s];
  for (let y = 0; y < ch; y++) writeRow(map, tile.core.left / s, tile.core.top / s + y, cw, values, ((cy + y) * ww + cx) * c);
}

function normEpsilon(graph: LayerGraph, norm: number): number {
  return (graph.nodes[norm].layer.getConfig() as { epsilon: number }).epsilon;
}

/**
 * The exact method over a padded image (sides multiples of 4): returns the output RGB, equal to the untiled pass up to
 * float rounding. `onTile` counts windows over all passes; the event loop runs between windows (a server stays
 * responsive during a large image).
 */
export async function exactTiledForward(
  graph: LayerGraph,
  img: RgbImage,
  window: number,
  options: { memoryBytes: number; cache?: boolean; onTile?: (done: number, total: number) => void; align?: number },
): Promise<Float32Array> {
  // `align`: the network's stride (4; 16 for a 5-scale texture net), so every window sees the untiled pass's phase of
  // each down- and upsampling and every resolution's cells are whole.
  const passes = planExactPasses(graph, img.width, img.height, window, options.cache ?? true, options.align ?? NETWORK_STRIDE);
  const total = passes.reduce((s, p) => s + p.tiles.length, 0);
  const lastRead = new Map<number, number>();
  passes.forEach((p, i) => p.sources.forEach((s) => lastRead.set(s, i)));
  const stats = new Map<number, NormStats>();
  const output: ActivationMap = { ...imageMap(img), data: new Float32Array(img.rgb.length) };
  const maps = new Map<number, ActivationMap>([[graph.input, imageMap(img)]]);
  // Stored maps share the memory allowance; the ones that do not fit it go to disk.
  const spare: Float32Array[] = [];
  const heldBytes = () => [...maps].reduce((n, [node, m]) => n + (node === graph.input ? 0 : (m.data?.byteLength ?? 0)), 0);
  let done = 0;
  try {
    for (const [index, pass] of passes.entries()) {
      const { target } = pass;
      const scale = graph.nodes[target].scale;
      const moments = pass.norm === undefined ? undefined : new ChannelMoments(graph.nodes[target].channels);
      for (const s of pass.stores) maps.set(s, emptyMap(graph, s, img.width, img.height, options.memoryBytes - heldBytes(), spare));
      const targets = [target, ...pass.stores.filter((s) => s !== target)];
      // A pass reading one map runs on native plans; one joining several (a residual sum) runs over the whole maps
      // when it can (below), else layer by layer.
      const segments = pass.sources.length === 1 ? segmentPlans(graph, pass.sources[0], targets) : undefined;
      const byLayer = statsByLayer(graph, stats);
      // Plans that take raw arrays run the windows with no tensors and reuse their arrays (fresh pages are dear here).
      const raw = segments?.every((p) => p.runValues) ? segments : undefined;
      const inputs = new Map<number, Float32Array>();
      // A residual sum of maps in memory runs over the whole maps at once (./residual-join.ts).
      const into = pass.stores.length === 1 && pass.stores[0] === target && !moments ? maps.get(target)?.data : undefined;
      const joined = into !== undefined && residualJoin(graph, target, stats, (n) => (pass.sources.includes(n) ? maps.get(n)?.data : undefined), into);
      if (joined) {
        done += pass.tiles.length;
        options.onTile?.(done, total);
      }
      for (const tile of joined ? [] : pass.tiles) {
        let outs: tf.Tensor4D[] = [];
        let values: Float32Array[];
        if (raw) {
          const map = maps.get(pass.sources[0])!;
          const shape: Shape4 = [1, tile.height / map.scale, tile.width / map.scale, map.channels];
          const size = shape[1] * shape[2] * shape[3];
          const x = cropValues(map, tile.left, tile.top, tile.width, tile.height, inputs.get(size));
          inputs.set(size, x);
          values = raw.map((p) => p.runValues!(x, shape, byLayer));
        } else {
          const feeds = new Map(pass.sources.map((s) => [s, cropMap(maps.get(s)!, tile.left, tile.top, tile.width, tile.height)]));
          outs = segments ? segments.map((p) => p.run(feeds.get(pass.sources[0])!, byLayer)) : runGraph(graph, { feeds, targets, stats });
          tf.dispose([...feeds.values()]);
          values = outs.map((o) => o.dataSync() as Float32Array);
        }
        const { core } = tile;
        if (moments) {
          const [x0, y0] = [(core.left - tile.left) / scale, (core.top - tile.top) / scale];
          moments.add(values[0], tile.width / scale, x0, y0, core.width / scale, core.height / scale);
        } else if (target === graph.output) {
          writeCore(output, values[0], tile);
        }
        targets.forEach((t, k) => {
          if (pass.stores.includes(t)) writeCore(maps.get(t)!, values[k], tile);
        });
        tf.dispose(outs);
        options.onTile?.(++done, total);
        await yieldToEventLoop();
      }
      segments?.forEach((p) => p.dispose());
      if (pass.norm !== undefined) stats.set(pass.norm, moments!.stats(normEpsilon(graph, pass.norm)));
      for (const s of pass.sources) {
        if (s === graph.input || lastRead.get(s) !== index) continue;
        const map = maps.get(s)!;
        releaseMap(map);
        if (map.data) spare.push(map.data);
        maps.delete(s);
      }
    }
  } finally {
    for (const [node, m] of maps) if (node !== graph.input) releaseMap(m);
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

/** A map for `node`'s output over the image: in memory if it fits `memoryBytes`, else in a temporary file. */
function emptyMap(graph: LayerGraph, node: number, width: number, height: number, memoryBytes: number, spare: Float32Array[]): ActivationMap {
  const n = graph.nodes[node];
  const [w, h] = [width / n.scale, height / n.scale];
  const map: ActivationMap = { width: w, height: h, channels: n.channels, scale: n.scale };
  const bytes = w * h * n.channels * BYTES_PER_FLOAT;
  if (bytes <= memoryBytes) {
    // A released map's array of the same size when there is one: its pages are already faulted in (the passes'
    // cores partition the image, so every cell is written before it is read).
    const i = spare.findIndex((a) => a.length === w * h * n.channels);
    return { ...map, data: i >= 0 ? spare.splice(i, 1)[0] : new Float32Array(w * h * n.channels) };
  }
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
