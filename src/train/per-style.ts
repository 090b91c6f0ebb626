/**
 * The per-style trainer (Johnson et al. 2016), as a library — the CLI's `nst train` is a thin layer over it: a
 * transformation network trained by the shared machinery (session.ts, loop.ts) against the perceptual loss of one
 * style image, whose Gram targets are computed once.
 *
 * Several style images train one network serving all of them (conditional instance norm, Dumoulin et al. 2017): the
 * same task with a style-index stream (style-stream.ts) choosing each step's style, whose γ/β rows the step trains
 * along with the shared weights. `addStyle` (with `resume`) learns one more style into such a network, training only
 * its γ/β (add-style.ts).
 *
 *   const result = await train({ style: 'udnie.jpg', data: ['photos/'], out: 'checkpoints/udnie', iterations: 2000 });
 *   await train({ iterations: 4000 }, { resume: 'checkpoints/udnie' });   // continue exactly
 *   await train({ style: ['a.jpg', 'b.jpg'], data: ['photos/'], out: 'checkpoints/ab' });
 *   await train({ addStyle: 'c.jpg', iterations: 300 }, { resume: 'checkpoints/ab' });   // → checkpoints/ab-plus-c
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { decodeImage, pixelsToTensor } from '../image/image-io';
import { contentScaleOf, NORMALIZED_TV_SCALE, perceptualLoss, StyleTarget, styleTargetsFrom } from '../losses/perceptual';
import { checkPyramidSide, extractPyramid, pyramidLayerWeights } from '../losses/pyramid';
import { resolveTaps } from '../losses/taps';
import type { LossNetwork } from '../nets/loss-network/types';
import { oneHot, setStyleWeights } from '../nets/style-weights';
import { copyWithAddedStyle, freezeAllButStyleNorms, loadAddStyleSource, locateAddStyleRun } from './add-style';
import { imageSizeAt, parseTrainConfig, RESUMABLE_OVERRIDES, styleImagesOf, totalSteps, TrainConfig, TrainConfigInput } from './config';
import { UsageError } from '../errors';
import { BatchStream, DataCursor, DataStats, listImages } from './data';
import { checkCropSizes, defaultDeps, networkConfigFor, PerStyleRecord, TrainDeps } from './deps';
import { initialTotalSteps } from './budget';
import { inverseTimeDecay, LoopBudget, LoopResult, runTraining } from './loop';
import { loadPreviewBatch, writePreview } from './preview';
import { locateRun, startOrResume } from './session';
import { STYLE_STREAM, StyleIndexStream } from './style-stream';
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

type StyleTargets = Record<string, StyleTarget>;

async function loadStyleTargets(config: TrainConfig, file: string, lossNet: LossNetwork, styleLayers: string[]): Promise<StyleTargets> {
  const size = config.styleSize ?? config.imageSize;
  const style = await decodeImage(file, { resize: { width: size, height: size, fit: 'inside' } });
  checkPyramidSide(Math.min(style.width, style.height), config.stylePyramid, `the style image ${file} (shorter side)`);
  const x = pixelsToTensor(style);
  try {
    const feats = extractPyramid(lossNet, x, styleLayers, styleLayers, config.stylePyramid);
    const targets = styleTargetsFrom(feats, config.lossScale === 'normalized');
    tf.dispose(Object.values(feats));
    return targets;
  } finally {
    x.dispose();
  }
}

/**
 * The perceptual loss of the run's style images over a stream of photo crops: one style (then exactly Johnson's
 * trainer), or one per step drawn by the style-index stream, whose targets are `styleTargets` by style index (only the
 * trained styles': an add-style run trains one).
 */
class PerStyleTask implements TrainingTask {
  readonly styleLayers: string[];
  readonly contentLayer: string;
  readonly lossWeights: { content: number; style: number; tv: number };
  /** The style term's weight per feature key, over the pyramid's levels (fixed for the run). */
  private readonly styleLayerWeights: Record<string, number>;
  private stream: BatchStream;
  /** The crop size the open stream reads (a curriculum reopens it larger at its step). */
  private streamSize: number;
  private cursor: DataCursor;
  private readonly statsBefore: DataStats = { batches: 0, waitMs: 0, decodeMs: 0, skippedFiles: 0, skippedPaths: [] };
  private styleStream?: StyleIndexStream;
  private styleRefs?: Array<{ name: string; sha256: string | null }>;
  private readonly styleImages: string[];

