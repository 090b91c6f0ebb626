/**
 * Training throughput through the real library path (src/train/per-style.ts in dry-run mode: data pipeline with prefetch,
 * transformer, loss network found by the usual lookup, perceptual losses, Adam), on datasets/sample-pd at 256².
 * The first step of each run is not timed (one-time set-up). Reports seconds per step and the share of the step spent
 * waiting for the data pipeline (≈ 0 when prefetch keeps ahead).
 *
 *   import { benchTrain } from './train';  const r = await benchTrain({ batchSizes: [1, 4] });
 *   node dist/bench/train.js [--steps 3] [--size 256] [--batches 1,4]   (prints one JSON line)
 */
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../src/backend/select';
import { train } from '../src/train/per-style';

export interface TrainBenchOptions {
  batchSizes?: number[];
  imageSize?: number;
  /** Timed steps per batch size (one more runs untimed first). */
  steps?: number;
  width?: number;
  style?: string;
  data?: string[];
}

export interface TrainBenchResult {
  backend: string;
  imageSize: number;
  lossNetwork: string;
  styleLayers: string[];
  /** e.g. { b1: { secondsPerStep, dataWaitShare }, b4: … } */
  runs: Record<string, { secondsPerStep: number; dataWaitShare: number }>;
}

const ROOT = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')].find((d) => fs.existsSync(path.join(d, 'datasets')))!;

function defaultStyle(): string {
  const shared = path.resolve(ROOT, '..', 'shared', 'data', 'styles', 'udnie.jpg');
  // Speed does not depend on the style image: any photo will do when ../shared is absent.
  return fs.existsSync(shared) ? shared : path.join(ROOT, 'datasets', 'sample-pd', 'beach1.jpg');
}

export async function benchTrain(options: TrainBenchOptions = {}): Promise<TrainBenchResult> {
  const backend = await selectBackend();
  const imageSize = options.imageSize ?? 256;
  const steps = options.steps ?? 3;
  const result: TrainBenchResult = { backend: backend.name, imageSize, lossNetwork: '', styleLayers: [], runs: {} };
  for (const batchSize of options.batchSizes ?? [1, 4]) {
    const r = await train(
      {
        style: options.style ?? defaultStyle(),
        data: options.data ?? [path.join(ROOT, 'datasets', 'sample-pd')],
        out: '(bench)',
        imageSize,
        batchSize,
        width: options.width ?? 1,
        iterations: steps + 1,
      },
      { dryRunSteps: steps + 1, hooks: { log: () => {} } },
    );
    result.lossNetwork = r.lossNetwork;
    result.styleLayers = r.styleLayers;
    result.runs[`b${batchSize}`] = {
      secondsPerStep: Math.round(r.secondsPerStep * 1000) / 1000,
      dataWaitShare: Math.round(r.dataWaitShare * 10000) / 10000,
    };
  }
  return result;
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  benchTrain({
    steps: arg('steps') ? Number(arg('steps')) : undefined,
    imageSize: arg('size') ? Number(arg('size')) : undefined,
    batchSizes: arg('batches') ? arg('batches')!.split(',').map(Number) : undefined,
  })
    .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
    .catch((e) => {
      process.stderr.write(`bench/train: ${e.stack ?? e}\n`);
      process.exitCode = 1;
    });
}
