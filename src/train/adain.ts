/**
 * The arbitrary-style trainer (Huang & Belongie 2017): a decoder learns to invert the frozen VGG19 encoder from AdaIN
 * targets, so that one network stylizes with any painting. It runs on the shared machinery (session.ts, loop.ts) as
 * one TrainingTask: two seeded data streams (photos and styles, each paired per batch slot), the AdaIN target computed
 * outside the tape, the loss of src/losses/adain.ts, and a preview grid of fixed photos × fixed styles.
 *
 *   await trainAdain({ styles: ['paintings/'], data: ['photos/'], out: 'checkpoints/adain', iterations: 20000 });
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { readAdainCheckpointMeta, type AdainEncoderInfo, type AdainTrainingInfo } from '../checkpoint';
import { UsageError } from '../errors';
import { encodeImage } from '../image/image-io';
import { adainLoss, adainStyleLayers } from '../losses/adain';
import { loadLossNetworkFor } from '../losses/loss-network';
import { adain, buildAdainDecoder, channelStats, type ChannelStats, disposeStats, parseAdainDecoderConfig } from '../nets/adain';
import type { AdainDecoderConfig, AdainEncoderLayer } from '../nets/adain';
import type { LossNetwork } from '../nets/loss-network/types';
import { ADAIN_RESUMABLE_OVERRIDES, AdainTrainConfig, AdainTrainConfigInput, parseAdainTrainConfig } from './adain-config';
import { loadAugmentedCrop } from './augment';
import { adainCheckpointStore } from './checkpoint-store';
import { BatchStream, DataCursor, DataStats, listImages } from './data';
import type { CheckpointStore } from './deps';
import { initialTotalSteps } from './budget';
import { inverseTimeDecay, LoopResult, runTraining } from './loop';
import { gridImage, loadPreviewBatch, PREVIEW_LATEST_FILE } from './preview';
import { locateRun, startOrResume, Trainee } from './session';
import type { BatchObjective, RecordContext, TaskBatch, TrainHooks, TrainingTask } from './task';
import type { TrainState } from './state';

/** What an arbitrary-style checkpoint records besides the decoder's weights. */
export interface AdainRecord {
  networkConfig: AdainDecoderConfig;
  encoder: AdainEncoderInfo;
  training: AdainTrainingInfo;
}

export interface AdainTrainResult extends LoopResult {
  config: AdainTrainConfig;
  outDir: string;
  checkpointDir: string;
  encoderLayer: AdainEncoderLayer;
  styleLayers: string[];
  lossNetwork: string;
  trainingStyles: number;
  heldOut: string[];
}

const STYLE_STREAM = 'style';
/** The style stream's own seed offset, so photos and styles are not drawn in lockstep. */
const STYLE_SEED_OFFSET = 0x5171e;

/**
 * The encoder layer a run must use before any VGG is loaded: a resumed run's is its checkpoint's (an 'auto' run keeps
 * the depth it began with even if a fuller VGG19 has been installed since), else the configured one; undefined =
 * 'auto', decided by the VGG19 found (encoderLayerOf).
 */
function requiredEncoderLayer(config: AdainTrainConfig, resumeDir: string | undefined): AdainEncoderLayer | undefined {
  if (resumeDir) return readAdainCheckpointMeta(resumeDir).network.encoderLayer;
  return config.encoderLayer === 'auto' ? undefined : config.encoderLayer;
}

/** The encoder layer a run uses: the required one, or relu4_1 when the VGG19 found has block 4. */
function encoderLayerOf(required: AdainEncoderLayer | undefined, lossNet: LossNetwork): AdainEncoderLayer {
  if (required) return required;
  return lossNet.availableTaps.includes('relu4_1') ? 'relu4_1' : 'relu3_1';
}

