/**
 * `--budget 8h`: a run that plans itself to finish in a given wall-clock time on the machine at hand. The loop measures
 * its own step time (and what a checkpoint and a preview cost), and from that plans the number of steps and the
 * cadence of checkpoints and previews; the end follows the measured rate as it changes (a shared machine's load
 * does), and it stops early, with a checkpoint, when the next step would not fit. The budget covers the whole run: a
 * resumed run gets what its earlier sessions left (`elapsedSeconds` in the training state).
 *
 * Only the step count and the cadence are planned: what a step is (size, batch, learning rate) stays as configured,
 * so exact resume holds for any plan.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from '../util/duration';

/** A wall-clock budget: `8h`, `1h30m`, `90m` or seconds, stored as seconds. */
export const budgetSchema = z
  .union([z.number().positive(), z.string()])
  .transform((v, ctx) => {
    const seconds = typeof v === 'number' ? v : parseDuration(v);
    if (seconds === undefined || !(seconds > 0)) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration: give e.g. 8h, 1h30m, 90m or seconds` });
      return z.NEVER;
    }
    return seconds;
  });

/** `--budget`, shared by every trainer's schema (planned by planBudget below, followed by the loop). */
export const budgetField = budgetSchema
  .optional()
  .describe('finish within this wall-clock time (8h, 90m): the run times its steps and plans their number, checkpoints and previews (instead of --iterations/--epochs)');

/** Checkpoints about this often: a crash or a lost machine costs at most this much work. */
export const BUDGET_CHECKPOINT_SECONDS = 600;
/** Preview grids over a whole budgeted run (they cost a forward pass and an image write each). */
export const BUDGET_PREVIEWS = 24;
/**
 * ...but not more often than this: a preview and its loss-curve render took ~6 s at 256² (AVX2), so 24 of them in a
 * 4-minute run ate a third of it.
 */
export const BUDGET_PREVIEW_MIN_SECONDS = 300;
/** Steps timed before the first plan (the first step of a session is not timed: it pays one-time costs). */
export const BUDGET_CALIBRATION_STEPS = 3;

/** What later steps cost relative to the current one (a curriculum's larger crops); 1 = the same. */
export interface StageCost {
  /** First step (1-based) of the later stage. */
  fromStep: number;
  /** Its expected step time over the current stage's. */
  ratio: number;
}

export interface BudgetInputs {
  budgetSeconds: number;
  /** Wall-clock seconds the run has used so far, in all its sessions. */
  elapsedSeconds: number;
  /** Steps done. */
  step: number;
  /** Measured seconds per step of the current stage. */
  secondsPerStep: number;
  /** A later stage with a different cost (see StageCost), when the run has one ahead. */
  laterStage?: StageCost;
  /** Measured cost of one checkpoint save and one preview (0 until measured). */
  checkpointSeconds: number;
  previewSeconds: number;
}

export interface BudgetPlan {
  totalSteps: number;
  checkpointEvery: number;
  previewEvery: number;
  /** Expected wall-clock seconds of the whole run under this plan. */
  expectedSeconds: number;
}

/**
 * The most steps that fit in what is left of the budget, counting the later stage's cost, the checkpoints and previews
 * they bring, and one final checkpoint and preview. Pure: the loop feeds it measurements.
 */
export function planBudget(b: BudgetInputs): BudgetPlan {
  const s1 = Math.max(b.secondsPerStep, 1e-6);
  const checkpointEvery = Math.max(1, Math.round(BUDGET_CHECKPOINT_SECONDS / s1));
  // Per-step overheads amortized: a checkpoint every checkpointEvery steps, a preview every previewEvery.
  const roughSteps = Math.max(1, (b.budgetSeconds - b.elapsedSeconds) / s1) + b.step;
  const previewEvery = Math.max(1, Math.round(roughSteps / BUDGET_PREVIEWS), Math.round(BUDGET_PREVIEW_MIN_SECONDS / s1));
  const overhead = b.checkpointSeconds / checkpointEvery + b.previewSeconds / previewEvery;
  // The last step ends with a preview and a checkpoint whatever the cadence.
  let left = b.budgetSeconds - b.elapsedSeconds - b.checkpointSeconds - b.previewSeconds;
  let steps = 0;
  const stage = b.laterStage;
  const firstStageSteps = stage ? Math.max(0, stage.fromStep - 1 - b.step) : Infinity;
  const perStep1 = s1 + overhead;
  const n1 = Math.max(0, Math.min(firstStageSteps, Math.floor(left / perStep1)));
  steps += n1;
  left -= n1 * perStep1;
  if (stage && n1 === firstStageSteps) {
    const perStep2 = s1 * stage.ratio + overhead;
    steps += Math.max(0, Math.floor(left / perStep2));
  }
  const totalSteps = b.step + steps;
  const expectedSeconds =
    b.elapsedSeconds + n1 * perStep1 + (steps - n1) * (s1 * (stage?.ratio ?? 1) + overhead) + b.checkpointSeconds + b.previewSeconds;
  return { totalSteps, checkpointEvery, previewEvery, expectedSeconds };
}

/** The line a run prints about its plan. */
export function describePlan(budgetSeconds: number, plan: BudgetPlan, secondsPerStep: number, what: string): string {
  return (
    `nst: budget ${formatDuration(budgetSeconds)}: ${secondsPerStep.toFixed(2)} s/step measured (${what}) → ${plan.totalSteps} steps ` +
    `in ≈ ${formatDuration(plan.expectedSeconds)}, a checkpoint every ${plan.checkpointEvery} steps (≈ ${formatDuration(plan.checkpointEvery * secondsPerStep)}), ` +
    `previews every ${plan.previewEvery} steps; the end follows the measured rate`
  );
}

/**
 * The step count a run starts its loop with: the configured one, or for a budgeted run one step more than it has
 * done (a dry run's few), because the loop plans the rest from the first step's time.
 */
export function initialTotalSteps(budgetSeconds: number | undefined, configuredSteps: number, step: number, dryRunSteps?: number): number {
  return budgetSeconds === undefined ? configuredSteps : step + (dryRunSteps ?? 1);
}
