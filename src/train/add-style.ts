/**
 * `nst train --resume CKPT --add-style c.jpg`: a multi-style network learns one more style by training only that
 * style's instance-norm γ/β (Dumoulin et al. 2017, section 4.3). The checkpoint's network of N styles is copied into
 * a network of N+1 whose new row starts at the mean of the others (an "average style", closer to any target than
 * γ = 1, β = 0); every other layer is frozen (trainable = false, which the saved model keeps, so a resumed add-style
 * run stays frozen). The old styles' rows stay in the trained tables but get exactly zero gradient, and Adam, fresh
 * for this run, leaves a weight whose gradient has always been zero exactly where it was.
 */
import * as path from 'path';
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { ConditionalInstanceNorm } from '../nets/layers/conditional-instance-norm';
import { styleCountOf } from '../nets/style-weights';
import { MAX_STYLES } from '../nets/transformer';
import { styleImagesOf, TrainConfig } from './config';
import type { CheckpointStore } from './deps';
import { checkpointDirOf, ConfigRules, locateRun, RunLocation } from './session';

/** What an add-style run may not change: the network it extends is fixed by the checkpoint. */
const FIXED_BY_THE_NETWORK = ['style', 'width', 'head', 'outputNorm'];

const needsMultiStyle = (resume: string, count: number) =>
  new UsageError(
    `--add-style: ${resume} holds a network of ${count} style${count === 1 ? '' : 's'}; --add-style needs a multi-style checkpoint ` +
      `(2–${MAX_STYLES - 1} styles, trained with several --style); train the new style on its own instead`,
  );

/**
 * The run of `--resume CKPT --add-style c.jpg`: the checkpoint's training config with the new style appended and the
 * caller's other options; a new run (step 0, fresh Adam) in `out`, by default the checkpoint's run folder + `-plus-c`
 * (the original network stays as it was). `addFrom` is the checkpoint whose network it starts from.
 */
export async function locateAddStyleRun<R>(
  rules: ConfigRules<TrainConfig>,
  input: Record<string, unknown>,
  resume: string,
  store: CheckpointStore<R>,
  log: (line: string) => void,
): Promise<RunLocation<TrainConfig> & { addFrom: string }> {
  const base = await locateRun(rules, {}, resume, store, log);
  const styles = styleImagesOf(base.config);
  if (styles.length < 2) throw needsMultiStyle(resume, styles.length);
  const addStyle = String(input.addStyle);
  const merged: Record<string, unknown> = { ...base.config };
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || k === 'addStyle') continue;
    if (FIXED_BY_THE_NETWORK.includes(k)) log(`nst: --add-style keeps ${k}=${JSON.stringify(merged[k])} from the checkpoint (ignoring ${JSON.stringify(v)})`);
    else merged[k] = v;
  }
  if (input.iterations !== undefined || input.epochs !== undefined) merged.iterations = input.iterations;
  const out = input.out === undefined ? `${base.outDir}-plus-${path.basename(addStyle, path.extname(addStyle))}` : String(input.out);
  const config = rules.parse({ ...merged, style: [...styles, addStyle], addStyle, out }, '--add-style');
  const outDir = path.resolve(config.out);
  log(`nst: adding style ${styles.length} (${path.basename(addStyle)}) to the ${styles.length}-style network of ${base.resumeDir}; writing ${outDir}`);
  return { config, outDir, ckptDir: checkpointDirOf(outDir), addFrom: base.resumeDir! };
}

/** The checkpoint's network an add-style run extends; it must serve `styles` styles. */
export async function loadAddStyleSource<R>(store: CheckpointStore<R>, dir: string, styles: number): Promise<tf.LayersModel> {
  const model = await store.loadModel(dir);
  const count = styleCountOf(model);
  if (count !== styles) {
    model.dispose();
    if (count < 2) throw needsMultiStyle(dir, count);
    throw new UsageError(`--add-style: ${dir} holds a network of ${count} styles but its training config lists ${styles}`);
  }
  return model;
}

/** Copies `from` (N styles) into `to` (N+1 styles, same architecture otherwise); the new rows are the mean of the old. */
export function copyWithAddedStyle(from: tf.LayersModel, to: tf.LayersModel): void {
  const n = styleCountOf(from);
  if (styleCountOf(to) !== n + 1) throw new Error(`copyWithAddedStyle: ${n} styles into ${styleCountOf(to)}`);
  const source = new Map(from.weights.map((w) => [w.originalName, w]));
  for (const w of to.weights) {
    const s = source.get(w.originalName);
    if (!s) throw new UsageError(`--add-style: the checkpoint's network has no weight ${w.originalName}; it is not the network this run trains`);
    const value = tf.tidy(() => {
      const old = s.read();
      if (old.shape.join(',') === w.shape.join(',')) return old.clone();
      if (old.rank !== 2 || w.shape[0] !== old.shape[0] + 1 || w.shape[1] !== old.shape[1]) {
        throw new UsageError(`--add-style: ${w.originalName} has shape [${old.shape}], expected [${w.shape}]`);
      }
      return tf.concat([old, tf.mean(old, 0, true)], 0);
    });
    w.write(value);
    value.dispose();
  }
}

/** Freezes every layer but the conditional norms (whose γ/β tables are then the only trainable weights). */
export function freezeAllButStyleNorms(model: tf.LayersModel): void {
  for (const layer of model.layers) layer.trainable = layer instanceof ConditionalInstanceNorm;
}