/** Style files minus the held-out ones; a hold-out that matches nothing is a mistake worth stopping for. */
function splitStyles(all: string[], holdOut: string[]): { train: string[]; heldOut: string[] } {
  const held = new Set(holdOut.map((h) => path.basename(h)));
  for (const h of held) {
    if (!all.some((f) => path.basename(f) === h)) throw new UsageError(`--hold-out ${h}: no style image of that name among --styles`);
  }
  const train = all.filter((f) => !held.has(path.basename(f)));
  if (train.length === 0) throw new UsageError('--hold-out leaves no style image to train on');
  return { train, heldOut: all.filter((f) => held.has(path.basename(f))) };
}

class AdainTask implements TrainingTask<AdainRecord> {
  readonly styleLayers: string[];
  readonly lossWeights: { content: number; style: number; tv: number };
  private photos: BatchStream;
  private styles: BatchStream;
  private readonly taps: string[];

  constructor(
    private readonly config: AdainTrainConfig,
    private readonly photoFiles: string[],
    private readonly styleFiles: string[],
    private readonly lossNet: LossNetwork,
    readonly encoderLayer: AdainEncoderLayer,
    state: TrainState,
    private readonly log: (line: string) => void,
    private readonly outDir: string,
    private readonly preview_?: { photos: tf.Tensor4D; styles: tf.Tensor4D },
  ) {
    this.styleLayers = adainStyleLayers(encoderLayer);
    this.taps = [...new Set([...this.styleLayers, encoderLayer])];
    this.lossWeights = { content: config.contentWeight, style: config.styleWeight, tv: 0 };
    this.photos = this.openPhotos(state.cursor);
    this.styles = this.openStyles(state.streams?.[STYLE_STREAM] ?? { epoch: 0, index: 0 });
  }

  get datasetSize(): number {
    return this.photoFiles.length;
  }

  private stream(files: string[], seed: number, cursor: DataCursor): BatchStream {
    const c = this.config;
    const aug = { minScale: c.minScale, maxScale: c.maxScale, flip: true };
    return new BatchStream(
      files,
      { imageSize: c.imageSize, batchSize: c.batchSize, seed, prefetch: c.prefetch, log: this.log, load: (f, size, rng) => loadAugmentedCrop(f, size, rng, aug) },
      cursor,
    );
  }

  private openPhotos(cursor: DataCursor): BatchStream {
    return this.stream(this.photoFiles, this.config.seed, cursor);
  }

  private openStyles(cursor: DataCursor): BatchStream {
    return this.stream(this.styleFiles, this.config.seed + STYLE_SEED_OFFSET, cursor);
  }

  async nextBatch(_step: number): Promise<TaskBatch> {
    const [p, s] = await Promise.all([this.photos.next(), this.styles.next()]);
    return {
      tensors: [tf.tensor4d(p.data, p.shape), tf.tensor4d(s.data, s.shape)],
      cursorAfter: p.cursorAfter,
      streamsAfter: { [STYLE_STREAM]: s.cursorAfter },
    };
  }

  dataStats(): DataStats {
    const [a, b] = [this.photos.stats(), this.styles.stats()];
    return {
      batches: a.batches,
      waitMs: a.waitMs + b.waitMs,
      decodeMs: a.decodeMs + b.decodeMs,
      skippedFiles: a.skippedFiles + b.skippedFiles,
      skippedPaths: [...a.skippedPaths, ...b.skippedPaths],
    };
  }

  seek(cursor: DataCursor, streams?: Record<string, DataCursor>): void {
    this.photos.close();
    this.styles.close();
    this.photos = this.openPhotos(cursor);
    this.styles = this.openStyles(streams?.[STYLE_STREAM] ?? { epoch: 0, index: 0 });
  }

