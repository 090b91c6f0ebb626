/**
 * Submitting work (`nst submit`): plan one job per input image (or per style image for training), put them on the
 * queue, and optionally wait for every one of them.
 *
 *   planStylizeJobs(inputs, options, batch)     -> Promise<SubmitPlan>   outputs planned as nst stylize plans them
 *   planTrainJobs(styles, config, out, batch)   -> SubmitPlan            one training run per style image
 *   enqueue(connection, plan, retry)            -> Promise<QueuedJob[]>
 *   waitForJobs(connection, jobs, callbacks)    -> Promise<JobOutcome[]> one outcome per job, in order
 *
 * Paths are made absolute here, so a worker on another machine (same mounts) finds the same files.
 */
import * as path from 'path';
import { randomBytes } from 'crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import { expandInputs } from '../image/expand-inputs';
import { isSkipped, planOutputs } from '../infer/batch';
import { expandStyles } from '../infer/open-arbitrary';
import type { StylizeCommandOptions } from '../infer/stylize-options';
import { parseTrainConfig, type TrainConfigInput } from '../train/config';
import { isJobProgress, JobDataInput, JobProgress, JobResult } from './jobs';
import { ConnectionOptions, connectionOf, SubmitOptions, whenConnected } from './options';

export interface PlannedJob {
  /** What the job is about, for its line: the input image, or the style image. */
  subject: string;
  data: JobDataInput;
}

export interface SubmitPlan {
  batch: string;
  jobs: PlannedJob[];
  /** Inputs that get no job, and why (a folder named like an image, an input that would be its own output, …). */
  skipped: Array<{ input: string; reason: string }>;
}

export interface QueuedJob {
  id: string;
  subject: string;
}

export type JobOutcome = { id: string; subject: string; ok: true; result: JobResult } | { id: string; subject: string; ok: false; reason: string };

/** Completed jobs stay this long for nst status and late --wait; failed ones longer, to be looked into. */
const KEEP_COMPLETED = { age: 2 * 24 * 3600, count: 100_000 };
const KEEP_FAILED = { age: 14 * 24 * 3600 };

/** A fresh submission id: sortable by time, unique across machines. BullMQ ids may not contain ':'. */
export function newBatchId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Same output names, collisions and refusals as nst stylize --out DIR (src/infer/batch.ts planOutputs). */
export async function planStylizeJobs(inputs: string[], o: StylizeCommandOptions, batch: string): Promise<SubmitPlan> {
  const abs = (p: string) => path.resolve(p);
  const expanded = await expandInputs(inputs.map(abs));
  const items = planOutputs(expanded, { outDir: o.out && abs(o.out), suffix: o.suffix, format: o.format });
  const style = o.style?.length ? (await expandStyles(o.style)).map(abs) : undefined;
  const { out: _out, output: _output, suffix: _suffix, format: _format, ...rest } = o;
  const options = { ...rest, model: o.model && abs(o.model), style };
  const plan: SubmitPlan = { batch, jobs: [], skipped: [] };
  for (const item of items) {
    if (isSkipped(item)) {
      plan.skipped.push({ input: item.input, reason: item.skip });
      continue;
    }
    const data: JobDataInput = { kind: 'stylize', batch, input: abs(item.input), output: abs(item.output), format: item.format, note: item.note, options };
    plan.jobs.push({ subject: item.input, data });
  }
  return plan;
}

/**
 * One training job per style image, each into `out`/STYLE-NAME (the style file's name without extension), trained
 * on the same data with the same options. Every config is validated here, so a typo fails before anything is queued.
 */
export function planTrainJobs(
  styles: string[],
  config: Partial<TrainConfigInput>,
  out: string,
  batch: string,
  /** How errors name a field (the CLI passes flagOf: `--batch-size`). */
  nameOf: (field: string) => string = (f) => f,
): SubmitPlan {
  const plan: SubmitPlan = { batch, jobs: [], skipped: [] };
  const seen = new Map<string, string>();
  for (const style of styles) {
    const name = path.basename(style, path.extname(style));
    const runDir = path.resolve(out, name);
    const earlier = seen.get(runDir);
    if (earlier) {
      plan.skipped.push({ input: style, reason: `its run folder ${runDir} is already ${earlier}'s: rename one of the style images` });
      continue;
    }
    seen.set(runDir, style);
    const full = {
      ...config,
      style: path.resolve(style),
      data: (config.data ?? []).map((d) => path.resolve(d)),
      out: runDir,
      ...(config.previewImages ? { previewImages: config.previewImages.map((p) => path.resolve(p)) } : {}),
      ...(config.lossWeights ? { lossWeights: path.resolve(config.lossWeights) } : {}),
    };
    parseTrainConfig(full, 'nst submit --train', nameOf);
    plan.jobs.push({ subject: style, data: { kind: 'train', batch, config: full } });
  }
  return plan;
}

