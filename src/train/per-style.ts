/**
 * The per-style trainer (Johnson et al. 2016), as a library — the CLI's `nst train` is a thin layer over it: a
 * transformation network trained by the shared machinery (session.ts, loop.ts) against the perceptual loss of one
 * style image, whose Gram targets are computed once.
 *
 *   const result = await train({ style: 'udnie.jpg', data: ['photos/'], out: 'checkpoints/udnie', iterations: 2000 });
 *   await train({ iterations: 4000 }, { resume: 'checkpoints/udnie' });   // continue exactly
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { decodeImage, pixelsToTensor } from '../image/image-io';
import { contentScaleOf, NORMALIZED_TV_SCALE, perceptualLoss, StyleTarget, styleTargetsFrom } from '../losses/perceptual';
import { resolveTaps } from '../losses/taps';
import type { LossNetwork } from '../nets/loss-network/types';
import { imageSizeAt, parseTrainConfig, RESUMABLE_OVERRIDES, totalSteps, TrainConfig, TrainConfigInput } from './config';
import { BatchStream, DataCursor, DataStats, listImages } from './data';
import { UsageError } from '../errors';
import { checkCropSizes, defaultDeps, networkConfigFor, PerStyleRecord, TrainDeps } from './deps';
import { initialTotalSteps } from './budget';
import { LoopBudget, LoopResult, runTraining } from './loop';
import { loadPreviewBatch, writePreview } from './preview';
import { locateRun, startOrResume } from './session';
import type { BatchObjective, RecordContext, TaskBatch, TrainHooks, TrainingTask } from './task';
import type { TrainState } from './state';

export interface TrainResult extends LoopResult {
  config: TrainConfig;
  outDir: string;
  checkpointDir: string;
  styleLayers: string[];
  contentLayer: string;
  lossNetwork: string;
  notes: string[];
}

async function loadStyleTargets(config: TrainConfig, lossNet: LossNetwork, styleLayers: string[]): Promise<Record<string, StyleTarget>> {
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

/** One style image's perceptual loss over a stream of photo crops. */
class PerStyleTask implements TrainingTask {
  readonly styleLayers: string[];
  readonly contentLayer: string;
  readonly lossWeights: { content: number; style: number; tv: number };
  private stream: BatchStream;
  /** The crop size the open stream reads (a curriculum reopens it larger at its step). */
  private streamSize: number;
  private cursor: DataCursor;
  private readonly statsBefore: DataStats = { batches: 0, waitMs: 0, decodeMs: 0, skippedFiles: 0, skippedPaths: [] };
  private styleRef?: { name: string; sha256: string };

  constructor(
    private readonly config: TrainConfig,
    private readonly files: string[],
    private readonly lossNet: LossNetwork,
    taps: { styleLayers: string[]; contentLayer: string },
    private readonly styleTargets: Record<string, StyleTarget>,
    private readonly notes: string[],
    cursor: DataCursor,
    firstStep: number,
    private readonly log: (line: string) => void,
    private readonly outDir: string,
    private readonly previewBatch?: tf.Tensor4D,
  ) {
    this.styleLayers = taps.styleLayers;
    this.contentLayer = taps.contentLayer;
    this.lossWeights = { content: config.contentWeight, style: config.styleWeight, tv: config.tvWeight };
    this.cursor = cursor;
    this.streamSize = imageSizeAt(config, firstStep);
    this.stream = this.openStream(cursor, this.streamSize);
  }

  get datasetSize(): number {
    return this.files.length;
  }

  private openStream(cursor: DataCursor, imageSize: number): BatchStream {
    const c = this.config;
    return new BatchStream(this.files, { imageSize, batchSize: c.batchSize, seed: c.seed, crop: c.crop, prefetch: c.prefetch, log: this.log }, cursor);
  }

  /** Reopens the stream at `cursor` (crops of `imageSize`), keeping the data statistics of the one it replaces. */
  private reopen(cursor: DataCursor, imageSize: number): void {
    const s = this.stream.stats();
    for (const k of ['batches', 'waitMs', 'decodeMs', 'skippedFiles'] as const) this.statsBefore[k] += s[k];
    this.statsBefore.skippedPaths.push(...s.skippedPaths);
    this.stream.close();
    this.streamSize = imageSize;
    this.stream = this.openStream(cursor, imageSize);
  }

  async nextBatch(step: number): Promise<TaskBatch> {
    // A curriculum's step where the crops grow: the batches read ahead at the old size are dropped.
    const size = imageSizeAt(this.config, step);
    if (size !== this.streamSize) this.reopen(this.cursor, size);
    const batch = await this.stream.next();
    this.cursor = batch.cursorAfter;
    return { tensors: [tf.tensor4d(batch.data, batch.shape)], cursorAfter: batch.cursorAfter };
  }

  dataStats(): DataStats {
    const s = this.stream.stats();
    const b = this.statsBefore;
    return {
      batches: b.batches + s.batches,
      waitMs: b.waitMs + s.waitMs,
      decodeMs: b.decodeMs + s.decodeMs,
      skippedFiles: b.skippedFiles + s.skippedFiles,
      skippedPaths: [...b.skippedPaths, ...s.skippedPaths],
    };
  }

  seek(cursor: DataCursor): void {
    this.cursor = cursor;
    this.reopen(cursor, this.streamSize); // nextBatch picks the size of the step it is asked for
  }

