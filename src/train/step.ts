/**
 * One optimizer step of any trainer: the task's loss of one batch under the gradient tape, its terms read back in one
 * transfer, and Adam applied in the model's weight order — unless the loss is not finite, in which case nothing is
 * applied and the caller decides (loop.ts restores the last checkpoint).
 */
import { tf } from '../backend/tf';
import { reportedTerms, termValues } from '../losses/perceptual';
import type { StepLosses, TaskBatch, TrainingTask } from './task';
import type { Trainee } from './session';

export type StepOutcome = { ok: true; losses: StepLosses } | { ok: false; value: number };

export async function optimizerStep<R>(
  task: TrainingTask<R>,
  trainee: Trainee,
  batch: TaskBatch,
  injectNonFinite = false,
): Promise<StepOutcome> {
  const { model, variables, state } = trainee;
  let terms: tf.Scalar[] = [];
  let styleKeys: string[] = [];
  let grads: tf.NamedTensorMap = {};
  let lossValues: number[];
  const objective = task.objective(model, batch, state);
  try {
    const result = tf.variableGrads(() => {
      const loss = objective.loss();
      const reported = reportedTerms(loss);
      terms = reported.tensors.map((t) => tf.keep(t));
      styleKeys = reported.styleKeys;
      return loss.total;
    }, variables);
    grads = result.grads;
    const all = tf.tidy(() => tf.stack([result.value, ...terms]));
    lossValues = Array.from(await all.data());
    all.dispose();
    result.value.dispose();
  } finally {
    objective.dispose();
    tf.dispose(terms);
  }

  if (injectNonFinite) lossValues[0] = NaN;
  if (!Number.isFinite(lossValues[0])) {
    tf.dispose(Object.values(grads));
    return { ok: false, value: lossValues[0] };
  }
  // A fixed order (the model's), so Adam's positional moment slots line up across save and restore.
  trainee.optimizer.applyGradients(variables.map((v) => ({ name: v.name, tensor: grads[v.name] ?? tf.zerosLike(v) })));
  tf.dispose(Object.values(grads));
  return { ok: true, losses: termValues(lossValues[0], lossValues.slice(1), styleKeys) };
}
