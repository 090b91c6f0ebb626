/**
 * `npm run bench`: prints one JSON document with our timings per backend, PyTorch's in the same run (when
 * `/usr/bin/python3 -c "import torch"` works), and our time / PyTorch's time. Machines here are noisy: read the ratios.
 *
 * Options: --quick (256² only, one training batch size, short memory run), --skip-cpu (leave out the pure-JS backend,
 * which takes minutes), --only part1,part2 (infer, train, memory, torch, stylize, adain, onnx, data, kernels).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cpuInfo, describeCpu } from '../src/backend/cpu-info';
import { probeBackend } from '../src/backend/select';
import { hugePageTunables, transparentHugePageMode } from '../src/backend/native/huge-pages';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const skipCpu = args.includes('--skip-cpu');
const onlyArg = args[args.indexOf('--only') + 1];
const only = args.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : undefined;
const want = (part: string) => !only || only.has(part);

const ROOT = path.resolve(__dirname, '..', '..');
const TORCH_PEER = path.resolve(ROOT, '..', 'shared', 'bench', 'torch_peer.py');

type Json = Record<string, unknown>;

function log(line: string) {
  process.stderr.write(`bench: ${line}\n`);
}

/**
 * The environment the training cases run in: with the huge-page tunable where `nst train` restarts with it, as
 * bin/nst.js does, so the bench measures what users get. Inference (`nst stylize`), the library-level parts in this
 * process and the PyTorch peer run without it.
 */
function trainEnv(): NodeJS.ProcessEnv {
  const tunables = hugePageTunables(process.env, transparentHugePageMode(), 'train');
  return tunables ? { ...process.env, GLIBC_TUNABLES: tunables } : process.env;
}

function runJson(cmd: string, argv: string[], what: string, env: NodeJS.ProcessEnv = process.env): Json | { error: string } {
  log(`${what} …`);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, env });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Json;
  } catch {
    return { error: `${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  }
}

function torchAvailable(): boolean {
  return fs.existsSync(TORCH_PEER) && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

function ratios(ours: Json, peer: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(ours)) {
    const p = peer[k];
    if (typeof v === 'number' && typeof p === 'number' && p > 0 && /^(infer|train)_/.test(k)) out[k] = Math.round((v / p) * 100) / 100;
  }
  return out;
}

async function main() {
  const worker = path.join(__dirname, 'worker.js');
  const sizes = quick ? '256' : '256,512,1024';
  const batches = quick ? '1' : '1,4';
  const result: Json = {
    machine: { cpu: cpuInfo(), node: process.version, glibcTunables: process.env.GLIBC_TUNABLES ?? null, trainingGlibcTunables: trainEnv().GLIBC_TUNABLES ?? null },
    quick,
  };
  log(describeCpu());

  const peer = want('torch') && torchAvailable() ? runJson('/usr/bin/python3', [TORCH_PEER, '2'], 'PyTorch peer (torch_peer.py)') : undefined;
  result.pytorch = peer ?? 'not available (/usr/bin/python3 -c "import torch" failed or ../shared absent)';

  const backends = ['native', 'cpu'].filter((b) => probeBackend(b as 'native' | 'cpu').available && !(b === 'cpu' && skipCpu));
  const perBackend: Json = {};
  for (const b of backends) {
    // Inference and training in two workers, each in the environment its `nst` command runs in (trainEnv).
    const inferArgs = [worker, '--backend', b];
    // Pure JS needs ~20 s per 256² pass and minutes per training step: time it at 256² only.
    if (want('infer')) inferArgs.push('--infer', b === 'cpu' ? '256' : sizes);
    const trainArgs = [worker, '--backend', b];
    if (want('train') && b !== 'cpu') trainArgs.push('--train', batches);
    if (want('memory') && b !== 'cpu') trainArgs.push('--leak-steps', quick ? '30' : '200', '--leak-size', '64');
    const parts = [
      ...(inferArgs.length > 3 ? [runJson(process.execPath, inferArgs, `backend ${b}, inference`)] : []),
      ...(trainArgs.length > 3 ? [runJson(process.execPath, trainArgs, `backend ${b}, training`, trainEnv())] : []),
    ];
    const failed = parts.find((p) => 'error' in p);
    // peakRssMb: the larger of the two workers'.
    const r: Json = failed ?? Object.assign({}, ...parts, { peakRssMb: Math.max(...parts.map((p) => Number((p as Json).peakRssMb) || 0)) });
    perBackend[b] = peer && !('error' in peer) && !failed ? { ...r, vs_pytorch: ratios(r, peer as Json) } : r;
  }
  result.backends = perBackend;

  // In this process, on the fastest local backend: the library-level benches (stylize incl. a tiled 4000×3000 photo,
  // AdaIN beside the per-style network, ONNX Runtime on our exported net, the training data pipeline's share), then
  // the kernel benches, which switch kernels on and off themselves and so come last.
  const runPart = async (name: string, fn: () => Promise<unknown>) => {
    log(`${name} …`);
    try {
      result[name] = await fn();
    } catch (e) {
      result[name] = { error: (e as Error).message };
    }
  };
  const local = backends.includes('native') ? 'native' : 'cpu';
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (want('stylize')) await runPart('stylize', () => require('./stylize').benchStylize({ backend: local, large: local !== 'cpu' }));
  if (want('adain')) await runPart('adain', () => require('./adain').benchAdain({ backend: local, sizes: quick || local === 'cpu' ? [256] : [256, 512, 1024] }));
  if (want('onnx')) await runPart('onnx', () => require('./onnx').benchOnnx({ sizes: quick ? [256] : [256, 512, 1024] }));
  if (want('data') && local !== 'cpu') await runPart('train_data_pipeline', () => require('./train').benchTrain({ batchSizes: [4] }));
  if (want('kernels') && local === 'native') {
    await runPart('native_conv', () => require('./native-conv').nativeConvBench());
    await runPart('native_eltwise', () => require('./native-eltwise').benchNativeEltwise());
    await runPart('training_step_profile_top', () =>
      require('./native-eltwise').profileTrainingStep({ size: 256, topN: 12, skipJs: true }),
    );
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
