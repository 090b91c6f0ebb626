/**
 * One training job: src/train's train() on the job's config, as `nst train` runs it. A job that finds a checkpoint in
 * its run folder resumes it instead of starting over: that is how a training job whose worker was killed (or that is
 * retried after a failure) loses at most the steps since the last checkpoint (--checkpoint-every), not the run.
 */
import { checkpointDirOf, defaultDeps, train } from '../train';
import { RESUMABLE_OVERRIDES, styleImagesOf } from '../train/config';
import type { TrainHooks } from '../train';
import type { JobResult, TrainJob } from './jobs';

export interface TrainJobHooks {
  log?: (line: string) => void;
  onStep?: TrainHooks['onStep'];
  shouldStop?: () => boolean;
}

/** The fields a resume may change, taken from the job (the rest comes from the checkpoint, as with nst train --resume). */
function resumableFields(config: TrainJob['config']): Record<string, unknown> {
  return Object.fromEntries(RESUMABLE_OVERRIDES.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

/** 'stopped': shouldStop() said so; the checkpoint is saved and the job should go back to the queue for another worker. */
export async function runTrainJob(job: TrainJob, worker: string, hooks: TrainJobHooks = {}): Promise<JobResult | 'stopped'> {
  const log = hooks.log ?? (() => undefined);
  const deps = defaultDeps();
  const resume = deps.checkpoints.exists(checkpointDirOf(job.config.out)) ? job.config.out : undefined;
  if (resume) log(`resuming the checkpoint in ${checkpointDirOf(job.config.out)}`);
  const r = await train(resume ? resumableFields(job.config) : job.config, {
    resume,
    deps,
    hooks: { log, onStep: hooks.onStep, shouldStop: hooks.shouldStop },
  });
  if (r.stoppedEarly) {
    log(`stopped at step ${r.step}/${r.totalSteps}, checkpoint saved: the job goes back to the queue`);
    return 'stopped';
  }
  return { kind: 'train', style: styleImagesOf(job.config).join(', '), checkpointDir: r.checkpointDir, step: r.step, totalSteps: r.totalSteps, worker };
}
