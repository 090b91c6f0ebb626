/**
 * The loss curve: each term of the JSONL log against the step, drawn with vega-lite and rendered headless to SVG by
 * vega's View.toSVG() (no canvas, no browser). vega is ESM-only with top-level await, so it is loaded with a real
 * dynamic import (TypeScript's CommonJS output would turn `import()` into `require()`, which cannot load it).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { StepRecord } from './train-log';

export const LOSS_CURVE_FILE = 'loss-curve.svg';

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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

export async function renderLossCurveSvg(records: StepRecord[], weights: { content: number; style: number; tv: number }): Promise<string> {
  const [vega, vegaLite] = await Promise.all([importEsm('vega'), importEsm('vega-lite')]);
  const compiled = vegaLite.compile(lossCurveSpec(records, weights)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes the SVG next to the log (via a temp file + rename, so a viewer never sees half a file). */
export async function writeLossCurve(outDir: string, records: StepRecord[], weights: { content: number; style: number; tv: number }): Promise<string> {
  const file = path.join(outDir, LOSS_CURVE_FILE);
  const svg = await renderLossCurveSvg(records, weights);
  fs.writeFileSync(file + '.tmp', svg);
  fs.renameSync(file + '.tmp', file);
  return file;
}
