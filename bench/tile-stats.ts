/**
 * How far each tile-statistics method (exact, downscaled, per-tile) lands from the untiled pass, and what it costs:
 * mean and max |tiled − untiled| on the 0–255 scale and wall time, for one image and tile size.
 *
 *   benchTileStats({ image, width?, height?, tile?, checkpoint? | config?, methods? }) -> TileStatsBenchRow[]
 *   node dist/bench/tile-stats.js IMAGE [WIDTH HEIGHT TILE] [--checkpoint DIR | --engstrom DIR] [--config JSON]
 *
 * The image is resized to width×height (default 1200×900) first. `--engstrom` imports an Engstrom model folder.
 */
import { selectBackend } from '../src/backend/select';
import { tf } from '../src/backend/tf';
import { decodeImage } from '../src/image/image-io';
import { importEngstrom } from '../src/importers';
import { loadStyleModel } from '../src/infer/model';
import { stylize, TILE_STATS_METHODS, TileStatsMethod } from '../src/infer/stylize';
import { buildTransformer, TransformerConfigInput } from '../src/nets/transformer';

export interface TileStatsBenchRow {
  method: TileStatsMethod | 'untiled';
  ms: number;
  /** CPU time of the process (user + system) during the call: steadier than wall time on a shared machine. */
  cpuMs: number;
  windows: number;
  meanDiff: number;
  maxDiff: number;
}

export interface TileStatsBenchOptions {
  image: string;
  width?: number;
  height?: number;
  tile?: number;
  checkpoint?: string;
  engstrom?: string;
  config?: TransformerConfigInput;
  methods?: TileStatsMethod[];
}

function differences(a: Float32Array, b: Float32Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    // Compared as the encoder would write them: clamped to 0–255.
    const d = Math.abs(Math.min(255, Math.max(0, a[i])) - Math.min(255, Math.max(0, b[i])));
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

export async function benchTileStats(o: TileStatsBenchOptions): Promise<TileStatsBenchRow[]> {
  await selectBackend();
  let model: tf.LayersModel;
  if (o.checkpoint) model = (await loadStyleModel(o.checkpoint)).model!;
  else if (o.engstrom) model = importEngstrom(o.engstrom).model;
  else model = buildTransformer(o.config ?? {});
  const img = await decodeImage(o.image, { resize: { width: o.width ?? 1200, height: o.height ?? 900, fit: 'fill' } });
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return Math.round((u.user + u.system) / 1000);
  };
  let cpu = process.cpuUsage();
  const untiled = await stylize(model, img, { tile: 0 });
  const rows: TileStatsBenchRow[] = [{ method: 'untiled', ms: untiled.ms, cpuMs: cpuMs(cpu), windows: 1, meanDiff: 0, maxDiff: 0 }];
  for (const method of o.methods ?? [...TILE_STATS_METHODS]) {
    cpu = process.cpuUsage();
    const r = await stylize(model, img, { tile: o.tile ?? 256, tileStats: method });
    const d = differences(r.rgb, untiled.rgb);
    rows.push({ method, ms: r.ms, cpuMs: cpuMs(cpu), windows: r.tiles, meanDiff: d.mean, maxDiff: d.max });
  }
  model.dispose();
  return rows;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const checkpoint = flag('--checkpoint');
  const engstrom = flag('--engstrom');
  const config = flag('--config');
  const methods = flag('--methods');
  const [image, width, height, tile] = args;
  benchTileStats({
    image,
    width: width ? Number(width) : undefined,
    height: height ? Number(height) : undefined,
    tile: tile ? Number(tile) : undefined,
    checkpoint,
    engstrom,
    config: config ? JSON.parse(config) : undefined,
    methods: methods ? (methods.split(',') as TileStatsMethod[]) : undefined,
  }).then((rows) => {
    for (const r of rows) console.log(`${r.method.padEnd(10)} ${String(r.ms).padStart(8)} ms wall ${String(r.cpuMs).padStart(8)} ms cpu  ${String(r.windows).padStart(4)} windows  mean ${r.meanDiff.toFixed(3)}  max ${r.maxDiff.toFixed(1)}`);
  });
}
