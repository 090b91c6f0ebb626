/**
 * ONNX Runtime inference of our exported default network (random weights, full width: same cost as a trained one),
 * timed at 256², 512², 1024²: median of a few runs after one warm-up, in ms, with `threads` intra-op threads (2 by
 * default, the peers' setting). The runner compares this against tfjs (+ native kernels) in the same run.
 *
 *   import { benchOnnx } from './onnx';  await benchOnnx({ sizes: [256, 512] })
 */
import * as ort from 'onnxruntime-node';
import { transformerToOnnx } from '../src/export/onnx';
import { buildTransformer, parseTransformerConfig } from '../src/nets/transformer';

export interface OnnxBenchOptions {
  sizes?: number[];
  threads?: number;
  /** Timed runs per size (after one warm-up); the median is reported. */
  runs?: number;
}

export interface OnnxBenchResult {
  engine: string;
  threads: number;
  /** Median ms per size, e.g. { 256: 180, 512: 620, 1024: 2430 }. */
  inferMs: Record<number, number>;
  /** Size of the exported model, bytes. */
  modelBytes: number;
}

export async function benchOnnx(options: OnnxBenchOptions = {}): Promise<OnnxBenchResult> {
  const sizes = options.sizes ?? [256, 512, 1024];
  const threads = options.threads ?? 2;
  const runs = options.runs ?? 3;
  const config = parseTransformerConfig({});
  const model = buildTransformer(config);
  const bytes = transformerToOnnx(model, config);
  model.dispose();
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const inferMs: Record<number, number> = {};
  try {
    for (const n of sizes) {
      const data = new Float32Array(3 * n * n);
      for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) % 256; // deterministic pseudo-image
      const feeds = { input: new ort.Tensor('float32', data, [1, 3, n, n]) };
      await session.run(feeds);
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      inferMs[n] = Math.round(times[Math.floor(times.length / 2)] * 10) / 10;
    }
  } finally {
    await session.release();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version: string = require('onnxruntime-node/package.json').version;
  return { engine: `onnxruntime-node ${version}`, threads, inferMs, modelBytes: bytes.byteLength };
}

if (require.main === module) {
  benchOnnx().then((r) => console.log(JSON.stringify(r)));
}
