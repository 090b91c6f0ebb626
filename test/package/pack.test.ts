/**
 * The package as users get it: `npm pack`, unpacked into a node_modules of its own, then used from outside the source
 * tree with require, with import, and from TypeScript (its declarations type-checked by tsc). The unpacked copy sits
 * in a temp folder inside the checkout, so its dependencies resolve to the checkout's node_modules (no download).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
let work: string;

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NST_BACKEND: 'cpu' }, timeout: 240000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(ROOT, '.nst-tmp-pack-'));
  // dist/ was built by jest's globalSetup; --ignore-scripts keeps npm from rebuilding it (and the addon) here.
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  const [{ filename, files }] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = files.map((f) => f.path);
  expect(paths).toEqual(expect.arrayContaining(['package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'bin/nst.js', 'native/binding.gyp']));
  expect(paths.some((p) => p.startsWith('assets/vgg19-block1-3/'))).toBe(true);
  expect(paths).toEqual(expect.arrayContaining(['assets/adain-decoder/nst.json', 'assets/adain-decoder/weights.bin']));
  expect(paths.some((p) => p.startsWith('test/') || p.startsWith('src/'))).toBe(false);
  // The consumer's own package.json: without it the checkout's would be the nearest one, and Node would resolve
  // 'nst' to the source tree itself (package self-reference) instead of the unpacked copy.
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'nst-consumer', private: true }));
  const pkg = path.join(work, 'node_modules', 'nst');
  fs.mkdirSync(pkg, { recursive: true });
  run('tar', ['-xzf', path.join(work, filename), '-C', pkg, '--strip-components=1'], work);
}, 300000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const LIBRARY = ['train', 'trainAdain', 'stylize', 'stylizeArbitrary', 'loadArbitraryModel', 'loadStyleModel', 'optimizeImage', 'exportCheckpoint', 'importToCheckpoint', 'selectBackend'];

test('require("nst") gives the library, and it runs: a network built and applied to an image', () => {
  fs.writeFileSync(
    path.join(work, 'use.cjs'),
    `const nst = require('nst');
const names = ${JSON.stringify(LIBRARY)};
const missing = names.filter((n) => typeof nst[n] !== 'function');
if (missing.length) throw new Error('missing: ' + missing.join(', '));
(async () => {
  await nst.selectBackend('cpu');
  const net = nst.buildTransformer(nst.parseTransformerConfig({ width: 0.25 }));
  const rgb = new Float32Array(12 * 10 * 3).fill(128);
  const r = await nst.stylize(net, { width: 12, height: 10, rgb });
  console.log(JSON.stringify({ width: r.width, height: r.height, resolved: require.resolve('nst') }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  const out = JSON.parse(run(process.execPath, ['use.cjs'], work).trim().split('\n').pop()!);
  expect(out).toMatchObject({ width: 12, height: 10 });
  expect(out.resolved).toBe(path.join(work, 'node_modules', 'nst', 'dist', 'src', 'index.js'));
});

test('import from "nst" (ESM) names the same functions', () => {
  fs.writeFileSync(
    path.join(work, 'use.mjs'),
    `import { ${LIBRARY.join(', ')} } from 'nst';
import nst from 'nst';
const fns = [${LIBRARY.join(', ')}];
if (!fns.every((f) => typeof f === 'function') || nst.train !== train) throw new Error('named imports missing');
console.log('ok');
`,
  );
  expect(run(process.execPath, ['use.mjs'], work).trim()).toBe('ok');
});

test("the package's types check in a TypeScript consumer (and catch a wrong option)", () => {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const tsconfig = { compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', noEmit: true, skipLibCheck: true, types: [] } };
  fs.writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify(tsconfig));
  fs.writeFileSync(
    path.join(work, 'use.ts'),
    `import { train, stylize, loadStyleModel, type TrainConfigInput, type StylizeResult } from 'nst';
const config: TrainConfigInput = { style: 'a.jpg', data: ['photos/'], out: 'runs/a', iterations: 10 };
export async function go(): Promise<StylizeResult> {
  await train(config);
  const m = await loadStyleModel('runs/a');
  return stylize(m.forward, 'photo.jpg');
}
`,
  );
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], work);
  fs.writeFileSync(path.join(work, 'use.ts'), `import type { TrainConfigInput } from 'nst';\nexport const c: TrainConfigInput = { style: 'a', data: ['d'], out: 'o', iterations: 'ten' };\n`);
  const bad = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: work, encoding: 'utf8' });
  expect(bad.status).not.toBe(0);
  expect(bad.stdout).toMatch(/use\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
});
