import { buildCli } from '../src/cli/main';

/**
 * Runs `nst ...args` in this process (fast, and jest sees the coverage), capturing what it printed and the exit code
 * it set; process.exitCode is put back afterwards so one failing command does not fail the test run.
 */
export async function nstInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  const saved = process.exitCode;
  process.exitCode = 0;
  try {
    await buildCli(args).parseAsync();
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = saved;
  }
}
