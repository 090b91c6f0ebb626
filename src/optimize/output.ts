/**
 * Where an optimization's side files go, and the final-losses file: `<output>.json` beside the image, holding the
 * losses of the written image, the steps and evaluations it took, the full options and the per-step loss trace (the
 * curve answers "how many steps until the loss of a trained network's single pass?").
 */
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic-write';
import { learningRateOf } from './config';
import type { OptimizeResult } from './run';

export const LOSSES_FILE_VERSION = 1;

export function lossesFileOf(output: string): string {
  return `${output}.json`;
}

/** `out.png` → `out.step-000050.png`: the preview of step 50, in the output's format. */
export function previewFileOf(output: string, step: number): string {
  const ext = path.extname(output);
  return `${output.slice(0, output.length - ext.length)}.step-${String(step).padStart(6, '0')}${ext}`;
}

/** Four significant digits are plenty for a loss trace and keep the file small. */
function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(5)) : v;
}

export function lossesRecord(r: OptimizeResult): Record<string, unknown> {
  return {
    version: LOSSES_FILE_VERSION,
    output: r.output,
    width: r.width,
    height: r.height,
    losses: r.losses,
    initialLosses: r.initialLosses,
    weights: { content: r.config.contentWeight, style: r.config.styleWeight, tv: r.config.tvWeight },
    // The effective rate: options.lr is absent when the optimizer's default was used.
    optimizer: { name: r.config.optimizer, lr: learningRateOf(r.config) },
    steps: r.steps,
    evaluations: r.evaluations,
    seconds: Number(r.seconds.toFixed(3)),
    converged: r.converged,
    stoppedEarly: r.stoppedEarly,
    lossNetwork: r.lossNetwork,
    styleLayers: r.styleLayers,
    contentLayer: r.contentLayer,
    notes: r.notes,
    options: r.config,
    history: r.history.map((h) => ({
      step: h.step,
      evaluations: h.evaluations,
      ms: Math.round(h.ms),
      total: round(h.total),
      content: round(h.content),
      style: round(h.style),
      tv: round(h.tv),
    })),
  };
}

/** Written atomically so a reader never sees half a file. */
export async function writeLossesFile(r: OptimizeResult): Promise<void> {
  writeFileAtomic(r.lossesFile, JSON.stringify(lossesRecord(r), null, 1) + '\n');
}
