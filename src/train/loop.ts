/**
 * The training loop (library; the CLI is a thin layer over it): Adam over the transformer's trainable weights,
 * perceptual losses against style targets computed once, checkpoints every N steps and at the end, exact resume,
 * a NaN/Inf guard, and the observability outputs (JSONL log, preview grid, loss curve).
 *
 * Exact resume: a checkpoint holds the weights, Adam's moments and iteration count, the step, the data cursor
 * (order and crops are a function of (seed, epoch, position): see data.ts), the learning rate and the loss scales.
 * Weight initialisation is seeded too, so a run of N steps and a run of k steps resumed for N−k agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { NstError, UsageError } from '../errors';
import { decodeImage, pixelsToTensor } from '../image/image-io';
import type { LossNetwork } from '../nets/loss-network/types';
import { parseTrainConfig, RESUMABLE_OVERRIDES, totalSteps, TrainConfig, TrainConfigInput } from './config';
import { BatchStream, DataCursor, DataStats, listImages } from './data';
import { writeLossCurve } from './loss-plot';
import {
  contentScaleOf,
  NORMALIZED_TV_SCALE,
  perceptualLoss,
  StyleTarget,
  styleTargetsFrom,
} from '../losses/perceptual';
import { loadPreviewBatch, writePreview } from './preview';
import {
  OPTIMIZER_DATA_FILE,
  OPTIMIZER_MANIFEST_FILE,
  packTensors,
  readAdamBetaPowers,
  TRAIN_STATE_FILE,
  TrainState,
  TrainStateSchema,
  unpackTensors,
  writeAdamBetaPowers,
} from './state';
import { resolveTaps } from '../losses/taps';
import { StepRecord, TRAIN_LOG_FILE, TrainLog } from './train-log';
import { CheckpointStore, defaultDeps, networkConfigFor, TrainDeps } from './deps';
import { Rng } from '../util/rng';
import { TRAINING_RUN_CHECKPOINT } from '../checkpoint';
import { createHash } from 'crypto';

/** A non-finite loss twice in one run (the first one already restored the last checkpoint and halved the rate). */
export class TrainingDivergedError extends NstError {}

export interface StepLosses {
  total: number;
  content: number;
  style: number;
  tv: number;
  styleLayers: Record<string, number>;
}

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
  /** Fault injection for tests: make the loss of this (1-based) step non-finite. */
  injectNonFinite?: (step: number) => boolean;
}

export interface TrainResult {
  config: TrainConfig;
  outDir: string;
  checkpointDir: string;
  /** Steps completed in total (including those before a resume). */
  step: number;
  totalSteps: number;
  stoppedEarly: boolean;
  lastLosses?: StepLosses;
  styleLayers: string[];
  contentLayer: string;
  lossNetwork: string;
  /** Seconds per step (mean over this session's steps) and the share of it spent waiting for data. */
  secondsPerStep: number;
  dataWaitShare: number;
  data: DataStats;
  notes: string[];
}

/** Where in the output folder the (atomic) checkpoint lives; stylize and export read it from there. */
export function checkpointDirOf(outDir: string): string {
  return path.join(outDir, TRAINING_RUN_CHECKPOINT);
}

/**
 * Math.random replaced by a seeded stream while `fn` runs. tfjs' initializers draw their seeds from Math.random when
 * none is given, so this makes the transformer's initial weights a function of the run's seed without touching how
 * the network chooses its initializers.
 */
export function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const rng = Rng.fromSeed(seed, 0x1417);
  const original = Math.random;
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

interface Session {
  config: TrainConfig;
  files: string[];
  totalSteps: number;
  lossNet: LossNetwork;
  styleLayers: string[];
  contentLayer: string;
  styleTargets: Record<string, StyleTarget>;
  model: tf.LayersModel;
  variables: tf.Variable[];
  optimizer: tf.AdamOptimizer;
  state: TrainState;
  notes: string[];
}

function resolveConfig(
  input: TrainConfigInput | Partial<TrainConfigInput>,
  stored: unknown,
  log: (line: string) => void,
): TrainConfig {
  if (stored === undefined) return parseTrainConfig(input);
  const base = parseTrainConfig(stored, 'training config stored in the checkpoint');
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if ((RESUMABLE_OVERRIDES as readonly string[]).includes(k)) {
      merged[k] = v;
    } else if (JSON.stringify(v) !== JSON.stringify((base as Record<string, unknown>)[k])) {
      log(`nst: resume keeps ${k}=${JSON.stringify((base as Record<string, unknown>)[k])} from the checkpoint (ignoring ${JSON.stringify(v)})`);
    }
  }
  return parseTrainConfig(merged);
}

