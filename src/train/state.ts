/**
 * What a checkpoint must hold, beyond the network's weights, to resume training exactly: the step, where the data
 * stream stands, the learning rate (it may have been halved after a NaN), the loss scales fixed at the start, and
 * Adam's moments. Serialized into plain files (JSON + raw little-endian float32) that travel as checkpoint extra files.
 */
import { z } from 'zod';
import { tf } from '../backend/tf';
import { InputError } from '../errors';

export const TRAIN_STATE_FILE = 'train-state.json';
export const OPTIMIZER_MANIFEST_FILE = 'optimizer.json';
export const OPTIMIZER_DATA_FILE = 'optimizer.bin';

const Cursor = z.object({ epoch: z.number().int().nonnegative(), index: z.number().int().nonnegative() });

export const TrainStateSchema = z.object({
  version: z.literal(1),
  /** Optimizer steps completed. */
  step: z.number().int().nonnegative(),
  /** The next sample the data stream reads. */
  cursor: Cursor,
  /** Further data streams of the trainer (e.g. the style images of an arbitrary-style run), by name. */
  streams: z.record(z.string(), Cursor).optional(),
  learningRate: z.number().positive(),
  /** True once a non-finite loss halved the learning rate (a second one stops the run). */
  lrHalved: z.boolean(),
  /** Content-term divisor fixed at the start of the run (normalized loss scale). */
  contentScale: z.number().positive(),
  /**
   * Adam's running β1^t and β2^t exactly as the optimizer holds them (float32 products). setWeights() recomputes them
   * with pow(), which can differ in the last bit; that is enough to break bit-exact resume, because Adam turns the
   * float noise of the exactly-zero gradients (conv biases before an instance norm) into full-size steps.
   */
  adamBetaPowers: z.tuple([z.number(), z.number()]).optional(),
  /** Wall-clock seconds the run has used in all its sessions (a `--budget` run plans with what is left). */
  elapsedSeconds: z.number().nonnegative().optional(),
  /** Order of the trainable variables the optimizer state is stored in. */
  variableOrder: z.array(z.string()),
});
export type TrainState = z.infer<typeof TrainStateSchema>;

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

/** Named tensors → a JSON manifest and one float32 buffer. */
export function packTensors(named: Array<{ name: string; tensor: tf.Tensor }>): { manifest: string; data: Buffer } {
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const { name, tensor } of named) {
    entries.push({ name, shape: tensor.shape, offset: total });
    total += tensor.size;
  }
  const all = new Float32Array(total);
  named.forEach(({ tensor }, i) => all.set(tensor.dataSync() as Float32Array, entries[i].offset));
  return { manifest: JSON.stringify({ tensors: entries }), data: Buffer.from(all.buffer, all.byteOffset, all.byteLength) };
}

/** The inverse of packTensors; the caller owns (disposes) the tensors. */
export function unpackTensors(manifest: string, data: Buffer, source: string): Array<{ name: string; tensor: tf.Tensor }> {
  const parsed = z
    .object({ tensors: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), offset: z.number().int() })) })
    .safeParse(JSON.parse(manifest));
  if (!parsed.success) throw new InputError(`${source}: optimizer state manifest is malformed; resume from another checkpoint`);
  const floats = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return parsed.data.tensors.map(({ name, shape, offset }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (offset + size > floats.length) throw new InputError(`${source}: optimizer state is truncated; resume from another checkpoint`);
    return { name, tensor: tf.tensor(floats.subarray(offset, offset + size), shape, 'float32') };
  });
}

/** The private β-power accumulators of tfjs' AdamOptimizer (4.x field names), read and written for exact resume. */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

export function readAdamBetaPowers(optimizer: tf.AdamOptimizer): [number, number] | undefined {
  const o = optimizer as unknown as Partial<AdamInternals>;
  if (!o.accBeta1 || !o.accBeta2) return undefined;
  return [o.accBeta1.dataSync()[0], o.accBeta2.dataSync()[0]];
}

/** Restores the β powers; false when this tfjs' Adam no longer has the fields (resume is then only approximate). */
export function writeAdamBetaPowers(optimizer: tf.AdamOptimizer, powers: [number, number] | undefined): boolean {
  const o = optimizer as unknown as Partial<AdamInternals>;
  if (!powers) return true;
  if (!o.accBeta1 || !o.accBeta2) return false;
  const [b1, b2] = [tf.scalar(powers[0]), tf.scalar(powers[1])];
  o.accBeta1.assign(b1);
  o.accBeta2.assign(b2);
  tf.dispose([b1, b2]);
  return true;
}

/**
 * Sets the rate Adam uses from its next step on. tfjs keeps it in a protected field read at every applyGradients, so a
 * schedule (a pure function of the step, hence exact on resume) writes it there before each step.
 */
export function setAdamLearningRate(optimizer: tf.AdamOptimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