  objective(model: tf.LayersModel, batch: TaskBatch, state: TrainState): BatchObjective {
    const x = batch.tensors[0] as tf.Tensor4D;
    const normalized = this.config.lossScale === 'normalized';
    const contentFeatures = tf.tidy(() => this.lossNet.extract(x, [this.contentLayer])[this.contentLayer]);
    if (normalized && state.step === 0 && state.contentScale === 1) {
      // Fixed once, from the first batch, and stored in the checkpoint (so resumed runs use the same constant).
      state.contentScale = contentScaleOf(contentFeatures);
    }
    const taps = [...new Set([...this.styleLayers, this.contentLayer])];
    return {
      loss: () => {
        const y = model.apply(x, { training: true }) as tf.Tensor4D;
        return perceptualLoss({
          output: y,
          outputFeatures: this.lossNet.extract(y, taps),
          contentFeatures,
          contentLayer: this.contentLayer,
          styleTargets: this.styleTargets,
          weights: this.lossWeights,
          styleLayerWeights: this.config.styleLayerWeights,
          contentScale: normalized ? state.contentScale : 1,
          tvScale: normalized ? NORMALIZED_TV_SCALE : 1,
        });
      },
      dispose: () => contentFeatures.dispose(),
    };
  }

  async preview(model: tf.LayersModel, step: number): Promise<void> {
    if (this.previewBatch) await writePreview(this.outDir, step, this.previewBatch, (x) => model.predict(x) as tf.Tensor4D);
  }

  checkpointRecord(info: RecordContext): PerStyleRecord {
    const { config } = this;
    const last = info.lastLosses;
    return {
      networkConfig: networkConfigFor(config),
      training: {
        styleImage: this.styleImage(),
        lossNetwork: `${this.lossNet.description} (style ${this.styleLayers.join(', ')}; content ${this.contentLayer})`,
        weights: this.lossWeights,
        steps: info.state.step,
        finalLosses: last ? { total: last.total, content: last.content, style: last.style, tv: last.tv } : undefined,
        options: config as unknown as Record<string, unknown>,
        results: { totalSteps: info.totalSteps, lossScale: config.lossScale, secondsPerStep: info.secondsPerStep, notes: this.notes },
      },
    };
  }

  private styleImage(): { name: string; sha256: string } {
    if (!this.styleRef) {
      const sha256 = createHash('sha256').update(fs.readFileSync(this.config.style)).digest('hex');
      this.styleRef = { name: path.basename(this.config.style), sha256 };
    }
    return this.styleRef;
  }

  dispose(): void {
    this.stream.close();
    tf.dispose(Object.values(this.styleTargets).map((t) => t.gram));
  }
}

/** The loop's budget for this config: a curriculum's larger crops are costed by their pixel count. */
function budgetOf(config: TrainConfig, step: number): LoopBudget {
  const size = imageSizeAt(config, step + 1);
  const later = config.startSteps !== undefined && size !== config.imageSize ? { fromStep: config.startSteps + 1, ratio: (config.imageSize / size) ** 2 } : undefined;
  return { seconds: config.budget!, describeStep: (s) => `batch ${config.batchSize}, ${imageSizeAt(config, s + 1)}²`, laterStage: later };
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

  const rules = { parse: parseTrainConfig, resumableOverrides: RESUMABLE_OVERRIDES };
  const location = await locateRun(rules, configInput as Record<string, unknown>, options.resume, store, log);
  const { config, outDir, ckptDir } = location;
  if ((config.startSize === undefined) !== (config.startSteps === undefined)) {
    throw new UsageError('a curriculum needs both --start-size and --start-steps');
  }
  checkCropSizes(config, networkConfigFor(config));
  const files = await listImages(config.data);
  const steps = totalSteps(config, files.length);

  const lossNet = await deps.loadLossNetwork(config, log);
  const notes: string[] = [];
  let task: PerStyleTask | undefined;
  let trainee: Awaited<ReturnType<typeof startOrResume>> | undefined;
  let previewBatch: tf.Tensor4D | undefined;
  let styleTargets: Record<string, StyleTarget> | undefined;
  try {
    const taps = resolveTaps(lossNet.availableTaps, { styleLayers: config.styleLayers, contentLayer: config.contentLayer }, lossNet.description);
    for (const n of taps.notes) {
      notes.push(n);
      log(`nst: note: ${n}`);
    }
    styleTargets = await loadStyleTargets(config, lossNet, taps.styleLayers);
    trainee = await startOrResume(location, () => deps.buildModel(networkConfigFor(config), config.seed), config.lr, store, log);
    if (!dryRun) {
      fs.mkdirSync(outDir, { recursive: true });
      const previewFiles = (config.previewImages?.length ? config.previewImages : files.slice(0, config.previewCount)).slice(0, 16);
      previewBatch = await loadPreviewBatch(previewFiles, Math.min(config.imageSize, 256), log);
    }
    task = new PerStyleTask(config, files, lossNet, taps, styleTargets, notes, trainee.state.cursor, trainee.state.step + 1, log, outDir, previewBatch);
    styleTargets = undefined; // the task owns them now
    const planned = initialTotalSteps(config.budget, steps, trainee.state.step, options.dryRunSteps);
    const result = await runTraining(task, trainee, { totalSteps: planned, checkpointEvery: config.checkpointEvery, previewEvery: config.previewEvery }, {
      store,
      hooks,
      log,
      outDir,
      ckptDir,
      dryRunSteps: options.dryRunSteps,
      resumed: location.resumeDir !== undefined,
      budget: config.budget === undefined ? undefined : budgetOf(config, trainee.state.step),
    });
    return { ...result, config, outDir, checkpointDir: ckptDir, styleLayers: task.styleLayers, contentLayer: task.contentLayer, lossNetwork: lossNet.description, notes };
  } finally {
    task?.dispose();
    if (styleTargets) tf.dispose(Object.values(styleTargets).map((t) => t.gram));
    previewBatch?.dispose();
    trainee?.optimizer.dispose();
    trainee?.model.dispose();
    lossNet.dispose();
  }
}