  /** The AdaIN targets and the style statistics: constants of the step, computed once outside the tape. */
  objective(decoder: tf.LayersModel, batch: TaskBatch): BatchObjective {
    const [photos, styles] = batch.tensors as tf.Tensor4D[];
    const enc = this.encoderLayer;
    const feats = this.lossNet.extract(styles, this.taps);
    const styleStats: Record<string, ChannelStats> = Object.fromEntries(this.taps.map((l) => [l, channelStats(feats[l])]));
    tf.dispose(Object.values(feats));
    const target = tf.tidy(() => {
      const content = this.lossNet.extract(photos, [enc])[enc];
      return adain(content, styleStats[enc].mean, styleStats[enc].std);
    });
    return {
      loss: () => {
        const y = decoder.apply(target, { training: true }) as tf.Tensor4D;
        const l = adainLoss({
          outputFeatures: this.lossNet.extract(y, this.taps),
          target,
          styleStats,
          layers: this.styleLayers,
          contentLayer: enc,
          styleWeight: this.config.styleWeight,
          contentWeight: this.config.contentWeight,
        });
        return { ...l, tv: tf.scalar(0) };
      },
      dispose: () => {
        target.dispose();
        Object.values(styleStats).forEach(disposeStats);
      },
    };
  }

  /** Rows: the photos on top, then per preview style its crop and what the decoder makes of each photo in it. */
  async preview(decoder: tf.LayersModel, step: number): Promise<void> {
    if (!this.preview_) return;
    const { photos, styles } = this.preview_;
    const [n, size] = photos.shape;
    const plane = size * size * 3;
    const rows: Float32Array[][] = [[new Float32Array(plane).fill(255), ...split(await photos.data() as Float32Array, n, plane)]];
    const enc = this.encoderLayer;
    const content = tf.tidy(() => this.lossNet.extract(photos, [enc])[enc]);
    try {
      for (let k = 0; k < styles.shape[0]; k++) {
        const style = tf.slice(styles, [k, 0, 0, 0], [1, -1, -1, -1]);
        const out = tf.tidy(() => {
          const s = channelStats(this.lossNet.extract(style, [enc])[enc]);
          return tf.clipByValue(decoder.predict(adain(content, s.mean, s.std)) as tf.Tensor4D, 0, 255);
        });
        rows.push([(await style.data()) as Float32Array, ...split((await out.data()) as Float32Array, n, plane)]);
        tf.dispose([style, out]);
      }
    } finally {
      content.dispose();
    }
    const grid = gridImage(rows, size);
    await encodeImage(grid, path.join(this.outDir, `preview-step-${String(step).padStart(6, '0')}.png`));
    await encodeImage(grid, path.join(this.outDir, PREVIEW_LATEST_FILE));
  }

  checkpointRecord(info: RecordContext): AdainRecord {
    const { config } = this;
    const last = info.lastLosses;
    return {
      networkConfig: parseAdainDecoderConfig({ encoderLayer: this.encoderLayer, width: config.width }),
      encoder: { arch: 'vgg19', preprocessing: this.lossNet.preprocessing ?? 'caffe', description: this.lossNet.description },
      training: {
        steps: info.state.step,
        weights: { content: config.contentWeight, style: config.styleWeight },
        finalLosses: last ? { total: last.total, content: last.content, style: last.style } : undefined,
        options: config as unknown as Record<string, unknown>,
        results: {
          totalSteps: info.totalSteps,
          styleLayers: this.styleLayers,
          trainingStyles: this.styleFiles.map((f) => path.basename(f)),
          photos: this.photoFiles.length,
          secondsPerStep: info.secondsPerStep,
        },
      },
    };
  }

  dispose(): void {
    this.photos.close();
    this.styles.close();
  }
}

function split(data: Float32Array, n: number, plane: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => data.subarray(i * plane, (i + 1) * plane));
}

