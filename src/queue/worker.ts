/**
 * A queue worker (`nst worker`): takes jobs from the BullMQ queue in Redis and runs them, stylize jobs with src/infer
 * and training jobs with src/train, exactly as nst stylize / nst train do. Start any number, on any machines that
 * see the same files (./jobs.ts, "Storage").
 *
 * What happens when things go wrong:
 * - bad input (undecodable image, missing model, invalid job): the job fails at once (BullMQ UnrecoverableError),
 *   no retries, its reason is the one line nst stylize would print;
 * - anything else (a full disk, a network file system hiccup, a bug): the attempt fails and BullMQ retries the job
 *   after `backoff` ms, doubling each time, up to `attempts` tries (set per job by nst submit);
 * - a worker that dies (kill -9, machine gone): it stops renewing its job's lock; after lockDuration another worker's
 *   stalled-job check (every stalledInterval) puts the job back in the queue and it runs again, at most
 *   maxStalledCount times. Outputs are written atomically, so the re-run never meets a half-written file.
 *
 *   startWorker(options, hooks?) -> Promise<QueueWorker>   running; close() finishes running jobs, then stops
 */
import * as os from 'os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { NstError } from '../errors';
import { describeIssues } from '../util/flag-names';
import { JobData, JobDataSchema, JobProgress, JobResult, jobSubject } from './jobs';
import { ModelCache } from './model-cache';
import { connectionOf, redactUrl, whenConnected, WorkerOptions, WorkerOptionsInput, WorkerOptionsSchema } from './options';
import { CachedStylizer, runStylizeJob } from './run-stylize';
import { runTrainJob } from './run-train';

export interface WorkerHooks {
  /** One line per job started, finished, failed or handed back; Redis connection trouble. */
  log?: (line: string) => void;
}

export interface QueueWorker {
  /** hostname:pid, as nst status lists it. */
  readonly name: string;
  readonly options: WorkerOptions;
  /** Stops taking jobs, lets running stylize jobs finish and running training jobs checkpoint and go back; then disconnects. */
  close(): Promise<void>;
}

/** Training reports a step every fraction of a second; Redis needs to hear about it much less often. */
const TRAIN_PROGRESS_EVERY_MS = 1000;

function permanent(e: unknown): boolean {
  return e instanceof NstError || e instanceof UnrecoverableError;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

export function parseJobData(data: unknown): JobData {
  const r = JobDataSchema.safeParse(data);
  if (!r.success) throw new UnrecoverableError(`not a job this nst version can run: ${describeIssues(r.error, (f) => f)}`);
  return r.data;
}

export async function startWorker(input: WorkerOptionsInput, hooks: WorkerHooks = {}): Promise<QueueWorker> {
  const options = WorkerOptionsSchema.parse(input);
  const log = hooks.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const name = `${os.hostname()}:${process.pid}`;
  const models = new ModelCache<CachedStylizer>(options.models);
  let closing = false;

  const processor = async (job: Job, token?: string): Promise<JobResult> => {
    let data: JobData;
    try {
      data = parseJobData(job.data);
    } catch (e) {
      throw new UnrecoverableError(firstLine(e));
    }
    const progress = (p: JobProgress) => job.updateProgress(p as unknown as object).catch(() => undefined);
    try {
      if (data.kind === 'stylize') {
        return await runStylizeJob(data, models, name, (done, total) => void progress({ done, total, unit: 'tiles' }));
      }
      let last = 0;
      const r = await runTrainJob(data, name, {
        log: (line) => log(`nst worker: job ${job.id}: ${line}`),
        onStep: (s) => {
          const now = Date.now();
          if (now - last < TRAIN_PROGRESS_EVERY_MS && s.step < s.totalSteps) return;
          last = now;
          void progress({ done: s.step, total: s.totalSteps, unit: 'steps' });
        },
        shouldStop: () => closing,
      });
      if (r === 'stopped') {
        // Back to the queue without spending an attempt: the next worker resumes the checkpoint just saved.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      return r;
    } catch (e) {
      if (e instanceof WaitingError) throw e;
      if (permanent(e)) throw new UnrecoverableError(firstLine(e));
      throw e;
    }
  };

  const worker = new Worker(options.queue, processor, {
    connection: connectionOf(options),
    concurrency: options.concurrency,
    lockDuration: options.lockDuration,
    stalledInterval: options.stalledInterval,
    maxStalledCount: options.maxStalledCount,
    name,
    autorun: false,
  });
  worker.on('active', (job: Job) => log(`nst worker: job ${job.id} started: ${jobSubject(job.data)}${job.attemptsMade > 0 ? ` (attempt ${job.attemptsMade + 1})` : ''}`));
  worker.on('completed', (job: Job, r: JobResult) =>
    log(`nst worker: job ${job.id} done: ${r.kind === 'stylize' ? `${r.input} -> ${r.output} (${r.width}x${r.height}, ${r.ms} ms)` : `${r.style} -> ${r.checkpointDir} (${r.step}/${r.totalSteps} steps)`}`),
  );
  worker.on('failed', (job: Job | undefined, e: Error) => {
    if (!job) return log(`nst worker: a job failed: ${firstLine(e)}`);
    const retry = !(e instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
    log(`nst worker: job ${job.id} ${retry ? `failed, will be retried (attempt ${job.attemptsMade} of ${job.opts.attempts})` : 'failed'}: ${firstLine(e)}`);
  });
  worker.on('stalled', (jobId: string) => log(`nst worker: job ${jobId} lost its worker; back in the queue`));
  // ioredis reports every failed reconnect (several a second while Redis is down): the same line once a minute.
  let lastError = { line: '', at: 0 };
  worker.on('error', (e: Error) => {
    const line = `nst worker: ${firstLine(e)}`;
    if (line === lastError.line && Date.now() - lastError.at < 60_000) return;
    lastError = { line, at: Date.now() };
    log(line);
  });
  // A worker may well start before its Redis (compose, Kubernetes): say so, and keep waiting (ioredis reconnects).
  try {
    await whenConnected(worker, options.redis);
  } catch (e) {
    log(`nst worker: ${firstLine(e)}; still trying`);
    await worker.waitUntilReady();
  }
  void worker.run().catch((e: unknown) => log(`nst worker: stopped: ${firstLine(e)}`));
  log(`nst worker ${name}: waiting for jobs on queue '${options.queue}' at ${redactUrl(options.redis)} (concurrency ${options.concurrency})`);

  return {
    name,
    options,
    close: async () => {
      closing = true;
      await worker.close();
      await models.clear();
    },
  };
}
