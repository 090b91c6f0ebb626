/**
 * The loss curve: each term of the JSONL log against the step, drawn with vega-lite and rendered headless to SVG by
 * vega's View.toSVG() (no canvas, no browser). vega is ESM-only with top-level await, so it is loaded with a real
 * dynamic import in a worker (TypeScript's CommonJS output would turn `import()` into `require()`, which cannot load it).
 */
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Worker } from 'worker_threads';
import { writeFileAtomic } from '../util/atomic-write';
import type { StepRecord } from './train-log';

export const LOSS_CURVE_FILE = 'loss-curve.svg';

/**
 * Points per line at most. A night at batch 1 logs ~20 000 steps whose losses scatter by 2x step to step: drawn raw
 * that is a solid band in a 1 MB SVG; means of consecutive steps show the trend in a bounded file.
 */
export const MAX_CURVE_POINTS = 500;

type Terms = Pick<StepRecord, 'step' | 'total' | 'content' | 'style' | 'tv'>;

/**
 * The records as at most `maxPoints` means of consecutive steps (each at its bin's last step), and the bin size;
 * short logs come back as they are. Non-finite losses (a NaN the loop recovered from) are left out of the means.
 */
export function binnedRecords(records: Terms[], maxPoints = MAX_CURVE_POINTS): { points: Terms[]; binSize: number } {
  const binSize = Math.max(1, Math.ceil(records.length / maxPoints));
  if (binSize === 1) return { points: records, binSize };
  const points: Terms[] = [];
  for (let i = 0; i < records.length; i += binSize) {
    const bin = records.slice(i, i + binSize);
    const mean = (key: 'total' | 'content' | 'style' | 'tv') => {
      const finite = bin.map((r) => r[key]).filter(Number.isFinite);
      return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
    };
    points.push({ step: bin[bin.length - 1].step, total: mean('total'), content: mean('content'), style: mean('style'), tv: mean('tv') });
  }
  return { points, binSize };
}

/** The vega-lite spec: one line per term (weighted contributions are what the optimizer sees, so plot those). */
export function lossCurveSpec(records: StepRecord[], weights: { content: number; style: number; tv: number }): object {
  const { points, binSize } = binnedRecords(records);
  const values = points.flatMap((r) => [
    { step: r.step, term: 'total', value: r.total },
    { step: r.step, term: 'content × w', value: r.content * weights.content },
    { step: r.step, term: 'style × w', value: r.style * weights.style },
    { step: r.step, term: 'tv × w', value: r.tv * weights.tv },
  ]).filter((v) => Number.isFinite(v.value) && v.value > 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: binSize > 1 ? `training loss (weighted terms, means of ${binSize} steps)` : 'training loss (weighted terms)',
    width: 560,
    height: 300,
    background: 'white',
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
      color: { field: 'term', type: 'nominal', title: null },
    },
  };
}

// Runs in a worker thread: a plain Node context, so the ESM import works even inside test runners that sandbox
// modules (jest's vm has no dynamic-import support), and rendering stays off the training thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
(async () => {
  const vega = await import(workerData.vegaUrl);
  const vegaLite = await import(workerData.vegaLiteUrl);
  const view = new vega.View(vega.parse(vegaLite.compile(workerData.spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  parentPort.postMessage({ svg });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

export async function renderLossCurveSvg(records: StepRecord[], weights: { content: number; style: number; tv: number }): Promise<string> {
  const workerData = {
    vegaUrl: pathToFileURL(require.resolve('vega')).href,
    vegaLiteUrl: pathToFileURL(require.resolve('vega-lite')).href,
    spec: lossCurveSpec(records, weights),
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    worker.once('message', (m: { svg?: string; error?: string }) => {
      void worker.terminate();
      if (m.svg !== undefined) resolve(m.svg);
      else reject(new Error(`loss curve: ${m.error}`));
    });
    worker.once('error', reject);
  });
}

/** Writes the SVG next to the log, atomically, so a viewer never sees half a file. */
export async function writeLossCurve(outDir: string, records: StepRecord[], weights: { content: number; style: number; tv: number }): Promise<string> {
  const file = path.join(outDir, LOSS_CURVE_FILE);
  const svg = await renderLossCurveSvg(records, weights);
  writeFileAtomic(file, svg);
  return file;
}