/** Trains (or, with `resume`, continues) an AdaIN decoder. */
export async function trainAdain(
  configInput: AdainTrainConfigInput | Partial<AdainTrainConfigInput>,
  options: { resume?: string; hooks?: TrainHooks; store?: CheckpointStore<AdainRecord>; dryRunSteps?: number } = {},
): Promise<AdainTrainResult> {
  const hooks = options.hooks ?? {};
  const log = hooks.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const store = options.store ?? adainCheckpointStore(log);
  const dryRun = options.dryRunSteps !== undefined;
  const rules = { parse: parseAdainTrainConfig, resumableOverrides: ADAIN_RESUMABLE_OVERRIDES };
  const location = await locateRun(rules, configInput as Record<string, unknown>, options.resume, store, log);
  const { config, outDir, ckptDir } = location;
  const photos = await listImages(config.data, log);
  const { train: styleFiles, heldOut } = splitStyles(await listImages(config.styles, log, '--styles'), config.holdOut);
  const steps = config.iterations ?? Math.max(1, Math.ceil((config.epochs * photos.length) / config.batchSize));

  // Asking for the required layer's taps makes a VGG19 without block 4 a clear error when relu4_1 is required (and
  // lets the lookup pass over it for a fuller one); 'auto' asks for the relu3_1 taps and takes block 4 if it is there.
  const required = requiredEncoderLayer(config, location.resumeDir);
  const lossNet = await loadLossNetworkFor({ lossNet: 'vgg19', lossWeights: config.lossWeights, styleLayers: adainStyleLayers(required ?? 'relu3_1') }, log);
  let task: AdainTask | undefined;
  let trainee: Trainee | undefined;
  let preview: { photos: tf.Tensor4D; styles: tf.Tensor4D } | undefined;
  try {
    const encoderLayer = encoderLayerOf(required, lossNet);
    const decoderConfig = parseAdainDecoderConfig({ encoderLayer, width: config.width });
    trainee = await startOrResume(location, () => buildAdainDecoder(decoderConfig, { seed: config.seed }), config.lr, store, log, config.initFrom);
    if (!dryRun) {
      fs.mkdirSync(outDir, { recursive: true });
      const size = Math.min(config.imageSize, 192);
      const previewPhotos = (config.previewImages?.length ? config.previewImages : photos.slice(0, config.previewCount)).slice(0, 8);
      const previewStyles = (config.previewStyles?.length ? config.previewStyles : [...heldOut, ...styleFiles].slice(0, config.previewCount)).slice(0, 8);
      const [photoBatch, styleBatch] = [await loadPreviewBatch(previewPhotos, size, log), await loadPreviewBatch(previewStyles, size, log)];
      if (photoBatch && styleBatch) preview = { photos: photoBatch, styles: styleBatch };
      else tf.dispose([photoBatch, styleBatch].filter((t): t is tf.Tensor4D => t !== undefined));
    }
    task = new AdainTask(config, photos, styleFiles, lossNet, encoderLayer, trainee.state, log, outDir, preview);
    const planned = initialTotalSteps(config.budget, steps, trainee.state.step, options.dryRunSteps);
    const result = await runTraining(task, trainee, { totalSteps: planned, checkpointEvery: config.checkpointEvery, previewEvery: config.previewEvery }, {
      store,
      hooks,
      log,
      outDir,
      ckptDir,
      dryRunSteps: options.dryRunSteps,
      schedule: inverseTimeDecay(config.lrDecay),
      resumed: location.resumeDir !== undefined,
      budget: config.budget === undefined ? undefined : { seconds: config.budget, describeStep: () => `batch ${config.batchSize}, ${config.imageSize}²` },
    });
    return {
      ...result,
      config,
      outDir,
      checkpointDir: ckptDir,
      encoderLayer,
      styleLayers: task.styleLayers,
      lossNetwork: lossNet.description,
      trainingStyles: styleFiles.length,
      heldOut: heldOut.map((f) => path.basename(f)),
    };
  } finally {
    task?.dispose();
    if (preview) tf.dispose([preview.photos, preview.styles]);
    trainee?.optimizer.dispose();
    trainee?.model.dispose();
    lossNet.dispose();
  }
}
