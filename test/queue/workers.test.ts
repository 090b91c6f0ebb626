// Queued jobs end to end with real components: a redis-server on a free loopback port, two `nst worker` processes and
// an `nst submit --wait` process (the built CLI, bin/nst.js → dist/). One worker is killed with -9 mid-run; every
// one of the 50 inputs must still come out, decodable, and the submitter must account for each.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { QueueEvents } from 'bullmq';
import { saveCheckpoint } from '../../src/checkpoint';
import { buildTransformer } from '../../src/nets/transformer';
import { makeTmpDir, patternImage, writePng } from '../infer/fixtures';
import { describeRedis, RedisServer, startRedis } from './redis';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nst.js');
const COUNT = 50;

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function nst(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NST_QUIET: '1' } });
  const lines: string[] = [];
  let buf = '';
  const onData = (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeRedis('nst worker / nst submit through Redis (child processes)', () => {
  let redis: RedisServer;
  const dir = makeTmpDir('nst-queue-');
  const ckpt = path.join(dir, 'ckpt');
  const inputs = path.join(dir, 'in');
  const out = path.join(dir, 'out');
  const procs: Proc[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    // Wide enough that a job takes a few ms, so the killed worker is holding one.
    const config = { width: 0.5, residualBlocks: 2 };
    const model = buildTransformer(config);
    await saveCheckpoint(ckpt, { model, config });
    model.dispose();
    fs.mkdirSync(inputs);
    for (let i = 0; i < COUNT; i++) await writePng(path.join(inputs, `img${String(i).padStart(2, '0')}.png`), patternImage(64, 48, i + 1));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('50 images, two workers, one killed with -9 mid-run: all 50 written and decodable, each accounted for', async () => {
    const events = new QueueEvents('nst', { connection: { url: redis.url, maxRetriesPerRequest: null } });
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
    try {
      // Short lock and stall check so the killed worker's job is handed over in seconds, not the default 90.
      const workerArgs = ['worker', '--redis', redis.url, '--lock-duration', '2000', '--stalled-interval', '500'];
      const victim = nst(workerArgs);
      const survivor = nst(workerArgs);
      procs.push(victim, survivor);
      for (const w of [victim, survivor]) await until(() => w.lines.some((l) => l.includes('waiting for jobs')), 'a worker to start');

      const submit = nst(['submit', '--redis', redis.url, '-m', ckpt, inputs, '--out', out, '--wait', '--no-progress', '--backoff', '200']);
      procs.push(submit);
      const started = () => victim.lines.filter((l) => / started: /.test(l)).length;
      await until(() => started() >= 3, 'the first worker to start jobs');
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBeNull(); // killed, no exit code
      const submitted = await submit.exited;

      const perInput = submit.lines.filter((l) => l.startsWith(inputs));
      expect(submit.lines.filter((l) => l.startsWith('nst: failed'))).toEqual([]);
      expect(perInput).toHaveLength(COUNT);
      expect(submit.lines.at(-1)).toMatch(new RegExp(`^nst: ${COUNT} done in `));
      expect(submitted).toBe(0);
      // The job the victim held was taken up by the survivor once its lock expired.
      expect(stalled.length).toBeGreaterThanOrEqual(1);
      for (const id of stalled) expect(survivor.lines.some((l) => l.includes(`job ${id} done`))).toBe(true);

      const files = fs.readdirSync(out);
      expect(files.filter((f) => f.endsWith('.png')).sort()).toEqual(fs.readdirSync(inputs).sort());
      expect(files.filter((f) => f.startsWith('.'))).toEqual([]); // no temp file left behind by a finished write
      for (const f of files) {
        const { data, info } = await sharp(path.join(out, f)).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height]).toEqual([64, 48]);
        expect(data.length).toBe(64 * 48 * info.channels);
      }

      const status = nst(['status', '--redis', redis.url]);
      expect(await status.exited).toBe(0);
      expect(status.lines[0]).toMatch(new RegExp(`^queue 'nst' at redis://127\\.0\\.0\\.1:${redis.port}: 0 waiting, 0 active, 0 delayed \\(retry pending\\), ${COUNT} completed, 0 failed$`));
      expect(status.lines[1]).toMatch(/^workers: 1 \(\S+:\d+\)$/);
    } finally {
      await events.close();
    }
  });
});
