import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

// These run the built CLI (bin/nst.js → dist/) as a user would. dist/ is rebuilt once per jest run by its
// globalSetup, so the suite never skips for want of it and never tests a stale build.
const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nst.js');

beforeAll(() => {
  // jest's globalSetup (test/global-setup.js) built dist/ before any test ran.
  expect(fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
});

function nst(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const COMMANDS = ['train', 'train-adain', 'stylize', 'optimize', 'synthesize', 'import', 'export', 'weights', 'doctor', 'serve', 'worker', 'submit', 'status'];

describe('nst CLI', () => {
  it('--help lists every command', () => {
    const r = nst(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(`nst ${c}`);
  });

  it.each(COMMANDS)('nst %s --help works and exits 0', (cmd) => {
    const r = nst([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`nst ${cmd}`);
  });

  it.each([[['paint']], [['paint', '--help']], [['--help', 'paint']], [['paint', '-h']]])('an unknown command (%j) is a one-line error and exit code 2', (args) => {
    const r = nst(args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`nst: error: unknown command 'paint': the commands are ${COMMANDS.join(', ')} (run nst --help for usage)\n`);
  });

  it('a usage mistake inside a command is one line too', () => {
    const r = nst(['stylize', 'a.png']);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toEqual([expect.stringMatching(/^nst: error: give --model CKPT \(a trained style\) or --style IMAGE/)]);
  });

  it('doctor reports the backends truthfully', () => {
    const r = nst(['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const byName = Object.fromEntries(report.backends.map((b: { name: string }) => [b.name, b]));
    expect(byName.cpu.available).toBe(true);
    let tfjsNode = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      tfjsNode = false;
    }
    expect(byName['tfjs-node'].available).toBe(tfjsNode);
    expect(byName.native.available).toBe(report.native.loaded);
  });

  it('doctor prints a human-readable report', () => {
    const r = nst(['doctor']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^node +v\d+/m);
    expect(r.out).toMatch(/^tfjs +4\./m);
    expect(r.out).toMatch(/native addon/);
    expect(r.out).toMatch(/loss-network weights are looked up in/);
  });

  it('a forced backend that cannot load is a clear error with a non-zero exit', () => {
    let tfjsNode = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      tfjsNode = false;
    }
    if (!tfjsNode) {
      const r = nst(['doctor', '--backend', 'tfjs-node']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^nst: error: backend tfjs-node cannot be used: .*not installed/m);
    }
    const viaEnv = nst(['doctor'], { NST_BACKEND: 'cpu' });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.err).toMatch(/nst: backend cpu/);
    const bad = nst(['doctor', '--backend', 'cuda']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Invalid values/);
  });
});
