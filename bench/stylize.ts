/**
 * End-to-end stylize timings through the library (padding, tiling, blending included; decode/encode excluded):
 * ms per image at 256², 512², 1024² and, when `large` is set, 4000×3000 or `largeSize` (tiled automatically under the default memory
 * budget), plus the process's peak RSS after each size.
 *
 *   benchStylize(options?) -> Promise<StylizeBenchResult>
 *
 * The bench runner calls it in a process whose backend it has chosen (or pass `backend`). The 4000×3000 case is
 * off by default on the pure-JS cpu backend: it would take over an hour there (≈ 22 s per 256²).
 */
import { selectBackend } from '../src/backend/select';
import type { NetworkWidths } from '../src/infer/memory';
import { loadStyleModel, networkWidths } from '../src/infer/model';
import { stylize, StyleModel, TileStatsMethod } from '../src/infer/stylize';
import { buildNetwork, parseNetworkConfig } from '../src/nets/network';
import type { TextureNetConfigInput } from '../src/nets/texture-net';
import type { TransformerConfigInput } from '../src/nets/transformer';

export interface StylizeBenchOptions {
  /** A checkpoint folder; default: a random-weight network built from `config`. */
  checkpoint?: string;
  /** Network config for the random-weight default (default: the project default transformer; `arch: 'texture-net'` for the texture net). */
  config?: TransformerConfigInput | TextureNetConfigInput;
  /** Square sizes to time (default 256, 512, 1024; on the cpu backend only 256 unless given). */
  sizes?: number[];
  /** Also time a 4000×3000 photo (default: true except on the pure-JS cpu backend). */
  large?: boolean;
  /** Force a tile size for the large image (default: automatic from the memory budget). */
  tile?: number;
  /** Size of the large image (default 4000×3000). */
  largeSize?: [number, number];
  /** Tile statistics for tiled images (default: stylize's). */
  tileStats?: TileStatsMethod;
  /** Timed runs per size after one warm-up (default 2; the large image runs once, no warm-up). */
  reps?: number;
  /** Select this backend first (default: whatever the process already uses, else auto). */
  backend?: string;
}

export interface StylizeTiming {
  width: number;
  height: number;
  /** Median over the timed runs. */
  ms: number;
  msPerMegapixel: number;
  tiles: number;
  tileSize?: number;
  /** Where the tiles took their instance-norm statistics (stylize's default: 'exact'). */
  tileStats?: string;
  /** Peak resident set size of the process so far (monotone), MiB. */
  peakRssMiB: number;
}

export interface StylizeBenchResult {
  backend: string;
  model: string;
  timings: StylizeTiming[];
  /**
   * ms per megapixel of the large tiled image ÷ that of the largest untiled size (issue #15: tiled huge images must
   * follow the per-pixel gains, i.e. stay near 1).
   */
  tiledPerPixelRatio?: number;
  skipped?: string;
}

function peakRssMiB(): number {
  // resourceUsage().maxRSS is in KiB on Linux.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** A smooth random-ish photo stand-in: content does not change the cost of the network. */
function syntheticImage(width: number, height: number) {
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 2654435761) % 256;
  return { width, height, rgb };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchStylize(options: StylizeBenchOptions = {}): Promise<StylizeBenchResult> {
  // Returns the process's existing choice when one was made (and nothing else is forced).
  const backend = (await selectBackend(options.backend)).name;
  const isPureJs = backend === 'cpu';
  let forward: StyleModel;
  let network: NetworkWidths;
  let dispose: () => void;
  let modelName: string;
  if (options.checkpoint) {
    const m = await loadStyleModel(options.checkpoint);
    ({ network, dispose } = m);
    forward = m.model ?? m.forward; // the LayersModel itself, so tiles can share instance-norm statistics
    modelName = m.source;
  } else {
    const config = parseNetworkConfig(options.config ?? {});
    const net = buildNetwork(config);
    forward = net;
    network = networkWidths(config);
    dispose = () => net.dispose();
    modelName = `random-weight ${net.name} ${JSON.stringify(config)} (${net.countParams()} params)`;
  }
  const sizes = options.sizes ?? (isPureJs ? [256] : [256, 512, 1024]);
  const large = options.large ?? !isPureJs;
  const reps = Math.max(1, options.reps ?? 2);
  const timings: StylizeTiming[] = [];
  try {
    const cases: Array<[number, number, number]> = sizes.map((s) => [s, s, reps]);
    const [largeWidth, largeHeight] = options.largeSize ?? [4000, 3000];
    if (large) cases.push([largeWidth, largeHeight, 1]);
    for (const [width, height, runs] of cases) {
      const image = syntheticImage(width, height);
      const opts = { network, tile: width === largeWidth && runs === 1 ? options.tile : undefined, tileStats: options.tileStats };
      if (runs > 1) await stylize(forward, image, opts); // warm-up: oneDNN primitives, tfjs kernel caches
      const times: number[] = [];
      let last = await stylize(forward, image, opts);
      times.push(last.ms);
      for (let r = 1; r < runs; r++) {
        last = await stylize(forward, image, opts);
        times.push(last.ms);
      }
      const ms = median(times);
      timings.push({
        width,
        height,
        ms,
        msPerMegapixel: Math.round(ms / ((width * height) / 1e6)),
        tiles: last.tiles,
        tileSize: last.tileSize,
        tileStats: last.tileStats,
        peakRssMiB: peakRssMiB(),
      });
    }
  } finally {
    dispose();
  }
  const untiled = timings.filter((t) => t.tiles <= 1).pop();
  const tiled = timings.filter((t) => t.tiles > 1).pop();
  return {
    backend,
    model: modelName,
    timings,
    ...(untiled && tiled ? { tiledPerPixelRatio: Math.round((tiled.msPerMegapixel / untiled.msPerMegapixel) * 100) / 100 } : {}),
    ...(large ? {} : { skipped: '4000x3000 not timed (pure-JS cpu backend, or large: false); pass large: true to force' }),
  };
}
