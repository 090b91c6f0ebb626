/**
 * `--init-from RUN`: fine-tuning, for any trainer. A new run starts from another run's network weights, with a fresh
 * Adam at step 0, and trains with its own options — a lower rate, other crops, other loss weights. Where --resume
 * continues one run exactly as it began, this starts a second run from where the first one's network stands.
 */
import { z } from 'zod';
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import type { CheckpointStore } from './deps';

/** The option, declared once for every trainer's schema (stored in the checkpoint like every other option). */
export const initFromField = z
  .string()
  .min(1)
  .optional()
  .describe(
    "fine-tune: start from the network weights of this run (or its checkpoint/), with a fresh optimizer at step 0 and this run's own options; the network options must match",
  );

type Log = (line: string) => void;

const describeWeight = (w: tf.LayerVariable) => `${w.originalName} [${w.shape.join('×')}]`;

/**
 * Copies every weight of the checkpoint in `dir` into `model`, matched by name. The two networks must be the same:
 * any weight missing, extra or of another shape is one error naming it and the fix (same network options).
 */
export async function initWeightsFrom<R>(model: tf.LayersModel, dir: string, store: CheckpointStore<R>, flag: string, log: Log): Promise<void> {
  const source = await store.loadModel(dir);
  try {
    const from = new Map(source.weights.map((w) => [w.originalName, w]));
    const mismatch = (what: string) =>
      new UsageError(`${flag} ${dir}: ${what}; fine-tuning needs the network options of that run (its width, architecture, head, number of styles)`);
    if (from.size !== model.weights.length) {
      throw mismatch(`its network has ${from.size} weights, this run's ${model.weights.length}`);
    }
    for (const w of model.weights) {
      const s = from.get(w.originalName);
      if (!s) throw mismatch(`its network has no weight ${describeWeight(w)}`);
      if (s.shape.join('×') !== w.shape.join('×')) throw mismatch(`its ${describeWeight(s)} is ${describeWeight(w)} in this run`);
    }
    // read() is the variable itself; assign copies its value, so the source can be disposed right after.
    for (const w of model.weights) w.write(from.get(w.originalName)!.read());
  } finally {
    source.dispose();
  }
  log(`nst: starting from the network weights of ${dir} (fine-tuning: a fresh optimizer, step 0, this run's options)`);
}
