/**
 * The run loop every trainer shares: steps until the planned total, a preview and a checkpoint at their cadence and at
 * the end, a graceful stop (SIGINT/SIGTERM via `shouldStop`) that saves first, the NaN/Inf guard (the first non-finite
 * loss restores the last checkpoint and halves the learning rate; a second one stops the run), the JSONL log and
 * timing. What is trained, on what data and against which loss comes from the `TrainingTask`.
 *
 * Exact resume: a checkpoint holds the weights, Adam's moments, β powers and iteration count, the step, the data
 * cursors (order and crops are a function of (seed, epoch, position): see data.ts), the learning rate and the loss
 * scales. Weight initialisation is seeded too, so a run of N steps and a run of k steps resumed for N−k agree.
 */
import * as path from 'path';
import { tf } from '../backend/tf';
import { NstError } from '../errors';
import { BUDGET_CALIBRATION_STEPS, BudgetPlan, describePlan, planBudget, StageCost } from './budget';
import type { DataStats } from './data';
import type { CheckpointStore } from './deps';
import { readTrainState, restoreOptimizer, Trainee } from './session';
import { OPTIMIZER_DATA_FILE, OPTIMIZER_MANIFEST_FILE, packTensors, readAdamBetaPowers, setAdamLearningRate, TRAIN_STATE_FILE } from './state';
import { optimizerStep } from './step';
import type { StepLosses, StepReport, TrainHooks, TrainingTask } from './task';
import { writeLossCurve } from './loss-plot';
import { TRAIN_LOG_FILE, TrainLog } from './train-log';

/** A non-finite loss twice in one run (the first one already restored the last checkpoint and halved the rate). */
export class TrainingDivergedError extends NstError {}

export interface Cadence {
  totalSteps: number;
  checkpointEvery: number;
  previewEvery: number;
}

/** What the loop reports back; trainers add their own fields to make their TrainResult. */
export interface LoopResult {
  step: number;
  totalSteps: number;
  stoppedEarly: boolean;
  lastLosses?: StepLosses;
  /** Seconds per step (mean over this session's steps) and the share of it spent waiting for data. */
  secondsPerStep: number;
  dataWaitShare: number;
  data: DataStats;
  /** The budget's last plan (with `budget`; in a dry run, the plan the measured rate gives). */
  plan?: BudgetPlan;
}

export interface LoopOptions<R> {
  store: CheckpointStore<R>;
  hooks: TrainHooks;
  log: (line: string) => void;
  outDir: string;
  ckptDir: string;
  /** Time this many steps without writing anything (the first one is not timed: it pays one-time costs). */
  dryRunSteps?: number;
  /** The rate of the coming step from the run's base rate (which the NaN guard may have halved); default: the base rate. */
  schedule?: (baseRate: number, step: number) => number;
  /** Plan the steps and cadence to finish within this wall-clock budget (budget.ts); the cadence given is a start. */
  budget?: LoopBudget;
}

/** Inverse-time decay, the loop's `schedule` for both trainers: the rate at step t is lr / (1 + decay · t). */
export function inverseTimeDecay(decay: number): (base: number, step: number) => number {
  return (base, step) => base / (1 + decay * step);
}

export interface LoopBudget {
  seconds: number;
  /** What the step after `step` is, for the plan's message ("batch 4, 256²"). */
  describeStep: (step: number) => string;
  /** A later stage whose steps cost more (a curriculum's larger crops). */
  laterStage?: StageCost;
}

/** Step times of the current stage, most recent last (a window: a shared machine's load changes). */
const RATE_WINDOW = 20;

export class TrainingLoop<R> {
  private readonly trainLog: TrainLog;
  private readonly dryRun: boolean;
  private sessionMs = 0;
  private sessionWaitMs = 0;
  private sessionSteps = 0;
  private lastLosses?: StepLosses;
  private readonly clock: () => number;
  private readonly sessionStart: number;
  private readonly elapsedBefore: number;
  /** Wall-clock seconds per step of the current stage, recent ones last (data waits and logging included). */
  private recentStepSeconds: number[] = [];
  private firstStepSeconds = 0;
  /** When the last step ended (run seconds), and the preview and checkpoint time since (costed separately). */
  private lastStepEnd: number;
  private overheadSinceStep = 0;
  private checkpointSeconds = 0;
  private previewSeconds = 0;
  private plan?: BudgetPlan;
  private planAnnounced = false;

