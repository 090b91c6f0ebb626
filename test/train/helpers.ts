// Shared bits of the training tests: tiny generated photos, a small deterministic stand-in loss network (so the loop
// mechanics are tested without ../shared and in seconds), and running a TypeScript child process.
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { selectedBackend } from '../../src/backend/select';
import { tf } from '../../src/backend/tf';
import type { LossNetwork } from '../../src/nets/loss-network/types';
import { loadCheckpoint } from '../../src/checkpoint';
import { checkpointDirOf } from '../../src/train/session';
import { TRAIN_STATE_FILE, TrainState, TrainStateSchema } from '../../src/train/state';
import { Rng } from '../../src/util/rng';

export function tempDir(prefix = 'nst-train-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `count` smooth random photos (w×h PNG) in a new folder; deterministic per seed. */
export async function makePhotos(dir: string, count: number, w = 48, h = 40, seed = 7): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const rng = Rng.fromSeed(seed, i);
    const [r0, g0, b0] = [rng.int(256), rng.int(256), rng.int(256)];
    const buf = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        buf[o] = (r0 + x * 4) % 256;
        buf[o + 1] = (g0 + y * 5) % 256;
        buf[o + 2] = (b0 + rng.int(40)) % 256;
      }
    }
    const file = path.join(dir, `photo${i}.png`);
    await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

/**
 * A frozen 3-layer conv net with VGG-style tap names (relu1_2, relu2_2, relu3_3): enough structure for Gram and
 * content losses to be meaningful, and fast on the pure-JS backend.
 */
export function standInLossNetwork(seed = 3): LossNetwork {
  const rng = Rng.fromSeed(seed);
  const rand = (shape: [number, number, number, number], scale: number) =>
    tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale), shape);
  const k1 = rand([3, 3, 3, 6], 0.3);
  const k2 = rand([3, 3, 6, 8], 0.3);
  const k3 = rand([3, 3, 8, 8], 0.3);
  const taps = ['relu1_2', 'relu2_2', 'relu3_3'];
  return {
    arch: 'vgg16',
    availableTaps: taps,
    description: 'stand-in conv net (tests)',
    extract(images, wanted) {
      return tf.tidy(() => {
        const out: Record<string, tf.Tensor4D> = {};
        const x0 = tf.div(tf.sub(images, 127.5), 64) as tf.Tensor4D;
        const a = tf.relu(tf.conv2d(x0, k1, 1, 'same')) as tf.Tensor4D;
        const b = tf.relu(tf.conv2d(tf.avgPool(a, 2, 2, 'valid'), k2, 1, 'same')) as tf.Tensor4D;
        const c = tf.relu(tf.conv2d(tf.avgPool(b, 2, 2, 'valid'), k3, 1, 'same')) as tf.Tensor4D;
        const all: Record<string, tf.Tensor4D> = { relu1_2: a, relu2_2: b, relu3_3: c };
        for (const t of wanted) {
          if (!all[t]) throw new Error(`stand-in has no tap ${t}`);
          out[t] = all[t];
        }
        return out;
      });
    },
    dispose() {
      tf.dispose([k1, k2, k3]);
    },
  };
}

const REGISTER = path.join(__dirname, 'fixtures', 'register-ts.js');

/** Runs a TypeScript file in a child node process (compiled on the fly with swc, as jest does). */
export function spawnTs(file: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['-r', REGISTER, file, ...args], {
    // The same backend as this test process (native when built), so the child is not 20× slower than its parent.
    env: { ...process.env, NST_BACKEND: process.env.NST_BACKEND || selectedBackend()?.name || 'cpu', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves when a line matching `re` appears on the child's stdout. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 120000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout so far: ${buf}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!buf.match(re)) reject(new Error(`child exited (${code}) before ${re}; stdout: ${buf}`));
    });
  });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** A run's saved training state (its checkpoint's train-state.json). */
export function savedTrainState(outDir: string): TrainState {
  return TrainStateSchema.parse(JSON.parse(fs.readFileSync(path.join(checkpointDirOf(outDir), TRAIN_STATE_FILE), 'utf8')));
}

/** The state without the wall-clock seconds used, which no two runs share: what exact resume must reproduce. */
export function resumableState(outDir: string): Omit<TrainState, 'elapsedSeconds'> {
  const { elapsedSeconds, ...rest } = savedTrainState(outDir);
  expect(typeof elapsedSeconds).toBe('number');
  return rest;
}

/** A run's checkpoint weights by name (copied out; the model is disposed). */
export async function checkpointWeights(outDir: string): Promise<Map<string, Float32Array>> {
  const { model } = await loadCheckpoint(checkpointDirOf(outDir));
  const out = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
  model.dispose();
  return out;
}