  constructor(
    private readonly config: TrainConfig,
    private readonly files: string[],
    private readonly lossNet: LossNetwork,
    taps: { styleLayers: string[]; contentLayer: string },
    private readonly styleTargets: Map<number, StyleTargets>,
    private readonly notes: string[],
    cursor: DataCursor,
    styleCursor: DataCursor | undefined,
    firstStep: number,
    private readonly log: (line: string) => void,
    private readonly outDir: string,
    private readonly previewBatch?: tf.Tensor4D,
  ) {
    this.styleLayers = taps.styleLayers;
    this.contentLayer = taps.contentLayer;
    this.lossWeights = { content: config.contentWeight, style: config.styleWeight, tv: config.tvWeight };
    this.styleLayerWeights = pyramidLayerWeights(this.styleLayers, config.stylePyramid, config.styleLayerWeights);
    this.styleImages = styleImagesOf(config);
    this.cursor = cursor;
    this.streamSize = imageSizeAt(config, firstStep);
    this.stream = this.openStream(cursor, this.streamSize);
    this.styleStream = this.openStyleStream(styleCursor);
  }

  private get styleCount(): number {
    return this.styleImages.length;
  }

  /** A one-style run has no style stream (its training state is exactly what it was before multi-style networks). */
  private openStyleStream(cursor: DataCursor | undefined): StyleIndexStream | undefined {
    return this.styleCount > 1 ? new StyleIndexStream([...this.styleTargets.keys()], this.config.seed, cursor) : undefined;
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
    const tensors = [tf.tensor4d(batch.data, batch.shape)];
    if (!this.styleStream) return { tensors, cursorAfter: batch.cursorAfter, styleIndex: 0 };
    const style = this.styleStream.next();
    return { tensors, cursorAfter: batch.cursorAfter, streamsAfter: { [STYLE_STREAM]: style.cursorAfter }, styleIndex: style.index };
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

  seek(cursor: DataCursor, streams?: Record<string, DataCursor>): void {
    this.cursor = cursor;
    this.reopen(cursor, this.streamSize); // nextBatch picks the size of the step it is asked for
    this.styleStream = this.openStyleStream(streams?.[STYLE_STREAM]);
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
    const styleIndex = batch.styleIndex ?? 0;
    const styleTargets = this.styleTargets.get(styleIndex);
    if (!styleTargets) throw new Error(`PerStyleTask: no style targets for style ${styleIndex}`);
    if (this.styleCount > 1) setStyleWeights(model, oneHot(styleIndex, this.styleCount));
    return {
      loss: () => {
        const y = model.apply(x, { training: true }) as tf.Tensor4D;
        return perceptualLoss({
          output: y,
          outputFeatures: extractPyramid(this.lossNet, y, taps, this.styleLayers, this.config.stylePyramid),
          contentFeatures,
          contentLayer: this.contentLayer,
          styleTargets,
          weights: this.lossWeights,
          styleLayerWeights: this.styleLayerWeights,
          contentScale: normalized ? state.contentScale : 1,
          tvScale: normalized ? NORMALIZED_TV_SCALE : 1,
        });
      },
      dispose: () => contentFeatures.dispose(),
    };
  }

  /** Photos × styles: one row of outputs per style. */
  async preview(model: tf.LayersModel, step: number): Promise<void> {
    if (!this.previewBatch) return;
    const forStyle = (k: number) => (x: tf.Tensor4D) => {
      if (this.styleCount > 1) setStyleWeights(model, oneHot(k, this.styleCount));
      return model.predict(x) as tf.Tensor4D;
    };
    await writePreview(this.outDir, step, this.previewBatch, Array.from({ length: this.styleCount }, (_, k) => forStyle(k)));
  }

  checkpointRecord(info: RecordContext): PerStyleRecord {
    const { config } = this;
    const last = info.lastLosses;
    const styles = this.styleRefsOf();
    return {
      networkConfig: networkConfigFor(config),
      ...(styles.length > 1 ? { styleNames: styles.map((s) => s.name) } : {}),
      training: {
        styleImage: styles.find((s): s is { name: string; sha256: string } => s.sha256 !== null)!,
        ...(styles.length > 1 ? { styleImages: styles } : {}),
        lossNetwork: `${this.lossNet.description} (style ${this.styleLayers.join(', ')}; content ${this.contentLayer})`,
        weights: this.lossWeights,
        steps: info.state.step,
        finalLosses: last ? { total: last.total, content: last.content, style: last.style, tv: last.tv } : undefined,
        options: config as unknown as Record<string, unknown>,
        results: { totalSteps: info.totalSteps, lossScale: config.lossScale, secondsPerStep: info.secondsPerStep, notes: this.notes },
      },
    };
  }

  /**
   * Name and sha256 of each style image. An add-style run trains only the new style and may not have the earlier
   * styles' images any more: those are recorded by name, with sha256 null.
   */
  private styleRefsOf(): Array<{ name: string; sha256: string | null }> {
    if (!this.styleRefs) {
      this.styleRefs = this.styleImages.map((file) => ({
        name: path.basename(file),
        sha256: fs.existsSync(file) ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : null,
      }));
    }
    return this.styleRefs;
  }

  dispose(): void {
    this.stream.close();
    for (const targets of this.styleTargets.values()) tf.dispose(Object.values(targets).map((t) => t.gram));
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
 * may be partial: the checkpoint's stored config is used, except for the fields in RESUMABLE_OVERRIDES. With
 * `addStyle` and `resume`, a new run starts from the checkpoint's multi-style network and learns that one more style.
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
  const input = configInput as Record<string, unknown>;
  const adding = input.addStyle !== undefined;
  if (adding && !options.resume) throw new UsageError('--add-style needs --resume CKPT: the multi-style network to add the style to');
  if (adding && input.initFrom !== undefined) throw new UsageError('--add-style and --init-from: give one (--add-style starts from its --resume checkpoint)');
  const added = adding ? await locateAddStyleRun(rules, input, options.resume!, store, log) : undefined;
  const location = added ?? (await locateRun(rules, input, options.resume, store, log));
  const { config, outDir, ckptDir } = location;
  if ((config.startSize === undefined) !== (config.startSteps === undefined)) {
    throw new UsageError('a curriculum needs both --start-size and --start-steps');
  }
  checkCropSizes(config, networkConfigFor(config));
  checkPyramidSide(Math.min(config.imageSize, config.startSize ?? config.imageSize), config.stylePyramid, 'the training crop');
  const files = await listImages(config.data);
  const steps = totalSteps(config, files.length);
  const styleImages = styleImagesOf(config);
  // An add-style run (also when resumed) trains only the added style, the last.
  const trained = config.addStyle !== undefined ? [styleImages.length - 1] : styleImages.map((_, i) => i);

  const lossNet = await deps.loadLossNetwork(config, log);
  const notes: string[] = [];
  let task: PerStyleTask | undefined;
  let trainee: Awaited<ReturnType<typeof startOrResume>> | undefined;
  let previewBatch: tf.Tensor4D | undefined;
  let styleTargets: Map<number, StyleTargets> | undefined = new Map();
  let source: tf.LayersModel | undefined;
  try {
    const taps = resolveTaps(lossNet.availableTaps, { styleLayers: config.styleLayers, contentLayer: config.contentLayer }, lossNet.description);
    for (const n of taps.notes) {
      notes.push(n);
      log(`nst: note: ${n}`);
    }
    for (const k of trained) styleTargets.set(k, await loadStyleTargets(config, styleImages[k], lossNet, taps.styleLayers));
    if (added) source = await loadAddStyleSource(store, added.addFrom, styleImages.length - 1);
    const build = () => {
      const model = deps.buildModel(networkConfigFor(config), config.seed);
      if (source) {
        copyWithAddedStyle(source, model);
        freezeAllButStyleNorms(model);
      }
      return model;
    };
    trainee = await startOrResume(location, build, config.lr, store, log, config.initFrom);
    source?.dispose();
    source = undefined;
    if (!dryRun) {
      fs.mkdirSync(outDir, { recursive: true });
      const previewFiles = (config.previewImages?.length ? config.previewImages : files.slice(0, config.previewCount)).slice(0, 16);
      previewBatch = await loadPreviewBatch(previewFiles, Math.min(config.imageSize, 256), log);
    }
    const styleCursor = trainee.state.streams?.[STYLE_STREAM];
    task = new PerStyleTask(config, files, lossNet, taps, styleTargets, notes, trainee.state.cursor, styleCursor, trainee.state.step + 1, log, outDir, previewBatch);
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
      schedule: config.lrDecay ? inverseTimeDecay(config.lrDecay) : undefined,
      budget: config.budget === undefined ? undefined : budgetOf(config, trainee.state.step),
    });
    return { ...result, config, outDir, checkpointDir: ckptDir, styleLayers: task.styleLayers, contentLayer: task.contentLayer, lossNetwork: lossNet.description, notes };
  } finally {
    task?.dispose();
    for (const targets of styleTargets?.values() ?? []) tf.dispose(Object.values(targets).map((t) => t.gram));
    source?.dispose();
    previewBatch?.dispose();
    trainee?.optimizer.dispose();
    trainee?.model.dispose();
    lossNet.dispose();
  }
}