  constructor(
    private readonly task: TrainingTask<R>,
    private readonly trainee: Trainee,
    private readonly cadence: Cadence,
    private readonly o: LoopOptions<R>,
  ) {
    this.trainLog = new TrainLog(path.join(o.outDir, TRAIN_LOG_FILE));
    this.dryRun = o.dryRunSteps !== undefined;
    this.clock = o.hooks.clock ?? (() => performance.now());
    this.sessionStart = this.clock();
    this.elapsedBefore = trainee.state.elapsedSeconds ?? 0;
    this.lastStepEnd = this.elapsedBefore;
  }

  /** Wall-clock seconds of the whole run so far, over all its sessions. */
  private elapsedSeconds(): number {
    return this.elapsedBefore + (this.clock() - this.sessionStart) / 1000;
  }

  secondsPerStep(): number | undefined {
    return this.sessionSteps ? this.sessionMs / this.sessionSteps / 1000 : undefined;
  }

  async run(): Promise<LoopResult> {
    const { cadence, trainee } = this;
    const limit = () => (this.dryRun ? Math.min(trainee.state.step + this.o.dryRunSteps!, cadence.totalSteps) : cadence.totalSteps);
    const dryLimit = this.dryRun ? limit() : 0;
    let stoppedEarly = false;
    let timedFrom = -1;
    if (this.o.budget && !this.dryRun && this.elapsedSeconds() >= this.o.budget.seconds) {
      this.o.log(`nst: the budget of this run is used up (${Math.round(this.elapsedSeconds())} s of ${this.o.budget.seconds} s): give a larger --budget to go on`);
      cadence.totalSteps = trainee.state.step;
    }
    while (trainee.state.step < (this.dryRun ? dryLimit : limit())) {
      const ok = await this.step();
      if (!ok) continue; // recovered from a non-finite loss: the step is retried from the restored checkpoint
      const step = trainee.state.step;
      // In a dry run the first step pays one-time costs (kernel set-up, allocation): time the steps after it.
      if (this.dryRun && timedFrom < 0) {
        timedFrom = step;
        this.sessionMs = this.sessionWaitMs = this.sessionSteps = 0;
      }
      if (this.o.budget) this.trackRate();
      if (this.dryRun) continue;
      if (this.o.budget) this.followBudget(this.o.budget, step);
      const last = step === cadence.totalSteps;
      if (step % cadence.previewEvery === 0 || last) await this.preview();
      if (step % cadence.checkpointEvery === 0 || last) {
        await this.saveCheckpoint();
        if (this.o.budget && !last) this.replan(this.o.budget, step, true); // said again if it changed
      }
      if (!last && this.o.hooks.shouldStop?.()) {
        if (step % cadence.checkpointEvery !== 0) await this.saveCheckpoint();
        this.o.log(`nst: stopped at step ${step}; checkpoint saved to ${this.o.ckptDir} (resume with --resume ${this.o.outDir})`);
        stoppedEarly = true;
        break;
      }
    }
    return {
      step: trainee.state.step,
      totalSteps: cadence.totalSteps,
      stoppedEarly,
      lastLosses: this.lastLosses,
      secondsPerStep: this.secondsPerStep() ?? NaN,
      dataWaitShare: this.sessionMs ? this.sessionWaitMs / this.sessionMs : 0,
      data: this.task.dataStats(),
      plan: this.o.budget && this.dryRun && this.sessionSteps ? this.planNow(this.o.budget, trainee.state.step) : this.plan,
    };
  }

  /** Mean of the recent step times of the current stage (the session's first step until others are timed). */
  private recentSecondsPerStep(): number {
    const w = this.recentStepSeconds;
    return w.length ? w.reduce((a, b) => a + b, 0) / w.length : this.firstStepSeconds;
  }

  private planNow(budget: LoopBudget, step: number): BudgetPlan {
    // While the timed steps are the first stage's, the later stage's steps are costed by its ratio.
    const stage = budget.laterStage && step < budget.laterStage.fromStep ? budget.laterStage : undefined;
    return planBudget({
      budgetSeconds: budget.seconds,
      elapsedSeconds: this.elapsedSeconds(),
      step,
      secondsPerStep: this.recentSecondsPerStep(),
      laterStage: stage,
      checkpointSeconds: this.checkpointSeconds,
      previewSeconds: this.previewSeconds,
    });
  }