async function loadStyleTargets(
  config: TrainConfig,
  lossNet: LossNetwork,
  styleLayers: string[],
): Promise<Record<string, StyleTarget>> {
  const size = config.styleSize ?? config.imageSize;
  const style = await decodeImage(config.style, { resize: { width: size, height: size, fit: 'inside' } });
  const x = pixelsToTensor(style);
  try {
    const feats = lossNet.extract(x, styleLayers);
    const targets = styleTargetsFrom(feats, config.lossScale === 'normalized');
    tf.dispose(Object.values(feats));
    return targets;
  } finally {
    x.dispose();
  }
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

async function restoreOptimizer(
  store: CheckpointStore,
  dir: string,
  lr: number,
  betaPowers: [number, number] | undefined,
  log: (line: string) => void,
): Promise<tf.AdamOptimizer> {
  const optimizer = tf.train.adam(lr);
  const manifest = (await store.readExtra(dir, OPTIMIZER_MANIFEST_FILE)).toString('utf8');
  const data = await store.readExtra(dir, OPTIMIZER_DATA_FILE);
  const weights = unpackTensors(manifest, data, path.join(dir, OPTIMIZER_DATA_FILE));
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor)); // setWeights copied them into its own variables
  if (!writeAdamBetaPowers(optimizer, betaPowers)) {
    log("nst: warning: this tfjs' Adam has no accBeta1/accBeta2 fields, so its bias correction restarts: resume continues, but not bit-exactly");
  }
  return optimizer;
}

async function readTrainState(store: CheckpointStore, dir: string): Promise<TrainState> {
  const raw = (await store.readExtra(dir, TRAIN_STATE_FILE)).toString('utf8');
  const r = TrainStateSchema.safeParse(JSON.parse(raw));
  if (!r.success) throw new UsageError(`${path.join(dir, TRAIN_STATE_FILE)}: not a training state this version can resume`);
  return r.data;
}

/**
 * Trains (or, with `resume`, continues training) a style network. `configInput` is validated here; when resuming it
 * may be partial: the checkpoint's stored config is used, except for the fields in RESUMABLE_OVERRIDES.
 */
