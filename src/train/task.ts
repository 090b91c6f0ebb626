/**
 * The contract between the training machinery and a trainer. The machinery (session.ts, step.ts, loop.ts) owns what
 * every run shares: the run folder, resume, Adam and its exact state, the NaN guard, the step cadence of checkpoints
 * and previews, the JSONL log, timing and stopping. A trainer (per-style.ts; the arbitrary-style and multi-style
 * trainers) plugs in a network, a data stream, a loss and its previews through `TrainingTask`.
 */
import type { tf } from '../backend/tf';
import type { LossValues, PerceptualLoss } from '../losses/perceptual';
import type { DataCursor, DataStats } from './data';
import type { PerStyleRecord } from './deps';
import type { TrainState } from './state';

/** A step's loss terms as numbers, and as tensors inside the tape (the perceptual loss's shape, for every trainer). */
export type StepLosses = LossValues;
export type LossTensors = PerceptualLoss;

export interface StepReport {
  step: number;
  totalSteps: number;
  /** Fractional epochs consumed. */
  epoch: number;
  losses: StepLosses;
  stepMs: number;
  dataWaitMs: number;
  lr: number;
}

export interface TrainHooks {
  /** Human-readable lines (the CLI sends them to stderr). */
  log?: (line: string) => void;
  /** After every completed step. */
  onStep?: (report: StepReport) => void;
  /** Polled after every step; true = save a checkpoint and return (SIGINT/SIGTERM). */
  shouldStop?: () => boolean;
  /** Called right before a checkpoint is written (tests kill the process here). */
  beforeCheckpoint?: (step: number) => void;
  /** The time source in milliseconds, for step times and budgets (tests give a fake one); default performance.now. */
  clock?: () => number;
  /** Fault injection for tests: make the loss of this (1-based) step non-finite. */
  injectNonFinite?: (step: number) => boolean;
}

/** Where the run stands when a checkpoint is written. */
export interface RecordContext {
  state: TrainState;
  lastLosses?: StepLosses;
  secondsPerStep?: number;
  totalSteps: number;
}

/** One batch as the task's loss takes it, and where the data stream stands after it. */
export interface TaskBatch {
  /** Tensors the loss reads; the machinery disposes them after the step. */
  tensors: tf.Tensor[];
  cursorAfter: DataCursor;
  /** Task-specific stream positions (e.g. a second stream of style images), stored in the training state. */
  streamsAfter?: Record<string, DataCursor>;
  /** The style this batch trains, for a network serving several (its style-index stream drew it). */
  styleIndex?: number;
}

/** The per-batch part of a loss: constants prepared outside the tape, and the differentiable loss itself. */
export interface BatchObjective {
  loss(): LossTensors;
  dispose(): void;
}

/** What a checkpoint records about the run (the trainer's part of the payload; `R` is the trainer's record type). */
export interface TrainingTask<R = PerStyleRecord> {
  /** Per-layer style terms, in report order. */
  readonly styleLayers: string[];
  /** The loss weights, as the loss curve labels its terms. */
  readonly lossWeights: { content: number; style: number; tv: number };
  /** Photos per epoch (for the fractional epoch in reports). */
  readonly datasetSize: number;
  /** The batch of this (1-based) step: a pure function of the cursors and the step (see data.ts). */
  nextBatch(step: number): Promise<TaskBatch>;
  /** Seconds spent waiting for data so far, and what the stream read. */
  dataStats(): DataStats;
  /** Restart the data streams at these positions (after the NaN guard restored a checkpoint). */
  seek(cursor: DataCursor, streams?: Record<string, DataCursor>): void;
  /** May fix run-wide constants on the first step (stored in `state`, so a resumed run uses the same ones). */
  objective(model: tf.LayersModel, batch: TaskBatch, state: TrainState): BatchObjective;
  /** Writes the preview grid (and whatever else the trainer shows) for this step. */
  preview(model: tf.LayersModel, step: number): Promise<void>;
  /** The network config and training record of a checkpoint at this point. */
  checkpointRecord(info: RecordContext): R;
  dispose(): void;
}