  /**
   * Re-plans the end of the run from the latest rate (every step: it is arithmetic). The cadence of checkpoints and
   * previews changes only with an announced plan, so that it does not jitter with the rate.
   */
  private replan(budget: LoopBudget, step: number, announce: boolean): void {
    const plan = this.planNow(budget, step);
    plan.totalSteps = Math.max(plan.totalSteps, step);
    this.cadence.totalSteps = plan.totalSteps;
    const changed = this.plan !== undefined && Math.abs(plan.totalSteps - this.plan.totalSteps) > 0.05 * this.plan.totalSteps;
    if (!this.plan || (announce && (!this.planAnnounced || changed))) {
      Object.assign(this.cadence, { checkpointEvery: plan.checkpointEvery, previewEvery: plan.previewEvery });
      this.plan = plan;
    }
    if (announce && (!this.planAnnounced || changed)) {
      this.o.log(describePlan(budget.seconds, plan, this.recentSecondsPerStep(), budget.describeStep(step)));
      this.planAnnounced = true;
    }
    this.plan = { ...this.plan!, totalSteps: plan.totalSteps, expectedSeconds: plan.expectedSeconds };
  }

  /**
   * After each step of a budgeted run: the end re-planned from the latest rate, the plan announced once the rate is
   * measured (and again when a later stage's rate is), and the end brought forward when the next step and the final
   * checkpoint would not fit in what is left.
   */
  /**
   * Times the step that just ended for the budget: the time since the last step ended, less its preview and
   * checkpoint (costed separately), so data waits and logging count as they do against the clock.
   */
  private trackRate(): void {
    const now = this.elapsedSeconds();
    const seconds = now - this.lastStepEnd - this.overheadSinceStep;
    this.lastStepEnd = now;
    this.overheadSinceStep = 0;
    // The first step of a session pays one-time costs (kernel set-up, allocation): it stands in until others are timed.
    if (this.sessionSteps === 1) this.firstStepSeconds = seconds;
    else {
      this.recentStepSeconds.push(seconds);
      if (this.recentStepSeconds.length > RATE_WINDOW) this.recentStepSeconds.shift();
    }
  }

  private followBudget(budget: LoopBudget, step: number): void {
    const stage = budget.laterStage;
    // The later stage's steps are timed afresh from its first one.
    if (stage && step === stage.fromStep) {
      this.recentStepSeconds = this.recentStepSeconds.slice(-1);
      this.planAnnounced = false;
    }
    this.replan(budget, step, this.recentStepSeconds.length >= BUDGET_CALIBRATION_STEPS && !this.planAnnounced);
    const nextIsLater = stage !== undefined && step + 1 === stage.fromStep;
    const next = this.recentSecondsPerStep() * (nextIsLater ? stage.ratio : 1);
    // Until this session has timed a checkpoint and a preview, each is taken to cost a step.
    const finish = (this.checkpointSeconds || next) + (this.previewSeconds || next);
    if (this.elapsedSeconds() + next + finish > budget.seconds) {
      this.cadence.totalSteps = step;
    }
  }

  /** One optimizer step. Returns false when the loss was non-finite and the run was rolled back. */
  private async step(): Promise<boolean> {
    const { task, trainee } = this;
    const t0 = this.clock();
    const waitBefore = task.dataStats().waitMs;
    const batch = await task.nextBatch(trainee.state.step + 1);
    const dataWaitMs = task.dataStats().waitMs - waitBefore;
    const stepNumber = trainee.state.step + 1;
    const lr = this.o.schedule ? this.o.schedule(trainee.state.learningRate, trainee.state.step) : trainee.state.learningRate;
    if (this.o.schedule) setAdamLearningRate(trainee.optimizer, lr);
    let outcome;
    try {
      outcome = await optimizerStep(task, trainee, batch, this.o.hooks.injectNonFinite?.(stepNumber) ?? false);
    } finally {
      tf.dispose(batch.tensors);
    }
    if (!outcome.ok) {
      await this.recoverFromNonFinite(stepNumber, outcome.value);
      return false;
    }
    const { state } = trainee;
    state.step = stepNumber;
    state.cursor = batch.cursorAfter;
    if (batch.streamsAfter) state.streams = batch.streamsAfter;

    const losses = outcome.losses;
    this.lastLosses = losses;
    const stepMs = this.clock() - t0;
    this.sessionMs += stepMs;
    this.sessionWaitMs += dataWaitMs;
    this.sessionSteps++;
    const epoch = (state.cursor.epoch * task.datasetSize + state.cursor.index) / task.datasetSize;
    const report: StepReport = { step: stepNumber, totalSteps: this.cadence.totalSteps, epoch, losses, stepMs, dataWaitMs, lr };
    if (!this.dryRun) {
      this.trainLog.append({ step: stepNumber, epoch, time: Date.now(), lr, ...losses, stepMs, dataWaitMs });
    }
    this.o.hooks.onStep?.(report);
    return true;
  }

