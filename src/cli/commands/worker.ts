/**
 * nst worker --redis URL [--queue NAME] [--concurrency N] [--lock-duration MS] [--stalled-interval MS] [--backend B]
 *
 * Runs queued jobs (stylize and training) until stopped. Options are declared once, in src/queue/options.ts; the work
 * is src/queue/worker.ts. The first SIGINT/SIGTERM stops taking jobs and lets the running ones finish (a training job
 * saves a checkpoint and goes back to the queue); a second one exits at once — the running job is then handed to
 * another worker once its lock expires, so nothing is lost either way.
 */
import type { Argv, CommandModule } from 'yargs';
import { startWorker, WorkerOptionsSchema, type WorkerOptionsInput } from '../../queue';
import { flagOf, parseOrUsageError } from '../../util/flag-names';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export type WorkerArgs = BackendArgs & ArgsOf<WorkerOptionsInput>;

export async function runWorker(args: WorkerArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const options = parseOrUsageError(WorkerOptionsSchema, configFromArgs(WorkerOptionsSchema, args), 'nst worker', flagOf);
  await startBackend(args);
  const worker = await startWorker(options, { log });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log(`nst worker: ${signal}: finishing the running jobs, then stopping (send it again to quit at once; the jobs are then retried elsewhere)`);
  const again = () => process.exit(1);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  await worker.close();
  log('nst worker: stopped');
  return 0;
}

const WORKER_OPTIONS = optionsFromSchema(WorkerOptionsSchema, { concurrency: { alias: 'c' } });

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'run queued stylize and training jobs from Redis (start one per machine; see nst submit)',
  builder: (y: Argv) =>
    withBackendOption(
      withOptionGroups(y, WORKER_OPTIONS, 'Worker options:', {})
        .example('$0 worker --redis redis://queue-host:6379', 'take jobs until Ctrl-C / SIGTERM')
        .epilogue(
          'Every worker and submitter must see the input, output and model files at the same absolute paths (a shared mount). ' +
            'A job whose worker dies is taken up by another one after --lock-duration ms (checked every --stalled-interval ms); raise --lock-duration for very large tiles or slow training steps. See docs/serve.md, "Queued jobs".',
        ),
    ) as unknown as Argv<WorkerArgs>,
  handler: handler(async (args: WorkerArgs) => runWorker(args)),
};
