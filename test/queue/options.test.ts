// The queue commands' options and their errors, without a Redis server (one that is not there is part of the test).
import { runStatus } from '../../src/cli/commands/status';
import { runWorker } from '../../src/cli/commands/worker';
import { InputError, UsageError } from '../../src/errors';
import { redactUrl, WorkerOptionsSchema } from '../../src/queue';
import { describeIf } from '../helpers';
import { freePort, hasIoredis } from './redis';

describe('queue options', () => {
  it('defaults: local Redis, queue nst, one job at a time, a 60 s lock', () => {
    expect(WorkerOptionsSchema.parse({})).toEqual({
      redis: 'redis://127.0.0.1:6379',
      queue: 'nst',
      concurrency: 1,
      lockDuration: 60000,
      stalledInterval: 30000,
      maxStalledCount: 2,
      models: 2,
    });
  });

  it('a bad value is a usage error naming the flag', async () => {
    await expect(runWorker({ redis: 'localhost:6379' })).rejects.toThrow(UsageError);
    await expect(runWorker({ redis: 'localhost:6379' })).rejects.toThrow(/--redis: must be a Redis URL/);
    await expect(runWorker({ concurrency: 0 })).rejects.toThrow(/--concurrency/);
    await expect(runStatus({ queue: 'a:b' })).rejects.toThrow(/--queue: letters, digits/);
  });

  it('passwords are not printed', () => {
    expect(redactUrl('redis://user:s3cret@host:6379/2')).toBe('redis://user:***@host:6379/2');
    expect(redactUrl('redis://:s3cret@host:6379')).toBe('redis://:***@host:6379');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});

describeIf(hasIoredis, "the ioredis package (BullMQ's Redis client) is not installed")('no Redis there', () => {
  it('nst status names the URL and fails instead of hanging', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const err = await runStatus({ redis: url }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`--redis ${url}: cannot reach Redis (connect ECONNREFUSED ${url.slice('redis://'.length)}): is redis-server running there?`);
  });
});
