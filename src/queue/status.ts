/**
 * What the queue holds (`nst status`): job counts by state, the workers connected, the jobs running with their
 * progress, and the most recent failures with their reasons.
 *
 *   queueStatus(options) -> Promise<QueueStatus>
 *   formatStatus(status) -> string[]   the lines nst status prints
 */
import { Queue } from 'bullmq';
import { isJobProgress, JobDataInput, jobSubject, JobProgress } from './jobs';
import { connectionOf, redactUrl, whenConnected, StatusOptionsInput, StatusOptionsSchema } from './options';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface QueueStatus {
  queue: string;
  redis: string;
  counts: Record<JobState, number>;
  /** Worker names (hostname:pid) with a live connection to this queue. */
  workers: string[];
  active: Array<{ id: string; subject: string; progress?: JobProgress; attempt: number }>;
  failed: Array<{ id: string; subject: string; reason: string; attempts: number }>;
}

export async function queueStatus(input: StatusOptionsInput): Promise<QueueStatus> {
  const o = StatusOptionsSchema.parse(input);
  const queue = new Queue(o.queue, { connection: connectionOf(o) });
  try {
    await whenConnected(queue, o.redis);
    const counts = (await queue.getJobCounts(...JOB_STATES)) as Record<JobState, number>;
    // Each worker holds several connections (commands, blocking fetch): list each name once.
    // BullMQ names a worker's connection bull:QUEUE:w:NAME; NAME is ours (hostname:pid).
    const workers = [...new Set((await queue.getWorkers()).map((w) => /:w:(.+)$/.exec(w.rawname ?? '')?.[1] ?? w.addr))].sort();
    const active = (await queue.getActive(0, 49)).map((j) => ({
      id: String(j.id),
      subject: jobSubject(j.data as JobDataInput),
      progress: isJobProgress(j.progress) ? j.progress : undefined,
      attempt: j.attemptsMade + 1,
    }));
    const failed =
      o.failures > 0
        ? (await queue.getFailed(0, o.failures - 1)).map((j) => ({
            id: String(j.id),
            subject: jobSubject(j.data as JobDataInput),
            reason: j.failedReason,
            attempts: j.attemptsMade,
          }))
        : [];
    return { queue: o.queue, redis: redactUrl(o.redis), counts, workers, active, failed };
  } finally {
    await queue.close();
  }
}

export function formatStatus(s: QueueStatus): string[] {
  const c = s.counts;
  const waiting = c.waiting + c.prioritized;
  const lines = [
    `queue '${s.queue}' at ${s.redis}: ${waiting} waiting, ${c.active} active, ${c.delayed} delayed (retry pending), ${c.completed} completed, ${c.failed} failed`,
    `workers: ${s.workers.length}${s.workers.length ? ` (${s.workers.join(', ')})` : ' — start one with: nst worker --redis URL'}`,
  ];
  for (const a of s.active) {
    const p = a.progress ? ` ${a.progress.done}/${a.progress.total} ${a.progress.unit}` : '';
    lines.push(`  running ${a.id}: ${a.subject}${p}${a.attempt > 1 ? ` (attempt ${a.attempt})` : ''}`);
  }
  for (const f of s.failed) lines.push(`  failed ${f.id}: ${f.subject}: ${f.reason}${f.attempts > 1 ? ` (after ${f.attempts} attempts)` : ''}`);
  return lines;
}
