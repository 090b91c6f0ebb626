/**
 * Queued jobs over Redis (BullMQ): spread stylizing and training over any number of workers on any number of machines
 * that share one file system. The CLI's nst worker / nst submit / nst status are thin layers over these.
 *
 *   const w = await startWorker({ redis: 'redis://queue-host:6379' });
 *   const plan = await planStylizeJobs(['photos/'], stylizeOptions, newBatchId());
 *   const jobs = await enqueue(conn, plan, { attempts: 3, backoff: 2000 });
 *   const outcomes = await waitForJobs(conn, jobs);        // one per job: written, or why not
 *
 * Layering: src/queue sits above the library, beside the CLI: like the CLI it orchestrates src/infer and src/train
 * (.dependency-cruiser.cjs, rule "nothing-below-imports-the-queue").
 */
export { startWorker, parseJobData } from './worker';
export type { QueueWorker, WorkerHooks } from './worker';
export { planStylizeJobs, planTrainJobs, enqueue, waitForJobs, newBatchId } from './submit';
export type { PlannedJob, SubmitPlan, QueuedJob, JobOutcome, WaitCallbacks } from './submit';
export { queueStatus, formatStatus, JOB_STATES } from './status';
export type { QueueStatus, JobState } from './status';
export { JobDataSchema, StylizeJobSchema, TrainJobSchema, QueuedStylizeOptionsSchema, jobSubject } from './jobs';
export type { JobData, JobDataInput, JobResult, JobProgress, StylizeJob, TrainJob } from './jobs';
export {
  ConnectionOptionsSchema,
  WorkerOptionsSchema,
  SubmitOptionsSchema,
  StatusOptionsSchema,
  DEFAULT_REDIS_URL,
  DEFAULT_QUEUE_NAME,
  connectionOf,
  redactUrl,
} from './options';
export type { ConnectionOptions, WorkerOptions, WorkerOptionsInput, SubmitOptions, SubmitOptionsInput, StatusOptions, StatusOptionsInput } from './options';
