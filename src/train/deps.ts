/**
 * What the training loop needs from the rest of nst, behind small interfaces: building the network, the loss network,
 * and the checkpoint store. `defaultDeps()` wires the real modules; tests may swap one piece (e.g. a loss network
 * stand-in) without touching the loop.
 */
import type { tf } from '../backend/tf';
import type { TrainingInfo } from '../checkpoint';
import { loadLossNetworkFor } from '../losses/loss-network';
import type { LossNetwork } from '../nets/loss-network/types';
import { buildTransformer, parseTransformerConfig, TransformerConfig } from '../nets/transformer';
import { checkpointStore } from './checkpoint-store';
import { styleImagesOf, TRAIN_OUTPUT_HEAD, type TrainConfig } from './config';

/**
 * The training record stored with every checkpoint: the checkpoint format's `training` block. Its `options` hold the
 * full, validated TrainConfig: what --resume continues with.
 */
export type TrainingRecord = TrainingInfo;

/** What a per-style trainer records in its checkpoints besides the weights; other trainers have their own record. */
export interface PerStyleRecord {
  networkConfig: TransformerConfig;
  training: TrainingRecord;
  /** A multi-style network's style names, in style-index order. */
  styleNames?: string[];
}

/** A trainer's record, with the network and the machinery's files (training state, Adam). */
export type CheckpointPayload<R = PerStyleRecord> = R & {
  model: tf.LayersModel;
  extraFiles: Record<string, Buffer>;
};

export interface CheckpointStore<R = PerStyleRecord> {
  exists(dir: string): boolean;
  /** The stored training options, or undefined when the checkpoint was not made by `nst train`. */
  readTrainingOptions(dir: string): Promise<unknown>;
  loadModel(dir: string): Promise<tf.LayersModel>;
  readExtra(dir: string, name: string): Promise<Buffer>;
  /** Atomic: after a crash at any point the previous checkpoint is still loadable. */
  save(dir: string, payload: CheckpointPayload<R>): Promise<void>;
}

export interface TrainDeps {
  /** A fresh network whose initial weights are a function of `seed`. */
  buildModel(config: TransformerConfig, seed: number): tf.LayersModel;
  loadLossNetwork(config: TrainConfig, log: (line: string) => void): Promise<LossNetwork>;
  checkpoints: CheckpointStore;
}


/**
 * The network a new `nst train` run builds: the project's default transformer at the chosen width, with the chosen
 * head (default TRAIN_OUTPUT_HEAD) and output norm. A resumed run trains the network its checkpoint holds, whose head
 * the checkpoint records from the model itself.
 */
export function networkConfigFor(config: Pick<TrainConfig, 'width' | 'head' | 'outputNorm'> & Partial<Pick<TrainConfig, 'style'>>): TransformerConfig {
  return parseTransformerConfig(
    { output: config.head ?? TRAIN_OUTPUT_HEAD, outputNorm: config.outputNorm ?? false, width: config.width, styles: config.style === undefined ? 1 : styleImagesOf({ style: config.style }).length },
    '--head / --output-norm / --width / --style',
  );
}

export function defaultDeps(): TrainDeps {
  return { buildModel: (c, seed) => buildTransformer(c, { seed }), loadLossNetwork: loadLossNetworkFor, checkpoints: checkpointStore() };
}