export async function train(
  configInput: TrainConfigInput | Partial<TrainConfigInput>,
  options: { resume?: string; hooks?: TrainHooks; deps?: TrainDeps; dryRunSteps?: number } = {},
): Promise<TrainResult> {
  const hooks = options.hooks ?? {};
  const log = hooks.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const deps: TrainDeps = options.deps ?? defaultDeps();
  const store = deps.checkpoints;
  const dryRun = options.dryRunSteps !== undefined;

  // --- configuration and resume state ---
  let resumeDir: string | undefined;
  let storedOptions: unknown;
  if (options.resume) {
    resumeDir = fs.existsSync(checkpointDirOf(options.resume)) ? checkpointDirOf(options.resume) : options.resume;
    if (!store.exists(resumeDir)) {
      throw new UsageError(`--resume ${options.resume}: no checkpoint there (expected ${checkpointDirOf(options.resume)})`);
    }
    storedOptions = await store.readTrainingOptions(resumeDir);
    if (storedOptions === undefined) {
      throw new UsageError(`--resume ${options.resume}: that checkpoint holds no training options (was it made by nst train?)`);
    }
  }
  const config = resolveConfig(
    // Resuming continues in the run's own folder: the one holding checkpoint/ (whichever of the two was named).
    resumeDir && configInput.out === undefined ? { ...configInput, out: path.dirname(path.resolve(resumeDir)) } : configInput,
    storedOptions,
    log,
  );
  const outDir = path.resolve(config.out);
  const ckptDir = checkpointDirOf(outDir);

  const files = await listImages(config.data);
  const steps = totalSteps(config, files.length);

  // --- loss network and taps ---
  const lossNet = await deps.loadLossNetwork(config, log);
  const notes: string[] = [];
  let session: Session | undefined;
  let stream: BatchStream | undefined;
  let previewBatch: tf.Tensor4D | undefined;
  try {
    const taps = resolveTaps(lossNet.availableTaps, { styleLayers: config.styleLayers, contentLayer: config.contentLayer }, lossNet.description);
    for (const n of taps.notes) {
      notes.push(n);
      log(`nst: note: ${n}`);
    }
    const styleTargets = await loadStyleTargets(config, lossNet, taps.styleLayers);

    // --- network and optimizer ---
    const networkConfig = networkConfigFor(config);
    let model: tf.LayersModel;
    let optimizer: tf.AdamOptimizer;
    let state: TrainState;
    if (resumeDir) {
      model = await store.loadModel(resumeDir);
      state = await readTrainState(store, resumeDir);
      optimizer = await restoreOptimizer(store, resumeDir, state.learningRate, state.adamBetaPowers, log);
      log(`nst: resuming from ${resumeDir} at step ${state.step}`);
    } else {
      model = withSeededMathRandom(config.seed, () => deps.buildModel(networkConfig));
      optimizer = tf.train.adam(config.lr);
      state = {
        version: 1,
        step: 0,
        cursor: { epoch: 0, index: 0 },
        learningRate: config.lr,
        lrHalved: false,
        contentScale: 1,
        variableOrder: model.trainableWeights.map((w) => w.originalName),
      };
    }
    const variables = trainableVariables(model);
    if (resumeDir && state.variableOrder.join('|') !== model.trainableWeights.map((w) => w.originalName).join('|')) {
      throw new UsageError(`${resumeDir}: the optimizer state does not match this network's weights; cannot resume`);
    }
    session = { config, files, totalSteps: steps, lossNet, ...taps, styleTargets, model, variables, optimizer, state, notes };

    const runner = new Runner(session, store, hooks, log, ckptDir, outDir, dryRun);
    if (!dryRun) {
      fs.mkdirSync(outDir, { recursive: true });
      const previewFiles = (config.previewImages?.length ? config.previewImages : files.slice(0, config.previewCount)).slice(0, 16);
      previewBatch = await loadPreviewBatch(previewFiles, Math.min(config.imageSize, 256));
      runner.previewBatch = previewBatch;
      // A checkpoint before the first step, so the NaN guard always has a good state to return to.
      if (!resumeDir) await runner.saveCheckpoint();
    }
    stream = new BatchStream(files, { imageSize: config.imageSize, batchSize: config.batchSize, seed: config.seed, crop: config.crop, prefetch: config.prefetch, log }, state.cursor);
    runner.stream = stream;
    return await runner.run(options.dryRunSteps);
  } finally {
    stream?.close();
    previewBatch?.dispose();
    if (session) {
      session.optimizer.dispose();
      session.model.dispose();
      tf.dispose(Object.values(session.styleTargets).map((t) => t.gram));
    }
    lossNet.dispose();
  }
}

/** The mutable part of a run: the step loop, checkpointing and recovery. */
class Runner {
  stream!: BatchStream;
  previewBatch?: tf.Tensor4D;
  private readonly trainLog: TrainLog;
  private sessionMs = 0;
  private sessionWaitMs = 0;
  private sessionSteps = 0;
  private lastLosses?: StepLosses;

  constructor(
    private readonly s: Session,
    private readonly store: CheckpointStore,
    private readonly hooks: TrainHooks,
    private readonly log: (line: string) => void,
    private readonly ckptDir: string,
    private readonly outDir: string,
    private readonly dryRun: boolean,
  ) {
    this.trainLog = new TrainLog(path.join(outDir, TRAIN_LOG_FILE));
  }

  async run(dryRunSteps?: number): Promise<TrainResult> {
    const { config } = this.s;
    const limit = dryRunSteps !== undefined ? Math.min(this.s.state.step + dryRunSteps, this.s.totalSteps) : this.s.totalSteps;
    let stoppedEarly = false;
    let timedFrom = -1;
    while (this.s.state.step < limit) {
      const ok = await this.step();
      if (!ok) continue; // recovered from a non-finite loss: the step is retried from the restored checkpoint
      const step = this.s.state.step;
      // In a dry run the first step pays one-time costs (kernel set-up, allocation): time the steps after it.
      if (this.dryRun && timedFrom < 0) {
        timedFrom = step;
        this.sessionMs = this.sessionWaitMs = this.sessionSteps = 0;
      }
      if (this.dryRun) continue;
      const last = step === this.s.totalSteps;
      if (step % config.previewEvery === 0 || last) await this.preview();
      if (step % config.checkpointEvery === 0 || last) await this.saveCheckpoint();
      if (!last && this.hooks.shouldStop?.()) {
        if (step % config.checkpointEvery !== 0) await this.saveCheckpoint();
        this.log(`nst: stopped at step ${step}; checkpoint saved to ${this.ckptDir} (resume with --resume ${this.outDir})`);
        stoppedEarly = true;
        break;
      }
    }
    const stats = this.stream.stats();
    return {
      config,
      outDir: this.outDir,
      checkpointDir: this.ckptDir,
      step: this.s.state.step,
      totalSteps: this.s.totalSteps,
      stoppedEarly,
      lastLosses: this.lastLosses,
      styleLayers: this.s.styleLayers,
      contentLayer: this.s.contentLayer,
      lossNetwork: this.s.lossNet.description,
      secondsPerStep: this.sessionSteps ? this.sessionMs / this.sessionSteps / 1000 : NaN,
      dataWaitShare: this.sessionMs ? this.sessionWaitMs / this.sessionMs : 0,
      data: stats,
      notes: this.s.notes,
    };
  }