  /** First time: restore the last checkpoint and halve the learning rate. Second time: stop with a clear error. */
  private async recoverFromNonFinite(step: number, value: number): Promise<void> {
    const { trainee, o } = this;
    if (trainee.state.lrHalved || this.dryRun) {
      throw new TrainingDivergedError(
        `the loss became ${value} again at step ${step} after the learning rate was already halved to ${trainee.state.learningRate}: ` +
          `training diverged; lower --lr or --style-weight, and resume from ${o.outDir} (its checkpoint is the last good state)`,
      );
    }
    const restored = await readTrainState(o.store, o.ckptDir);
    const model = await o.store.loadModel(o.ckptDir);
    trainee.model.setWeights(model.getWeights());
    model.dispose();
    const lr = restored.learningRate / 2;
    trainee.optimizer.dispose();
    trainee.optimizer = await restoreOptimizer(o.store, o.ckptDir, lr, restored.adamBetaPowers, o.log);
    trainee.state = { ...restored, learningRate: lr, lrHalved: true };
    this.task.seek(trainee.state.cursor, trainee.state.streams);
    o.log(
      `nst: warning: the loss became ${value} at step ${step}; restored the checkpoint of step ${restored.step} and ` +
        `halved the learning rate to ${lr} (a second time stops the run)`,
    );
  }

  async saveCheckpoint(): Promise<void> {
    const { trainee, o } = this;
    const t0 = this.clock();
    o.hooks.beforeCheckpoint?.(trainee.state.step);
    trainee.state.elapsedSeconds = this.elapsedSeconds();
    const optWeights = await trainee.optimizer.getWeights();
    const packed = packTensors(optWeights);
    // getWeights() made a fresh scalar for the iteration count; the rest are the optimizer's own variables.
    optWeights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
    const record = this.task.checkpointRecord({
      state: trainee.state,
      lastLosses: this.lastLosses,
      secondsPerStep: this.secondsPerStep(),
      totalSteps: this.cadence.totalSteps,
    });
    await o.store.save(o.ckptDir, {
      ...record,
      model: trainee.model,
      extraFiles: {
        [TRAIN_STATE_FILE]: Buffer.from(JSON.stringify({ ...trainee.state, adamBetaPowers: readAdamBetaPowers(trainee.optimizer) }, null, 1)),
        [OPTIMIZER_MANIFEST_FILE]: Buffer.from(packed.manifest),
        [OPTIMIZER_DATA_FILE]: packed.data,
      },
    });
    this.checkpointSeconds = (this.clock() - t0) / 1000;
    this.overheadSinceStep += this.checkpointSeconds;
  }

  private async preview(): Promise<void> {
    const t0 = this.clock();
    try {
      await this.task.preview(this.trainee.model, this.trainee.state.step);
      await writeLossCurve(this.o.outDir, this.trainLog.read(), this.task.lossWeights);
    } catch (e) {
      // Observability must never kill a run: say what failed once per preview and carry on.
      this.o.log(`nst: warning: preview/loss curve not written at step ${this.trainee.state.step}: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      this.previewSeconds = (this.clock() - t0) / 1000;
      this.overheadSinceStep += this.previewSeconds;
    }
  }
}

/**
 * A run from its first step (or its resumed one) to the end: a fresh run first saves a checkpoint, so the NaN guard
 * always has a good state to return to (a dry run writes nothing).
 */
export async function runTraining<R>(
  task: TrainingTask<R>,
  trainee: Trainee,
  cadence: Cadence,
  options: LoopOptions<R> & { resumed: boolean },
): Promise<LoopResult> {
  const loop = new TrainingLoop(task, trainee, cadence, options);
  if (options.dryRunSteps === undefined && !options.resumed) await loop.saveCheckpoint();
  return loop.run();
}
