// Queued jobs in-process (the library under nst worker / nst submit): a transient failure is retried and leaves a
// correct output, bad input fails at once with its reason, nst status reports both; a training job trains through
// the same queue with src/train's train().
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { Job, Queue } from 'bullmq';
import { runStatus } from '../../src/cli/commands/status';
import { saveCheckpoint } from '../../src/checkpoint';
import { StylizeCommandOptionsSchema } from '../../src/infer/stylize-options';
import { buildTransformer } from '../../src/nets/transformer';
import { enqueue, newBatchId, planStylizeJobs, planTrainJobs, startWorker, waitForJobs, type QueueWorker } from '../../src/queue';
import { checkpointDirOf } from '../../src/train';
import { makeTmpDir, patternImage, writePng } from '../infer/fixtures';
import { describeRedis, RedisServer, startRedis } from './redis';

const VGG16_BLOCK1 = path.resolve(__dirname, '..', 'fixtures', 'vgg', 'vgg16-block1-tfjs');

describeRedis('queued jobs in-process: retries, failures, status, training', () => {
  let redis: RedisServer;
  let worker: QueueWorker | undefined;
  const dir = makeTmpDir('nst-queue-retry-');
  const log: string[] = [];
  const onLog: Array<(line: string) => void> = [];

  beforeAll(async () => {
    redis = await startRedis();
    worker = await startWorker(
      { redis: redis.url, lockDuration: 5000, stalledInterval: 1000 },
      {
        log: (line) => {
          log.push(line);
          for (const f of onLog) f(line);
        },
      },
    );
  });
  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a transient failure is retried with backoff and leaves a correct output; bad input fails at once; status says so', async () => {
    const ckpt = path.join(dir, 'ckpt');
    const config = { width: 0.125, residualBlocks: 1 };
    const model = buildTransformer(config);
    await saveCheckpoint(ckpt, { model, config });
    model.dispose();
    const inputs = path.join(dir, 'in');
    fs.mkdirSync(path.join(inputs, 'sub'), { recursive: true });
    await writePng(path.join(inputs, 'good.png'), patternImage(40, 30, 2));
    await writePng(path.join(inputs, 'sub', 'later.png'), patternImage(36, 20, 3));
    fs.writeFileSync(path.join(inputs, 'corrupt.png'), 'not a png at all');
    // The output folder sub/ cannot be created while a *file* is in its place: the first attempt fails with an
    // I/O error (not bad input, so it is retried); the file is removed when that failure is logged.
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'sub'), 'in the way');
    onLog.push((line) => {
      if (line.includes('will be retried')) fs.rmSync(path.join(out, 'sub'), { force: true });
    });

    const options = StylizeCommandOptionsSchema.parse({ model: ckpt, out });
    const plan = await planStylizeJobs([inputs], options, newBatchId());
    expect(plan.jobs).toHaveLength(3);
    const conn = { redis: redis.url, queue: 'nst' };
    const jobs = await enqueue(conn, plan, { attempts: 3, backoff: 300 });
    const outcomes = await waitForJobs(conn, jobs, {}, 500);
    const bySubject = Object.fromEntries(outcomes.map((o) => [path.relative(inputs, o.subject), o]));

    expect(bySubject['good.png'].ok).toBe(true);
    expect(bySubject['sub/later.png'].ok).toBe(true);
    expect(bySubject['corrupt.png'].ok).toBe(false);
    expect(!bySubject['corrupt.png'].ok && bySubject['corrupt.png'].reason).toContain(path.join(inputs, 'corrupt.png'));

    const queue = new Queue('nst', { connection: { url: redis.url } });
    try {
      const attempts = async (subject: string) => (await Job.fromId(queue, bySubject[subject].id))!.attemptsMade;
      expect(await attempts('sub/later.png')).toBe(2); // failed once, then succeeded
      expect(await attempts('corrupt.png')).toBe(1); // bad input: no retries
      expect(await attempts('good.png')).toBe(1);
    } finally {
      await queue.close();
    }
    expect(log.filter((l) => /failed, will be retried \(attempt 1 of 3\)/.test(l))).toHaveLength(1);

    // The retried output is the image, whole: right size, decodes, no temp files beside it.
    for (const [name, w, h] of [['good.png', 40, 30], ['sub/later.png', 36, 20]] as const) {
      const meta = await sharp(path.join(out, name)).metadata();
      expect([meta.width, meta.height]).toEqual([w, h]);
    }
    expect(fs.readdirSync(path.join(out, 'sub'))).toEqual(['later.png']);

    const lines: string[] = [];
    await runStatus({ redis: redis.url }, (l) => lines.push(l));
    expect(lines[0]).toMatch(/: 0 waiting, 0 active, 0 delayed \(retry pending\), 2 completed, 1 failed$/);
    expect(lines[1]).toMatch(/^workers: 1 \(\S+:\d+\)$/);
    expect(lines.find((l) => l.startsWith('  failed '))).toContain(`${path.join(inputs, 'corrupt.png')}:`);
  });

  it('a training job (tiny config) runs src/train through the queue and reports its steps', async () => {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    for (let i = 0; i < 2; i++) await writePng(path.join(photos, `p${i}.png`), patternImage(40, 40, i + 5));
    const style = await writePng(path.join(dir, 'mystyle.png'), patternImage(32, 32, 9));
    const runs = path.join(dir, 'runs');
    const plan = planTrainJobs(
      [style],
      { data: [photos], iterations: 2, imageSize: 32, width: 0.125, batchSize: 1, lossNet: 'vgg16', lossWeights: VGG16_BLOCK1, styleLayers: ['relu1_2'], contentLayer: 'relu1_2', previewEvery: 100 },
      runs,
      newBatchId(),
    );
    const conn = { redis: redis.url, queue: 'nst' };
    const jobs = await enqueue(conn, plan, { attempts: 1, backoff: 0 });
    const progress: number[] = [];
    const [outcome] = await waitForJobs(conn, jobs, { onProgress: (_j, p) => progress.push(p.done) }, 500);
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.result).toMatchObject({ kind: 'train', step: 2, totalSteps: 2, checkpointDir: checkpointDirOf(path.join(runs, 'mystyle')) });
    expect(fs.existsSync(path.join(checkpointDirOf(path.join(runs, 'mystyle')), 'nst.json'))).toBe(true);
    expect(progress.at(-1) ?? 2).toBe(2);
  });
});