  /** One optimizer step. Returns false when the loss was non-finite and the run was rolled back. */
  private async step(): Promise<boolean> {
    const s = this.s;
    const t0 = performance.now();
    const waitBefore = this.stream.stats().waitMs;
    const batch = await this.stream.next();
    const dataWaitMs = this.stream.stats().waitMs - waitBefore;
    const stepNumber = s.state.step + 1;
    const x = tf.tensor4d(batch.data, batch.shape);
    const taps = [...new Set([...s.styleLayers, s.contentLayer])];
    let terms: tf.Scalar[] = [];
    let grads: tf.NamedTensorMap = {};
    let lossValues: number[];
    try {
      const contentFeatures = tf.tidy(() => s.lossNet.extract(x, [s.contentLayer])[s.contentLayer]);
      if (s.config.lossScale === 'normalized' && s.state.step === 0 && s.state.contentScale === 1) {
        // Fixed once, from the first batch, and stored in the checkpoint (so resumed runs use the same constant).
        s.state.contentScale = contentScaleOf(contentFeatures);
      }
      const normalized = s.config.lossScale === 'normalized';
      const result = tf.variableGrads(() => {
        const y = s.model.apply(x, { training: true }) as tf.Tensor4D;
        const feats = s.lossNet.extract(y, taps);
        const loss = perceptualLoss({
          output: y,
          outputFeatures: feats,
          contentFeatures,
          contentLayer: s.contentLayer,
          styleTargets: s.styleTargets,
          weights: { content: s.config.contentWeight, style: s.config.styleWeight, tv: s.config.tvWeight },
          styleLayerWeights: s.config.styleLayerWeights,
          contentScale: normalized ? s.state.contentScale : 1,
          tvScale: normalized ? NORMALIZED_TV_SCALE : 1,
        });
        terms = [loss.content, loss.style, loss.tv, ...s.styleLayers.map((l) => loss.styleLayers[l])].map((t) => tf.keep(t));
        return loss.total;
      }, s.variables);
      contentFeatures.dispose();
      grads = result.grads;
      const all = tf.tidy(() => tf.stack([result.value, ...terms]));
      lossValues = Array.from(await all.data());
      all.dispose();
      result.value.dispose();
    } finally {
      tf.dispose(terms);
      x.dispose();
    }

    if (this.hooks.injectNonFinite?.(stepNumber)) lossValues[0] = NaN;
    if (!Number.isFinite(lossValues[0])) {
      tf.dispose(Object.values(grads));
      await this.recoverFromNonFinite(stepNumber, lossValues[0]);
      return false;
    }

    // A fixed order (the model's), so Adam's positional moment slots line up across save and restore.
    s.optimizer.applyGradients(s.variables.map((v) => ({ name: v.name, tensor: grads[v.name] ?? tf.zerosLike(v) })));
    tf.dispose(Object.values(grads));
    s.state.step = stepNumber;
    s.state.cursor = batch.cursorAfter;

    const [total, content, style, tv, ...perLayer] = lossValues;
    const losses: StepLosses = {
      total,
      content,
      style,
      tv,
      styleLayers: Object.fromEntries(s.styleLayers.map((l, i) => [l, perLayer[i]])),
    };
    this.lastLosses = losses;
    const stepMs = performance.now() - t0;
    this.sessionMs += stepMs;
    this.sessionWaitMs += dataWaitMs;
    this.sessionSteps++;
    const epoch = (s.state.cursor.epoch * s.files.length + s.state.cursor.index) / s.files.length;
    const report: StepReport = { step: stepNumber, totalSteps: s.totalSteps, epoch, losses, stepMs, dataWaitMs, lr: s.state.learningRate };
    if (!this.dryRun) {
      const record: StepRecord = { step: stepNumber, epoch, time: Date.now(), lr: s.state.learningRate, ...losses, stepMs, dataWaitMs };
      this.trainLog.append(record);
    }
    this.hooks.onStep?.(report);
    return true;
  }