export async function enqueue(conn: ConnectionOptions, plan: SubmitPlan, retry: Pick<SubmitOptions, 'attempts' | 'backoff'>): Promise<QueuedJob[]> {
  const queue = new Queue(conn.queue, { connection: connectionOf(conn) });
  try {
    await whenConnected(queue, conn.redis);
    const ids = plan.jobs.map((_, i) => `${plan.batch}-${i + 1}`);
    await queue.addBulk(
      plan.jobs.map((j, i) => ({
        name: j.data.kind,
        data: j.data,
        opts: {
          jobId: ids[i],
          attempts: retry.attempts,
          backoff: { type: 'exponential', delay: retry.backoff },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      })),
    );
    return plan.jobs.map((j, i) => ({ id: ids[i], subject: j.subject }));
  } finally {
    await queue.close();
  }
}

export interface WaitCallbacks {
  onProgress?(job: QueuedJob, progress: JobProgress): void;
  onDone?(outcome: JobOutcome, finished: number, total: number): void;
}

function parseReturnValue(v: unknown): JobResult {
  return (typeof v === 'string' ? JSON.parse(v) : v) as JobResult;
}

/**
 * Resolves when every job has completed or failed for good (retries exhausted, or bad input). Events give prompt
 * updates; a poll of the jobs still pending (every `pollMs`) catches whatever finished before the subscription or
 * while the connection was down, so no job is ever left unaccounted for.
 */
export async function waitForJobs(conn: ConnectionOptions, jobs: QueuedJob[], on: WaitCallbacks = {}, pollMs = 2000): Promise<JobOutcome[]> {
  const connection = connectionOf(conn);
  const queue = new Queue(conn.queue, { connection });
  const events = new QueueEvents(conn.queue, { connection });
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const outcomes = new Map<string, JobOutcome>();
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const finish = (o: JobOutcome) => {
    if (outcomes.has(o.id) || !byId.has(o.id)) return;
    outcomes.set(o.id, o);
    on.onDone?.(o, outcomes.size, jobs.length);
    if (outcomes.size === jobs.length) resolveAll();
  };
  const subject = (id: string) => byId.get(id)!.subject;
  events.on('completed', ({ jobId, returnvalue }) => {
    if (byId.has(jobId)) finish({ id: jobId, subject: subject(jobId), ok: true, result: parseReturnValue(returnvalue) });
  });
  events.on('failed', ({ jobId, failedReason }) => {
    if (byId.has(jobId)) finish({ id: jobId, subject: subject(jobId), ok: false, reason: failedReason });
  });
  events.on('progress', ({ jobId, data }) => {
    const job = byId.get(jobId);
    if (job && !outcomes.has(jobId) && isJobProgress(data)) on.onProgress?.(job, data);
  });
  const poll = async () => {
    for (const job of jobs) {
      if (outcomes.has(job.id)) continue;
      const j = await Job.fromId(queue, job.id);
      if (!j) {
        finish({ ...job, ok: false, reason: 'the job is no longer in the queue (removed, or the Redis data was lost)' });
        continue;
      }
      const state = await j.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      // Read the job again: it may have finished between the first read and getState, and that read's returnvalue or
      // failedReason would be empty (BullMQ sets them and the state in one script, so this read has both).
      const done = (await Job.fromId(queue, job.id)) ?? j;
      if (state === 'completed') finish({ ...job, ok: true, result: parseReturnValue(done.returnvalue) });
      else finish({ ...job, ok: false, reason: done.failedReason });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await whenConnected(queue, conn.redis);
    await whenConnected(events, conn.redis);
    if (jobs.length === 0) return [];
    const loop = async () => {
      try {
        await poll();
      } catch {
        // Redis unreachable for a moment: the next poll (or the events) catch up.
      }
      if (outcomes.size < jobs.length) timer = setTimeout(() => void loop(), pollMs);
    };
    await loop();
    await allDone;
    return jobs.map((j) => outcomes.get(j.id)!);
  } finally {
    if (timer) clearTimeout(timer);
    await events.close();
    await queue.close();
  }
}
