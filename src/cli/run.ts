/**
 * What every command shares: choosing the backend from --backend / NST_BACKEND, and turning errors into one clear
 * line plus a non-zero exit code (a stack trace only for bugs, or with NST_DEBUG=1).
 */
import type { Argv } from 'yargs';
import { NstError } from '../errors';
import { BACKEND_NAMES, selectBackend, SelectedBackend } from '../backend/select';

export interface BackendArgs {
  backend?: string;
}

export function withBackendOption<T>(y: Argv<T>): Argv<T & BackendArgs> {
  return y.option('backend', {
    type: 'string',
    choices: ['auto', ...BACKEND_NAMES],
    describe: 'compute backend (default: auto, or NST_BACKEND): the first of tfjs-node-gpu, tfjs-node, native, cpu that loads',
  }) as Argv<T & BackendArgs>;
}

export function startBackend(args: BackendArgs): Promise<SelectedBackend> {
  return selectBackend(args.backend, (line) => process.stderr.write(line + '\n'));
}

/** Sets process.exitCode instead of exiting, so pending writes (checkpoints, logs) finish first. */
export function reportError(e: unknown): void {
  if (e instanceof NstError) {
    process.stderr.write(`nst: error: ${e.message}\n`);
    if (process.env.NST_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`nst: internal error (please report): ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 70;
  }
}

/** Wraps a command handler: errors become one line and an exit code. */
export function handler<A>(fn: (args: A) => Promise<number | void>): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      const code = await fn(args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (e) {
      reportError(e);
    }
  };
}