  /** First time: restore the last checkpoint and halve the learning rate. Second time: stop with a clear error. */
  private async recoverFromNonFinite(step: number, value: number): Promise<void> {
    const s = this.s;
    if (s.state.lrHalved || this.dryRun) {
      throw new TrainingDivergedError(
        `the loss became ${value} again at step ${step} after the learning rate was already halved to ${s.state.learningRate}: ` +
          `training diverged; lower --lr or --style-weight, and resume from ${this.outDir} (its checkpoint is the last good state)`,
      );
    }
    const restored = await readTrainState(this.store, this.ckptDir);
    const model = await this.store.loadModel(this.ckptDir);
    s.model.setWeights(model.getWeights());
    model.dispose();
    const lr = restored.learningRate / 2;
    s.optimizer.dispose();
    s.optimizer = await restoreOptimizer(this.store, this.ckptDir, lr, restored.adamBetaPowers, this.log);
    s.state = { ...restored, learningRate: lr, lrHalved: true };
    this.stream.close();
    this.stream = new BatchStream(
      s.files,
      { imageSize: s.config.imageSize, batchSize: s.config.batchSize, seed: s.config.seed, crop: s.config.crop, prefetch: s.config.prefetch, log: this.log },
      s.state.cursor,
    );
    this.log(
      `nst: warning: the loss became ${value} at step ${step}; restored the checkpoint of step ${restored.step} and ` +
        `halved the learning rate to ${lr} (a second time stops the run)`,
    );
  }

  async saveCheckpoint(): Promise<void> {
    const s = this.s;
    this.hooks.beforeCheckpoint?.(s.state.step);
    const optWeights = await s.optimizer.getWeights();
    const packed = packTensors(optWeights);
    // getWeights() made a fresh scalar for the iteration count; the rest are the optimizer's own variables.
    optWeights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
    const { config } = s;
    await this.store.save(this.ckptDir, {
      model: s.model,
      networkConfig: networkConfigFor(config),
      training: {
        styleImage: this.styleImage(),
        lossNetwork: `${s.lossNet.description} (style ${s.styleLayers.join(', ')}; content ${s.contentLayer})`,
        weights: { content: config.contentWeight, style: config.styleWeight, tv: config.tvWeight },
        steps: s.state.step,
        finalLosses: this.lastLosses ? { total: this.lastLosses.total, content: this.lastLosses.content, style: this.lastLosses.style, tv: this.lastLosses.tv } : undefined,
        options: config as unknown as Record<string, unknown>,
        results: {
          totalSteps: s.totalSteps,
          lossScale: config.lossScale,
          secondsPerStep: this.sessionSteps ? this.sessionMs / this.sessionSteps / 1000 : undefined,
          notes: s.notes,
        },
      },
      extraFiles: {
        [TRAIN_STATE_FILE]: Buffer.from(JSON.stringify({ ...s.state, adamBetaPowers: readAdamBetaPowers(s.optimizer) }, null, 1)),
        [OPTIMIZER_MANIFEST_FILE]: Buffer.from(packed.manifest),
        [OPTIMIZER_DATA_FILE]: packed.data,
      },
    });
  }

  private styleRef?: { name: string; sha256: string };
  private styleImage(): { name: string; sha256: string } {
    if (!this.styleRef) {
      const sha256 = createHash('sha256').update(fs.readFileSync(this.s.config.style)).digest('hex');
      this.styleRef = { name: path.basename(this.s.config.style), sha256 };
    }
    return this.styleRef;
  }

  private async preview(): Promise<void> {
    if (!this.previewBatch) return;
    const s = this.s;
    try {
      await writePreview(this.outDir, s.state.step, this.previewBatch, (x) => s.model.predict(x) as tf.Tensor4D);
      await writeLossCurve(this.outDir, this.trainLog.read(), { content: s.config.contentWeight, style: s.config.styleWeight, tv: s.config.tvWeight });
    } catch (e) {
      // Observability must never kill a run: say what failed once per preview and carry on.
      this.log(`nst: warning: preview/loss curve not written at step ${s.state.step}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

export type { DataCursor };
