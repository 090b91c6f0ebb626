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

/** The vega-lite spec: one line per term (weighted contributions are what the optimizer sees, so plot those). */
export function lossCurveSpec(records: StepRecord[], weights: { content: number; style: number; tv: number }): object {
  const values = records.flatMap((r) => [
    { step: r.step, term: 'total', value: r.total },
    { step: r.step, term: 'content × w', value: r.content * weights.content },
    { step: r.step, term: 'style × w', value: r.style * weights.style },
    { step: r.step, term: 'tv × w', value: r.tv * weights.tv },
  ]).filter((v) => Number.isFinite(v.value) && v.value > 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'training loss (weighted terms)',
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
