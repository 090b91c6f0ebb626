/**
 * The per-step JSONL log in the output folder: one JSON object per optimizer step, appended as the run goes, so a
 * crash loses at most the line being written and any tool (jq, a notebook, the loss-curve plot) can read it.
 */
import * as fs from 'fs';
import type { LossValues } from '../losses/perceptual';

export const TRAIN_LOG_FILE = 'train-log.jsonl';

export interface StepRecord extends LossValues {
  step: number;
  epoch: number;
  /** Unix ms. */
  time: number;
  lr: number;
  /** Wall time of the step, and the part of it spent waiting for the data pipeline. */
  stepMs: number;
  dataWaitMs: number;
}

export class TrainLog {
  constructor(readonly file: string) {}

  append(record: StepRecord): void {
    fs.appendFileSync(this.file, JSON.stringify(record) + '\n');
  }

  /**
   * Every record, the latest one per step (a resumed run re-logs the steps after its checkpoint), in step order.
   * A torn last line (a kill mid-write) is ignored.
   */
  read(): StepRecord[] {
    if (!fs.existsSync(this.file)) return [];
    const byStep = new Map<number, StepRecord>();
    for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as StepRecord;
        if (typeof r.step === 'number') byStep.set(r.step, r);
      } catch {
        // torn line
      }
    }
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }
}
