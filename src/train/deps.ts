/**
 * What the training loop needs from the rest of nst, behind small interfaces: building the network, the loss network,
 * and the checkpoint store. `defaultDeps()` wires the real modules; tests may swap one piece (e.g. a loss network
 * stand-in) without touching the loop.
 */
import type { tf } from '../backend/tf';
import type { TrainingInfo } from '../checkpoint';
import { loadLossNetworkFor } from '../losses/loss-network';
import type { LossNetwork } from '../nets/loss-network/types';
import { buildNetwork, NetworkConfig, networkGeometry, parseNetworkConfig } from '../nets/network';
import { UsageError } from '../errors';
import { checkpointStore } from './checkpoint-store';
import { styleImagesOf, TRAIN_OUTPUT_HEAD, type TrainConfig } from './config';

/**
 * The training record stored with every checkpoint: the checkpoint format's `training` block. Its `options` hold the
 * full, validated TrainConfig: what --resume continues with.
 */
export type TrainingRecord = TrainingInfo;

/** What a per-style trainer records in its checkpoints besides the weights; other trainers have their own record. */
export interface PerStyleRecord {
  networkConfig: NetworkConfig;
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
  buildModel(config: NetworkConfig, seed: number): tf.LayersModel;
  loadLossNetwork(config: TrainConfig, log: (line: string) => void): Promise<LossNetwork>;
  checkpoints: CheckpointStore;
}


/**
 * The network a new `nst train` run builds: the project's default transformer at the chosen width, with the chosen
 * head (default TRAIN_OUTPUT_HEAD) and output norm. A resumed run trains the network its checkpoint holds, whose head
 * the checkpoint records from the model itself.
 */
export function networkConfigFor(config: Pick<TrainConfig, 'width' | 'head' | 'outputNorm'> & Partial<Pick<TrainConfig, 'style' | 'arch'>>): NetworkConfig {
  const output = config.head ?? TRAIN_OUTPUT_HEAD;
  const styles = config.style === undefined ? 1 : styleImagesOf({ style: config.style }).length;
  if (config.arch === 'texture-net') {
    if (config.outputNorm) throw new UsageError('--output-norm applies to --arch transformer only');
    if (styles > 1) throw new UsageError('several --style train one multi-style transformer: --arch texture-net takes one --style');
    return parseNetworkConfig({ arch: 'texture-net', output }, '--arch texture-net / --head');
  }
  return parseNetworkConfig({ output, outputNorm: config.outputNorm ?? false, width: config.width, styles }, '--head / --output-norm / --width / --style');
}

/** The crop sizes a run uses must be ones its network takes (the texture net's: multiples of its stride). */
export function checkCropSizes(config: Pick<TrainConfig, 'imageSize' | 'startSize'>, network: NetworkConfig): void {
  const { stride, minSide } = networkGeometry(network);
  for (const [flag, size] of [['--image-size', config.imageSize], ['--start-size', config.startSize]] as const) {
    if (size !== undefined && (size % stride !== 0 || size < minSide)) {
      throw new UsageError(`${flag} ${size}: this network takes multiples of ${stride} px, at least ${minSide} (e.g. ${Math.max(minSide, Math.round(size / stride) * stride)})`);
    }
  }
}

export function defaultDeps(): TrainDeps {
  return { buildModel: (c, seed) => buildNetwork(c, { seed }), loadLossNetwork: loadLossNetworkFor, checkpoints: checkpointStore() };
}
