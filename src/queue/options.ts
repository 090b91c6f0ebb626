/**
 * The options of `nst worker`, `nst submit` and `nst status`, declared once: the CLI derives its flags from these
 * schemas (src/cli/options-from-schema.ts); library callers pass the same objects.
 *
 * Timing defaults follow from the work: one synchronous stretch (a forward pass over the largest tile the memory
 * budget allows, or one training step) blocks the worker's event loop, so its lock cannot be renewed during it. A lock
 * shorter than that stretch hands a live job to a second worker. 60 s covers a 1 GiB-budget pass on a slow CPU with
 * room to spare; a worker killed with -9 is noticed within lockDuration + stalledInterval (≤ 90 s by default).
 */
import { z } from 'zod';
import { InputError } from '../errors';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_QUEUE_NAME = 'nst';

const positiveInt = (what: string) => z.number({ error: `must be a whole number ${what}` }).int({ error: `must be a whole number ${what}` });

export const ConnectionOptionsSchema = z.object({
  redis: z
    .string()
    .regex(/^rediss?:\/\/[^/\s]/, { error: 'must be a Redis URL: redis://HOST:PORT (rediss:// for TLS; user:password@ and /DB allowed)' })
    .default(DEFAULT_REDIS_URL)
    .describe('Redis server holding the queue: redis://[user:password@]HOST:PORT[/DB]'),
  queue: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, { error: 'letters, digits, "_", "." and "-" only' })
    .default(DEFAULT_QUEUE_NAME)
    .describe('queue name: submitters and workers on the same name share the work'),
});

export const WorkerOptionsSchema = ConnectionOptionsSchema.extend({
  concurrency: positiveInt('1–64').min(1).max(64).default(1).describe('jobs this worker runs at once (one per CPU core is plenty: a job uses every core)'),
  lockDuration: positiveInt('of ms ≥ 500')
    .min(500)
    .default(60_000)
    .describe('ms a job stays locked to this worker between heartbeats; must exceed the longest single forward pass or training step'),
  stalledInterval: positiveInt('of ms ≥ 200')
    .min(200)
    .default(30_000)
    .describe('ms between checks for jobs whose worker died (their lock expired): those go back to the queue'),
  maxStalledCount: positiveInt('≥ 0')
    .min(0)
    .default(2)
    .describe('times a job may lose its worker (killed, machine gone) before it is failed'),
  models: positiveInt('≥ 1').min(1).max(16).default(2).describe('models kept loaded between jobs (least recently used one is dropped)'),
}).strict();

export const SubmitOptionsSchema = ConnectionOptionsSchema.extend({
  wait: z.boolean().default(false).describe('wait for every job, print one line per input (output or why it failed); exit 1 if any failed'),
  train: z.boolean().default(false).describe('submit training jobs: one per --style image, trained on --data, into --out/STYLE-NAME/'),
  attempts: positiveInt('1–100').min(1).max(100).default(3).describe('tries per job; failures other than bad input are retried'),
  backoff: positiveInt('of ms ≥ 0').min(0).default(2_000).describe('ms before the first retry; each further retry waits twice as long'),
}).strict();

export const StatusOptionsSchema = ConnectionOptionsSchema.extend({
  failures: positiveInt('≥ 0').min(0).default(5).describe('most recent failed jobs to list, with their reasons'),
}).strict();

export type ConnectionOptions = z.output<typeof ConnectionOptionsSchema>;
export type WorkerOptionsInput = z.input<typeof WorkerOptionsSchema>;
export type WorkerOptions = z.output<typeof WorkerOptionsSchema>;
export type SubmitOptionsInput = z.input<typeof SubmitOptionsSchema>;
export type SubmitOptions = z.output<typeof SubmitOptionsSchema>;
export type StatusOptionsInput = z.input<typeof StatusOptionsSchema>;
export type StatusOptions = z.output<typeof StatusOptionsSchema>;

/** BullMQ's connection options for a URL. Workers block on Redis, so ioredis must not give up on a slow command. */
export function connectionOf(o: Pick<ConnectionOptions, 'redis'>): { url: string; maxRetriesPerRequest: null } {
  return { url: o.redis, maxRetriesPerRequest: null };
}

/** A Redis URL as it may be printed: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** How long nst submit / nst status wait for Redis before saying it cannot be reached. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Resolves once `client` (a BullMQ Queue, QueueEvents or Worker) is connected; an InputError naming the URL after
 * `ms`. ioredis retries forever by itself, which is right for a running worker but leaves a command hanging silently.
 */
export async function whenConnected(client: { waitUntilReady(): Promise<unknown>; on(event: 'error', f: (e: Error) => void): unknown }, url: string, ms = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  let lastError: Error | undefined;
  client.on('error', (e) => (lastError = e));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InputError(`--redis ${redactUrl(url)}: cannot reach Redis${lastError ? ` (${lastError.message.split('\n')[0]})` : ''}: is redis-server running there?`)),
      ms,
    );
  });
  try {
    await Promise.race([client.waitUntilReady(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
