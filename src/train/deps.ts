/**
 * What the training loop needs from the rest of nst, behind small interfaces: building the network, the loss network,
 * and the checkpoint store. `defaultDeps()` wires the real modules; tests may swap one piece (e.g. a loss network
 * stand-in) without touching the loop.
 */
import type { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { loadLossNetworkFor } from '../losses/loss-network';
import type { LossNetwork } from '../nets/loss-network/types';
import type { OutputHead } from '../nets/output-head';
import { buildTransformer, parseTransformerConfig, TransformerConfig } from '../nets/transformer';
import { checkpointStore } from './checkpoint-store';
import type { TrainConfig } from './config';

/** The training record stored with every checkpoint (the checkpoint format's `training` block). */
export interface TrainingRecord {
  styleImage: { name: string; sha256: string };
  lossNetwork: string;
  weights: Record<string, number>;
  steps: number;
  finalLosses?: Record<string, number>;
  /** The full, validated TrainConfig: what --resume continues with. */
  options: Record<string, unknown>;
  results?: Record<string, unknown>;
}

export interface CheckpointPayload {
  model: tf.LayersModel;
  networkConfig: TransformerConfig;
  training: TrainingRecord;
  extraFiles: Record<string, Buffer>;
}

export interface CheckpointStore {
  exists(dir: string): boolean;
  /** The stored training options, or undefined when the checkpoint was not made by `nst train`. */
  readTrainingOptions(dir: string): Promise<unknown>;
  loadModel(dir: string): Promise<tf.LayersModel>;
  readExtra(dir: string, name: string): Promise<Buffer>;
  /** Atomic: after a crash at any point the previous checkpoint is still loadable. */
  save(dir: string, payload: CheckpointPayload): Promise<void>;
}

export interface TrainDeps {
  buildModel(config: TransformerConfig): tf.LayersModel;
  loadLossNetwork(config: TrainConfig, log: (line: string) => void): Promise<LossNetwork>;
  checkpoints: CheckpointStore;
}

/** The output head of new `nst train` runs (measured against the others in docs/training.md, "Output head"). */
export const TRAIN_OUTPUT_HEAD: OutputHead = 'softclip';

/**
 * The network a new `nst train` run builds: the project's default transformer at the chosen width, with the training
 * head. NST_TRAIN_NETWORK (JSON, TransformerConfig fields, e.g. {"output":"tanh","outputNorm":true}) overrides the
 * network for experiments (scripts/compare-heads.js) until the training options carry it; --width still wins.
 */
export function networkConfigFor(config: Pick<TrainConfig, 'width'>, env: NodeJS.ProcessEnv = process.env): TransformerConfig {
  let override: unknown = {};
  if (env.NST_TRAIN_NETWORK) {
    try {
      override = JSON.parse(env.NST_TRAIN_NETWORK);
    } catch (e) {
      throw new UsageError(`NST_TRAIN_NETWORK: not JSON (${(e as Error).message}); e.g. {"output":"residual"}`);
    }
  }
  return parseTransformerConfig({ output: TRAIN_OUTPUT_HEAD, ...(override as object), width: config.width }, 'NST_TRAIN_NETWORK / --width');
}

export function defaultDeps(): TrainDeps {
  return { buildModel: (c) => buildTransformer(c), loadLossNetwork: loadLossNetworkFor, checkpoints: checkpointStore() };
}
