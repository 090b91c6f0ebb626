/**
 * Opening a training run, for any trainer: where its folder is, which config it runs with (a resumed run takes the
 * checkpoint's, except for the fields the trainer lets a resume change), and the network, Adam and training state it
 * starts from — freshly built, or restored exactly from the checkpoint.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf } from '../backend/tf';
import { UsageError } from '../errors';
import { TRAINING_RUN_CHECKPOINT } from '../checkpoint';
import type { CheckpointStore } from './deps';
import { initWeightsFrom } from './init-from';
import {
  OPTIMIZER_DATA_FILE,
  OPTIMIZER_MANIFEST_FILE,
  TRAIN_STATE_FILE,
  TrainState,
  TrainStateSchema,
  unpackTensors,
  writeAdamBetaPowers,
} from './state';

type Log = (line: string) => void;

/** Where in the output folder the (atomic) checkpoint lives; stylize and export read it from there. */
export function checkpointDirOf(outDir: string): string {
  return path.join(outDir, TRAINING_RUN_CHECKPOINT);
}

/** The checkpoint a flag names: a run folder's checkpoint/, or the folder itself when it is the checkpoint. */
export function checkpointIn(runOrCheckpoint: string): string {
  return fs.existsSync(checkpointDirOf(runOrCheckpoint)) ? checkpointDirOf(runOrCheckpoint) : runOrCheckpoint;
}

/** How a trainer's config is validated and which of its fields a resume may change. */
export interface ConfigRules<C> {
  parse(input: unknown, where?: string): C;
  resumableOverrides: readonly string[];
}

export interface RunLocation<C> {
  config: C;
  outDir: string;
  ckptDir: string;
  /** The checkpoint to resume from, when resuming. */
  resumeDir?: string;
}

/** The stored config with the caller's overrides: only resumable fields change; others are kept, and said so. */
function mergeConfig<C>(rules: ConfigRules<C>, input: Record<string, unknown>, stored: unknown, log: Log): C {
  if (stored === undefined) return rules.parse(input);
  const base = rules.parse(stored, 'training config stored in the checkpoint') as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (rules.resumableOverrides.includes(k)) {
      merged[k] = v;
    } else if (JSON.stringify(v) !== JSON.stringify(base[k])) {
      log(`nst: resume keeps ${k}=${JSON.stringify(base[k])} from the checkpoint (ignoring ${JSON.stringify(v)})`);
    }
  }
  return rules.parse(merged);
}

/**
 * Validates the config (merged with the checkpoint's when resuming) and locates the run. `resume` may name the run
 * folder or its checkpoint/; the run continues in the folder holding checkpoint/ unless `out` says otherwise.
 */
export async function locateRun<C extends { out: string }, R>(
  rules: ConfigRules<C>,
  input: Record<string, unknown>,
  resume: string | undefined,
  store: CheckpointStore<R>,
  log: Log,
): Promise<RunLocation<C>> {
  let resumeDir: string | undefined;
  let stored: unknown;
  if (resume) {
    resumeDir = checkpointIn(resume);
    if (!store.exists(resumeDir)) {
      throw new UsageError(`--resume ${resume}: no checkpoint there (expected ${checkpointDirOf(resume)})`);
    }
    stored = await store.readTrainingOptions(resumeDir);
    if (stored === undefined) {
      throw new UsageError(`--resume ${resume}: that checkpoint holds no training options (was it made by nst train?)`);
    }
  }
  const withOut = resumeDir && input.out === undefined ? { ...input, out: path.dirname(path.resolve(resumeDir)) } : input;
  const config = mergeConfig(rules, withOut, stored, log);
  const outDir = path.resolve(config.out);
  return { config, outDir, ckptDir: checkpointDirOf(outDir), resumeDir };
}

export async function readTrainState<R>(store: CheckpointStore<R>, dir: string): Promise<TrainState> {
  const raw = (await store.readExtra(dir, TRAIN_STATE_FILE)).toString('utf8');
  const r = TrainStateSchema.safeParse(JSON.parse(raw));
  if (!r.success) throw new UsageError(`${path.join(dir, TRAIN_STATE_FILE)}: not a training state this version can resume`);
  return r.data;
}

export async function restoreOptimizer<R>(
  store: CheckpointStore<R>,
  dir: string,
  lr: number,
  betaPowers: [number, number] | undefined,
  log: Log,
): Promise<tf.AdamOptimizer> {
  const optimizer = tf.train.adam(lr);
  const manifest = (await store.readExtra(dir, OPTIMIZER_MANIFEST_FILE)).toString('utf8');
  const data = await store.readExtra(dir, OPTIMIZER_DATA_FILE);
  const weights = unpackTensors(manifest, data, path.join(dir, OPTIMIZER_DATA_FILE));
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor)); // setWeights copied them into its own variables
  if (!writeAdamBetaPowers(optimizer, betaPowers)) {
    log("nst: warning: this tfjs' Adam has no accBeta1/accBeta2 fields, so its bias correction restarts: resume continues, but not bit-exactly");
  }
  return optimizer;
}

export interface Trainee {
  model: tf.LayersModel;
  /** The model's trainable weights, in the model's order (Adam's positional moment slots follow it). */
  variables: tf.Variable[];
  optimizer: tf.AdamOptimizer;
  state: TrainState;
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * A new network from `build` with a fresh Adam — its weights those of the `initFrom` run when fine-tuning — or the
 * checkpoint's network, Adam and state when resuming (a resumed fine-tuning run continues from its own checkpoint).
 */
export async function startOrResume<R>(
  location: { resumeDir?: string },
  build: () => tf.LayersModel,
  lr: number,
  store: CheckpointStore<R>,
  log: Log,
  initFrom?: string,
): Promise<Trainee> {
  const { resumeDir } = location;
  if (!resumeDir) {
    const model = build();
    if (initFrom) {
      const dir = checkpointIn(initFrom);
      if (!store.exists(dir)) {
        model.dispose();
        throw new UsageError(`--init-from ${initFrom}: no checkpoint there (expected ${checkpointDirOf(initFrom)})`);
      }
      try {
        await initWeightsFrom(model, dir, store, '--init-from', log);
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const state: TrainState = {
      version: 1,
      step: 0,
      cursor: { epoch: 0, index: 0 },
      learningRate: lr,
      lrHalved: false,
      contentScale: 1,
      variableOrder: model.trainableWeights.map((w) => w.originalName),
    };
    return { model, variables: trainableVariables(model), optimizer: tf.train.adam(lr), state };
  }
  const model = await store.loadModel(resumeDir);
  const state = await readTrainState(store, resumeDir);
  if (state.variableOrder.join('|') !== model.trainableWeights.map((w) => w.originalName).join('|')) {
    model.dispose();
    throw new UsageError(`${resumeDir}: the optimizer state does not match this network's weights; cannot resume`);
  }
  const optimizer = await restoreOptimizer(store, resumeDir, state.learningRate, state.adamBetaPowers, log);
  log(`nst: resuming from ${resumeDir} at step ${state.step}`);
  return { model, variables: trainableVariables(model), optimizer, state };
}
