/**
 * nst as a library: `require('nst')` / `import { … } from 'nst'`. The CLI (src/cli) is a thin layer over exactly
 * these entry points.
 *
 *   const { selectBackend, train, loadStyleModel, stylize } = require('nst');
 *   await selectBackend('auto');
 *   await train({ style: 'udnie.jpg', data: ['photos/'], out: 'runs/udnie', iterations: 2000 });
 *   const model = await loadStyleModel('runs/udnie');
 *   const { data, width, height } = await stylize(model.model, 'photo.jpg');
 */
export { tf, BACKEND_NAMES, selectBackend, selectedBackend, probeBackend } from './backend';
export type { BackendName, BackendProbe, SelectedBackend } from './backend';
export { NstError, UsageError, InputError } from './errors';

// Training: per-style networks and the arbitrary-style (AdaIN) decoder, on one training machinery.
export { train, TrainingDivergedError, checkpointDirOf, parseTrainConfig, TrainConfigSchema, totalSteps } from './train';
export type { TrainConfig, TrainConfigInput, TrainHooks, TrainResult, StepReport, StepLosses, TrainingTask } from './train';
export { trainAdain } from './train/adain';
export type { AdainTrainResult } from './train/adain';
export { AdainTrainConfigSchema, parseAdainTrainConfig } from './train/adain-config';
export type { AdainTrainConfig, AdainTrainConfigInput } from './train/adain-config';

// Inference.
export { stylize, StylizeOptionsSchema } from './infer/stylize';
export type { StylizeOptions, StylizeResult, StylizeInput, StyleModel } from './infer/stylize';
export { loadStyleModel } from './infer/model';
export type { LoadedStyleModel } from './infer/model';
export { stylizeFiles } from './infer/batch';
export { stylizeArbitrary, loadArbitraryModel, StyleStatsCache } from './infer/arbitrary';
export type { ArbitraryModel, ArbitraryOptions } from './infer/arbitrary';

// Queued jobs over Redis (BullMQ): workers on many machines, nst submit / nst status.
export { startWorker, planStylizeJobs, planTrainJobs, enqueue, waitForJobs, newBatchId, queueStatus, formatStatus } from './queue';
export { WorkerOptionsSchema, SubmitOptionsSchema, StatusOptionsSchema, JobDataSchema } from './queue';
export type { QueueWorker, SubmitPlan, QueuedJob, JobOutcome, QueueStatus, JobData, JobResult, JobProgress } from './queue';
// Serving over HTTP (nst serve), and the buffer-in/buffer-out stylize it uses.
export { createServer, ServeOptionsSchema, StylizeRequestSchema } from './serve';
export type { NstServer, ServeOptions, ServeOptionsInput, StylizeRequest, ServedModel } from './serve';
export { openModel } from './infer/open-model';
export type { OpenedModel } from './infer/open-model';
export { stylizeBuffer } from './infer/buffer';
export type { BufferStylizeOptions, StylizedBuffer } from './infer/buffer';

// Per-image optimization (Gatys et al.).
export { optimizeImage, OptimizationDivergedError, OptimizeConfigSchema, parseOptimizeConfig } from './optimize';
export type { OptimizeConfig, OptimizeConfigInput, OptimizeResult, OptimizeHooks } from './optimize';

// Models in and out.
export { exportCheckpoint, EXPORT_FORMATS, ExportOptionsSchema } from './export';
export type { ExportFormat, ExportOptions } from './export';
export { importNetwork, importToCheckpoint, detectImportFormat } from './importers';
export type { ImportFormat, ImportResult, ImportedNetwork } from './importers';

// Checkpoints, images and the networks themselves.
export { loadCheckpoint, saveCheckpoint, readCheckpointMeta, loadAdainCheckpoint, readCheckpointKind } from './checkpoint';
export type { LoadedCheckpoint, NstJson, CheckpointKind } from './checkpoint';
export { decodeImage, encodeImage } from './image/image-io';
export type { RgbImage } from './image/image-io';
export { buildTransformer, parseTransformerConfig } from './nets/transformer';
export { resolveStyleWeights, setStyleWeights, styleCountOf } from './nets/style-weights';
export type { StyleChoice } from './nets/style-weights';
export type { TransformerConfig, TransformerConfigInput } from './nets/transformer';
export { buildTextureNet, parseTextureNetConfig } from './nets/texture-net';
export type { TextureNetConfig, TextureNetConfigInput } from './nets/texture-net';
export { buildNetwork, parseNetworkConfig } from './nets/network';
export type { NetworkConfig } from './nets/network';
export { buildAdainDecoder, parseAdainDecoderConfig } from './nets/adain';
export type { AdainDecoderConfig } from './nets/adain';
