// `nst serve` as a user runs it (bin/nst.js → dist/, a child process on a free port): it starts, answers, and on
// SIGTERM finishes the request in flight before exiting 0; a second model of the same name is a usage error.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { encodedPattern, makeTmpDir, postRaw, readJson, removeDir, tinyCheckpoint } from './fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nst.js');
const built = fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'));
const dir = makeTmpDir('nst-serve-cli-');
let ckpt: string;

beforeAll(async () => {
  ckpt = await tinyCheckpoint(dir);
});
afterAll(() => removeDir(dir));

/** Starts `nst serve ARGS --port 0`; resolves with the URL it prints once listening. */
function startChild(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--port', '0'], { env: { ...process.env, NST_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nst serve did not start in 120 s:\n${err}`)), 120000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], stderr: () => err, exit });
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nst serve exited (${code}) before listening:\n${err}`));
    });
  });
}

(built ? describe : describe.skip)('nst serve (built CLI, child process)', () => {
  test('serves, and on SIGTERM finishes the request in flight, then exits 0', async () => {
    const { child, url, stderr, exit } = await startChild(['--model', ckpt]);
    expect(stderr()).toMatch(/model tiny \(per-style\)/);
    expect(stderr()).toMatch(/models tiny, adain;/);
    const first = await postRaw(url, await encodedPattern(32, 24));
    expect(first.status).toBe(200);
    // Two bigger requests (one runs, one waits), then the signal once /healthz has seen them: both are answered.
    const big = await encodedPattern(768, 512);
    const pending = [postRaw(url, big), postRaw(url, big)];
    let seen = false;
    let settled = false;
    void Promise.all(pending).finally(() => (settled = true));
    // /healthz is answered between the requests' steps; polled back to back, one lands while they are held.
    while (!seen && !settled) {
      const h = await readJson(await fetch(`${url}/healthz`));
      seen = Number(h.inFlight) + Number(h.queued) > 0;
    }
    expect(seen).toBe(true);
    child.kill('SIGTERM');
    for (const res of await Promise.all(pending)) {
      expect(res.status).toBe(200);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([768, 512]);
    }
    expect(await exit).toBe(0);
    expect(stderr()).toMatch(/SIGTERM: no new requests; finishing the ones in flight/);
    expect(stderr()).toMatch(/nst serve: stopped/);
  });

  test('two models with one name: exit 2 with one line naming the fix', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '-m', ckpt, `tiny=${ckpt}`, '--port', '0'], { encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nst: error: --model: two models are named 'tiny': name them apart with NAME=PATH/);
  });

  test('a bad limit value is a usage error naming the flag', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--queue-limit', '-1'], { encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--queue-limit -1: must be a whole number ≥ 0/);
  });
});
